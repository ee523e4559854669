"""SQLModel tables, loaded on first use.

`from deskterm.models import Case` works as ever, but merely importing the package
loads neither the ORM nor pydantic: the console starts on the Core table clauses
of `deskterm.models.columns` and pays for the models only when a use case needs
them. `load_all()` registers every table on SQLModel.metadata (migrations, checks).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deskterm.models.attachment import Attachment, Counter
    from deskterm.models.case import FIRST_CASE_NUMBER, Case
    from deskterm.models.clock_outcome import SlaClockOutcome
    from deskterm.models.columns import END_OF_TIME, INTAKE_FIELDS
    from deskterm.models.counts import DeskCount, PromiseCount
    from deskterm.models.event import Event
    from deskterm.models.kinds import EventKind
    from deskterm.models.mail import IngestedMail, Outbox, OutboxStatus, TriageMail
    from deskterm.models.org import Contact, Organization
    from deskterm.models.outcome import SlaFirstResponseState, SlaOutcome
    from deskterm.models.policy_version import PolicyVersion

_HOMES = {
    "Attachment": "attachment",
    "Counter": "attachment",
    "Case": "case",
    "FIRST_CASE_NUMBER": "case",
    "INTAKE_FIELDS": "columns",
    "END_OF_TIME": "columns",
    "Event": "event",
    "EventKind": "kinds",
    "IngestedMail": "mail",
    "Outbox": "mail",
    "OutboxStatus": "mail",
    "TriageMail": "mail",
    "Contact": "org",
    "DeskCount": "counts",
    "PromiseCount": "counts",
    "SlaOutcome": "outcome",
    "SlaFirstResponseState": "outcome",
    "SlaClockOutcome": "clock_outcome",
    "Organization": "org",
    "PolicyVersion": "policy_version",
}
_TABLE_MODULES = (
    "org",
    "case",
    "event",
    "attachment",
    "mail",
    "counts",
    "outcome",
    "clock_outcome",
    "policy_version",
)

__all__ = [
    "END_OF_TIME",
    "FIRST_CASE_NUMBER",
    "INTAKE_FIELDS",
    "Attachment",
    "Case",
    "Contact",
    "Counter",
    "DeskCount",
    "PromiseCount",
    "Event",
    "EventKind",
    "IngestedMail",
    "Organization",
    "Outbox",
    "OutboxStatus",
    "SlaClockOutcome",
    "PolicyVersion",
    "SlaOutcome",
    "SlaFirstResponseState",
    "TriageMail",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'deskterm.models' has no attribute {name!r}")
    value = getattr(import_module(f"deskterm.models.{home}"), name)
    globals()[name] = value  # the next lookup is an ordinary attribute
    return value


def load_all() -> None:
    """Import every table module: SQLModel.metadata then holds the whole schema."""
    for module in _TABLE_MODULES:
        import_module(f"deskterm.models.{module}")
