"""The case screen as an engineer works a case: what it shows, each action, conflicts, drafts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len, chop_cells
from sqlalchemy import insert, update
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from deskterm.desk import attachments, case_file, cases, queries
from deskterm.drafts import Drafts
from deskterm.locations import drafts_root
from deskterm.models import Case, Event
from deskterm.screens import case_compose as writing
from deskterm.screens import case_dialogs as dialogs
from deskterm.screens.case import CaseScreen
from deskterm.screens.text_viewer import TextViewerScreen
from deskterm.widgets.clock_panel import ClockPanel
from deskterm.widgets.document import Document, cut
from tests.hostile import has_control, together

from .conftest import (
    DISK_FULL,
    DOCS_TYPO,
    EXPORT_QUESTION,
    ME,
    NOW,
    PRODUCTION_DOWN,
    Seeded,
    make_app,
    paste,
    screen_lines,
    settle,
    table_of,
    until,
)

WIDE = (120, 40)
NARROW = (80, 24)


def selected_number(app: Any) -> int | None:
    row = table_of(app).selected
    return None if row is None else row.number


def screen_text(app: Any) -> str:
    return "\n".join(screen_lines(app))


def case_screen(app: Any) -> CaseScreen:
    screen = app.screen
    while not isinstance(screen, CaseScreen):
        screen = app.screen_stack[-2]
    return screen


async def open_case(pilot: Pilot[Any], number: int) -> CaseScreen:
    """The case screen on `number`, loaded."""
    app = pilot.app
    await settle(pilot)
    app.push_screen(CaseScreen(app.desk, number))  # type: ignore[attr-defined]
    assert await until(pilot, lambda: isinstance(app.screen, CaseScreen) and app.screen.file)
    await settle(pilot)
    return app.screen  # type: ignore[return-value]


def announced(app: Any) -> list[str]:
    """Every notice the console raises from now on (a notice on screen expires after
    its timeout, which a loaded machine can outlast between two looks)."""
    said: list[str] = []
    notify = app.notify

    def recording(message: str, *args: Any, **options: Any) -> None:
        said.append(message)
        notify(message, *args, **options)

    app.notify = recording
    return said


def timeline_text(screen: CaseScreen) -> str:
    document = screen.query_one("#timeline-doc", Document)
    return "\n".join(
        " ".join(piece for piece, _ in block.pieces()) + "\n" + block.body
        for block in document.blocks
    )


def events_of(seeded: Seeded, number: int) -> list[dict[str, Any]]:
    return queries.show_case(seeded.desk, number)["events"]


# -- what it shows ----------------------------------------------------------------


async def test_enter_opens_the_case_and_esc_returns_to_the_same_row(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("j")  # the second row: Production down
        await settle(pilot)
        await pilot.press("enter")
        assert await until(pilot, lambda: isinstance(app.screen, CaseScreen) and app.screen.file)
        await settle(pilot)
        text = screen_text(app)
        assert f"Incident# {PRODUCTION_DOWN}  Production down" in text
        assert "Bob Admin (administrator)" in text and "bob@acme.test" in text
        assert "Sev 1 Critical" in text and "UNASSIGNED" in text and "not escalated" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CaseScreen)
        assert selected_number(app) == PRODUCTION_DOWN


async def test_the_sla_panel_ticks_in_business_time(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        panel = screen.query_one(ClockPanel)
        first = panel.line_text(1)
        assert first.startswith("▲ first response") and "running" in first and "30m 00s" in first
        seeded.clock.advance(minutes=12, seconds=5)
        assert await until(pilot, lambda: "17m 55s" in panel.line_text(1))
        # Past due: breached, shown with its own mark and word.
        seeded.clock.advance(minutes=20)
        assert await until(pilot, lambda: panel.line_text(1).startswith("✖"))
        assert "BREACHED" in panel.line_text(1) and "-2m 05s" in panel.line_text(1)


async def test_the_sla_panel_counts_business_days_from_a_whole_business_day(
    seeded: Seeded,
) -> None:
    # Umbrella's Sev 3 answers by the next business day's close (Tuesday 17:00
    # Denver): sixteen business hours of 8-hour days, one business day off, not
    # "16h 00m" (issue 16, item 9). The due column beside it gives day and time.
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, DOCS_TYPO)
        panel = screen.query_one(ClockPanel)
        first = panel.line_text(1)
        assert first.startswith("  first response") and "1bd" in first, first
        assert "16h" not in first, first


async def test_intake_marks_every_empty_field(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await pilot.press("2")
        await settle(pilot)
        text = screen_text(app)
        for label in ("Description", "Inquirer", "Product version", "Steps to reproduce"):
            assert label in text
        assert "Inquirer" in text and "Bob Admin" in text  # taken from the contact
        assert text.count("(empty)") >= 9
        assert "Intake (10 empty)" in text or "Intake (" in text
        assert screen.query_one("#intake-doc", Document).has_focus


async def test_the_timeline_shows_each_kind_of_event_newest_last(seeded: Seeded) -> None:
    cases.note(seeded.desk, EXPORT_QUESTION, "asked Bob on chat as well")
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, EXPORT_QUESTION)
        text = timeline_text(screen)
        order = [text.index(tag) for tag in ("opened", "REPLY", "status", "note")]
        assert order == sorted(order)
        assert "Which version do you run?" in text and "asked Bob on chat as well" in text
        assert "alice replied to the customer" in text


# -- acting -----------------------------------------------------------------------------


async def test_t_takes_and_u_releases(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await pilot.press("t")
        assert await until(pilot, lambda: screen.file.case.assignee == ME)  # type: ignore[union-attr]
        assert await until(pilot, lambda: f"assigned to {ME}" in screen_text(app))
        await pilot.press("u")
        assert await until(pilot, lambda: screen.file.case.assignee is None)  # type: ignore[union-attr]
        kinds = [(e["kind"], e["new"]) for e in events_of(seeded, PRODUCTION_DOWN)]
        assert kinds[-2:] == [("assign", ME), ("assign", None)]


async def test_a_change_by_someone_else_appears_and_is_on_the_news_line(seeded: Seeded) -> None:
    # One line, updated in place, newest first: not a toast per change stacking over
    # the timeline.
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        said = announced(app)
        assert "Changed by others" not in screen_text(app)
        bob = seeded.as_user("bob")
        cases.move(bob, PRODUCTION_DOWN, "open")
        assert await until(pilot, lambda: screen.file.status.value == "open")  # type: ignore[union-attr]
        await settle(pilot)
        assert "bob changed status new -> open" in timeline_text(screen)
        assert (
            "Changed by others (1 change since you opened it): bob changed status new -> open"
            in screen_text(app)
        )
        cases.note(bob, PRODUCTION_DOWN, "looking at the logs")
        assert await until(pilot, lambda: "(2 changes since" in screen_text(app))
        assert "2 changes since you opened it): bob added an internal note; bob changed" in (
            screen_text(app)
        )
        assert said == []
        # Its own changes are not news.
        await pilot.press("t")
        assert await until(pilot, lambda: screen.file.case.assignee == ME)  # type: ignore[union-attr]
        await settle(pilot)
        assert "(2 changes since" in screen_text(app)


async def test_a_read_only_console_changes_nothing(seeded: Seeded) -> None:
    app = make_app(seeded.desk, readonly=True)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.push_screen(CaseScreen(seeded.desk, PRODUCTION_DOWN, readonly=True))
        assert await until(pilot, lambda: isinstance(app.screen, CaseScreen) and app.screen.file)
        before = len(events_of(seeded, PRODUCTION_DOWN))
        for key in "rncmsatuexf":
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen), key  # no dialog opened
        assert len(events_of(seeded, PRODUCTION_DOWN)) == before


# -- hostile and huge ---------------------------------------------------------------------

HOSTILE = together(
    ["OSC 0 title", "CSI clear screen", "8-bit CSI", "markup close", "bidi override"]
)


async def test_hostile_text_everywhere_renders_inert(seeded: Seeded) -> None:
    number = cases.open_case(
        seeded.desk,
        organization="Acme",
        contact="Bob Admin",
        severity=2,
        subject=HOSTILE,
        description=HOSTILE,
        intake={"error_messages": HOSTILE},
    ).number
    # A megabyte of description: over what a case takes now (desk/limits.py), but a
    # desk imported or written before that limit may hold one, and it must still show.
    with seeded.desk.engine.begin() as connection:
        connection.execute(
            update(Case)
            .where(Case.number == number)
            .values(description=HOSTILE + "\n" + "A" * 1_000_000)
        )
    cases.note(seeded.desk, number, HOSTILE)
    cases.assign(seeded.desk, number, HOSTILE[:40])
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, number)
        for tab in "123":
            await pilot.press(tab)
            await settle(pilot)
            assert not any(has_control(line) for line in screen_lines(app)), tab
        await pilot.press("1")
        await settle(pilot)
        text = screen_text(app)
        assert (
            "␛]0;PWNED-OSC0␇ ␛[2J␛[HPWNED-CLEAR ⟨9B⟩2JPWNED-C1CSI [/bold]PWNED-CLOSE[/] "
            "⟨202E⟩PWNED-RLO⟨202C⟩"
        ) in text
        assert app.is_running and isinstance(app.screen, CaseScreen)
        await pilot.press("2", "G")  # a megabyte of description scrolls to its end
        await settle(pilot)
        assert "AAAAAAAA" in screen_text(app)
        assert screen.file is not None


async def test_copying_a_megabyte_subject_copies_what_the_header_shows(seeded: Seeded) -> None:
    # The whole subject went to the clipboard and into the dialog's field: a megabyte
    # of OSC 52, and an input a megabyte wide; the console stopped answering.
    number = cases.open_case(
        seeded.desk, organization="Acme", contact="Bob Admin", severity=2, subject="Huge"
    ).number
    # Over what a case takes now (desk/limits.py); an imported or older desk may hold it.
    with seeded.desk.engine.begin() as connection:
        connection.execute(
            update(Case).where(Case.number == number).values(subject="S" * 1_000_000)
        )
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, number)
        await pilot.press("y")
        assert await until(pilot, lambda: isinstance(app.screen, dialogs.CopyDialog), 10)
        await settle(pilot)
        copied = f"Incident# {number} - " + "S" * 299 + "…"
        assert app.clipboard == copied
        assert app.screen.query_one(Input).value == copied


@given(st.text(alphabet=st.characters(blacklist_characters="\n")), st.integers(1, 200))
def test_a_long_line_is_cut_into_pieces_that_fit(line: str, width: int) -> None:
    pieces = list(cut(line, width))
    assert "".join(pieces) == line
    assert all(piece and cell_len(piece) <= max(width, 2) for piece in pieces)


def test_a_megabyte_with_a_placeholder_in_it_is_cut_as_rich_cuts_it() -> None:
    line = "W" * 1_000_000 + "␛]0;PWNED␇" + "日本" * 100
    assert list(cut(line, 156)) == chop_cells(line, 156)


def add_events(seeded: Seeded, number: int, count: int) -> None:
    """`count` notes written at once (the use case would replay the history each time)."""
    file = case_file.load(seeded.desk, number)
    rows = [
        {
            "case_id": file.case.id,
            "version": file.version,
            "at": NOW - timedelta(seconds=count - i),
            "actor": "bob",
            "kind": "note",
            "text": f"note number {i}",
        }
        for i in range(count)
    ]
    # Loaded in bulk, as an import would be (the search index's triggers index each
    # event's own text once: store/search_index.py).
    with seeded.desk.engine.begin() as connection:
        connection.execute(insert(Event), rows)


async def test_ten_thousand_events_open_and_scroll(seeded: Seeded) -> None:
    add_events(seeded, DISK_FULL, 10_000)
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, DISK_FULL)
        assert "note number 9999" in screen_text(app)  # newest at the bottom, shown first
        await pilot.press("g")
        await settle(pilot)
        assert "opened" in screen_text(app) and "note number 9999" not in screen_text(app)
        await pilot.press("G")
        await settle(pilot)
        assert "note number 9999" in screen_text(app)


# -- finding words in the timeline ----------------------------------------------------------


def find_status(screen: CaseScreen) -> str:
    return str(screen.query_one("#find-status").render())


def marked_words(app: Any) -> list[str]:
    """The words of the timeline painted as a search's matches (reverse video) now."""
    region = app.screen.query_one("#timeline-doc", Document).region
    words = []
    for strip in app.screen._compositor.render_strips()[region.y : region.bottom]:
        shown = strip.crop(region.x, region.right)
        words += [s.text for s in shown if s.style is not None and s.style.reverse]
    return [word for word in words if word.strip()]


