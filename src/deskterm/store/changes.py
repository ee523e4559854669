"""Has anyone changed the desk? A cheap question the console asks every half second.

On SQLite, `PRAGMA data_version` on a connection of its own changes whenever
another connection (another terminal, the CLI, another user on the jump host)
commits. On PostgreSQL a connection of its own LISTENs on the desk's channel,
where a trigger (migrations 0002_desk and 0012_live_kinds) announces every case
written as `<number>:<version>:<kinds>` when its transaction commits (the kinds
of the events written at that version), and another (migration 0002_mail) says
`outbox:<n>` when the mail sender records a mail sent or failed, which writes no
case row.

What changed is told too (`poll`), so that a screen refreshes only the rows it
shows of the cases named, and counts the desk again only when a change can move
its figures (`Changes.kinds`): on PostgreSQL from the payloads; on SQLite from the
events written since the last event seen (every change to a case writes one, in
its transaction; `events.id` is the primary key, so this is a range read of the
new rows only) and the outbox's counter. Anything else written (a directory
change, a case row touched without an event, more events than are worth
naming) is told as `Changes.unknown` on SQLite, and as a case without kinds on
PostgreSQL: reload everything, as before.

A watcher never raises for a lost server: it says so (`problem`), tries again on
the next question, and answers "changed" once it is back, since changes made
while it was away were not heard (that answer is `unknown`).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

LOST = "lost the connection to the database"
# The channel: the table's schema, as the trigger's TG_TABLE_SCHEMA names it. Tests
# (and desks) in different schemas of one database then hear only their own.
CHANNEL_SQL = "SELECT left('deskterm:' || current_schema(), 63)"


# More events than this since the last question (a bulk import, the demo): naming
# the cases would cost more than reloading what is shown.
MOST_NAMED = 1000
OUTBOX_COUNTER = "outbox_changes"  # bumped by the mail sender (migration 0002_mail)
# Events that move no figure of the desk: no status, severity, assignee or escalation
# (the counters), and no clock (they are not part of a case's SLA history,
# deskterm.desk.deadlines.history_of). A change made only of these leaves every count,
# deadline and board figure as it was: a screen need not count the desk again.
QUIET_KINDS = frozenset({"note", "attach", "checklist", "linked", "automatic-mail"})
# Events that move who holds a case or its escalation, and no deadline and no status:
# they are not part of the SLA history either. The counters and the per-engineer
# figures move; the desk's deadline counts (breached, due within the hour) do not.
HOLDER_KINDS = frozenset({"assign", "escalate"})


@dataclass(frozen=True)
class Changes:
    """What was committed since the last question."""

    # case number -> the newest version heard of it
    cases: Mapping[int, int] = field(default_factory=dict)
    mail: bool = False  # the outbox changed (a mail sent or failed): no case row written
    unknown: bool = False  # something the feed cannot name: reload everything
    # The kinds of the events written; None when the feed cannot tell them all (a
    # case row written without an event): then a screen reads everything again.
    kinds: frozenset[str] | None = None


def parse_payload(payload: str) -> tuple[int, int, frozenset[str] | None] | None:
    """`"40100:7:note"` -> (40100, 7, {"note"}); `"40100:7"` -> (40100, 7, None), the
    kinds not told (a new case, a row written without a new version); None for
    anything else."""
    parts = payload.split(":", 2)
    try:
        number, version = int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return None
    kinds = frozenset(parts[2].split(",")) if len(parts) == 3 and parts[2] else None
    return number, version, kinds


class ChangeWatcher:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None  # SQLite: a raw DBAPI connection
        self._listener: Connection | None = None  # PostgreSQL: LISTENing, autocommit
        self._token: object = None
        self._started = False
        self._channel: str | None = None
        # SQLite: the newest event and outbox counter seen at the last question.
        self._last_event = 0
        self._outbox = 0
        # Why the watcher cannot hear the desk now (None: it can).
        self.problem: str | None = None
        # (case number, version) of the changes heard at the last question (PostgreSQL).
        self.heard: list[tuple[int, int]] = []

    @property
    def channel(self) -> str | None:
        """The PostgreSQL channel listened on, once listening."""
        return self._channel

    # -- SQLite ----------------------------------------------------------------------

    def _query(self, sql: str, *parameters: object) -> list[tuple[Any, ...]]:
        if self._connection is None:
            # A raw DBAPI connection held open: data_version is per connection.
            self._connection = self.engine.raw_connection()
        cursor = self._connection.cursor()
        try:
            return list(cursor.execute(sql, parameters).fetchall())
        finally:
            cursor.close()

    def _data_version(self) -> object:
        return self._query("PRAGMA data_version")[0][0]

    def _marks(self) -> tuple[int, int]:
        """The newest event's id and the outbox counter, to name what comes after."""
        last = self._query("SELECT coalesce(max(id), 0) FROM events")[0][0]
        outbox = self._query("SELECT value FROM counters WHERE name = ?", OUTBOX_COUNTER)
        return int(last), int(outbox[0][0]) if outbox else 0

    def _sqlite_changes(self) -> Changes:
        rows = self._query(
            "SELECT events.id, cases.number, events.version, events.kind FROM events "
            "JOIN cases ON cases.id = events.case_id WHERE events.id > ? "
            "ORDER BY events.id LIMIT ?",
            self._last_event,
            MOST_NAMED + 1,
        )
        outbox = self._query("SELECT value FROM counters WHERE name = ?", OUTBOX_COUNTER)
        counter = int(outbox[0][0]) if outbox else 0
        mail, self._outbox = counter != self._outbox, counter
        if len(rows) > MOST_NAMED:
            self._last_event = self._marks()[0]
            return Changes(unknown=True, mail=mail)
        named: dict[int, int] = {}
        kinds: set[str] = set()
        for event_id, number, version, kind in rows:
            named[number] = max(version, named.get(number, 0))
            kinds.add(kind)
            self._last_event = event_id
        # Committed, yet neither an event nor a mail: a directory change, a row
        # written without an event. Nothing to name: reload all.
        return Changes(named, mail, unknown=not named and not mail, kinds=frozenset(kinds))

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
        # psycopg's connection, which SQLAlchemy types as Any
        pid: int = self._raw(self._listener).info.backend_pid
        return pid

    @staticmethod
    def _raw(listener: Connection) -> Any:
        raw = listener.connection.driver_connection
        if raw is None:  # invalidated: as lost as a dropped connection
            raise ConnectionError("the LISTENing connection was invalidated")
        return raw

    def _drop_listener(self) -> None:
        if self._listener is not None:
            with suppress(Exception):  # closing what may be broken already
                self._listener.invalidate()
                self._listener.close()
            self._listener = None

    def _notified(self) -> Changes | None:
        """What the notifications that arrived name; (re)connects first if need be."""
        reconnected = False
        try:
            if self._listener is None:
                self._listen()
                reconnected = self.problem is not None
            assert self._listener is not None  # _listen() sets it or raises
            raw = self._raw(self._listener)
            payloads = [notify.payload for notify in raw.notifies(timeout=0)]
            told = [parsed for payload in payloads if (parsed := parse_payload(payload))]
            self.heard = [(number, version) for number, version, _ in told]
        except Exception as error:
            if not is_lost(error):
                raise
            self._drop_listener()
            self.heard = []
            self.problem = LOST
            return None
        self.problem = None
        if not reconnected and not payloads:
            return None
        named: dict[int, int] = {}
        kinds: set[str] | None = set()
        for number, version, written in told:
            named[number] = max(version, named.get(number, 0))
            kinds = None if kinds is None or written is None else kinds | written
        mail = any(payload.startswith("outbox:") for payload in payloads)
        return Changes(
            named,
            mail,
            unknown=reconnected,
            kinds=None if reconnected or kinds is None else frozenset(kinds),
        )

    # -- both ------------------------------------------------------------------------

    def poll(self) -> Changes | None:
        """What was committed since the last call; None for nothing (and the first time)."""
        if self.engine.dialect.name != "sqlite":
            first, self._started = not self._started, True
            changes = self._notified()
            return None if first else changes
        token = self._data_version()
        if self._token is None:
            self._token = token
            self._last_event, self._outbox = self._marks()
            return None
        if token == self._token:
            return None
        self._token = token
        return self._sqlite_changes()

    def changed(self) -> bool:
        """True when something was committed since the last call (False the first time)."""
        return self.poll() is not None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._drop_listener()


def is_lost(error: BaseException) -> bool:
    """A lost or refused connection, as opposed to a bug (which must be seen)."""
    import psycopg

    from deskterm.desk.errors import ServerGone, StorageError
    from deskterm.store.faults import server_refused

    if isinstance(error, ServerGone):
        return True
    if isinstance(error, StorageError):
        # The desk's storage handler (desk/context.py `_storage_refused`) words a
        # server that lets no new connection in ("too many clients already",
        # starting up) as a StorageError: as unreachable as a lost one, for now.
        return error.__cause__ is not None and server_refused(error.__cause__)
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error.orig, psycopg.OperationalError)
    return isinstance(error, psycopg.OperationalError | OSError)
