"""Intake without traps (issue 20): the wizard's keys record only what was said.

`enter` means "next" on every step: on the new caller's administrator checkbox it
once ticked YES, a false fact on a Severity 1 entitlement check. The new caller's
organization completes as typed, and the caller line is never cut mid-sentence.
"""

from __future__ import annotations

from textual.widgets import Checkbox, Input, Static

from tests.screens.conftest import Seeded, make_app, settle
from tests.screens.test_intake import SIZE, keys, new_cases, open_wizard


async def add_new_caller(pilot, wizard) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("end")  # "+ add a new contact", the last option
    await pilot.press(*keys("zzz"))
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert wizard.adding


async def test_enter_on_the_administrator_box_goes_on_and_never_ticks_it(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await add_new_caller(pilot, wizard)
        await pilot.press(*keys("Acme"), "enter", *keys("Nora New"), "enter")
        await settle(pilot)
        box = wizard.query_one("#new-admin", Checkbox)
        assert app.focused is box
        await pilot.press("enter")
        await settle(pilot)
        assert box.value is False
        assert app.focused is wizard.query_one("#new-phone")
        await pilot.press("shift+tab")
        await settle(pilot)
        assert app.focused is box
        await pilot.press("space")
        await settle(pilot)
        assert box.value is True and "YES" in str(box.label)
        await pilot.press("space")
        await settle(pilot)
        assert box.value is False


async def test_the_new_callers_organization_completes_as_typed(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await add_new_caller(pilot, wizard)
        org = wizard.query_one("#new-org", Input)
        await pilot.press(*keys("ac"))
        await settle(pilot)
        await pilot.press("right")  # takes the suggestion
        await settle(pilot)
        assert org.value == "Acme"


async def test_the_caller_line_wraps_instead_of_cutting_the_admin_fact(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await open_wizard(pilot)
        await add_new_caller(pilot, wizard)
        long_name = "Maximiliana Featherstonehaugh-Cholmondeley"
        await pilot.press(*keys("Acme"), "enter", *keys(long_name), "enter", "enter", "enter")
        await pilot.press("enter")
        await settle(pilot)
        assert wizard.step == 2
        line = wizard.query_one("#caller-line", Static)
        shown = " ".join(
            strip.text.strip() for strip in line.render_lines(line.region.reset_offset)
        )
        assert "NOT an administrator of the product" in shown
        assert line.region.height >= 2
    assert new_cases(seeded.desk) == []


async def test_ctrl_a_adds_another_issue_from_a_text_field(seeded: Seeded) -> None:
    from tests.screens.test_intake import open_form

    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await pilot.press(*keys("Acme"), "enter", *keys("Bob Admin"), "enter")
        await settle(pilot)
        subject = form.query_one("#subject", Input)
        subject.value = "Reports time out"
        form.query_one("#product", Input).value = "Ledger"
        subject.focus()
        await settle(pilot)
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert subject.value == ""  # the next issue's, not the cursor at the line's start
        assert "1. Reports time out" in str(form.query_one("#pending").render())
    assert new_cases(seeded.desk) == []


async def test_the_form_adds_a_new_reporter_with_the_case(seeded: Seeded) -> None:
    from deskterm.desk import directory
    from deskterm.screens.queue import QueueScreen
    from tests.screens.test_intake import events_of, open_form, until

    app = make_app(seeded.desk)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        await pilot.press(*keys("Acme"), "enter", *keys("Nora New"), "enter")
        await settle(pilot)
        error = str(form.query_one("#contact-error", Static).render())
        assert "not a contact of Acme" in error and "add them as a new contact" in error
        await pilot.press("tab")
        await settle(pilot)
        assert app.focused is form.query_one("#new-contact")
        await pilot.press("enter")  # enter goes on; it never ticks
        await settle(pilot)
        assert not form.query_one("#new-contact", Checkbox).value
        form.query_one("#new-contact").focus()
        await pilot.press("space")
        await settle(pilot)
        assert form.query_one("#new-contact-details").display
        form.query_one("#contact-email", Input).value = "nora@acme.test"
        form.query_one("#subject", Input).value = "Reports time out"
        form.query_one("#product", Input).value = "Ledger"
        assert [c.name for c, _ in directory.contacts(seeded.desk, "Acme")] == ["Bob Admin"]
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen), 10)
    [case] = new_cases(seeded.desk)
    [(nora, _)] = [
        (c, o) for c, o in directory.contacts(seeded.desk, "Acme") if c.name == "Nora New"
    ]
    assert nora.email == "nora@acme.test" and not nora.is_admin
    assert case.contact_id == nora.id
    assert events_of(seeded.desk, case.number)[0].kind == "opened"