async def test_slash_finds_words_in_the_timeline_and_n_steps_between_hits(seeded: Seeded) -> None:
    """`/` finds (any case, accents too), n / N go round the hits saying which one is shown,
    esc ends the search, and n writes a note again."""
    cases.note(seeded.desk, DISK_FULL, "Kerberos preauth failed on dc01")
    cases.note(seeded.desk, DISK_FULL, "cleared /var/log, nothing else")
    cases.reply(seeded.desk, DISK_FULL, "Could the KERBÉROS clock be off?")
    add_events(seeded, DISK_FULL, 200)  # the hits far apart: each must be scrolled to
    cases.note(seeded.desk, DISK_FULL, "kerberos fine after the NTP fix")
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_case(pilot, DISK_FULL)
        document = screen.query_one("#timeline-doc", Document)
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.focused, Input)
        await pilot.press(*"kerberos", "enter")
        await settle(pilot)
        assert app.focused is document
        # From the view (the newest, at the bottom): the last hit.
        assert find_status(screen) == "hit 3 of 3"
        assert "kerberos" in marked_words(app)
        await pilot.press("N")
        await settle(pilot)
        assert find_status(screen) == "hit 2 of 3"
        assert "KERBÉROS" in marked_words(app)  # scrolled to it, marked
        await pilot.press("N", "N")
        await settle(pilot)
        assert find_status(screen).startswith("hit 3 of 3")  # round the start
        await pilot.press("n")
        await settle(pilot)
        assert find_status(screen).startswith("hit 1 of 3")
        assert "Kerberos" in marked_words(app)
        assert isinstance(app.screen, CaseScreen)  # n stepped; it wrote no note
        await pilot.press("slash", *"zyzzyva", "enter")  # typed over the last words
        await settle(pilot)
        assert find_status(screen) == "no match: zyzzyva"
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.query_one("#find-bar").display
        assert not [word for word in marked_words(app) if "erberos" in word]
        assert isinstance(app.screen, CaseScreen)  # esc ended the search, not the case
        await pilot.press("n")
        assert await until(pilot, lambda: isinstance(app.screen, writing.Composer))


