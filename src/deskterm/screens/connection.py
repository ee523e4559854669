"""Telling the user the database is away, and back, and that it refused: one notice each.

The console's monitor (deskterm.live.monitor) is the only one that watches the
connection; the app calls these on its `ConnectionLost`, `ConnectionBack` and
`StorageFailed` messages. Nothing the user typed is touched: composers keep
their text (and their drafts on disk), and the screens reload when the database
is back (the monitor's `DeskChanged(everything=True)`).
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from deskterm.safe_text import safe_line

AWAY_TITLE = "Database unreachable"
AWAY = "{problem}: reconnecting ... Your unsaved text is kept; nothing is lost."
BACK = "Reconnected to the database: the desk is reloaded."
FAILED_TITLE = "The database refused"


def announce_lost(app: App[Any], problem: str) -> None:
    # Stays up while the database is away: the notice is the "reconnecting" state.
    app.notify(
        AWAY.format(problem=problem.capitalize()),
        title=AWAY_TITLE,
        severity="warning",
        timeout=24 * 3600,
        markup=False,
    )


def announce_back(app: App[Any]) -> None:
    app.clear_notifications()
    app.notify(BACK, timeout=5, markup=False)


def announce_failure(app: App[Any], problem: str) -> None:
    """A storage failure a worker met (disk full, read-only, I/O, a lost server)."""
    app.notify(safe_line(problem), title=FAILED_TITLE, severity="error", timeout=10, markup=False)
