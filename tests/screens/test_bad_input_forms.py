"""Bad input in every form of the console (issue 10): the new-case form, the Sev 1
wizard's steps, the case screen's dialogs, the queue's filter.

Each bad value must be named in one clear message at its field (or in a
notification), must not crash the console, must keep what the user typed, and
must not change the desk: the checksum of its export (and of the mail tables and
the attachment store, which the export leaves out) is the same before and after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel, select
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from deskterm.desk import cases, directory, limits, transfer
from deskterm.desk.context import Desk
from deskterm.screens import case_compose as writing
from deskterm.screens import case_dialogs as dialogs
from deskterm.screens.case import CaseScreen
from deskterm.screens.new_case import NewCaseForm
from deskterm.screens.queue import QueueScreen
from deskterm.screens.sev1 import Sev1Wizard
from deskterm.store.engine import reading
from tests.unreadable import denied, fresh_worker_threads

from .conftest import (
    DISK_FULL,
    PRODUCTION_DOWN,
    Seeded,
    make_app,
    paste,
    screen_lines,
    settle,
    until,
)

SIZE = (100, 40)
# The text limit, lowered for these tests: a terminal form holding a million
# characters is slow to drive, and the check is the same at any limit.
TEXT_LIMIT = 5_000
OVER_LINE = "n" * (limits.LINE_LIMIT + 1)  # a name or subject one character too long
# A text one line too long, in lines a TextArea wraps quickly.
OVER_TEXT = ("t" * 99 + "\n") * (TEXT_LIMIT // 100) + "over"
BIG = "1" + "0" * 30


@pytest.fixture(autouse=True)
def lower_text_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "TEXT_LIMIT", TEXT_LIMIT)


def checksum(desk: Desk) -> str:
    """The export, the mail tables it leaves out, and the attachment store."""
    digest = hashlib.sha256()
    for line in transfer.export_lines(desk):
        digest.update(line.encode())
    with reading(desk.engine) as session:
        for name in ("outbox", "mail_ingested", "mail_triage"):
            table = SQLModel.metadata.tables[name]
            for row in session.connection().execute(select(table).order_by(*table.primary_key)):
                digest.update(repr(tuple(row)).encode())
    if desk.attachments.exists():
        for path in sorted(desk.attachments.rglob("*")):
            digest.update(str(path.relative_to(desk.attachments)).encode())
            if path.is_file():
                digest.update(path.read_bytes())
    return digest.hexdigest()


def shown(pilot: Pilot[Any]) -> str:
    return "\n".join(screen_lines(pilot.app))


def said(pilot: Pilot[Any]) -> list[str]:
    return [n.message for n in pilot.app._notifications]


def put(pilot: Pilot[Any], field: str, value: str) -> None:
    """What the user typed (or pasted) into `field`, of the screen on top."""
    widget = pilot.app.screen.query_one(f"#{field}")
    if isinstance(widget, TextArea):
        widget.text = value
    else:
        assert isinstance(widget, Input)
        widget.value = value


def value_of(pilot: Pilot[Any], field: str) -> str:
    widget = pilot.app.screen.query_one(f"#{field}")
    return widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]


# -- the new-case form ------------------------------------------------------------------


def add_lapsed(desk: Desk) -> None:
    directory.add_organization(desk, "Globex", "business-hours-3", contract_until=date(2026, 1, 31))
    directory.add_contact(desk, "Gina Admin", "Globex", is_admin=True)


GOOD_FORM = {"organization": "Acme", "contact": "Bob Admin", "subject": "Slow", "product": "Ledger"}
FORM = [
    ({"organization": "Nope"}, "organization", "no organization named 'Nope'"),
    ({"organization": "  "}, "organization", "the organization is empty"),
    ({"organization": OVER_LINE}, "organization", "the organization is 1,001 characters long"),
    ({"contact": "Nobody"}, "contact", "'Nobody' is not a contact of Acme"),
    ({"contact": " "}, "contact", "the contact is empty"),
    ({"subject": ""}, "subject", "the subject is empty: it is required"),
    ({"subject": OVER_LINE}, "subject", "the subject is 1,001 characters long: at most 1,000"),
    ({"product": "\t"}, "product", "the product is empty: it is required"),
    ({"product": OVER_LINE}, "product", "the product is 1,001 characters long"),
    ({"description": OVER_TEXT}, "description", "the description is 5,004 characters long"),
    ({"steps_to_reproduce": OVER_TEXT}, "steps_to_reproduce", "5,004 characters long"),
    ({"organization": "Globex", "contact": "Gina Admin"}, "override", "give the supervisor's"),
    (
        {"organization": "Globex", "contact": "Gina Admin", "override": OVER_TEXT},
        "override",
        "the override's reason is 5,004 characters long",
    ),
]


async def test_the_new_case_form_names_each_bad_field_and_keeps_everything(
    seeded: Seeded,
) -> None:
    add_lapsed(seeded.desk)
    before = checksum(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert await until(pilot, lambda: isinstance(app.screen, NewCaseForm))
        form = app.screen
        assert isinstance(form, NewCaseForm)
        for typed, field, says in FORM:
            for widget in form.query(Input):  # what the last case typed, gone
                widget.value = ""
            values = {**GOOD_FORM, **typed}
            for name, value in values.items():
                put(pilot, name, value)
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is form, f"the form stays ({field})"
            error = form.query_one(f"#{field}-error", Static)
            assert not error.has_class("-empty") and says in str(error.render()), (field, says)
            assert form.focused is not None and form.focused.id == field
            assert {name: form.value(name) for name in values} == values  # nothing lost
    assert checksum(seeded.desk) == before


# -- the Sev 1 wizard ----------------------------------------------------------------------

Step = Callable[[Pilot[Any]], Awaitable[None]]


async def wizard_at(pilot: Pilot[Any], step: int, caller: str = "bob") -> Sev1Wizard:
    """The wizard at `step`, every earlier step answered well."""
    await settle(pilot)
    await pilot.press("exclamation_mark")
    assert await until(pilot, lambda: isinstance(pilot.app.screen, Sev1Wizard))
    await settle(pilot)
    wizard = pilot.app.screen
    assert isinstance(wizard, Sev1Wizard)
    answers: dict[int, list[str]] = {
        1: [*caller, "enter"],
        2: ["enter"],
        3: ["y"],
        4: [],
        5: ["y"],
        6: [],
    }
    for number in range(1, step):
        if number == 4:
            for field, value in (("product", "Ledger"), ("version", "7"), ("systems", "db1")):
                put(pilot, field, value)
            wizard.query_one("#systems").focus()
            await pilot.press("enter")
        elif number == 6:
            wizard.query_one("#subject").focus()
            await pilot.press("enter")
        else:
            await pilot.press(*answers[number])
        await settle(pilot)
        assert wizard.step == number + 1, (number, shown(pilot))
    return wizard


WIZARD = [
    # (step, {field: value}, the field entered, what the error says)
    (1, {"new-org": "Nope", "new-name": "Zed"}, "new-email", "no organization named 'Nope'"),
    (1, {"new-org": "Acme", "new-name": " "}, "new-email", "the name is empty"),
    (1, {"new-org": "Acme", "new-name": "Bob Admin"}, "new-email", "has a contact named"),
    (1, {"new-org": "Acme", "new-name": OVER_LINE}, "new-email", "the name is 1,001 characters"),
    (1, {"new-org": "Acme", "new-name": "Zed", "new-email": "zed"}, "new-email", "not an e-mail"),
    (1, {"new-org": "Acme", "new-name": "Zed", "new-phone": OVER_LINE}, "new-email", "1,001"),
    (4, {"product": ""}, "product", "product affected is empty: it is required"),
    (4, {"product": OVER_LINE}, "product", "the product is 1,001 characters long"),
    (4, {"product": "L", "version": "7", "systems": OVER_LINE}, "systems", "systems involved is"),
    (6, {"case-number": "abc"}, "case-number", "'abc' is not a case number"),
    (6, {"case-number": "99999"}, "case-number", "no case 99999"),
    (6, {"case-number": BIG}, "case-number", f"no case {BIG}"),
    (6, {"case-number": "9" * 5000}, "case-number", "(5,000 characters)"),
    (6, {"case-number": "²"}, "case-number", "is not a case number"),
    (6, {"case-number": str(DISK_FULL)}, "case-number", "Umbrella"),  # another organization's
    (6, {"case-number": "", "subject": OVER_LINE}, "subject", "the subject is 1,001 characters"),
    (7, {"impact": OVER_TEXT.replace("\n", " ")}, "impact", "the impact is 5,004 characters"),
    (7, {"impact": "all", "scope": " "}, "scope", "scope is empty: it is required"),
]


@pytest.mark.parametrize("step", sorted({w[0] for w in WIZARD}))
async def test_each_wizard_step_names_the_bad_field_and_stays(seeded: Seeded, step: int) -> None:
    before = checksum(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await wizard_at(pilot, step)
        if step == 1:  # the sub-form for a caller not in the directory
            put(pilot, "search", "nobody by that name")
            wizard.query_one("#search").focus()
            await settle(pilot)
            await pilot.press("enter")  # "+ add a new contact", the only option left
            await settle(pilot)
            assert wizard.adding
        for at, typed, entered, says in WIZARD:
            if at != step:
                continue
            for field, value in typed.items():
                put(pilot, field, value)
            wizard.query_one(f"#{entered}").focus()
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is wizard and wizard.step == step, says
            error = str(wizard.query_one("#error", Static).render())
            assert says in error, (says, error)
            assert "\n" not in error.strip()
            assert {field: value_of(pilot, field) for field in typed} == typed  # kept
    assert checksum(seeded.desk) == before


async def test_an_override_reason_too_long_stops_the_call_at_step_2(seeded: Seeded) -> None:
    add_lapsed(seeded.desk)
    before = checksum(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        wizard = await wizard_at(pilot, 2, caller="gina")
        put(pilot, "override", OVER_LINE * 101)
        wizard.query_one("#override").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert wizard.step == 2
        assert "override's reason is 101,101 characters" in str(wizard.query_one("#error").render())
        assert value_of(pilot, "override") == OVER_LINE * 101
    assert checksum(seeded.desk) == before


# -- the case screen's dialogs ---------------------------------------------------------------


async def case_open(pilot: Pilot[Any], number: int = PRODUCTION_DOWN) -> CaseScreen:
    app = pilot.app
    await settle(pilot)
    app.push_screen(CaseScreen(app.desk, number))  # type: ignore[attr-defined]
    assert await until(pilot, lambda: isinstance(app.screen, CaseScreen) and app.screen.file)
    await settle(pilot)
    return app.screen  # type: ignore[return-value]


def dialog_error(pilot: Pilot[Any]) -> str:
    """The dialog's error line; "" while no dialog is up (between two of them)."""
    found = pilot.app.screen.query("#error")
    if not found or found.first().has_class("-empty"):
        return ""
    return str(found.first().render())


