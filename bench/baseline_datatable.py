"""The naive queue the real one must beat: every open case in one Textual DataTable.

    python bench/baseline_datatable.py --db FILE

Loads ALL open cases (status != 'closed') from a deskterm SQLite database with plain
sqlite3, sorted by next_due (cases without a running clock last), into a DataTable
with the columns severity, number, organization, subject, status, assignee, next_due
and left (fixed widths, so all of them show at 120 columns), and updates the "left" cell of every row from a 1-second timer. Keys: j/k,
arrows, PgUp/PgDn, g/G (first/last row), q quits.

The clock is DESKTERM_NOW when set (frozen, as for the console), else the wall clock.
This is the design issue 4 says not to ship; bench/queue_bench.py measures it as the
baseline next to the real console.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

QUERY = """
SELECT c.severity, c.number, o.name, c.subject, c.status, coalesce(c.assignee, ''), c.next_due
FROM cases AS c JOIN organizations AS o ON o.id = c.organization_id
WHERE c.status != 'closed'
ORDER BY c.next_due IS NULL, c.next_due, c.number
"""


# Fixed widths, so that every column, the countdown last, fits in 120 columns.
COLUMNS = (
    ("severity", 8),
    ("number", 7),
    ("organization", 18),
    ("subject", 28),
    ("status", 12),
    ("assignee", 8),
    ("next_due", 11),
    ("left", 8),
)


def now() -> datetime:
    frozen = os.environ.get("DESKTERM_NOW")
    if frozen:
        return datetime.fromisoformat(frozen.replace("Z", "+00:00")).astimezone(UTC)
    return datetime.now(UTC)


def parse_due(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def left(due: datetime | None, at: datetime) -> str:
    if due is None:
        return ""
    seconds = int((due - at).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m {secs:02d}s"


class BaselineQueue(App[None]):
    BINDINGS = [
        Binding("j", "down", "Down"),
        Binding("k", "up", "Up"),
        Binding("g", "first", "First"),
        Binding("G", "last", "Last"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, db: str) -> None:
        super().__init__()
        self.db = db
        self.dues: list[datetime | None] = []
        self.row_keys: list[object] = []
        self.left_key: object = None

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        connection = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            rows = connection.execute(QUERY).fetchall()
        finally:
            connection.close()
        at = now()
        for label, width in COLUMNS:
            key = table.add_column(label, width=width)
        self.left_key = key  # the last column
        self.dues = [parse_due(row[6]) for row in rows]
        self.row_keys = table.add_rows(
            (*row[:6], due.strftime("%m-%d %H:%M") if due else "", left(due, at))
            for row, due in zip(rows, self.dues, strict=True)
        )
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        table = self.query_one(DataTable)
        at = now()
        for key, due in zip(self.row_keys, self.dues, strict=True):
            table.update_cell(key, self.left_key, left(due, at))

    def action_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_first(self) -> None:
        self.query_one(DataTable).move_cursor(row=0)

    def action_last(self) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="deskterm SQLite database file")
    BaselineQueue(parser.parse_args().db).run()


if __name__ == "__main__":
    main()
