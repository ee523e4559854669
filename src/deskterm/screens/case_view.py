"""A case, read-only: every field and the timeline (the case screen issue builds on it)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from deskterm.desk import queries
from deskterm.desk.context import Desk
from deskterm.safe_text import safe_line, safe_text


def _lines(case: dict[str, Any]) -> Text:
    text = Text()

    def field(name: str, value: object) -> None:
        shown = "-" if value in (None, "") else str(value)
        text.append(f"{name:<20}", style="bold")
        text.append(safe_line(shown) + "\n")

    text.append(safe_line(f"Incident# {case['number']} - {case['subject']}") + "\n\n", style="bold")
    field("organization", case["organization"])
    contact = case.get("contact") or {}
    admin = " (administrator)" if contact.get("administrator") else ""
    field(
        "contact",
        f"{contact.get('name', '-')}{admin} {contact.get('email') or ''} {contact.get('phone') or ''}",
    )
    field("severity", f"{case['severity_label']} {case.get('severity_name', '')}")
    field("status", case["status"])
    field("assignee", case["assignee"])
    field("escalation", case["escalation"])
    field("received", case["received"])
    field("next due", case["next_due"])
    field("version", case["version"])
    text.append("\nDescription\n", style="bold")
    text.append(safe_text(case["description"] or "-") + "\n")
    text.append("\nIntake\n", style="bold")
    for name, value in case["intake"].items():
        field(name.replace("_", " "), value)
    text.append("\nClocks\n", style="bold")
    for kind, clock in case["clocks"].items():
        field(kind.replace("_", " "), f"{clock['state']}, due {clock['due'] or '-'}")
        text.append("  " + safe_line(clock["explanation"]) + "\n")
    text.append("\nTimeline\n", style="bold")
    for event in case["events"]:
        text.append(f"{event['at']}  ", style="bold")
        text.append(safe_line(event["description"]) + "\n")
        if event["text"]:
            text.append("    " + safe_text(event["text"]).replace("\n", "\n    ") + "\n")
    return text


class CaseView(Screen[None]):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, desk: Desk, number: int) -> None:
        super().__init__()
        self.desk = desk
        self.number = number

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(_lines(queries.show_case(self.desk, self.number)), markup=False)
        yield Footer()
