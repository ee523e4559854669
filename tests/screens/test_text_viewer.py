"""The log viewer: moving, searching, hostile and huge texts, through Pilot; and its pictures.

The viewer runs on its own in a small app (it needs no desk): the case screen
pushes the same `TextViewerScreen`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Input

import deskterm
from deskterm.screens.text_viewer import TextViewerScreen
from deskterm.widgets.text_viewer import TextViewer, find_all, fold, prepare, split_lines
from tests.hostile import SHORT, assert_inert_segments, together, visible
from tests.screens.conftest import screen_lines, settle, until

WIDE = (120, 40)
NARROW = (80, 24)
Compare = Callable[..., bool]


class ViewerApp(App[None]):
    CSS_PATH = str(Path(deskterm.__file__).parent / "deskterm.tcss")

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.viewer_title = title
        self.viewer_text = text

    def on_mount(self) -> None:
        self.push_screen(TextViewerScreen(self.viewer_title, self.viewer_text))


def viewer_app(text: str, title: str = "server.log") -> ViewerApp:
    app = ViewerApp(title, text)
    app.animation_level = "none"
    return app


def viewer_of(app: App[Any]) -> TextViewer:
    return app.screen.query_one(TextViewer)


def status(app: App[Any]) -> str:
    """The status line, as painted."""
    return screen_lines(app)[app.screen.query_one("#viewer-status").region.y]


def messages(app: App[Any]) -> list[str]:
    return [notification.message for notification in app._notifications]


def shown_numbers(app: App[Any]) -> list[int]:
    """The line numbers in the viewer's gutter, as painted."""
    viewer = viewer_of(app)
    region = viewer.scrollable_content_region
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    numbers = []
    for strip in strips:
        gutter = strip.crop(region.x, region.x + viewer.gutter_width).text
        if "│" in gutter and gutter.split("│")[0].strip():
            numbers.append(int(gutter.split("│")[0]))
    return numbers


def viewer_text(app: App[Any]) -> str:
    return "\n".join(screen_lines(app))


async def search(pilot: Pilot[Any], term: str) -> None:
    await pilot.press("slash")
    field = pilot.app.screen.query_one("#viewer-search", Input)
    field.value = term
    await pilot.press("enter")
    await settle(pilot)


# 200 lines; "timeout" (in several cases) on lines 40, 90 and 150, twice on 90.
def numbered_log() -> str:
    lines = [
        f"2026-11-20 16:{i // 60:02d}:{i % 60:02d} INFO  heartbeat {i} ok" for i in range(1, 201)
    ]
    lines[39] = "2026-11-20 16:00:40 ERROR Timeout talking to db-2"
    lines[89] = "2026-11-20 16:01:30 ERROR TIMEOUT again; timeout twice"
    lines[149] = "2026-11-20 16:02:30 WARN  near timeout"
    return "\n".join(lines) + "\n"


# -- moving ---------------------------------------------------------------------


async def test_keys_move_through_the_text() -> None:
    app = viewer_app(numbered_log())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        viewer = viewer_of(app)
        height = viewer.scrollable_content_region.height
        assert shown_numbers(app) == list(range(1, height + 1))
        assert "server.log  line 1 of 200" in status(app)
        assert "200 lines" in viewer_text(app)

        await pilot.press("j", "down")
        await settle(pilot)
        assert shown_numbers(app)[0] == 3
        await pilot.press("k")
        await settle(pilot)
        assert shown_numbers(app)[0] == 2

        await pilot.press("pagedown")
        await settle(pilot)
        assert shown_numbers(app)[0] == 2 + height
        await pilot.press("pageup")
        await settle(pilot)
        assert shown_numbers(app)[0] == 2

        await pilot.press("G")
        await settle(pilot)
        assert shown_numbers(app)[-1] == 200
        assert f"line {200 - height + 1} of 200" in status(app)
        await pilot.press("g")
        await settle(pilot)
        assert shown_numbers(app)[0] == 1
        assert "line 1 of 200" in status(app)


async def test_long_lines_scroll_sideways_and_the_gutter_stays() -> None:
    text = "start " + "".join(f"{i:>4}|" for i in range(100)) + " end\nshort\n"
    app = viewer_app(text)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert "start" in viewer_text(app)
        assert " end" not in viewer_text(app)
        await pilot.press("l", "right", "right")
        await settle(pilot)
        viewer = viewer_of(app)
        assert viewer.scroll_offset.x == 24
        lines = screen_lines(app)
        assert "start" not in "\n".join(lines)
        # The numbers stay put while the text moves under them.
        assert any(line.startswith("  1│") for line in lines)
        assert any(line.startswith("  2│") for line in lines)
        await pilot.press("h")
        await settle(pilot)
        assert viewer.scroll_offset.x == 16
        for _ in range(80):
            await pilot.press("l")
        await settle(pilot)
        assert viewer.scroll_offset.x == viewer.max_scroll_x > 0
        assert " 99| end" in viewer_text(app)