DIALOGS = [
    # (key, dialog, [(field, value)], the key that confirms, what the error says)
    ("r", writing.Composer, [("text", OVER_TEXT)], "ctrl+s", "your reply is 5,004 characters"),
    ("n", writing.Composer, [("text", " \n ")], "ctrl+s", "write the note first"),
    ("c", writing.Composer, [("who", OVER_LINE), ("text", "ok")], "ctrl+s", "who was on the call"),
    ("c", writing.Composer, [("outcome", OVER_LINE), ("text", "ok")], "ctrl+s", "the outcome is"),
    ("m", dialogs.MoveDialog, [("note", OVER_TEXT.replace("\n", " "))], "enter", "the note is"),
    ("s", dialogs.SeverityDialog, [("reason", "  ")], "ctrl+s", "a reason is required"),
    ("s", dialogs.SeverityDialog, [("reason", OVER_LINE * 101)], "ctrl+s", "the reason is 101,101"),
    ("a", dialogs.AssignDialog, [("name", OVER_LINE)], "enter", "the name is 1,001 characters"),
    ("e", dialogs.ReasonDialog, [("reason", OVER_LINE * 101)], "enter", "the reason is 101,101"),
    ("x", dialogs.SplitDialog, [("subject", OVER_LINE)], "ctrl+s", "the subject is 1,001"),
    ("x", dialogs.SplitDialog, [("subject", "s"), ("description", OVER_TEXT)], "ctrl+s", "5,004"),
]


