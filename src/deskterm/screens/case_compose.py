"""Writing on a case: a reply to the customer, an internal note, a logged phone call.

What is being written is kept as a draft file (`deskterm.drafts`) a moment after
each change, so a crash, a kill or a dropped SSH session costs at most a couple
of seconds of typing. The composer never throws a draft away on ctrl+s: the case
screen discards it once the write has succeeded, so a failed write (a conflict,
a locked database) still leaves the text on disk. Only an explicit "discard" (or
closing an empty editor) removes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime
from typing import Any, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Checkbox, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from deskterm.desk import limits, templates
from deskterm.drafts import Draft, Drafts
from deskterm.safe_text import safe_line, safe_text
from deskterm.sla import Status
from deskterm.widgets.choice_list import ChoiceList, Scroller
from deskterm.widgets.clock_panel import ClockPanel
from deskterm.widgets.dialog import STYLES, Dialog, hint, plain
from deskterm.widgets.fields import TextBox, TextField

Kind = Literal["reply", "note", "call"]

TITLES = {
    "reply": "Reply to the customer",
    "note": "Internal note (never shown to the customer)",
    "call": "Log a phone call",
}
BLANK = {
    "reply": "write the reply first",
    "note": "write the note first",
    "call": "write the summary first",
}
SEND = {"reply": "send", "note": "add the note", "call": "log the call"}
TEXT_LABEL = {"reply": "your reply", "note": "note", "call": "summary of the call"}
FIELD_LABEL = {"who": "who was on the call", "outcome": "the outcome"}

# Narrower than this, the editor and the case's context take turns (ctrl+o).
SIDE_BY_SIDE_WIDTH = 100


@dataclass(frozen=True)
class ComposeContext:
    """What the engineer needs in view while writing: who it goes to and whether it is
    mailed, the customer's last words, the SLA clocks (ticking), the canned replies."""

    recipient: str  # "Bob Admin <bob@acme.test>", or "Bob Admin: no address on file"
    mailed: str  # "will be mailed", or "recorded, not mailed: no mail relay configured"
    last_heading: str  # "the customer wrote, Mon 23 Nov 16:00" / "the report"
    last_text: str
    contact: str = ""  # the case's contact, for the call log's "who"
    phone: str = ""  # their phone number ("" when none is on file)
    clock_title: str = "SLA"
    policy: Any = None  # the case's Policy, for the ticking clocks
    clocks: Mapping[Any, Any] = default(default_factory=dict)
    when: Callable[[datetime | None], str] | None = None
    load_templates: Callable[[], dict[str, templates.Template]] | None = None
    values: Mapping[str, str | None] = default(default_factory=dict)


# A draft is written this long after the last change ...
DEBOUNCE_SECONDS = 1.0
# ... and, while someone types without pausing, at least this often.
SAFETY_NET_SECONDS = 3.0


class ConfirmDiscard(Dialog[str]):
    """esc on a composer holding text: "discard", "keep" (as a draft), or None (go back)."""

    BINDINGS = [
        Binding("d", "choose('discard')", show=False),
        Binding("k", "choose('keep')", show=False),
    ]

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(plain("Close without sending?"), classes="title")
            yield Static(
                plain(
                    "What you wrote has not been sent. Discard the text, or keep it as a "
                    "draft and close: it is offered again when you open the case."
                ),
                classes="note",
            )
            yield Static(
                hint(
                    ("d", "discard"), ("k", "keep as draft and close"), ("esc", "back to writing")
                ),
                classes="hint",
            )

    def action_choose(self, choice: str) -> None:
        self.close(choice)


