"""The command line starts fast: `--help`, `policy due`, `case show` and `case list`
load neither the ORM (SQLModel), Alembic, Textual nor pydantic (issue 18; see
deskterm.cli.coercion), and the root help lists every command from the light table of
deskterm.cli.tree exactly as the commands themselves would. The times are figures of
bench/cli_bench.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from deskterm.cli import tree
from deskterm.cli.commands import app
from tests.cli.runner import invoke

HEAVY = ("sqlmodel", "sqlalchemy.orm", "alembic", "textual", "pydantic")
# Runs the real entry point, then names those of the modules (argv[1]) it loaded.
PROBE = (
    "import sys\n"
    "from deskterm.cli import main\n"
    "modules = sys.argv[1].split(',')\n"
    "sys.argv = ['deskterm', *sys.argv[2:]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exit_:\n"
    "    code = exit_.code\n"
    "else:\n"
    "    code = 0\n"
    "print('LOADED', sorted(m for m in modules if m in sys.modules), code)\n"
)


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("start-up") / "desk.db"
    code, out, err = invoke(["--db", str(db), "demo", "--cases", "30", "--seed", "7"])
    assert code == 0, (out, err)
    return db


def loaded(*args: str, modules: tuple[str, ...] = HEAVY) -> tuple[str, str]:
    """Those of the (heavy) modules `deskterm ARGS` loaded, and its exit code; its
    output goes to a pipe."""
    found, code = probed(PROBE, "LOADED", ",".join(modules), *args).rsplit(" ", 1)
    return found, code


def probed(script: str, said: str, *args: str) -> str:
    """What `script` run with `args` in a process of its own printed on its last line,
    after `said` (a probe's output goes to a pipe)."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith(f"{said} "), (done.stdout, done.stderr)
    return last.removeprefix(f"{said} ")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["case", "--help"],
        [
            "policy",
            "due",
            "--policy",
            "p1-p6",
            "--severity",
            "1",
            "--received",
            "2026-11-20T15:00:00Z",
        ],
        ["case", "show", "40100"],
        ["case", "show", "40100", "--json"],
        ["case", "list", "--limit", "20"],
        ["case", "list", "--limit", "20", "--json"],
    ],
    ids=" ".join,
)
def test_the_quick_paths_load_neither_the_orm_nor_alembic_nor_textual(
    demo_desk: Path, args: list[str]
) -> None:
    modules, code = loaded("--db", str(demo_desk), *args)
    assert (modules, code) == ("[]", "0")


@pytest.mark.parametrize(
    "args", [["case", "show", "40100"], ["case", "list", "--limit", "20"]], ids=" ".join
)
def test_a_case_and_the_list_print_into_a_pipe_without_rich(
    demo_desk: Path, args: list[str]
) -> None:
    """Rich's share of their start-up is gone where it would print plain text anyway
    (deskterm.cli.plain; tests/cli/test_plain.py checks the text is the same)."""
    modules, code = loaded("--db", str(demo_desk), *args, modules=("rich",))
    assert (modules, code) == ("[]", "0")


def test_a_write_still_loads_what_it_needs(demo_desk: Path) -> None:
    """The probe can fail: a note is written through the ORM."""
    modules, code = loaded("--db", str(demo_desk), "case", "note", "40100", "seen")
    assert code == "0"
    assert "sqlmodel" in modules


def test_the_root_help_lists_each_command_as_the_command_itself_would() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, tree.LazyGroup)
    built = {name: root.commands[name] for name in tree.COMMANDS}  # every module imported
    assert list(built) == list(tree.COMMANDS)
    for name, command in built.items():
        for limit in range(10, 160):
            assert tree.short_help(name, limit) == command.get_short_help_str(limit), (name, limit)


def test_the_root_help_is_the_same_before_and_after_the_commands_load() -> None:
    lazy = typer.main.get_command(app)
    assert isinstance(lazy, tree.LazyGroup)
    with lazy.make_context("deskterm", []) as ctx:
        before = lazy.get_help(ctx)
    for name in tree.COMMANDS:
        lazy.commands[name]  # noqa: B018 - loads it
    with lazy.make_context("deskterm", []) as ctx:
        after = lazy.get_help(ctx)
    assert before == after
    assert all(f"  {name} " in before for name in tree.COMMANDS)


# Runs the real entry point with the case read wrapped, to see whether the cyclic
# garbage collector runs while a command works (deskterm.cli.quiet_collector).
COLLECTOR_PROBE = (
    "import gc, sys\n"
    "from deskterm.desk import queries\n"
    "from deskterm.cli import main\n"
    "seen = []\n"
    "read = queries.show_case\n"
    "def watched(*args, **kwargs):\n"
    "    seen.append(gc.isenabled())\n"
    "    return read(*args, **kwargs)\n"
    "queries.show_case = watched\n"
    "sys.argv = ['deskterm', *sys.argv[1:]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('COLLECTING', seen, gc.isenabled())\n"
)


def test_a_command_runs_with_the_garbage_collector_on(demo_desk: Path) -> None:
    """Start-up loads its modules without collecting (a fifth of `case show`'s CPU);
    the command itself, however long it runs (demo, sweep, report), collects."""
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR_PROBE, "--db", str(demo_desk), "case", "show", "40100"],
        capture_output=True,
        text=True,
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last == "COLLECTING [True] True", (done.stdout, done.stderr)


# Runs the real entry point with typer's command builder watched: the names of the
# commands whose parameters were built from their functions' signatures.
BUILD_PROBE = (
    "import sys\n"
    "import typer.main\n"
    "built = []\n"
    "make = typer.main.get_command_from_info\n"
    "def watched(command_info, **kwargs):\n"
    "    command = make(command_info, **kwargs)\n"
    "    built.append(command.name)\n"
    "    return command\n"
    "typer.main.get_command_from_info = watched\n"
    "from deskterm.cli import main\n"
    "sys.argv = ['deskterm', *sys.argv[1:]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('BUILT', built)\n"
)


def built_commands(*args: str) -> str:
    return probed(BUILD_PROBE, "BUILT", *args)


def test_a_command_of_a_group_builds_that_command_alone(demo_desk: Path) -> None:
    """`case show` reads the signature of `show`, not those of the group's other
    commands (a tenth of its start-up: each is read through typing's annotations)."""
    assert built_commands("--db", str(demo_desk), "case", "show", "40100") == "['show']"
    assert built_commands("--db", str(demo_desk), "case", "list", "--limit", "2") == "['list']"


def test_a_group_help_lists_every_command_of_the_group() -> None:
    """The group's commands are built when listed: its help misses none, in order."""
    from deskterm.cli.cases import app as cases_app

    names = [
        info.name or typer.main.get_command_name(info.callback.__name__)
        for info in cases_app.registered_commands
        if info.callback is not None
    ]
    code, out, err = invoke(["case", "--help"])
    assert code == 0, err
    listed = out.split("Commands", 1)[1].splitlines()[1:]
    assert [line.split()[0] for line in listed if line.startswith("  ")] == names


def test_a_reader_gone_ends_the_list_quietly(demo_desk: Path) -> None:
    """`deskterm case list | head` whose reader has gone: exit 1 and no traceback,
    whether Rich or deskterm.cli.plain writes the list."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "deskterm", "--db", str(demo_desk), "case", "list"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(writer)
    assert (done.returncode, done.stderr) == (1, "")
