"""Telling the user the database is away, and back: one notice for the whole app.

Both the queue and the case screen watch the desk; whichever notices first tells,
the other stays quiet. Nothing the user typed is touched: composers keep their text
(and their drafts on disk), and the screens reload when the database is back.
"""

from __future__ import annotations

from textual.app import App

AWAY_TITLE = "Database unreachable"
AWAY = "{problem}: reconnecting ... Your unsaved text is kept; nothing is lost."
BACK = "Reconnected to the database: the desk is reloaded."
_STATE = "_deskterm_database_problem"


def show_connection(app: App[object], problem: str | None) -> None:
    """Announce a change of `problem` (None: reachable) once, whoever sees it first."""
    if getattr(app, _STATE, None) == problem:
        return
    was = getattr(app, _STATE, None)
    setattr(app, _STATE, problem)
    if problem is not None:
        # Stays up while the database is away: the notice is the "reconnecting" state.
        app.notify(
            AWAY.format(problem=problem.capitalize()),
            title=AWAY_TITLE,
            severity="warning",
            timeout=24 * 3600,
            markup=False,
        )
    elif was is not None:
        app.clear_notifications()
        app.notify(BACK, timeout=5, markup=False)
