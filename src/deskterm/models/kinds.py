"""What an event records, readable without the ORM (the command line's reads, the
SLA replay): `deskterm.models.event` keeps the table itself."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    OPENED = "opened"
    REPLY = "reply"  # public, to the customer
    NOTE = "note"  # internal
    CALL = "call"  # a logged phone call (a response to the customer)
    STATUS = "status"
    SEVERITY = "severity"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    SPLIT = "split"  # on the parent: a case was split off
    SPLIT_FROM = "split-from"  # on the child: where it came from
    CUSTOMER_REPLY = "customer-reply"
    SCHEDULED = "scheduled"
    BREACH = "breach"
    CUSTOMER_TIMEOUT = "customer-timeout"
    AUTO_CLOSE_NOTICE = "auto-close-notice"
    ATTACH = "attach"  # a file attached: new value its name, text its size and SHA-256
    CHECKLIST = "checklist"  # a step of the Sev 1 phone intake: field the step, text the answer
    LINKED = "linked"  # reported together with other cases: new value their numbers
    # Mail a machine sent about the case (a bounce, an out-of-office, a read receipt):
    # on the timeline, never a customer's answer: no clock stops, no status changes.
    # New value why it is a machine's; text the message's text, as for a customer reply.
    AUTOMATIC_MAIL = "automatic-mail"
    # A new version of the case's policy applied to it: old and new value name the
    # versions and the dues (`v1 due ...`), text says who applied which file.
    POLICY = "policy"
