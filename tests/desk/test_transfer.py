"""`deskterm export` / `deskterm import`: a desk moves between SQLite and PostgreSQL
with identical contents, and a bad file imports nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from deskterm import settings
from deskterm.cli import app
from deskterm.desk import (
    attachments,
    cases,
    demo,
    directory,
    policy_apply,
    queries,
    search,
    transfer,
)
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.models import SlaFirstResponseState
from deskterm.sla import parse_policy
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade
from tests.desk.conftest import MONDAY, drop_pg_schema, pg_engine_in_fresh_schema

HAS_PG = bool(os.environ.get("DESKTERM_TEST_PG"))
Fresh = Callable[[str], Desk]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Fresh]:
    """New, empty, migrated desks: fresh("sqlite") or fresh("postgresql")."""
    engines: list[Engine] = []
    drops: list[Callable[[], None]] = []

    def make(kind: str) -> Desk:
        if kind == "sqlite":
            engine = make_engine(database_url(str(tmp_path / f"desk{len(engines)}.db")))
        else:
            engine, schema, admin = pg_engine_in_fresh_schema()

            drops.append(lambda schema=schema, admin=admin: drop_pg_schema(schema, admin))
        engines.append(engine)
        upgrade(engine, MONDAY)
        return Desk(
            engine,
            PolicyCatalog(settings.policy_dirs()),
            "tester",
            now=lambda: MONDAY,
            attachments=tmp_path / f"files{len(engines)}",
        )

    yield make
    for engine in engines:
        engine.dispose()
    for drop in drops:
        drop()


def url(desk: Desk) -> str:
    return desk.engine.url.render_as_string(hide_password=False)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def filled(desk: Desk, tmp_path: Path) -> None:
    demo.fill(desk, 40, seed=5)
    number = cases.open_case(
        desk, organization=demo_org(desk), contact=None, severity=2, subject="Odd text"
    ).number
    # Text as typed, whatever it holds: NUL, a line separator, non-Latin, an escape.
    cases.note(desk, number, 'NUL \x00 here\u2028next line, ß, 日本, \x1b[31m, \\ and "')
    log = tmp_path / "server.log"
    log.write_text("boot\nfailed\n", encoding="utf-8")
    attachments.attach(desk, number, log)
    # A second version of the case's policy, applied: its open cases run under it,
    # its closed ones under version 1 (issue 22). The file carries both.
    policy = desk.policy(queries.show_case(desk, number)["policy"])
    edited = parse_policy(policy.text + "\n# edited\n", str(tmp_path / "edited.toml"))
    assert policy_apply.apply(desk, edited).version == 2


def demo_org(desk: Desk) -> str:
    return next(o.name for o in directory.organizations(desk) if o.contract_current(MONDAY.date()))


def export(desk: Desk, path: Path) -> bytes:
    code, out, err = cli("--db", url(desk), "export", str(path))
    assert code == 0, err
    assert "exported" in out
    assert path.stat().st_mode & 0o077 == 0  # the whole desk: its owner's only
    return path.read_bytes()


def first_response_states(desk: Desk) -> list[Any]:
    table = SlaFirstResponseState.__table__  # type: ignore[attr-defined]
    with desk.engine.connect() as connection:
        found = list(
            connection.execute(select(table).order_by(table.c.case_id, table.c.until)).all()
        )
    assert found  # the demo's and the later changes'
    return found


def chain() -> list[str]:
    other = "postgresql" if HAS_PG else "sqlite"
    return ["sqlite", other, "sqlite"] if not HAS_PG else ["sqlite", other, "sqlite", other]


def test_a_desk_moves_between_backends_with_identical_contents(
    fresh: Fresh, tmp_path: Path
) -> None:
    """SQLite -> PostgreSQL -> SQLite (-> PostgreSQL): every export the same bytes."""
    kinds = chain()
    source = fresh(kinds[0])
    filled(source, tmp_path)
    first = export(source, tmp_path / "0.jsonl")
    previous = tmp_path / "0.jsonl"
    for step, kind in enumerate(kinds[1:], 1):
        target = fresh(kind)
        code, out, err = cli("--db", url(target), "import", str(previous))
        assert code == 0, err
        assert "imported" in out
        previous = tmp_path / f"{step}.jsonl"
        assert export(target, previous) == first, f"{kind} changed the desk"
        # Not in the file: found again from the events, as the changes stored them.
        assert first_response_states(target) == first_response_states(source), kind
    lines = first.decode().split("\n")[:-1]
    assert len(lines) == len(first.splitlines())  # one record a line, for every tool
    tables = {json.loads(line).get("table") for line in lines[1:]}
    assert tables == set(transfer.TABLES)
    records = [json.loads(line) for line in lines[1:]]
    versions = [r["row"]["version"] for r in records if r["table"] == "policy_versions"]
    assert 2 in versions and 1 in versions
    on = {r["row"]["policy_version"] for r in records if r["table"] == "cases"}
    assert {1, 2} <= on


def test_the_imported_desk_works_on(fresh: Fresh, tmp_path: Path) -> None:
    """Ids and sequences carried over: new cases get the next number, new rows new ids."""
    source = fresh("sqlite")
    filled(source, tmp_path)
    export(source, tmp_path / "desk.jsonl")
    target = fresh("postgresql" if HAS_PG else "sqlite")
    assert cli("--db", url(target), "import", str(tmp_path / "desk.jsonl"))[0] == 0
    before = transfer.desk_records(target)
    case = cases.open_case(
        target, organization=demo_org(target), contact=None, severity=3, subject="After the move"
    )
    assert case.number == max(queries.case_numbers(target))
    assert case.number == max(queries.case_numbers(source)) + 1
    cases.note(target, case.number, "the events' ids go on too")
    after = transfer.desk_records(target)
    assert after["cases"] == before["cases"] + 1
    assert after["events"] == before["events"] + 2


def test_a_bad_line_is_reported_with_its_number_and_nothing_is_imported(
    fresh: Fresh, tmp_path: Path
) -> None:
    source = fresh("sqlite")
    filled(source, tmp_path)
    lines = export(source, tmp_path / "good.jsonl").decode().split("\n")
    lines = [line + "\n" for line in lines if line]
    target = fresh("postgresql" if HAS_PG else "sqlite")
    # The last event: late in the file, so everything before it is fine.
    bad_number = max(n for n, line in enumerate(lines, 1) if '"table":"events"' in line)
    broken = json.loads(lines[bad_number - 1])
    broken["row"]["at"] = "yesterday"
    contact = next(n for n, line in enumerate(lines, 1) if '"table":"contacts"' in line)
    orphan = lines[contact - 1].replace('"organization_id":', '"organization_id":999', 1)
    for name, text in (
        ("instant", _replace(lines, bad_number, json.dumps(broken) + "\n")),
        ("json", _replace(lines, bad_number, "{not json\n")),
        ("reference", _replace(lines, contact, orphan)),
    ):
        path = tmp_path / f"{name}.jsonl"
        path.write_text(text, encoding="utf-8")
        code, out, err = cli("--db", url(target), "import", str(path))
        assert code == 2, (name, err)
        assert len(err.strip().splitlines()) == 1
        assert "line" in err and "nothing imported" in err
        assert transfer.desk_records(target) == dict.fromkeys(transfer.RECORDS, 0)
        said = {
            "instant": f"line {bad_number}: at must be a UTC instant",
            "json": f"line {bad_number}: not JSON",
            "reference": f"line {contact}: organization_id 999",
        }[name]
        assert said in err


def _replace(lines: list[str], number: int, line: str) -> str:
    return "".join(line if n == number else old for n, old in enumerate(lines, 1))


def test_each_line_is_checked_for_its_columns_and_types() -> None:
    header = json.dumps({"deskterm": "export", "format": 1, "schema": transfer.HEAD})
    row = {
        "id": 1,
        "name": "Acme",
        "policy": "standard-tier",
        "tier": None,
        "contract_until": "2027-01-31",
        "created_at": "2026-11-23T16:00:00.000000Z",
    }
    good = json.dumps({"table": "organizations", "row": row})
    assert transfer.check_lines([header, good]).counts["organizations"] == 1
    for change, said in (
        ({"id": "1"}, "line 2: id must be a whole number"),
        ({"name": None}, "line 2: name is required"),
        ({"contract_until": "31/01/2027"}, "line 2: contract_until must be a date"),
        ({"surprise": 1}, "has unknown surprise"),
    ):
        line = json.dumps({"table": "organizations", "row": {**row, **change}})
        with pytest.raises(DeskError, match=said):
            transfer.check_lines([header, line])
    with pytest.raises(DeskError, match="line 3: a second organizations row with id 1"):
        transfer.check_lines([header, good, good])
    with pytest.raises(DeskError, match="line 1: not a deskterm export"):
        transfer.check_lines([good])
    old = json.dumps({"deskterm": "export", "format": 1, "schema": "0000"})
    with pytest.raises(DeskError, match="exported at schema '0000'"):
        transfer.check_lines([old])


def test_a_case_on_a_policy_version_the_file_lacks_is_refused(fresh: Fresh, tmp_path: Path) -> None:
    source = fresh("sqlite")
    filled(source, tmp_path)
    lines = export(source, tmp_path / "desk.jsonl").decode().splitlines(keepends=True)
    kept = [line for line in lines if '"version":2' not in line or "policy_versions" not in line]
    assert len(kept) == len(lines) - 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(kept), encoding="utf-8")
    target = fresh("sqlite")
    code, _, err = cli("--db", url(target), "import", str(bad))
    assert code == 2
    assert "runs under version 2 of policy" in err and "which the file does not store" in err
    assert transfer.desk_records(target)["cases"] == 0


def test_import_into_a_desk_that_has_records_is_refused(fresh: Fresh, tmp_path: Path) -> None:
    source = fresh("sqlite")
    filled(source, tmp_path)
    export(source, tmp_path / "desk.jsonl")
    before = transfer.desk_records(source)
    code, _, err = cli("--db", url(source), "import", str(tmp_path / "desk.jsonl"))
    assert code == 2
    assert "the desk is not empty" in err and "nothing imported" in err
    assert transfer.desk_records(source) == before


def test_export_never_overwrites_a_file(fresh: Fresh, tmp_path: Path) -> None:
    desk = fresh("sqlite")
    existing = tmp_path / "kept.jsonl"
    existing.write_text("precious\n", encoding="utf-8")
    code, _, err = cli("--db", url(desk), "export", str(existing))
    assert code == 2 and "exists" in err
    assert existing.read_text(encoding="utf-8") == "precious\n"


def test_a_partial_file_of_a_killed_export_does_not_block_the_next(
    fresh: Fresh, tmp_path: Path
) -> None:
    desk = fresh("sqlite")
    filled(desk, tmp_path)
    target = tmp_path / "desk.jsonl"
    # What an export killed mid-way leaves (this deskterm's name for it, and the older one).
    (tmp_path / ".desk.jsonl.partial").write_text('{"deskterm"', encoding="utf-8")
    (tmp_path / ".desk.jsonl.999999999.partial").write_text('{"desk', encoding="utf-8")
    code, out, err = cli("--db", url(desk), "export", str(target))
    assert code == 0, (out, err)
    assert target.read_text(encoding="utf-8").startswith('{"deskterm":"export"')
    assert sorted(p.name for p in tmp_path.glob(".desk.jsonl*")) == []


def test_a_failed_export_leaves_no_partial_file(
    fresh: Fresh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskterm.desk.errors import StorageError

    desk = fresh("sqlite")
    filled(desk, tmp_path)

    def refused(*_: object) -> None:
        raise StorageError("the disk holding the database is full: nothing was saved")

    monkeypatch.setattr(transfer, "export_desk", refused)
    code, _, err = cli("--db", url(desk), "export", str(tmp_path / "desk.jsonl"))
    assert code == 2 and "disk" in err
    assert sorted(p.name for p in tmp_path.iterdir() if "desk.jsonl" in p.name) == []


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_words_of_a_text_attachment_are_found_after_the_move(
    fresh: Fresh, tmp_path: Path, kind: str
) -> None:
    """The index of a file's contents comes along: the database cannot read the
    attachment store to rebuild it, so the export carries the words read from it."""
    if kind == "postgresql" and not HAS_PG:
        pytest.skip("DESKTERM_TEST_PG not set")
    source = fresh("sqlite")
    number = cases.open_case(
        source, organization=demo_org_of(source), contact=None, severity=2, subject="Sync stops"
    ).number
    log = tmp_path / "agent.log"
    log.write_text("start\nkerberos preauth rejected for svc-sync\n", encoding="utf-8")
    attachments.attach(source, number, log)
    assert [hit.number for hit in search.search(source, "preauth")] == [number]
    export(source, tmp_path / "desk.jsonl")
    target = fresh(kind)
    code, _, err = cli("--db", url(target), "import", str(tmp_path / "desk.jsonl"))
    assert code == 0, err
    found = search.search(target, "preauth")
    assert [(hit.number, hit.where) for hit in found] == [(number, "in agent.log")]
    assert "⟦preauth⟧" in found[0].snippet
    assert export(target, tmp_path / "again.jsonl") == (tmp_path / "desk.jsonl").read_bytes()


def demo_org_of(desk: Desk) -> str:
    directory.add_organization(desk, "Acme Sync", "standard-tier")
    return "Acme Sync"