# -- text, drafts and conflicts -------------------------------------------------------------


async def compose(pilot: Pilot[Any], key: str, text: str) -> writing.Composer:
    await pilot.press(key)
    assert await until(pilot, lambda: isinstance(pilot.app.screen, writing.Composer))
    await paste(pilot, text)
    return pilot.app.screen  # type: ignore[return-value]


def drafts_of(seeded: Seeded) -> Drafts:
    return Drafts(seeded.desk.engine.url.render_as_string(hide_password=True), drafts_root())


async def test_r_replies_and_the_first_response_clock_stops(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await compose(pilot, "r", "We are on it.\nCalling you in 5 minutes.")
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: screen.file.version == 2)  # type: ignore[union-attr]
        last = events_of(seeded, PRODUCTION_DOWN)[-1]
        assert (last["kind"], last["text"]) == ("reply", "We are on it.\nCalling you in 5 minutes.")
        assert screen.query_one(ClockPanel).line_text(1).startswith("✓ first response")
        assert drafts_of(seeded).of_case(PRODUCTION_DOWN) == []


async def test_n_adds_an_internal_note_that_stops_no_clock(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await compose(pilot, "n", "customer sounded stressed")
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: screen.file.version == 2)  # type: ignore[union-attr]
        assert events_of(seeded, PRODUCTION_DOWN)[-1]["kind"] == "note"
        assert "running" in screen.query_one(ClockPanel).line_text(1)


