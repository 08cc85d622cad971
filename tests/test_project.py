"""Project-level checks: docs stay in step with the code (sqlite-utils style)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
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
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [
            ruff,
            "check",
            *[p for p in ("src", "tests", "app.py", "benchmarks") if (ROOT / p).exists()],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _setting_names() -> list[str]:
    from assessment import settings

    return ["ASSESSMENT_SETTINGS", *settings._ENV_NAMES.values()]


@pytest.mark.parametrize("name", _setting_names())
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README, f"setting {name} is not documented in README.md"


def test_every_settings_field_has_an_environment_variable() -> None:
    from assessment import settings

    assert set(settings._ENV_NAMES) == set(settings.Settings.model_fields)
