"""The console's one clock: every second, each screen in sight ticks.

One timer, the app's, drives every countdown and the counts beside them, so they
move together whatever else happens: a filter line that wraps the header, a
dialog over the queue (the rows under it stay live), a toast. A screen that shows
time defines `tick()`; the screens in sight are the top one and, under a dialog
(a `ModalScreen`), the ones it is drawn over.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from textual.screen import ModalScreen, Screen

TICK_SECONDS = 1.0


@runtime_checkable
class Ticking(Protocol):
    def tick(self) -> None: ...


def in_sight(stack: Sequence[Screen[Any]]) -> Iterator[Screen[Any]]:
    """The screens a user can see, top first: down through dialogs to the first full screen."""
    for screen in reversed(stack):
        yield screen
        if not isinstance(screen, ModalScreen):
            return


def tick_screens(stack: Sequence[Screen[Any]]) -> None:
    for screen in in_sight(stack):
        if isinstance(screen, Ticking) and screen.is_mounted:
            screen.tick()
