"""The footer of keys, rebuilt only when the keys it shows change.

Textual's Footer rebuilds itself (a widget per key, each styled anew) on every
bindings signal, and one focus move sends several: `/` and `esc` on the queue
rebuilt it three times, a tenth of a second of a keystroke at 1M cases. Here the
signals of one frame come to one look at the keys, and an unchanged set of keys
costs no rebuild.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen

KeysShown = tuple[tuple[str, str, str, bool, str], ...]


class KeysFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._keys_shown: KeysShown | None = None
        self._look_pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not self._look_pending:
            self._look_pending = True
            self.call_after_refresh(self._look_at_keys, screen)

    def _look_at_keys(self, screen: Screen[object]) -> None:
        self._look_pending = False
        shown = tuple(
            (binding.key, binding.description, binding.action, enabled, tooltip)
            for _, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        )
        if shown != self._keys_shown:
            self._keys_shown = shown
            super().bindings_changed(screen)
