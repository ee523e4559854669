"""The database engine: SQLite by default, PostgreSQL for desks spread over hosts.

SQLite is opened in WAL mode with a busy timeout and foreign keys on, and write
transactions begin with BEGIN IMMEDIATE: a deferred transaction that reads and
then writes gets "database is locked" at once whatever the timeout, while an
immediate one waits its turn (docs/architecture.md, invariant 5).

A new SQLite file is created mode 0660 (`DATABASE_MODE`), whatever the umask, and
SQLite gives its -wal and -shm files the database file's mode: on a jump host
everyone in the desk's group reads and writes the desk, nobody else reads it.

Before each write transaction an SQLite desk checks that its path still names the
file it opened (device and inode): a connection held open on a deleted or replaced
file would otherwise go on acknowledging changes nobody will ever read. The engine
never creates a missing directory (see `deskterm.opening` for the one place that does).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 10_000
# What SQLite keeps of its write-ahead log (-wal) once copied into the desk. deskterm's
# processes end without closing their connections, so no last close deletes the log:
# without a limit it kept the size of the largest transaction ever written (a
# million-case demo: 5 GB beside the 5 GB desk, for good).
WAL_KEPT_BYTES = 8 * 2**20  # twice the 1,000 pages past which SQLite copies it in
DATABASE_MODE = 0o660  # group-readable and writable, never world-readable
_WRITE = "deskterm_write"


def database_url(location: str) -> str:
    """An SQLAlchemy URL from `--db`/`DESKTERM_DB`: a URL as is, or a file path."""
    if "://" in location:
        return location
    return f"sqlite:///{Path(location).expanduser().resolve()}"


def printable_url(url: str) -> str:
    """The URL as it may be shown to a user or written to a log: no password."""
    return make_url(url).render_as_string(hide_password=True)


def first_line(error: BaseException) -> str:
    """A database error's message without the statement and link SQLAlchemy appends."""
    return (str(error).splitlines() or [type(error).__name__])[0]


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    opened: tuple[Path, tuple[int, int]] | None = None  # a file's path and identity
    if parsed.database and parsed.database != ":memory:":
        create_database_file(Path(parsed.database))
        opened = (Path(parsed.database), file_identity(Path(parsed.database)))
    engine = create_engine(
        url,
        # pysqlite's own transaction handling is switched off so that the begin
        # hook below decides how each transaction starts.
        connect_args={"isolation_level": None, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    if opened is not None:  # checked before BEGIN: a refused write begins nothing
        event.listen(engine, "begin", _same_file_check(*opened))
        _OPENED[engine] = opened
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def file_identity(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_dev, found.st_ino


# Each SQLite engine's file and the (device, inode) it had when opened.
_OPENED: weakref.WeakKeyDictionary[Engine, tuple[Path, tuple[int, int]]] = (
    weakref.WeakKeyDictionary()
)


def check_same_file(engine: Engine) -> None:
    """Refuse (StorageError) when the engine's SQLite file is no longer the one it opened."""
    opened = _OPENED.get(engine)
    if opened is not None:
        _refuse_if_replaced(*opened)


def _same_file_check(path: Path, identity: tuple[int, int]) -> Any:
    def check(connection: Any) -> None:
        if connection.get_execution_options().get(_WRITE):
            _refuse_if_replaced(path, identity)

    return check


def _refuse_if_replaced(path: Path, identity: tuple[int, int]) -> None:
    try:
        now = file_identity(path)
    except OSError:
        now = None
    if now != identity:
        # A refusal the front ends say in one line (store never imports desk at load).
        from deskterm.desk.errors import StorageError

        raise StorageError(
            f"the database file {path} was deleted or replaced since deskterm opened "
            "it: nothing was written; restart deskterm on the right file"
        )


def create_database_folder(path: Path) -> None:
    """Create the folder a new desk's file goes in (0770): only for a new desk."""
    path.parent.mkdir(mode=0o770, parents=True, exist_ok=True)


def create_database_file(path: Path) -> None:
    """Create an empty SQLite file mode 0660 if there is none; never its folder.

    SQLite would create it with 0644 minus the umask: world-readable, and not
    writable for the rest of the group. chmod is not subject to the umask.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DATABASE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, DATABASE_MODE)
    finally:
        os.close(fd)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode at each checkpoint
    cursor.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(_WRITE) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


def writer(engine: Engine) -> Engine:
    """The engine whose transactions are write transactions (BEGIN IMMEDIATE on SQLite,
    after the same-file check), for a connection that writes in several of its own."""
    return engine.execution_options(**{_WRITE: True})


@contextmanager
def writing(engine: Engine | Connection) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back on error. On
    a connection of the caller's own (the sweep's), that connection writes from then on."""
    from sqlmodel import Session  # the ORM only once something is written (start-up time)

    writer = engine.execution_options(**{_WRITE: True})
    with Session(writer, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """One read transaction: a consistent snapshot, no write lock."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """As `reading`, on plain rows (SQLAlchemy Core): for readers that must start fast."""
    with engine.connect() as connection, connection.begin():
        yield connection