async def test_a_draft_survives_the_console_and_is_offered_back(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, PRODUCTION_DOWN)
        await compose(pilot, "r", "half a reply when the session dropped")
        assert await until(pilot, lambda: bool(drafts_of(seeded).of_case(PRODUCTION_DOWN)))
    # A new console (the old one died without saving): opening the case offers the text.
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.push_screen(CaseScreen(seeded.desk, PRODUCTION_DOWN))
        assert await until(pilot, lambda: isinstance(app.screen, writing.DraftOffer))
        assert await until(pilot, lambda: "half a reply" in screen_text(app))
        await pilot.press("enter")
        assert await until(pilot, lambda: isinstance(app.screen, writing.Composer))
        editor = app.screen.query_one(TextArea)
        assert editor.text == "half a reply when the session dropped"
        await pilot.press("ctrl+s")
        assert await until(
            pilot, lambda: events_of(seeded, PRODUCTION_DOWN)[-1]["kind"] == "reply", 3
        )
        assert drafts_of(seeded).of_case(PRODUCTION_DOWN) == []


async def test_saving_over_someone_elses_change_is_a_conflict_and_one_key_reapplies(
    seeded: Seeded,
) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await compose(pilot, "r", "my careful answer")
        # While the engineer writes, Bob answers the customer.
        cases.reply(seeded.as_user("bob"), PRODUCTION_DOWN, "bob's quick answer")
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: isinstance(app.screen, writing.ConflictDialog))
        assert await until(pilot, lambda: "bob replied to the customer" in screen_text(app))
        assert [e["text"] for e in events_of(seeded, PRODUCTION_DOWN)][-1] == "bob's quick answer"
        assert drafts_of(seeded).get(PRODUCTION_DOWN, "reply") is not None  # text kept
        await pilot.press("enter")
        assert await until(
            pilot,
            lambda: events_of(seeded, PRODUCTION_DOWN)[-1]["text"] == "my careful answer",
            3,
        )
        assert await until(pilot, lambda: screen.file.version == 3)  # type: ignore[union-attr]
        assert drafts_of(seeded).get(PRODUCTION_DOWN, "reply") is None


