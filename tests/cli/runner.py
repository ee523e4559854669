"""Running the real command tree in-process, the way a shell would, for CLI tests."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.testing import CliRunner

from deskterm.cli import app

runner = CliRunner()
# Built once: CliRunner.invoke rebuilds the whole command tree on every call.
COMMAND = typer.main.get_command(app)


def invoke(args: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    """As CliRunner.invoke, but exceptions other than exits propagate with their traceback."""
    with runner.isolation(input=stdin) as (out, err, _):
        code: Any = 0
        try:
            COMMAND.main(args=args, prog_name="deskterm")
        except SystemExit as exit_:
            code = exit_.code or 0
        # What was print()ed (the console's refusals) is still in the streams' buffers.
        sys.stdout.flush()
        sys.stderr.flush()
        return code, out.getvalue().decode(), err.getvalue().decode()
