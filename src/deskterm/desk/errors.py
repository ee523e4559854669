"""Errors a user can act on: each message says what is wrong and what would be right."""

from __future__ import annotations

from deskterm.errors import SystemFailure, UserError


class DeskError(UserError):
    """Bad input or a refused change; nothing was written."""


class NotFound(DeskError):
    pass


class InvalidMove(DeskError):
    pass


class Conflict(DeskError):
    """The case changed since the caller loaded it; the message names who and what."""


class StorageError(DeskError, SystemFailure):
    """The database could not take the change (disk full, read-only, I/O error, lost
    server); the transaction was rolled back, so nothing was written."""


def database_refusal(error: BaseException) -> str | None:
    """One line for an error of the database's (a statement it refused, a connection
    it dropped) that is not a storage failure already; None for anything else, which
    is a bug and must be seen. For front ends that do not speak SQLAlchemy."""
    from sqlalchemy.exc import SQLAlchemyError

    from deskterm.store.engine import first_line

    if isinstance(error, SQLAlchemyError):
        return f"the database refused the change: {first_line(error)}"
    return None


SERVER_GONE = "the database server went away; nothing was written"


class ServerGone(StorageError):
    """The connection to the database server was lost mid-use: a restart, a failover,
    a terminated backend or a cut network. The transaction died with the connection,
    so nothing was written; the pool opens a fresh connection for the next use."""

    def __init__(self, message: str = SERVER_GONE) -> None:
        super().__init__(message)


def is_connection_lost(error: BaseException) -> bool:
    """A lost or refused connection to the database, as opposed to a bug (which must be
    seen): for front ends, which do not speak SQLAlchemy or psycopg."""
    from deskterm.store.changes import is_lost

    return is_lost(error)
