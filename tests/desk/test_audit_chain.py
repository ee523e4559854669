"""The audit trail cannot be rewritten: every SQL path that would change or replace an
event is refused (SQLite's REPLACE included), and a rewrite made with the triggers
dropped breaks the hash chain, which `deskterm doctor` and `deskterm import` name."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from deskterm import settings
from deskterm.desk import cases, doctor, transfer
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.store import chain
from deskterm.store.chain import first_break

SQLITE_FORGERIES = [
    "REPLACE INTO events (id, case_id, version, at, actor, kind, text) "
    "SELECT id, case_id, version, at, 'mallory', kind, 'forged' FROM events WHERE id = :id",
    "INSERT OR REPLACE INTO events (id, case_id, version, at, actor, kind, text) "
    "SELECT id, case_id, version, at, 'mallory', kind, 'forged' FROM events WHERE id = :id",
    "INSERT INTO events (id, case_id, version, at, actor, kind, text) "
    "SELECT id, case_id, version, at, actor, kind, text FROM events WHERE id = :id "
    "ON CONFLICT (id) DO UPDATE SET text = 'forged'",
    "UPDATE events SET text = 'forged' WHERE id = :id",
    "UPDATE OR REPLACE events SET text = 'forged' WHERE id = :id",
    "DELETE FROM events WHERE id = :id",
]
SERVER_FORGERIES = [
    "INSERT INTO events (id, case_id, version, at, actor, kind, text) "
    "SELECT id, case_id, version, at, actor, kind, text FROM events WHERE id = :id "
    "ON CONFLICT (id) DO UPDATE SET text = 'forged'",
    "UPDATE events SET text = 'forged' WHERE id = :id",
    "DELETE FROM events WHERE id = :id",
]


def open_case(desk: Desk) -> int:
    return cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="Disk full"
    ).number


def event_rows(desk: Desk) -> list[tuple[object, ...]]:
    with desk.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("SELECT * FROM events ORDER BY id"))]


def test_every_forging_statement_is_refused(desk: Desk) -> None:
    number = open_case(desk)
    cases.note(desk, number, "the real note")
    before = event_rows(desk)
    target = before[-1][0]
    statements = SQLITE_FORGERIES if desk.engine.dialect.name == "sqlite" else SERVER_FORGERIES
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), desk.engine.begin() as connection:
            connection.execute(text(statement), {"id": target})
    assert event_rows(desk) == before


def test_every_event_follows_its_case_chain(desk: Desk) -> None:
    first, second = open_case(desk), open_case(desk)
    cases.note(desk, first, "one")
    cases.reply(desk, second, "two")
    cases.move(desk, first, "open")
    with desk.engine.connect() as connection:
        rows = list(
            connection.execute(text("SELECT * FROM events ORDER BY case_id, id")).mappings()
        )
    assert rows and all(row["hash"] for row in rows)
    assert first_break(rows) is None
    assert len({row["hash"] for row in rows}) == len(rows)


def sqlite_path(desk: Desk) -> Path:
    return Path(desk.engine.url.database or "")


def forge_behind_the_triggers(desk: Desk, sql: str) -> None:
    """What someone with the file and the sqlite3 shell can do."""
    desk.engine.dispose()
    with closing(sqlite3.connect(sqlite_path(desk))) as connection:
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute("DROP TRIGGER events_no_delete")
        connection.execute(sql)
        connection.commit()


def audit(desk: Desk) -> dict[str, doctor.Check]:
    url = desk.engine.url.render_as_string(hide_password=False)
    return {check.name: check for check in doctor.examine(url, settings.policy_dirs())}


@pytest.mark.parametrize(
    ("forgery", "named"),
    [
        ("UPDATE events SET text = 'forged' WHERE id = {second}", "event {second}"),
        ("UPDATE events SET actor = 'mallory' WHERE id = {first}", "event {first}"),
        ("DELETE FROM events WHERE id = {first}", "event {second}"),
    ],
)
def test_doctor_names_the_case_and_event_of_a_rewrite_made_with_the_triggers_dropped(
    desk: Desk, forgery: str, named: str
) -> None:
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("the file edited with the sqlite3 shell")
    number = open_case(desk)
    cases.note(desk, number, "the real note")
    cases.note(desk, number, "and another")
    ids = [row[0] for row in event_rows(desk)]
    assert audit(desk)["audit trail"].status == "ok"
    first, second = ids[0], ids[1]
    forge_behind_the_triggers(desk, forgery.format(first=first, second=second))
    check = audit(desk)["audit trail"]
    assert check.status == "fail"
    assert f"case {number}" in check.message
    assert named.format(first=first, second=second) in check.message


def test_doctor_finds_a_case_version_that_disagrees_with_its_events(desk: Desk) -> None:
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("the file edited with the sqlite3 shell")
    number = open_case(desk)
    cases.note(desk, number, "the real note")
    assert audit(desk)["case versions"].status == "ok"
    forge_behind_the_triggers(desk, f"UPDATE cases SET version = 52 WHERE number = {number}")
    check = audit(desk)["case versions"]
    assert check.status == "fail" and f"case {number}: version 52" in check.message


def exported_case(desk: Desk, tmp_path: Path) -> tuple[int, list[str]]:
    """A case with a note, and the desk's export file, line by line."""
    number = open_case(desk)
    cases.note(desk, number, "the real note")
    path = tmp_path / "desk.jsonl"
    with path.open("w", encoding="utf-8") as out:
        transfer.export_desk(desk, out)
    return number, path.read_text(encoding="utf-8").splitlines()


