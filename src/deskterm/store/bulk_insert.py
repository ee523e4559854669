"""Bulk insert: rows as plain lists, written with one compiled INSERT and executemany,
or on PostgreSQL with COPY.

For loads of many thousand rows in one transaction (deskterm.desk.demo.fill): the
use cases' per-row path, or even `connection.execute(insert(table), dicts)`, would
spend most of the time building parameters. Instant columns may be given as whole
epoch seconds, which is what a generator of histories finds cheapest to make.

PostgreSQL runs an executemany as one INSERT per row, each parsed, planned and
executed: 387,000 events of a 50,000-case demo took the server about 40 s that way,
against 14 s for the same rows in one INSERT ... SELECT with the table's indexes,
foreign key and triggers. COPY (psycopg's `Cursor.copy`) sends them as one stream
and the server takes them as that one statement does; the triggers and constraints
still run for every row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

MINUTE = 60
HOUR = 3600
DAY = 86400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _at(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


class BulkInsert:
    """executemany of one compiled INSERT, each value through its column's own bind
    processor. The columns named in `instants` take aware datetimes or whole epoch
    seconds (made datetimes first, or on SQLite written as its text at once).

    The same rows through `connection.execute(insert(table), dicts)` take twice as
    long: SQLAlchemy rebuilds every parameter set, per row and per column.
    """

    def __init__(
        self,
        connection: Connection,
        table: Table,
        columns: Sequence[str],
        instants: Collection[str] = (),
    ) -> None:
        dialect = connection.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        self.connection = connection
        self.positional = dialect.positional
        self.sql = compiled.string
        self.columns = tuple(columns)
        preparer = dialect.identifier_preparer
        # PostgreSQL: COPY, with the rows as tuples in `columns` order (see above).
        self.copy_sql = (
            f"COPY {preparer.format_table(table)} "
            f"({', '.join(preparer.quote(name) for name in columns)}) FROM STDIN"
            if dialect.name == "postgresql"
            else None
        )
        order = compiled.positiontup
        self.order = (
            None
            if order is None or list(order) == list(columns)
            else [self.columns.index(name) for name in order]
        )
        # (column name, column index, conversion)
        self.converters: list[tuple[str, int, Callable[[Any], Any]]] = []
        # Whether this database stores an instant as the text of `instant_text`.
        self.instants_as_text = True
        for index, name in enumerate(columns):
            column_type = table.c[name].type
            processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if name in instants:
                convert, as_text = _instant_converter(processor)
                self.converters.append((name, index, convert))
                self.instants_as_text = self.instants_as_text and as_text
            elif processor is not None:
                self.converters.append((name, index, processor))

    def __call__(self, rows: list[list[Any]]) -> None:
        self.execute(self.params(rows))

    def params(self, rows: list[list[Any]], ready: Collection[str] = ()) -> list[Any]:
        """The rows as the driver takes them: work that needs no connection (a second
        process may do it, deskterm.desk.demo.fill). The columns named in `ready` are
        in the driver's form already (instants as `instant_text` where
        `instants_as_text`)."""
        if not rows:
            return []
        columns: list[Any] = list(zip(*rows, strict=True))
        for name, index, convert in self.converters:
            if name in ready:
                continue
            values = columns[index]
            # Each distinct value once: most texts come from a catalogue, and most
            # instants from a history shared between cases (deskterm.desk.demo.history).
            converted = {value: convert(value) for value in set(values)}
            columns[index] = map(converted.__getitem__, values)
        if self.copy_sql is not None:
            return list(zip(*columns, strict=True))
        if self.order is not None:
            columns = [columns[index] for index in self.order]
        params: list[Any] = list(zip(*columns, strict=True))
        if not self.positional:
            params = [dict(zip(self.columns, row, strict=True)) for row in params]
        return params

    def execute(self, params: list[Any]) -> None:
        if not params:
            return
        if self.copy_sql is None:
            self.connection.exec_driver_sql(self.sql, params)
            return
        raw: Any = self.connection.connection.driver_connection  # a psycopg Connection
        with raw.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
            for row in params:
                copy.write_row(row)


def _instant_converter(
    processor: Callable[[Any], Any] | None,
) -> tuple[Callable[[Any], Any], bool]:
    """Epoch seconds or an aware datetime to what the column's processor makes of it,
    and whether that is `instant_text` for epoch seconds."""
    if processor is None:
        return (lambda value: _at(value) if isinstance(value, int) else value), False
    fast = _seconds_as_text if _agrees_with(processor) else None

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is int:
            return fast(value) if fast is not None else processor(_at(value))
        return processor(value)

    return convert, fast is not None


def instant_text(chain_text: str) -> str:
    """SQLite's stored form of a whole-second instant from its text in the audit chain
    (deskterm.store.chain.INSTANT_FORMAT, `...T12:34:56.000000Z`): the demo makes that
    text for each event's hash anyway."""
    return f"{chain_text[:10]} {chain_text[11:26]}"


def _seconds_as_text(seconds: int) -> str:
    """SQLite's stored form of a whole-second UTC instant, without building a datetime."""
    day, rest = divmod(seconds, DAY)
    minutes, second = divmod(rest, MINUTE)
    return f"{_day_text(day)} {_CLOCK_MINUTES[minutes]}:{second:02d}.000000"


# "HH:MM" of each minute of a day: one lookup instead of two formatted numbers.
_CLOCK_MINUTES = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(DAY // MINUTE)]


@functools.lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


def _agrees_with(processor: Callable[[Any], Any]) -> bool:
    """Whether `_seconds_as_text` writes exactly what the dialect writes (SQLite does)."""
    probes = (0, 59, 3599, 86399, 1_000_000_000, 1_795_000_061, 1_800_000_000 + 13 * HOUR + 7)
    return all(processor(_at(probe)) == _seconds_as_text(probe) for probe in probes)


# --- the use case ------------------------------------------------------------------
