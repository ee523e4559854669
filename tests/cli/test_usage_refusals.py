"""The parser's refusals, through typer's public API only (cli/output.py).

typer carries click inside itself and keeps it private: deskterm tells a usage
error by what `typer.TyperException` says of it, never by importing `typer._click`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from deskterm.cli.output import EXIT_BAD_INPUT, refusals
from tests.cli.runner import invoke

SOURCE = Path(__file__).resolve().parents[2] / "src" / "deskterm"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--bogus"], "deskterm: no such option: --bogus (see deskterm --help)"),
        (["case", "show"], "deskterm: missing argument 'N' (see deskterm case show --help)"),
        (["case", "list", "--jsn"], "deskterm: no such option: --jsn"),
        (["nope"], "deskterm: no such command 'nope'"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(args: list[str], says: str) -> None:
    code, out, err = invoke(args)
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert len(err.splitlines()) == 1 and err.startswith(says), err
    assert "Usage:" not in err


def test_a_group_alone_shows_its_help_not_a_refusal() -> None:
    code, out, err = invoke(["case"])
    # The parser prints the group's help where it prints its errors, with its exit code
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert err.startswith("Usage: deskterm case") and "Commands" in err, err
    assert len(err.splitlines()) > 10 and not err.startswith("deskterm:")


def test_a_bad_parameter_raised_by_a_command_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(typer.Exit) as done, refusals():
        raise typer.BadParameter("not a case number\nsecond line")
    assert done.value.exit_code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "not a case number" in err, err


def test_a_parser_error_that_is_not_about_usage_is_left_to_typer() -> None:
    class Unreadable(typer.TyperException):
        """Like the parser's FileError: exit code 1, reported by typer itself."""

    with pytest.raises(Unreadable), refusals():
        raise Unreadable("cannot open 'x'")


# The command line's start-up (issue 18) reaches into typer where its public API has
# nothing to offer: cli/coercion.py builds runtime parameters without pydantic
# (typer._coercion) and cli/tree.py registers commands lazily as click commands
# (typer._click). These two only, and why pyproject.toml pins typer to one series.
ALLOWED_PRIVATE = {"cli/coercion.py", "cli/tree.py"}


def test_no_module_imports_typer_s_private_parts() -> None:
    private = re.compile(r"\btyper\._\w+")
    found = [
        f"{path.relative_to(SOURCE)}: {match.group()}"
        for path in sorted(SOURCE.rglob("*.py"))
        if str(path.relative_to(SOURCE)) not in ALLOWED_PRIVATE
        for match in private.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
