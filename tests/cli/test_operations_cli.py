"""`deskterm doctor`, `deskterm backup` and `deskterm restore`, as an administrator uses them.

One demo desk is built per module through the command line and copied for each test.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from deskterm import settings
from deskterm.desk import cases
from deskterm.desk.context import Desk
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from tests.cli.runner import invoke
from tests.cli.test_case_cli import NOW, dump

TABLES = (
    "organizations",
    "contacts",
    "policy_versions",
    "cases",
    "events",
    "attachments",
    "counters",
)


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "desk.db"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DESKTERM_NOW", NOW)
        code, _, err = invoke(["--db", str(db), "demo", "--cases", "25"])
    assert code == 0, err
    return db


@pytest.fixture
def db(demo_desk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKTERM_NOW", NOW)
    copy = tmp_path / "desk" / "deskterm.db"
    copy.parent.mkdir()
    with closing(sqlite3.connect(demo_desk)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)  # the file alone may lack what is still in its WAL
    os.chmod(copy, 0o600)
    return copy


def run(db: Path, *args: str) -> tuple[int, str, str]:
    return invoke(["--db", str(db), *args])


def doctor(db: Path | str) -> tuple[int, dict[str, Any]]:
    code, out, err = invoke(["--db", str(db), "doctor", "--json"])
    assert err == ""
    report = json.loads(out)
    return code, {check["name"]: check for check in report["checks"]}


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with closing(sqlite3.connect(db)) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608
            for table in TABLES
        }


# --- doctor ---------------------------------------------------------------------------


def test_doctor_passes_a_healthy_desk_with_one_line_per_check(db: Path) -> None:
    code, out, _ = run(db, "doctor")
    assert code == 0, out
    lines = out.splitlines()
    names = [line.split(":")[0].split(maxsplit=1)[1] for line in lines]
    assert names == [
        "database location",
        "SQLite library",
        "file modes",
        "free space",
        "database file",
        "migrations",
        "integrity",
        "audit trail",
        "case versions",
        "search index",
        "counters",
        "SLA outcomes",
        "policy versions",
        "policies",
        "time zones",
    ]
    for line in lines:
        assert line.split()[0] in ("OK", "WARN")
    assert "ok" in next(line for line in lines if "integrity" in line)
    assert "America/Denver" in next(line for line in lines if "time zones" in line)


def test_doctor_fails_a_database_anyone_on_the_host_can_read(db: Path) -> None:
    os.chmod(db, 0o644)
    code, checks = doctor(db)
    assert code == 1
    assert checks["file modes"]["status"] == "fail"
    assert f"chmod o-rwx {db}" in checks["file modes"]["advice"]


def test_doctor_fails_a_damaged_database_and_names_the_problem(db: Path) -> None:
    size = db.stat().st_size
    with db.open("r+b") as file:  # scribble over every page but the schema's
        file.seek(4096)
        file.write(os.urandom(size - 4096))
    code, checks = doctor(db)
    assert code == 1, checks
    assert checks["integrity"]["status"] == "fail"
    assert "restore" in checks["integrity"]["advice"]


def test_doctor_fails_a_schema_written_by_a_newer_deskterm(db: Path) -> None:
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    code, checks = doctor(db)
    assert code == 1
    assert checks["migrations"]["status"] == "fail"
    assert "9999_future" in checks["migrations"]["message"]


def test_doctor_warns_of_pending_migrations_and_names_the_command(db: Path) -> None:
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    code, checks = doctor(db)
    assert code == 0
    assert checks["migrations"]["status"] == "warn"
    assert "0002_hardening" in checks["migrations"]["message"]
    assert "deskterm db upgrade" in checks["migrations"]["advice"]


def test_doctor_lists_a_broken_policy_file_with_its_problems(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "mars.toml").write_text(
        'name = "mars"\ntimezone = "Mars/Olympus_Mons"\n'
        '[calendars.office]\nhours = { mon = "09:00-17:00" }\n'
        '[severity.1]\ncalendar = "office"\nfirst_response = "1h"\n'
    )
    monkeypatch.setenv("DESKTERM_POLICIES", str(tmp_path / "policies"))
    code, checks = doctor(db)
    assert code == 1
    assert checks["policy mars"]["status"] == "fail"
    assert "Mars/Olympus_Mons" in checks["policy mars"]["message"]
    assert checks["policies"]["status"] == "ok"  # the presets still load


def test_doctor_warns_only_of_a_database_not_created_yet(tmp_path: Path) -> None:
    code, checks = doctor(tmp_path / "new" / "deskterm.db")
    assert code == 0
    assert checks["database location"]["status"] == "warn"
    assert "integrity" not in checks


@pytest.mark.skipif(not os.environ.get("DESKTERM_TEST_PG"), reason="DESKTERM_TEST_PG not set")
def test_doctor_reaches_a_postgresql_server_and_names_its_version() -> None:
    code, checks = doctor(os.environ["DESKTERM_TEST_PG"])
    assert code == 0
    assert checks["database connection"]["status"] == "ok"
    assert checks["server version"]["message"].startswith("PostgreSQL ")


def test_doctor_fails_a_postgresql_server_it_cannot_reach() -> None:
    code, checks = doctor("postgresql+psycopg://nobody@127.0.0.1:1/desk")
    assert code == 1
    assert checks["database connection"]["status"] == "fail"
    assert "127.0.0.1:1" in checks["database connection"]["message"]


# --- backup and restore -----------------------------------------------------------------


def test_a_restored_backup_holds_every_row_of_every_table(db: Path, tmp_path: Path) -> None:
    backup = tmp_path / "monday.bak"
    code, out, err = run(db, "backup", str(backup))
    assert code == 0, err
    assert "25 case(s)" in out and "integrity ok" in out
    assert backup.stat().st_mode & 0o077 == 0  # as private as the database
    elsewhere = tmp_path / "elsewhere" / "deskterm.db"
    elsewhere.parent.mkdir()
    code, out, err = run(elsewhere, "restore", str(backup))
    assert code == 0, err
    assert rows(elsewhere) == rows(db)
    assert dump(elsewhere) == dump(db)
    assert run(elsewhere, "case", "show", "40100")[0] == 0
    # The policy versions the cases run under came along (issue 22).
    versions = rows(elsewhere)["policy_versions"]
    assert versions and {row[2] for row in versions} == {1}
    assert json.loads(run(elsewhere, "case", "show", "40100", "--json")[1])["policy_version"] == 1


def test_a_restored_desk_finds_the_words_of_its_text_attachments(db: Path, tmp_path: Path) -> None:
    """The search index (the words of attached logs too) comes back with the desk."""
    log = tmp_path / "agent.log"
    log.write_text("start\nkerberos preauth rejected for svc-sync\n", encoding="utf-8")
    assert run(db, "case", "attach", "40100", str(log))[0] == 0
    backup = tmp_path / "monday.bak"
    assert run(db, "backup", str(backup))[0] == 0
    elsewhere = tmp_path / "elsewhere" / "deskterm.db"
    elsewhere.parent.mkdir()
    assert run(elsewhere, "restore", str(backup))[0] == 0
    code, out, err = run(elsewhere, "search", "preauth", "--json")
    assert code == 0, err
    found = [(hit["number"], hit["where"]) for hit in json.loads(out)]
    assert found == [(40100, "in agent.log")]
    assert doctor(elsewhere)[1]["search index"]["status"] == "ok"


def test_backup_refuses_to_overwrite_a_file_without_force(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "existing.bak"
    target.write_text("my notes")
    code, out, err = run(db, "backup", str(target))
    assert (code, out) == (2, "")
    assert "--force" in err and len(err.splitlines()) == 1
    assert target.read_text() == "my notes"
    assert run(db, "backup", str(target), "--force")[0] == 0
    assert rows(target) == rows(db)


def test_backup_is_consistent_while_another_engineer_keeps_writing(
    db: Path, tmp_path: Path
) -> None:
    engine = make_engine(database_url(str(db)))
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "bob")
    stop = threading.Event()
    written = []

    def keep_writing() -> None:
        while not stop.is_set():
            written.append(cases.note(desk, 40100 + len(written) % 25, "still here").version)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        backups = []
        for number in range(4):
            backups.append(tmp_path / f"b{number}.bak")
            code, _, err = run(db, "backup", str(backups[-1]))
            assert code == 0, err
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    assert written, "the writer wrote nothing while the backups ran"
    for backup in backups:
        with closing(sqlite3.connect(backup)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            # Every case's version has its change events, none more: a snapshot.
            mismatched = connection.execute(
                "SELECT c.number FROM cases c WHERE c.version != "
                "(SELECT count(DISTINCT e.version) FROM events e WHERE e.case_id = c.id)"
            ).fetchall()
            assert mismatched == []


def test_restore_refuses_to_replace_a_desk_without_force_and_keeps_a_copy_with_it(
    db: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "monday.bak"
    assert run(db, "backup", str(backup))[0] == 0
    before = rows(db)
    assert run(db, "case", "note", "40100", "written after the backup")[0] == 0
    after_note = rows(db)

    code, out, err = run(db, "restore", str(backup))
    assert (code, out) == (2, "")
    assert "--force" in err
    assert rows(db) == after_note

    code, out, err = run(db, "restore", str(backup), "--json")
    assert code == 2
    code, out, err = run(db, "restore", str(backup), "--force", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert rows(db) == before
    assert rows(Path(report["kept"])) == after_note  # what was overwritten is not lost


def test_restore_is_seen_at_once_by_an_engine_that_has_the_desk_open(
    db: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "monday.bak"
    assert run(db, "backup", str(backup))[0] == 0
    engine = make_engine(database_url(str(db)))
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "bob")
    try:
        cases.note(desk, 40100, "after the backup")
        assert run(db, "restore", str(backup), "--force")[0] == 0
        with engine.connect() as connection:
            texts = connection.exec_driver_sql("SELECT text FROM events").scalars().all()
        assert "after the backup" not in texts
        cases.note(desk, 40100, "after the restore")  # the open desk keeps working
    finally:
        engine.dispose()
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not a database at all", "is not an SQLite database"),
        (None, "not a deskterm desk"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_deskterm_desk(
    db: Path, tmp_path: Path, content: bytes | None, expected: str
) -> None:
    stranger = tmp_path / "stranger.db"
    if content is None:
        with closing(sqlite3.connect(stranger)) as connection:
            connection.execute("CREATE TABLE recipes (name TEXT)")
    else:
        stranger.write_bytes(content)
    before = rows(db)
    code, out, err = run(db, "restore", str(stranger), "--force")
    assert (code, out) == (2, "")
    assert expected in err and len(err.splitlines()) == 1
    assert rows(db) == before


def test_restore_refuses_a_desk_from_a_newer_deskterm(db: Path, tmp_path: Path) -> None:
    future = tmp_path / "future.db"
    shutil.copy(db, future)
    with closing(sqlite3.connect(future)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    code, _, err = run(db, "restore", str(future), "--force")
    assert code == 2 and "9999_future" in err


def test_restore_of_a_missing_file_or_a_directory_says_so(db: Path, tmp_path: Path) -> None:
    assert "does not exist" in run(db, "restore", str(tmp_path / "nope.bak"))[2]
    assert "is not a file" in run(db, "restore", str(tmp_path))[2]
    assert "is a directory" in run(db, "backup", str(tmp_path))[2]


def test_backup_and_restore_point_a_postgresql_desk_to_its_own_tools() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/desk"
    code, out, err = invoke(["--db", url, "backup", "x.bak"])
    assert (code, out) == (2, "") and "pg_dump" in err
    code, out, err = invoke(["--db", url, "restore", "x.bak"])
    assert (code, out) == (2, "") and "pg_restore" in err


def test_db_recount_rewrites_counters_the_doctor_found_wrong(db: Path) -> None:
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE desk_counts SET cases = cases + 3 WHERE severity = 2")
    code, checks = doctor(db)
    assert code == 1 and checks["counters"]["status"] == "fail"
    assert "deskterm db recount" in checks["counters"]["advice"]
    assert checks["SLA outcomes"]["status"] == "ok"
    code, out, _ = run(db, "db", "recount")
    assert code == 0 and "were wrong" in out
    code, checks = doctor(db)
    assert code == 0 and checks["counters"]["status"] == "ok", checks


def test_doctor_clocks_replays_every_case_and_names_a_stored_clock_its_events_do_not_give(
    db: Path,
) -> None:
    # Issue 19: import checks a file's stored clocks against its events; the doctor
    # checks a live desk the same way when asked (it replays every case).
    code, checks = doctor(db)
    assert "case clocks" not in checks  # replaying is asked for, not done by default
    code, out, err = run(db, "doctor", "--json", "--clocks")
    assert code == 0, out + err
    clocks = {c["name"]: c for c in json.loads(out)["checks"]}["case clocks"]
    assert clocks["status"] == "ok" and clocks["message"].startswith("25 case(s)")
    with closing(sqlite3.connect(db)) as connection, connection:
        number = connection.execute(
            "SELECT number FROM cases WHERE first_response_due IS NOT NULL ORDER BY number LIMIT 1"
        ).fetchone()[0]
        connection.execute(
            "UPDATE cases SET first_response_due = '2030-01-01 00:00:00.000000' WHERE number = ?",
            (number,),
        )
    code, out, err = run(db, "doctor", "--clocks")
    assert code == 1
    line = next(line for line in out.splitlines() if "case clocks" in line)
    assert line.startswith(f"FAIL case clocks: case {number}: its stored first_response_due")
    assert "restore the newest backup" in line
