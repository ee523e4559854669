"""What a console reads on a change elsewhere costs the cases it counts, not the desk:
the header's counts (`Queue.counts`, `next_count_change`, `counts_holders_moved`) and
the board (`board.board`, `board.holders_moved`) reach cases only through an index
(SQLite's EXPLAIN QUERY PLAN), never by walking the cases table, and never sort or
group the rows they read in a temporary b-tree (the per-engineer figures are read per
engineer from migration 0014's index, in its order). The per-engineer figures equal a
recount on both backends."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from deskterm.desk import board
from deskterm.desk.context import Desk
from deskterm.desk.queue import Queue
from tests.desk.test_counts import a_busy_desk
from tests.frozen import FrozenClock


def live_reads(desk: Desk, now: datetime) -> None:
    queue = Queue(desk)
    counts = queue.counts(now)
    queue.next_count_change(now)
    queue.counts_holders_moved(counts)
    read = board.board(desk, now)
    board.holders_moved(desk, read, now)


def plans(
    desk: Desk, now: datetime, explain: str = "EXPLAIN QUERY PLAN "
) -> list[tuple[str, list[str]]]:
    seen: dict[str, Any] = {}

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.setdefault(statement, parameters)

    event.listen(desk.engine, "before_cursor_execute", remember)
    try:
        live_reads(desk, now)
    finally:
        event.remove(desk.engine, "before_cursor_execute", remember)
    found = []
    with desk.engine.connect() as connection:
        if desk.engine.dialect.name == "postgresql":
            # A test desk is a few rows: a scan would win any plan. Forbidden scans
            # and sorts show whether an index can serve the query at all.
            connection.exec_driver_sql("SET enable_seqscan = off")
            connection.exec_driver_sql("SET enable_sort = off")
            connection.exec_driver_sql("SET enable_hashagg = off")
        for statement, parameters in seen.items():
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            rows = connection.exec_driver_sql(explain + statement, parameters)
            found.append((statement, [row[-1] for row in rows]))
        connection.rollback()
    return found


def test_a_change_elsewhere_reads_cases_through_indexes_only(
    desk: Desk, clock: FrozenClock
) -> None:
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans (PostgreSQL chooses its own)")
    a_busy_desk(desk, clock)
    for analyzed in (False, True):
        if analyzed:  # as a demo desk or `PRAGMA optimize` leaves the planner
            with desk.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        found = plans(desk, clock())
        assert any("cases" in statement for statement, _ in found)
        for statement, plan in found:
            if "cases" not in statement:
                continue
            for line in plan:
                assert not re.match(r"SCAN cases\b", line), f"{line} in\n{statement}"
                assert "TEMP B-TREE" not in line, f"{line} in\n{statement}"


def test_a_change_elsewhere_reads_cases_through_indexes_only_on_postgresql(
    desk: Desk, clock: FrozenClock
) -> None:
    if desk.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's query plans")
    a_busy_desk(desk, clock)
    found = plans(desk, clock(), "EXPLAIN ")
    assert any("cases" in statement for statement, _ in found)
    for statement, plan in found:
        if "cases" not in statement:
            continue
        for line in plan:
            # Scans and sorts were switched off: one still in the plan has no index to use.
            assert not re.search(r"Seq Scan on cases\b", line), f"{line} in\n{statement}"
            assert not re.search(r"\bSort\b|HashAggregate|GroupAggregate", line), (
                f"{line} in\n{statement}"
            )


def test_the_load_per_engineer_equals_a_recount(desk: Desk, clock: FrozenClock) -> None:
    a_busy_desk(desk, clock)
    for later in (timedelta(0), timedelta(hours=2), timedelta(days=2)):
        now = clock() + later
        with desk.engine.connect() as connection:
            late = dict(
                connection.execute(
                    text(
                        "SELECT assignee, count(*) FROM cases WHERE status != 'closed' "
                        "AND assignee IS NOT NULL AND promise_due < :now GROUP BY assignee"
                    ),
                    {"now": now},
                ).all()
            )
            upcoming = dict(
                connection.execute(
                    text(
                        "SELECT assignee, min(promise_due) FROM cases WHERE status != 'closed' "
                        "AND assignee IS NOT NULL AND promise_due >= :now "
                        "AND promise_due < :until GROUP BY assignee"
                    ),
                    {"now": now, "until": now + board.NEXT_DUE_WITHIN},
                ).all()
            )
        found = board.load(desk, now)
        assert found, "engineers hold cases"
        for row in found:
            assert row.breached == late.get(row.engineer, 0), (later, row)
            expected = upcoming.get(row.engineer)
            assert (row.next_due is None) == (expected is None), (later, row)
            if expected is not None and row.next_due is not None:
                # SQLite hands the raw text back from a plain min(): compare instants.
                assert row.next_due.replace(tzinfo=None) == _instant(expected), (later, row)
        assert sum(late.values()) > 0 or later == timedelta(0)
    read = board.board(desk, clock())
    assert board.holders_moved(desk, read, clock()).load == read.load


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)
