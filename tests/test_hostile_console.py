"""Hostile text in every field, through the real console in a pseudo-terminal.

The desk of tests/hostile_desk.py holds one case per payload of tests/hostile.py, the
payload in every field a customer or a user fills. The real `deskterm` runs on it in a
pseudo-terminal (bench/ptyterm.py) and visits every screen that shows such text. Every
byte it writes is kept and, at the end, read into escape sequences
(`tests.hostile.foreign_sequences`): each must be one the console itself writes
(Textual's styles, cursor positions and modes; the clipboard only with inert text), none
may hold a payload's marker or come right before one, and the emulator's window title
is never set. After each screen the console is still running, and each field it shows
is on the emulated screen in its safe form (`␛]0;`, `⟨9B⟩`, markup as written).

Two sessions: every case's own screens, one case after another; and the desk's
screens (the queue with every row, help, breach board, SLA report, handoff, the assign
dialog, the Sev 1 wizard's caller search, the new-case form's completions). Both on
SQLite; the desk's screens on PostgreSQL too, which stores NUL differently
(tests/desk/test_hostile_text.py reads every field back on both).
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from bench.ptyterm import Terminal, TerminalError
from rich.console import Console as RichConsole
from rich.text import Text

from deskterm import settings
from deskterm.desk import queries
from deskterm.desk.context import Desk
from deskterm.models import INTAKE_FIELDS
from deskterm.safe_text import safe_line
from deskterm.sla.catalog import PolicyCatalog
from tests.desk.conftest import BACKENDS, MONDAY, drop_pg_schema, pg_engine_in_fresh_schema
from tests.hostile import (
    PAYLOADS,
    controls_in,
    decode_terminal_input,
    foreign_sequences,
    visible,
)
from tests.hostile_desk import ON_THE_BOARD, HostileCase, fill, hostile_cases
from tests.migrated import migrate_pg_schema, migrated_sqlite

DESKTERM = str(Path(sys.executable).with_name("deskterm"))
NOW = "2026-11-23T16:00:00Z"
COLS, ROWS = 160, 45  # every case a row of the queue, every field of a case on its tabs
WAIT = 30.0  # seconds a screen may take: generous, the machine is shared
MARKERS = [payload.marker for payload in PAYLOADS.values()]
CASES = hostile_cases()
HUGE = PAYLOADS["1 MB line"]
Stored = dict[str, Any]  # a case as `deskterm case show --json` gives it
BINARY = PAYLOADS["NUL"]  # a file with a NUL in it is not text: not shown


# -- the check itself, on streams made by hand ---------------------------------------------

# What Textual writes, as recorded from the console: private modes, a cursor position,
# colours, the pointer's shape, a line, and the clipboard set to an inert subject.
CONSOLE_OUTPUT = (
    "\x1b[?1049h\x1b[?25l\x1b[?2026$p\x1b[>1u\x1b[3;5H\x1b[38;2;1;2;3;48;5;17m"
    "sub00:␛]0;PWNED-OSC0␇\x1b[0m\x1b]22;default\x07\r\n"
    "\x1b]52;c;SW5jaWRlbnQjIDQwMTAwIC0gc3ViMDA64pCbXTA7UFdORUQtT1NDMOKQhw==\x07\x1b[?1049l"
)


def test_the_consoles_own_output_is_not_foreign() -> None:
    assert foreign_sequences(CONSOLE_OUTPUT) == []


@pytest.mark.parametrize(
    "name", [name for name, payload in PAYLOADS.items() if controls_in(payload.text)]
)
def test_each_payload_written_raw_is_found(name: str) -> None:
    # As a screen would write it if it skipped the sanitizer: between the console's own.
    raw = PAYLOADS[name].text
    text = decode_terminal_input(
        ("\x1b[3;5H\x1b[1msub00:" + raw + "\x1b[0m").encode("utf-8", "surrogateescape")
    )
    assert foreign_sequences(text), name


def test_markup_rendered_as_markup_is_found() -> None:
    out = io.StringIO()
    RichConsole(file=out, force_terminal=True, width=200).print(
        Text.from_markup(PAYLOADS["markup link"].text), end=""
    )
    assert [f.why for f in foreign_sequences(out.getvalue())] == [
        "not a sequence the console writes",
        "not a sequence the console writes",
    ]  # the OSC 8 that opens the link, and the one that closes it


def test_a_clipboard_of_raw_controls_and_a_byte_that_is_not_utf8_are_found() -> None:
    copied = base64.b64encode(b"Incident# 40100 - \x1b]0;x\x07").decode()
    assert foreign_sequences(f"\x1b]52;c;{copied}\x07")[0].why.startswith("clipboard set to")
    assert foreign_sequences(decode_terminal_input(b"ok \x9b2J"))[0].why == "not UTF-8"


# -- the desk --------------------------------------------------------------------------


@dataclass
class HostileDesk:
    url: str
    attachments: Path
    home: Path
    stored: dict[int, Stored]  # each case as the desk reads it back


def read_back(desk: Desk) -> dict[int, Stored]:
    return {case.number: queries.show_case(desk, case.number) for case in CASES}


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, Stored]]:
    folder = tmp_path_factory.mktemp("hostile")
    engine = migrated_sqlite(folder / "desk.db")  # the newest schema, not migrated again
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY)
    desk.attachments = folder / "attachments"
    fill(desk, folder / "files")
    stored = read_back(desk)
    engine.dispose()
    return folder, stored


@pytest.fixture
def sqlite_desk(
    sqlite_template: tuple[Path, dict[int, Stored]], tmp_path: Path
) -> Iterator[HostileDesk]:
    folder, stored = sqlite_template
    shutil.copyfile(folder / "desk.db", tmp_path / "desk.db")
    shutil.copytree(folder / "attachments", tmp_path / "attachments")
    yield HostileDesk(str(tmp_path / "desk.db"), tmp_path / "attachments", tmp_path, stored)


@pytest.fixture(params=BACKENDS)
def any_desk(
    request: pytest.FixtureRequest, sqlite_template: tuple[Path, dict[int, Stored]], tmp_path: Path
) -> Iterator[HostileDesk]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_desk")
        return
    engine, schema, admin = pg_engine_in_fresh_schema()
    try:
        migrate_pg_schema(engine)  # the migrations' recorded statements, not Alembic again
        desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY)
        desk.attachments = tmp_path / "attachments"
        fill(desk, tmp_path / "files")
        url = engine.url.render_as_string(hide_password=False)
        yield HostileDesk(url, desk.attachments, tmp_path, read_back(desk))
    finally:
        engine.dispose()
        drop_pg_schema(schema, admin)


def environment(desk: HostileDesk) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESKTERM_", "NO_COLOR"))}
    home = desk.home / "home"
    env.update(
        DESKTERM_NOW=NOW,
        DESKTERM_USER="alice",
        DESKTERM_ATTACHMENTS=str(desk.attachments),
        TZ="UTC",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
    )
    return env


# -- the console -----------------------------------------------------------------------


def first(text: str, chars: int = 24) -> str:
    """The start of a field's safe form: what fits where the screen cuts it."""
    return visible(text)[:chars]