def strips_of(viewer: TextViewer) -> list[Strip]:
    return [viewer.render_line(y) for y in range(viewer.scrollable_content_region.height)]


async def test_wide_characters_keep_every_line_its_width() -> None:
    # An odd start puts the edges inside double-width characters at every sideways step.
    text = "a" + "山田太郎" * 40 + "\n" + "b" * 300 + "\n" + "é\u0301 tab\there\n"
    app = viewer_app(text)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        viewer = viewer_of(app)
        width = viewer.scrollable_content_region.width
        for _ in range(6):
            strips = strips_of(viewer)
            assert all(strip.cell_length == width for strip in strips)
            for strip in strips[: viewer.line_count]:
                assert strip.text[viewer.gutter_width - 2] == "│"
            await pilot.press("l")
            await settle(pilot)
        assert viewer.scroll_offset.x == 6 * 8
        # The whole width of the wide line is reachable.
        assert viewer.virtual_size.width >= viewer.gutter_width + 1 + 160 * 2


async def test_tabs_are_spaces_to_the_next_stop() -> None:
    app = viewer_app("a\tb\n山\tc\n\tdone\n")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        texts = [strip.text for strip in strips_of(viewer_of(app))]
        assert texts[0].startswith("  1│ a       b ")
        assert texts[1].startswith("  2│ 山      c ")  # the wide char takes two of the eight
        assert texts[2].startswith("  3│         done")
        assert not any("\t" in text for text in texts)


# -- search ---------------------------------------------------------------------


async def test_search_finds_scrolls_and_counts() -> None:
    app = viewer_app(numbered_log())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        viewer = viewer_of(app)
        await search(pilot, "timeout")
        assert viewer.match_line == 39
        assert 40 in shown_numbers(app)
        assert 1 not in shown_numbers(app)
        assert "match 1 of 4" in status(app)
        # The focus is back on the text: n is a key, not a letter typed.
        assert app.focused is viewer

        await pilot.press("n")
        await settle(pilot)
        assert viewer.match_line == 89 and 90 in shown_numbers(app)
        assert "match 2 of 4" in status(app)
        await pilot.press("n")  # the second match on the same line
        await settle(pilot)
        assert viewer.match_line == 89
        assert "match 3 of 4" in status(app)
        await pilot.press("n")
        await settle(pilot)
        assert viewer.match_line == 149 and 150 in shown_numbers(app)
        assert "search wrapped" not in messages(app)

        await pilot.press("n")
        await settle(pilot)
        assert viewer.match_line == 39 and 40 in shown_numbers(app)
        assert "match 1 of 4" in status(app)
        assert messages(app).count("search wrapped") == 1

        await pilot.press("N")
        await settle(pilot)
        assert viewer.match_line == 149 and 150 in shown_numbers(app)
        assert "match 4 of 4" in status(app)
        assert messages(app).count("search wrapped") == 2
        await pilot.press("N")
        await settle(pilot)
        assert "match 3 of 4" in status(app)


async def test_search_starts_from_the_top_line_shown() -> None:
    app = viewer_app(numbered_log())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        viewer = viewer_of(app)
        viewer.scroll_to(y=100, animate=False)
        await settle(pilot)
        await search(pilot, "TIMEOUT")
        assert viewer.match_line == 149
        assert "match 4 of 4" in status(app)
        assert "search wrapped" not in messages(app)
        # Past the last match: the search wraps to the first.
        viewer.scroll_to(y=160, animate=False)
        await settle(pilot)
        await search(pilot, "timeout")
        assert viewer.match_line == 39
        assert "search wrapped" in messages(app)


async def test_matches_are_reversed_so_they_show_without_colour() -> None:
    app = viewer_app(numbered_log())
    async with app.run_test(size=NARROW) as pilot:
        assert app.no_color
        await settle(pilot)
        viewer = viewer_of(app)
        await search(pilot, "timeout")
        await pilot.press("n")  # line 90 holds two matches; the first is current
        await settle(pilot)
        y = 89 - viewer.scroll_offset.y
        segments = list(viewer.render_line(y))
        matched = [s for s in segments if s.text.lower() == "timeout"]
        assert [s.text for s in matched] == ["TIMEOUT", "timeout"]
        current, other = (s.style for s in matched)
        assert current is not None and other is not None
        assert current.reverse and current.bold and current.underline
        assert other.reverse and not other.underline
        plain = [s for s in segments if "again" in s.text]
        assert plain and not (plain[0].style and plain[0].style.reverse)


