"""Events in words, one line each: for conflicts, timelines and the command line."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from deskterm.models.kinds import EventKind
from deskterm.settings import human_size

if TYPE_CHECKING:  # the ORM is not needed to describe a row (the command line reads rows)
    pass

_VERBS = {
    EventKind.OPENED: "opened the case",
    EventKind.REPLY: "replied to the customer",
    EventKind.NOTE: "added an internal note",
    EventKind.CALL: "logged a phone call",
    EventKind.CUSTOMER_REPLY: "recorded a customer reply",
    EventKind.SPLIT: "split off case {new}",
    EventKind.SPLIT_FROM: "split this case from case {new}",
    EventKind.BREACH: "recorded a breach of the {field} clock (due {new})",
    EventKind.CUSTOMER_TIMEOUT: "recorded that the customer did not respond in time",
    EventKind.AUTO_CLOSE_NOTICE: "sent the auto-close notice (closes {new})",
    EventKind.SCHEDULED: "scheduled the work for {new}",
    EventKind.CHECKLIST: "checked {field} on the Sev 1 call",
    EventKind.LINKED: "linked this case with case {new} (reported together)",
    EventKind.AUTOMATIC_MAIL: "sent an automatic message: {new}",
    EventKind.POLICY: "moved the case to its policy's {new} (was {old})",
}

_ATTACHED_SIZE = re.compile(r"(\d[\d,]*) bytes?\b")


class Told(Protocol):
    """What `describe` reads of an event: a stored `Event`, or the case screen's
    lighter `Entry` (deskterm.desk.case_file), which has the same names."""

    @property
    def actor(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def field(self) -> str | None: ...
    @property
    def old_value(self) -> str | None: ...
    @property
    def new_value(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...


def describe(event: Told) -> str:
    """`alice moved status open -> waiting-on-customer`, without the event's free text."""
    kind = EventKind(event.kind)
    if kind == EventKind.CALL and event.new_value:
        what = f"logged a phone call with {event.new_value}"
    elif kind == EventKind.ASSIGN:
        what = f"assigned it to {event.new_value}" if event.new_value else "released it"
    elif kind == EventKind.ATTACH:
        what = f"attached {event.new_value}"
        # The text, as deskterm.desk.attachments writes it: "12,345 bytes, sha256 ..."
        size = _ATTACHED_SIZE.match(event.text or "")
        if size:
            what += f" ({human_size(int(size[1].replace(',', '')))})"
    elif kind in (EventKind.STATUS, EventKind.SEVERITY, EventKind.ESCALATE):
        what = f"changed {event.field} {event.old_value} -> {event.new_value}"
    else:
        what = _VERBS[kind].format(
            field=(event.field or "").replace("_", " "), new=event.new_value, old=event.old_value
        )
    return f"{event.actor} {what}"