class Composer(Dialog[dict[str, str]]):
    """The editor for a reply, a note or a call; the result is its fields."""

    CSS_PATH = [STYLES / "dialogs.tcss", STYLES / "composer.tcss"]
    BINDINGS = [
        Binding("ctrl+s", "send", show=False),
        Binding("ctrl+o", "toggle_context", show=False),
        Binding("ctrl+t", "templates", show=False),
    ]

    def __init__(
        self,
        kind: str,
        number: int,
        subject: str,
        drafts: Drafts,
        now: Callable[[], datetime],
        base_version: int,
        initial: dict[str, str] | None = None,
        context: ComposeContext | None = None,
    ) -> None:
        if kind not in TITLES:
            raise ValueError(f"unknown kind of text {kind!r} (kinds: {', '.join(TITLES)})")
        super().__init__()
        self.kind = kind
        self.number = number
        self.subject = subject
        self.drafts = drafts
        self.now = now
        self.base_version = base_version
        self.initial = dict(initial or {})
        self._saved: dict[str, str] = {}
        self._dirty = False
        self._discarded = False
        self._debounce: Timer | None = None
        self._text: TextArea | None = None
        self._fields: dict[str, Input] = {}
        self._to_customer: Checkbox | None = None
        self._status_line: Static | None = None
        self.context = context
        self._who_default = ""
        self._move: Checkbox | None = None
        self._move_to: Status | None = None
        if initial and initial.get("move"):
            with suppress(ValueError):
                self._move_to = Status(initial["move"])

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        initial, context = self.initial, self.context
        with self.frame():
            yield Static(plain(TITLES[self.kind]), classes="title")
            yield Static(
                plain(f"Incident# {self.number} - {safe_line(self.subject, 300)}"),
                classes="one-line",
            )
            if context is not None and self.kind != "note":
                yield Static(
                    plain(safe_line(f"to {context.recipient} · {context.mailed}", 300)),
                    id="recipient",
                )
            with Horizontal(id="body"):
                if context is not None:
                    with Vertical(id="context"):
                        yield Static(plain(safe_line(context.last_heading, 200)), classes="heading")
                        with Scroller(id="last-message"):
                            yield Static(
                                plain(safe_text(context.last_text) or "(nothing yet)"),
                                markup=False,
                            )
                        yield ClockPanel(context.when or _no_when, id="clocks")
                with Vertical(id="editor"):
                    yield from self._editor(initial, context)
            yield self.error_line()
            self._status_line = Static("", id="status", markup=False)
            yield self._status_line
            keys = [("ctrl+s", SEND[self.kind])]
            if self.kind == "call":
                keys.append(("tab", "next field"))
            if self.kind == "reply" and context is not None and context.load_templates:
                keys.append(("ctrl+t", "templates"))
            if context is not None:
                keys.append(("ctrl+o", "case/editor"))
            keys.append(("esc", "close"))
            yield Static(hint(*keys), classes="hint")

    def _editor(self, initial: dict[str, str], context: ComposeContext | None) -> ComposeResult:
        if self.kind == "call":
            # The case's contact is who was on the call unless the engineer says otherwise.
            who_default = context.contact if context is not None and "who" not in initial else ""
            self._who_default = who_default
            who = TextField(value=initial.get("who", who_default), id="who")
            who.border_title = "who was on the call"
            outcome = TextField(value=initial.get("outcome", ""), id="outcome")
            outcome.border_title = "outcome"
            self._fields["who"] = who
            self._fields["outcome"] = outcome
            if context is not None:
                phone = context.phone or "no phone number on file"
                yield Static(
                    plain(safe_line(f"phone: {phone}", 200)), id="phone", classes="one-line"
                )
            yield who
            yield outcome
        text = TextBox(initial.get("text", ""), id="text")
        text.border_title = TEXT_LABEL[self.kind]
        self._text = text
        yield text
        if self.kind == "reply":
            self._move = Checkbox(self._move_label(), value=self._move_to is not None, id="move")
            self._move.display = self._move_to is not None
            yield self._move
        if self.kind == "call":
            # What was agreed, in writing: the summary is mailed to the contact.
            self._to_customer = Checkbox(
                "also mail the summary to the customer",
                value=initial.get("to_customer") == "yes",
                id="to-customer",
            )
            yield self._to_customer

    def _move_label(self) -> str:
        if self._move_to is None:
            return ""
        return f"then move to {self._move_to.label} (space: untick)"

    def on_mount(self) -> None:
        self._saved = self.fields()
        self.set_interval(SAFETY_NET_SECONDS, self._safety_net)
        self._fit(self.app.size.width)
        context = self.context
        if context is not None and context.policy is not None:
            panel = self.query_one(ClockPanel)
            panel.show(context.clock_title, context.policy, dict(context.clocks))
            panel.tick(self.now())
            self.set_interval(1, lambda: panel.tick(self.now()))
        text = self.query_one("#text", TextArea)
        text.move_cursor(text.document.end)
        if self.kind == "call" and not self.query_one("#who", Input).value:
            self.query_one("#who", Input).focus()
        else:
            text.focus()

    # -- the fields -----------------------------------------------------------------

    def fields(self) -> dict[str, str]:
        """What is written, exactly as typed (nothing stripped)."""
        # Read from the widgets themselves: at unmount they are already out of the DOM.
        found = {"text": self._text.text if self._text is not None else ""}
        for name, field in self._fields.items():
            found[name] = field.value
        if self._to_customer is not None:
            found["to_customer"] = "yes" if self._to_customer.value else ""
        if self._move_to is not None and self._move is not None:
            found["move"] = self._move_to.value if self._move.value else ""
        return found

    def _blank(self) -> bool:
        fields = self.fields()
        fields.pop("to_customer", None)  # a ticked box alone is not something written
        fields.pop("move", None)
        if fields.get("who") == self._who_default:
            fields.pop("who")  # the contact filled in for them is not something written
        return not any(value.strip() for value in fields.values())

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        fields = self.fields()
        if self._discarded or fields == self._saved:
            return
        self._dirty = True
        # The line naming a template's unfilled placeholders stays until they are filled.
        waiting = self.kind == "reply" and "{" in fields["text"]
        if fields["text"].strip() and not (waiting and templates.unfilled(fields["text"])):
            self.clear_error()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._autosave)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- drafts -----------------------------------------------------------------------

    def _autosave(self) -> None:
        if self._dirty and not self._discarded:
            self.save_draft()

    def _safety_net(self) -> None:
        self._autosave()

    def save_draft(self) -> bool:
        """Write the draft now; False (and a line saying so) if the disk refused."""
        fields = self.fields()
        instant = self.now()
        try:
            self.drafts.save(self.number, self.kind, fields, instant, self.base_version)
        except OSError as error:
            self._status(f"! draft NOT saved: {safe_line(str(error), 200)}")
            return False
        self._saved = fields
        self._dirty = False
        if any(value.strip() for value in fields.values()):
            self._status(f"draft saved {instant.astimezone().strftime('%H:%M:%S')}")
        else:
            self._status("")
        return True

    def _status(self, words: str) -> None:
        line = self._status_line
        if line is not None and line.is_attached:
            line.update(plain(words))

    def _discard(self) -> None:
        self._discarded = True
        self._dirty = False
        if self._debounce is not None:
            self._debounce.stop()
        # An undeletable draft is offered again next time: no harm.
        with suppress(OSError):
            self.drafts.discard(self.number, self.kind)

    def on_screen_suspend(self) -> None:
        # Another screen on top (the confirm, a notification screen): keep the text safe.
        if self._dirty and not self._discarded:
            self.save_draft()

    def on_unmount(self) -> None:
        if self._dirty and not self._discarded:
            self.save_draft()

    # -- keys ---------------------------------------------------------------------------

    def action_send(self) -> None:
        fields = self.fields()
        if not fields["text"].strip():
            self.show_error(BLANK[self.kind])
            self.query_one("#text", TextArea).focus()
            return
        unfilled = templates.unfilled(fields["text"]) if self.kind == "reply" else []
        if unfilled:
            named = ", ".join("{" + name + "}" for name in unfilled)
            self.show_error(f"no value for {named}: write it in before sending")
            self.query_one("#text", TextArea).focus()
            return
        if not self.fits(fields["text"], TEXT_LABEL[self.kind], limits.TEXT_LIMIT, "text"):
            return
        for name in self._fields:
            if not self.fits(fields[name], FIELD_LABEL[name], limits.LINE_LIMIT, name):
                return
        # Kept until the caller has written it: a failed write must not lose the text.
        self.save_draft()
        self.close(fields)

    # -- the case in view, canned replies ---------------------------------------------------

    def on_resize(self) -> None:
        self._fit(self.app.size.width)

    def _fit(self, width: int) -> None:
        """Side by side when wide; narrower, the editor and the context take turns."""
        self.set_class(width < SIDE_BY_SIDE_WIDTH, "-narrow")

    def action_toggle_context(self) -> None:
        if self.context is None:
            return
        if not self.has_class("-narrow"):
            self.notify("the case is beside the editor", timeout=3)
            return
        showing = not self.has_class("-show-context")
        self.set_class(showing, "-show-context")
        if showing:
            self.query_one("#last-message").focus()
        else:
            self.query_one("#text", TextArea).focus()

    def action_templates(self) -> None:
        context = self.context
        if self.kind != "reply" or context is None or context.load_templates is None:
            return
        try:
            found = context.load_templates()
        except templates.TemplateError as error:
            self.show_error(str(error))
            return
        from deskterm.screens.template_picker import TemplatePicker

        self.app.push_screen(TemplatePicker(found, context.values), self._template_chosen)

    def _template_chosen(self, name: str | None) -> None:
        context = self.context
        if name is None or context is None or context.load_templates is None:
            return
        try:
            template = templates.get_template(context.load_templates(), name)
        except templates.TemplateError as error:
            self.show_error(str(error))
            return
        filled = templates.fill(template.body, context.values)
        text = self.query_one("#text", TextArea)
        if text.text.strip():
            text.insert(filled.text)
        else:
            text.load_text(filled.text)
            text.move_cursor(text.document.end)
        text.focus()
        if template.move is not None and self._move is not None:
            self._move_to = template.move
            self._move.label = self._move_label()
            self._move.value = True
            self._move.display = True
        if filled.missing:
            named = ", ".join("{" + name + "}" for name in filled.missing)
            self.show_error(f"no value for {named}: write it in before sending")
        self._changed()

    def action_cancel(self) -> None:
        if self._blank():
            self._discard()
            self.close(None)
            return
        self.app.push_screen(ConfirmDiscard(), self._confirmed)

    def _confirmed(self, choice: str | None) -> None:
        if choice == "discard":
            self._discard()
            self.close(None)
        elif choice == "keep":
            self.save_draft()
            self.close(None)


