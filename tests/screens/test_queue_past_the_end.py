"""The queue asked for rows past the end of its last count, on both backends.

The count a screen keeps while it reads the rows again (screens/queue.py
`reload_rows` keeps it: no scrollbar flicker per change) can be larger or smaller
than the rows there are now. Looking for the selected case near where it was
(`QueueTable.find_near`) reads the page after the one the cursor is on, which may
lie past the count. Counting that page from the end then asked for a negative
number of rows: PostgreSQL refused it ("LIMIT must not be negative") and the
console ended; SQLite, which reads a negative LIMIT as none, gave the first rows
again as if they were the next page. Found by tests/desk/test_chaos.py, where a
terminated backend left the first page empty while the count stood.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deskterm.desk import cases, directory
from deskterm.desk.context import Desk
from deskterm.screens.queue import QueueScreen, QueueSource
from deskterm.widgets.queue_table import PAGE
from tests.desk.conftest import MONDAY
from tests.migrated import desk_maker

from .conftest import make_app, settle, table_of, until
from .test_queue import WIDE

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DESKTERM_TEST_PG") else [])


@pytest.fixture(params=BACKENDS)
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    with desk_maker(request.param, tmp_path, MONDAY) as make:
        desk = make()
        directory.add_organization(desk, "Acme", "business-hours-3")
        yield desk


def open_cases(desk: Desk, count: int) -> list[int]:
    return [
        cases.open_case(
            desk, organization="Acme", contact=None, severity=3, subject=f"case {n}"
        ).number
        for n in range(count)
    ]


@pytest.mark.parametrize("counted", [0, 3, PAGE - 1])
def test_a_page_past_the_rows_there_are_is_empty_whatever_the_count_said(
    desk: Desk, counted: int
) -> None:
    open_cases(desk, 3)
    source = QueueSource(desk)
    source.counted = counted  # a count from before, kept while the rows are read again
    assert source.page(PAGE, PAGE) == []
    # An empty page says where the rows end only when it is the first: past the end,
    # the old count stands until a recount (it became 100, the start of that page).
    assert source.total() == counted
    assert [row.subject for row in source.page(0, PAGE)] == ["case 0", "case 1", "case 2"]
    assert source.total() == 3  # a short first page: the end is in sight


async def test_the_console_goes_on_when_every_case_of_its_view_moves_away(desk: Desk) -> None:
    """`Mine`, the cursor on the second of two cases; a colleague takes both: the
    first page reads empty while the old count (2) stands, and the case is looked
    for on the next page too."""
    mine = open_cases(desk, 2)
    for number in mine:
        cases.assign(desk, number, desk.actor)
    app = make_app(desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("2")  # the view "Mine"
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("j")
        assert await until(pilot, lambda: numbers(app) == mine and table_of(app).cursor == 1)
        colleague = Desk(desk.engine, desk.policies, "bob", now=desk.now)
        for number in mine:
            cases.assign(colleague, number, "bob")
        assert await until(pilot, lambda: numbers(app) == [] or app.return_code is not None)
        await settle(pilot)
        assert app.is_running and app.return_code is None
        assert table_of(app).selected is None


def numbers(app: Any) -> list[int]:
    table = table_of(app)
    found = []
    for index in range(min(table.row_count, PAGE)):
        row = table.row_at(index)
        if row is not None:
            found.append(row.number)
    return found
