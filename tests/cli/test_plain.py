"""Into a pipe, `case show` and `case list` print what Rich would print, without
loading Rich (deskterm.cli.plain); on a terminal Rich prints them, in its styles."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deskterm.cli.plain import Column, Grid, Item, Page, Said, plain_text, print_page

# Letters, spaces, newlines and what Rich treats apart: wide and zero-width
# characters, tabs, controls it strips, markup ([) and emoji codes (:smile:).
ALPHABET = "ab z\n\né中→\u0301\u200b\t\x07\r[]:\\"
texts = st.text(ALPHABET, max_size=30)
words = st.text("abz :[]\u00e9", max_size=12)  # deskterm's own words (markup to Rich)
styles = st.sampled_from(["", "bold", "bold red"])


def rich_printed(page: Page) -> str:
    """What Rich prints for the page into a pipe (deskterm.cli.output.console)."""
    from deskterm.cli.output import console

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        print_page(page, console())
    return buffer.getvalue()


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    count = draw(st.integers(1, 4))
    columns = [Column(draw(words), draw(styles), draw(st.booleans())) for _ in range(count)]
    cell = st.one_of(st.builds(Said, texts, styles), words)
    rows = draw(st.lists(st.lists(cell, min_size=count, max_size=count), max_size=4))
    return Grid(columns, rows, show_header=draw(st.booleans()))


items: st.SearchStrategy[Item] = st.one_of(st.builds(Said, texts, styles), words, grids())


@pytest.fixture(autouse=True)
def _no_forced_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)


@settings(max_examples=400, deadline=None)
@given(st.lists(items, max_size=4))
@example([Said("Incident# 40100 - Alerts", "bold"), Said("\nDescription", "bold underline")])
@example([Grid([Column("sev"), Column("case")], [[Said("P3"), "41809"], [Said("Sev 1"), "7"]])])
@example(
    [Grid([Column(style="bold"), Column()], [["k", Said("a\n\nb\n")], ["key2", Said("")]], False)]
)
# Found by the test under two CPU hogs: a column whose every line is zero-width.
@example([Grid([Column(), Column(), Column()], [["", Said(""), Said("\u0301")]], False)])
# Found by the test under two CPU hogs: a blank line in a column of width 0.
@example([Grid([Column(), Column(), Column()], [[Said(""), Said(""), Said("\n")]], False)])
def test_plain_text_is_what_rich_prints_into_a_pipe(page: list[Item]) -> None:
    plain = plain_text(page)
    if plain is not None:  # else Rich prints it (the page holds what plain cannot vouch for)
        assert plain == rich_printed(page)


def test_a_usual_page_is_printed_without_rich() -> None:
    """The test above is not empty: what `case show` and `case list` print goes plain."""
    page: Page = [
        Said("Incident# 40100 - Attachments over 10 MB fail to upload", "bold"),
        Grid(
            [Column(style="bold", no_wrap=True), Column()],
            [
                ["organization", Said("Quillsoft")],
                ["received", Said("Thu 22 Oct 2026 16:31 UTC")],
                ["first response", Said("met, due Tue 27 Oct\nP4 has no update target")],
            ],
            show_header=False,
        ),
        Said("\nTimeline", "bold underline"),
        "20 open cases (the console's All open view); closed ones with --status closed",
    ]
    plain = plain_text(page)
    assert plain is not None
    assert plain == rich_printed(page)


def test_a_page_plain_cannot_vouch_for_is_printed_by_rich(
    capsys: pytest.CaptureFixture[str],
) -> None:
    page: Page = [Grid([Column("name"), Column("value")], [["tab", Said("a\tb")]])]
    assert plain_text(page) is None
    print_page(page)
    assert capsys.readouterr().out == rich_printed(page)


def test_a_terminal_gets_richs_styles(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    print_page([Said("Incident# 40100", "bold")])
    assert capsys.readouterr().out == "\x1b[1mIncident# 40100\x1b[0m\n"


def test_a_terminal_prints_emoji_codes_as_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rich would make `:fire:` a flame: deskterm's own words hold no such code, and
    # one in a line built from a customer's text must stay as the customer typed it.
    monkeypatch.setenv("FORCE_COLOR", "1")
    print_page([":fire: since 10:30:00 :smile:"])
    assert capsys.readouterr().out == ":fire: since 10:30:00 :smile:\n"
