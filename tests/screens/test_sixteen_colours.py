"""Issue 16, item 5, on a terminal of 16 colours (TERM=xterm, TEXTUAL_COLOR_SYSTEM=standard).

The console's colours are picked for a true-colour terminal; on 16 colours the
terminal gets the nearest of its palette. There the orange of a warning row and
the red of a breached one both became bright red, and the selection a dark grey
bar. Like NO_COLOR, 16 colours get their own look: breached rows bold and
underlined in red, warnings yellow, the selection in reverse video. What is
checked is each painted line's style as the terminal would get it (downgraded to
the 16-colour palette), not a picture.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual import constants
from textual.pilot import Pilot

from deskterm.widgets.choice_list import ChoiceList
from tests.screens.conftest import (
    LOGIN_BROKEN,
    PRODUCTION_DOWN,
    SLOW_REPORTS,
    Seeded,
    make_app,
    settle,
    table_of,
)

NARROW = (80, 24)


@pytest.fixture
def sixteen_colours(monkeypatch: pytest.MonkeyPatch, colour: None) -> None:
    """What `TEXTUAL_COLOR_SYSTEM=standard` (or TERM=xterm) gives the app's console."""
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "standard")


def row_style(app: Any, number: int) -> Style:
    """The style of the countdown on case `number`'s line, as painted."""
    table = table_of(app)
    top = round(table.scroll_y)
    for index in range(top, top + table.scrollable_content_region.height):
        row = table.row_at(index)
        if row is not None and row.number == number:
            segment = next(iter(table.render_line(index - top)))
            assert segment.style is not None
            return segment.style
    raise AssertionError(f"case {number} is not on screen")


def palette_number(style: Style, background: bool = False) -> int | None:
    """The colour the 16-colour terminal gets: a number of its palette."""
    color = style.bgcolor if background else style.color
    if color is None:
        return None
    return color.downgrade(ColorSystem.STANDARD).number


async def select(pilot: Pilot[Any], number: int) -> None:
    table = table_of(pilot.app)
    while table.selected is not None and table.selected.number != number:
        await pilot.press("j")
    await settle(pilot)


@pytest.mark.usefixtures("sixteen_colours")
async def test_breached_rows_stand_out_and_the_selection_is_reverse_video(
    seeded: Seeded,
) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert app.console.color_system == "standard"
        await select(pilot, SLOW_REPORTS)  # a healthy row: the others unselected
        breached = row_style(app, LOGIN_BROKEN)
        warning = row_style(app, PRODUCTION_DOWN)
        selected = row_style(app, SLOW_REPORTS)
        # The breached row: bold and underlined, never dim, and not the warning's colour.
        assert breached.bold and breached.underline and not breached.dim, breached
        assert palette_number(breached) != palette_number(warning), (breached, warning)
        assert not warning.underline
        # The selection: reverse video, whatever the palette does with the greys.
        assert selected.reverse, selected
        # A selected breached row stays marked as breached (underlined) in reverse.
        await pilot.press("g")
        await settle(pilot)
        both = row_style(app, LOGIN_BROKEN)
        assert both.reverse and both.underline, both


@pytest.mark.usefixtures("colour")
async def test_true_colour_keeps_its_own_look(seeded: Seeded) -> None:
    """The 16-colour look is a mode: a true-colour terminal keeps its colours."""
    app = make_app(seeded.desk)  # true colour: tests/screens/conftest.py
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert app.console.color_system == "truecolor"
        await select(pilot, SLOW_REPORTS)
        assert not row_style(app, SLOW_REPORTS).reverse
        assert not row_style(app, LOGIN_BROKEN).underline


@pytest.mark.usefixtures("sixteen_colours")
async def test_a_choice_list_highlight_is_marked_beyond_its_colour(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the case screen
        await settle(pilot)
        await pilot.press("s")  # severity: a choice list
        await settle(pilot)
        choices = app.screen.query_one(ChoiceList)
        style = choices.get_component_rich_style("option-list--option-highlighted")
        assert style.bold and style.underline, style