@dataclass
class Console:
    """The real console in a pseudo-terminal, driven one named step at a time."""

    term: Terminal
    steps: list[tuple[int, str]] = field(default_factory=list)  # (bytes before it, name)
    # Each line of the screen as visible() gives it: a step asks for the screen after
    # every chunk of output, and most lines are those of the chunk before. visible()
    # line by line is visible() of the whole: it works a character at a time, and the
    # decomposition it starts with never reorders across a newline.
    _seen: dict[str, str] = field(default_factory=dict)

    def screen(self) -> str:
        lines = self.term.text()
        seen = self._seen
        for line in lines:
            if line not in seen:
                seen[line] = visible(line)
        return "\n".join(seen[line] for line in lines)

    def step(
        self,
        name: str,
        keys: str | None = None,
        shows: Iterable[str] = (),
        until: Callable[[str], bool] | None = None,
    ) -> str:
        """Type `keys`, then wait until every text of `shows` is on the screen (and `until`
        holds); the console must still be running. The screen, as compared."""
        self.steps.append((self.term.bytes_arrived, name))
        if keys:
            self.term.send(keys)
        wanted = [visible(text) for text in shows]

        def ready(term: Terminal) -> bool:
            screen = self.screen()
            return all(text in screen for text in wanted) and (until is None or until(screen))

        try:
            self.term.read_until(ready, WAIT)
        except TerminalError as error:
            screen = self.screen()
            missing = [text for text in wanted if text not in screen]
            raise AssertionError(f"{name}: not on the screen: {missing!r}\n{error}") from None
        assert self.term.alive, f"{name}: the console is gone"
        return self.screen()

    def quit(self) -> None:
        self.steps.append((self.term.bytes_arrived, "quit"))
        self.term.send("q")
        assert self.term.wait(WAIT) == 0, "the console did not quit"

    def assert_nothing_acted_on_the_terminal(self) -> None:
        self.term.text()  # everything written so far, read
        raw = bytes(self.term.raw or b"")
        text = decode_terminal_input(raw)
        found = foreign_sequences(text)
        report = [f"{self._step_at(text, each.offset)}: {each}" for each in found[:20]]
        assert not found, f"{len(found)} foreign sequence(s):\n" + "\n".join(report)
        # And the emulator's window title holds no payload. (pyte takes Textual's own
        # OSC 22, the mouse pointer's shape, for a title: ";default".)
        titles = f"{self.term.screen.title} {self.term.screen.icon_name}"
        assert not any(marker in titles for marker in MARKERS), titles

    def _step_at(self, text: str, offset: int) -> str:
        at = len(text[:offset].encode("utf-8", "surrogateescape"))
        names = [name for start, name in self.steps if start <= at]
        return names[-1] if names else "start"


