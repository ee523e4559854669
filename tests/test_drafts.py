"""Drafts: an engineer's unsent words survive crashes, per user, case and kind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskterm.drafts import Drafts

AT = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
DB = "sqlite:////srv/desk/deskterm.db"


def test_a_saved_draft_comes_back_exactly(tmp_path: Path) -> None:
    drafts = Drafts(DB, tmp_path)
    text = "Hello,\n\ttabs, ünïcode, \x1b[2J and [bold]markup[/bold] kept as typed\n"
    drafts.save(40100, "reply", {"text": text}, AT, base_version=7)
    again = Drafts(DB, tmp_path).get(40100, "reply")
    assert again is not None
    assert again.fields == {"text": text}
    assert (again.saved_at, again.base_version, again.kind, again.number) == (
        AT,
        7,
        "reply",
        40100,
    )


def test_drafts_are_per_case_kind_and_database(tmp_path: Path) -> None:
    drafts = Drafts(DB, tmp_path)
    drafts.save(40100, "reply", {"text": "to the customer"}, AT)
    drafts.save(40100, "note", {"text": "internal"}, AT + timedelta(seconds=5))
    drafts.save(40101, "reply", {"text": "another case"}, AT)
    assert [d.kind for d in drafts.of_case(40100)] == ["reply", "note"]  # oldest first
    assert [d.fields["text"] for d in drafts.of_case(40101)] == ["another case"]
    assert Drafts("postgresql+psycopg://desk@db/desk", tmp_path).of_case(40100) == []


def test_an_empty_editor_removes_the_draft(tmp_path: Path) -> None:
    drafts = Drafts(DB, tmp_path)
    drafts.save(40100, "call", {"text": "summary", "who": "Bob"}, AT)
    drafts.save(40100, "call", {"text": "  ", "who": ""}, AT)
    assert drafts.get(40100, "call") is None
    drafts.discard(40100, "call")  # discarding what is gone is no error


def test_a_damaged_draft_file_is_skipped_not_fatal_and_left_in_place(tmp_path: Path) -> None:
    drafts = Drafts(DB, tmp_path)
    drafts.save(40100, "reply", {"text": "words"}, AT)
    path = next(drafts.directory.glob("40100.reply.json"))
    path.write_text('{"number": 40100, "kind": "re')  # a half-written file from elsewhere
    assert drafts.of_case(40100) == []
    assert path.exists()


def test_the_drafts_directory_is_private(tmp_path: Path) -> None:
    drafts = Drafts(DB, tmp_path)
    drafts.save(40100, "reply", {"text": "words"}, AT)
    assert drafts.directory.stat().st_mode & 0o077 == 0


WRITER = """
import sys, itertools
from datetime import datetime, UTC
from pathlib import Path
from deskterm.drafts import Drafts
drafts = Drafts("db", Path(sys.argv[1]))
def save(n):
    drafts.save(40100, "reply", {"text": f"version {n} " + "x" * 20000}, datetime.now(UTC))
save(0)
print("ready", flush=True)  # a whole draft is there: what a kill must never lose
for n in itertools.count(1):
    save(n)
"""


def test_killing_the_writer_at_any_moment_leaves_a_whole_draft(tmp_path: Path) -> None:
    # kill -9 while drafts are replaced as fast as possible: the file left is always
    # one whole draft (the old one or the new one), never a torn one.
    for _ in range(5):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        draft = Drafts("db", tmp_path).get(40100, "reply")
        assert draft is not None
        assert draft.fields["text"].startswith("version ") and draft.fields["text"].endswith(
            "x" * 20000
        )