# -- files ----------------------------------------------------------------------------------


async def test_f_attaches_a_file_and_v_views_it(seeded: Seeded, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("line one\nERROR \x1b[31mred\x1b[0m failure\n")
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await pilot.press("f")
        assert await until(pilot, lambda: isinstance(app.screen, dialogs.AttachDialog))
        await paste(pilot, str(tmp_path / "missing.log"))
        await pilot.press("enter")
        # Refused: the dialog comes back with the reason and the path typed.
        assert await until(
            pilot,
            lambda: (
                "missing.log" in screen_text(app) and isinstance(app.screen, dialogs.AttachDialog)
            ),
            3,
        )
        assert attachments.attachments_of(seeded.desk, PRODUCTION_DOWN) == []
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f")
        assert await until(pilot, lambda: isinstance(app.screen, dialogs.AttachDialog))
        await paste(pilot, str(log))
        await pilot.press("enter")
        assert await until(pilot, lambda: len(screen.file.attachments) == 1)  # type: ignore[union-attr]
        await pilot.press("v")
        assert await until(
            pilot, lambda: isinstance(app.screen, (TextViewerScreen, dialogs.ChooseAttachment)), 3
        )
        if isinstance(app.screen, dialogs.ChooseAttachment):
            await pilot.press("enter")
            assert await until(pilot, lambda: isinstance(app.screen, TextViewerScreen))
        await settle(pilot)
        text = screen_text(app)
        assert "ERROR ␛[31mred␛[0m failure" in text
        assert not any(has_control(line) for line in screen_lines(app))


async def test_a_binary_attachment_is_not_dumped(seeded: Seeded, tmp_path: Path) -> None:
    blob = tmp_path / "core.dump"
    blob.write_bytes(b"\x7fELF\x00\x00\x1b[2J" * 1000)
    attachments.attach(seeded.desk, PRODUCTION_DOWN, str(blob))
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, PRODUCTION_DOWN)
        await pilot.press("3")
        await settle(pilot)
        assert "core.dump" in screen_text(app)
        await pilot.press("v")
        await settle(pilot)
        assert not isinstance(app.screen, TextViewerScreen)
        assert any("binary" in n.message for n in app._notifications)


# -- the other actions, from the case screen ------------------------------------------------


async def dialog(pilot: Pilot[Any], key: str, kind: type) -> Any:
    await pilot.press(key)
    assert await until(pilot, lambda: isinstance(pilot.app.screen, kind)), key
    await settle(pilot)
    return pilot.app.screen


async def written(pilot: Pilot[Any], screen: CaseScreen, version: int) -> None:
    assert await until(pilot, lambda: screen.file is not None and screen.file.version == version)