@pytest.fixture
def console_on() -> Iterator[Callable[..., Console]]:
    started: list[Terminal] = []

    def start(desk: HostileDesk, cols: int = COLS, rows: int = ROWS) -> Console:
        term = Terminal(
            [DESKTERM, "--db", desk.url], cols, rows, env=environment(desk), record=True
        )
        started.append(term)
        return Console(term)

    yield start
    for term in started:
        term.close()


def queue_order(screen: str) -> list[int]:
    """The case numbers of the queue's rows, top to bottom."""
    numbers = {str(case.number) for case in CASES}
    order = []
    for line in screen.splitlines():
        found = [word for word in line.split() if word in numbers]
        if found:
            order.append(int(found[0]))
    return order


def queue_row(case: HostileCase) -> list[str]:
    # The queue's columns: organization 18 chars, subject the room left, assignee 9 (cut
    # by chars: combining marks count, so a little less shows of such a name).
    return [first(case.shown("org"), 12), first(case.shown("sub"), 40), first(case.shown("usr"), 7)]


# -- every case's screens ----------------------------------------------------------------


@dataclass(frozen=True)
class Mailed:
    """What the mail gateway made of the customer's mail on a case (it decodes headers and
    bodies, and renames files): the fields as stored, to be shown safe."""

    sender: str
    text: str
    file_names: tuple[str, str]  # the attached file's, the mail's attachment's

    @classmethod
    def of(cls, stored: Stored) -> Mailed:
        reply = [e for e in stored["events"] if e["kind"] == "customer-reply"][-1]
        names = [attachment["name"] for attachment in stored["attachments"]]
        return cls(reply["actor"], reply["text"], (names[0], names[1]))


def timeline(case: HostileCase, mailed: Mailed) -> list[str]:
    """What the timeline shows of each field (the newest events, at the bottom)."""
    if case.payload is HUGE:  # a megabyte a field: the newest events, the end of the mail
        return [first(safe_line(mailed.sender)), "W␛]0;PWNED-1MB-END␇", "(by mail)"]
    return [
        first(case.shown("usr")),  # who did it all
        first(case.shown("note")),
        first(case.shown("reply")),
        "with " + first(case.shown("who")),
        first(case.shown("call")),
        "Outcome: " + first(case.shown("out")),
        first(case.shown("sev")),
        first(case.shown("esc")),
        first(case.shown("ask")),
        "attached " + first(safe_line(mailed.file_names[0])),
        first(safe_line(mailed.sender)),
        first(safe_line(mailed.text)),
        "attached " + first(safe_line(mailed.file_names[1])),
    ]


def header(case: HostileCase) -> list[str]:
    return [
        f"Incident# {case.number}  " + first(case.shown("sub")),
        first(case.shown("org")),
        first(case.shown("ctc")),
        first(case.shown("tel")),
        "assigned to " + first(case.shown("usr")),
    ]


def intake(case: HostileCase) -> list[str]:
    if case.payload is HUGE:
        return [first(case.shown("dsc"))]
    return [first(case.shown("dsc"))] + [first(case.shown(name)) for name in INTAKE_FIELDS]


