"""The Severity 1 phone-call wizard: the checklist of docs/domain.md ("The Severity 1
phone call"), one step at a time.

The on-call engineer is on the phone with the customer's administrator. Eight
steps (deskterm.screens.sev1.steps, one widget each), keyboard only, each fitting
80x24: the caller, the entitlement checks, administrative access, the product,
the emergency, the case number, the summary, and the confirm. `enter` moves on,
`esc` goes back a step, and a running timer shows how long the call has lasted
since step 1.

Reads (the caller search, the entitlement, the case number, the policy) run in
thread workers that post typed messages (deskterm.screens.sev1.reads): a keystroke
never waits on the database. A key that moves on from an answer still being read
(`enter` typed right after the search text, say) is held until the read is in,
then handled as if it came after it.

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
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Checkbox, ContentSwitcher, Input, OptionList, Static

from deskterm.call_state import CallStore, SavedCall
from deskterm.desk import intake, limits
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError, StorageError
from deskterm.live.messages import StorageFailed
from deskterm.models import Case
from deskterm.safe_text import safe_line
from deskterm.screens.local_time import short
from deskterm.screens.sev1.dialogs import Confirm
from deskterm.screens.sev1.reads import (
    CallersFound,
    CaseLookedUp,
    ClockRead,
    EntitlementRead,
    NewContactChecked,
    OrganizationsRead,
    Sev1Read,
)
from deskterm.screens.sev1.steps import (
    ADD_OPTION,
    STEPS,
    AccessStep,
    CallerStep,
    CaseNumberStep,
    ConfirmStep,
    EntitlementStep,
    Step,
    all_steps,
)
from deskterm.widgets.dialog import STYLES, hint, plain
from deskterm.widgets.fields import shown_names
from deskterm.widgets.tick_box import ADMIN_NO, ADMIN_YES

# Saved this long after the last change, so a kill mid-step loses no typing.
SAVE_AFTER_SECONDS = 0.5
# The answers that are not typed into an input: flags and the caller chosen.
CHOICES = ("organization", "contact", "is_admin", "new_contact", "admin_access", "emergency")


def call_time(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes:02}:{seconds:02}"


class ReadFailed(Sev1Read):
    """A read met a storage failure: the app says so (StorageFailed); keys held for it
    are dropped, the engineer presses again."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


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
        self.entitlement_problem: str | None = None
        self.existing: intake.CaseBrief | None = None
        self.lower_severity = lower_severity
        self._save_timer: Timer | None = None
        self._done = False
        # Reads in flight, by kind, and the keys that wait for them (in order).
        self._reading: set[str] = set()
        self._held: list[Callable[[], None]] = []
        self._after_case: Callable[[bool], None] | None = None
        self._clock_words = ""

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="wizard-head"):
            yield Static(id="step-title", markup=False)
            yield Static(id="timer", markup=False)
        yield Static(id="caller-line", markup=False)
        with ContentSwitcher(id="steps", initial="step-1"):
            yield from all_steps()
        yield Static("", id="error", classes="-empty", markup=False)
        yield Static(id="rest")
        yield Static(id="hint", markup=False)

    def on_mount(self) -> None:
        self.read(lambda: OrganizationsRead(intake.organization_names(self.desk)), "organizations")
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
        self._search_callers()
        if self.step > 2 and self._reachable(self.step):
            self._read_entitlement()  # resumed past step 2: its answer still counts
        self._show_step(self.step if self._reachable(self.step) else 1)

    def on_screen_resume(self) -> None:
        # Back from the new-case form: a step answered with y or n wants no field.
        # Textual gives the focus back to the last field afterwards, so this waits.
        self.call_after_refresh(self._focus_step)

    def _focus_step(self) -> None:
        """Steps answered with a key (y, n, enter) want no field focused."""
        if self._current().first_field() is None:
            self.set_focus(None)

    def _current(self) -> Step:
        return self.query_one(f"#step-{self.step}", Step)

    def _reachable(self, step: int) -> bool:
        """A saved step whose earlier answers are all there (else back to step 1)."""
        return step == 1 or bool(self.choices["contact"] and self.choices["organization"])

    def _tick(self) -> None:
        elapsed = (self.desk.now() - self.started_at).total_seconds()
        self.query_one("#timer", Static).update(plain(f"call {call_time(elapsed)}"))

    # -- reading off the UI thread ---------------------------------------------------

    def read(self, fetch: Callable[[], Sev1Read], kind: str) -> None:
        """Run `fetch` in a worker; the message it makes comes back to `_read_back`.
        Keys that move on wait (`when_read`) until no read is in flight."""
        self._reading.add(kind)
        self._fetch(fetch, kind)

    @work(thread=True, group="sev1-reads")
    def _fetch(self, fetch: Callable[[], Sev1Read], kind: str) -> None:
        message: Message
        try:
            message = fetch()
        except StorageError as error:
            self.post_message(StorageFailed(str(error)))  # the app's one notice
            message = ReadFailed(kind)
        self.post_message(message)

    def when_read(self, action: Callable[[], None]) -> None:
        """`action` now, or once the reads in flight are in (an answer may need them)."""
        if self._reading:
            self._held.append(action)
        else:
            action()

    def _read_back(self, kind: str) -> None:
        self._reading.discard(kind)
        while self._held and not self._reading and not self._done:
            self._held.pop(0)()

    @on(ReadFailed)
    def _read_failed(self, message: ReadFailed) -> None:
        self._held.clear()
        self._read_back(message.kind)

    @on(OrganizationsRead)
    def _organizations_read(self, message: OrganizationsRead) -> None:
        self.query_one("#new-org", Input).suggester = SuggestFromList(
            shown_names(message.names), case_sensitive=False
        )
        self._read_back(message.kind)

    # -- moving between steps ------------------------------------------------------------

    def _show_step(self, step: int) -> None:
        self.step = step
        self.clear_error()
        self.query_one("#steps", ContentSwitcher).current = f"step-{step}"
        self.query_one("#step-title", Static).update(
            plain(f"Severity 1 call · step {step}/8 · {STEPS[step - 1]}")
        )
        self._caller_line()
        self._enter(self._current())
        self.query_one("#hint", Static).update(self._hint())
        self.refresh_bindings()
        self._tick()
        self.save()

    def _enter(self, step: Step) -> None:
        """What entering `step` shows, reads and focuses."""
        if isinstance(step, CallerStep):
            self._set_adding(self.adding)
            return
        if isinstance(step, EntitlementStep):
            self._read_entitlement(show=True)
        elif isinstance(step, AccessStep):
            step.show(self.choices["is_admin"] == "1", self.choices["admin_access"] == "1")
        elif isinstance(step, CaseNumberStep):
            step.offer_subject(self.query_one("#product", Input).value.strip())
        elif isinstance(step, ConfirmStep):
            self._read_summary()
        field = step.first_field()
        if field is None:
            self.set_focus(None)
        else:
            field.focus()

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
            self._search_callers()
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

    def _set_adding(self, adding: bool) -> None:
        self.adding = adding
        step = self.query_one(CallerStep)
        step.set_adding(adding)
        self.query_one("#step-title", Static).update(
            plain("Severity 1 call · step 1/8 · Caller" + (": a new contact" if adding else ""))
        )
        field = step.first_field()
        if field is not None:
            field.focus()
        self.query_one("#hint", Static).update(self._hint())

    def _search_callers(self) -> None:
        """The callers that match the search as typed; one read a keystroke, off the UI
        thread. Only the answer to the text now in the field is shown."""
        text = self.query_one("#search", Input).value
        self.read(lambda: CallersFound(text, intake.find_callers(self.desk, text)), "callers")

    @on(CallersFound)
    def _callers_found(self, message: CallersFound) -> None:
        if message.search != self.query_one("#search", Input).value:
            return  # typed on since: the read of the newer text is still to come
        self.callers = message.callers
        self.query_one(CallerStep).show_callers(message.callers)
        self._read_back(message.kind)

    def action_arrow(self, step: int) -> None:
        self.when_read(lambda: self._arrow(step))  # through the list the search will show

    def _arrow(self, step: int) -> None:
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
        self.when_read(self._choose_highlighted)

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
        checks: tuple[tuple[str, Callable[[], object]], ...] = (
            ("new-org", lambda: limits.check_length(org, "the organization", limits.LINE_LIMIT)),
            ("new-name", lambda: limits.check_length(name, "the name", limits.NAME_LIMIT)),
            ("new-phone", lambda: limits.optional_name(self._typed("new-phone"), "the phone")),
            ("new-email", lambda: limits.check_email(self._typed("new-email"))),
        )
        for field, check in checks:
            try:
                check()
            except DeskError as error:
                self.show_error(str(error), field)
                return
        if not org:
            self.show_error("the organization is empty: name the caller's organization", "new-org")
            return

        def fetch() -> NewContactChecked:
            organizations = shown_names(intake.organization_names(self.desk))
            stored = organizations.get(org)  # as stored: the field shows it sanitized
            contacts = intake.contact_names(self.desk, stored) if stored and name else []
            return NewContactChecked(stored, contacts)

        self.read(fetch, "new contact")  # keys after this enter wait for the answer

    @on(NewContactChecked)
    def _new_contact_checked(self, message: NewContactChecked) -> None:
        self._reading.discard(message.kind)  # handled here, before any key held for it
        org = message.organization
        name = self.query_one("#new-name", Input).value.strip()
        if org is None:
            typed = self.query_one("#new-org", Input).value.strip()
            self.show_error(f"no organization named {typed!r} (see deskterm org list)", "new-org")
        elif not name:
            self.show_error("the name is empty: who is calling?", "new-name")
        elif name in shown_names(message.contacts):
            self.show_error(f"{org} has a contact named {name!r} already: find it", "new-name")
        else:
            self.choices.update(
                organization=org,
                contact=name,
                is_admin="1" if self.query_one("#new-admin", Checkbox).value else "",
                new_contact="1",
            )
            self.adding = False
            self._show_step(2)
        self._read_back(message.kind)

    # -- step 2: entitlement ----------------------------------------------------------------

    def _read_entitlement(self, show: bool = False) -> None:
        """Read the checks again (the contract may have changed); shown if `show`."""
        organization = self.choices["organization"]
        contact = self.choices["contact"]
        new_contact = self.choices["new_contact"] == "1"

        def fetch() -> EntitlementRead:
            try:
                checked = intake.check_entitlement(
                    self.desk, organization, contact, new_contact=new_contact
                )
            except DeskError as error:
                return EntitlementRead(None, str(error))
            return EntitlementRead(checked, None)

        if show:
            # Until the checks are in: nothing to answer, no field to type in.
            self.query_one(EntitlementStep).show(None, "", contact)
        self.read(fetch, "entitlement")

    @on(EntitlementRead)
    def _entitlement_read(self, message: EntitlementRead) -> None:
        self.entitlement = message.entitlement
        self.entitlement_problem = message.problem
        if self.step == 2:
            step = self.query_one(EntitlementStep)
            step.show(message.entitlement, message.problem, self.choices["contact"])
            field = step.first_field()
            if field is None:
                self.set_focus(None)
            else:
                field.focus()
        self._read_back(message.kind)

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

    def action_answer(self, yes: bool) -> None:
        self.when_read(lambda: self._answer(yes))

    def _answer(self, yes: bool) -> None:
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

    def _case_number(self, then: Callable[[bool], None]) -> None:
        """Step 6: an existing case of the caller's organization, or a new one; `then`
        hears whether the number stands (read off the UI thread when one is typed)."""
        text = self.query_one("#case-number", Input).value.strip()
        self.existing = None
        if not text:
            self.query_one(CaseNumberStep).show_case(None, number_typed=False)
            then(True)
            return
        organization = self.choices["organization"]

        def fetch() -> CaseLookedUp:
            try:
                brief = intake.case_for_call(self.desk, limits.case_number(text), organization)
            except DeskError as error:
                return CaseLookedUp(None, str(error))
            return CaseLookedUp(brief, None)

        self._after_case = then
        self.read(fetch, "case")

    @on(CaseLookedUp)
    def _case_looked_up(self, message: CaseLookedUp) -> None:
        self._reading.discard(message.kind)  # handled here, before any key held for it
        self.existing = message.brief
        self.query_one(CaseNumberStep).show_case(message.brief, number_typed=True)
        if message.problem is not None:
            self.show_error(message.problem, "case-number")
        then, self._after_case = self._after_case, None
        if then is not None:
            then(message.problem is None)
        self._read_back(message.kind)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = event.input
        self.when_read(lambda: self._submit(field))

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
            self._case_number(self._case_number_given)
        elif name == "subject":
            self._case_number(self._subject_given)
        elif name in ("impact", "scope"):
            if self._required(name):
                self.focus_after(field)
        elif name == "urgency" and self._required("impact", "scope", "urgency"):
            self._show_step(8)

    def _case_number_given(self, stands: bool) -> None:
        if not stands:
            return
        if self.existing is not None:
            self._show_step(7)
        else:
            self.query_one("#subject", Input).focus()

    def _subject_given(self, stands: bool) -> None:
        if stands and (self.existing is not None or self._required("subject")):
            self._show_step(7)

    def focus_after(self, field: Input | Checkbox) -> None:
        """The field after `field`: not after whatever has the focus now, which keys
        typed in one burst (a paste, a fast typist) may already have moved on."""
        chain = self.focus_chain
        if field in chain and chain.index(field) + 1 < len(chain):
            chain[chain.index(field) + 1].focus()

    def action_next(self) -> None:
        """enter: the focused field's answer, or the step's when it has no field."""
        self.when_read(self._next)

    def _next(self) -> None:
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
            self._confirm(False)

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

    def _read_summary(self) -> None:
        """The case (again: it may have changed) and the clock words, then the summary."""
        organization = self.choices["organization"]

        def fetch() -> ClockRead:
            try:
                policy_name = intake.check_entitlement(self.desk, organization, None).policy
                policy = self.desk.policy(policy_name)
                level = policy.level(intake.SEV1)
            except (DeskError, KeyError):
                return ClockRead("The organization's policy has no Severity 1.")
            return ClockRead(
                f"Confirming starts the on-call callback clock: first response within "
                f"{level.first_response} under {policy.name} (calendar {level.calendar.name!r})."
            )

        self.query_one(ConfirmStep).show(self.call(), None, "")
        self._case_number(lambda stands: self.read(fetch, "clock"))

    @on(ClockRead)
    def _clock_read(self, message: ClockRead) -> None:
        if self.step == 8:
            self.query_one(ConfirmStep).show(self.call(), self.existing, message.words)
        self._read_back(message.kind)

    def action_confirm(self, take: bool) -> None:
        self.when_read(lambda: self._confirm(take))

    def _confirm(self, take: bool) -> None:
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
