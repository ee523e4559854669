"""Has anyone changed the desk? A cheap question the console asks every half second.

On SQLite, `PRAGMA data_version` on a connection of its own changes whenever
another connection (another terminal, the CLI, another user on the jump host)
commits. On PostgreSQL a connection of its own LISTENs on the desk's channel,
where a trigger (migration 0002_desk) announces every case written as
`<number>:<version>` when its transaction commits, and another (migration
0002_mail) says `outbox:<n>` when the mail sender records a mail sent or failed,
which writes no case row.

A watcher never raises for a lost server: it says so (`problem`), tries again on
the next question, and answers "changed" once it is back, since changes made
while it was away were not heard.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

LOST = "lost the connection to the database"
# The channel: the table's schema, as the trigger's TG_TABLE_SCHEMA names it. Tests
# (and desks) in different schemas of one database then hear only their own.
CHANNEL_SQL = "SELECT left('deskterm:' || current_schema(), 63)"


def parse_payload(payload: str) -> tuple[int, int] | None:
    """`"40100:7"` -> (40100, 7); None for anything else."""
    number, _, version = payload.partition(":")
    try:
        return int(number), int(version)
    except ValueError:
        return None


class ChangeWatcher:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None  # SQLite: a raw DBAPI connection
        self._listener: Connection | None = None  # PostgreSQL: LISTENing, autocommit
        self._token: object = None
        self._started = False
        self._channel: str | None = None
        # Why the watcher cannot hear the desk now (None: it can).
        self.problem: str | None = None
        # (case number, version) of the changes heard at the last question (PostgreSQL).
        self.heard: list[tuple[int, int]] = []

    @property
    def channel(self) -> str | None:
        """The PostgreSQL channel listened on, once listening."""
        return self._channel

    # -- SQLite ----------------------------------------------------------------------

    def _data_version(self) -> object:
        if self._connection is None:
            # A raw DBAPI connection held open: data_version is per connection.
            self._connection = self.engine.raw_connection()
        cursor = self._connection.cursor()
        try:
            return cursor.execute("PRAGMA data_version").fetchone()[0]
        finally:
            cursor.close()

    # -- PostgreSQL ------------------------------------------------------------------

    def _listen(self) -> None:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            channel = connection.execute(text(CHANNEL_SQL)).scalar_one()
            quoted = connection.dialect.identifier_preparer.quote_identifier(channel)
            connection.exec_driver_sql(f"LISTEN {quoted}")
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        self._channel = channel
        self._listener = connection

    def listener_pid(self) -> int | None:
        """The backend of the LISTENing connection (to cut it in a test)."""
        if self._listener is None:
            return None
        return self._listener.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]

    def _drop_listener(self) -> None:
        if self._listener is not None:
            with suppress(Exception):  # closing what may be broken already
                self._listener.invalidate()
                self._listener.close()
            self._listener = None

    def _notified(self) -> bool:
        """True when notifications arrived; (re)connects first if need be."""
        reconnected = False
        try:
            if self._listener is None:
                self._listen()
                reconnected = self.problem is not None
            raw = self._listener.connection.driver_connection  # type: ignore[union-attr]
            payloads = [notify.payload for notify in raw.notifies(timeout=0)]
            self.heard = [
                parsed for payload in payloads if (parsed := parse_payload(payload)) is not None
            ]
        except Exception as error:
            if not is_lost(error):
                raise
            self._drop_listener()
            self.heard = []
            self.problem = LOST
            return False
        self.problem = None
        return reconnected or bool(payloads)

    # -- both ------------------------------------------------------------------------

    def changed(self) -> bool:
        """True when something was committed since the last call (False the first time)."""
        if self.engine.dialect.name != "sqlite":
            first, self._started = not self._started, True
            return self._notified() and not first
        token = self._data_version()
        changed = self._token is not None and token != self._token
        self._token = token
        return changed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._drop_listener()


def is_lost(error: BaseException) -> bool:
    """A lost or refused connection, as opposed to a bug (which must be seen)."""
    import psycopg

    from deskterm.desk.errors import ServerGone

    if isinstance(error, ServerGone):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error.orig, psycopg.OperationalError)
    return isinstance(error, psycopg.OperationalError | OSError)