def walk_case(console: Console, case: HostileCase, row: int, stored: Stored) -> None:
    name = f"{case.payload.name} ({case.number})"
    mailed = Mailed.of(stored)
    console.step(
        f"{name}: timeline",
        "g" + "j" * row + "\r",
        shows=header(case) + timeline(case, mailed),
    )
    console.step(f"{name}: intake", "2", shows=intake(case))
    if case.payload is HUGE:  # the far end of a megabyte of description, at once
        console.step(f"{name}: intake end", "G", shows=["2 attached (tab 3)"])
    console.step(
        f"{name}: attachments",
        "3",
        shows=[
            "▊ " + first(safe_line(mailed.file_names[0])),  # a row of the list, not the timeline
            "▊ " + first(safe_line(mailed.file_names[1])),
            first(case.shown("usr"), 20),
            first(safe_line(mailed.sender), 20),
        ],
    )
    for index, (file_name, content) in enumerate(
        zip(mailed.file_names, (case.shown("fbody"), case.shown("pbody")), strict=True)
    ):
        keys = "\r" if index == 0 else "\x1b[B\r"  # down the list: the second file
        if case.payload is BINARY:
            console.step(f"{name}: attachment {index + 1}", keys, shows=["binary file:"])
            continue
        console.step(
            f"{name}: viewer {index + 1}",
            keys,
            shows=[first(safe_line(file_name), 40), "1│ " + first(content, 40), "line 1 of"],
        )
        console.step(f"{name}: viewer {index + 1} closed", "\x1b", shows=["sha256"])
    # The copy dialog shows the start of what was copied, a huge subject's too.
    copied = f"Incident# {case.number} - " + first(case.shown("sub"), 40)
    console.step(f"{name}: copy", "y", shows=[copied, "OSC 52"])
    console.step(f"{name}: copy closed", "\x1b", until=lambda screen: "OSC 52" not in screen)
    console.step(f"{name}: back", "\x1b", until=lambda screen: "All open" in screen)


# Every case's screens are walked in one console. (They were shared out over two, for
# pytest-xdist to run side by side; it now gives this file whole to one worker,
# tests/conftest.py, and the second console only started and drew the queue again.)
@pytest.mark.slow
def test_every_case_screen_shows_hostile_text_inert(
    sqlite_desk: HostileDesk, console_on: Callable[..., Console]
) -> None:
    console = console_on(sqlite_desk)
    screen = console.step("queue", shows=[text for case in CASES for text in queue_row(case)])
    order = queue_order(screen)
    assert sorted(order) == [case.number for case in CASES]
    # The binary file's notices stay a few seconds: its case comes last.
    for case in sorted(CASES, key=lambda case: case.payload is BINARY):
        walk_case(console, case, order.index(case.number), sqlite_desk.stored[case.number])
    console.quit()
    console.assert_nothing_acted_on_the_terminal()


# -- the desk's screens ------------------------------------------------------------------

# The handoff's lines whole (an escalation's reason comes after the subject), and the
# board's every engineer.
DESK_SIZE = (220, 50)
CLEAR = "\x15"  # ctrl+u: the field emptied
FIELD = "┃  "  # where an input's text starts, inside its border
BOARD = [case for case in CASES if case.payload.name in ON_THE_BOARD]


def board(console: Console) -> None:
    console.step(
        "board",
        "b",
        shows=["Next to breach"]
        + [f"#{case.number} Sev 1  " + first(case.shown("org"), 20) for case in BOARD]
        + [first(case.shown(field), 20) for case in BOARD for field in ("usr", "sub")]
        + [first(case.shown("usr"), 14) for case in CASES],  # the load per engineer
    )
    console.step("report", "s", shows=["SLA report 2026", "by severity"])
    console.step(
        "report by organization",
        "g",
        shows=["by organization"] + [first(case.shown("org"), 12) for case in CASES],
    )
    console.step("report by engineer", "g", shows=["by engineer"])
    console.step("report closed", "\x1b", until=lambda screen: "SLA report 2026" not in screen)
    console.step(
        "handoff",
        "h",
        shows=["Came in (28)"]
        + [f"#{case.number} S" for case in CASES]
        + [first(case.shown(field), 12) for case in CASES for field in ("usr", "org", "sub")],
    )
    console.step(
        "handoff, its end",
        "\x1b[F",  # end
        shows=["Open escalations (28)"]
        + [
            "product-support-engineer: " + first(case.shown("esc"), 16)
            for case in CASES
            if case.payload is not HUGE  # its subject fills the line
        ],
    )
    console.step("handoff closed", "\x1b", shows=["Next to breach"])
    console.step("board closed", "\x1b", shows=["All open"])


def typing(console: Console, name: str, typed: str, shows: list[str]) -> None:
    """Type into the focused input; wait for the input to hold it, and for `shows`."""
    console.step(name, typed, shows=[FIELD + typed, *shows])


