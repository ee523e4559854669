"""`deskterm demo`: a believable desk, the same for the same seed, with the engine's own clocks."""

from __future__ import annotations

import re
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy import event as sa_event
from sqlmodel import SQLModel, col
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.desk import cases, clock_outcomes, counts, demo, first_response_states, search
from deskterm.desk.cases import events_of
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.desk.search_query import term, tokens
from deskterm.desk.sweep import sweep
from deskterm.desk.workflow import MOVES
from deskterm.models import (
    Case,
    Contact,
    Counter,
    Event,
    EventKind,
    Organization,
    SlaClockOutcome,
    SlaFirstResponseState,
)
from deskterm.models.columns import cases as table
from deskterm.sla import Status
from deskterm.store import search_index
from deskterm.store.bulk_load import LOAD_SETTINGS, bulk_load
from deskterm.store.engine import reading, writing
from tests.desk.conftest import BACKENDS, MONDAY
from tests.migrated import desk_maker

NOW = MONDAY  # Monday 23 November 2026, 16:00 UTC
SHIPPED = {"business-hours-3", "initial-response-3", "p1-p6", "premium-tier", "standard-tier"}
CLOCK_COLUMNS = (
    "first_response_state",
    "first_response_due",
    "customer_response_state",
    "customer_response_due",
    "update_state",
    "update_due",
    "auto_close_state",
    "auto_close_due",
    "next_due",
    "sweep_at",
)
CASES = 200

MakeDesk = Callable[[], Desk]


@pytest.fixture(params=BACKENDS)
def make_desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeDesk]:
    """Fresh, migrated databases (an SQLite file each, or a PostgreSQL schema each)."""
    with desk_maker(request.param, tmp_path, NOW) as make:
        yield make


def demo_desk(make: MakeDesk) -> Desk:
    """A new desk with the demo of CASES cases, seed 7."""
    desk = make()
    report = demo.fill(desk, CASES, seed=7)
    assert report.cases == CASES
    return desk


@pytest.fixture
def filled(make_desk: MakeDesk) -> Desk:
    """A demo desk of the test's own, for a test that writes to it."""
    return demo_desk(make_desk)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    """One demo desk a backend, for the tests that only read it: filling one for each
    of them was most of this file's time."""
    with desk_maker(request.param, tmp_path_factory.mktemp("demo"), NOW) as make:
        yield demo_desk(make)


def dump(desk: Desk) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with reading(desk.engine) as session:
        connection = session.connection()
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in SQLModel.metadata.sorted_tables
        }


def all_cases(desk: Desk) -> list[Case]:
    with reading(desk.engine) as session:
        return list(session.exec(select(Case).order_by(col(Case.number))).scalars())  # type: ignore[call-overload]


# --- the same desk for the same seed -------------------------------------------------


def test_the_same_seed_and_now_give_the_same_rows(make_desk: MakeDesk) -> None:
    first, second = make_desk(), make_desk()
    demo.fill(first, CASES, seed=11)
    demo.fill(second, CASES, seed=11)
    rows = dump(first)
    assert len(rows["cases"]) == CASES and len(rows["events"]) > 3 * CASES
    assert rows == dump(second)


def test_the_same_desk_when_a_second_process_makes_the_cases(make_desk: MakeDesk) -> None:
    # A large demo is made in a forked child while this process writes: same rows.
    first, second = make_desk(), make_desk()
    demo.fill(first, CASES, seed=11, second_process=False)
    demo.fill(second, CASES, seed=11, second_process=True)
    assert dump(first) == dump(second)


def test_another_seed_gives_another_desk(make_desk: MakeDesk) -> None:
    first, second = make_desk(), make_desk()
    demo.fill(first, CASES, seed=11)
    demo.fill(second, CASES, seed=12)
    assert dump(first)["cases"] != dump(second)["cases"]


def test_if_empty_leaves_a_desk_with_cases_alone(shared_demo: Desk) -> None:
    before = dump(shared_demo)
    report = demo.fill(shared_demo, 50, seed=99, if_empty=True)
    assert report.skipped and report.existing_cases == CASES and report.cases == 0
    assert "already has 200 case(s)" in report.summary()
    assert dump(shared_demo) == before


