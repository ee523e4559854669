"""The dialog frame every dialog and small form in the console shares.

`Dialog[ResultT]` is a keyboard-only `ModalScreen`: a bordered box that fits
80x24 (`with self.frame(): ...` in `compose`), one error line
(`self.error_line()`, `show_error`, `clear_error`), a key hint at the bottom
(`hint(("enter", "move"), ("esc", "cancel"))`), and `close(result)` that dismisses
once however fast keys come. `esc` cancels with None (override `action_cancel`);
`fits(value, what, limit, field_id)` checks a length the desk would refuse and
says so on the field. Text fields, the choice list and a field with its own error
line are in `widgets/fields.py` and `widgets/choice_list.py`; their look, and the
dialogs', is in `styles/dialogs.tcss` (loaded by this screen class).

Everything another person typed goes through `safe_line` / `safe_text` and is
shown as `rich.text.Text` (`plain(...)`), never as markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from deskterm.desk import limits
from deskterm.desk.errors import DeskError

ResultT = TypeVar("ResultT")

STYLES = Path(__file__).resolve().parent.parent / "styles"


def hint(*keys: tuple[str, str]) -> Text:
    """The dialog's one-line key hint: `ctrl+s send · esc close` (keys in bold)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, (key, what) in enumerate(keys):
        if index:
            text.append(" · ")
        text.append(key, style="bold")
        text.append(f" {what}")
    return text


def plain(text: str, style: str = "") -> Text:
    """Our own words, as Text (never parsed as markup)."""
    return Text(text, style=style)


class Dialog(ModalScreen[ResultT]):
    """A bordered box over the screen, an error line, a key hint; esc cancels."""

    CSS_PATH = [STYLES / "dialogs.tcss"]
    BINDINGS = [Binding("escape", "cancel", "close", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._dismissed = False

    def close(self, result: ResultT | None) -> None:
        """Dismiss once: a key pressed twice before the screen is gone does nothing more."""
        if self._dismissed:
            return
        self._dismissed = True
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.close(None)

    def frame(self) -> Vertical:
        """The bordered box holding the dialog (use as `with self.frame():`)."""
        return Vertical(id="frame")

    def error_line(self) -> Static:
        return Static("", id="error", classes="error -empty", markup=False)

    def show_error(self, message: str) -> None:
        line = self.query_one("#error", Static)
        line.update(plain(f"! {message}"))
        line.set_class(not message, "-empty")

    def clear_error(self) -> None:
        line = self.query_one("#error", Static)
        line.update("")
        line.add_class("-empty")

    def fits(self, value: str, what: str, limit: int, field_id: str) -> bool:
        """Whether `value` is within what the desk takes; if not, say so here, on the
        field, and keep what was typed (the desk would refuse it after the dialog)."""
        try:
            limits.check_length(value, what, limit)
        except DeskError as error:
            self.show_error(str(error))
            self.query_one(f"#{field_id}").focus()
            return False
        return True
