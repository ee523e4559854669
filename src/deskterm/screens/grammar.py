"""The console's one key grammar, written once.

Every full screen of the console is a `GrammarScreen`: `?` help for what is on
screen (generated from the bindings, `screens/help.py`), `esc` back, `q` back to
the queue (quit from the queue itself), and the list keys (`widgets/choice_list.py`)
in every list. A screen names the actions that change data in `WRITES`: a
read-only console keeps them out of the footer, and they answer with a refusal in
words. The command palette lists the same actions as help (`BindingCommands`).

`GRAMMAR` is the one table of the grammar; help shows it and the README repeats it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from deskterm.widgets.keys_footer import key_display

if TYPE_CHECKING:
    from textual.dom import DOMNode

GRAMMAR = (
    ("?", "help: the keys of what is on screen"),
    ("esc", "back; in a dialog, cancel"),
    ("q", "to the queue (on it: quit); a dialog: close"),
    ("j / k, ↓ / ↑", "move in any list"),
    ("g / G", "first / last"),
    ("PgUp / PgDn", "a page up / down"),
    ("enter", "act on the selection"),
    ("/", "filter or search, where there is a list or text"),
    ("ctrl+p", "command palette: the same actions as help"),
)
"""The grammar every screen and dialog follows: key, what it does."""

READ_ONLY_REFUSAL = "read-only console: nothing can be changed here"


def action_name(action: str) -> str:
    """`compose('reply')` -> `compose`; `app.sev1_call` -> `sev1_call`."""
    return action.split("(", 1)[0].rsplit(".", 1)[-1]


@dataclass(frozen=True)
class KeyHelp:
    """One line of help: the keys shown, what they do, and what pressing them runs."""

    keys: str
    description: str
    action: str
    node: DOMNode
    key: str
    writes: bool


def keys_of(screen: Screen[Any]) -> list[KeyHelp]:
    """Every key with a description active on `screen` now: the focused widget's
    first, then the screen's (in the order it lists them), then the app's."""
    readonly = bool(getattr(screen, "readonly", False))
    writes = set(getattr(screen, "WRITES", ()))
    found: dict[tuple[int, str], KeyHelp] = {}
    for key, active in screen.active_bindings.items():
        binding, node = active.binding, active.node
        if not binding.description:
            continue
        name = action_name(binding.action)
        entry = found.get((id(node), binding.action))
        shown = key_display(key)
        if entry is None:
            found[(id(node), binding.action)] = KeyHelp(
                shown,
                binding.description,
                binding.action,
                node,
                key,
                readonly and name in writes and node is screen,  # a widget's move(1) is no move
            )
        elif shown not in entry.keys.split(" / "):
            found[(id(node), binding.action)] = KeyHelp(
                f"{entry.keys} / {shown}",
                entry.description,
                entry.action,
                node,
                entry.key,
                entry.writes,
            )
    return list(found.values())


class BindingCommands(Provider):
    """The command palette's actions of the screen: the same as its help."""

    def _commands(self) -> Iterator[tuple[str, str, KeyHelp]]:
        screen = self.screen
        for entry in keys_of(screen):
            if entry.writes or entry.action in ("command_palette", "app.command_palette"):
                continue
            yield entry.description, f"{entry.keys}: {entry.description}", entry

    async def discover(self) -> Hits:
        for name, help_text, entry in self._commands():
            yield DiscoveryHit(name, partial(self._run, entry), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, entry in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, entry), help=help_text)

    async def _run(self, entry: KeyHelp) -> None:
        # what Widget.run_action does; the node may be the app as well (a DOMNode)
        await entry.node.app.run_action(entry.action, entry.node)


class GrammarScreen(Screen[Any]):
    """A full screen of the console: `?` help, `esc` back, `q` back to the queue."""

    BINDINGS: ClassVar = [
        Binding("question_mark", "help", "Help"),
        Binding("q", "to_queue", "Queue"),
        Binding("escape", "back", "Back"),
    ]
    COMMANDS: ClassVar = {BindingCommands}
    WRITES: ClassVar[frozenset[str]] = frozenset()
    """Actions that change data: off the footer of a read-only console, refused there."""

    readonly: bool = False

    def action_help(self) -> None:
        from deskterm.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    def action_back(self) -> None:
        self.dismiss()

    def action_to_queue(self) -> None:
        """Back to the queue: close every screen above it (they keep what they hold)."""
        from deskterm.screens.queue import QueueScreen

        if isinstance(self, QueueScreen):
            self.app.exit()
            return
        app = self.app
        while len(app.screen_stack) > 1 and not isinstance(app.screen, QueueScreen):
            app.pop_screen()