def test_if_empty_fills_an_empty_desk(make_desk: MakeDesk) -> None:
    desk = make_desk()
    report = demo.fill(desk, 20, if_empty=True)
    assert not report.skipped and report.cases == 20
    assert len(all_cases(desk)) == 20


def test_zero_cases_is_refused_and_writes_nothing(make_desk: MakeDesk) -> None:
    desk = make_desk()
    before = dump(desk)
    with pytest.raises(DeskError, match="at least 1"):
        demo.fill(desk, 0)
    assert dump(desk) == before


# --- a believable desk -----------------------------------------------------------------


def test_every_shipped_policy_has_organizations_and_cases(shared_demo: Desk) -> None:
    with reading(shared_demo.engine) as session:
        orgs = list(session.exec(select(Organization)).scalars())  # type: ignore[call-overload]
    assert {org.policy for org in orgs} == SHIPPED
    assert {case.policy for case in all_cases(shared_demo)} == SHIPPED


def test_one_organization_has_an_expired_contract_and_its_late_cases_say_so(
    shared_demo: Desk,
) -> None:
    with reading(shared_demo.engine) as session:
        orgs = list(session.exec(select(Organization)).scalars())  # type: ignore[call-overload]
        expired = [org for org in orgs if not org.contract_current(NOW.date())]
        assert len(expired) == 1
        (org,) = expired
        assert org.contract_until is not None
        late = [
            case
            for case in session.exec(
                select(Case).where(col(Case.organization_id) == org.id)
            ).scalars()  # type: ignore[call-overload]
            if case.created_at.date() > org.contract_until
        ]
        for case in late:
            opened = events_of(session, case)[0]
            assert "entitlement override" in (opened.text or "")


def test_contacts_have_administrators_emails_and_phones(shared_demo: Desk) -> None:
    with reading(shared_demo.engine) as session:
        contacts = list(session.exec(select(Contact)).scalars())  # type: ignore[call-overload]
        per_org = Tally(contact.organization_id for contact in contacts)
    assert len(per_org) == len(demo.ORGANIZATIONS) and min(per_org.values()) >= 3
    assert any(contact.is_admin for contact in contacts)
    assert not all(contact.is_admin for contact in contacts)
    assert all(contact.email and "@" in contact.email for contact in contacts if contact.email)
    assert sum(1 for contact in contacts if contact.phone) > len(contacts) // 2


def test_cases_spread_over_statuses_severities_assignees_and_ages(shared_demo: Desk) -> None:
    rows = all_cases(shared_demo)
    assert {case.status for case in rows} == {status.value for status in Status}
    by_policy: dict[str, set[int]] = {}
    for case in rows:
        by_policy.setdefault(case.policy, set()).add(case.severity)
    assert all(len(levels) >= 2 for levels in by_policy.values()), by_policy
    assert {1, 2, 3} <= {case.severity for case in rows}
    assignees = Tally(case.assignee for case in rows)
    assert assignees[None] > 0 and len(assignees) >= 5
    ages = [NOW - case.received_at for case in rows]
    assert min(ages) < timedelta(hours=1) and max(ages) > timedelta(days=14)
    assert {case.escalation for case in rows} >= {"support-engineer", "product-support-engineer"}
    assert len({case.subject for case in rows}) > CASES // 4


def test_some_cases_are_breached_and_some_about_to_be(shared_demo: Desk) -> None:
    dues = [case.next_due for case in all_cases(shared_demo) if case.next_due is not None]
    assert any(due < NOW for due in dues)
    assert any(NOW <= due <= NOW + timedelta(hours=1) for due in dues)


def test_histories_hold_every_kind_of_work(shared_demo: Desk) -> None:
    with reading(shared_demo.engine) as session:
        kinds = Tally(session.exec(select(col(Event.kind))).scalars())  # type: ignore[call-overload]
    for kind in (
        EventKind.OPENED,
        EventKind.REPLY,
        EventKind.CALL,
        EventKind.NOTE,
        EventKind.STATUS,
        EventKind.SEVERITY,
        EventKind.ASSIGN,
        EventKind.ESCALATE,
        EventKind.CUSTOMER_REPLY,
    ):
        assert kinds[kind.value] > 0, kind
    assert kinds[EventKind.OPENED.value] == CASES


