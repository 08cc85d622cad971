"""Load test: N people sign in and fill their assessments at once, on P app processes.

    python benchmarks/load.py --users N --processes P [--duration S] [--think S]
                              [--engine postgres|sqlite] [--json FILE]

What it does, all on this machine (loopback only, bounded in count and time):

1. creates a throw-away database (a new PostgreSQL database on the server of
   ``TEST_POSTGRES_URL``, or an SQLite file with ``--engine sqlite``; with
   ``--fault postgres``, on a PostgreSQL server of its own, so that stopping
   it disturbs nothing else on the machine), with the
   default grid, an open campaign, N organisations and one account each;
2. starts P ``streamlit run app.py`` processes on consecutive ports, and nginx
   in front of them when P > 1 (sticky on the ``ess_browser`` cookie, as in
   ``deploy/nginx/assessment.conf``);
3. runs N simulated users with :mod:`streamlit_client` (Streamlit's own
   websocket protocol, no browser): each signs in through the sign-in form and
   the ticket route, opens the filling page, then every ``--think`` seconds
   (±50 %) rates one more question, as a person clicking a radio button;
4. stops, then checks every answer against the database.

It reports, for the interactions (one answer given each):

* ``client_p50_s`` / ``client_p95_s``: from the answer sent to the end of the
  rerun it triggers, as the client sees it;
* ``server_p50_s`` / ``server_p95_s``: from the answer sent to the time the
  database row was written (``answers.updated_at``, same clock);
* ``refused_temporarily``: answers the app refused while the database was
  down, saying so in French (the simulated user tries again later), and
  ``answers_after_fault``: answers saved after the server came back;
* ``errors`` (must be 0), ``lost`` (answers not in the database, must be 0);
* ``server_cpu_s_per_interaction``: CPU time of the app processes during the
  filling phase (after every user has signed in), divided by the
  interactions: the unit for capacity planning;
* ``client_cpu_s``: CPU time of this simulator during the filling phase: on a
  2-core machine it competes with the app, so a run whose client takes a
  large share of a core under-states what the app holds.

No time is asserted: the smoke test in ``tests/`` checks errors and losses only.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from streamlit_client import ClientError, StreamlitClient  # noqa: E402

from assessment import accounts, assessments  # noqa: E402
from assessment.campaigns import create_campaign  # noqa: E402
from assessment.db import create_database_engine, dispose_engines, migrate, normalise_url  # noqa: E402
from assessment.grid_store import get_grid, sync_grids_from_dir  # noqa: E402
from assessment.organisations import create_organisation  # noqa: E402
from assessment.permissions import Actor, Role  # noqa: E402
from assessment.tables import Answer  # noqa: E402

PASSWORD = "charge-test-2026"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HARD_LIMIT_S = 1800
"""Whatever the arguments, the run stops after this long."""


@dataclass
class Interaction:
    user: int
    assessment_id: int
    question: str
    horizon: str
    value: int
    sent_at: datetime
    client_s: float


@dataclass
class Results:
    interactions: list[Interaction] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sign_in_s: list[float] = field(default_factory=list)
    reconnected: int = 0
    """Users whose websocket was cut by the fault and who reconnected."""
    drafts_missing: int = 0
    """Acknowledged answers a reconnected user did not find on the page."""
    refused: int = 0
    """Answers the app said it could not save (database unavailable): retried."""


# ---------------------------------------------------------------------------
# database
# ---------------------------------------------------------------------------


def _new_postgres_database(server_url: str) -> tuple[str, str]:
    name = f"load_{secrets.token_hex(4)}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = create_engine(normalise_url(server_url)).url.set(database=name)
    return url.render_as_string(hide_password=False), name


class PrivateCluster:
    """A throw-away PostgreSQL server of this run (``--fault postgres``).

    Restarting the machine's own server would cut every other user of it; this
    one is a real PostgreSQL (``initdb`` + ``pg_ctl`` of the installed version),
    on loopback, in a temporary folder, stopped and removed at the end.
    """

    def __init__(self, port: int) -> None:
        bindir = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        self.pg_ctl = str(Path(bindir) / "pg_ctl")
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="assessment-load-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        # PostgreSQL refuses to run as root: as root, the server runs as `postgres`.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            self.root.chmod(0o755)
            shutil.chown(self.root, "postgres")
        initdb = str(Path(bindir) / "initdb")
        self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        data, log = str(self.data), str(self.log)
        self._run(self.pg_ctl, "-D", data, "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if not self.root.exists():
            return
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _drop_postgres_database(server_url: str, name: str) -> None:
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@dataclass
class Population:
    url: str
    emails: list[str]
    assessment_ids: list[int]
    scale: list[int]
    level_questions: frozenset[str]
    """The rated questions: the users answer those (a yes/no radio stores no level)."""


def populate(url: str, users: int) -> Population:
    """Grid, an open campaign, ``users`` organisations with one account and a draft each."""
    engine = create_database_engine(url)
    migrate(engine)
    sync_grids_from_dir(engine, ROOT / "guide")
    system = Actor.system()
    today = date.today()
    campaign = create_campaign(
        engine,
        system,
        year=today.year,
        opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=60),
    )
    emails: list[str] = []
    ids: list[int] = []
    for i in range(users):
        org = create_organisation(
            engine,
            system,
            name=f"Association de charge n° {i + 1}",
            rna=f"W{i + 1:09d}",
            region="11",
            legal_family="association",
            size_band="1-9",
        )
        email = f"charge{i + 1}@load.test"
        user_id = accounts.create_user(
            engine, system, email=email, password=PASSWORD, role=Role.ORG_ADMIN, organisation_id=org
        )
        actor = Actor(user_id=user_id, email=email, role=Role.ORG_ADMIN, organisation_id=org)
        state = assessments.open_assessment(engine, actor, org, campaign)
        emails.append(email)
        ids.append(state.id)
    grid_id, version = state.grid_id, state.grid_version
    grid = get_grid(engine, grid_id, version)
    scale = [level.value for level in grid.scale]
    levels = frozenset(q.id for _item, q in grid.questions() if q.type == "level")
    engine.dispose()
    return Population(url, emails, ids, [int(v) for v in scale], levels)


# ---------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def start_apps(url: str, ports: list[int], data_dir: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ASSESSMENT_MODE": "production",
        "ASSESSMENT_DATA_DIR": str(data_dir),
        "ASSESSMENT_GRIDS_DIR": str(ROOT / "guide"),
        "ASSESSMENT_LOG_LEVEL": "WARNING",
    }
    procs = []
    for port in ports:
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        log = open(data_dir / f"app-{port}.log", "wb")  # noqa: SIM115
        procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log))
    deadline = time.monotonic() + 90
    for port in ports:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"app on port {port} did not start: see {data_dir}")
            time.sleep(0.3)
    return procs


NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/nginx-body; proxy_temp_path {dir}/nginx-proxy;
  fastcgi_temp_path {dir}/nginx-fcgi; uwsgi_temp_path {dir}/nginx-uwsgi;
  scgi_temp_path {dir}/nginx-scgi;
  map $cookie_ess_browser $assessment_sticky {{ "" $remote_addr; default $cookie_ess_browser; }}
  map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
  upstream assessment_app {{ hash $assessment_sticky consistent; {servers} }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://assessment_app; proxy_http_version 1.1;
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h; proxy_buffering off;
    }}
  }}
}}
"""


