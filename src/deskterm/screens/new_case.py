"""The new-case form: a report of Severity 2 and below, one or several issues.

Organization and contact (completed as typed: `→` takes the suggestion), the
entitlement check (docs/domain.md, "Intake") with its supervisor override, the
severity (each level with the policy's name and meaning, so the choice is
informed), the subject and the intake fields of docs/domain.md; required fields
are marked `*`. Bad input is shown under its field, which keeps the focus. Nothing
is written before ctrl+s, which opens every issue of the report in one
transaction (`deskterm.desk.intake.open_issues`), linked to each other when
there are several. esc keeps what was typed (a private file, as the drafts):
the next `n` brings it back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.call_state import CallStore, SavedCall
from deskterm.desk import cases, intake, limits
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.models import Case
from deskterm.safe_text import safe_line
from deskterm.sla import Policy
from deskterm.widgets.choice_list import ChoiceList
from deskterm.widgets.dialog import STYLES, hint, plain
from deskterm.widgets.fields import Field, shown_names
from deskterm.widgets.tick_box import ADMIN_NO, ADMIN_YES, SpaceCheckbox

# (field id, label, required); the intake fields in docs/domain.md's order.
ISSUE_FIELDS = (
    ("subject", "subject", True),
    ("description", "description", False),
    ("inquirer", "inquirer (default: the contact)", False),
    ("product", "product", True),
    ("product_version", "product version", False),
    ("error_messages", "error messages", False),
    ("steps_to_reproduce", "steps to reproduce", False),
    ("actions_before", "actions taken before the incident", False),
    ("changes_made", "changes made (network, workstation)", False),
    ("persisted_for", "how long it has persisted", False),
    ("operating_system", "operating system", False),
    ("server_roles", "server roles", False),
)
# What "add another issue" clears: the rest is usually the same for the next issue.
PER_ISSUE = ("subject", "description", "error_messages", "steps_to_reproduce", "actions_before")
LOWEST_FORM_SEVERITY = 2  # Severity 1 goes through the phone wizard (!)


NEW_CONTACT_LABEL = "not in the directory: add as a new contact, with the case (space)"


def label_of(label: str, required: bool) -> str:
    return f"{label} *" if required else label


class NewCaseForm(Screen[list[Case] | None]):
    """Dismissed with the cases opened, or None (esc: the form is kept for next time)."""

    CSS_PATH = [STYLES / "dialogs.tcss", STYLES / "forms.tcss"]
    BINDINGS = [
        Binding("escape", "leave", show=False),
        Binding("ctrl+s", "create", show=False),
        # Before a text field's own ctrl+a (start of line): "add another issue" from
        # every field, as the footer says.
        Binding("ctrl+a", "another", show=False, priority=True),
        # Before the inputs' own ctrl+x (cut); asked for first.
        Binding("ctrl+x", "discard", show=False, priority=True),
        Binding("enter", "next", show=False),  # on the severity list
    ]

    def __init__(
        self,
        desk: Desk,
        store: CallStore,
        *,
        prefill: dict[str, str] | None = None,
        saved: SavedCall | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.store = store
        self.prefill = dict(prefill or {})
        self.from_call = prefill is not None  # esc goes back to the wizard, which keeps it all
        self.saved = saved
        self.pending: list[intake.Issue] = []
        self.policy: Policy | None = None
        self.levels: list[int] = []
        self.entitlement: intake.Entitlement | None = None
        # The desk's organizations, and the chosen one's contacts, by their shown names.
        self._organizations: dict[str, str] = {}
        self._contacts: dict[str, str] = {}
        self._done = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="form-head"):
            yield Static(id="form-title", markup=False)
        yield Static("", id="pending", classes="-empty", markup=False)
        with VerticalScroll(id="form"):
            yield from self._field("organization", "organization *")
            yield from self._field("contact", "contact *")
            # A reporter not in the directory yet is added with the case, as the wizard
            # does: space ticks it (enter goes on), and their details are asked.
            yield SpaceCheckbox(NEW_CONTACT_LABEL, id="new-contact")
            with Vertical(id="new-contact-details"):
                yield from self._field("contact-email", "new contact's e-mail")
                yield from self._field("contact-phone", "new contact's phone")
                yield SpaceCheckbox(ADMIN_NO, id="contact-admin")
            yield Static(id="entitlement", markup=False)
            yield from self._field("override", "supervisor override: its reason *")
            severity = ChoiceList(id="severity")
            severity.border_title = "severity *"
            yield severity
            yield Static("", id="severity-error", classes="field-error -empty", markup=False)
            for name, label, required in ISSUE_FIELDS:
                yield from self._field(name, label_of(label, required))
        yield Static("", id="error", classes="-empty", markup=False)
        yield Static(
            hint(
                ("ctrl+s", "open"),
                ("ctrl+a", "add another issue"),
                ("esc", "close, kept"),
                ("ctrl+x", "discard"),
            ),
            id="hint",
        )

    def _field(self, name: str, label: str) -> ComposeResult:
        yield Field(name, label)

    def on_mount(self) -> None:
        self.query_one("#new-contact").display = False
        self.query_one("#new-contact-details").display = False
        self._organizations = shown_names(intake.organization_names(self.desk))
        self.query_one("#organization", Input).suggester = SuggestFromList(
            self._organizations, case_sensitive=False
        )
        values = dict(self.prefill)
        if self.saved is not None and not self.from_call:
            values = dict(self.saved.fields)
            for issue in json.loads(values.pop("pending", "[]") or "[]"):
                self.pending.append(intake.Issue(**issue))
        for name, value in values.items():
            if name in ("organization", "contact", "override") or name in dict.fromkeys(
                n for n, _, _ in ISSUE_FIELDS
            ):
                # What the wizard passes on is stored text: shown as any name is.
                self.query_one(f"#{name}", Input).value = safe_line(value)
        self._organization_changed(quiet=True)
        if values.get("severity", "").isdigit() and int(values["severity"]) in self.levels:
            self.query_one("#severity", OptionList).highlighted = self.levels.index(
                int(values["severity"])
            )
        self._show_pending()
        start = "#organization"
        if self.query_one("#organization", Input).value and self.entitlement is not None:
            start = "#contact" if not self.query_one("#contact", Input).value else "#subject"
        self.query_one(start, Input).focus()

    # -- what the form holds ------------------------------------------------------

    def value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def organization(self) -> str:
        """The organization as stored, for the one the field shows."""
        shown = self.value("organization").strip()
        return self._organizations.get(shown, shown)

    def contact(self) -> str:
        shown = self.value("contact").strip()
        return self._contacts.get(shown, shown)

    def severity(self) -> int | None:
        index = self.query_one("#severity", OptionList).highlighted
        return self.levels[index] if index is not None and index < len(self.levels) else None

    def adding_contact(self) -> bool:
        return self.query_one("#new-contact", Checkbox).value

    def fields(self) -> dict[str, str]:
        values = {field.id: field.value for field in self.query(Input) if field.id}
        values["new-contact"] = "1" if self.adding_contact() else ""
        values["contact-admin"] = "1" if self.query_one("#contact-admin", Checkbox).value else ""
        level = self.severity()
        values["severity"] = str(level) if level is not None else ""
        values["pending"] = json.dumps([vars(issue) for issue in self.pending])
        return values

    def _show_pending(self) -> None:
        issue = len(self.pending) + 1
        title = f"New case (Severity 2 and below; Sev 1: the phone wizard, !) · issue {issue}"
        self.query_one("#form-title", Static).update(plain(title))
        pending = self.query_one("#pending", Static)
        pending.set_class(not self.pending, "-empty")
        if self.pending:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append("reported together: ")
            text.append(
                "; ".join(
                    f"{n}. {safe_line(issue.subject, 30)}"
                    for n, issue in enumerate(self.pending, 1)
                )
            )
            pending.update(text)

    # -- errors at the field ----------------------------------------------------------

    def field_error(self, name: str, message: str) -> None:
        line = self.query_one(f"#{name}-error", Static)
        line.update(plain(f"! {safe_line(message)}"))
        line.remove_class("-empty")

    def clear_field_error(self, name: str) -> None:
        line = self.query_one(f"#{name}-error", Static)
        line.update("")
        line.add_class("-empty")

    def show_error(self, message: str) -> None:
        line = self.query_one("#error", Static)
        line.update(plain(f"! {safe_line(message)}"))
        line.set_class(not message, "-empty")

    # -- organization, contact, entitlement ------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        field = event.input
        if field.id:
            self.clear_field_error(field.id)
        if field.id == "organization":
            self._organization_changed(quiet=True)
        elif field.id == "contact":
            self._check_entitlement(quiet=True)

    def _organization_changed(self, quiet: bool) -> bool:
        self._organizations = shown_names(intake.organization_names(self.desk))
        name = self.organization()
        known = name in self._organizations.values()
        self._contacts = shown_names(intake.contact_names(self.desk, name) if known else [])
        self.query_one("#contact", Input).suggester = SuggestFromList(
            self._contacts, case_sensitive=False
        )
        policy = None
        if known:
            try:
                policy = self.desk.policy(intake.check_entitlement(self.desk, name, None).policy)
            except DeskError as error:
                self.field_error("organization", str(error))
        if policy is not self.policy or policy is None:
            self._severities(policy)
        if not known and not quiet:
            self.field_error(
                "organization",
                f"no organization named {name!r}" if name else "the organization is empty",
            )
        self._check_entitlement(quiet=True)
        return known and policy is not None

    def _severities(self, policy: Policy | None) -> None:
        chosen = self.severity()
        self.policy = policy
        options = self.query_one("#severity", OptionList)
        options.clear_options()
        self.levels = []
        if policy is None:
            options.add_option(Option(plain("(choose the organization first)"), disabled=True))
            return
        for level, meaning in sorted(policy.severities.items()):
            if level < LOWEST_FORM_SEVERITY:
                continue
            self.levels.append(level)
            line = Text()
            line.append(f"{policy.label(level):<6}{meaning.name:<12}", "bold")
            line.append(f" first response {meaning.first_response}: ")
            line.append(meaning.meaning)
            options.add_option(Option(line, id=str(level)))
        options.highlighted = self.levels.index(chosen) if chosen in self.levels else 0

    def _check_entitlement(self, quiet: bool) -> bool:
        org, contact = self.organization(), self.contact()
        status = self.query_one("#entitlement", Static)
        override = self.query_one("#override", Input)
        self.entitlement = None
        try:
            self.entitlement = intake.check_entitlement(
                self.desk, org, contact or None, new_contact=self.adding_contact()
            )
        except DeskError:
            status.update("")
            self.query_one("#new-contact").display = self.adding_contact()
            override.display = False
            self.clear_field_error("override")
            return False
        e = self.entitlement
        # Offered only for a name the directory does not know (or once ticked).
        self.query_one("#new-contact").display = self.adding_contact() or bool(
            contact and not e.contact_known
        )
        override.display = not e.contract_current
        if e.contract_current:
            self.clear_field_error("override")
        text = Text()
        if e.contract_current:
            until = f"until {e.contract_until}" if e.contract_until else "no end date"
            text.append(f"contract current ({until}) · policy {e.policy}")
        else:
            text.append(
                f"contract ENDED on {e.contract_until}: no further support without a "
                "supervisor override",
                "bold",
            )
        status.update(text)
        contact_problem = e.contact_problem
        if contact_problem and contact and not quiet:
            if not e.contact_known and not self.adding_contact():
                contact_problem += " (tab, then space: add them as a new contact)"
            self.field_error("contact", contact_problem)
        if not contact and not quiet:
            self.field_error("contact", "the contact is empty: who reported it?")
        return contact_problem is None

    @on(Checkbox.Changed, "#new-contact")
    def _new_contact_ticked(self, event: Checkbox.Changed) -> None:
        self.query_one("#new-contact-details").display = event.value
        self.clear_field_error("contact")
        self._check_entitlement(quiet=True)

    @on(Checkbox.Changed, "#contact-admin")
    def _admin_ticked(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = ADMIN_YES if event.value else ADMIN_NO

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next(event.input)

    @on(OptionList.OptionSelected, "#severity")
    def _severity_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_next(event.option_list)

    def action_next(self, field: Widget | None = None) -> None:
        """enter: check the field (organization, contact), then the next field."""
        field = field or self.focused
        if field is None:
            return
        name = field.id
        if name == "organization" and not self._organization_changed(quiet=False):
            return  # the focus stays on the field with its message
        if name == "contact" and not self._check_entitlement(quiet=False):
            return
        # The field after this one, not after the focused one: keys typed in one
        # burst may have moved the focus on already.
        chain = self.focus_chain
        if field in chain and chain.index(field) + 1 < len(chain):
            chain[chain.index(field) + 1].focus()

    # -- opening --------------------------------------------------------------------------

    def _issue(self) -> intake.Issue | None:
        """The issue being typed, or None with a message at the first bad field."""
        problems: list[tuple[str, str]] = []
        if not self._organization_changed(quiet=True):
            name = self.value("organization").strip()
            problems.append(
                (
                    "organization",
                    f"no organization named {name!r}" if name else "the organization is empty",
                )
            )
        elif not self.value("contact").strip():
            problems.append(("contact", "the contact is empty: who reported it?"))
        elif not self._check_entitlement(quiet=True):
            e = self.entitlement
            problem = e.contact_problem if e else None
            problems.append(("contact", problem or "not a contact of the organization"))
        elif (
            self.entitlement
            and not self.entitlement.contract_current
            and not self.value("override").strip()
        ):
            problems.append(
                (
                    "override",
                    f"the contract ended on {self.entitlement.contract_until}: "
                    "give the supervisor's reason to go on",
                )
            )
        level = self.severity()
        if self.policy is not None and level is None:
            problems.append(("severity", "choose a severity"))
        for name, label, required in ISSUE_FIELDS:
            if required and not self.value(name).strip():
                problems.append((name, f"the {label} is empty: it is required"))
        problems += self._too_long()
        for name, message in problems:
            self.field_error(name, message)
        if problems:
            first = problems[0][0]
            self.query_one(f"#{first}").focus()
            self.show_error(f"{len(problems)} field(s) to fix before opening")
            return None
        self.show_error("")
        assert level is not None
        return intake.Issue(
            severity=level,
            subject=self.value("subject").strip(),
            description=self.value("description"),
            intake={
                name: self.value(name).strip()
                for name, _, _ in ISSUE_FIELDS
                if name not in ("subject", "description") and self.value(name).strip()
            },
        )

    def _too_long(self) -> list[tuple[str, str]]:
        """Each field over what the desk takes, with the desk's words (nothing is cut)."""
        found = []
        checks: list[tuple[str, Callable[[str], object]]] = [
            (
                "organization",
                lambda v: limits.check_length(v, "the organization", limits.LINE_LIMIT),
            ),
            ("contact", lambda v: limits.check_length(v, "the contact", limits.LINE_LIMIT)),
            ("override", lambda v: limits.check_length(v, "the override's reason")),
            *((name, lambda v, n=name: cases.check_field(n, v)) for name, _, _ in ISSUE_FIELDS),
        ]
        for name, check in checks:
            try:
                check(self.value(name))
            except DeskError as error:
                found.append((name, str(error)))
        return found

    def action_another(self) -> None:
        issue = self._issue()
        if issue is None:
            return
        self.pending.append(issue)
        for name in PER_ISSUE:
            self.query_one(f"#{name}", Input).value = ""
        self._show_pending()
        self.query_one("#subject", Input).focus()
        self.notify(f"Issue {len(self.pending)} kept: type the next one (ctrl+s opens all)")

    def action_create(self) -> None:
        issue = self._issue()
        if issue is None:
            return
        e = self.entitlement
        try:
            opened = intake.open_issues(
                self.desk,
                organization=self.organization(),
                contact=self.contact(),
                issues=[*self.pending, issue],
                entitlement_override=(
                    self.value("override").strip() if e and not e.contract_current else None
                ),
                new_contact=(
                    intake.NewContact(
                        self.value("contact-email"),
                        self.value("contact-phone"),
                        self.query_one("#contact-admin", Checkbox).value,
                    )
                    if self.adding_contact()
                    else None
                ),
            )
        except DeskError as error:
            self.show_error(str(error))
            return
        if not self.from_call:
            self.store.discard()
        numbers = ", ".join(str(case.number) for case in opened)
        linked = " (linked)" if len(opened) > 1 else ""
        self.app.notify(f"Opened Incident# {numbers}{linked}", timeout=8)
        self._close(opened)

    def action_leave(self) -> None:
        if not self.from_call:
            fields = self.fields()
            if self.pending or any(
                value.strip()
                for name, value in fields.items()
                if name not in ("severity", "pending")
            ):
                self.store.save(SavedCall(0, self.desk.now(), fields))
                self.app.notify("The new case is kept: n brings it back", timeout=4)
        self._close(None)

    def action_discard(self) -> None:
        from deskterm.screens.sev1 import Confirm

        def discarded(yes: bool | None) -> None:
            if yes:
                if not self.from_call:
                    self.store.discard()
                self._close(None)

        self.app.push_screen(
            Confirm("Discard this new case and everything typed in it?"), discarded
        )

    def _close(self, result: Any) -> None:
        if not self._done:
            self._done = True
            self.dismiss(result)
