"""Has anyone changed the desk? A cheap question the console asks every half second.

On SQLite, `PRAGMA data_version` on a connection of its own changes whenever
another connection (another terminal, the CLI, another user on the jump host)
commits. Elsewhere, every change writes an event, so the newest event id is the
token, with the outbox's change counter (a mail sent writes no event);
PostgreSQL's LISTEN/NOTIFY can replace the poll without changing callers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text


class ChangeWatcher:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None
        self._token: object = None

    def _current(self) -> object:
        if self.engine.dialect.name == "sqlite":
            if self._connection is None:
                # A raw DBAPI connection held open: data_version is per connection.
                self._connection = self.engine.raw_connection()
            cursor = self._connection.cursor()
            try:
                return cursor.execute("PRAGMA data_version").fetchone()[0]
            finally:
                cursor.close()
        with self.engine.connect() as connection:
            # The outbox counter: a mail sent or failed writes no event.
            return tuple(
                connection.execute(
                    text(
                        "SELECT (SELECT max(id) FROM events), "
                        "(SELECT value FROM counters WHERE name = 'outbox_changes')"
                    )
                ).one()
            )

    def changed(self) -> bool:
        """True when something was committed since the last call (False the first time)."""
        token = self._current()
        changed = self._token is not None and token != self._token
        self._token = token
        return changed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
