"""The Severity 1 phone-call wizard: the checklist of seed 000, one step a screen.

The on-call engineer is on the phone with the customer's administrator. Eight
steps, keyboard only, each fitting 80x24: the caller, the entitlement checks,
administrative access, the product, the emergency, the case number, the
summary, and the confirm. `enter` moves on, `esc` goes back a step, and a
running timer shows how long the call has lasted since step 1.

Nothing reaches the database before the confirm, which is one desk use case
(`deskterm.desk.intake.confirm_sev1`). What has been said so far is saved to a
private file after every step and a moment after each change
(`deskterm.call_state`): a terminal killed mid-call resumes at the same step
with nothing retyped. What the caller says is shown through `safe_line` and as
`rich.text.Text`, never as markup; typed control characters are made inert as
they arrive, as in the case dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Checkbox, ContentSwitcher, Input, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.call_state import CallStore, SavedCall
from deskterm.desk import intake, limits
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.models import Case
from deskterm.safe_text import safe_line
from deskterm.screens.local_time import short
from deskterm.widgets.choice_list import ChoiceList
from deskterm.widgets.dialog import STYLES, Dialog, hint, plain
from deskterm.widgets.fields import TextField, shown_names
from deskterm.widgets.tick_box import ADMIN_NO, ADMIN_YES, SpaceCheckbox

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
# Saved this long after the last change, so a kill mid-step loses no typing.
SAVE_AFTER_SECONDS = 0.5
# The answers that are not typed into an input: flags and the caller chosen.
CHOICES = ("organization", "contact", "is_admin", "new_contact", "admin_access", "emergency")


def call_time(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes:02}:{seconds:02}"


def labelled(widget_id: str, label: str, placeholder: str = "") -> TextField:
    field = TextField(placeholder=placeholder, id=widget_id)
    field.border_title = label
    return field


class Sev1Wizard(Screen[Case | None]):
    """The call, step by step; dismissed with the Sev 1 case once confirmed."""

    AUTO_FOCUS = None  # each step focuses its own first field (or none)
    CSS_PATH = [STYLES / "dialogs.tcss", STYLES / "forms.tcss"]

    BINDINGS = [
        Binding("escape", "back", "Back", show=False),
        Binding("up", "arrow(-1)", show=False),
        Binding("down", "arrow(1)", show=False),
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("enter", "next", show=False),  # where no field takes it
        Binding("t", "confirm(True)", show=False),
        # Before the inputs' own ctrl+x (cut): ending the call is asked for first.
        Binding("ctrl+x", "end_call", show=False, priority=True),
    ]

    def __init__(
        self,
        desk: Desk,
        store: CallStore,
        saved: SavedCall | None = None,
        *,
        lower_severity: Callable[[dict[str, str]], Any] | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.store = store
        self.saved = saved
        self.step = saved.step if saved else 1
        self.started_at: datetime = saved.started_at if saved else desk.now()
        self.choices: dict[str, str] = {name: "" for name in CHOICES}
        self.adding = False  # step 1: adding a new contact rather than finding one
        self.callers: list[intake.Caller] = []
        self.entitlement: intake.Entitlement | None = None
        self.existing: intake.CaseBrief | None = None
        self.lower_severity = lower_severity
        self._save_timer: Timer | None = None
        self._done = False

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="wizard-head"):
            yield Static(id="step-title", markup=False)
            yield Static(id="timer", markup=False)
        yield Static(id="caller-line", markup=False)
        with ContentSwitcher(id="steps", initial="step-1"):
            with Vertical(id="step-1", classes="step"):
                yield labelled("search", "find the caller", "name, organization, e-mail or phone")
                yield ChoiceList(id="callers")
                with Vertical(id="add-contact"):
                    yield labelled("new-org", "organization *")
                    yield labelled("new-name", "name *")
                    yield SpaceCheckbox(ADMIN_NO, id="new-admin")
                    yield labelled("new-phone", "phone")
                    yield labelled("new-email", "e-mail")
            with Vertical(id="step-2", classes="step"):
                yield Static(id="entitlement", classes="text", markup=False)
                yield labelled(
                    "override", "supervisor override: its reason", "only if a check fails"
                )
                yield labelled("supervisor", "supervisor who authorised it *", "their name")
            with Vertical(id="step-3", classes="step"):
                yield Static(id="access-text", classes="text", markup=False)
            with Vertical(id="step-4", classes="step"):
                yield labelled("product", "product affected *")
                yield labelled("version", "version *")
                yield labelled("systems", "systems involved *", "hosts, services, environments")
            with Vertical(id="step-5", classes="step"):
                yield Static(id="emergency-text", classes="text", markup=False)
            with Vertical(id="step-6", classes="step"):
                yield labelled("case-number", "the caller's case number", "empty: a new case")
                yield labelled("subject", "subject (of a new case) *")
                yield Static(id="case-found", classes="text", markup=False)
            with Vertical(id="step-7", classes="step"):
                yield labelled("impact", "impact *", "what does not work, for whom")
                yield labelled("scope", "scope *", "how many users, sites, systems")
                yield labelled("urgency", "urgency *", "why it cannot wait")
            with Vertical(id="step-8", classes="step"):
                yield Static(id="summary", classes="text", markup=False)
        yield Static("", id="error", classes="-empty", markup=False)
        yield Static(id="rest")
        yield Static(id="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#add-contact").display = False
        self.query_one("#new-org", Input).suggester = SuggestFromList(
            shown_names(intake.organization_names(self.desk)), case_sensitive=False
        )
        if self.saved is not None:
            for name, value in self.saved.fields.items():
                if name in self.choices:
                    self.choices[name] = value
                elif name == "adding":
                    self.adding = value == "1"
                elif name == "new-admin":
                    self.query_one("#new-admin", Checkbox).value = value == "1"
                else:
                    for field in self.query(f"#{name}").results(Input):
                        field.value = value
        self._tick()
        self.set_interval(1, self._tick)
        self._refresh_callers()
        if self.step > 1 and self._reachable(self.step):
            self._load_entitlement()  # resumed past step 2: its answer still counts
        self._show_step(self.step if self._reachable(self.step) else 1)

    def on_screen_resume(self) -> None:
        # Back from the new-case form: a step answered with y or n wants no field.
        # Textual gives the focus back to the last field afterwards, so this waits.
        self.call_after_refresh(self._focus_step)

    def _focus_step(self) -> None:
        """Steps answered with a key (y, n, enter) want no field focused."""
        override = self.query_one("#override", Input)
        if self.step in (3, 5, 8) or (self.step == 2 and not override.display):
            self.set_focus(None)

    def _reachable(self, step: int) -> bool:
        """A saved step whose earlier answers are all there (else back to step 1)."""
        return step == 1 or bool(self.choices["contact"] and self.choices["organization"])

    def _tick(self) -> None:
        elapsed = (self.desk.now() - self.started_at).total_seconds()
        self.query_one("#timer", Static).update(plain(f"call {call_time(elapsed)}"))

    # -- moving between steps ------------------------------------------------------------

    def _show_step(self, step: int) -> None:
        self.step = step
        self.clear_error()
        self.query_one("#steps", ContentSwitcher).current = f"step-{step}"
        self.query_one("#step-title", Static).update(
            plain(f"Severity 1 call · step {step}/8 · {STEPS[step - 1]}")
        )
        self._caller_line()
        prepare = getattr(self, f"_enter_step_{step}", None)
        if prepare is not None:
            prepare()
        self.query_one("#hint", Static).update(self._hint())
        self.refresh_bindings()
        self._tick()
        self.save()

    def _hint(self) -> Text:
        back = ("esc", "back") if self.step > 1 or self.adding else ("esc", "leave (kept)")
        if self.step == 1 and not self.adding:
            return hint(("↑↓", "choose"), ("enter", "this caller"), back, ("ctrl+x", "end call"))
        if self.step in (3, 5):
            no = "no: lower severity" if self.step == 5 else "no"
            return hint(("y", "yes"), ("n", no), back, ("ctrl+x", "end call"))
        if self.step == 8:
            return hint(("enter", "create Sev 1"), ("t", "take it now"), back)
        return hint(("enter", "next"), ("tab", "field"), back, ("ctrl+x", "end call"))

    def _caller_line(self) -> None:
        line = self.query_one("#caller-line", Static)
        if not self.choices["contact"]:
            line.update(plain("caller: not chosen yet"))
            return
        admin = (
            "administrator of the product"
            if self.choices["is_admin"] == "1"
            else "NOT an administrator of the product"
        )
        new = " (new contact)" if self.choices["new_contact"] == "1" else ""
        # Wrapped, never cut: the end of the line says whether the caller is an
        # administrator, the fact the checklist turns on.
        line.update(
            Text(
                safe_line(
                    f"caller: {self.choices['contact']}{new} · {self.choices['organization']} · "
                    f"{admin}"
                )
            )
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer":
            return self.step in (3, 5)
        if action == "confirm":
            return self.step == 8
        return True

    def action_back(self) -> None:
        if self.step == 1 and self.adding:
            self._set_adding(False)
            return
        if self.step == 1:
            self._leave()
            return
        self._show_step(self.step - 1)

    def _leave(self) -> None:
        """Out of the wizard at step 1: what was entered stays for `!` to resume."""
        self._flush_save()
        if self.choices["contact"] or any(f.value for f in self.query(Input)):
            self.app.notify("The call is kept: ! resumes it", timeout=4)
        else:
            self.store.discard()
        self._close(None)

    def action_end_call(self) -> None:
        def ended(yes: bool | None) -> None:
            if yes:
                self.store.discard()
                self.app.notify("Call ended: nothing was recorded", timeout=4)
                self._close(None)

        self.app.push_screen(
            Confirm("End the call? Nothing of it is recorded, and it cannot be resumed."), ended
        )

    def _close(self, result: Case | None) -> None:
        if self._done:
            return
        self._done = True
        if self._save_timer is not None:
            self._save_timer.stop()
        self.dismiss(result)

    # -- saving -------------------------------------------------------------------------

    def fields(self) -> dict[str, str]:
        values = {field.id: field.value for field in self.query(Input) if field.id}
        values.update(self.choices)
        values["adding"] = "1" if self.adding else ""
        values["new-admin"] = "1" if self.query_one("#new-admin", Checkbox).value else ""
        return values

    def save(self) -> None:
        if self._done:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        fields = self.fields()
        if not self.choices["contact"] and not any(
            value.strip() for name, value in fields.items() if name != "adding"
        ):
            self.store.discard()  # nothing said yet: no call to offer back
            return
        self.store.save(SavedCall(self.step, self.started_at, fields))

    def _flush_save(self) -> None:
        if self._save_timer is not None:
            self.save()

    @on(Checkbox.Changed, "#new-admin")
    def _admin_ticked(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = ADMIN_YES if event.value else ADMIN_NO
        self._changed_soon()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        field = event.input
        if field.id == "search":
            self._refresh_callers()
        self._changed_soon()

    def _changed_soon(self) -> None:
        """Save a moment after the last change: a kill mid-step loses no typing."""
        if self.is_mounted and not self._done:
            if self._save_timer is not None:
                self._save_timer.stop()
            self._save_timer = self.set_timer(SAVE_AFTER_SECONDS, self.save)

    # -- errors -------------------------------------------------------------------------

    def show_error(self, message: str, field: str | None = None) -> None:
        line = self.query_one("#error", Static)
        line.update(plain(f"! {safe_line(message)}"))
        line.remove_class("-empty")
        if field is not None:
            self.query_one(f"#{field}").focus()

    def clear_error(self) -> None:
        line = self.query_one("#error", Static)
        line.update("")
        line.add_class("-empty")

    # -- step 1: the caller -------------------------------------------------------------

    def _enter_step_1(self) -> None:
        self._set_adding(self.adding)

    def _set_adding(self, adding: bool) -> None:
        self.adding = adding
        self.query_one("#search").display = not adding
        self.query_one("#callers").display = not adding
        self.query_one("#add-contact").display = adding
        self.query_one("#step-title", Static).update(
            plain("Severity 1 call · step 1/8 · Caller" + (": a new contact" if adding else ""))
        )
        self.query_one("#new-org" if adding else "#search").focus()
        self.query_one("#hint", Static).update(self._hint())

    def _refresh_callers(self) -> None:
        text = self.query_one("#search", Input).value
        self.callers = intake.find_callers(self.desk, text)
        options = self.query_one("#callers", OptionList)
        options.clear_options()
        for index, caller in enumerate(self.callers):
            admin = "administrator" if caller.is_admin else "not an administrator"
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(safe_line(caller.name, 30), style="bold")
            line.append(safe_line(f"  {caller.organization}  ·  {admin}", 60))
            options.add_option(Option(line, id=str(index)))
        options.add_option(Option(plain("+ add a new contact"), id=ADD_OPTION))
        options.highlighted = 0

    def action_arrow(self, step: int) -> None:
        if self.step != 1 or self.adding:
            self.focus_next() if step > 0 else self.focus_previous()
            return
        options = self.query_one("#callers", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(OptionList.OptionSelected, "#callers")
    def _caller_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose_highlighted()

    def _choose_highlighted(self) -> None:
        options = self.query_one("#callers", OptionList)
        index = options.highlighted
        if index is None:
            self.show_error("no caller matches: change the search or add a new contact", "search")
            return
        option = options.get_option_at_index(index)
        if option.id == ADD_OPTION:
            self.query_one("#new-name", Input).value = (
                self.query_one("#new-name", Input).value
                or self.query_one("#search", Input).value.strip()
            )
            self._set_adding(True)
            return
        caller = self.callers[int(option.id or 0)]
        self.choices.update(
            organization=caller.organization,
            contact=caller.name,
            is_admin="1" if caller.is_admin else "",
            new_contact="",
        )
        self._show_step(2)

    def _typed(self, name: str) -> str | None:
        """A field that may be left empty: None then."""
        return self.query_one(f"#{name}", Input).value.strip() or None

    def _add_contact(self) -> None:
        org = self.query_one("#new-org", Input).value.strip()
        name = self.query_one("#new-name", Input).value.strip()
        for field, check in (
            ("new-org", lambda: limits.check_length(org, "the organization", limits.LINE_LIMIT)),
            ("new-name", lambda: limits.check_length(name, "the name", limits.NAME_LIMIT)),
            ("new-phone", lambda: limits.optional_name(self._typed("new-phone"), "the phone")),
            ("new-email", lambda: limits.check_email(self._typed("new-email"))),
        ):
            try:
                check()
            except DeskError as error:
                self.show_error(str(error), field)
                return
        if not org:
            self.show_error("the organization is empty: name the caller's organization", "new-org")
            return
        organizations = shown_names(intake.organization_names(self.desk))
        if org not in organizations:
            self.show_error(f"no organization named {org!r} (see deskterm org list)", "new-org")
            return
        org = organizations[org]  # as stored: the field shows it sanitized
        if not name:
            self.show_error("the name is empty: who is calling?", "new-name")
            return
        if name in shown_names(intake.contact_names(self.desk, org)):
            self.show_error(f"{org} has a contact named {name!r} already: find it", "new-name")
            return
        self.choices.update(
            organization=org,
            contact=name,
            is_admin="1" if self.query_one("#new-admin", Checkbox).value else "",
            new_contact="1",
        )
        self.adding = False
        self._show_step(2)

    # -- step 2: entitlement ----------------------------------------------------------------

    def _load_entitlement(self) -> str | None:
        """Read the checks again (the contract may have changed); the error, if any."""
        try:
            self.entitlement = intake.check_entitlement(
                self.desk,
                self.choices["organization"],
                self.choices["contact"],
                new_contact=self.choices["new_contact"] == "1",
            )
        except DeskError as error:
            self.entitlement = None
            return str(error)
        return None

    def _enter_step_2(self) -> None:
        problem = self._load_entitlement()
        e = self.entitlement
        if e is None:
            self.query_one("#entitlement", Static).update(plain(safe_line(problem or "")))
            self.query_one("#override", Input).display = False
            self.query_one("#supervisor", Input).display = False
            self.set_focus(None)
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
        who = safe_line(self.choices["contact"])
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
            for problem in e.problems:
                text.append(f"  - {safe_line(problem)}\n")
            text.append("unless a supervisor gives an override: type its reason and their name.")
        self.query_one("#entitlement", Static).update(text)
        override = self.query_one("#override", Input)
        override.display = not e.ok
        self.query_one("#supervisor", Input).display = not e.ok
        if e.ok:
            self.set_focus(None)
        else:
            override.focus()

    def _entitlement_done(self) -> None:
        e = self.entitlement
        if e is None:
            self.show_error("the caller's organization is gone: go back (esc) and choose again")
            return
        if e.contact_problem:
            self.show_error(e.contact_problem + ": go back (esc) and choose the caller")
            return
        override = self.query_one("#override", Input).value
        if e.contract_problem and not override.strip():
            self.show_error(
                f"the wizard stops here: {e.contract_problem}; type the supervisor's reason",
                "override",
            )
            return
        if override.strip() and not self._required("override", "supervisor"):
            return
        self._show_step(3)

    # -- steps 3 and 5: yes or no -------------------------------------------------------------

    def _enter_step_3(self) -> None:
        self.set_focus(None)
        text = Text()
        text.append("Ask the caller:\n\n")
        text.append(
            "Do you have administrative access or credentials for the product and the "
            "affected systems, and are you an administrator of the product?",
            "bold",
        )
        if self.choices["is_admin"] != "1":
            text.append(
                "\n\nThe directory does not list this caller as an administrator of the product."
            )
        if self.choices["admin_access"] == "1":
            text.append("\n\nConfirmed earlier in this call.")
        self.query_one("#access-text", Static).update(text)

    def _enter_step_5(self) -> None:
        self.set_focus(None)
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

    def action_answer(self, yes: bool) -> None:
        if self.step == 3:
            if yes:
                self.choices["admin_access"] = "1"
                self._show_step(4)
            else:
                self.choices["admin_access"] = ""
                self.show_error(
                    "a Severity 1 call needs the customer's administrator with access: ask for "
                    "one, or esc back and end the call (ctrl+x)"
                )
            return
        if self.step == 5:
            if yes:
                self.choices["emergency"] = "1"
                self._show_step(6)
            else:
                self.choices["emergency"] = ""
                self.save()
                self._continue_lower()

    def _continue_lower(self) -> None:
        if self.lower_severity is None:
            self.show_error("not a Severity 1: log it with deskterm case new")
            return
        values = self.fields()
        self.lower_severity(
            {
                "organization": values["organization"],
                "contact": values["contact"],
                "product": values["product"],
                "product_version": values["version"],
                "server_roles": values["systems"],
            }
        )

    def lower_severity_done(self, opened: bool) -> None:
        """The new-case form closed: with a case opened the call is over."""
        if opened:
            self.store.discard()
            self._close(None)

    # -- steps 4, 6, 7: typed answers -----------------------------------------------------------

    def _enter_step_4(self) -> None:
        self.query_one("#product", Input).focus()

    def _enter_step_6(self) -> None:
        subject = self.query_one("#subject", Input)
        if not subject.value.strip():
            product = self.query_one("#product", Input).value.strip()
            subject.value = f"Production down: {product}" if product else ""
        self.query_one("#case-number", Input).focus()

    def _enter_step_7(self) -> None:
        self.query_one("#impact", Input).focus()

    def _required(self, *names: str) -> bool:
        for name in names:
            field = self.query_one(f"#{name}", Input)
            if not field.value.strip():
                what = (field.border_title or name).rstrip(" *")
                self.show_error(f"{what} is empty: it is required", name)
                return False
            try:
                intake.check_answer(name, field.value)
            except DeskError as error:
                self.show_error(str(error), name)
                return False
        return True

    def _case_number(self) -> bool:
        """Step 6: an existing case of the caller's organization, or a new one."""
        text = self.query_one("#case-number", Input).value.strip()
        found = self.query_one("#case-found", Static)
        self.existing = None
        if not text:
            found.update(plain("a new case will be opened"))
            return True
        try:
            self.existing = intake.case_for_call(
                self.desk, limits.case_number(text), self.choices["organization"]
            )
        except DeskError as error:
            found.update("")
            self.show_error(str(error), "case-number")
            return False
        e = self.existing
        found.update(plain(safe_line(f"case {e.number}: {e.subject} ({e.label}, {e.status})", 76)))
        return True

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit(event.input)

    def _submit(self, field: Input) -> None:
        """enter in `field`: check it, then the next field or the next step."""
        self.clear_error()
        name = field.id
        if name == "search":
            self._choose_highlighted()
        elif name in ("new-org", "new-name", "new-phone"):
            self.focus_after(field)
        elif name == "new-email":
            self._add_contact()
        elif name == "override":
            if not field.value.strip():
                self._entitlement_done()  # says why the wizard stops
            elif self._required("override"):
                self.focus_after(field)
        elif name == "supervisor":
            self._entitlement_done()
        elif name in ("product", "version"):
            if self._required(name):
                self.focus_after(field)
        elif name == "systems":
            if self._required("product", "version", "systems"):
                self._show_step(5)
        elif name == "case-number":
            if self._case_number():
                if self.existing is not None:
                    self._show_step(7)
                else:
                    self.query_one("#subject", Input).focus()
        elif name == "subject":
            if self._case_number() and (self.existing is not None or self._required("subject")):
                self._show_step(7)
        elif name in ("impact", "scope"):
            if self._required(name):
                self.focus_after(field)
        elif name == "urgency" and self._required("impact", "scope", "urgency"):
            self._show_step(8)

    def focus_after(self, field: Input | Checkbox) -> None:
        """The field after `field`: not after whatever has the focus now, which keys
        typed in one burst (a paste, a fast typist) may already have moved on."""
        chain = self.focus_chain
        if field in chain and chain.index(field) + 1 < len(chain):
            chain[chain.index(field) + 1].focus()

    def action_next(self) -> None:
        """enter: the focused field's answer, or the step's when it has no field."""
        focused = self.focused
        if isinstance(focused, Input):
            self._submit(focused)
        elif self.step == 1 and isinstance(focused, OptionList):
            self._choose_highlighted()
        elif self.step == 1 and isinstance(focused, Checkbox):
            self.focus_after(focused)  # space ticks it
        elif self.step == 2:
            self._entitlement_done()
        elif self.step == 8:
            self.action_confirm(False)

    # -- step 8: confirm -------------------------------------------------------------------------

    def call(self) -> intake.Sev1Call:
        values = self.fields()
        try:
            number: int | None = limits.case_number(values["case-number"])
        except DeskError:
            number = None  # empty (a new case); step 6 refused anything else
        return intake.Sev1Call(
            organization=self.choices["organization"],
            contact=self.choices["contact"],
            started_at=self.started_at,
            new_contact=self.choices["new_contact"] == "1",
            contact_email=values["new-email"] if self.choices["new_contact"] else "",
            contact_phone=values["new-phone"] if self.choices["new_contact"] else "",
            contact_is_admin=self.choices["is_admin"] == "1",
            override=values["override"] if self.entitlement and not self.entitlement.ok else "",
            supervisor=(
                values["supervisor"] if self.entitlement and not self.entitlement.ok else ""
            ),
            admin_access=self.choices["admin_access"] == "1",
            product=values["product"],
            version=values["version"],
            systems=values["systems"],
            emergency=self.choices["emergency"] == "1",
            case_number=number,
            subject=values["subject"],
            impact=values["impact"],
            scope=values["scope"],
            urgency=values["urgency"],
        )

    def _enter_step_8(self) -> None:
        self.set_focus(None)
        self._case_number()
        call = self.call()
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
                f"upgrade case {self.existing.number} ({self.existing.label}) to Sev 1"
                if self.existing
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
        text.append(self._clock_words())
        self.query_one("#summary", Static).update(text)

    def _clock_words(self) -> str:
        try:
            org = self.choices["organization"]
            policy_name = intake.check_entitlement(self.desk, org, None).policy
            policy = self.desk.policy(policy_name)
            level = policy.level(intake.SEV1)
        except (DeskError, KeyError):
            return "The organization's policy has no Severity 1."
        return (
            f"Confirming starts the on-call callback clock: first response within "
            f"{level.first_response} under {policy.name} (calendar {level.calendar.name!r})."
        )

    def action_confirm(self, take: bool) -> None:
        if self.step != 8:
            return
        try:
            case = intake.confirm_sev1(self.desk, self.call(), take=take)
        except DeskError as error:
            self.show_error(str(error))
            return
        self.store.discard()
        due = short(case.first_response_due, self.desk.now()) if case.first_response_due else "-"
        self.app.notify(
            f"Incident# {case.number} is Severity 1: call the customer back by {due}",
            timeout=8,
        )
        self._close(case)
        if take:
            from deskterm.screens.case import CaseScreen

            self.app.push_screen(CaseScreen(self.desk, case.number))


