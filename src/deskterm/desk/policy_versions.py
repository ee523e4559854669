"""Stored policy versions: what a case's deadlines are computed from.

The first time a desk uses a policy (a case opened under it), the file is stored
as version 1 (models/policy_version.py). An edited file changes nothing until it
is applied (desk/policy_apply.py): until then the open cases keep their version,
and `drift` names the files that differ from the version in use (doctor, the
console's header, `policy list`).

A stored version never changes, so each is parsed once per process; which version
is the newest is asked again at most once a second, as the catalog rereads files.

On PostgreSQL a case takes the version in use under a shared advisory lock of the
policy's name and `apply` under the exclusive one: a case opened while an apply
runs waits for it and then starts on the new version (docs/architecture.md,
invariant 4: no lost updates).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from deskterm.models.tables import table_of
from deskterm.sla import Policy, PolicyError, parse_policy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from deskterm.sla.catalog import PolicyCatalog


@dataclass(frozen=True)
class Drift:
    """A policy whose file is not the version in use."""

    name: str
    version: int
    path: str
    problem: str | None = None  # the file cannot be read as a policy

    def describe(self) -> str:
        if self.problem:
            return f"policy {self.name}: {self.path} has problems; cases use version {self.version}"
        return (
            f"policy {self.name}: {self.path} differs from version {self.version} in use "
            f"(deskterm policy diff {self.name}, then policy apply)"
        )


class StoredPolicies:
    """The stored versions a process has read, and the newest version of each name."""

    def __init__(
        self, recheck_seconds: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._parsed: dict[tuple[str, int], Policy] = {}
        self._newest: dict[str, int] = {}
        self._newest_at: float | None = None
        self._recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()

    def newest(self, engine: Engine, name: str) -> int | None:
        """The version new cases of `name` start under (None: never stored)."""
        now = self._monotonic()
        with self._lock:
            if self._newest_at is None or now - self._newest_at >= self._recheck_seconds:
                # Stamped first: a failed read is not retried more than once a second.
                self._newest_at = now
                with engine.connect() as connection:
                    self._newest = newest_versions(connection)
            return self._newest.get(name)

    def forget_newest(self) -> None:
        with self._lock:
            self._newest_at = None

    def remember(
        self, name: str, version: int, body: str, source: str, files: str | None
    ) -> Policy:
        """The version parsed from its stored text (once per process)."""
        found = self._parsed.get((name, version))
        if found is None:
            found = parse_stored(name, version, body, source, files)
            self._parsed[(name, version)] = found
        return found

    def get(self, engine: Engine, name: str, version: int) -> Policy | None:
        key = (name, version)
        found = self._parsed.get(key)
        if found is not None:
            return found
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT text, source, files FROM policy_versions "
                    "WHERE name = :n AND version = :v"
                ),
                {"n": name, "v": version},
            ).first()
        if row is None:
            return None
        return self.remember(name, version, row.text, row.source, row.files)


def encode_files(files: Mapping[str, bytes]) -> str | None:
    """A policy's files as stored (`policy_versions.files`): JSON of base64, by name."""
    if not files:
        return None
    return json.dumps(
        {name: base64.b64encode(data).decode("ascii") for name, data in sorted(files.items())}
    )


def decode_files(stored: str | None) -> dict[str, bytes]:
    if not stored:
        return {}
    return {name: base64.b64decode(data) for name, data in json.loads(stored).items()}


def parse_stored(
    name: str, version: int, body: str, source: str, files: str | None = None
) -> Policy:
    """A stored version, its files (`holidays_file`) from the store, never the disk."""
    try:
        policy = parse_policy(body, source, decode_files(files))
    except PolicyError as error:
        # A stored text was valid when stored; only a vanished .ics it names can break it.
        raise PolicyError(
            [f"policy {name} version {version} (stored): {problem}" for problem in error.problems]
        ) from None
    return replace(policy, version=version)


def newest_versions(connection: Connection) -> dict[str, int]:
    rows = connection.execute(
        text("SELECT name, MAX(version) AS version FROM policy_versions GROUP BY name")
    )
    return {row.name: int(row.version) for row in rows}


def lock(session: Session, name: str, *, exclusive: bool) -> None:
    """Serialize `apply` against cases opened under `name` (PostgreSQL; SQLite's writers
    are serialized already by BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"deskterm policy {name}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)  # a bigint, as the lock takes
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {function}(:key)"), {"key": key})


def newest_row(session: Session, name: str) -> tuple[int, str, str, str, str | None] | None:
    """(version, text, source, sha256, files) of the newest stored version of `name`."""
    row = session.execute(
        text(
            "SELECT version, text, source, sha256, files FROM policy_versions WHERE name = :n "
            "ORDER BY version DESC LIMIT 1"
        ),
        {"n": name},
    ).first()
    if row is None:
        return None
    return (int(row.version), row.text, row.source, row.sha256, row.files)


def in_use(
    session: Session,
    stored: StoredPolicies,
    name: str,
    file_policy: Callable[[], Policy],
    actor: str,
    at: datetime,
) -> Policy:
    """The version a new case of `name` starts under, inside the caller's write
    transaction: the newest stored one, or the file, stored now as version 1."""
    lock(session, name, exclusive=False)
    newest = newest_row(session, name)
    if newest is not None:
        version, body, source, _, files = newest
        return stored.remember(name, version, body, source, files)
    policy = file_policy()
    store(session, policy, 1, actor, at)
    stored.forget_newest()
    return replace(policy, version=1)


def store(session: Session, policy: Policy, version: int, actor: str, at: datetime) -> None:
    """Insert the version; a concurrent first use of the same file stored it already."""
    from deskterm.models import PolicyVersion

    values = {
        "name": policy.name,
        "version": version,
        "text": policy.text,
        "files": encode_files(policy.files),
        "sha256": policy.sha256,
        "source": policy.source,
        "created_by": actor,
        "created_at": at,
    }
    table = table_of(PolicyVersion)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())
    else:  # pragma: no cover - deskterm runs on SQLite and PostgreSQL
        session.execute(table.insert().values(**values))


def drift(engine: Engine, catalog: PolicyCatalog) -> list[Drift]:
    """The policies whose file is not the newest stored version."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.name, p.version, p.sha256 FROM policy_versions p JOIN "
                "(SELECT name, MAX(version) AS version FROM policy_versions GROUP BY name) n "
                "ON p.name = n.name AND p.version = n.version ORDER BY p.name"
            )
        ).all()
    found = []
    entries = catalog.entries()
    for row in rows:
        entry = entries.get(row.name)
        if entry is None:
            continue  # the file is gone: the stored version goes on
        if entry.policy is None:
            found.append(Drift(row.name, int(row.version), str(entry.path), entry.problems[0]))
        elif entry.policy.sha256 != row.sha256:
            found.append(Drift(row.name, int(row.version), str(entry.path)))
    return found


