"""How `deskterm case ...` prints a case, a list of cases, its clocks and its files.

Input is the JSON form of `deskterm.desk.queries` (what `--json` prints), so the
text and the JSON say the same thing. Customer text reaches the terminal only
through `safe()` and as `rich.text.Text` (`Said`), never as markup. A case and the
list are pages of deskterm.cli.plain: into a pipe they print without loading Rich.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from deskterm.cli.output import console
from deskterm.cli.plain import Cell, Column, Grid, Item, Said, print_page
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
    from rich.text import Text

    console().print(Text(safe_line(line)))


# --- case list ---------------------------------------------------------------------


def print_case_list(rows: list[dict[str, Any]], scope: str, more: str) -> None:
    """The list's table, soonest deadline first, and how many it holds."""
    if not rows:
        print_page([f"no {scope}"])
        return
    headers = ("sev", "case", "organization", "subject", "status", "assignee", "due", "state")
    table: list[list[Cell]] = []
    for row in rows:
        clock, state = _next_clock(row)
        marked = (
            Said(f"BREACHED {clock}", style="bold red")
            if state == "breached"
            else Said(f"{clock} {state}" if clock else "-")
        )
        table.append(
            [
                Said(row["severity_label"]),
                str(row["number"]),
                Said(safe_line(row["organization"])),
                Said(safe_line(row["subject"])),
                Said(row["status"]),
                Said(safe_line(row["assignee"] or "-")),
                Said(local(row["next_due"])),
                marked,
            ]
        )
    columns = [Column(header, no_wrap=True) for header in headers]
    print_page([Grid(columns, table), f"{len(rows)} {scope}{more}"])


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


def _grid(rows: list[list[Cell]]) -> Grid:
    """Names in bold on the left, values on the right (wrapped on a terminal)."""
    return Grid([Column(style="bold", no_wrap=True), Column()], rows, show_header=False)


def _heading(name: str) -> Said:
    return Said(f"\n{name}", style="bold underline")


def print_case(detail: dict[str, Any]) -> None:
    """Everything about a case: fields, intake, clocks, attachments and its timeline."""
    page: list[Item] = [
        Said(safe_line(f"{title(detail['number'])} - {detail['subject']}"), style="bold"),
        _grid([[name, Said(safe(value))] for name, value in _fields(detail)]),
        _heading("Description"),
        Said(safe(detail["description"]) or "-"),
        _heading("Intake"),
        _grid(
            [
                [label, Said(safe(detail["intake"].get(name)) or "-")]
                for name, label in INTAKE_LABELS.items()
            ]
        ),
        _heading("Clocks"),
    ]
    clocks: list[list[Cell]] = []
    for kind in ClockKind:
        clock = detail["clocks"].get(kind.value)
        if clock is None:
            continue  # a clock this policy does not have
        state = clock["state"].upper() if clock["state"] == ClockState.BREACHED else clock["state"]
        line = f"{state}, due {local(clock['due'], year=True)}" if clock["due"] else state
        if clock["state"] in _COUNTING and clock["left_seconds"] is not None:
            line += f", {_left(clock['left_seconds'])}"
        clocks.append([kind.label, Said(safe(f"{line}\n{clock['explanation']}"))])
    page.append(_grid(clocks))

    if detail["attachments"]:
        page.append(_heading("Attachments"))
        for attachment in detail["attachments"]:
            added = f"added by {attachment['added_by']} {local(attachment['added_at'], year=True)}"
            page.append(
                Said(safe_line(f"{attachment['name']} ({human_size(attachment['size'])}, {added})"))
            )

    page.append(_heading("Timeline"))
    timeline: list[list[Cell]] = []
    for event in detail["events"]:
        said = event["description"]
        if event["text"]:
            said += "\n" + event["text"]
        timeline.append([local(event["at"], year=True), Said(safe(said))])
    page.append(_grid(timeline))
    print_page(page)


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
    from rich.text import Text

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
    from rich.table import Table
    from rich.text import Text

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