async def test_c_logs_a_call_with_who_and_outcome(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await dialog(pilot, "c", writing.Composer)
        # Who was on the call is the case's contact, filled in (issue 20): the
        # summary has the focus, the outcome is the field before it.
        await paste(pilot, "Walked through the logs together.")
        await pilot.press("shift+tab")
        await paste(pilot, "restart scheduled")
        await pilot.press("ctrl+s")
        await written(pilot, screen, 2)
        last = events_of(seeded, PRODUCTION_DOWN)[-1]
        assert (last["kind"], last["new"]) == ("call", "Bob Admin")
        assert last["text"] == "Walked through the logs together.\nOutcome: restart scheduled"
        # A call is a response: the first-response clock is met.
        assert screen.query_one(ClockPanel).line_text(1).startswith("✓ first response")


async def test_m_offers_only_the_allowed_moves_and_moves(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, EXPORT_QUESTION)  # waiting on the customer
        move = await dialog(pilot, "m", dialogs.MoveDialog)
        offered = [s.value for s in move.allowed]
        assert offered == [
            "open",
            "software-change-required",
            "resolved-pending-confirmation",
            "closed",
        ]
        assert "waiting-on-customer" not in offered  # where it is already
        await pilot.press("down", "down")  # resolved
        await pilot.press("enter")
        await written(pilot, screen, 4)
        last = events_of(seeded, EXPORT_QUESTION)[-1]
        assert (last["kind"], last["old"], last["new"]) == (
            "status",
            "waiting-on-customer",
            "resolved-pending-confirmation",
        )
        # Resolved: only re-open or close remain.
        move = await dialog(pilot, "m", dialogs.MoveDialog)
        assert [s.value for s in move.allowed] == ["open", "closed"]


async def test_s_changes_severity_with_a_reason_and_the_deadline_follows(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, DISK_FULL)  # Umbrella Sev 2: 8 business hours
        before = screen.file.clocks(NOW)  # type: ignore[union-attr]
        await dialog(pilot, "s", dialogs.SeverityDialog)
        await pilot.press("enter")  # the first level offered: Sev 1
        await paste(pilot, "whole site down now")
        await pilot.press("enter")
        await written(pilot, screen, 3)
        last = events_of(seeded, DISK_FULL)[-1]
        assert (last["kind"], last["old"], last["new"], last["text"]) == (
            "severity",
            "2",
            "1",
            "whole site down now",
        )
        after = screen.file.clocks(NOW)  # type: ignore[union-attr]
        first = "first_response"
        assert after[first].due < before[first].due  # type: ignore[index, operator]
        assert "Sev 1" in screen_text(app)


async def test_s_refuses_a_severity_change_without_a_reason(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, DISK_FULL)
        await dialog(pilot, "s", dialogs.SeverityDialog)
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, dialogs.SeverityDialog)
        assert [e["kind"] for e in events_of(seeded, DISK_FULL)][-1] == "assign"


async def test_a_assigns_to_a_user_typed_or_seen(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        assign = await dialog(pilot, "a", dialogs.AssignDialog)
        assert "bob" in assign.users  # seen on this desk (assigned Typo in docs)
        await paste(pilot, "bo")
        await pilot.press("enter")
        await written(pilot, screen, 2)
        assert screen.file.case.assignee == "bob"  # type: ignore[union-attr]


async def test_e_escalates_one_level_with_a_reason(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await dialog(pilot, "e", dialogs.ReasonDialog)
        assert "support-engineer -> product-support-engineer" in screen_text(app)
        await paste(pilot, "storage layer expertise")
        await pilot.press("enter")
        await written(pilot, screen, 2)
        assert screen.file.case.escalation == "product-support-engineer"  # type: ignore[union-attr]
        assert events_of(seeded, PRODUCTION_DOWN)[-1]["text"] == "storage layer expertise"


async def test_x_splits_off_a_new_case(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await dialog(pilot, "x", dialogs.SplitDialog)
        await paste(pilot, "Reports also slow")
        await pilot.press("ctrl+s")
        await written(pilot, screen, 2)
        child = screen.file.children[0]  # type: ignore[union-attr]
        assert queries.show_case(seeded.desk, child)["subject"] == "Reports also slow"
        assert f"split off {child}" in screen_text(app)


async def test_y_copies_the_mail_subject(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, PRODUCTION_DOWN)
        await dialog(pilot, "y", dialogs.CopyDialog)
        assert app.clipboard == f"Incident# {PRODUCTION_DOWN} - Production down"


async def test_w_explains_the_clocks(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await open_case(pilot, PRODUCTION_DOWN)
        await dialog(pilot, "w", dialogs.WhyDialog)
        assert await until(pilot, lambda: "30m of office hours" in screen_text(app))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
