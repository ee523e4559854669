"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from deskterm.models.attachment import Attachment, Counter
from deskterm.models.case import END_OF_TIME, FIRST_CASE_NUMBER, INTAKE_FIELDS, Case
from deskterm.models.event import Event, EventKind
from deskterm.models.mail import IngestedMail, Outbox, OutboxStatus, TriageMail
from deskterm.models.org import Contact, Organization

__all__ = [
    "END_OF_TIME",
    "FIRST_CASE_NUMBER",
    "INTAKE_FIELDS",
    "Attachment",
    "Case",
    "Contact",
    "Counter",
    "Event",
    "EventKind",
    "IngestedMail",
    "Organization",
    "Outbox",
    "OutboxStatus",
    "TriageMail",
]
