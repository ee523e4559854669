"""The `deskterm` command: the console, and a script-friendly twin of every action.

`deskterm` alone (with at most --db and --as) opens the console without loading
the command-line layer: start-up time is what an engineer on call feels first.
"""

from __future__ import annotations

import sys
from typing import Any

CONSOLE_OPTIONS = {"--db": "db", "--as": "as_user"}


def console_arguments(argv: list[str]) -> dict[str, str] | None:
    """The console's options when `argv` asks for the console, else None."""
    found: dict[str, str] = {}
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        name, equals, value = word.partition("=")
        if name not in CONSOLE_OPTIONS:
            return None
        if not equals:
            if not rest:
                return None
            value = rest.pop(0)
        found[CONSOLE_OPTIONS[name]] = value
    return found


def main() -> None:
    try:
        console = console_arguments(sys.argv[1:])
        if console is not None:
            from deskterm.console import run_console

            sys.exit(run_console(db=console.get("db"), as_user=console.get("as_user")))
        from deskterm.cli.commands import app

        app()
    except Exception as error:  # noqa: BLE001 - a bug: one line here, the traceback in a file
        from deskterm.crash import report

        sys.exit(report(error))


def __getattr__(name: str) -> Any:
    if name == "app":  # `from deskterm.cli import app` in tests and scripts
        from deskterm.cli.commands import app

        return app
    raise AttributeError(name)