def _no_when(instant: datetime | None) -> str:
    return "-" if instant is None else instant.strftime("%a %d %b %H:%M")


# -- 10. draft offer ------------------------------------------------------------------

KIND_WORDS = {
    "reply": "reply to the customer",
    "note": "internal note",
    "call": "phone call",
    "split": "split",
}


def first_line(draft: Draft, limit: int = 70) -> str:
    text = draft.fields.get("text", "")
    for line in (text, *draft.fields.values()):
        for candidate in line.splitlines():
            if candidate.strip():
                return safe_line(candidate.strip(), limit)
    return ""


class DraftOffer(Dialog[tuple[str, Draft]]):
    """Text left unsent on this case (a crash, a dropped session): resume it, or discard it."""

    BINDINGS = [Binding("d", "discard", show=False)]

    def __init__(self, drafts: Sequence[Draft], when: Callable[[datetime], str]) -> None:
        super().__init__()
        self.drafts = list(drafts)
        self.when = when

    def compose(self) -> ComposeResult:
        options = []
        for draft in self.drafts:
            text = Text()
            kind = KIND_WORDS.get(draft.kind, safe_line(draft.kind, 20))
            text.append(kind, style="bold")
            text.append(f", saved {self.when(draft.saved_at)}, {draft.size} characters")
            text.append(f"\n  {first_line(draft) or '(blank)'}")
            options.append(Option(text))
        with self.frame():
            yield Static(plain("You have unsaved text on this case"), classes="title")
            yield ChoiceList(*options)
            yield Static(
                hint(("enter", "resume"), ("d", "discard it"), ("esc", "later")),
                classes="hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(ChoiceList)
        if self.drafts:
            options.highlighted = 0
        options.focus()

    def _highlighted(self) -> Draft | None:
        index = self.query_one(ChoiceList).highlighted
        return self.drafts[index] if index is not None else None

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.close(("resume", self.drafts[event.option_index]))

    def action_discard(self) -> None:
        draft = self._highlighted()
        if draft is not None:
            self.close(("discard", draft))


# -- 11. conflict ---------------------------------------------------------------------


class ConflictDialog(Dialog[bool]):
    """Someone changed the case first: say who and what; apply again, or go back."""

    BINDINGS = [
        Binding("enter,a", "again", show=False),
        Binding("escape", "back", show=False),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(plain("The case changed while you worked on it"), classes="title")
            with Scroller():
                yield Static(plain(safe_text(self.message)), markup=False)
            yield Static(plain("Your text is kept."), classes="note")
            yield Static(
                hint(("enter/a", "apply again on the new version"), ("esc", "back")),
                classes="hint",
            )

    def action_again(self) -> None:
        self.close(True)

    def action_back(self) -> None:
        self.close(False)

    def action_cancel(self) -> None:
        self.close(False)
