"""The eight steps of the Severity 1 call, one widget each: its fields and what it shows.

The wizard (deskterm.screens.sev1.wizard) holds the answers and moves between the
steps; a step lays out its own fields and turns what the wizard read into text.
What the caller or the directory says is shown through `safe_line` and as
`rich.text.Text`, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.desk import intake
from deskterm.safe_text import safe_line
from deskterm.widgets.choice_list import ChoiceList
from deskterm.widgets.dialog import plain
from deskterm.widgets.fields import TextField
from deskterm.widgets.tick_box import ADMIN_NO, SpaceCheckbox

STEPS = (
    "Caller",
    "Entitlement",
    "Administrative access",
    "Product affected",
    "Emergency",
    "Case number",
    "Summary",
    "Confirm",
)
ADD_OPTION = "+add"


def labelled(widget_id: str, label: str, placeholder: str = "") -> TextField:
    field = TextField(placeholder=placeholder, id=widget_id)
    field.border_title = label
    return field


class Step(Vertical):
    """One step of the call: its fields, laid out once; the wizard shows one at a time."""

    number: ClassVar[int]

    def __init__(self) -> None:
        super().__init__(id=f"step-{self.number}", classes="step")

    @property
    def title(self) -> str:
        return STEPS[self.number - 1]

    def first_field(self) -> Input | None:
        """The field focused when the step is entered; None for a step answered with a
        key (y, n, enter), which wants no field focused."""
        return None


class CallerStep(Step):
    """1: find the caller in the directory, or add a new contact."""

    number = 1

    def compose(self) -> ComposeResult:
        yield labelled("search", "find the caller", "name, organization, e-mail or phone")
        yield ChoiceList(id="callers")
        with Vertical(id="add-contact"):
            yield labelled("new-org", "organization *")
            yield labelled("new-name", "name *")
            yield SpaceCheckbox(ADMIN_NO, id="new-admin")
            yield labelled("new-phone", "phone")
            yield labelled("new-email", "e-mail")

    def on_mount(self) -> None:
        self.query_one("#add-contact").display = False

    def first_field(self) -> Input | None:
        adding = bool(self.query_one("#add-contact").display)
        return self.query_one("#new-org" if adding else "#search", Input)

    def set_adding(self, adding: bool) -> None:
        self.query_one("#search").display = not adding
        self.query_one("#callers").display = not adding
        self.query_one("#add-contact").display = adding

    def show_callers(self, callers: list[intake.Caller]) -> None:
        options = self.query_one("#callers", OptionList)
        options.clear_options()
        for index, caller in enumerate(callers):
            admin = "administrator" if caller.is_admin else "not an administrator"
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(safe_line(caller.name, 30), style="bold")
            line.append(safe_line(f"  {caller.organization}  ·  {admin}", 60))
            options.add_option(Option(line, id=str(index)))
        options.add_option(Option(plain("+ add a new contact"), id=ADD_OPTION))
        options.highlighted = 0


class EntitlementStep(Step):
    """2: the contract and the caller's standing, and a supervisor's override."""

    number = 2

    def compose(self) -> ComposeResult:
        yield Static(id="entitlement", classes="text", markup=False)
        yield labelled("override", "supervisor override: its reason", "only if a check fails")
        yield labelled("supervisor", "supervisor who authorised it *", "their name")

    def first_field(self) -> Input | None:
        override = self.query_one("#override", Input)
        return override if override.display else None

    def show(self, e: intake.Entitlement | None, problem: str | None, contact: str) -> None:
        if e is None:
            self.query_one("#entitlement", Static).update(plain(safe_line(problem or "")))
            self._override_shown(False)
            return
        text = Text()
        until = f"until {e.contract_until}" if e.contract_until else "no end date"
        mark = "ok  " if e.contract_current else "FAIL"
        text.append(f"{mark} maintenance contract of {safe_line(e.organization)}: ")
        if e.contract_current:
            text.append("current", "bold")
            text.append(f" ({until}, policy {e.policy})\n")
        else:
            text.append(f"ENDED on {e.contract_until}", "bold")
            text.append(f" (policy {e.policy})\n")
        contact_ok = e.contact_problem is None
        mark = "ok  " if contact_ok else "FAIL"
        who = safe_line(contact)
        standing = (
            "a contact of the organization"
            if e.contact_known
            else "new: added to the directory at confirm"
        )
        text.append(f"{mark} caller {who}: {standing if contact_ok else 'not valid'}\n")
        if e.ok:
            text.append("\nEntitled to support: enter goes on.")
        else:
            text.append("\nNo further support, because:\n", "bold")
            for reason in e.problems:
                text.append(f"  - {safe_line(reason)}\n")
            text.append("unless a supervisor gives an override: type its reason and their name.")
        self.query_one("#entitlement", Static).update(text)
        self._override_shown(not e.ok)

    def _override_shown(self, shown: bool) -> None:
        self.query_one("#override", Input).display = shown
        self.query_one("#supervisor", Input).display = shown


class AccessStep(Step):
    """3: is the caller an administrator with access? (y or n)"""

    number = 3

    def compose(self) -> ComposeResult:
        yield Static(id="access-text", classes="text", markup=False)

    def show(self, listed_admin: bool, confirmed: bool) -> None:
        text = Text()
        text.append("Ask the caller:\n\n")
        text.append(
            "Do you have administrative access or credentials for the product and the "
            "affected systems, and are you an administrator of the product?",
            "bold",
        )
        if not listed_admin:
            text.append(
                "\n\nThe directory does not list this caller as an administrator of the product."
            )
        if confirmed:
            text.append("\n\nConfirmed earlier in this call.")
        self.query_one("#access-text", Static).update(text)


class ProductStep(Step):
    """4: the product, its version and the systems involved."""

    number = 4

    def compose(self) -> ComposeResult:
        yield labelled("product", "product affected *")
        yield labelled("version", "version *")
        yield labelled("systems", "systems involved *", "hosts, services, environments")

    def first_field(self) -> Input | None:
        return self.query_one("#product", Input)


class EmergencyStep(Step):
    """5: can it not wait, and does no workaround help? (y, or n: a lower severity)"""

    number = 5

    def compose(self) -> ComposeResult:
        yield Static(id="emergency-text", classes="text", markup=False)

    def on_mount(self) -> None:
        text = Text()
        text.append("Ask the caller:\n\n")
        text.append("Is this an emergency that cannot wait for business hours?\n", "bold")
        text.append("Does a restart, bypass or workaround fail to resolve it?\n\n", "bold")
        text.append(
            "y: both yes, it is a Severity 1.\n"
            "n: it can wait, or a workaround helps: continue as a lower-severity case "
            "(the new-case form, with what the caller said so far)."
        )
        self.query_one("#emergency-text", Static).update(text)


class CaseNumberStep(Step):
    """6: the caller's existing case to upgrade, or the subject of a new one."""

    number = 6

    def compose(self) -> ComposeResult:
        yield labelled("case-number", "the caller's case number", "empty: a new case")
        yield labelled("subject", "subject (of a new case) *")
        yield Static(id="case-found", classes="text", markup=False)

    def first_field(self) -> Input | None:
        return self.query_one("#case-number", Input)

    def offer_subject(self, product: str) -> None:
        """A subject from the product, unless one was typed."""
        subject = self.query_one("#subject", Input)
        if not subject.value.strip():
            subject.value = f"Production down: {product}" if product else ""

    def show_case(self, brief: intake.CaseBrief | None, number_typed: bool) -> None:
        found = self.query_one("#case-found", Static)
        if brief is not None:
            found.update(
                plain(
                    safe_line(
                        f"case {brief.number}: {brief.subject} ({brief.label}, {brief.status})", 76
                    )
                )
            )
        elif number_typed:
            found.update("")
        else:
            found.update(plain("a new case will be opened"))


