"""The case screen's small dialogs: move, severity, assign, reason, split, copy,
attach, choose an attachment and the SLA explanation.

Each is a keyboard-only `ModalScreen` that fits 80x24, shows its keys on one
line at the bottom, and hands a plain result back to the case screen, which does
the work (through `desk/`) and reports errors. `esc` cancels with None unless a
dialog says otherwise. Everything another person typed (subjects, user names,
conflict messages, drafts) goes through `safe_line` / `safe_text` and is shown as
`rich.text.Text`, never as markup (docs/architecture.md, invariant 6). What the user
types is made inert as it arrives by the kit's text fields.

They are built from the dialog kit (`widgets/dialog.py`, `widgets/fields.py`,
`widgets/choice_list.py`); their styles are in `styles/dialogs.tcss`. What keeps
the user's own text alive (the composer for replies, notes and calls, its discard
confirmation, the draft offer and the conflict dialog) lives in `case_compose.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.desk import limits
from deskterm.desk.case_file import DeadlineChange, SeverityChoice
from deskterm.safe_text import safe_line, safe_text
from deskterm.sla.clocks import Clock, ClockState
from deskterm.sla.history import Status
from deskterm.widgets.choice_list import ChoiceList, Scroller
from deskterm.widgets.dialog import Dialog, hint, plain
from deskterm.widgets.fields import TextBox, TextField

# -- 2. move --------------------------------------------------------------------------


class MoveDialog(Dialog[tuple[Status, str]]):
    """Move the case to one of the allowed statuses, with an optional note."""

    BINDINGS = [
        Binding("up", "arrow(-1)", show=False),
        Binding("down", "arrow(1)", show=False),
    ]

    def __init__(self, current: Status, allowed: Sequence[Status]) -> None:
        super().__init__()
        self.current = current
        self.allowed = list(allowed)

    def compose(self) -> ComposeResult:
        options = ChoiceList(*(Option(plain(s.label), id=s.value) for s in self.allowed))
        options.border_title = "move to"
        note = TextField(placeholder="a few words for the timeline", id="note")
        note.border_title = "note (optional)"
        with self.frame():
            yield Static(plain(f"Move the case: it is {self.current.label} now"), classes="title")
            yield options
            yield note
            yield self.error_line()
            yield Static(
                hint(("↑↓", "choose"), ("enter", "move"), ("tab", "note"), ("esc", "cancel")),
                classes="hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(ChoiceList)
        if self.allowed:
            options.highlighted = 0
        options.focus()

    def action_arrow(self, step: int) -> None:
        self.query_one(ChoiceList).move(step)

    def _chosen(self) -> Status | None:
        index = self.query_one(ChoiceList).highlighted
        return self.allowed[index] if index is not None else None

    def _move(self) -> None:
        chosen = self._chosen()
        if chosen is None:
            self.show_error("choose where to move the case first")
            return
        note = self.query_one("#note", Input).value.strip()
        if self.fits(note, "the note", limits.TEXT_LIMIT, "note"):
            self.close((chosen, note))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._move()

    @on(Input.Submitted, "#note")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._move()


# -- 3. severity ----------------------------------------------------------------------


def clock_words(clock: Clock, when: Callable[[datetime | None], str]) -> str:
    """A clock in a few words: its due instant while it runs, else its state."""
    if clock.due is not None and clock.state is ClockState.RUNNING:
        return when(clock.due)
    if clock.due is not None and clock.state is ClockState.BREACHED and clock.stopped is None:
        return f"{when(clock.due)} (breached)"
    if clock.state is ClockState.BREACHED:
        return "answered late"
    return clock.state.value.replace("-", " ")


def preview_text(
    label: str, changes: Sequence[DeadlineChange], when: Callable[[datetime | None], str]
) -> Text:
    text = Text()
    text.append(f"If {label}:", style="bold")
    if not any(change.changed for change in changes):
        text.append("  no deadline changes")
    for change in changes:
        text.append(f"\n  {change.kind.label:<18}")
        before = clock_words(change.before, when)
        if change.changed:
            after = clock_words(change.after, when)
            text.append(f"{before} -> ")
            text.append(after, style="bold")
        else:
            text.append(f"{before}  (unchanged)")
    return text


class SeverityDialog(Dialog[tuple[int, str]]):
    """Change the severity: each level's targets, what it would do to the deadlines, a reason."""

    BINDINGS = [
        Binding("ctrl+s", "confirm", show=False),
        Binding("up", "arrow(-1)", show=False),
        Binding("down", "arrow(1)", show=False),
    ]

    def __init__(
        self,
        current_label: str,
        choices: Sequence[SeverityChoice],
        preview: Callable[[int], Sequence[DeadlineChange]],
        when: Callable[[datetime | None], str],
    ) -> None:
        super().__init__()
        self.current_label = current_label
        self.choices = list(choices)
        self.preview = preview
        self.when = when
        self._previews: dict[int, Text] = {}

    def compose(self) -> ComposeResult:
        options = ChoiceList(*(self._option(choice) for choice in self.choices))
        options.border_title = "new severity"
        reason = TextField(placeholder="why the severity changes", id="reason")
        reason.border_title = "reason (required)"
        with self.frame():
            yield Static(
                plain(f"Change severity (now {safe_line(self.current_label, 40)})"),
                classes="title",
            )
            yield options
            yield Static("", id="preview", markup=False)
            yield reason
            yield self.error_line()
            yield Static(
                hint(
                    ("↑↓", "level"),
                    ("tab", "reason"),
                    ("enter/ctrl+s", "change"),
                    ("esc", "cancel"),
                ),
                classes="hint",
            )

    @staticmethod
    def _option(choice: SeverityChoice) -> Option:
        text = Text()
        text.append(f"{safe_line(choice.label)} {safe_line(choice.name)}", style="bold")
        if choice.current:
            text.append(" (current)")
        text.append(f" — {safe_line(choice.targets)}")
        text.append(f"\n  {safe_line(choice.meaning)}")
        return Option(text, id=f"level-{choice.level}", disabled=choice.current)

    def on_mount(self) -> None:
        options = self.query_one(ChoiceList)
        first = next((i for i, c in enumerate(self.choices) if not c.current), None)
        if first is not None:
            options.highlighted = first
            self._show_preview(first)
        options.focus()

    def action_arrow(self, step: int) -> None:
        self.query_one(ChoiceList).move(step)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_preview(event.option_index)

    def _show_preview(self, index: int) -> None:
        choice = self.choices[index]
        shown = self._previews.get(choice.level)
        if shown is None:
            label = f"{safe_line(choice.label)} {safe_line(choice.name)}"
            try:
                shown = preview_text(label, self.preview(choice.level), self.when)
            except Exception as error:  # noqa: BLE001 - a failed preview must not close the dialog
                shown = plain(f"! cannot preview {label}: {safe_line(str(error), 200)}")
            self._previews[choice.level] = shown
        self.query_one("#preview", Static).update(shown)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        # The level is chosen; the reason is still owed.
        event.stop()
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        index = self.query_one(ChoiceList).highlighted
        if index is None or self.choices[index].current:
            self.show_error("choose a new level first")
            return
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.show_error("a reason is required")
            self.query_one("#reason", Input).focus()
            return
        if self.fits(reason, "the reason", limits.TEXT_LIMIT, "reason"):
            self.close((self.choices[index].level, reason))


