"""The Severity 1 wizard and the new-case form, walked key by key on the seeded desk.

Acme (business-hours-3) is in business hours at the frozen NOW, so its Sev 1
first response is due 30 minutes later. "Killing" the console is leaving
`run_test` with the wizard open: nothing is flushed on the way out, so the next
app on the same state directory sees only what was saved as the call went on.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Static

from deskterm.call_state import NEW_CASE, SEV1_CALL, CallStore, SavedCall
from deskterm.desk import cases, directory, queries
from deskterm.desk.context import Desk
from deskterm.locations import drafts_root
from deskterm.models import Case, Event
from deskterm.screens.new_case import NewCaseForm
from deskterm.screens.queue import QueueScreen
from deskterm.screens.sev1 import ResumeCall, Sev1Wizard
from deskterm.store.engine import reading
from tests.hostile import PAYLOADS, has_control, together
from tests.screens.conftest import (
    NOW,
    PRODUCTION_DOWN,
    Seeded,
    make_app,
    screen_lines,
    settle,
    until,
)

SIZE = (80, 24)
FIRST_NEW = 40107  # the seeded desk's cases end at 40106

KEYS = {" ": "space", ".": "full_stop", ",": "comma", "-": "minus"}


def keys(text: str) -> list[str]:
    return [KEYS.get(char, char) for char in text]


# Each step's keys on the happy path, and how many of them are typed before the
# step's first enter (what a resumed wizard must still hold).
STEP_KEYS: dict[int, list[str]] = {
    1: [*keys("bob"), "enter"],
    2: ["enter"],
    3: ["y"],
    4: [*keys("Ledger"), "enter", *keys("7.1"), "enter", *keys("db1"), "enter"],
    5: ["y"],
    6: ["enter", "enter"],  # no number: a new case, with the subject offered
    7: [*keys("no ops"), "enter", *keys("all"), "enter", *keys("today"), "enter"],
    8: ["enter"],
}
TYPED_FIRST = {1: 3, 4: 6, 7: 6}


def store_of(desk: Desk, name: str = SEV1_CALL) -> CallStore:
    return CallStore(desk.engine.url.render_as_string(hide_password=True), drafts_root(), name=name)


def wizard_of(pilot: Pilot[Any]) -> Sev1Wizard:
    screen = pilot.app.screen
    assert isinstance(screen, Sev1Wizard), screen
    return screen


async def open_wizard(pilot: Pilot[Any]) -> Sev1Wizard:
    await settle(pilot)
    assert isinstance(pilot.app.screen, QueueScreen)
    await pilot.press("exclamation_mark")
    assert await until(pilot, lambda: isinstance(pilot.app.screen, Sev1Wizard))
    await settle(pilot)
    return wizard_of(pilot)


async def walk(pilot: Pilot[Any], *steps: int) -> None:
    for step in steps:
        assert wizard_of(pilot).step == step
        await pilot.press(*STEP_KEYS[step])
        await settle(pilot)


def error_text(pilot: Pilot[Any]) -> str:
    return str(pilot.app.screen.query_one("#error", Static).render())


def new_cases(desk: Desk) -> list[Case]:
    with reading(desk.engine) as session:
        return list(session.exec(select(Case).where(Case.number >= FIRST_NEW)))


def events_of(desk: Desk, number: int) -> list[Event]:
    with reading(desk.engine) as session:
        case = session.exec(select(Case).where(Case.number == number)).one()
        return cases.events_of(session, case)


def add_expired(desk: Desk) -> None:
    directory.add_organization(desk, "Globex", "business-hours-3", contract_until=date(2026, 1, 31))
    directory.add_contact(desk, "Gina Admin", "Globex", is_admin=True)


# -- the wizard -------------------------------------------------------------------------


async def test_the_happy_path_opens_a_sev1_case_due_in_30_minutes(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        assert "step 1/8" in str(wizard.query_one("#step-title", Static).render())
        await walk(pilot, 1)
        # The caller's standing is shown from step 2 on.
        assert "administrator of the product" in str(wizard.query_one("#caller-line").render())
        assert "ok   maintenance contract of Acme" in str(wizard.query_one("#entitlement").render())
        assert new_cases(seeded.desk) == []  # nothing written on the way
        await walk(pilot, 2, 3, 4, 5, 6, 7)
        assert "within 30m under business-hours-3" in str(wizard.query_one("#summary").render())
        assert new_cases(seeded.desk) == []
        await walk(pilot, 8)
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    [case] = new_cases(seeded.desk)
    assert case.severity == 1 and case.subject == "Production down: Ledger"
    assert case.first_response_due == NOW + timedelta(minutes=30)
    assert case.product == "Ledger" and case.product_version == "7.1"
    steps = [e.field for e in events_of(seeded.desk, case.number) if e.kind == "checklist"]
    assert steps == [
        "caller",
        "entitlement",
        "admin-access",
        "product",
        "emergency",
        "case-number",
        "summary",
    ]
    assert store_of(seeded.desk).load() is None  # the call is over: nothing to resume


async def test_take_it_now_assigns_the_case_and_opens_it(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot)
        await walk(pilot, 1, 2, 3, 4, 5, 6, 7)
        await pilot.press("t")
        from deskterm.screens.case import CaseScreen

        assert await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert app.screen.number == FIRST_NEW  # type: ignore[attr-defined]
    [case] = new_cases(seeded.desk)
    assert case.assignee == "alice"


async def test_the_caller_can_upgrade_an_existing_case(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    cases.change_severity(seeded.desk, PRODUCTION_DOWN, 2, "not that bad after all")
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await walk(pilot, 1, 2, 3, 4, 5)
        await pilot.press(*keys("49999"), "enter")
        await settle(pilot)
        assert "no case 49999" in error_text(pilot)
        assert wizard.step == 6 and app.focused is wizard.query_one("#case-number")
        await pilot.press("ctrl+u", *keys(str(PRODUCTION_DOWN)), "enter")
        await settle(pilot)
        assert wizard.step == 7
        await walk(pilot, 7)
        assert "upgrade case 40100 (Sev 2) to Sev 1" in str(wizard.query_one("#summary").render())
        await walk(pilot, 8)
        await settle(pilot)
    assert new_cases(seeded.desk) == []
    upgraded = events_of(seeded.desk, PRODUCTION_DOWN)
    assert [e.new_value for e in upgraded if e.kind == "severity"][-1] == "1"
    assert sum(e.kind == "checklist" for e in upgraded) == 7


async def test_an_expired_contract_stops_the_call_without_an_override(seeded: Seeded) -> None:
    add_expired(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await pilot.press(*keys("gina"), "enter")
        await settle(pilot)
        shown = str(wizard.query_one("#entitlement").render())
        assert "FAIL maintenance contract of Globex: ENDED on 2026-01-31" in shown
        await pilot.press("enter")
        await settle(pilot)
        assert wizard.step == 2
        assert "the wizard stops here: Globex's maintenance contract ended" in error_text(pilot)
        assert app.focused is wizard.query_one("#override")
        await pilot.press("escape")  # back to the caller: nothing was written
        await settle(pilot)
        assert wizard.step == 1
    assert new_cases(seeded.desk) == []


async def test_a_supervisor_override_lets_the_call_go_on_and_is_recorded(seeded: Seeded) -> None:
    add_expired(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await pilot.press(*keys("gina"), "enter")
        await settle(pilot)
        await pilot.press(*keys("renewal signed"), "enter")
        await settle(pilot)
        # Who authorised it is asked for too (issue 20): a reason alone does not go on.
        assert wizard.step == 2 and app.focused is wizard.query_one("#supervisor")
        await pilot.press("enter")
        await settle(pilot)
        assert wizard.step == 2 and "supervisor who authorised it is empty" in error_text(pilot)
        await pilot.press(*keys("Dana Shift"), "enter")
        await settle(pilot)
        assert wizard.step == 3
        await walk(pilot, 3, 4, 5, 6, 7)
        summary = str(wizard.query_one("#summary").render())
        assert "override by Dana Shift: renewal signed" in summary
        await walk(pilot, 8)
        await settle(pilot)
    [case] = new_cases(seeded.desk)
    written = events_of(seeded.desk, case.number)
    assert "entitlement override authorised by Dana Shift: renewal signed" in (
        written[0].text or ""
    )
    step = next(e for e in written if e.field == "entitlement")
    assert step.new_value == "override"
    assert "authorised by Dana Shift: renewal signed" in (step.text or "")


async def test_not_an_emergency_continues_as_a_lower_severity_case(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot)
        await walk(pilot, 1, 2, 3, 4)
        await pilot.press("n")
        assert await until(pilot, lambda: isinstance(app.screen, NewCaseForm))
        await settle(pilot)
        form = app.screen
        # What the caller said so far is in the form: nothing is typed twice.
        assert form.query_one("#organization", Input).value == "Acme"
        assert form.query_one("#contact", Input).value == "Bob Admin"
        assert form.query_one("#product", Input).value == "Ledger"
        assert form.query_one("#product_version", Input).value == "7.1"
        await pilot.press("escape")  # back to the wizard, still at step 5
        assert await until(pilot, lambda: isinstance(app.screen, Sev1Wizard))
        assert wizard_of(pilot).step == 5
        await pilot.press("n")
        assert await until(pilot, lambda: isinstance(app.screen, NewCaseForm))
        await settle(pilot)
        app.screen.query_one("#subject", Input).focus()
        await pilot.press(*keys("Ledger slow"), "ctrl+s")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    [case] = new_cases(seeded.desk)
    assert case.severity == 2 and case.product == "Ledger"
    assert store_of(seeded.desk).load() is None


async def test_bad_input_stays_at_its_field(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await walk(pilot, 1, 2, 3)
        await pilot.press(*keys("Ledger"), "enter", "enter")  # the version left empty
        await settle(pilot)
        assert "version is empty: it is required" in error_text(pilot)
        assert app.focused is wizard.query_one("#version")
        await pilot.press("escape")  # back a step, then forward again
        await settle(pilot)
        assert wizard.step == 3
        await pilot.press("y")
        await settle(pilot)
        assert wizard.query_one("#product", Input).value == "Ledger"  # nothing lost on esc


async def test_the_caller_search_reads_off_the_ui_thread_and_enter_waits_for_it(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskterm.desk import intake

    released = threading.Event()
    on_ui_thread: list[str] = []
    find = intake.find_callers

    def slow_find(desk: Desk, text: str, limit: int = 8) -> list[intake.Caller]:
        if threading.current_thread() is threading.main_thread():
            on_ui_thread.append(text)
        else:
            released.wait(10)  # a slow database, until the test lets it answer
        return find(desk, text, limit)

    monkeypatch.setattr(intake, "find_callers", slow_find)
    app = make_app(seeded.desk)
    async with app.run_test() as pilot:
        await pilot.press("exclamation_mark")
        assert await until(pilot, lambda: isinstance(app.screen, Sev1Wizard))
        wizard = wizard_of(pilot)
        await pilot.press(*keys("bob"), "enter")
        # The keys are in while the reads wait; enter waits for the answer to "bob".
        assert await until(pilot, lambda: wizard.query_one("#search", Input).value == "bob")
        assert wizard.step == 1
        released.set()
        assert await until(pilot, lambda: wizard.step == 2)
        assert wizard.choices["contact"] == "Bob Admin"
    assert on_ui_thread == []


async def test_the_call_timer_runs_from_step_1(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        assert "call 00:00" in str(wizard.query_one("#timer").render())
        seeded.clock.advance(minutes=2, seconds=5)
        assert await until(pilot, lambda: "call 02:05" in str(wizard.query_one("#timer").render()))


@pytest.mark.parametrize("stopped_at", range(1, 9))
async def test_a_killed_console_resumes_the_call_at_the_same_step(
    seeded: Seeded, stopped_at: int
) -> None:
    first = make_app(seeded.desk)
    async with first.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await walk(pilot, *range(1, stopped_at))
        typed = TYPED_FIRST.get(stopped_at, 0)
        await pilot.press(*STEP_KEYS[stopped_at][:typed])
        # A moment after the last key (the wizard's save timer) the answer is on disk.
        saved = store_of(seeded.desk)
        assert await until(
            pilot,
            lambda: saved.load() == SavedCall(wizard.step, wizard.started_at, wizard.fields()),
        )
        assert wizard.step == stopped_at
    # The terminal is gone; some minutes later deskterm starts again.
    seeded.clock.advance(minutes=3)
    second = make_app(seeded.desk)
    async with second.run_test(size=SIZE) as pilot:
        assert await until(pilot, lambda: isinstance(second.screen, ResumeCall))
        await pilot.press("enter")
        assert await until(pilot, lambda: isinstance(second.screen, Sev1Wizard))
        await settle(pilot)
        wizard = wizard_of(pilot)
        assert wizard.step == stopped_at
        assert "call 03:" in str(wizard.query_one("#timer").render())  # still counting
        # What was typed before the kill is there: the step's remaining keys finish it.
        await pilot.press(*STEP_KEYS[stopped_at][typed:])
        await settle(pilot)
        if stopped_at < 8:
            assert wizard.step == stopped_at + 1
            return
        assert await until(pilot, lambda: isinstance(second.screen, QueueScreen))
    # Resumed at the confirm: everything said before the kill is in the case.
    [case] = new_cases(seeded.desk)
    assert case.severity == 1 and case.product == "Ledger" and case.product_version == "7.1"
    summary = next(e for e in events_of(seeded.desk, case.number) if e.field == "summary")
    assert summary.text == "Impact: no ops\nScope: all\nUrgency: today"


async def test_ending_the_call_asks_first_and_then_forgets_it(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await walk(pilot, 1, 2, 3)
        await pilot.press(*keys("Led"), "ctrl+x", "n")  # asked, and kept
        await settle(pilot)
        assert app.screen is wizard and wizard.query_one("#product", Input).value == "Led"
        await pilot.press("ctrl+x", "y")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    assert store_of(seeded.desk).load() is None
    assert new_cases(seeded.desk) == []


async def test_discarding_the_offered_call_forgets_it(seeded: Seeded) -> None:
    first = make_app(seeded.desk)
    async with first.run_test(size=SIZE) as pilot:
        await open_wizard(pilot)
        await walk(pilot, 1)
    second = make_app(seeded.desk)
    async with second.run_test(size=SIZE) as pilot:
        assert await until(pilot, lambda: isinstance(second.screen, ResumeCall))
        await pilot.press("d")
        assert await until(pilot, lambda: isinstance(second.screen, QueueScreen))
    assert store_of(seeded.desk).load() is None


async def test_a_read_only_console_opens_no_wizard(seeded: Seeded) -> None:
    app = make_app(seeded.desk, readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("exclamation_mark", "n")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


# -- the new-case form ------------------------------------------------------------------


async def open_form(pilot: Pilot[Any]) -> NewCaseForm:
    await settle(pilot)
    await pilot.press("n")
    assert await until(pilot, lambda: isinstance(pilot.app.screen, NewCaseForm))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, NewCaseForm)
    return screen


def field_error(form: NewCaseForm, name: str) -> str:
    line = form.query_one(f"#{name}-error", Static)
    return "" if line.has_class("-empty") else str(line.render())


async def test_the_form_refuses_empty_required_fields_at_the_first_of_them(
    seeded: Seeded,
) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "the organization is empty" in field_error(form, "organization")
        assert "the subject is empty" in field_error(form, "subject")
        assert "the product is empty" in field_error(form, "product")
        assert app.focused is form.query_one("#organization")
        assert isinstance(app.screen, NewCaseForm)
    assert new_cases(seeded.desk) == []


async def test_an_unknown_organization_or_contact_is_named_at_its_field(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await pilot.press(*keys("Acne"), "enter")
        await settle(pilot)
        assert "no organization named 'Acne'" in field_error(form, "organization")
        assert app.focused is form.query_one("#organization")
        await pilot.press("backspace", "backspace", *keys("me"), "enter")
        await settle(pilot)
        assert field_error(form, "organization") == ""
        assert app.focused is form.query_one("#contact")
        await pilot.press(*keys("Rob"), "enter")
        await settle(pilot)
        assert "'Rob' is not a contact of Acme" in field_error(form, "contact")
        assert app.focused is form.query_one("#contact")


async def test_the_severities_show_the_policys_meaning_and_no_sev1(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await pilot.press(*keys("Acme"))
        await settle(pilot)
        assert form.levels == [2, 3]
        from textual.widgets import OptionList

        first = str(form.query_one("#severity", OptionList).get_option_at_index(0).prompt)
        policy = seeded.desk.policy("business-hours-3")
        assert first.startswith("Sev 2") and policy.severities[2].meaning in first


async def test_an_expired_contract_needs_the_override_reason(seeded: Seeded) -> None:
    add_expired(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await pilot.press(*keys("Globex"), "enter", *keys("Gina Admin"), "enter")
        await settle(pilot)
        assert "contract ENDED on 2026-01-31" in str(form.query_one("#entitlement").render())
        form.query_one("#subject", Input).value = "Reports fail"
        form.query_one("#product", Input).value = "Ledger"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "give the supervisor's reason" in field_error(form, "override")
        assert app.focused is form.query_one("#override")
        assert new_cases(seeded.desk) == []
        await pilot.press(*keys("renewal signed"), "ctrl+s")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    [case] = new_cases(seeded.desk)
    assert "entitlement override: renewal signed" in (
        events_of(seeded.desk, case.number)[0].text or ""
    )


async def test_add_another_issue_opens_linked_cases_in_one_go(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await pilot.press(*keys("Acme"), "enter", *keys("Bob Admin"), "enter")
        await settle(pilot)
        form.query_one("#subject", Input).value = "Reports time out"
        form.query_one("#product", Input).value = "Ledger"
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert form.query_one("#subject", Input).value == ""  # the next issue's subject
        assert form.query_one("#product", Input).value == "Ledger"  # the same product
        assert "1. Reports time out" in str(form.query_one("#pending").render())
        assert new_cases(seeded.desk) == []
        await pilot.press(*keys("Typo on invoice"), "ctrl+s")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    opened = sorted(new_cases(seeded.desk), key=lambda c: c.number)
    assert [c.subject for c in opened] == ["Reports time out", "Typo on invoice"]
    first, second = (c.number for c in opened)
    link = next(e for e in events_of(seeded.desk, first) if e.kind == "linked")
    assert link.new_value == str(second)


async def test_hostile_names_are_suggested_in_their_safe_form_and_open_the_case(
    seeded: Seeded,
) -> None:
    # The completion painted the stored name as it was: an ESC [2J in an organization's
    # name cleared the engineer's terminal as they typed the first letters.
    org = "Acme " + together(["CSI clear screen", "markup close"], "")
    contact = "Eve " + PAYLOADS["OSC 0 title"].text
    directory.add_organization(seeded.desk, org, "business-hours-3")
    directory.add_contact(seeded.desk, contact, org)
    app = make_app(seeded.desk)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        await pilot.press(*keys("Acme "))
        await settle(pilot)
        painted = screen_lines(app)
        assert not any(has_control(line) for line in painted)
        assert any("Acme ␛[2J␛[HPWNED-CLEAR[/bold]PWNED-CLOSE[/]" in line for line in painted)
        await pilot.press("right", "enter")  # the completion, as shown
        await settle(pilot)
        assert field_error(form, "organization") == ""
        assert app.focused is form.query_one("#contact")
        await pilot.press(*keys("Eve"))
        await settle(pilot)
        painted = screen_lines(app)
        assert not any(has_control(line) for line in painted)
        assert any("Eve ␛]0;PWNED-OSC0␇" in line for line in painted)
        await pilot.press("right", "enter")
        await settle(pilot)
        assert field_error(form, "contact") == ""
        form.query_one("#subject", Input).value = "Reports fail"
        form.query_one("#product", Input).value = "Ledger"
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    [case] = new_cases(seeded.desk)
    shown = queries.show_case(seeded.desk, case.number)
    assert (shown["organization"], shown["contact"]["name"]) == (org, contact)  # the stored names


async def test_esc_keeps_the_form_for_the_next_n(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await pilot.press(*keys("Acme"), "enter")
        form.query_one("#subject", Input).value = "Half typed"
        await pilot.press("escape")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        form = await open_form(pilot)
        assert form.query_one("#organization", Input).value == "Acme"
        assert form.query_one("#subject", Input).value == "Half typed"
        await pilot.press("ctrl+x", "y")  # discarded: the next form is empty
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    assert store_of(seeded.desk, NEW_CASE).load() is None


async def test_the_palette_offers_the_call_and_the_form(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Severity 1 phone call", "New case"} <= titles
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*keys("Severity 1 phone"))
        # The palette searches in the background: enter once it offers the call.
        assert await until(
            pilot, lambda: any("Severity 1 phone call" in line for line in screen_lines(app))
        )
        await pilot.press("enter")
        assert await until(pilot, lambda: isinstance(app.screen, Sev1Wizard))