def start_proxy(ports: list[int], port: int, workdir: Path) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("--processes > 1 needs nginx in front (apt-get install nginx-light)")
    servers = " ".join(f"server 127.0.0.1:{p};" for p in ports)
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=workdir, servers=servers, port=port))
    proc = subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("nginx did not start")


# ---------------------------------------------------------------------------
# users
# ---------------------------------------------------------------------------


@dataclass
class Phase:
    """Shared by the users: filling starts when every user has signed in."""

    users: int
    duration: float
    pids: list[int] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: int = 0
    deadline: float = 0.0
    cpu_at_start: float = 0.0
    client_cpu_at_start: float = 0.0
    started_at: float = 0.0
    fault_started: bool = False
    fault_ended_at: datetime | None = None

    def arrive(self) -> None:
        self.arrived += 1
        if self.arrived == self.users:
            self.cpu_at_start = sum(_cpu_seconds(pid) for pid in self.pids)
            self.client_cpu_at_start = time.process_time()
            self.started_at = time.monotonic()
            self.deadline = self.started_at + self.duration
            self.ready.set()


def _cell(widget_id: str) -> tuple[str, str]:
    """``$$ID-<hash>-fill:q:gouv-regles:current`` → (``gouv-regles``, ``current``)."""
    key = widget_id.split("-", 2)[2]
    question, _, horizon = key.partition(":q:")[2].rpartition(":")
    return question, horizon