def clearing(console: Console, name: str, shows: list[str] | None = None, field: str = "") -> None:
    """Empty the focused input, on its own: a key bound to an action (ctrl+u) may be
    acted on after the letters typed in the same burst, so the next keys wait until
    `field` (its label) shows empty."""
    console.step(
        name, CLEAR, shows=shows or (), until=lambda screen: not field or emptied(screen, field)
    )


def emptied(screen: str, label: str) -> bool:
    """The focused input labelled `label` shows nothing: the line under its heavy top
    border is the heavy side borders and blanks. Said of that very line, because a frame
    may be half read: the new top border already there, the line under it (the field's
    text, the light border) still the old frame's, or the input focused before still
    heavy and empty further down. Waiting for the text to be gone passed on such a half
    frame, before ctrl+u had been acted on, and the next name typed was then emptied."""
    lines = screen.splitlines()
    for above, line in zip(lines, lines[1:], strict=False):
        if f"┏━ {label}" in above:
            # (what follows the right border may be the emulator's leftover of a
            # line it drew wider: pyte counts some zero-width characters as one)
            return re.match(r"\s*┃\s+┃", line) is not None
    return False


def assign_dialog(console: Console, stored: dict[int, Stored]) -> None:
    console.step("a case", "g\r", shows=[f"Incident# {CASES[0].number}"])
    console.step("assign", "a", shows=["users on this desk"])
    for case in CASES:
        sender = Mailed.of(stored[case.number]).sender
        for label, name in (("usr", case.shown("usr")), ("from", safe_line(sender))):
            what = f"{label} of {case.payload.name}"
            typing(console, f"assign: {what}", f"{label}{case.index:02d}", [first(name)])
            clearing(console, f"assign: cleared after {what}", shows=[FIELD + "a name"])
    console.step("assign closed", "\x1b", until=lambda screen: "users on this desk" not in screen)
    console.step("case closed", "\x1b", shows=["All open"])


def sev1_callers(console: Console) -> None:
    console.step("sev 1 call", "!", shows=["step 1/8"])
    for case in CASES:
        name = case.payload.name
        caller, org = first(case.shown("ctc"), 20), first(case.shown("org"), 20)
        typing(console, f"caller search: {name}", f"ctc{case.index:02d}", [caller, org])
        if case in BOARD:
            console.step(
                f"entitlement: {name}",
                "\r",
                shows=["step 2/8", "caller: " + first(case.shown("ctc")), first(case.shown("org"))],
            )
            console.step(f"entitlement left: {name}", "\x1b", shows=["step 1/8"])
        clearing(console, f"caller search cleared: {name}", [FIELD + "name, organization"])
    console.step("end the call?", "\x18", shows=["End the call?"])
    console.step("call ended", "y", shows=["All open"])


def new_case_completions(console: Console) -> None:
    console.step("new case", "n", shows=["New case"])
    for case in CASES:
        name = case.payload.name
        org = first(case.shown("org"))  # typed, and the rest completed
        console.step(f"organization completed: {name}", f"org{case.index:02d}", shows=[FIELD + org])
        if case in BOARD:  # taken, then the contact completed
            console.step(
                f"organization taken: {name}",
                "\x1b[C\r",  # right: the completion; enter: the next field
                # The contact's heavy border: keys typed before the focus has moved
                # still go to the organization (Textual routes a key to the widget
                # focused when the key arrives), so the next keys wait for it.
                shows=["contract current", "┏━ contact"],
            )
            contact = first(case.shown("ctc"))
            console.step(
                f"contact completed: {name}", f"ctc{case.index:02d}", shows=[FIELD + contact]
            )
            clearing(console, f"contact cleared: {name}", field="contact")
            console.step(  # shift+tab: the focused field has the heavy border
                f"back to the organization: {name}", "\x1b[Z", shows=["┏━ organization"]
            )
        clearing(console, f"organization cleared: {name}", field="organization")
    console.step("discard?", "\x18", shows=["Discard this new case"])
    console.step("discarded", "y", shows=["All open"])


@pytest.mark.slow
def test_the_desks_screens_show_hostile_text_inert(
    any_desk: HostileDesk, console_on: Callable[..., Console]
) -> None:
    console = console_on(any_desk, *DESK_SIZE)
    console.step("queue", shows=[text for case in CASES for text in queue_row(case)])
    console.step("help", "?", shows=["Filter (/)"])
    console.step("help closed", "\x1b", until=lambda screen: "Filter (/)" not in screen)
    board(console)
    assign_dialog(console, any_desk.stored)
    sev1_callers(console)
    new_case_completions(console)
    console.quit()
    console.assert_nothing_acted_on_the_terminal()
