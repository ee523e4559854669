"""Moving a desk between databases: `deskterm export` / `deskterm import`, JSON Lines.

The file holds every organization, contact, case, event and attachment record, the
words read from text attachments for the search index, and the counters (the next
case number), ids included, so references stay as they
were: a desk moves from SQLite to PostgreSQL (or back) with identical contents,
and exporting the imported desk gives the same bytes again. Attached files
themselves live in the attachment store (by SHA-256) and are copied as a folder.

Line 1 is a header (`{"deskterm": "export", "format": 1, "schema": ...}`), then
one `{"table": ..., "row": {...}}` per record, tables in dependency order, rows
by primary key. Instants are UTC with microseconds (`...T16:00:00.000000Z`).

Import reads and checks every line before it writes any (types, columns, ids,
references to rows earlier in the file), then writes them all in one transaction:
a bad file imports nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.sql.schema import Column
from sqlmodel import SQLModel

import deskterm.models  # noqa: F401  (registers the tables)
from deskterm.desk import first_response_states
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.desk.policy_versions import Versions
from deskterm.store import chain
from deskterm.store.engine import reading, writing
from deskterm.store.revision import HEAD

FORMAT = 1
# Dependency order: a row refers only to rows of tables before it (or, for a case
# split from another, to an earlier case).
TABLES = (
    "organizations",
    "contacts",
    "policy_versions",
    "cases",
    "events",
    "attachments",
    "attachment_texts",
    "counters",
)
RECORDS = ("organizations", "contacts", "policy_versions", "cases", "events", "attachments")
_BATCH = 1000
_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"


class BadImport(DeskError):
    """A line of an import file that cannot be imported; says which line."""


# The words of each text attachment, as the search index read them when it was
# attached (deskterm.desk.attachments.index_contents): the database cannot read the
# attachment store, and an import may come before the store is copied, so the file
# carries them and the index triggers take them in as they are imported. Not a model:
# only the index reads it (migration 0006 makes it).
_INDEX_TABLES = MetaData()
Table("attachments", _INDEX_TABLES, Column("id", Integer, primary_key=True))
Table("cases", _INDEX_TABLES, Column("id", Integer, primary_key=True))
ATTACHMENT_TEXTS = Table(
    "attachment_texts",
    _INDEX_TABLES,
    Column("attachment_id", Integer, ForeignKey("attachments.id"), primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("text", String, nullable=False),
)


def _table(name: str) -> Table:
    if name == ATTACHMENT_TEXTS.name:
        return ATTACHMENT_TEXTS
    return SQLModel.metadata.tables[name]


def _kind(column: Column[Any]) -> type:
    """What a column holds, by its SQL type (sqlmodel's AutoString has no python_type)."""
    sql_type: Any = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    for kind, python in ((Boolean, bool), (Integer, int), (DateTime, datetime), (Date, date)):
        if isinstance(sql_type, kind):
            return python
    if isinstance(sql_type, String):
        return str
    raise AssertionError(f"no import rule for {column.table.name}.{column.name} ({sql_type!r})")


# -- export --------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(_INSTANT)
    if isinstance(value, date):
        return value.isoformat()
    return value


# Characters other tools take for line ends (Python's splitlines, JavaScript), which
# JSON leaves as they are outside ASCII: escaped, a record is one line for everyone.
_LINE_ENDS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _line(value: dict[str, Any]) -> str:
    dumped = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return dumped.translate(_LINE_ENDS) + "\n"


def export_lines(desk: Desk) -> Iterator[str]:
    """The desk as JSON Lines, header first; one read transaction (a consistent copy)."""
    yield _line({"deskterm": "export", "format": FORMAT, "schema": HEAD})
    with reading(desk.engine) as session:
        for name in TABLES:
            table = _table(name)
            order = list(table.primary_key.columns)
            result = session.connection().execute(select(table).order_by(*order))
            for row in result.mappings():
                record = {key: _encode(value) for key, value in row.items()}
                yield _line({"table": name, "row": record})


@dataclass(frozen=True)
class Exported:
    counts: dict[str, int]


def export_desk(desk: Desk, out: IO[str]) -> Exported:
    counts = dict.fromkeys(TABLES, 0)
    for line in export_lines(desk):
        out.write(line)
        table = json.loads(line).get("table")
        if table:
            counts[table] += 1
    return Exported(counts)


# -- import: check -------------------------------------------------------------------


def _decode(column: Column[Any], value: Any, where: str) -> Any:
    if value is None:
        if not column.nullable:
            raise BadImport(f"{where}: {column.name} is required, not null")
        return None
    kind = _kind(column)
    if kind is bool:
        if not isinstance(value, bool):
            raise BadImport(f"{where}: {column.name} must be true or false, not {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadImport(f"{where}: {column.name} must be a whole number, not {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise BadImport(f"{where}: {column.name} must be text, not {value!r}")
        return value
    if kind is datetime:
        try:
            instant = datetime.strptime(value, _INSTANT).replace(tzinfo=UTC)
        except (TypeError, ValueError):
            raise BadImport(
                f"{where}: {column.name} must be a UTC instant like 2026-11-23T16:00:00.000000Z, "
                f"not {value!r}"
            ) from None
        return instant
    if kind is date:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise BadImport(
                f"{where}: {column.name} must be a date like 2026-11-23, not {value!r}"
            ) from None
    raise AssertionError(f"no import rule for {column.name} ({kind})")


@dataclass
class Checked:
    """Every row of a file, checked and decoded, by table, in file order."""

    rows: dict[str, list[dict[str, Any]]]

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}


def check_lines(lines: Iterable[str], source: str = "the file") -> Checked:
    """Read and check every line; the first bad one raises, naming its line number."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    keys: dict[str, set[Any]] = {name: set() for name in TABLES}
    unique: dict[tuple[str, ...], set[Any]] = {}
    position = 0
    header = False
    for number, raw in enumerate(lines, 1):
        where = f"{source}, line {number}"
        if not raw.strip():
            raise BadImport(f"{where}: empty line")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as error:
            raise BadImport(f"{where}: not JSON ({error.msg})") from None
        if not header:
            if not isinstance(value, dict) or value.get("deskterm") != "export":
                raise BadImport(f"{where}: not a deskterm export (no header line)")
            if value.get("format") != FORMAT:
                raise BadImport(
                    f"{where}: export format {value.get('format')!r}; this deskterm reads {FORMAT}"
                )
            if value.get("schema") != HEAD:
                raise BadImport(
                    f"{where}: exported at schema {value.get('schema')!r}; this deskterm is at "
                    f"{HEAD}: import with the deskterm that exported it"
                )
            header = True
            continue
        if not isinstance(value, dict) or set(value) != {"table", "row"}:
            raise BadImport(f'{where}: expected {{"table": ..., "row": {{...}}}}')
        name, record = value["table"], value["row"]
        if name not in TABLES:
            raise BadImport(f"{where}: unknown table {name!r} (tables: {', '.join(TABLES)})")
        if TABLES.index(name) < position:
            raise BadImport(
                f"{where}: {name} after {TABLES[position]}: tables come in the order "
                f"{', '.join(TABLES)}"
            )
        position = TABLES.index(name)
        if not isinstance(record, dict):
            raise BadImport(f"{where}: the row must be an object")
        table = _table(name)
        columns = {column.name: column for column in table.columns}
        missing, unknown = set(columns) - set(record), set(record) - set(columns)
        if missing or unknown:
            said = [f"lacks {', '.join(sorted(missing))}"] if missing else []
            said += [f"has unknown {', '.join(sorted(unknown))}"] if unknown else []
            raise BadImport(f"{where}: the {name} row {' and '.join(said)}")
        decoded = {key: _decode(columns[key], record[key], where) for key in columns}
        key = tuple(decoded[column.name] for column in table.primary_key.columns)
        if key in keys[name]:
            raise BadImport(f"{where}: a second {name} row with id {key[0]!r}")
        for column in table.columns:
            for foreign in column.foreign_keys:
                target = decoded[column.name]
                if target is not None and (target,) not in keys[foreign.column.table.name]:
                    raise BadImport(
                        f"{where}: {column.name} {target} refers to no {foreign.column.table.name} "
                        "row before it"
                    )
        for constraint in _unique_columns(table):
            seen = unique.setdefault((name, *constraint), set())
            value_key = tuple(decoded[c] for c in constraint)
            if value_key in seen:
                raise BadImport(
                    f"{where}: a second {name} row with {', '.join(constraint)} {value_key!r}"
                )
            seen.add(value_key)
        keys[name].add(key)
        rows[name].append(decoded)
    if not header:
        raise BadImport(f"{source} is empty: not a deskterm export")
    check_history(rows, source)
    check_policy_versions(rows, source)
    return Checked(rows)


def check_policy_versions(rows: dict[str, list[dict[str, Any]]], source: str) -> None:
    """Each case's policy version is one the file stores."""
    stored = {(row["name"], row["version"]) for row in rows["policy_versions"]}
    for case in rows["cases"]:
        version = case["policy_version"]
        if version is not None and (case["policy"], version) not in stored:
            raise BadImport(
                f"{source}: case {case['number']}: runs under version {version} of policy "
                f"{case['policy']!r}, which the file does not store"
            )


def check_history(rows: dict[str, list[dict[str, Any]]], source: str) -> None:
    """Every case's events follow its hash chain, and its version is what they record."""
    numbers = {case["id"]: case["number"] for case in rows["cases"]}
    by_case: dict[int, list[dict[str, Any]]] = {}
    for event in rows["events"]:
        by_case.setdefault(event["case_id"], []).append(event)
    ordered = [event for case_id in sorted(by_case) for event in by_case[case_id]]
    ordered.sort(key=lambda event: (event["case_id"], event["id"]))
    broken = chain.first_break(ordered)
    if broken is not None:
        raise BadImport(
            f"{source}: case {numbers.get(broken.case_id)}: event {broken.event_id} (version "
            f"{broken.version}, {broken.kind}) does not follow its case's hash chain: the "
            "file was changed after it was exported"
        )
    for case in sorted(rows["cases"], key=lambda case: case["number"]):
        versions = {event["version"] for event in by_case.get(case["id"], [])}
        if max(versions, default=None) != case["version"] or len(versions) != case["version"]:
            raise BadImport(
                f"{source}: case {case['number']}: version {case['version']}, but its events "
                f"record {len(versions)} change(s) (the newest version "
                f"{max(versions, default=None)}): the file was changed after it was exported"
            )


def _unique_columns(table: Table) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [(c.name,) for c in table.columns if c.unique]
    found += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    found += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    return sorted(set(found))


# -- import: write -------------------------------------------------------------------


def desk_records(desk: Desk) -> dict[str, int]:
    """How many records of each kind the desk holds (all zero: an empty desk)."""
    with reading(desk.engine) as session:
        connection = session.connection()
        return {
            name: connection.execute(select(func.count()).select_from(_table(name))).scalar_one()
            for name in RECORDS
        }


def import_checked(desk: Desk, checked: Checked) -> None:
    """Write every checked row in one transaction; only into an empty desk."""
    with writing(desk.engine) as session:
        connection = session.connection()
        held = {
            name: connection.execute(select(func.count()).select_from(_table(name))).scalar_one()
            for name in RECORDS
        }
        if any(held.values()):
            said = ", ".join(f"{count} {name}" for name, count in held.items() if count)
            raise DeskError(
                f"the desk is not empty ({said}): import only into a new, empty database, "
                "so that no record is merged with or overwritten by another"
            )
        for name in TABLES:
            rows = checked.rows[name]
            if not rows:
                continue
            table = _table(name)
            if name == "counters":
                connection.execute(table.delete())  # the migration's starting values
            for start in range(0, len(rows), _BATCH):
                connection.execute(insert(table), rows[start : start + _BATCH])
        # Whole histories, written without changing a case: their first-response
        # clocks between changes are found from their events, as the migration does
        # (deskterm.desk.first_response_states), for the report to read.
        first_response_states.fill(connection, Versions.of_desk(connection, desk.policies).for_case)
        if connection.dialect.name == "postgresql":
            # Ids were given, so the sequences never moved: the next row must not
            # reuse an imported id.
            for name in RECORDS:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"coalesce(max(id), 0) + 1, false) FROM {name}"
                    )
                )