# -- 4. assign ------------------------------------------------------------------------


class AssignDialog(Dialog[str]):
    """Type a name, or pick one of the desk's users (filtered by what is typed)."""

    BINDINGS = [
        Binding("up", "arrow(-1)", show=False),
        Binding("down", "arrow(1)", show=False),
    ]

    def __init__(self, users: Sequence[str], current: str | None, me: str) -> None:
        super().__init__()
        self.users = list(users)
        self.current = current
        self.me = me
        self.shown: list[str] = []

    def compose(self) -> ComposeResult:
        name = TextField(placeholder="a name", id="name")
        name.border_title = "assign to"
        options = ChoiceList()
        options.border_title = "users on this desk"
        now = f"assigned to {safe_line(self.current, 40)}" if self.current else "unassigned"
        with self.frame():
            yield Static(plain(f"Assign the case ({now})"), classes="title")
            yield name
            yield options
            yield self.error_line()
            yield Static(
                hint(("type", "filter"), ("↑↓", "choose"), ("enter", "assign"), ("esc", "cancel")),
                classes="hint",
            )

    def on_mount(self) -> None:
        self._fill("")
        if self.me in self.shown:
            self.query_one(ChoiceList).highlighted = self.shown.index(self.me)
        self.query_one("#name", Input).focus()

    def _label(self, user: str) -> Text:
        text = Text(safe_line(user, 60))
        marks = [
            m for m, yes in (("current", user == self.current), ("me", user == self.me)) if yes
        ]
        if marks:
            text.append(f" ({', '.join(marks)})", style="bold")
        return text

    def _fill(self, typed: str) -> None:
        wanted = typed.strip().casefold()
        self.shown = [user for user in self.users if wanted in user.casefold()]
        options = self.query_one(ChoiceList)
        options.clear_options()
        options.add_options([Option(self._label(user)) for user in self.shown])
        options.highlighted = 0 if self.shown and wanted else None

    @on(Input.Changed, "#name")
    def _typed(self, event: Input.Changed) -> None:
        self.clear_error()
        self._fill(event.value)

    def action_arrow(self, step: int) -> None:
        self.query_one(ChoiceList).move(step)

    def _assign(self) -> None:
        index = self.query_one(ChoiceList).highlighted
        if index is not None and index < len(self.shown):
            self.close(self.shown[index])
            return
        typed = self.query_one("#name", Input).value.strip()
        if not typed:
            self.show_error("type a name or choose one")
            return
        if self.fits(typed, "the name", limits.NAME_LIMIT, "name"):
            self.close(typed)

    @on(Input.Submitted, "#name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._assign()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._assign()


# -- 5. reason ------------------------------------------------------------------------


class ReasonDialog(Dialog[str]):
    """One required line of text, e.g. why a case is escalated."""

    def __init__(self, title: str, detail: str, placeholder: str = "reason") -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        reason = TextField(placeholder=self.placeholder, id="reason")
        reason.border_title = "reason (required)"
        with self.frame():
            yield Static(plain(safe_line(self.title_text)), classes="title")
            if self.detail:
                yield Static(plain(safe_text(self.detail)), classes="note")
            yield reason
            yield self.error_line()
            yield Static(hint(("enter", "confirm"), ("esc", "cancel")), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        reason = event.value.strip()
        if not reason:
            self.show_error("a reason is required")
            return
        if self.fits(reason, "the reason", limits.TEXT_LIMIT, "reason"):
            self.close(reason)


# -- 6. split -------------------------------------------------------------------------


class SplitDialog(Dialog[tuple[str, str]]):
    """Split a new case off this one: its subject (required) and description."""

    BINDINGS = [Binding("ctrl+s", "confirm", show=False)]

    def __init__(self, number: int, subject: str) -> None:
        super().__init__()
        self.number = number
        self.subject = subject

    def compose(self) -> ComposeResult:
        subject = TextField(placeholder="what the new case is about", id="subject")
        subject.border_title = "new subject (required)"
        description = TextBox(id="description")
        description.border_title = "description"
        with self.frame():
            yield Static(plain("Split a new case off this one"), classes="title")
            yield Static(
                plain(f"from Incident# {self.number} - {safe_line(self.subject, 300)}"),
                classes="one-line",
            )
            yield subject
            yield description
            yield self.error_line()
            yield Static(
                hint(("ctrl+s", "split"), ("tab", "next field"), ("esc", "cancel")),
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one("#subject", Input).focus()

    @on(Input.Submitted, "#subject")
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#description", TextBox).focus()

    def action_confirm(self) -> None:
        subject = self.query_one("#subject", Input).value.strip()
        if not subject:
            self.show_error("the new case needs a subject")
            self.query_one("#subject", Input).focus()
            return
        description = self.query_one("#description", TextBox).text
        if self.fits(subject, "the subject", limits.LINE_LIMIT, "subject") and self.fits(
            description, "the description", limits.TEXT_LIMIT, "description"
        ):
            self.close((subject, description))


# -- 7. copy --------------------------------------------------------------------------


class CopyDialog(Dialog[None]):
    """What was copied, where the user can select it if the terminal refused OSC 52."""

    BINDINGS = [Binding("enter", "cancel", show=False)]

    def __init__(self, text: str, copied: bool) -> None:
        super().__init__()
        self.text = text
        self.copied = copied

    def compose(self) -> ComposeResult:
        field = TextField(value=safe_line(self.text), id="copied", select_on_focus=False)
        field.border_title = "copied text"
        if self.copied:
            words = (
                "Sent to the clipboard through the terminal (OSC 52) if your terminal "
                "allows it; otherwise select it here (many terminals want shift+drag)."
            )
        else:
            words = "Could not send it to the clipboard; select it here (many terminals want shift+drag)."
        with self.frame():
            yield Static(plain("Copy"), classes="title")
            yield field
            yield Static(plain(words), classes="note")
            yield Static(hint(("esc/enter", "close")), classes="hint")

    def on_mount(self) -> None:
        # Not focused: a focused input scrolls its cursor (the end) into view, and the
        # start must show ("Incident# N - subject"); enter and esc close it anyway.
        self.query_one("#copied", Input).cursor_position = 0

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close(None)


# -- 8. attach ------------------------------------------------------------------------


class AttachDialog(Dialog[str]):
    """The path of a file to attach."""

    def __init__(self, limit_text: str, initial: str = "", error: str | None = None) -> None:
        super().__init__()
        self.limit_text = limit_text
        self.initial = initial
        self.error = error

    def compose(self) -> ComposeResult:
        path = TextField(value=safe_text(self.initial), placeholder="~/path/to/file", id="path")
        path.border_title = "file to attach"
        with self.frame():
            yield Static(plain("Attach a file"), classes="title")
            yield path
            yield self.error_line()
            yield Static(
                plain(f"files up to {safe_line(self.limit_text, 40)}; ~ is your home"),
                classes="note",
            )
            yield Static(hint(("enter", "attach"), ("esc", "cancel")), classes="hint")

    def on_mount(self) -> None:
        if self.error:
            self.show_error(safe_line(self.error, 500))
        field = self.query_one("#path", Input)
        field.focus()
        field.cursor_position = len(field.value)

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        if not path:
            self.show_error("type the path of a file")
            return
        self.close(path)


# -- 9. choose an attachment ----------------------------------------------------------


class ChooseAttachment(Dialog[int]):
    """Pick one of the case's attachments; the result is its index in `items`."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.items = list(items)

    def compose(self) -> ComposeResult:
        options = []
        for name, detail in self.items:
            text = Text(safe_line(name, 200), style="bold")
            text.append(f"\n  {safe_line(detail, 200)}", style="")
            options.append(Option(text))
        with self.frame():
            yield Static(plain("Choose an attachment"), classes="title")
            yield ChoiceList(*options)
            yield Static(
                hint(("↑↓", "choose"), ("enter", "open"), ("esc", "cancel")), classes="hint"
            )

    def on_mount(self) -> None:
        options = self.query_one(ChoiceList)
        if self.items:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.close(event.option_index)


# -- 12. why --------------------------------------------------------------------------


class WhyDialog(Dialog[None]):
    """Why each SLA clock stands where it does, in words."""

    BINDINGS = [Binding("escape,q,question_mark", "cancel", show=False)]

    def __init__(self, title: str, items: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.items = list(items)

    def compose(self) -> ComposeResult:
        text = Text()
        for index, (label, explanation) in enumerate(self.items):
            if index:
                text.append("\n\n")
            text.append(safe_line(label), style="bold")
            text.append("\n  " + safe_text(explanation).replace("\n", "\n  "))
        with self.frame():
            yield Static(plain(safe_line(self.title_text, 200)), classes="title")
            with Scroller(id="why"):
                yield Static(text, markup=False)
            yield Static(hint(("↑↓", "scroll"), ("esc/q", "close")), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#why", Scroller).focus()
