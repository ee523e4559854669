"""How the command line speaks: one clear line and exit 2 for bad input, JSON twins."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer
from rich.console import Console

EXIT_BAD_INPUT = 2


def fail(message: str) -> NoReturn:
    """Refuse bad input: one line on stderr, exit code 2, nothing changed."""
    typer.echo(f"deskterm: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def fail_lines(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def console() -> Console:
    # Rich honours NO_COLOR itself. A pipe or a file gets whole lines: a script
    # grepping for a path must not find it wrapped at 80 columns.
    probe = Console()
    width = None if probe.is_terminal else 1000
    return Console(highlight=False, width=width)