async def one_user(
    index: int,
    base_url: str,
    population: Population,
    *,
    start_delay: float,
    think: float,
    phase: Phase,
    results: Results,
) -> None:
    rng = random.Random(index)
    await asyncio.sleep(start_delay)
    client = StreamlitClient(base_url)
    arrived = False
    try:
        began = time.perf_counter()
        await client.open()
        run = await client.sign_in(population.emails[index], PASSWORD)
        results.sign_in_s.append(time.perf_counter() - began)
        arrived = True
        phase.arrive()
        if run.exceptions:
            results.errors.append(f"user {index}: {run.exceptions[0]}")
            return
        await phase.ready.wait()
        todo = [
            w.id
            for w in client.widgets_with(":q:")
            if w.kind == "radio" and _cell(w.id)[0] in population.level_questions
        ]
        rng.shuffle(todo)
        acknowledged: dict[str, str] = {}
        while todo and time.monotonic() < phase.deadline:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            if time.monotonic() >= phase.deadline:
                break
            widget = client.widgets[todo[-1]]
            choice = rng.randrange(len(widget.options))
            question, horizon = _cell(widget.id)
            sent_at = datetime.now(UTC)
            try:
                run = await client.choose(widget, choice)
            except (websockets.ConnectionClosed, ClientError, OSError):
                if not phase.fault_started:
                    raise
                results.reconnected += 1
                results.drafts_missing += await _reconnect(client, acknowledged)
                continue  # the answer in flight is unknown: given again
            if TEMPORARY_ERROR.search(run.raw):
                results.refused += 1  # the page said it was not saved: try again later
                results.drafts_missing += await _reconnect(client, acknowledged, widget.id)
                continue
            if run.exceptions:
                results.errors.append(f"user {index}: {run.exceptions[0]}")
                todo.pop()
                continue
            todo.pop()
            acknowledged[widget.id] = widget.options[choice]
            results.interactions.append(
                Interaction(
                    index,
                    population.assessment_ids[index],
                    question,
                    horizon,
                    population.scale[choice],
                    sent_at,
                    run.seconds,
                )
            )
    except Exception as exc:  # any failure of this user is an error of the run
        results.errors.append(f"user {index}: {type(exc).__name__}: {exc}")
        if not arrived:
            phase.arrive()
    finally:
        await client.close()


TEMPORARY_ERROR = re.compile("momentanément indisponible".encode())
"""What the app says when the database is unreachable (the answer was not saved)."""


async def _reconnect(
    client: StreamlitClient, acknowledged: dict[str, str], expected: str = ""
) -> int:
    """Reload until the app shows the form again (``expected``, a widget id, on it);
    how many acknowledged answers it does not show."""
    deadline = time.monotonic() + 60
    while True:
        try:
            await asyncio.sleep(0.5 if not expected else 1.0)
            run = await client.reload()
            if not expected or (expected in client.widgets and not TEMPORARY_ERROR.search(run.raw)):
                break
        except (websockets.WebSocketException, ClientError, OSError):
            pass
        if time.monotonic() > deadline:
            raise ClientError("the app did not come back within 60 s")
    return sum(
        1
        for widget_id, shown in acknowledged.items()
        if widget_id not in client.widgets or client.widgets[widget_id].value != shown
    )


