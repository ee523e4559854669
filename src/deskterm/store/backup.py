"""Backing up and restoring an SQLite desk with SQLite's online backup API.

The backup API copies a consistent snapshot while other processes keep writing (in
WAL mode readers do not block writers), and writing *into* a live database it
replaces every page in one transaction: everyone else sees the old desk or the
restored one, never a mix. Files are written beside their target under a temporary
name, checked, and renamed into place.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from deskterm.errors import SystemFailure
from deskterm.store.migrate import SchemaError, pending_revisions

SQLITE_HEADER = b"SQLite format 3\x00"
# The tables a database must hold to be a deskterm desk.
DESK_TABLES = frozenset({"alembic_version", "cases", "events", "organizations", "contacts"})


class BackupError(SystemFailure, RuntimeError):
    """The backup or restore was refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class Copied:
    path: Path
    revision: str
    cases: int
    events: int
    kept: Path | None = None  # restore: the copy of the database it replaced


def backup(source: Path, target: Path, *, force: bool = False) -> Copied:
    """Copy the live database `source` to `target`, consistently, while others write."""
    if not source.exists():
        raise BackupError(f"there is no database at {source} to back up")
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the backup's file name")
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself: give another file")
    if target.exists() and not force:
        raise BackupError(f"{target} exists: give another name, or --force to overwrite it")
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist")
    described = describe(source)
    with _staged(target) as staging:
        _copy(_open(source, readonly=True), staging)
        _check(staging)
    return Copied(target, described.revision, described.cases, described.events)


def restore(source: Path, database: Path, now: datetime, *, force: bool = False) -> Copied:
    """Replace the desk in `database` by the backup `source`, keeping a copy of it first."""
    if not source.is_file():
        what = "is not a file" if source.exists() else "does not exist"
        raise BackupError(f"{source} {what}: give the path of a backup")
    if database.exists() and source.resolve() == database.resolve():
        raise BackupError(f"{source} is the current database itself")
    described = describe(source)
    _check(source)
    kept = None
    if database.exists() and database.stat().st_size > 0:
        _replaceable(database)
        if not force:
            raise BackupError(
                f"{database} exists: add --force to replace it (a copy of it is kept)"
            )
        kept = _free_name(database, f"before-restore.{now:%Y%m%dT%H%M%SZ}")
        with _staged(kept) as staging:
            _copy(_open(database, readonly=True), staging)
        _into_live(source, database)
    else:
        if not database.parent.is_dir():
            raise BackupError(f"the directory {database.parent} does not exist")
        with _staged(database) as staging:
            _copy(_open(source, readonly=True), staging)
            _check(staging)
    return Copied(database, described.revision, described.cases, described.events, kept)


def _replaceable(database: Path) -> None:
    """Restore replaces a desk (a damaged one, say): never a file that is no database."""
    if not _starts_as_sqlite(database):
        raise BackupError(
            f"{database} is not an SQLite database: restore replaces a desk; "
            "name a deskterm database, or a new file, with --db"
        )


def _starts_as_sqlite(path: Path) -> bool:
    """Whether the file begins as an SQLite database does (a BackupError if unreadable)."""
    try:
        with path.open("rb") as file:
            return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror or error}") from None


@dataclass(frozen=True)
class Described:
    revision: str
    cases: int
    events: int


def describe(path: Path) -> Described:
    """What a file holds, refusing anything that is not a deskterm database we know."""
    if not _starts_as_sqlite(path):
        raise BackupError(f"{path} is not an SQLite database")
    try:
        with closing(_open(path, readonly=True)) as connection:
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            missing = DESK_TABLES - tables
            if missing:
                raise BackupError(
                    f"{path} is an SQLite database but not a deskterm desk "
                    f"(no {', '.join(sorted(missing))} table)"
                )
            stored = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            cases = connection.execute("SELECT count(*) FROM cases").fetchone()[0]
            events = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"cannot read {path}: {error}") from None
    if stored is None:
        raise BackupError(f"{path} has no schema revision: not a deskterm desk")
    try:
        pending_revisions(stored[0])
    except SchemaError as error:
        raise BackupError(f"{path}: {error}") from None
    return Described(stored[0], cases, events)


def _free_name(database: Path, stamp: str) -> Path:
    """`deskterm.db.before-restore.<stamp>.bak`, numbered if that name is taken."""
    candidate = database.with_name(f"{database.name}.{stamp}.bak")
    number = 1
    while candidate.exists():
        number += 1
        candidate = database.with_name(f"{database.name}.{stamp}.{number}.bak")
    return candidate


def _open(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    mode = "ro" if readonly else "rw"
    return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=10)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    try:
        with closing(source), closing(sqlite3.connect(target)) as destination:
            source.backup(destination)
            # A rollback-journal file: reading it later (describe, integrity_check,
            # read-only) then leaves no -wal and -shm files behind it.
            destination.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy into {target}: {error}") from None


def _check(path: Path) -> None:
    with closing(_open(path, readonly=True)) as connection:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{path} fails its integrity check: {'; '.join(problems[:3])}")


def _into_live(source: Path, database: Path) -> None:
    """Overwrite a database others may have open, in one transaction, via the backup API."""
    with closing(_open(source, readonly=True)) as origin, closing(_open(database)) as live:
        live.execute("PRAGMA busy_timeout=10000")
        try:
            origin.backup(live)
        except sqlite3.Error as error:
            raise BackupError(f"cannot write {database}: {error}") from None
        problems = [row[0] for row in live.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{database} fails its integrity check after the restore")


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """A temporary file beside `target`, renamed onto it once the block succeeds."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    staging = Path(name)
    try:
        yield staging
        os.chmod(staging, 0o600)  # what customers wrote is not for everyone on the host
        with staging.open("rb") as file:
            os.fsync(file.fileno())
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    for suffix in ("-wal", "-shm", "-journal"):
        staging.with_name(staging.name + suffix).unlink(missing_ok=True)