async def test_each_dialog_names_the_bad_value_and_keeps_it(seeded: Seeded) -> None:
    before = checksum(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await case_open(pilot, DISK_FULL)
        for key, kind, typed, confirm, says in DIALOGS:
            await pilot.press(key)
            assert await until(pilot, lambda k=kind: isinstance(app.screen, k)), key
            await settle(pilot)
            if kind is dialogs.SeverityDialog:
                await pilot.press("enter")  # the first level offered; the reason is owed
                await settle(pilot)
            for field, value in typed:
                put(pilot, field, value)
            if kind is dialogs.MoveDialog:
                app.screen.query_one("#note").focus()
            await pilot.press(confirm)
            await settle(pilot)
            assert isinstance(app.screen, kind), f"the dialog stays ({says})"
            assert says in dialog_error(pilot), (says, dialog_error(pilot))
            assert [(field, value_of(pilot, field)) for field, _ in typed] == typed
            await pilot.press("escape")
            await settle(pilot)
            if isinstance(app.screen, writing.ConfirmDiscard):
                await pilot.press("d")
                await settle(pilot)
            assert app.screen is screen
    assert checksum(seeded.desk) == before


async def test_a_refusal_only_the_desk_can_make_is_a_notification(seeded: Seeded) -> None:
    cases.assign(seeded.desk, PRODUCTION_DOWN, "carol")
    before = checksum(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await case_open(pilot)
        await pilot.press("a")
        assert await until(pilot, lambda: isinstance(app.screen, dialogs.AssignDialog))
        await settle(pilot)
        await paste(pilot, "carol")
        await pilot.press("enter")
        assert await until(pilot, lambda: any("already assigned" in m for m in said(pilot)))
        assert app.screen is screen
    assert checksum(seeded.desk) == before


def attach_cases(tmp_path: Path) -> list[tuple[str, str, Any]]:
    folder = tmp_path / "folder"
    folder.mkdir()
    secret = tmp_path / "secret.log"
    secret.write_text("private\n")
    large = tmp_path / "large.log"
    large.write_bytes(b"x" * 4096)
    return [
        (str(folder), "it is a directory", None),
        (str(tmp_path / "missing.log"), "no such file", None),
        (str(secret), "permission denied", secret),
        (str(large), "over the 1 KB limit", None),
        ("/dev/null", "it is a character device", None),
        (str(tmp_path / "missing" / "dir" / "x.log"), "no such file", None),
    ]


async def test_attaching_what_is_no_file_brings_the_dialog_back_with_the_path(
    seeded: Seeded, tmp_path: Path
) -> None:
    seeded.desk.attachment_limit = 1024
    files = attach_cases(tmp_path)
    before = checksum(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        await case_open(pilot)
        for path, says, unreadable in files:
            await pilot.press("f")
            assert await until(pilot, lambda: isinstance(app.screen, dialogs.AttachDialog))
            await settle(pilot)
            put(pilot, "path", path)
            if unreadable is not None:
                with denied(unreadable), fresh_worker_threads():
                    await pilot.press("enter")
                    assert await until(pilot, lambda s=says: s in dialog_error(pilot))
            else:
                await pilot.press("enter")
                assert await until(pilot, lambda s=says: s in dialog_error(pilot)), says
            assert isinstance(app.screen, dialogs.AttachDialog)
            assert value_of(pilot, "path") == path  # what was typed comes back
            await pilot.press("escape")
            await settle(pilot)
    assert checksum(seeded.desk) == before


async def test_viewing_a_binary_attachment_says_so_and_changes_nothing(
    seeded: Seeded, tmp_path: Path
) -> None:
    from deskterm.desk import attachments

    blob = tmp_path / "core.dump"
    blob.write_bytes(b"\x7fELF\x00\x00\x1b[2J" * 100)
    attachments.attach(seeded.desk, PRODUCTION_DOWN, str(blob))
    before = checksum(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await case_open(pilot)
        await pilot.press("3")  # the attachments, the binary one highlighted
        await settle(pilot)
        await pilot.press("v")
        assert await until(pilot, lambda: any("binary" in m for m in said(pilot)))
        assert app.screen is screen
    assert checksum(seeded.desk) == before


# -- the queue's filter ------------------------------------------------------------------------

FILTERS = [
    ("sev:9", "sev:9: no policy has severity 9"),
    ("sev:abc", "a severity is a number"),
    ("sev:²", "a severity is a number"),
    ("due<abc", "write due<30m, due<2h or due<1d"),
    ("due<99999999999999d", "at most a year ahead"),
    ("status:nope", "status:nope matches no statuses"),
    ("sev:" + "9" * 5000, "a severity is a number"),
]


async def test_a_malformed_filter_token_is_named_and_the_queue_stays(seeded: Seeded) -> None:
    before = checksum(seeded.desk)
    app = make_app(seeded.desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        for typed, says in FILTERS:
            await pilot.press("slash")
            await settle(pilot)
            queue.query_one("#filter", Input).value = ""
            await paste(pilot, typed)
            await settle(pilot)
            assert app.screen is queue
            problems = queue.query_one("#problems", Static)
            assert problems.display and says in str(problems.render()), (typed, says)
            assert queue.query_one("#filter", Input).value == typed
            await pilot.press("enter")  # back to the rows; the filter kept
            await settle(pilot)
            assert queue.query_one("#filter", Input).value == typed
    assert checksum(seeded.desk) == before
