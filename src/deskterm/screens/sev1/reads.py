"""What the Severity 1 wizard reads from the desk, off the UI thread, as typed messages.

Each read runs in a thread worker (`Sev1Wizard.read`) and posts one of these to the
wizard; a read the desk refuses (no such case, no such organization) comes back as
`problem`, in the words the wizard shows. None of them bubbles.
"""

from __future__ import annotations

from textual.message import Message

from deskterm.desk import intake


class Sev1Read(Message, bubble=False):
    """A read for the wizard has come back; `kind` names it ("callers", "case", ...)."""

    kind = ""


class OrganizationsRead(Sev1Read):
    """Every organization's name: what the new caller's organization completes to."""

    kind = "organizations"

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names


class CallersFound(Sev1Read):
    """The contacts that match `search`, the caller search's text when it was read."""

    kind = "callers"

    def __init__(self, search: str, callers: list[intake.Caller]) -> None:
        super().__init__()
        self.search = search
        self.callers = callers


class NewContactChecked(Sev1Read):
    """The new caller's organization as stored (None: none of that name), and the
    names of its contacts."""

    kind = "new contact"

    def __init__(self, organization: str | None, contacts: list[str]) -> None:
        super().__init__()
        self.organization = organization
        self.contacts = contacts


class EntitlementRead(Sev1Read):
    """The checks of step 2: the entitlement, or why there is none."""

    kind = "entitlement"

    def __init__(self, entitlement: intake.Entitlement | None, problem: str | None) -> None:
        super().__init__()
        self.entitlement = entitlement
        self.problem = problem


class CaseLookedUp(Sev1Read):
    """Step 6's case number: the caller's case, or why it cannot be upgraded."""

    kind = "case"

    def __init__(self, brief: intake.CaseBrief | None, problem: str | None) -> None:
        super().__init__()
        self.brief = brief
        self.problem = problem


class ClockRead(Sev1Read):
    """What confirming starts, in words: the organization's Severity 1 first response."""

    kind = "clock"

    def __init__(self, words: str) -> None:
        super().__init__()
        self.words = words