async def test_not_found_says_so_with_the_term_made_safe() -> None:
    app = viewer_app(numbered_log())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        viewer = viewer_of(app)
        await search(pilot, "no such \x1b]0;x\x07 [bold]")
        assert viewer.match_count == 0
        assert "no match" in status(app)
        assert "not found: no such ␛]0;x␇ [bold]" in messages(app)
        assert viewer.scroll_offset.y == 0
        await pilot.press("n")
        await settle(pilot)
        assert messages(app).count("not found: no such ␛]0;x␇ [bold]") == 2


async def test_esc_closes_the_search_then_the_viewer() -> None:
    app = viewer_app(numbered_log())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TextViewerScreen)
        viewer = viewer_of(app)
        await pilot.press("slash")
        await settle(pilot)
        assert screen.search_open
        assert isinstance(app.focused, Input)
        await pilot.press(*"timeout", "enter")
        await settle(pilot)
        assert viewer.match_count == 4
        assert screen.search_open  # still showing the term
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.search_open
        assert viewer.match_count is None  # no highlight left
        assert app.focused is viewer
        # n takes the last term up again.
        await pilot.press("n")
        await settle(pilot)
        assert viewer.match_count == 4
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen
        assert not isinstance(app.screen, TextViewerScreen)


async def test_q_closes_the_viewer_but_types_in_the_search() -> None:
    app = viewer_app(numbered_log())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("slash", "q")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#viewer-search", Input).value == "q"
        await pilot.press("escape", "q")
        await settle(pilot)
        assert app.screen is not screen


# -- hostile text -------------------------------------------------------------------

# Each short payload on a line of its own, after its name.
HOSTILE_TEXT = "".join(f"{name}: {payload.text}\n" for name, payload in SHORT.items())
TITLE_PAYLOADS = ("OSC 0 title", "bidi override", "markup close")


async def test_hostile_text_and_title_reach_the_screen_inert() -> None:
    app = viewer_app(HOSTILE_TEXT, title=together(TITLE_PAYLOADS, ""))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        viewer = viewer_of(app)
        assert viewer.line_count == len(SHORT)  # a CR, FF, NEL or U+2028 breaks no line
        painted = app.screen._compositor.render_strips()
        for strip in painted:
            assert_inert_segments(strip)
        for strip in strips_of(viewer):
            assert_inert_segments(strip)
        text = visible(viewer_text(app))
        for name, payload in SHORT.items():
            assert visible(f"{name}: {payload.shown}") in text, name
        assert "".join(SHORT[name].shown for name in TITLE_PAYLOADS) in text
        # Searching for what is shown finds it: the placeholder, not the byte.
        await search(pilot, "␛]52")
        assert viewer.match_line == list(SHORT).index("OSC 52 clipboard")
        await search(pilot, "\x1b[2j")  # a pasted ESC is looked for as ␛
        assert viewer.match_line == list(SHORT).index("CSI clear screen")
        for strip in app.screen._compositor.render_strips():
            assert_inert_segments(strip)
        assert "\x1b" not in app.export_screenshot()


async def test_markup_in_the_text_is_shown_as_written() -> None:
    text = "[bold]x[/bold]\n[link=http://x]click[/link]\n[@click=app.quit]quit[/]\n[/bold] stray\n"
    app = viewer_app(text)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        strips = strips_of(viewer_of(app))
        assert strips[0].text.startswith("  1│ [bold]x[/bold] ")
        assert strips[1].text.startswith("  2│ [link=http://x]click[/link] ")
        assert strips[2].text.startswith("  3│ [@click=app.quit]quit[/] ")
        assert strips[3].text.startswith("  4│ [/bold] stray ")
        for strip in strips:
            assert_inert_segments(strip)
            assert not any(s.style and s.style.bold for s in strip if "x" in s.text)
        await pilot.click(TextViewer, offset=(10, 2))  # on the would-be action
        await settle(pilot)
        assert app.is_running


# -- size -------------------------------------------------------------------------


async def test_a_one_megabyte_line_opens_and_its_far_end_is_found() -> None:
    text = "x" * 900_000 + "NEEDLE\x1b[0m" + "y" * 100_000
    app = viewer_app(text)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        viewer = viewer_of(app)
        assert viewer.line_count == 1
        assert viewer.virtual_size.width > 1_000_000
        await pilot.press("G", "l")
        await settle(pilot)
        assert viewer.scroll_offset.x == 8
        assert "line 1 of 1" in status(app)
        await search(pilot, "needle")
        assert viewer.match_line == 0
        assert "match 1 of 1" in status(app)
        assert viewer.scroll_offset.x > 890_000
        assert "NEEDLE␛[0m" in viewer_text(app)
        for strip in app.screen._compositor.render_strips():
            assert_inert_segments(strip)


