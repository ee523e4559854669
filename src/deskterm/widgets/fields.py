"""Text fields for dialogs and forms: what the user types stays inert.

- `TextField`: a one-line `Input`. A typed or pasted control character (ESC, a C1
  byte, a bidi override) becomes its visible placeholder as it arrives
  (`deskterm.safe_text`), so what is sent is what was seen, and the cursor stays
  after what was inserted.
- `TextBox`: the same for a multi-line `TextArea`.
- `Field`: a `TextField` with its label (the border title) and its own error line
  underneath. `Field(name, label)` yields an input with id `name` and an error line
  with id `name-error`; `field.show_error(message)` / `field.clear_error()`; typing
  clears the error. `Field.of(screen, name)` finds one by its field's name.
- `shown_names`: stored names by the form a field shows them in.

Styling (the round border, a heavy one with focus) lives once in
`styles/dialogs.tcss` for every field, list and box.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.widgets import Input, Static, TextArea
from textual.widgets.text_area import Edit, EditResult

from deskterm.safe_text import UNSAFE, safe_line, safe_text


def shown_names(names: Iterable[str]) -> dict[str, str]:
    """Stored names by the form a field shows them in (and a user types them back in).

    A completion offers a name as the sanitizer shows it: painted as stored, a name
    holding ESC [2J would clear the terminal. What is picked is looked up here.
    """
    shown: dict[str, str] = {}
    for name in names:
        shown.setdefault(safe_line(name), name)
    return shown


class TextField(Input):
    """A one-line input whose typed or pasted control characters show as placeholders."""

    def __init__(self, value: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(safe_text(value) if value else value, *args, **kwargs)

    def replace(self, text: str, start: int, end: int) -> None:
        # Every edit (a key, a paste, a completion) comes through here: sanitize the
        # inserted text itself so the cursor lands after what is shown.
        super().replace(safe_text(text) if UNSAFE.search(text) else text, start, end)

    def validate_value(self, value: str) -> str:
        # A value set by code (a saved draft, a prefill) is made inert too.
        return safe_text(value) if UNSAFE.search(value) else value


class TextBox(TextArea):
    """A multi-line text area whose typed or pasted control characters show as placeholders."""

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("soft_wrap", True)
        kwargs.setdefault("show_line_numbers", False)
        super().__init__(safe_text(text), **kwargs)

    def edit(self, edit: Edit) -> EditResult:
        if UNSAFE.search(edit.text):
            edit = Edit(
                safe_text(edit.text),
                edit.from_location,
                edit.to_location,
                edit.maintain_selection_offset,
            )
        return super().edit(edit)

    def load_text(self, text: str) -> None:
        super().load_text(safe_text(text))


class Field(Vertical):
    """A labelled `TextField` with its own error line underneath."""

    def __init__(
        self,
        name: str,
        label: str,
        *,
        value: str = "",
        placeholder: str = "",
        classes: str | None = None,
    ) -> None:
        super().__init__(id=f"{name}-field", classes=classes)
        self.add_class("field")
        self.field_name = name
        self.input = TextField(value=value, placeholder=placeholder, id=name)
        self.input.border_title = label
        self.error = Static("", id=f"{name}-error", classes="field-error -empty", markup=False)

    @staticmethod
    def of(node: DOMNode, name: str) -> Field:
        """The field named `name` under `node` (a screen or a container)."""
        return node.query_one(f"#{name}-field", Field)

    def compose(self) -> ComposeResult:
        yield self.input
        yield self.error

    @property
    def value(self) -> str:
        return self.input.value

    @value.setter
    def value(self, value: str) -> None:
        self.input.value = value

    def show_error(self, message: str) -> None:
        self.error.update(Text(f"! {safe_line(message)}"))
        self.error.remove_class("-empty")

    def clear_error(self) -> None:
        self.error.update("")
        self.error.add_class("-empty")

    def on_input_changed(self, event: Input.Changed) -> None:
        # Typing answers the error: it goes (the message still bubbles to the form).
        if event.input is self.input:
            self.clear_error()
