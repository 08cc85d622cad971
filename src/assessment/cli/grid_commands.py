"""Placeholder: filled by its owner."""

import click

COMMANDS: list[click.Command] = []
