"""How `deskterm case ...` prints a case, a list of cases, its clocks and its files.

Input is the JSON form of `deskterm.desk.queries` (what `--json` prints), so the
text and the JSON say the same thing. Customer text reaches the terminal only
through `safe()` and as `rich.text.Text`, never as markup.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rich.table import Table
from rich.text import Text

from deskterm.cli.output import console
from deskterm.safe_text import safe_line as one_line
from deskterm.safe_text import safe_text
from deskterm.sla.clocks import Clock, ClockKind, ClockState, shown_clocks
from deskterm.sla.policy import Policy
from deskterm.units import format_hours_minutes, human_size

INTAKE_LABELS = {
    "inquirer": "inquirer",
    "product": "product",
    "product_version": "version",
    "error_messages": "error messages",
    "steps_to_reproduce": "steps to reproduce",
    "actions_before": "actions before",
    "changes_made": "changes made",
    "persisted_for": "persisted for",
    "operating_system": "operating system",
    "server_roles": "server roles",
}
# Clock states that still count time (a breached clock counts its overdue time).
_COUNTING = (ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED)

# --- terminal-safe text --------------------------------------------------------


def safe(value: object) -> str:
    """Untrusted text made inert for a terminal (see deskterm.safe_text)."""
    return safe_text("" if value is None else str(value))


def safe_line(value: object) -> str:
    """As `safe`, on one line (stderr messages and table cells)."""
    return one_line("" if value is None else str(value))


def local(value: str | datetime | None, *, year: bool = False) -> str:
    """An instant in the viewer's own time zone, e.g. `Mon 23 Nov 09:00 MST`."""
    if value is None:
        return "-"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    when = when.astimezone()
    pattern = "%a %d %b %Y %H:%M" if year else "%a %d %b %H:%M"
    return f"{when.strftime(pattern)} {when.tzname()}"


def title(number: int) -> str:
    return f"Incident# {number}"


def print_line(line: str) -> None:
    """One line a write prints: `Incident# 40100: internal note added (version 3)`."""
    console().print(Text(safe_line(line)))


# --- case list ---------------------------------------------------------------------


def print_case_list(rows: list[dict[str, Any]], scope: str, more: str) -> None:
    """The list's table, soonest deadline first, and how many it holds."""
    out = console()
    if not rows:
        out.print(f"no {scope}")
        return
    table = Table(
        "sev",
        "case",
        "organization",
        "subject",
        "status",
        "assignee",
        "due",
        "state",
        box=None,
        pad_edge=False,
    )
    for column in table.columns:
        column.no_wrap = True
    for row in rows:
        clock, state = _next_clock(row)
        marked = (
            Text(f"BREACHED {clock}", style="bold red")
            if state == "breached"
            else Text(f"{clock} {state}" if clock else "-")
        )
        table.add_row(
            Text(row["severity_label"]),
            str(row["number"]),
            Text(safe_line(row["organization"])),
            Text(safe_line(row["subject"])),
            Text(row["status"]),
            Text(safe_line(row["assignee"] or "-")),
            Text(local(row["next_due"])),
            marked,
        )
    out.print(table)
    out.print(f"{len(rows)} {scope}{more}")


def _next_clock(row: dict[str, Any]) -> tuple[str, str]:
    """The clock the case is sorted by (the one falling due next) and its state."""
    for kind in ClockKind:
        clock = row["clocks"].get(kind.value)
        if clock is None:
            continue
        if row["next_due"] is not None and clock["due"] == row["next_due"]:
            return kind.label, str(clock["state"])
    return "", ""


# --- one case ----------------------------------------------------------------------


def _grid() -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    return table


def print_case(detail: dict[str, Any]) -> None:
    """Everything about a case: fields, intake, clocks, attachments and its timeline."""
    out = console()
    out.print(Text(safe_line(f"{title(detail['number'])} - {detail['subject']}"), style="bold"))

    fields = _grid()
    for name, value in _fields(detail):
        fields.add_row(name, Text(safe(value)))
    out.print(fields)

    out.print(Text("\nDescription", style="bold underline"))
    out.print(Text(safe(detail["description"]) or "-"))

    out.print(Text("\nIntake", style="bold underline"))
    intake = _grid()
    for name, label in INTAKE_LABELS.items():
        intake.add_row(label, Text(safe(detail["intake"].get(name)) or "-"))
    out.print(intake)

    out.print(Text("\nClocks", style="bold underline"))
    clocks = _grid()
    for kind in ClockKind:
        clock = detail["clocks"].get(kind.value)
        if clock is None:
            continue  # a clock this policy does not have
        state = clock["state"].upper() if clock["state"] == ClockState.BREACHED else clock["state"]
        line = f"{state}, due {local(clock['due'], year=True)}" if clock["due"] else state
        if clock["state"] in _COUNTING and clock["left_seconds"] is not None:
            line += f", {_left(clock['left_seconds'])}"
        clocks.add_row(kind.label, Text(safe(f"{line}\n{clock['explanation']}")))
    out.print(clocks)

    if detail["attachments"]:
        out.print(Text("\nAttachments", style="bold underline"))
        for attachment in detail["attachments"]:
            added = f"added by {attachment['added_by']} {local(attachment['added_at'], year=True)}"
            out.print(
                Text(safe_line(f"{attachment['name']} ({human_size(attachment['size'])}, {added})"))
            )

    out.print(Text("\nTimeline", style="bold underline"))
    timeline = _grid()
    for event in detail["events"]:
        said = event["description"]
        if event["text"]:
            said += "\n" + event["text"]
        timeline.add_row(local(event["at"], year=True), Text(safe(said)))
    out.print(timeline)


