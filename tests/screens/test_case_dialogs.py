"""The case screen's dialogs, each pushed on a tiny app that records what it returns.

No desk is needed for most of them: the case screen hands them plain values and
callables. One test feeds the severity dialog from a real case file. Hostile text
(ESC, OSC, C1, markup) is fed wherever another person's words are shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList, TextArea

from deskterm.desk import case_file
from deskterm.desk.case_file import DeadlineChange, SeverityChoice
from deskterm.desk.workflow import allowed_moves
from deskterm.drafts import Draft, Drafts
from deskterm.screens import case_compose, case_dialogs
from deskterm.screens.case_compose import Composer, ConfirmDiscard, ConflictDialog, DraftOffer
from deskterm.screens.case_dialogs import (
    AssignDialog,
    AttachDialog,
    ChooseAttachment,
    CopyDialog,
    MoveDialog,
    ReasonDialog,
    SeverityDialog,
    SplitDialog,
    WhyDialog,
)
from deskterm.sla.clocks import Clock, ClockKind, ClockState
from deskterm.sla.history import Status
from tests.screens.conftest import DISK_FULL, NOW, Seeded, paste, screen_lines, settle, until

# What another person might have typed: ESC sequences, OSC (set the window title),
# a C1 CSI byte, and Rich markup that would style text or make a clickable action.
HOSTILE = "\x1b[31mX\x1b]0;x\x07\x9b[bold]B[@click=app.quit]Q"
HOSTILE_SHOWN = "␛[31mX␛]0;x␇⟨9B⟩[bold]B[@click=app.quit]Q"

WIDE = (120, 40)
NARROW = (80, 24)

Compare = Callable[..., bool]


class Host(App[None]):
    """Pushes one dialog at start and records every result it gets back."""

    def __init__(self, dialog: Screen[Any]) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[Any] = []
        self.animation_level = "none"

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


async def started(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


async def closed(pilot: Pilot[Any]) -> bool:
    app = pilot.app
    return await until(pilot, lambda: bool(app.results))  # type: ignore[attr-defined]


async def write(pilot: Pilot[Any], text: str) -> None:
    """Type `text` key by key (letters, digits, space and newline)."""
    keys = {" ": "space", "\n": "enter", ".": "full_stop", ",": "comma"}
    await pilot.press(*(keys.get(char, char) for char in text))


def shown(app: App[Any]) -> str:
    return "\n".join(screen_lines(app))


def assert_inert(app: App[Any]) -> None:
    """Nothing on screen can act on the terminal, and markup shows as typed."""
    svg = app.export_screenshot()
    text = shown(app)
    for control in ("\x1b", "\x9b", "\x07"):
        assert control not in svg
        assert control not in text
    assert HOSTILE_SHOWN in text


def when(instant: datetime | None) -> str:
    return "-" if instant is None else instant.strftime("%a %d %b %H:%M")


@pytest.fixture
def drafts(tmp_path: Path) -> Drafts:
    return Drafts("sqlite:///desk.db", root=tmp_path / "drafts")


def composer(drafts: Drafts, kind: str = "reply", **options: Any) -> Composer:
    return Composer(
        kind,
        40100,
        options.pop("subject", "Production down"),
        drafts,
        lambda: NOW,
        base_version=7,
        **options,
    )


def test_the_dialog_modules_do_not_import_each_other() -> None:
    # Both build on the kit in widgets/; neither needs the other (no lazy re-export).
    for module, other in ((case_dialogs, "case_compose"), (case_compose, "case_dialogs")):
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        assert f"deskterm.screens.{other}" not in source
        assert f"import {other}" not in source
        assert "__getattr__" not in source


# -- 1. the composer --------------------------------------------------------------


async def test_composer_sends_the_text_as_typed_and_keeps_the_draft(drafts: Drafts) -> None:
    app = Host(composer(drafts))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert "Reply to the customer" in shown(app)
        assert "Incident# 40100 - Production down" in shown(app)
        await write(pilot, "  Hello\n\n  indented  ")
        await pilot.press("ctrl+s")
        assert await closed(pilot)
    assert app.results == [{"text": "  Hello\n\n  indented  "}]
    # ctrl+s never discards: the case screen does, once the write succeeded.
    kept = drafts.get(40100, "reply")
    assert kept is not None and kept.fields == {"text": "  Hello\n\n  indented  "}
    assert kept.base_version == 7


async def test_composer_refuses_blank_text_and_stays(drafts: Drafts) -> None:
    app = Host(composer(drafts, "call"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await write(pilot, "Bob")  # who, but no summary
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, Composer)
        assert "write the summary first" in shown(app)
        assert app.results == []
        app.screen.query_one("#text", TextArea).focus()
        await write(pilot, "   ")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, Composer)


async def test_composer_logs_a_call_with_who_and_outcome(drafts: Drafts) -> None:
    app = Host(composer(drafts, "call"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert "Log a phone call" in shown(app)
        assert isinstance(app.focused, Input) and app.focused.id == "who"
        await write(pilot, "Bob Admin")
        await pilot.press("enter")  # on to the outcome
        await write(pilot, "workaround agreed")
        await pilot.press("tab")
        await write(pilot, "Restarted the job\ntogether")
        await pilot.press("ctrl+s")
        assert await closed(pilot)
    assert app.results == [
        {
            "text": "Restarted the job\ntogether",
            "who": "Bob Admin",
            "outcome": "workaround agreed",
            "to_customer": "",
        }
    ]


async def test_composer_call_can_be_mailed_to_the_customer(drafts: Drafts) -> None:
    app = Host(composer(drafts, "call"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await pilot.press("tab", "tab")  # who -> outcome -> summary
        await write(pilot, "Restart agreed")
        await pilot.press("tab", "space")  # the box: mail it to the customer
        await pilot.press("ctrl+s")
        assert await closed(pilot)
    assert app.results[0]["to_customer"] == "yes"


async def test_composer_saves_a_draft_soon_after_typing(drafts: Drafts) -> None:
    app = Host(composer(drafts, "note"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert "Internal note (never shown to the customer)" in shown(app)
        await write(pilot, "half a thought")
        # Saved once the typing pauses: on a busy machine a pause between two keys of
        # the test's own may come first ("half a though"), then the whole is saved.
        assert await until(
            pilot,
            lambda: (
                (d := drafts.get(40100, "note")) is not None
                and d.fields == {"text": "half a thought"}
            ),
        )
        draft = drafts.get(40100, "note")
        assert draft is not None
        assert draft.saved_at == NOW and draft.base_version == 7
        assert await until(pilot, lambda: "draft saved 16:00:00" in shown(app))
        # Typing on rewrites it.
        await write(pilot, " more")
        assert await until(
            pilot,
            lambda: (
                (d := drafts.get(40100, "note")) is not None
                and d.fields["text"] == "half a thought more"
            ),
        )
        assert app.results == []


async def test_composer_escape_keeps_the_draft_with_k(drafts: Drafts) -> None:
    app = Host(composer(drafts))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await write(pilot, "keep me")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDiscard)
        assert "k keep as draft and close" in shown(app)
        await pilot.press("k")
        assert await closed(pilot)
    assert app.results == [None]
    kept = drafts.get(40100, "reply")
    assert kept is not None and kept.fields["text"] == "keep me"


async def test_composer_escape_discards_with_d(drafts: Drafts) -> None:
    app = Host(composer(drafts))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await write(pilot, "throw me away")
        assert await until(pilot, lambda: drafts.get(40100, "reply") is not None)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("d")
        assert await closed(pilot)
        await settle(pilot)
    assert app.results == [None]
    assert drafts.get(40100, "reply") is None


async def test_composer_escape_twice_goes_back_to_writing(drafts: Drafts) -> None:
    app = Host(composer(drafts))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await write(pilot, "still here")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, Composer)
        await write(pilot, " more")
        assert app.screen.fields()["text"] == "still here more"
        assert app.results == []


async def test_composer_escape_on_blank_closes_without_asking(drafts: Drafts) -> None:
    drafts.save(40100, "reply", {"text": "old words"}, NOW, 6)
    app = Host(composer(drafts, initial={"text": "old words"}))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert app.screen.fields() == {"text": "old words"}  # the recovered draft
        app.screen.query_one("#text", TextArea).clear()
        await pilot.press("escape")
        assert await closed(pilot)
    assert app.results == [None]
    assert drafts.get(40100, "reply") is None


async def test_composer_shows_hostile_text_inert(drafts: Drafts) -> None:
    app = Host(composer(drafts, "call", subject=HOSTILE, initial={"who": HOSTILE, "text": HOSTILE}))
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot)
        assert_inert(app)
        assert f"Incident# 40100 - {HOSTILE_SHOWN}" in shown(app)
        # Pasted text is made inert as it arrives: what is sent is what was seen.
        app.screen.query_one("#text", TextArea).focus()
        await paste(pilot, "\n\x1b[2Jpasted\x9b")
        assert_inert(app)
        fields = app.screen.fields()
        assert "\x1b" not in fields["text"] and "\x9b" not in fields["text"]
        assert fields["text"].endswith("␛[2Jpasted⟨9B⟩")
        assert fields["who"] == HOSTILE_SHOWN


async def test_composer_saves_when_the_app_closes(
    drafts: Drafts, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No timer fires during this test: only the save on the way out can write the draft.
    monkeypatch.setattr(case_compose, "DEBOUNCE_SECONDS", 60.0)
    monkeypatch.setattr(case_compose, "SAFETY_NET_SECONDS", 60.0)
    app = Host(composer(drafts))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await write(pilot, "quick")
        assert drafts.get(40100, "reply") is None
    # Unmounted at exit, before the debounce: saved on the way out.
    kept = drafts.get(40100, "reply")
    assert kept is not None and kept.fields == {"text": "quick"}


async def test_composer_says_so_when_the_draft_cannot_be_written(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    app = Host(composer(Drafts("sqlite:///desk.db", root=blocked)))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await write(pilot, "words")
        assert await until(pilot, lambda: "draft NOT saved" in shown(app))
        await pilot.press("ctrl+s")  # the text itself still goes to the caller
        assert await closed(pilot)
    assert app.results == [{"text": "words"}]


# -- 2. move -------------------------------------------------------------------------


def prompts(app: App[Any]) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_move_offers_exactly_the_allowed_moves_and_returns_one_with_a_note() -> None:
    allowed = allowed_moves(Status.OPEN)
    app = Host(MoveDialog(Status.OPEN, allowed))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert prompts(app) == [status.label for status in allowed]
        assert "Open now" in shown(app)
        await pilot.press("down")  # Software Change Required
        await pilot.press("tab")
        await write(pilot, "bug 123")
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == [(Status.SOFTWARE_CHANGE, "bug 123")]


async def test_move_enter_on_an_option_moves_without_a_note() -> None:
    app = Host(MoveDialog(Status.CLOSED, allowed_moves(Status.CLOSED)))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert prompts(app) == ["Open"]
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == [(Status.OPEN, "")]


async def test_move_escape_cancels() -> None:
    app = Host(MoveDialog(Status.NEW, allowed_moves(Status.NEW)))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await pilot.press("escape")
        assert await closed(pilot)
    assert app.results == [None]


# -- 3. severity ---------------------------------------------------------------------


CHOICES = [
    SeverityChoice(
        1,
        "Sev 1",
        "Critical",
        "Production system down and inoperable.",
        "first response 30m, update every 2h, customer response 30m, office hours",
        False,
    ),
    SeverityChoice(
        2,
        "Sev 2",
        "High",
        "Production system operational but impacted.",
        "first response 24h, customer response 24h, office hours",
        False,
    ),
    SeverityChoice(
        3,
        "Sev 3",
        "Low",
        "Cosmetic impairment or a question.",
        "first response 24h, office hours",
        True,
    ),
]


def clock(kind: ClockKind, state: ClockState, due: datetime | None = None) -> Clock:
    return Clock(kind, state, "", due=due)


def preview(level: int) -> list[DeadlineChange]:
    """Sev 3 now: first response due in three days; what Sev 1 or 2 would do."""
    running, na = ClockState.RUNNING, ClockState.NOT_APPLICABLE
    first_now = clock(ClockKind.FIRST_RESPONSE, running, NOW + timedelta(days=3))
    first_after = {
        1: clock(ClockKind.FIRST_RESPONSE, running, NOW + timedelta(minutes=30)),
        2: first_now,
        3: first_now,
    }[level]
    update_after = (
        clock(ClockKind.UPDATE, running, NOW + timedelta(hours=2))
        if level == 1
        else clock(ClockKind.UPDATE, na)
    )
    return [
        DeadlineChange(ClockKind.FIRST_RESPONSE, first_now, first_after),
        DeadlineChange(
            ClockKind.CUSTOMER_RESPONSE,
            clock(ClockKind.CUSTOMER_RESPONSE, na),
            clock(ClockKind.CUSTOMER_RESPONSE, na),
        ),
        DeadlineChange(ClockKind.UPDATE, clock(ClockKind.UPDATE, na), update_after),
        DeadlineChange(
            ClockKind.AUTO_CLOSE, clock(ClockKind.AUTO_CLOSE, na), clock(ClockKind.AUTO_CLOSE, na)
        ),
    ]


def severity_dialog() -> SeverityDialog:
    return SeverityDialog("Sev 3 Low", CHOICES, preview, when)


async def test_severity_previews_the_change_and_refuses_a_blank_reason() -> None:
    app = Host(severity_dialog())
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        text = shown(app)
        assert "Change severity (now Sev 3 Low)" in text
        assert "Sev 3 Low (current)" in text
        # Sev 1 is highlighted first: its deadlines are shown.
        assert "If Sev 1 Critical:" in text
        assert "first response    Thu 26 Nov 16:00 -> Mon 23 Nov 16:30" in text
        assert "update            not applicable -> Mon 23 Nov 18:00" in text
        assert "customer response not applicable  (unchanged)" in text
        await pilot.press("down")
        await settle(pilot)
        text = shown(app)
        assert "If Sev 2 High:  no deadline changes" in text
        assert "first response    Thu 26 Nov 16:00  (unchanged)" in text
        await pilot.press("enter")  # the level is chosen: on to the reason
        await settle(pilot)
        assert isinstance(app.focused, Input) and app.focused.id == "reason"
        await pilot.press("enter")
        await settle(pilot)
        assert "a reason is required" in shown(app)
        assert app.results == []
        await write(pilot, "   ")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == []
        await write(pilot, "customer has a workaround")
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == [(2, "customer has a workaround")]


async def test_severity_current_level_cannot_be_chosen() -> None:
    app = Host(severity_dialog())
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        options = app.screen.query_one(OptionList)
        assert options.get_option_at_index(2).disabled
        await pilot.press("end")
        await settle(pilot)
        assert options.highlighted != 2


async def test_severity_from_a_real_case_file(seeded: Seeded) -> None:
    file = case_file.load(seeded.desk, DISK_FULL)  # Umbrella, Sev 2, 8 business hours
    dialog = SeverityDialog(
        f"{file.policy.label(file.case.severity)}",
        case_file.severity_choices(file),
        lambda level: case_file.severity_preview(file, level, NOW),
        when,
    )
    app = Host(dialog)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot)
        text = shown(app)
        assert "(current)" in text
        assert "first response" in text and "->" in text
        await pilot.press("tab")
        await write(pilot, "worse than thought")
        await pilot.press("ctrl+s")
        assert await closed(pilot)
    level, reason = app.results[0]
    assert level != file.case.severity and reason == "worse than thought"


# -- 4. assign -----------------------------------------------------------------------

USERS = ["alice", "bob", "Bobby Tables", HOSTILE]


async def test_assign_filters_users_and_takes_the_highlighted_one() -> None:
    app = Host(AssignDialog(USERS, current="bob", me="alice"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert_inert(app)
        assert "bob (current)" in shown(app)
        assert "alice (me)" in shown(app)
        await write(pilot, "BOB")
        await settle(pilot)
        assert [p.split(" (")[0] for p in prompts(app)] == ["bob", "Bobby Tables"]
        await pilot.press("down")
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == ["Bobby Tables"]


async def test_assign_takes_a_typed_name_nobody_has_yet() -> None:
    app = Host(AssignDialog(USERS, current=None, me="alice"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert "unassigned" in shown(app)
        await write(pilot, "  carol ")
        await settle(pilot)
        assert prompts(app) == []
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == ["carol"]


async def test_assign_enter_at_once_takes_me_and_escape_cancels() -> None:
    app = Host(AssignDialog(USERS, current="bob", me="alice"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == ["alice"]
    app = Host(AssignDialog(USERS, current="bob", me="alice"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await pilot.press("escape")
        assert await closed(pilot)
    assert app.results == [None]


# -- 5. reason -----------------------------------------------------------------------


async def test_reason_refuses_blank_then_returns_the_reason() -> None:
    app = Host(ReasonDialog("Escalate the case", "support-engineer -> product-support-engineer"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert "support-engineer -> product-support-engineer" in shown(app)
        await pilot.press("enter")
        await settle(pilot)
        assert "a reason is required" in shown(app)
        assert app.results == []
        await write(pilot, "needs a developer")
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == ["needs a developer"]


# -- 6. split ------------------------------------------------------------------------


async def test_split_needs_a_subject_and_returns_subject_and_description() -> None:
    app = Host(SplitDialog(40100, HOSTILE))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert_inert(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "the new case needs a subject" in shown(app)
        await write(pilot, "Second problem")
        await pilot.press("enter")  # on to the description
        await write(pilot, "seen on\nhost b")
        await pilot.press("ctrl+s")
        assert await closed(pilot)
    assert app.results == [("Second problem", "seen on\nhost b")]


# -- 7. copy -------------------------------------------------------------------------


async def test_copy_shows_the_text_inert_and_closes() -> None:
    app = Host(CopyDialog(HOSTILE, copied=True))
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot)
        assert_inert(app)
        assert "(OSC 52) if your terminal allows it; otherwise select" in shown(app)
        assert app.screen.query_one(Input).value == HOSTILE_SHOWN
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == [None]


# -- 8. attach -----------------------------------------------------------------------


async def test_attach_shows_the_error_and_returns_the_path() -> None:
    error = f"too big: {HOSTILE}"
    app = Host(AttachDialog("25 MB", initial="~/logs/app.log", error=error))
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot)
        assert_inert(app)
        assert "files up to 25 MB; ~ is your home" in shown(app)
        await write(pilot, "2")
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == ["~/logs/app.log2"]


async def test_attach_refuses_a_blank_path() -> None:
    app = Host(AttachDialog("25 MB"))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await write(pilot, "  ")
        await pilot.press("enter")
        await settle(pilot)
        assert "type the path of a file" in shown(app)
        assert app.results == []


# -- 9. choose an attachment ---------------------------------------------------------


async def test_choose_attachment_returns_the_index() -> None:
    items = [("app.log", "12 KB, sha256 1a2b3c4d"), (HOSTILE, "3 MB, sha256 ffee0011")]
    app = Host(ChooseAttachment(items))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert_inert(app)
        await pilot.press("down", "enter")
        assert await closed(pilot)
    assert app.results == [1]


# -- 10. draft offer -----------------------------------------------------------------


def offered() -> list[Draft]:
    return [
        Draft(40100, "reply", {"text": "\n  Dear customer,\nmore"}, NOW, 3),
        Draft(40100, "call", {"who": "Bob", "outcome": "", "text": HOSTILE}, NOW, 3),
    ]


async def test_draft_offer_resumes_or_discards_the_highlighted_draft() -> None:
    drafts = offered()
    app = Host(DraftOffer(drafts, when))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        text = shown(app)
        assert "You have unsaved text on this case" in text
        assert "reply to the customer, saved Mon 23 Nov 16:00, 22 characters" in text
        assert "Dear customer," in text
        assert_inert(app)
        await pilot.press("enter")
        assert await closed(pilot)
    assert app.results == [("resume", drafts[0])]

    app = Host(DraftOffer(drafts, when))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await pilot.press("down", "d")
        assert await closed(pilot)
    assert app.results == [("discard", drafts[1])]

    app = Host(DraftOffer(drafts, when))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        await pilot.press("escape")
        assert await closed(pilot)
    assert app.results == [None]


# -- 11. conflict --------------------------------------------------------------------


@pytest.mark.parametrize(("key", "result"), [("enter", True), ("a", True), ("escape", False)])
async def test_conflict_applies_again_or_goes_back(key: str, result: bool) -> None:
    message = f"bob changed the status to closed (note: {HOSTILE})"
    app = Host(ConflictDialog(message))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert_inert(app)
        assert "Your text is kept." in shown(app)
        await pilot.press(key)
        assert await closed(pilot)
    assert app.results == [result]


async def test_copy_shows_the_start_of_a_long_subject() -> None:
    subject = "Incident# 40100 - " + "start of the subject " + "x" * 200 + " THE END"
    app = Host(CopyDialog(subject, copied=True))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        assert await until(pilot, lambda: "Incident# 40100 - start of the subject" in shown(app))
        assert "THE END" not in shown(app)


# -- 12. why -------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
async def test_why_lists_the_explanations_and_closes(key: str) -> None:
    items = [
        ("first response", "30m of office hours from Mon 23 Nov 11:00"),
        ("update", f"every 2h; holiday: {HOSTILE}"),
    ]
    app = Host(WhyDialog("Why the clocks stand where they do", items))
    async with app.run_test(size=NARROW) as pilot:
        await started(pilot)
        text = shown(app)
        assert "30m of office hours from Mon 23 Nov 11:00" in text
        assert_inert(app)
        await pilot.press(key)
        assert await closed(pilot)
    assert app.results == [None]


# -- pictures ------------------------------------------------------------------------


def call_composer(tmp_path: Path) -> Host:
    drafts = Drafts("sqlite:///desk.db", root=tmp_path / "drafts")
    initial = {
        "who": "Bob Admin (Acme)",
        "outcome": "workaround agreed, fix next week",
        "text": "Called Bob about the outage.\nThey restart the job by hand until the fix ships.",
    }
    return Host(
        Composer(
            "call",
            40100,
            "Production down after the upgrade to 4.2 on every node of the cluster",
            drafts,
            lambda: NOW,
            base_version=7,
            initial=initial,
        )
    )


def before(*pressed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await started(pilot)
        await pilot.press(*pressed)
        await started(pilot)

    return run_before


@pytest.mark.usefixtures("colour")
def test_composer_call_80x24(snap_compare: Compare, tmp_path: Path) -> None:
    assert snap_compare(call_composer(tmp_path), terminal_size=NARROW, run_before=before())


@pytest.mark.usefixtures("colour")
def test_composer_call_120x40(snap_compare: Compare, tmp_path: Path) -> None:
    assert snap_compare(call_composer(tmp_path), terminal_size=WIDE, run_before=before())


@pytest.mark.usefixtures("colour")
def test_severity_80x24(snap_compare: Compare) -> None:
    assert snap_compare(Host(severity_dialog()), terminal_size=NARROW, run_before=before())


@pytest.mark.usefixtures("colour")
def test_severity_120x40(snap_compare: Compare) -> None:
    assert snap_compare(Host(severity_dialog()), terminal_size=WIDE, run_before=before())


def test_severity_no_color_80x24(snap_compare: Compare) -> None:
    # NO_COLOR=1 (the suite's default): the highlight and the focus still show.
    assert snap_compare(Host(severity_dialog()), terminal_size=NARROW, run_before=before())


def move_dialog() -> MoveDialog:
    return MoveDialog(Status.OPEN, allowed_moves(Status.OPEN))


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_move(snap_compare: Compare, size: tuple[int, int]) -> None:
    assert snap_compare(Host(move_dialog()), terminal_size=size, run_before=before("j"))


def test_move_no_color_80x24(snap_compare: Compare) -> None:
    assert snap_compare(Host(move_dialog()), terminal_size=NARROW, run_before=before("j"))


def test_assign_no_color_80x24(snap_compare: Compare) -> None:
    dialog = AssignDialog(["alice", "bob", "carol"], "bob", "alice")
    assert snap_compare(Host(dialog), terminal_size=NARROW, run_before=before())