class ImpactStep(Step):
    """7: the caller's summary: impact, scope and urgency."""

    number = 7

    def compose(self) -> ComposeResult:
        yield labelled("impact", "impact *", "what does not work, for whom")
        yield labelled("scope", "scope *", "how many users, sites, systems")
        yield labelled("urgency", "urgency *", "why it cannot wait")

    def first_field(self) -> Input | None:
        return self.query_one("#impact", Input)


class ConfirmStep(Step):
    """8: everything said, and the clock confirming starts (enter, or t to take it)."""

    number = 8

    def compose(self) -> ComposeResult:
        yield Static(id="summary", classes="text", markup=False)

    def show(self, call: intake.Sev1Call, existing: intake.CaseBrief | None, clock: str) -> None:
        text = Text()
        rows = [
            ("caller", f"{call.contact} ({call.organization})"),
            (
                "entitlement",
                "current"
                if not call.override
                else f"override by {call.supervisor}: {call.override}",
            ),
            ("admin access", "confirmed"),
            ("product", f"{call.product} {call.version}; systems: {call.systems}"),
            ("emergency", "confirmed: cannot wait, no workaround"),
            (
                "case",
                f"upgrade case {existing.number} ({existing.label}) to Sev 1"
                if existing
                else f"new: {call.subject}",
            ),
            ("impact", call.impact),
            ("scope", call.scope),
            ("urgency", call.urgency),
        ]
        for label, value in rows:
            text.append(f"{label:<13}", "bold")
            text.append(safe_line(value, 62) + "\n")
        text.append("\n")
        text.append(clock)
        self.query_one("#summary", Static).update(text)


def all_steps() -> list[Step]:
    return [
        CallerStep(),
        EntitlementStep(),
        AccessStep(),
        ProductStep(),
        EmergencyStep(),
        CaseNumberStep(),
        ImpactStep(),
        ConfirmStep(),
    ]
