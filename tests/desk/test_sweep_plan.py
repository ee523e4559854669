"""The console sweeps every minute; on a desk where nothing is due, that minute's work is
one range read of the `sweep_at` index. Found on the million-case demo desk: with the
statistics `ANALYZE` had written, SQLite walked the whole cases table in case-number
order (to spare itself a sort of the few due cases): 0.4 s of a console's CPU a minute,
on every console of the desk."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from tests.desk.test_sweep_batches import breached_backlog
from tests.frozen import FrozenClock

# sqlite_stat1 of the cases table on the 1M-case demo desk (seed 7), as ANALYZE left it.
MILLION_DESK_STATISTICS = {
    "ix_cases_first_response": "1000000 250000 203 201 201 92 11 11 1 1",
    "ix_cases_assignee_promise": "779982 86665 94",
    "ix_cases_escalated": "95656 19132",
    "ix_cases_promise": "779982 845 94",
    "ix_cases_received_at": "1000000 204",
    "ix_cases_closed": "220018 200",
    "ix_cases_queue": "779982 611 1",
    "ix_cases_sweep_at": "1000000 784",
    "ix_cases_status": "1000000 166667",
    "ix_cases_organization_id": "1000000 90910",
    "ix_cases_number": "1000000 1",
    "ix_cases_next_due": "1000000 784",
    "ix_cases_assignee_queue": "1000000 111112 88 1",
}


def test_the_sweep_finds_due_cases_through_the_sweep_at_index(
    desk: Desk, clock: FrozenClock
) -> None:
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans (PostgreSQL keeps histograms of its own)")
    breached_backlog(desk, clock)
    with desk.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        for index, figures in MILLION_DESK_STATISTICS.items():
            connection.exec_driver_sql(
                "UPDATE sqlite_stat1 SET stat = ? WHERE tbl = 'cases' AND idx = ?",
                (figures, index),
            )
        connection.commit()
    desk.engine.dispose()  # new connections read the statistics written

    reads: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "WHERE cases.sweep_at <" in statement:  # the read of what is due
            reads.append((statement, parameters))

    event.listen(desk.engine, "before_cursor_execute", remember)
    try:
        report = sweep(desk)
    finally:
        event.remove(desk.engine, "before_cursor_execute", remember)
    assert report.cases > 0  # the read found the backlog
    assert reads
    with desk.engine.connect() as connection:
        for statement, parameters in reads:
            plan = [
                row[-1]
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            ]
            assert any("ix_cases_sweep_at" in line for line in plan), (statement, plan)