async def test_two_hundred_thousand_lines_open_and_jump_to_the_end() -> None:
    lines = [f"2026-11-20T16:00:{i % 60:02d}Z INFO worker {i} done" for i in range(200_000)]
    lines[123_456] = "2026-11-20T16:00:00Z ERROR worker 123456 panicked"
    app = viewer_app("\n".join(lines))
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        viewer = viewer_of(app)
        assert viewer.line_count == 200_000
        assert "200,000 lines" in viewer_text(app)
        # Lazy: only the lines painted were sanitized and measured, not the file.
        assert 0 < len(viewer._prepared) <= 2 * viewer.scrollable_content_region.height
        await pilot.press("G")
        await settle(pilot)
        assert shown_numbers(app)[-1] == 200_000
        assert "worker 199999 done" in viewer_text(app)
        await pilot.press("g")
        await settle(pilot)
        # Large texts are searched in a thread; the result arrives as a message.
        await search(pilot, "panicked")
        assert await until(pilot, lambda: viewer.match_line == 123_456)
        await settle(pilot)
        assert 123_457 in shown_numbers(app)
        assert "match 1 of 1" in status(app)
        assert "search wrapped" not in messages(app)


async def test_an_empty_text_opens_and_finds_nothing() -> None:
    app = viewer_app("")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert viewer_of(app).line_count == 0
        assert "line 0 of 0" in status(app)
        await pilot.press("G", "l", "n")
        await search(pilot, "x")
        assert "not found: x" in messages(app)


# -- the parts --------------------------------------------------------------------


def test_only_a_line_feed_breaks_a_line() -> None:
    assert split_lines("a\r\nb\rc\n\nd") == ("a\nb\rc\n\nd", ["a", "b\rc", "", "d"])
    assert split_lines("") == ("", [])
    assert split_lines("one\n")[1] == ["one"]


def test_find_all_gives_the_line_of_each_match() -> None:
    corpus = fold("Aa\nbAAa\n\naaa")
    assert list(find_all(corpus, "aa") or []) == [0, 1, 3]
    assert list(find_all(corpus, "zz") or []) == []
    # İ lowers to two chars; folding keeps one, so places stay places.
    assert fold("İx") == "ix"


def test_prepared_lines_measure_cells() -> None:
    line = prepare("ab山\tx")
    assert line.shown == "ab山    x"
    assert line.cells == 9
    assert line.shown_index(4) == 7  # the x, after the expanded tab
    assert line.cells_before(3) == 4


# -- pictures ------------------------------------------------------------------------

SMALL_LOG = "\n".join(
    [
        "2026-11-20 15:58:01 INFO  deskd starting, version 4.2.1",
        "2026-11-20 15:58:02 INFO  loaded 3 policies from /etc/deskd/policies",
        "2026-11-20 15:58:05 WARN  upstream slow: 2300 ms (limit 2000 ms)",
        "2026-11-20 15:58:07 ERROR request 8812 failed: Timeout talking to db-2",
        "2026-11-20 15:58:07 DEBUG\tretry=1\tbackoff=250ms",
        "2026-11-20 15:58:08 INFO  user 山田太郎 logged in from 10.0.0.7",
        "2026-11-20 15:58:09 WARN  customer note: \x1b]0;pwned\x07 [bold]hi[/bold] \u202egpj.exe",
        "2026-11-20 15:58:10 ERROR request 8813 failed: timeout talking to db-2 after 3"
        " retries; giving up and returning 504 to the client, which retries with backoff",
        *(f"2026-11-20 15:59:{s:02d} INFO  heartbeat ok, queue depth {s % 7}" for s in range(30)),
        "2026-11-20 16:00:00 ERROR timeout again",
    ]
)


def searched(term: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        field = pilot.app.screen.query_one("#viewer-search", Input)
        field.cursor_blink = False
        await pilot.press("slash", *term, "enter", "n")
        await settle(pilot)

    return run_before


@pytest.mark.usefixtures("colour")
def test_viewer_searching_120x40(snap_compare: Compare) -> None:
    app = viewer_app(SMALL_LOG, title="deskd-2026-11-20.log")
    assert snap_compare(app, terminal_size=WIDE, run_before=searched("timeout"))


@pytest.mark.usefixtures("colour")
def test_viewer_searching_80x24(snap_compare: Compare) -> None:
    app = viewer_app(SMALL_LOG, title="deskd-2026-11-20.log")
    assert snap_compare(app, terminal_size=NARROW, run_before=searched("timeout"))


def test_viewer_searching_no_color_80x24(snap_compare: Compare) -> None:
    app = viewer_app(SMALL_LOG, title="deskd-2026-11-20.log")
    assert app.no_color
    assert snap_compare(app, terminal_size=NARROW, run_before=searched("timeout"))
