"""The `deskterm` command: the console, and a script-friendly twin of every action.

`deskterm` alone (with at most --db and --as) opens the console without loading
the command-line layer: start-up time is what an engineer on call feels first.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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

        with quiet_collector():
            app()
    except Exception as error:  # noqa: BLE001 - a bug: one line here, the traceback in a file
        from deskterm.crash import report

        sys.exit(report(error))


_resume_collection = False


@contextmanager
def quiet_collector() -> Iterator[None]:
    """No cyclic garbage collection while the command line loads its modules.

    Importing SQLAlchemy, typer and rich makes hundreds of thousands of objects, none
    of them garbage, and the collector walks them again and again as they are made:
    about a fifth of `deskterm case show`'s CPU (bench/cli_bench.py). Once the
    command's own module is loaded (`collect_from_here`, called by deskterm.cli.tree),
    what was imported is set aside for good (`gc.freeze`) and collection resumes for
    the command's own work, however long it runs (demo, sweep, report).
    """
    global _resume_collection
    enabled = gc.isenabled()
    _resume_collection = enabled
    gc.disable()
    try:
        yield
    finally:
        _resume_collection = False
        if enabled:
            gc.enable()


def collect_from_here() -> None:
    """The command's modules are loaded: collection resumes (see `quiet_collector`)."""
    global _resume_collection
    if _resume_collection:
        _resume_collection = False
        gc.freeze()
        gc.enable()


def __getattr__(name: str) -> Any:
    if name == "app":  # `from deskterm.cli import app` in tests and scripts
        from deskterm.cli.commands import app

        return app
    raise AttributeError(name)
