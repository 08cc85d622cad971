"""The ``assessment`` command: a thin adapter over the Python API.

Each sub-module exposes ``COMMANDS``, a list of click commands registered here.
"""

from __future__ import annotations

import click

from assessment import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assessment")
def main() -> None:
    """Auto-évaluation des entreprises de l'ESS (Guide des bonnes pratiques)."""


def _register() -> None:
    from assessment.cli import (
        bench_command,
        data_commands,
        exchange_commands,
        grid_commands,
        gridtools_commands,
        ops_commands,
        score_command,
    )

    for module in (
        grid_commands,
        gridtools_commands,
        score_command,
        data_commands,
        ops_commands,
        bench_command,
        exchange_commands,
    ):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
