"""How the command line speaks: one clear line and exit 2 for bad input, JSON twins.

Bad input is reported in one place: `DesktermGroup`, the root command, turns every
refusal raised below it (a use case's `DeskError`, a malformed instant, a setting,
a database that cannot be opened, a usage error of the parser) into one line on
stderr and exit code 2. Commands raise; they do not catch to report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperGroup

from deskterm.errors import UserError
from deskterm.safe_text import ELLIPSIS, safe_line

if TYPE_CHECKING:
    from rich.console import Console

EXIT_BAD_INPUT = 2
# A message quoting what was typed must stay readable when that was a megabyte.
LONGEST_MESSAGE = 600

# What a user can act on (a use case's DeskError, a malformed instant, a setting, a
# database that cannot be opened, a policy file's problem ...); anything else
# escaping a command is a bug.
REFUSALS = (UserError,)


def one_line(message: str) -> str:
    """`message` as one terminal-safe line; a huge one keeps its start and its end."""
    line = safe_line(message)
    if len(line) > LONGEST_MESSAGE:
        keep = LONGEST_MESSAGE // 2
        line = f"{line[:keep]}{ELLIPSIS}{line[-keep:]}"
    return line


def fail(message: str) -> NoReturn:
    """Refuse bad input: one line on stderr, exit code 2, nothing changed."""
    typer.echo(f"deskterm: {one_line(message)}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def fail_lines(lines: list[str]) -> NoReturn:
    """Refuse with several problems, one a line (`policy check` lists every one)."""
    for line in lines:
        typer.echo(one_line(line), err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


_INVALID_VALUE = re.compile(r"Invalid value for (?P<param>.+?): (?P<why>.*)", re.DOTALL)

# The parser is click, which typer carries inside itself (since 0.26) and keeps
# private: of its errors typer's public API names only the root, `TyperException`.
# A usage error (no such option or command, a missing or malformed value) is the
# one that exits 2, and carries the parser's context (`ctx`) for the command's name.


def is_usage_error(error: typer.TyperException) -> bool:
    """A complaint about how the command was typed, as opposed to, say, a file the
    parser could not open (exit 1, which typer reports itself)."""
    return error.exit_code == EXIT_BAD_INPUT


def asks_for_help(error: typer.TyperException) -> bool:
    """`deskterm case` alone: the parser's way of showing that group's help. Told
    apart by its class's name, as typer's own error display does (typer/rich_utils.py)."""
    return type(error).__name__ == "NoArgsIsHelpError"


def usage_line(error: typer.TyperException) -> str:
    """A parser's complaint (no such option, a missing or malformed value) in one line,
    pointing at the command's help instead of printing the usage block."""
    message = error.format_message()
    invalid = _INVALID_VALUE.match(message)
    if invalid:  # our parsers' own words (cli/params.py), after the parameter's name
        return one_line(f"{invalid['param'].replace(chr(39), '')}: {invalid['why']}")
    message = message[:1].lower() + message[1:]
    where = getattr(getattr(error, "ctx", None), "command_path", None)
    if not isinstance(where, str):  # raised outside any command's context
        where = "deskterm"
    return f"{one_line(message).rstrip('.')} (see {where} --help)"


@contextmanager
def refusals() -> Iterator[None]:
    """Every refusal raised inside, said in one line with exit code 2."""
    try:
        yield
    except typer.TyperException as error:
        if is_usage_error(error) and not asks_for_help(error):
            fail(usage_line(error))
        raise  # the help, as asked; or the parser's other errors, which typer reports
    except REFUSALS as error:
        fail(str(error))


class DesktermGroup(TyperGroup):
    """The root `deskterm` command: parses and runs the tree under `refusals()`.

    The parser's context type is private to typer (see above): these two pass their
    arguments through untouched, so they need not name it."""

    def make_context(self, *args: Any, **extra: Any) -> Any:
        with refusals():
            return super().make_context(*args, **extra)

    def invoke(self, *args: Any, **extra: Any) -> Any:
        with refusals():
            return super().invoke(*args, **extra)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def console() -> Console:
    from rich.console import Console  # only for commands that print with it (`--help` does not)

    # Rich honours NO_COLOR itself. A pipe or a file gets whole lines: a script
    # grepping for a path must not find it wrapped at 80 columns. No `:name:` emoji
    # codes: deskterm writes none, a customer's `:fire:` stays as typed, and Rich
    # then loads no table of 3,600 emoji names (9M instructions of `deskterm case
    # show` on a terminal, counted with valgrind: 1% of `import sqlalchemy`).
    probe = Console()
    width = None if probe.is_terminal else 1000
    return Console(highlight=False, width=width, emoji=False)
