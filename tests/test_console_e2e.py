"""The real `deskterm` in a pseudo-terminal, read through a terminal emulator (pyte),
driven by key presses: what someone on an SSH session gets."""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench.ptyterm import Terminal

from deskterm import settings
from deskterm.desk import cases, directory
from deskterm.desk.context import Desk
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade
from tests.hostile import PAYLOADS

NOW = "2026-11-23T16:00:00Z"
DESKTERM = str(Path(sys.executable).with_name("deskterm"))

# Eight cases with hostile subjects before the one the tests work on (40108); what
# reaches the terminal of every field and screen is tests/test_hostile_console.py's.
SUBJECTS = [
    PAYLOADS[name].text
    for name in (
        "OSC 0 title",
        "OSC 8 hyperlink",
        "OSC 52 clipboard",
        "CSI clear screen",
        "CSI cursor report",
        "8-bit CSI",
        "RIS reset",
        "markup link",
    )
]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "desk.db"
    engine = make_engine(database_url(str(path)))
    now = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    upgrade(engine, now)
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: now)
    directory.add_organization(desk, "Acme", "business-hours-3")
    directory.add_contact(desk, "Bob", "Acme")
    for index, subject in enumerate(SUBJECTS):
        cases.open_case(
            desk, organization="Acme", contact="Bob", severity=1 + index % 3, subject=subject
        )
    cases.open_case(
        desk, organization="Acme", contact="Bob", severity=1, subject="Payroll export fails"
    )
    engine.dispose()
    return path


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESKTERM_", "NO_COLOR"))}
    env.update(
        DESKTERM_NOW=NOW,
        DESKTERM_USER="alice",
        TZ="UTC",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    return env


def screen(term: Terminal) -> str:
    return "\n".join(term.text())


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_a_user_works_the_queue_over_a_terminal(
    database: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    cols, rows = size
    with Terminal(
        [DESKTERM, "--db", str(database)], cols, rows, env=environment(tmp_path), record=True
    ) as term:
        term.read_until(lambda t: "Payroll export fails" in screen(t), 20)
        text = screen(term)
        assert "Sev 1" in text and "40108" in text
        if cols < 100:
            assert "hidden columns:" in text
        # Filter to one case, open it, come back.
        term.send("/")
        term.read_until(lambda t: "filter:" in screen(t) or "▊" in screen(t), 5)
        term.send("payroll")
        term.read_until(lambda t: "40100" not in screen(t) and "40108" in screen(t), 10)
        term.send("\r")  # done typing: back to the list
        term.wait_quiet(100)
        term.send("\r")  # open the selected case
        term.read_until(lambda t: "Incident# 40108  Payroll export fails" in screen(t), 10)
        term.read_until(lambda t: "Timeline 1" in screen(t), 10)
        # Reply: the editor, the words, ctrl+s; the reply is in the timeline and the
        # first-response clock is met.
        term.send("r")
        term.read_until(lambda t: "Reply to the customer" in screen(t), 10)
        term.send("Calling you now.")
        term.send("\x13")  # ctrl+s
        term.read_until(
            lambda t: (
                "Timeline 2" in screen(t)
                and "Calling you now." in screen(t)
                and "✓ first response" in screen(t)
            ),
            10,
        )
        term.send("\x1b")
        term.read_until(lambda t: "Incident# 40108" not in screen(t), 10)
        term.send("q")
        assert term.wait(10) == 0


def test_a_reply_being_typed_survives_a_killed_terminal(database: Path, tmp_path: Path) -> None:
    # The SSH session drops mid-sentence (the process is killed outright): the next
    # console offers the words back when the case is opened again.
    command = [DESKTERM, "--db", str(database), "open", "40108"]
    with Terminal(command, 80, 24, env=environment(tmp_path)) as term:
        term.read_until(lambda t: "Timeline 1" in screen(t), 20)
        term.send("r")
        term.read_until(lambda t: "Reply to the customer" in screen(t), 10)
        term.wait_quiet(200)
        term.send("Half a sentence when the line drop")
        term.read_until(lambda t: "draft saved" in screen(t), 10)
        os.kill(term.pid, signal.SIGKILL)
        term.wait(5)
    with Terminal(command, 80, 24, env=environment(tmp_path)) as term:
        term.read_until(lambda t: "Half a sentence when the line drop" in screen(t), 20)
        term.wait_quiet(200)  # a person reads the offer before answering it
        term.send("\r")  # resume it
        term.read_until(lambda t: "Reply to the customer" in screen(t), 10)
        term.wait_quiet(200)
        term.send("ped.")
        term.send("\x13")
        term.read_until(
            lambda t: (
                "Timeline 2" in screen(t) and "Half a sentence when the line dropped." in screen(t)
            ),
            10,
        )
        term.send("\x1b")
        term.read_until(lambda t: "Incident# 40108" not in screen(t), 10)
        term.send("q")
        assert term.wait(10) == 0


def test_a_sev1_call_survives_a_killed_terminal(database: Path, tmp_path: Path) -> None:
    # `deskterm sev1`, the caller found and checked; the line drops while the product
    # is typed. The next console offers the call back at the same step.
    env = environment(tmp_path)
    with Terminal([DESKTERM, "--db", str(database), "sev1"], 80, 24, env=env) as term:
        term.read_until(lambda t: "step 1/8" in screen(t), 20)
        term.wait_quiet(200)
        term.send("bob")
        term.read_until(lambda t: "Bob  Acme" in screen(t), 10)
        term.send("\r")
        term.read_until(lambda t: "step 2/8" in screen(t), 10)
        term.wait_quiet(200)
        term.send("\r")
        term.read_until(lambda t: "step 3/8" in screen(t), 10)
        term.wait_quiet(200)
        term.send("y")
        term.read_until(lambda t: "step 4/8" in screen(t), 10)
        term.wait_quiet(200)
        term.send("Ledger")
        term.read_until(lambda t: "Ledger" in screen(t), 10)
        term.wait_quiet(1000)  # saved a moment after the last key
        os.kill(term.pid, signal.SIGKILL)
        term.wait(5)
    with Terminal([DESKTERM, "--db", str(database)], 80, 24, env=env) as term:
        term.read_until(lambda t: "A Severity 1 call was in progress" in screen(t), 20)
        assert "stopped at step 4/8" in screen(term)
        term.wait_quiet(200)
        term.send("\r")
        term.read_until(lambda t: "step 4/8" in screen(t) and "Ledger" in screen(t), 10)
        assert "caller: Bob · Acme" in screen(term)


def test_a_bug_in_the_console_is_one_line_a_crash_file_and_exit_70(
    database: Path, tmp_path: Path
) -> None:
    # A bug (here one put into the clock's tick, with customer-like text and a control
    # sequence in its message) ends the console as crash.py promises every command: one
    # line on the terminal, the traceback in the private crash file, exit code 70 (not
    # 0, which told scripts and the shell all was well), and no traceback with its
    # locals, where customer text lives, on the user's screen.
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import deskterm.app\n"
        "def _tick(self):\n"
        "    raise RuntimeError('a bug in the tick \\x1b]0;pwned\\x07 for Bob')\n"
        "deskterm.app.DesktermApp._tick = _tick\n"
    )
    env = environment(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
    with Terminal([DESKTERM, "--db", str(database)], 100, 30, env=env) as term:
        code = term.wait(30)
        term.wait_quiet(100)
        shown = screen(term)
    assert code == 70, shown
    assert "deskterm: internal error (a bug, please report it): RuntimeError" in shown
    assert "Traceback" not in shown and "_tick" not in shown, shown
    crash = tmp_path / "state" / "deskterm" / "last-crash.txt"
    assert "RuntimeError: a bug in the tick" in crash.read_text()
