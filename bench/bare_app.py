"""The floor of a live console: a bare Textual app that hears a desk's changes.

    python bench/bare_app.py --db FILE

Shows `ready` at once, asks SQLite every half second whether anything was committed
(`PRAGMA data_version` on a connection held open, as deskterm's change watcher does)
and, when something was, reads the newest event's id and shows it: the least a
console can do to notice a change and paint it. bench/live_bench.py measures it
beside deskterm (start to first paint, CPU per change made elsewhere). q quits.
"""

from __future__ import annotations

import argparse
import sqlite3

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

POLL_SECONDS = 0.5  # as deskterm.live.monitor


class BareApp(App[None]):
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, path: str) -> None:
        super().__init__()
        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.version = self._data_version()
        self.changes = 0

    def _data_version(self) -> int:
        return int(self.connection.execute("PRAGMA data_version").fetchone()[0])

    def compose(self) -> ComposeResult:
        yield Static("ready", id="status")

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self.poll)

    def poll(self) -> None:
        version = self._data_version()
        if version == self.version:
            return
        self.version = version
        self.changes += 1
        (newest,) = self.connection.execute("SELECT max(id) FROM events").fetchone()
        self.query_one("#status", Static).update(f"ready; changes {self.changes}, event {newest}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    BareApp(parser.parse_args().db).run()


if __name__ == "__main__":
    main()
