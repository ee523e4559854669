"""The template picker: canned replies, searchable, each previewed filled in for the case.

Opened from the reply composer (`ctrl+t`). Typing narrows the list (name and
title); the preview shows the highlighted template as it would be inserted, the
placeholders without a value named, and the status move that goes with it.
`enter` chooses; the composer inserts the text for editing. Template text is
shown through `safe_text` as `rich.text.Text`: a template is a file anyone with
access to a template directory may have written.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.desk import templates
from deskterm.safe_text import safe_line, safe_text
from deskterm.widgets.choice_list import ChoiceList, Scroller
from deskterm.widgets.dialog import Dialog, hint, plain
from deskterm.widgets.fields import TextField

PREVIEW_CHARS = 4000  # a preview, not the whole of a huge template


class TemplatePicker(Dialog[str]):
    """Choose a canned reply; the result is its name."""

    BINDINGS = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("enter", "choose", show=False),
    ]

    def __init__(
        self, found: Mapping[str, templates.Template], values: Mapping[str, str | None]
    ) -> None:
        super().__init__()
        self.found = dict(found)
        self.values = dict(values)
        self.shown: list[templates.Template] = []

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(plain("Insert a canned reply"), classes="title")
            search = TextField(placeholder="type to narrow: name or title", id="search")
            search.border_title = "search"
            yield search
            yield ChoiceList(id="templates")
            with Scroller(id="preview-box"):
                yield Static(id="preview", markup=False)
            yield self.error_line()
            yield Static(
                hint(("↑↓", "choose"), ("enter", "insert"), ("esc", "back")), classes="hint"
            )

    def on_mount(self) -> None:
        self._narrow("")
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._narrow(event.value)

    def _narrow(self, typed: str) -> None:
        words = typed.lower().split()
        self.shown = [
            template
            for template in self.found.values()
            if all(word in f"{template.name} {template.title}".lower() for word in words)
        ]
        listing = self.query_one("#templates", ChoiceList)
        listing.clear_options()
        for template in self.shown:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(safe_line(template.name, 40), style="bold")
            if template.problem:
                line.append("  cannot be used: " + safe_line(template.problem, 80))
            else:
                line.append("  " + safe_line(template.title, 80))
            listing.add_option(Option(line))
        if self.shown:
            listing.highlighted = 0
        self._preview()

    def action_move(self, step: int) -> None:
        self.query_one("#templates", ChoiceList).move(step)

    @on(OptionList.OptionHighlighted, "#templates")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._preview()

    def _current(self) -> templates.Template | None:
        index = self.query_one("#templates", ChoiceList).highlighted
        if index is None or index >= len(self.shown):
            return None
        return self.shown[index]

    def _preview(self) -> None:
        preview = self.query_one("#preview", Static)
        template = self._current()
        if template is None:
            where = "no templates" if not self.found else "no template matches"
            preview.update(plain(where))
            return
        text = Text()
        if template.problem:
            text.append(safe_line(f"cannot be used: {template.problem}"), "bold")
            preview.update(text)
            return
        move = template.move.label if template.move else None
        text.append(
            f"then moves the case to {move} (untick it in the composer)\n"
            if move
            else "no status move\n",
            "bold",
        )
        filled = templates.fill(template.body, self.values)
        if filled.missing:
            named = ", ".join("{" + name + "}" for name in filled.missing)
            text.append(f"no value yet for {named}: fill it in before sending\n", "bold")
        text.append("\n")
        text.append(safe_text(filled.text[:PREVIEW_CHARS]))
        preview.update(text)

    @on(OptionList.OptionSelected, "#templates")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose()

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        template = self._current()
        if template is None:
            self.show_error("no template to insert: change the search")
            return
        if template.problem:
            self.show_error(f"{template.name} cannot be used: {template.problem}")
            return
        self.close(template.name)