async def inject_fault(
    phase: Phase,
    kind: str,
    after: float,
    ports: list[int],
    cluster: PrivateCluster | None = None,
    down: float = 0.0,
) -> str:
    """``kill``: SIGKILL the app process with the most open connections; ``postgres``:
    stop this run's PostgreSQL server for ``down`` seconds, then start it again.
    Returns what was done."""
    await phase.ready.wait()
    await asyncio.sleep(after)
    phase.fault_started = True
    if kind == "kill":
        counts = [_connections(port) for port in ports]
        victim = counts.index(max(counts))
        pid = phase.pids[victim]
        phase.cpu_at_start -= _cpu_seconds(pid)  # its CPU so far is no longer counted
        os.kill(pid, signal.SIGKILL)
        phase.pids = [p for p in phase.pids if p != pid]
        return f"killed the process on port {ports[victim]} ({counts[victim]} connections)"
    assert cluster is not None
    await asyncio.to_thread(cluster.stop)
    await asyncio.sleep(down)
    await asyncio.to_thread(cluster.start)
    phase.fault_ended_at = datetime.now(UTC)
    return f"stopped PostgreSQL for {down:g} s, then started it again"


def _connections(port: int) -> int:
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
    ).stdout
    return len(out.splitlines())


async def run_users(
    base_url: str,
    population: Population,
    duration: float,
    think: float,
    pids: list[int],
    fault: tuple[str, float, list[int], PrivateCluster | None, float] | None = None,
) -> tuple[Results, Phase, str]:
    results = Results()
    users = len(population.emails)
    phase = Phase(users, duration, pids)
    ramp = min(think, 10.0)
    tasks = [
        one_user(
            i,
            base_url,
            population,
            start_delay=ramp * i / max(users, 1),
            think=think,
            phase=phase,
            results=results,
        )
        for i in range(users)
    ]
    injected = asyncio.create_task(inject_fault(phase, *fault)) if fault else None
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=HARD_LIMIT_S)
    done = await injected if injected else ""
    return results, phase, done


