"""The footer of keys: one line, most important first, `? help` and `q` always kept.

It shows the screen's keys marked `show=True`, in the order the screen lists them
(its importance), as many as fit the width; `?` and `q` (the essentials of the
grammar, `screens/grammar.py`) are always on it, at the end, whatever the width
or the filter line does. On a read-only console a key whose action is in the
screen's `WRITES` is left off: it would only be refused.

It is one `Text` line, rebuilt only when the keys it shows change: the bindings
signals of one frame come to one look (a focus move sends several).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen

ESSENTIAL = ("question_mark", "q")
SEPARATOR = "  "

KeysShown = tuple[tuple[str, str, bool], ...]


KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "exclamation_mark": "!",
    "escape": "esc",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "full_stop": ".",
}


def key_display(key: str) -> str:
    """A key as the footer and help write it: `?`, `esc`, `PgDn`."""
    return KEY_NAMES.get(key, key)


_display = key_display


def fit_keys(keys: KeysShown, width: int) -> KeysShown:
    """The keys that fit `width`: the essentials always, the others in order while room lasts."""
    essentials = [k for k in keys if k[0] in ESSENTIAL]
    others = [k for k in keys if k[0] not in ESSENTIAL]

    def cost(key: tuple[str, str, bool]) -> int:
        return len(_display(key[0])) + 1 + len(key[1]) + len(SEPARATOR)

    room = width - 1 - sum(cost(k) for k in essentials)
    chosen = []
    for key in others:
        if cost(key) > room:
            break  # most important first: a later key never jumps a wider earlier one
        chosen.append(key)
        room -= cost(key)
    return (*chosen, *essentials)


class KeysFooter(Widget):
    DEFAULT_CSS = """
    KeysFooter { height: 1; dock: bottom; background: $panel; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._keys: KeysShown = ()
        self._look_pending = False

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.call_after_refresh(self._look_at_keys, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not self._look_pending:
            self._look_pending = True
            self.call_after_refresh(self._look_at_keys, screen)

    def keys(self, screen: Screen[object]) -> KeysShown:
        readonly = bool(getattr(screen, "readonly", False))
        writes = set(getattr(screen, "WRITES", ()))
        shown: dict[str, tuple[str, str, bool]] = {}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not (binding.show or key in ESSENTIAL) or not binding.description:
                continue
            name = binding.action.split("(", 1)[0].rsplit(".", 1)[-1]
            if readonly and name in writes and active.node is screen:
                continue
            shown.setdefault(key, (key, binding.description, active.enabled))
        # In the order they are bound: the focused widget's, then the screen's as it
        # lists them (its importance), then the app's.
        return tuple(shown.values())

    def _look_at_keys(self, screen: Screen[object]) -> None:
        self._look_pending = False
        if not self.is_attached:
            return
        keys = self.keys(screen)
        if keys != self._keys:
            self._keys = keys
            self.refresh()

    def on_resize(self) -> None:
        self.refresh()

    @property
    def shown(self) -> KeysShown:
        """The keys on the footer now (what fits its width)."""
        return fit_keys(self._keys, self.size.width)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" ")
        for index, (key, description, enabled) in enumerate(self.shown):
            if index:
                text.append(SEPARATOR)
            style = "bold reverse" if enabled else "dim"
            text.append(_display(key), style=style)
            text.append(f" {description}", style="" if enabled else "dim")
        return text