class Versions:
    """A set of stored versions (a desk's, or an import file's), each parsed on first use;
    a case with no version follows the newest stored one, else the file."""

    def __init__(
        self,
        rows: Iterable[tuple[str, int, str, str, str | None]],
        catalog: PolicyCatalog | None = None,
    ) -> None:
        self._texts = {
            (name, int(version)): (body, source, files)
            for name, version, body, source, files in rows
        }
        self._newest: dict[str, int] = {}
        for name, version in self._texts:
            self._newest[name] = max(version, self._newest.get(name, 0))
        self._parsed: dict[tuple[str, int], Policy | None] = {}
        self._catalog = catalog

    @classmethod
    def of_desk(cls, connection: Connection, catalog: PolicyCatalog | None) -> Versions:
        rows = connection.execute(
            text("SELECT name, version, text, source, files FROM policy_versions")
        )
        return cls(((r.name, r.version, r.text, r.source, r.files) for r in rows), catalog)

    def for_case(self, name: str, version: int | None) -> Policy | None:
        """None: a version that cannot be read, or a policy this desk has no file of."""
        if version is None:
            version = self._newest.get(name)
        if version is None:
            if self._catalog is None:
                return None
            entry = self._catalog.entries().get(name)
            return None if entry is None else entry.policy
        key = (name, version)
        if key not in self._parsed:
            stored = self._texts.get(key)
            try:
                self._parsed[key] = None if stored is None else parse_stored(name, version, *stored)
            except PolicyError:
                self._parsed[key] = None
        return self._parsed[key]

    def all_of(self, name: str) -> list[Policy]:
        """Every stored version of `name` that can be read."""
        found = [self.for_case(name, version) for stored, version in self._texts if stored == name]
        return [policy for policy in found if policy is not None]

    def version_of(self, current: Policy) -> Callable[[int | None], Policy]:
        """`current`'s earlier versions by number (None: the file); one this desk cannot
        read is judged as `current` (desk/deadlines.py `keep_settled`)."""

        def of(version: int | None) -> Policy:
            if version is None:
                entry = None if self._catalog is None else self._catalog.entries().get(current.name)
                found = None if entry is None else entry.policy
            else:
                found = self.for_case(current.name, version)
            return current if found is None else found

        return of


def record_versions(session: Session, catalog: PolicyCatalog, actor: str, at: datetime) -> None:
    """Store version 1 of every policy the desk's cases and organizations use that has none,
    and pin each case without a version to its policy's newest (a desk filled in bulk, such
    as the demo, calls this once it is filled)."""
    names = session.execute(
        text("SELECT DISTINCT policy FROM cases UNION SELECT DISTINCT policy FROM organizations")
    ).scalars()
    newest = newest_versions(session.connection())
    entries = catalog.entries()
    for name in sorted(names):
        entry = entries.get(name)
        if name in newest or entry is None or entry.policy is None:
            continue
        store(session, entry.policy, 1, actor, at)
    for name, version in newest_versions(session.connection()).items():
        session.execute(
            text(
                "UPDATE cases SET policy_version = :v WHERE policy = :n AND policy_version IS NULL"
            ),
            {"v": version, "n": name},
        )


def versions_at(
    connection: Connection, case_ids: Sequence[int], instant: datetime
) -> dict[int, int | None]:
    """The version each case ran under at `instant`, for the cases a policy was applied
    to since (the old version its first POLICY event after `instant` names); the others
    run under their `policy_version` still."""
    from sqlalchemy import select

    from deskterm.models import Event, EventKind

    events = table_of(Event)
    found: dict[int, int | None] = {}
    rows = connection.execute(
        select(events.c.case_id, events.c.old_value)
        .where(
            events.c.kind == EventKind.POLICY.value,
            events.c.at >= instant,
            events.c.case_id.in_(list(case_ids)),
        )
        .order_by(events.c.case_id, events.c.id)
    )
    for row in rows:
        if row.case_id not in found:
            found[row.case_id] = version_named(row.old_value)
    return found


def version_named(value: str | None) -> int | None:
    """`version 2, due ...` -> 2; `the file, due ...` -> None (a POLICY event's values)."""
    words = (value or "").split(",", 1)[0].split()
    return (
        int(words[1]) if len(words) == 2 and words[0] == "version" and words[1].isdigit() else None
    )