def test_every_history_is_one_the_use_cases_could_have_written(shared_demo: Desk) -> None:
    with reading(shared_demo.engine) as session:
        for case in session.exec(select(Case)).scalars():  # type: ignore[call-overload]
            events = events_of(session, case)
            opened = events[0]
            assert (opened.kind, opened.field, opened.version) == ("opened", "severity", 1)
            status, severity, version = Status.NEW, int(opened.new_value or 0), 1
            assignee, escalation = None, "support-engineer"
            previous = opened.at
            assert case.received_at <= opened.at == case.created_at
            for event in events[1:]:
                assert event.version in (version, version + 1), (case.number, event.kind)
                version = event.version
                assert previous <= event.at <= NOW
                previous = event.at
                if event.kind == EventKind.STATUS:
                    assert event.old_value == status.value
                    target = Status(event.new_value)
                    assert target in MOVES[status], (case.number, status, target)
                    status = target
                elif event.kind == EventKind.SEVERITY:
                    assert event.old_value == str(severity) and event.text
                    severity = int(event.new_value or 0)
                elif event.kind == EventKind.ASSIGN:
                    assert event.old_value == assignee
                    assignee = event.new_value
                elif event.kind == EventKind.ESCALATE:
                    assert event.old_value == escalation and event.text
                    escalation = event.new_value or ""
            assert (case.status, case.severity, case.version) == (status.value, severity, version)
            assert (case.assignee, case.escalation, case.updated_at) == (
                assignee,
                escalation,
                previous,
            )


def test_case_numbers_follow_the_counter(filled: Desk) -> None:
    numbers = [case.number for case in all_cases(filled)]
    assert numbers == list(range(40100, 40100 + CASES))
    with reading(filled.engine) as session:
        counter = session.get(Counter, "case_number")
    assert counter is not None and counter.value == 40100 + CASES - 1
    # The next case opened by hand takes the next number (and, on PostgreSQL, the next id).
    case = cases.open_case(
        filled, organization="Quillsoft", contact=None, severity=3, subject="After the demo"
    )
    assert case.number == 40100 + CASES


# --- the stored clocks are the engine's ----------------------------------------------


def assert_clocks_replay(desk: Desk) -> int:
    """Replay every case as the use cases do after a change; nothing may move."""
    checked = 0
    with writing(desk.engine) as session:
        for case in session.exec(select(Case)).scalars():  # type: ignore[call-overload]
            stored = {name: getattr(case, name) for name in CLOCK_COLUMNS}
            cases.refresh(session, case, desk.policy(case.policy), NOW)
            assert {name: getattr(case, name) for name in CLOCK_COLUMNS} == stored, case.number
            checked += 1
    return checked


def test_stored_clocks_equal_a_fresh_replay(filled: Desk) -> None:
    assert assert_clocks_replay(filled) == CASES


def test_cases_sharing_a_history_shape_still_get_the_engines_clocks(make_desk: MakeDesk) -> None:
    # Few skeletons, many cases: the shared replay must hold for every one of them.
    desk = make_desk()
    demo.fill(desk, 150, seed=5, skeletons_per_policy=3)
    received = Tally(case.received_at for case in all_cases(desk))
    assert max(received.values()) > 1  # histories were indeed shared
    assert assert_clocks_replay(desk) == 150


def test_every_clocks_settled_runs_are_stored_as_a_recount_finds_them(shared_demo: Desk) -> None:
    # The report and `doctor --clocks` read the stored runs of the update, resolution
    # and next-response clocks: the demo writes them with its cases.
    with shared_demo.engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(SlaClockOutcome)).scalar()
        assert stored and stored > CASES // 10
        assert clock_outcomes.differences(connection, shared_demo.policy, NOW) == (0, None)


def test_the_desk_is_counted_and_indexed_for_search_as_each_change_would_be(
    filled: Desk,
) -> None:
    assert counts.differences(filled) == []
    assert counts.promise_differences_on(filled.engine) == []
    assert search_index.problems(filled.engine) == []
    # and a second demo, and a case opened after them, are counted and indexed too
    demo.fill(filled, 20, seed=8)
    opened = cases.open_case(
        filled,
        organization="Kestrel Health",
        contact=None,
        severity=2,
        subject="Quokka on the rack",
    )
    assert counts.differences(filled) == []
    assert counts.promise_differences_on(filled.engine) == []
    assert search_index.problems(filled.engine) == []
    terms = tuple(t for t in map(term, tokens("quokka")) if t is not None)
    with filled.engine.connect() as connection:
        found = connection.execute(select(table.c.number).where(search.matching(terms)))
        assert [row.number for row in found] == [opened.number]


