"""What a database failure means for the person at the keyboard: disk full, read-only,
I/O errors, a lock held too long, a lost server. One clear sentence for each, so a use
case that the storage refused says so instead of ending in a traceback.
"""

from __future__ import annotations

import os
import sqlite3

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

_SQLITE_MESSAGES = {
    _SQLITE_FULL: "the disk holding the database is full",
    _SQLITE_READONLY: "the database is read-only (its file, its directory or its file system)",
    _SQLITE_IOERR: "the database file could not be read or written (disk I/O error)",
    _SQLITE_CANTOPEN: "the database file cannot be opened (missing, no permission, or a read-only file system)",
    _SQLITE_BUSY: "another deskterm held the database too long (it is busy)",
    _SQLITE_LOCKED: "another deskterm held the database too long (it is locked)",
    _SQLITE_CORRUPT: "the database file is damaged: run deskterm doctor",
    _SQLITE_NOTADB: "the database file is not an SQLite database: run deskterm doctor",
}

# PostgreSQL SQLSTATE codes and classes (first two characters).
_PG_MESSAGES = {
    "53100": "the disk holding the database server's data is full",
    "25006": "the database server only allows reading (a read-only transaction or replica)",
    "57P03": "the database server is not accepting connections (starting up or shutting down)",
}
_PG_CLASSES = {
    "53": "the database server has run out of resources (disk, memory or connections)",
}


# The server ended the connection: a terminated backend (57P01 is what
# pg_terminate_backend and a fast shutdown send), a crash (57P02), or a lost link
# (class 08). The connection is dead; a new one may well work.
_PG_GONE_STATES = ("57P01", "57P02")
_PG_GONE_CLASSES = ("08",)
# The server is there but lets no new connection in, for now: it is starting up or
# shutting down (57P03), or every connection slot is taken (53300, "too many clients
# already"). Nothing was written; asking again later may well work.
_PG_REFUSED_STATES = ("57P03", "53300")


def server_gone(error: BaseException) -> bool:
    """True when a DB-API error means the database server went away from this connection."""
    if isinstance(error, sqlite3.Error):
        return False
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(state, str):
        return state in _PG_GONE_STATES or state[:2] in _PG_GONE_CLASSES
    try:
        import psycopg
    except ImportError:  # pragma: no cover  (psycopg is a dependency)
        return False
    # psycopg's OperationalError without a SQLSTATE: the socket closed, refused or
    # timed out; the server never answered with an error of its own.
    return isinstance(error, psycopg.OperationalError)


def server_refused(error: BaseException) -> bool:
    """True when a DB-API error is the database server refusing a new connection for now."""
    if isinstance(error, sqlite3.Error):
        return False
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return isinstance(state, str) and state in _PG_REFUSED_STATES


# The least free space SQLite needs to write a transaction, its WAL and its index.
ROOM_NEEDED = 1024 * 1024


def disk_full(database: str | None) -> bool:
    """Whether the file system holding the SQLite file `database` has no room left."""
    if not database or database == ":memory:":
        return False
    try:
        found = os.statvfs(os.path.dirname(os.path.abspath(database)))
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < ROOM_NEEDED


def storage_problem(error: BaseException, database: str | None = None) -> str | None:
    """A sentence for a DB-API error that is the storage's fault, else None.

    None for everything else (constraint violations, a query interrupted on
    purpose, programming errors): those keep their own handling. `database`, the
    SQLite file, tells a full disk from other I/O errors: SQLite says "disk I/O
    error" when it cannot grow its WAL or shared-memory file on a full disk.
    """
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        problem = (
            _sqlite_by_message(str(error)) if code is None else _SQLITE_MESSAGES.get(code & 0xFF)
        )
        if problem in (_SQLITE_MESSAGES[_SQLITE_IOERR], _SQLITE_MESSAGES[_SQLITE_CANTOPEN]) and (
            disk_full(database)
        ):
            return _SQLITE_MESSAGES[_SQLITE_FULL]
        return problem
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(state, str):
        return _PG_MESSAGES.get(state) or _PG_CLASSES.get(state[:2])
    return None


def _sqlite_by_message(message: str) -> str | None:
    # Errors raised before a statement ran (opening the file) carry no code.
    lowered = message.lower()
    for fragment, code in (
        ("disk is full", _SQLITE_FULL),
        ("readonly", _SQLITE_READONLY),
        ("disk i/o error", _SQLITE_IOERR),
        ("unable to open database file", _SQLITE_CANTOPEN),
        ("database is locked", _SQLITE_BUSY),
        ("malformed", _SQLITE_CORRUPT),
        ("not a database", _SQLITE_NOTADB),
    ):
        if fragment in lowered:
            return _SQLITE_MESSAGES[code]
    return None


def explain(error: BaseException, database: str | None = None) -> str:
    """A database error in one line: the storage problem in words if it is one."""
    from deskterm.store.engine import first_line

    original = getattr(error, "orig", None) or error
    return storage_problem(original, database) or first_line(error)
