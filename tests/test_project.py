"""Project-level checks: docs stay in step with the code (sqlite-utils style)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest

from assessment.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_gives_exactly_two_setup_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert commands[0].endswith("streamlit run app.py")
    assert commands[1].endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()[1] in ci


def _command_paths(group: click.Group, prefix: str = "assessment") -> list[str]:
    paths = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, path))
        else:
            paths.append(path)
    return paths


@pytest.mark.parametrize("command", _command_paths(main))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`{command}" in README, f"{command} is not documented in README.md"


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [
            _tool("ruff"),
            "check",
            *[p for p in ("src", "tests", "app.py", "benchmarks") if (ROOT / p).exists()],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _tool(name: str) -> str:
    path = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(path).exists():
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def test_mypy_is_clean() -> None:
    """``mypy`` (configured in pyproject.toml: ``src`` and ``app.py``) reports no error."""
    result = subprocess.run(
        [_tool("mypy")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


_PIN = re.compile(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+).*")


def _pins(requirements: list[str]) -> dict[str, str]:
    """``{normalised name: version}`` of the ``name==version`` requirements (extras dropped)."""
    pins = {}
    for requirement in requirements:
        match = _PIN.fullmatch(requirement)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def test_the_lock_file_pins_what_pyproject_pins() -> None:
    """``requirements.lock`` (deployments) agrees with every ``==`` pin of the app and its
    ``postgres`` and ``oidc`` extras; regenerate it as the README says after a change."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    declared = _pins([*project["dependencies"], *extras["postgres"], *extras["oidc"]])
    lock_lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    locked = _pins([line for line in lock_lines if not line.lstrip().startswith("#")])
    assert declared, "no == pin found in pyproject.toml"
    different = {
        name: (version, locked.get(name))
        for name, version in declared.items()
        if locked.get(name) != version
    }
    assert different == {}, "pyproject.toml pin vs requirements.lock: " + repr(different)


def test_the_tests_install_what_they_need() -> None:
    """``.[test]`` brings the PostgreSQL driver: CI runs the PostgreSQL tests."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "ess-assessment[postgres]" in project["optional-dependencies"]["test"]


def _setting_names() -> list[str]:
    from assessment import settings

    return [
        "ASSESSMENT_SETTINGS",
        *map(settings.environment_variable, settings.Settings.model_fields),
    ]


@pytest.mark.parametrize("name", _setting_names())
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README, f"setting {name} is not documented in README.md"


def test_every_settings_field_is_read_from_its_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assessment import settings

    samples = {
        "database_url": "sqlite:///elsewhere.sqlite3",
        "mode": "production",
        "data_dir": "/srv/donnees",
        "grids_dir": "/srv/grilles",
        "session_ttl_minutes": "61",
        "session_max_days": "7",
        "min_group_size": "9",
        "national_body_name": "ESS France (test)",
        "log_level": "warning",
    }
    assert set(samples) == set(settings.Settings.model_fields)
    for field, value in samples.items():
        monkeypatch.setenv(settings.environment_variable(field), value)
    loaded = settings.load_settings(tmp_path)
    assert str(loaded.database_url) == samples["database_url"]
    assert (loaded.mode, loaded.log_level) == ("production", "WARNING")
    assert (loaded.data_dir, loaded.grids_dir) == (Path("/srv/donnees"), Path("/srv/grilles"))
    assert (loaded.session_ttl_minutes, loaded.session_max_days, loaded.min_group_size) == (
        61,
        7,
        9,
    )
    assert loaded.national_body_name == "ESS France (test)"
