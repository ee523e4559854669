"""The Severity 1 wizard's dialogs: the offer to resume a call, and y-or-n questions."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from deskterm.call_state import SavedCall
from deskterm.safe_text import safe_line
from deskterm.screens.local_time import short
from deskterm.screens.sev1.steps import STEPS
from deskterm.widgets.dialog import Dialog, hint, plain


class ResumeCall(Dialog[str]):
    """At start-up: a Severity 1 call was left mid-way. "resume", "discard" or None (later)."""

    BINDINGS = [
        Binding("enter,r", "choose('resume')", show=False),
        Binding("d", "choose('discard')", show=False),
    ]

    def __init__(self, saved: SavedCall, now: datetime) -> None:
        super().__init__()
        self.saved = saved
        self.now = now

    def compose(self) -> ComposeResult:
        fields = self.saved.fields
        caller = fields.get("contact") or "not chosen yet"
        org = f" ({fields['organization']})" if fields.get("organization") else ""
        step = min(max(self.saved.step, 1), len(STEPS))
        with self.frame():
            yield Static(plain("A Severity 1 call was in progress"), classes="title")
            yield Static(
                Text(
                    safe_line(
                        f"caller {caller}{org}; stopped at step {step}/8 "
                        f"({STEPS[step - 1]}); the call began {short(self.saved.started_at, self.now)}"
                    )
                ),
                classes="note",
            )
            yield Static(
                hint(("enter", "resume it"), ("d", "discard it"), ("esc", "later (! resumes)")),
                classes="hint",
            )

    def action_choose(self, choice: str) -> None:
        self.close(choice)


class Confirm(Dialog[bool]):
    """y or n to a question that throws typing away."""

    BINDINGS = [
        Binding("y", "choose(True)", show=False),
        Binding("n", "choose(False)", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(plain(self.question), classes="title")
            yield Static(hint(("y", "yes"), ("n", "no"), ("esc", "no")), classes="hint")

    def action_choose(self, yes: bool) -> None:
        self.close(yes)