def _fields(detail: dict[str, Any]) -> list[tuple[str, str]]:
    contact = detail["contact"]
    if contact is None:
        who = "-"
    else:
        who = " ".join(
            part
            for part in (
                contact["name"],
                f"<{contact['email']}>" if contact["email"] else "",
                contact["phone"] or "",
                "(administrator)" if contact["administrator"] else "",
                f"LAST REPLY BOUNCED: {contact['mail_bounce']} (phone instead)"
                if contact.get("mail_bounce")
                else "",
            )
            if part
        )
    contract = detail["contract_until"] or "no end date"
    if not detail["contract_current"]:
        contract += " (EXPIRED)"
    severity = detail["severity_label"] + (
        f" {detail['severity_name']}" if detail["severity_name"] else ""
    )
    rows = [
        ("organization", detail["organization"]),
        ("contract until", contract),
        ("contact", who),
        ("policy", detail["policy"]),
        ("severity", severity),
        ("status", detail["status"]),
        ("assignee", detail["assignee"] or "-"),
        ("escalation", detail["escalation"]),
        ("received", local(detail["received"], year=True)),
        ("next due", local(detail["next_due"], year=True)),
        ("version", str(detail["version"])),
    ]
    if detail["split_from"] is not None:
        rows.append(("split from", title(detail["split_from"])))
    rows.extend(_intake_notes(detail["events"]))
    if detail["scheduled_for"]:
        rows.append(("scheduled for", local(detail["scheduled_for"], year=True)))
    return rows


def _intake_notes(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """What the intake left to know at a glance: a Sev 1 checklist not run, an override."""
    notes: list[tuple[str, str]] = []
    for event in events:
        if event["kind"] == "checklist" and event["field"] == "phone-checklist":
            state = "NOT RUN" if event["new"] == "not run" else event["new"]
            notes.append(("Sev 1 checklist", f"{state}: {event['text']}"))
        elif event["kind"] == "checklist" and event["new"] == "override":
            notes.append(("override", event["text"] or ""))
        elif event["kind"] == "opened" and "entitlement override" in (event["text"] or ""):
            notes.append(("override", event["text"].split("; ", 1)[-1]))
    return notes


def _left(seconds: int) -> str:
    amount = timedelta(seconds=seconds)
    if amount < timedelta(0):
        return f"{format_hours_minutes(-amount)} of business time overdue"
    return f"{format_hours_minutes(amount)} of business time left"


# --- why, attachments ----------------------------------------------------------------


def print_why(case: Any, policy: Policy, clocks: dict[ClockKind, Clock]) -> None:
    """Each clock's deadline, explained in words; `case` a case row."""
    out = console()
    out.print(
        Text(
            safe_line(
                f"{title(case.number)} - {case.subject} "
                f"({policy.label(case.severity)}, {case.status}, policy {policy.name})"
            ),
            style="bold",
        )
    )
    for kind in shown_clocks(clocks):
        clock = clocks[kind]
        out.print(Text(safe_line(f"{kind.label}: {_clock_line(clock)}")))
        out.print(Text(safe(f"  {clock.explanation}")))


def _clock_line(clock: Clock) -> str:
    state = clock.state.value.upper() if clock.state is ClockState.BREACHED else clock.state.value
    parts = [state]
    if clock.due is not None:
        parts.append(f"due {local(clock.due, year=True)}")
    if clock.state in _COUNTING and clock.left is not None:
        parts.append(_left(int(clock.left.total_seconds())))
    if clock.calendar_closed and clock.state in _COUNTING:
        parts.append(f"{clock.calendar} closed now ({clock.closed_reason or 'closed'})")
    return ", ".join(parts)


def print_attachments(number: int, rows: list[dict[str, Any]]) -> None:
    """A case's files, oldest first: name, size, hash, who added them and when."""
    out = console()
    if not rows:
        out.print(Text(f"no attachments on {title(number)}"))
        return
    table = Table("name", "size", "sha256", "added by", "added at", box=None, pad_edge=False)
    for column in table.columns:
        column.no_wrap = True
    table.columns[1].justify = "right"
    for row in rows:
        table.add_row(
            Text(safe_line(row["name"])),
            Text(human_size(row["size"])),
            Text(row["sha256"][:12]),
            Text(safe_line(row["added_by"])),
            Text(local(row["added_at"], year=True)),
        )
    out.print(table)