class ResumeCall(Dialog[str]):
    """At start-up: a Severity 1 call was left mid-way. "resume", "discard" or None (later)."""

    BINDINGS = [
        Binding("enter,r", "choose('resume')", show=False),
        Binding("d", "choose('discard')", show=False),
    ]

    def __init__(self, saved: SavedCall, now: datetime) -> None:
        super().__init__()
        self.saved = saved
        self.now = now

    def compose(self) -> ComposeResult:
        fields = self.saved.fields
        caller = fields.get("contact") or "not chosen yet"
        org = f" ({fields['organization']})" if fields.get("organization") else ""
        step = min(max(self.saved.step, 1), len(STEPS))
        with self.frame():
            yield Static(plain("A Severity 1 call was in progress"), classes="title")
            yield Static(
                Text(
                    safe_line(
                        f"caller {caller}{org}; stopped at step {step}/8 "
                        f"({STEPS[step - 1]}); the call began {short(self.saved.started_at, self.now)}"
                    )
                ),
                classes="note",
            )
            yield Static(
                hint(("enter", "resume it"), ("d", "discard it"), ("esc", "later (! resumes)")),
                classes="hint",
            )

    def action_choose(self, choice: str) -> None:
        self.close(choice)


class Confirm(Dialog[bool]):
    """y or n to a question that throws typing away."""

    BINDINGS = [
        Binding("y", "choose(True)", show=False),
        Binding("n", "choose(False)", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(plain(self.question), classes="title")
            yield Static(hint(("y", "yes"), ("n", "no"), ("esc", "no")), classes="hint")

    def action_choose(self, yes: bool) -> None:
        self.close(yes)