def first_of(lines: list[str], table: str) -> int:
    return next(i for i, line in enumerate(lines) if json.loads(line).get("table") == table)


def test_export_carries_the_chain_and_import_refuses_a_rewritten_event(
    desk: Desk, tmp_path: Path
) -> None:
    number, lines = exported_case(desk, tmp_path)
    events = [i for i, line in enumerate(lines) if json.loads(line).get("table") == "events"]
    assert all(json.loads(lines[i])["row"]["hash"] for i in events)
    transfer.check_lines(lines)  # the file as written checks
    forged = json.loads(lines[events[-1]])
    forged["row"]["text"] = "forged"
    lines[events[-1]] = json.dumps(forged)
    with pytest.raises(DeskError, match=f"case {number}.*event {forged['row']['id']}"):
        transfer.check_lines(lines)


def test_import_refuses_a_case_whose_version_disagrees_with_its_events(
    desk: Desk, tmp_path: Path
) -> None:
    number, lines = exported_case(desk, tmp_path)
    at = first_of(lines, "cases")
    raised = json.loads(lines[at])
    raised["row"]["version"] += 50
    lines[at] = json.dumps(raised)
    with pytest.raises(DeskError, match=f"case {number}: version 52"):
        transfer.check_lines(lines)


def test_import_refuses_a_case_whose_clocks_disagree_with_its_events(
    desk: Desk, tmp_path: Path
) -> None:
    number, lines = exported_case(desk, tmp_path)
    at = first_of(lines, "cases")
    moved = json.loads(lines[at])
    assert moved["row"]["first_response_due"] is not None
    moved["row"]["first_response_due"] = "2027-01-01T00:00:00.000000Z"  # a deadline pushed
    lines[at] = json.dumps(moved)
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DeskError, match=f"case {number}: its stored first_response_due"):
        transfer.import_file(desk, forged)


@pytest.mark.parametrize(
    "content",
    [
        [1, 2, "2026-11-20T15:00:00.000000Z", "asha", "reply", None, None, None, "Hi Ana"],
        [
            7,
            1,
            "2026-11-20T15:00:00.000000Z",
            "bø",
            "note",
            "f",
            '"quoted" \\ back',
            "é",
            "\x00\x1f\u2028",
        ],
        [2**40, 0, "", "", "", "", "\ud800 lone surrogate", "😀 emoji", "tab\tnew\nline"],
    ],
)
def test_a_bulk_loads_hasher_gives_each_event_the_hash_of_the_chain(content: list[Any]) -> None:
    # deskterm.desk.demo hashes millions of events with ContentHasher: the chain that
    # `doctor` walks must find the same hashes, repeated texts or not.
    hasher = chain.ContentHasher()
    for previous in (chain.START, "ab" * 32):
        assert hasher(previous, content) == chain.content_hash(previous, content)
        assert hasher(previous, content) == chain.content_hash(previous, content)  # remembered
        assert hasher.event(previous, *content) == chain.content_hash(previous, content)
        assert hasher.event(previous, *content) == chain.content_hash(previous, content)
