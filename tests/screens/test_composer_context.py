"""Writing with the case in view (issue 20): the reply composer shows who it goes to and
whether it is mailed, the customer's last words and the ticking SLA clocks; at 80x24 a
key swaps editor and context without losing text; canned replies are picked from a
searchable list with a preview; the call log names its fields, fills in the contact
and shows their phone number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, TextArea

from deskterm.desk import cases, directory, queries
from deskterm.screens.case_compose import Composer
from deskterm.screens.template_picker import TemplatePicker
from deskterm.widgets.clock_panel import ClockPanel
from tests.screens.conftest import (
    PRODUCTION_DOWN,
    SLOW_REPORTS,
    Seeded,
    make_app,
    paste,
    settle,
    until,
)
from tests.screens.test_case import NARROW, WIDE, events_of, open_case, screen_text

KEYS = {" ": "space", ".": "full_stop", ",": "comma", "-": "minus", "_": "underscore"}


def keys(text: str) -> list[str]:
    return [KEYS.get(char, char) for char in text]


def said(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def composer(pilot: Any, key: str = "r") -> Composer:
    await pilot.press(key)
    assert await until(pilot, lambda: isinstance(pilot.app.screen, Composer), 10)
    await settle(pilot)
    return pilot.app.screen  # type: ignore[no-any-return]


async def test_the_reply_keeps_the_case_in_view_at_120x40(seeded: Seeded) -> None:
    cases.customer_reply(seeded.desk, PRODUCTION_DOWN, "Still down after the restart.\nHELP")
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, PRODUCTION_DOWN)
        screen = await composer(pilot)
        text = screen_text(app)
        assert "to Bob Admin <bob@acme.test> · recorded, not mailed: no mail relay" in text
        assert "The customer wrote" in text and "Still down after the restart." in text
        assert "first response" in text
        # Beside the editor, both in view.
        assert screen.query_one("#context").display and screen.query_one("#editor").display
        context, editor = screen.query_one("#context").region, screen.query_one("#editor").region
        assert context.right <= editor.x
        panel = screen.query_one(ClockPanel)
        before = panel.line_text(1)
        seeded.clock.advance(minutes=3)
        assert await until(pilot, lambda: panel.line_text(1) != before, 10)


async def test_at_80x24_a_key_swaps_editor_and_context_keeping_the_text(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await open_case(pilot, PRODUCTION_DOWN)
        screen = await composer(pilot)
        await paste(pilot, "half a reply")
        await settle(pilot)
        assert not screen.query_one("#context").display
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert screen.query_one("#context").display and not screen.query_one("#editor").display
        assert "first response" in screen_text(app)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert screen.query_one("#editor").display
        assert screen.query_one("#text", TextArea).text == "half a reply"
        assert app.focused is screen.query_one("#text")


async def test_a_case_without_an_address_says_so(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, SLOW_REPORTS)  # Initech: no contact
        await composer(pilot)
        assert "to nobody: the case has no contact · recorded, not mailed" in screen_text(app)
    directory.add_contact(seeded.desk, "Ned", "Initech")
    cases.customer_reply(seeded.desk, SLOW_REPORTS, "hi")  # keeps the case as it is
    async with make_app(seeded.desk).run_test(size=WIDE) as pilot:
        await open_case(pilot, SLOW_REPORTS)
        await composer(pilot)
        assert "recorded, not mailed" in screen_text(pilot.app)


async def pick(pilot: Any, typed: str) -> None:
    await pilot.press("ctrl+t")
    assert await until(pilot, lambda: isinstance(pilot.app.screen, TemplatePicker), 10)
    await settle(pilot)
    await pilot.press(*keys(typed))
    await settle(pilot)


async def test_a_canned_reply_is_previewed_inserted_and_moves_the_case(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        case = await open_case(pilot, PRODUCTION_DOWN)
        screen = await composer(pilot)
        await pick(pilot, "inform")
        preview = screen_text(app)
        assert "information-request" in preview and "resolved-pending" not in preview
        assert "then moves the case to Customer Information Requested" in preview
        assert "Hello Bob Admin," in preview
        await pilot.press("enter")
        assert await until(pilot, lambda: app.screen is screen, 10)
        text = screen.query_one("#text", TextArea).text
        assert text.startswith("Hello Bob Admin,\n\nTo continue working on Incident# ")
        assert "{" not in text
        move = screen.query_one("#move", Checkbox)
        assert move.display and move.value
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: case.file.version == 2, 10)  # type: ignore[union-attr]
    shown = queries.show_case(seeded.desk, PRODUCTION_DOWN)
    assert shown["status"] == "waiting-on-customer"
    assert [e["kind"] for e in shown["events"][-2:]] == ["reply", "status"]
    assert any(m.endswith("moved to Customer Information Requested") for m in said(app))


async def test_the_templates_move_can_be_unticked(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        case = await open_case(pilot, PRODUCTION_DOWN)
        screen = await composer(pilot)
        await pick(pilot, "resolved")
        await pilot.press("enter")
        assert await until(pilot, lambda: app.screen is screen, 10)
        screen.query_one("#move", Checkbox).focus()
        await pilot.press("space")
        await settle(pilot)
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: case.file.version == 2, 10)  # type: ignore[union-attr]
    assert queries.show_case(seeded.desk, PRODUCTION_DOWN)["status"] == "new"


async def test_a_placeholder_without_a_value_is_named_before_saving(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "templates"
    own.mkdir()
    (own / "ask-version.md").write_text("Is {product_version} still what you run?\n")
    monkeypatch.setenv("DESKTERM_TEMPLATES", str(own))
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        case = await open_case(pilot, PRODUCTION_DOWN)
        screen = await composer(pilot)
        await pick(pilot, "ask")
        assert "no value yet for {product_version}" in screen_text(app)
        await pilot.press("enter")
        # The composer names the gap when the picker has gone, a message after it.
        assert await until(
            pilot,
            lambda: app.screen is screen and "no value for {product_version}" in screen_text(app),
            10,
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and case.file.version == 1  # type: ignore[union-attr]
        text = screen.query_one("#text", TextArea)
        text.load_text("Is 7.1 still what you run?")
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: case.file.version == 2, 10)  # type: ignore[union-attr]
    assert events_of(seeded, PRODUCTION_DOWN)[-1]["text"] == "Is 7.1 still what you run?"


async def test_a_missing_template_dir_is_one_line_in_the_composer(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_TEMPLATES", str(tmp_path / "absent"))
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, PRODUCTION_DOWN)
        screen = await composer(pilot)
        await pilot.press("ctrl+t")
        # The refusal is a notice: wait for it to be drawn (a loaded machine is slow).
        assert await until(
            pilot,
            lambda: (
                "the template directory" in screen_text(app)
                and "does not exist" in screen_text(app)
            ),
            10,
        )
        assert app.screen is screen


async def test_the_call_log_names_its_fields_fills_the_contact_and_shows_the_phone(
    seeded: Seeded,
) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        case = await open_case(pilot, PRODUCTION_DOWN)
        screen = await composer(pilot, "c")
        text = screen_text(app)
        assert "who was on the call" in text and "outcome" in text
        assert "summary of the call" in text
        assert "phone: no phone number on file" in text
        assert screen.query_one("#who").value == "Bob Admin"  # type: ignore[attr-defined]
        assert app.focused is screen.query_one("#text")
        await paste(pilot, "restarted the node together")
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: case.file.version == 2, 10)  # type: ignore[union-attr]
    last = events_of(seeded, PRODUCTION_DOWN)[-1]
    assert (last["kind"], last["new"]) == ("call", "Bob Admin")
