"""The console's one ear on the desk: a change feed and the connection's state.

One `DeskMonitor` per console (the app owns it) asks the store's `ChangeWatcher`
every half second what was committed, and posts what it hears to the app as
typed messages (`deskterm.live.messages`), which hands them to the screens.
Before it, the queue, the case screen and the board each polled a watcher of
their own, and each reloaded all it showed on any change anywhere.

On SQLite the question is a pragma on a connection held open (microseconds),
and the events since the last one seen only when it says something changed:
asked on the app's own thread, it spares a console a thread a second for days.
On PostgreSQL, where a lost server can make a question wait, it is asked in a
worker thread.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from textual.app import App
from textual.timer import Timer

from deskterm.live.messages import ConnectionBack, ConnectionLost, DeskChanged
from deskterm.store.changes import Changes, ChangeWatcher

# How often the console asks whether anyone changed the desk.
POLL_SECONDS = 0.5


class DeskMonitor:
    def __init__(self, app: App[Any], engine: Engine) -> None:
        self.app = app
        self.watcher = ChangeWatcher(engine)
        self.problem: str | None = None  # why the desk cannot be heard (None: it can)
        self._timer: Timer | None = None
        self._in_thread = engine.dialect.name != "sqlite"
        # A question is under way in its thread (PostgreSQL): the next tick waits.
        self._asking = False

    def start(self) -> None:
        """Take the starting point (before any screen reads) and poll from now on."""
        self.watcher.poll()
        self._report(None)
        self._timer = self.app.set_interval(POLL_SECONDS, self.poll)

    def poll(self) -> None:
        if not self._in_thread:
            self.ask()
        elif not self._asking:
            # One question at a time: one slower than a tick (a reconnection to a
            # loaded or restarting server) is let finish. Textual's `exclusive` would
            # cancel the worker's task but not its thread, and two threads would share
            # the watcher's one LISTENing connection, one dropping it under the other.
            self._asking = True
            self.app.run_worker(self._ask_in_thread, thread=True, group="desk-monitor")

    def _ask_in_thread(self) -> None:
        try:
            self.ask()
        finally:
            self._asking = False

    def ask(self) -> None:
        """One question to the feed; its answer posted to the app (any thread)."""
        changes = self.watcher.poll()
        self._report(changes)

    def _report(self, changes: Changes | None) -> None:
        problem = self.watcher.problem
        if problem != self.problem:
            was, self.problem = self.problem, problem
            if problem is not None:
                self.app.post_message(ConnectionLost(problem))
            elif was is not None:
                self.app.post_message(ConnectionBack())
        if changes is not None:
            self.app.post_message(
                DeskChanged(
                    changes.cases,
                    mail=changes.mail,
                    everything=changes.unknown,
                    kinds=changes.kinds,
                )
            )

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.watcher.close()