def import_file(desk: Desk, path: Path) -> Checked:
    """Check all of `path`, then import it all; raises before writing on any bad line."""
    try:
        with path.open(encoding="utf-8", newline="\n") as source:
            checked = check_lines(source, str(path))
    except UnicodeDecodeError as error:
        raise BadImport(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise DeskError(f"cannot read {path}: {error.strerror or error}") from None
    check_clocks(desk, checked, str(path))
    import_checked(desk, checked)
    return checked


def check_clocks(desk: Desk, checked: Checked, source: str) -> None:
    """Every case's stored clock fields are what replaying its events gives."""
    from deskterm.desk.demo import EVENT_COLUMNS

    by_case: dict[int, list[list[Any]]] = {}
    for event in checked.rows["events"]:
        by_case.setdefault(event["case_id"], []).append([event[c] for c in EVENT_COLUMNS])
    # The file's cases are judged under the policy versions the file carries.
    versions = Versions(
        (
            (v["name"], v["version"], v["text"], v["source"], v["files"])
            for v in checked.rows["policy_versions"]
        ),
        desk.policies,
    )
    for case in sorted(checked.rows["cases"], key=lambda case: case["number"]):
        wrong = clock_mismatch(versions, case, by_case.get(case["id"], []))
        if wrong is not None:
            raise BadImport(
                f"{source}: case {case['number']}: {wrong}: the file was changed after "
                "it was exported"
            )


def clock_mismatch(policies: Versions, case: dict[str, Any], events: list[list[Any]]) -> str | None:
    """How `case`'s stored clock fields differ from a replay of its `events` (rows in
    deskterm.desk.demo.EVENT_COLUMNS order), or None when they agree or its policy is
    not this desk's to judge (its clocks are replayed when it next changes).

    Import checks a file's cases with it, and `deskterm doctor --clocks` a live desk's.
    """
    from deskterm.desk.demo import CLOCK_COLUMNS, EVENT_COLUMNS, replay_clocks

    policy = policies.for_case(case["policy"], case.get("policy_version"))
    if policy is None:
        return None
    # Replayed as the desk did at the case's last change (the stored fields do
    # not depend on when they are replayed, only on the events and the policy).
    last = max((event[EVENT_COLUMNS.index("at")] for event in events), default=None)
    replayed = replay_clocks(
        dict(case), events, policy, last or case["updated_at"], policies.version_of(policy)
    )
    for name in CLOCK_COLUMNS:
        stored = case[name]
        again = replayed[name]
        if isinstance(again, int) and not isinstance(again, bool):
            again = _EPOCH + timedelta(seconds=again)
        if stored != again:
            return (
                f"its stored {name} ({_encode(stored)}) is not what its events give "
                f"({_encode(again)})"
            )
    return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