def test_the_sweep_works_the_demo_desk_and_then_has_nothing_left(filled: Desk) -> None:
    first = sweep(filled)
    assert first.breaches > 0
    assert sweep(filled).cases == 0
    assert all(case.sweep_at is None or case.sweep_at >= NOW for case in all_cases(filled))


def test_a_second_demo_adds_cases_to_the_same_organizations(filled: Desk) -> None:
    report = demo.fill(filled, 10, seed=8)
    assert (report.organizations, report.contacts, report.cases) == (0, 0, 10)
    assert (report.first_number, report.last_number) == (40100 + CASES, 40100 + CASES + 9)
    assert len(all_cases(filled)) == CASES + 10


# --- the command line --------------------------------------------------------------------


def test_the_demo_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKTERM_NOW", "2026-11-23T16:00:00Z")
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, "demo", "--cases", "25", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"demo: wrote 11 organization\(s\), \d+ contact\(s\), 25 case\(s\) \(cases 40100-40124\) "
        r"and \d+ event\(s\)\n",
        result.stdout,
    ), result.stdout

    again = runner.invoke(app, ["--db", db, "demo", "--if-empty"])
    assert again.exit_code == 0
    assert "already has 25 case(s)" in again.stdout

    listed = runner.invoke(app, ["--db", db, "case", "list", "--json"])
    assert listed.exit_code == 0


@pytest.mark.parametrize("count", ["0", "-5"])
def test_the_demo_command_refuses_no_cases(tmp_path: Path, count: str) -> None:
    db = tmp_path / "cli.db"
    result = CliRunner().invoke(app, ["--db", str(db), "demo", "--cases", count])
    assert result.exit_code == 2
    assert f"--cases: {count} is not a number from 1 to 1000000" in result.stderr
    assert not db.exists()


def _schema(desk: Desk) -> list[tuple[str, str]]:
    with desk.engine.connect() as connection:
        return sorted(
            (name, sql)
            for name, sql in connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
                "AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
            )
        )


def test_a_large_load_makes_its_tables_indexes_once_at_its_end(tmp_path: Path) -> None:
    # SQLite: a bulk load at least as large as the desk drops the secondary indexes of
    # the tables it appends to and makes them again at its end (one sort each, not a
    # B-tree step per row), and puts FTS5's merge setting back: the same schema after.
    with desk_maker("sqlite", tmp_path, NOW) as make:
        desk = make()
        demo.fill(desk, 30, seed=7)
        before = _schema(desk)
        with desk.engine.connect() as connection:
            kept = {name for name, _ in _schema_of(connection)}
        with desk.engine.begin() as connection, bulk_load(connection, 30) as _:
            inside = {name for name, _ in _schema_of(connection)}
            # Merged into one segment at its end: no merging before (see bulk_load).
            assert _fts5_config(connection) == search_index.BUILD_SETTINGS
        assert not inside & {
            "ix_cases_number",
            "ix_cases_queue",
            "ix_events_case_id",
            "ix_events_kind_at",
            "ix_sla_outcomes_period",
            "ix_sla_clock_outcomes_period",
        }
        assert _schema(desk) == before
        with desk.engine.connect() as connection:
            config = connection.exec_driver_sql("SELECT k FROM search_text_config").scalars()
            assert not set(config) & {"automerge", "crisismerge", "hashsize"}
        # A small load into a larger desk keeps its indexes (rebuilding them costs more),
        # and its segments are merged as they come (no merge into one at its end).
        with desk.engine.begin() as connection, bulk_load(connection, 5) as _:
            assert {name for name, _ in _schema_of(connection)} == kept
            assert _fts5_config(connection) == LOAD_SETTINGS


def _fts5_config(connection: Any) -> dict[str, int]:
    """FTS5's settings stored for the search index (not its format's version)."""
    return {
        name: int(value)
        for name, value in connection.exec_driver_sql("SELECT k, v FROM search_text_config")
        if name != "version"
    }