# ---------------------------------------------------------------------------
# checks and report
# ---------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check(url: str, interactions: list[Interaction]) -> tuple[int, list[float]]:
    """How many answers are not in the database as sent; server-side latencies."""
    engine = create_database_engine(url)
    expected = {(i.assessment_id, i.question, i.horizon): i for i in interactions}
    stored: dict[tuple[int, str, str], tuple[Any, datetime]] = {}
    ids = sorted({i.assessment_id for i in interactions})
    with engine.connect() as conn:
        for chunk in range(0, len(ids), 500):
            rows = conn.execute(
                select(
                    Answer.assessment_id, Answer.question_id, Answer.horizon_id,
                    Answer.value, Answer.updated_at,
                ).where(Answer.assessment_id.in_(ids[chunk : chunk + 500]))
            )  # fmt: skip
            for a, q, h, value, updated in rows:
                stored[(a, q, h)] = (value, _as_utc(updated))
    engine.dispose()
    lost = 0
    server: list[float] = []
    for key, interaction in expected.items():
        found = stored.get(key)
        if found is None or found[0] != interaction.value:
            lost += 1
            if os.environ.get("LOAD_DEBUG"):
                print("lost", key, interaction.value, found, interaction.sent_at, file=sys.stderr)
            continue
        server.append(max(0.0, (found[1] - interaction.sent_at).total_seconds()))
    return lost, server


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--duration", type=float, default=60.0, help="filling phase, seconds")
    parser.add_argument("--think", type=float, default=10.0, help="seconds between two answers")
    parser.add_argument("--engine", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--port", type=int, default=8700, help="first port used")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--fault",
        choices=["kill", "postgres"],
        help="kill: SIGKILL one app process mid-run (needs --processes >= 2); "
        "postgres: stop the run's own PostgreSQL server mid-run, then start it again",
    )
    parser.add_argument("--fault-after", type=float, default=5.0, help="seconds into filling")
    parser.add_argument(
        "--fault-down", type=float, default=4.0, help="postgres: seconds the server stays down"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 2000 or not 1 <= args.processes <= 8:
        parser.error("--users 1..2000, --processes 1..8")
    if args.engine == "sqlite" and args.processes > 1:
        parser.error("several processes share PostgreSQL, not SQLite")
    if args.fault == "kill" and args.processes < 2:
        parser.error("--fault kill needs --processes 2 or more")
    if args.fault == "postgres" and args.engine != "postgres":
        parser.error("--fault postgres needs --engine postgres")
    duration = min(args.duration, HARD_LIMIT_S / 2)

    workdir = Path(tempfile.mkdtemp(prefix="assessment-load-"))
    server_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    pg_name = None
    cluster = PrivateCluster(args.port + 90) if args.fault == "postgres" else None
    if cluster is not None:
        atexit.register(cluster.remove)  # even if the run fails half-way
        server_url = cluster.url
    if args.engine == "postgres":
        url, pg_name = _new_postgres_database(server_url)
    else:
        url = f"sqlite:///{workdir / 'assessment.sqlite3'}"
    procs: list[subprocess.Popen[bytes]] = []
    proxy = None
    try:
        began = time.perf_counter()
        population = populate(url, args.users)
        prepared_s = time.perf_counter() - began
        ports = [args.port + 1 + i for i in range(args.processes)]
        procs = start_apps(url, ports, workdir)
        if args.processes > 1:
            proxy = start_proxy(ports, args.port, workdir)
            base = f"http://127.0.0.1:{args.port}/"
        else:
            base = f"http://127.0.0.1:{ports[0]}/"
        pids = [p.pid for p in procs]
        fault = (
            (args.fault, args.fault_after, ports, cluster, args.fault_down) if args.fault else None
        )
        results, phase, injected = asyncio.run(
            run_users(base, population, duration, args.think, pids, fault)
        )
        wall = time.monotonic() - phase.started_at
        client_cpu = time.process_time() - phase.client_cpu_at_start
        cpu_used = sum(_cpu_seconds(pid) for pid in phase.pids) - phase.cpu_at_start
    finally:
        for proc in [*procs, *([proxy] if proxy else [])]:
            proc.send_signal(signal.SIGTERM)
        for proc in [*procs, *([proxy] if proxy else [])]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    lost, server = check(url, results.interactions)
    dispose_engines()
    if pg_name:
        _drop_postgres_database(server_url, pg_name)
    if cluster is not None:
        cluster.remove()
    client = [i.client_s for i in results.interactions]
    count = len(results.interactions)
    report: dict[str, Any] = {
        "users": args.users,
        "processes": args.processes,
        "engine": args.engine,
        "think_s": args.think,
        "duration_s": duration,
        "filling_wall_s": round(wall, 2),
        "prepare_s": round(prepared_s, 2),
        "interactions": count,
        "interactions_per_s": round(count / wall, 3) if wall else None,
        "sign_in_p50_s": _pct(results.sign_in_s, 50),
        "sign_in_p95_s": _pct(results.sign_in_s, 95),
        "client_p50_s": _pct(client, 50),
        "client_p95_s": _pct(client, 95),
        "server_p50_s": _pct(server, 50),
        "server_p95_s": _pct(server, 95),
        "fault": injected or None,
        "reconnected": results.reconnected,
        "drafts_missing": results.drafts_missing,
        "refused_temporarily": results.refused,
        "answers_after_fault": (
            sum(1 for i in results.interactions if i.sent_at > phase.fault_ended_at)
            if phase.fault_ended_at
            else None
        ),
        "errors": len(results.errors),
        "error_samples": results.errors[:5],
        "lost": lost,
        "server_cpu_s": round(cpu_used, 2),
        "server_cpu_s_per_interaction": round(cpu_used / count, 4) if count else None,
        "client_cpu_s": round(client_cpu, 2),
    }
    for key, value in report.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:32} {shown}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if not results.errors and not lost and not results.drafts_missing else 1


if __name__ == "__main__":
    raise SystemExit(main())
