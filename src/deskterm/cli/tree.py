"""The command tree, loaded one branch at a time.

Importing every command module to answer `deskterm --help` or `deskterm case show`
would load the ORM, Alembic and the whole desk: about a second before anything is
printed. The root group knows its commands by name from `COMMANDS` below (module,
attribute and the first paragraph of the help that `--help` lists) and imports a
command's module only when the command is run or its own help is asked for.
A group (`case`, `policy` ...) likewise builds a command of its own (reads its
signature, which typer does through typing's annotations) only when it is run or
listed: `case show` does not pay for the sixteen other `case` commands.
tests/cli/test_start_up.py keeps the table in step with the commands themselves.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import typer
from typer._click import Command, Context, HelpFormatter
from typer._click.utils import make_default_short_help
from typer.models import CommandInfo, TyperInfo

from deskterm.cli import collect_from_here
from deskterm.cli.output import DesktermGroup


@dataclass(frozen=True)
class Entry:
    module: str
    attribute: str  # a typer.Typer (a group of commands) or a command function
    help: str  # the first paragraph of its help, as `deskterm --help` shortens it


# In the order `deskterm --help` lists them.
COMMANDS: dict[str, Entry] = {
    "sweep": Entry(
        "deskterm.cli.cases",
        "sweep_command",
        "Record breaches, apply customer timeouts, send auto-close notices and close.",
    ),
    "demo": Entry(
        "deskterm.cli.demo",
        "demo_command",
        "Fill the database with a believable desk: organizations, contacts, cases and histories.",
    ),
    "export": Entry(
        "deskterm.cli.transfer",
        "export_command",
        "Write every organization, contact, case, event and attachment record to FILE.",
    ),
    "import": Entry(
        "deskterm.cli.transfer",
        "import_command",
        "Import FILE into an empty desk: every line is checked before any is written.",
    ),
    "doctor": Entry(
        "deskterm.cli.doctor",
        "doctor_command",
        "Check the database, SQLite, file modes, migrations, policies and time zones.",
    ),
    "backup": Entry(
        "deskterm.cli.backup",
        "backup_command",
        "Copy the database to FILE while others keep working (SQLite's online backup).",
    ),
    "restore": Entry(
        "deskterm.cli.backup",
        "restore_command",
        "Put the desk in FILE in place of the current database, in one step.",
    ),
    "search": Entry(
        "deskterm.cli.search",
        "search_command",
        "Search every case, newest first: where each matched, with the words marked ⟦ ⟧.",
    ),
    "handoff": Entry(
        "deskterm.cli.shift",
        "handoff_command",
        "What came in, breached and was resolved this shift; what the next one inherits.",
    ),
    "report": Entry(
        "deskterm.cli.shift",
        "report_command",
        "First-response SLA met, breaches, response times in business time, and the update, "
        "resolution and next-response clocks met, for a period.",
    ),
    "serve": Entry(
        "deskterm.cli.shift",
        "serve_command",
        "Serve the console to a web browser (textual-serve): a wall screen without SSH.",
    ),
    "open": Entry(
        "deskterm.cli.commands",
        "open_command",
        "Open the console on one case (esc goes back to the queue).",
    ),
    "sev1": Entry(
        "deskterm.cli.commands",
        "sev1_command",
        "The Severity 1 phone-call wizard (resumes a call left mid-way); esc at step 1 leaves.",
    ),
    "board": Entry(
        "deskterm.cli.commands",
        "board_command",
        "The breach board: next cases to breach, counts, load per engineer, the next 8 hours.",
    ),
    "policy": Entry("deskterm.cli.policy", "app", "SLA policies: the support contracts as data."),
    "case": Entry(
        "deskterm.cli.cases", "app", "Support cases: open, list, show, work and explain them."
    ),
    "org": Entry("deskterm.cli.directory", "org_app", "Organizations under a support contract."),
    "contact": Entry("deskterm.cli.directory", "contact_app", "Contacts of organizations."),
    "db": Entry("deskterm.cli.database", "app", "The database schema."),
    "mail": Entry(
        "deskterm.cli.mail",
        "app",
        "Mail: take customer mail in, send replies out, triage what has no case.",
    ),
    "template": Entry(
        "deskterm.cli.templates", "app", "Canned replies (templates) for answering customers."
    ),
}


def build(name: str, entry: Entry) -> Command:
    """The click command of one entry, built as `Typer.add_typer`/`Typer.command` would."""
    from deskterm.cli.commands import app as root

    target = getattr(import_module(entry.module), entry.attribute)
    if isinstance(target, typer.Typer):
        return lazy_group(name, target, root)
    return typer.main.get_command_from_info(
        CommandInfo(name=name, callback=target),
        pretty_exceptions_short=root.pretty_exceptions_short,
        rich_markup_mode=root.rich_markup_mode,
    )


def lazy_group(name: str, group: typer.Typer, root: typer.Typer) -> Command:
    """The group as `Typer.add_typer` builds it, but each of its commands built on
    first use (`LazyCommands`); its subgroups, if any, as typer builds them."""
    shell = copy.copy(group)
    shell.registered_commands = []
    built = typer.main.get_group_from_info(
        TyperInfo(shell, name=name),
        pretty_exceptions_short=root.pretty_exceptions_short,
        rich_markup_mode=root.rich_markup_mode,
        suggest_commands=root.suggest_commands,
    )
    infos: dict[str, CommandInfo] = {}
    for info in group.registered_commands:
        assert info.callback is not None, "a command has its function"
        infos[info.name or typer.main.get_command_name(info.callback.__name__)] = info

    def command(command_name: str) -> Command:
        return typer.main.get_command_from_info(
            infos[command_name],
            pretty_exceptions_short=root.pretty_exceptions_short,
            rich_markup_mode=root.rich_markup_mode,
        )

    built.commands = LazyCommands(infos, command, dict(built.commands))
    return built


class LazyCommands(MutableMapping[str, Command]):
    """Commands by name, in the order of `names`; each built by `make` on first access
    (for the root: its module imported; for a group's command: its signature read)."""

    def __init__(
        self, names: Iterable[str], make: Callable[[str], Command], built: dict[str, Command]
    ) -> None:
        self._names = list(names)
        self._make = make
        self._built = dict(built)

    def loaded(self, name: str) -> Command | None:
        return self._built.get(name)

    def __getitem__(self, name: str) -> Command:
        command = self._built.get(name)
        if command is None:
            if name not in self._names:
                raise KeyError(name)
            command = self._built[name] = self._make(name)
            collect_from_here()
        return command

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._built.pop(name, None)
        self._names = [known for known in self._names if known != name]

    def __contains__(self, name: object) -> bool:
        return name in self._names or name in self._built

    def __iter__(self) -> Iterator[str]:
        yield from self._names
        yield from (name for name in self._built if name not in self._names)

    def __len__(self) -> int:
        return len(self._names) + sum(1 for name in self._built if name not in self._names)


class LazyGroup(DesktermGroup):
    """The root command: its subcommands come from `COMMANDS`, imported when used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(
            COMMANDS, lambda name: build(name, COMMANDS[name]), dict(self.commands)
        )

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """As click lists them, from the table's help for the commands not loaded."""
        commands = self.commands
        assert isinstance(commands, LazyCommands)
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command, entry = commands.loaded(name), COMMANDS.get(name)
            if command is not None:
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            elif entry is not None:
                rows.append((name, make_default_short_help(entry.help, limit).strip()))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def short_help(name: str, limit: int) -> str:
    """What `deskterm --help` lists for `name` from the table alone (see the test)."""
    return make_default_short_help(COMMANDS[name].help, limit).strip()
