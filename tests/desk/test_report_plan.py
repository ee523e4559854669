"""A report costs in proportion to its period, not to the desk: each of its queries
reaches the period's rows through an index that holds what it reads (SQLite's
EXPLAIN QUERY PLAN), never by reading every case or event of the desk, nor the
wide rows of the cases and events it counts. The replay of a few cases (touched
after the period's end) reads their rows by key; nothing else does.

Answered cases are counted from their stored outcomes without visiting them; one
answered case without an outcome (its policy file gone when the outcomes were
filled) is still counted, replayed, as before."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, select

from deskterm.desk import reports
from deskterm.desk.context import Desk
from deskterm.models import Case, SlaOutcome
from tests.desk.test_counts import a_busy_desk
from tests.frozen import FrozenClock


def plans(desk: Desk, by: str, end_offset: timedelta) -> list[tuple[str, list[str]]]:
    """Each distinct statement the report ran, with its query plan."""
    seen: dict[str, Any] = {}

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.setdefault(statement, parameters)

    event.listen(desk.engine, "before_cursor_execute", remember)
    try:
        now = desk.now()
        reports.report(desk, now - timedelta(days=30), now + end_offset, by)
    finally:
        event.remove(desk.engine, "before_cursor_execute", remember)
    found = []
    with desk.engine.connect() as connection:
        for statement, parameters in seen.items():
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            found.append((statement, [row[-1] for row in rows]))
    return found


@pytest.mark.parametrize("by", reports.GROUPINGS)
@pytest.mark.parametrize("end_offset", [timedelta(hours=-2), timedelta(days=1)])
def test_a_report_reads_its_period_through_covering_indexes(
    desk: Desk, clock: FrozenClock, by: str, end_offset: timedelta
) -> None:
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans (PostgreSQL chooses its own)")
    a_busy_desk(desk, clock)
    clock.advance(hours=5)
    found = plans(desk, by, end_offset)
    assert found
    for statement, plan in found:
        for line in plan:
            assert_reads_the_period_only(line, statement)
    # Again with the planner's statistics, as a demo desk or `PRAGMA optimize` has them.
    with desk.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    for statement, plan in plans(desk, by, end_offset):
        for line in plan:
            assert_reads_the_period_only(line, statement)


@pytest.mark.parametrize("by", reports.GROUPINGS)
@pytest.mark.parametrize("end_offset", [timedelta(hours=-2), timedelta(days=1)])
def test_a_report_reads_the_period_s_outcomes_once_and_each_open_case_s_once(
    desk: Desk, clock: FrozenClock, by: str, end_offset: timedelta
) -> None:
    """At a million cases a month's outcomes are some 600,000 index entries and its
    open cases some 90,000: each read again cost as much as all the counting (the
    figures, their response times, the count and the late answers read the period
    four times; an open case's outcome was looked up at each of seven uses)."""
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans (PostgreSQL chooses its own)")
    a_busy_desk(desk, clock)
    clock.advance(hours=5)
    found = plans(desk, by, end_offset)
    period = [s for s, plan in found if any("ix_sla_outcomes_period" in line for line in plan)]
    assert len(period) == 1, period
    for statement, plan in found:
        by_case = [line for line in plan if re.match(r"SEARCH sla_outcomes .*\(case_id=\?", line)]
        # (SQLite codes a subquery of a grouped column twice: once to group each row
        # on, once to show each group; main's coded the seven uses twice.)
        assert len(by_case) <= 2, f"{by_case} in\n{statement}"


def assert_reads_the_period_only(line: str, statement: str) -> None:
    """No walk of a table of the desk's size; a search of one either reads only an
    index or looks up one case's rows (by its id)."""
    scanned = re.match(r"SCAN (\w+)", line)
    if scanned:
        # Organizations and policy versions: a handful; or the rows of a subquery
        # (its own lines say how it read them).
        scan_of = scanned.group(1)
        assert scan_of in ("organizations", "policy_versions") or re.fullmatch(
            r"anon_\d+", scan_of
        ), f"{line} in\n{statement}"
    searched = re.match(r"SEARCH (\w+)(?: AS \w+)? USING (.*)", line)
    if searched and searched.group(1) in _DESK_SIZED:
        how = searched.group(2)
        one_case = "INTEGER PRIMARY KEY" in how or re.search(r"\(case_id=\?", how)
        # The partial index of the events a report counts: each row read is counted.
        counted = how.startswith("INDEX ix_events_counted ")
        assert how.startswith("COVERING INDEX") or one_case or counted, f"{line} in\n{statement}"


_DESK_SIZED = ("cases", "events", "sla_outcomes", "sla_clock_outcomes")


def test_an_answered_case_without_its_outcome_is_still_counted(
    desk: Desk, clock: FrozenClock
) -> None:
    a_busy_desk(desk, clock)
    clock.advance(hours=5)
    table = SlaOutcome.__table__  # type: ignore[attr-defined]
    with desk.engine.begin() as connection:
        answered = connection.execute(select(table.c.case_id).order_by(table.c.case_id)).scalars()
        gone = next(iter(answered))
        connection.execute(delete(table).where(table.c.case_id == gone))
    now = desk.now()
    periods = [
        (now - timedelta(days=1), now),
        (now - timedelta(days=1), now - timedelta(hours=4, minutes=55)),  # mid-life
        (now - timedelta(days=1), now + timedelta(days=1)),
    ]
    with desk.engine.connect() as connection:
        received = connection.execute(select(Case.__table__.c.id)).all()  # type: ignore[attr-defined]
    for start, end in periods:
        for by in reports.GROUPINGS:
            stored = reports.report(desk, start, end, by).json()
            assert stored == reports.replayed_report(desk, start, end, by).json(), (end, by)
            if end >= now:
                assert stored["total"]["received"] == len(received)
