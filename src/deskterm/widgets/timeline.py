"""A case's events as timeline blocks: each kind recognisable at a glance, colour or not.

The tag column says what happened in words (REPLY, CALL, note, BREACH ...):
capitals for what the customer sees or what went wrong, so a monochrome
terminal shows the difference too; colours only repeat it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import partial

from deskterm.desk.case_file import Entry
from deskterm.desk.describe import describe
from deskterm.models import EventKind
from deskterm.safe_text import safe_line
from deskterm.widgets.document import Block, Pieces

K = EventKind
# kind -> (tag, component class of the tag, component class of the body)
TAGS: dict[str, tuple[str, str, str]] = {
    K.OPENED: ("opened", "document--head", ""),
    K.REPLY: ("REPLY", "document--public", ""),
    K.CALL: ("CALL", "document--public", ""),
    K.CUSTOMER_REPLY: ("CUSTOMER", "document--customer", ""),
    K.NOTE: ("note", "document--quiet", "document--quiet"),
    K.STATUS: ("status", "document--head", ""),
    K.SEVERITY: ("SEVERITY", "document--head", ""),
    K.ASSIGN: ("assign", "", ""),
    K.ESCALATE: ("ESCALATE", "document--alarm", ""),
    K.SPLIT: ("split", "", ""),
    K.SPLIT_FROM: ("split", "", ""),
    K.SCHEDULED: ("schedule", "", ""),
    K.BREACH: ("BREACH", "document--alarm", ""),
    K.CUSTOMER_TIMEOUT: ("TIMEOUT", "document--alarm", ""),
    K.AUTO_CLOSE_NOTICE: ("notice", "document--head", ""),
    K.CHECKLIST: ("check", "document--head", ""),
    K.LINKED: ("linked", "", ""),
    K.AUTOMATIC_MAIL: ("automatic", "document--quiet", "document--quiet"),  # dimmed
}
TAG_WIDTH = 9
UNKNOWN = ("event", "", "")


def tag_of(kind: str) -> tuple[str, str, str]:
    return TAGS.get(kind, UNKNOWN)


def mail_piece(state: str | None) -> Pieces:
    """What became of the mail an event sent: quiet once sent, loud until then."""
    if state is None:
        return ()
    style = "document--quiet" if state == "mail sent" else "document--alarm"
    return ((f"[{safe_line(state, 120)}]", style), (" ", ""))


def event_head(entry: Entry, when: Callable[[datetime], str], mail: str | None = None) -> Pieces:
    tag, tag_class, _ = tag_of(entry.kind)
    try:
        what = describe(entry)
    except (KeyError, ValueError):  # a kind this version does not know (a newer writer)
        what = f"{entry.actor} {entry.kind}"
    return (
        (f"{when(entry.at)}  ", "document--quiet"),
        (f"{tag:<{TAG_WIDTH}}", tag_class),
        (" ", ""),
        # Before the description: what became of the mail must show on 80 columns.
        *mail_piece(mail),
        (safe_line(what, 300), ""),
    )


def event_block(entry: Entry, when: Callable[[datetime], str], mail: str | None = None) -> Block:
    return Block(partial(event_head, entry, when, mail), entry.text or "", tag_of(entry.kind)[2])


def timeline_blocks(
    entries: Iterable[Entry],
    when: Callable[[datetime], str],
    mail: Mapping[int, str] | None = None,
) -> list[Block]:
    """The events as blocks; `mail` (event id -> state) marks what was mailed, and how."""
    mail = mail or {}
    return [event_block(entry, when, mail.get(entry.id)) for entry in entries]