def _search_segments(desk: Desk) -> int:
    with desk.engine.connect() as connection:
        block = connection.exec_driver_sql(
            "SELECT block FROM search_text_data WHERE id = 10"
        ).scalar_one()
    return sum(len(pages) for _, pages in search_index.segment_levels(block))


def test_a_large_load_leaves_the_search_index_in_one_segment(tmp_path: Path) -> None:
    # The million-case demo left FTS5 twenty segments of 1,400 to 22,000 pages on two
    # levels (merged 16 at a time during the load): the first writes after it, a sweep's
    # batches, merged them inside their commits (one batch held the write lock 16 s).
    with desk_maker("sqlite", tmp_path, NOW) as make:
        desk = make()
        demo.fill(desk, 3, seed=7)  # three commits of its own: three segments at least
        with desk.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO search_text(search_text, rank) VALUES ('automerge', 0)"
            )
        with desk.engine.connect() as connection:
            number = connection.execute(select(func.min(table.c.number))).scalar_one()
        for n in range(3):
            cases.note(desk, number, f"a note of its own {n}")
        assert _search_segments(desk) > 1
        demo.fill(desk, 40, seed=8)
        assert _search_segments(desk) == 1
        assert [hit.number for hit in search.search(desk, '"note of its own"')] == [number]


def _schema_of(connection: Any) -> list[tuple[str, str]]:
    return list(
        connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name NOT IN "
            "('events_no_replace', 'cases_count_insert', 'cases_promise_insert', "
            "'search_case_added', 'search_event_added')"
        )
    )


def test_the_first_response_states_come_with_each_chunk_not_from_reading_the_events_back(
    tmp_path: Path,
) -> None:
    """The demo stores each case's first-response states with its chunk, made from the
    history at hand: it reads no case's events back after the load (that read and its serial
    replay took 17 s of the 100k demo's 37, with the progress bar standing still, and
    on a fresh desk without statistics SQLite read every event of the moving kinds for
    each chunk of cases)."""
    reads: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM events" in statement and "case_id IN" in statement:
            reads.append(statement)

    with desk_maker("sqlite", tmp_path, NOW) as make:
        desk = make()
        sa_event.listen(desk.engine, "before_cursor_execute", record)
        demo.fill(desk, CASES, seed=7)
        sa_event.remove(desk.engine, "before_cursor_execute", record)
        assert stored_states(desk)
    assert reads == []


def stored_states(desk: Desk) -> list[tuple[Any, ...]]:
    table = SlaFirstResponseState.__table__  # type: ignore[attr-defined]
    with desk.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(select(table).order_by(table.c.case_id, table.c.until))
        ]


def test_the_first_response_states_are_those_the_fill_finds_from_the_events(
    make_desk: MakeDesk,
) -> None:
    # The rows first_response_states.fill (the migration's, `db recount`'s) finds from
    # each case's events, exactly: on a fresh desk, on a desk whose policies have
    # stored versions already (a second demo), with few shared histories, and with a
    # second process making the cases.
    desk = make_desk()
    demo.fill(desk, 400, seed=7)
    demo.fill(desk, 60, seed=8, skeletons_per_policy=3, second_process=True)
    written = stored_states(desk)
    assert len(written) > 400
    with desk.engine.connect() as connection:
        # `doctor --recount`'s check of the states
        assert first_response_states.differences(connection, desk.policy) == (0, None)
    table = SlaFirstResponseState.__table__  # type: ignore[attr-defined]
    with desk.engine.begin() as connection:
        connection.execute(delete(table))
        assert first_response_states.fill(connection, desk.policy) == len(written)
    assert stored_states(desk) == written
    # Both ways of finding them were taken: a case whose due never moved, from its
    # stored outcome, and one replayed at each change (its severity changed).
    with desk.engine.connect() as connection:
        severity_changed = connection.execute(
            select(func.count(func.distinct(table.c.case_id))).where(
                table.c.case_id.in_(
                    select(Event.case_id).where(Event.kind == EventKind.SEVERITY.value)  # type: ignore[arg-type]
                )
            )
        ).scalar_one()
    assert 0 < severity_changed < len({row[0] for row in written})
