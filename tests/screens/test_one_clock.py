"""Item 1 and 8 of issue 16: the countdowns and the header's counts tick together.

At 80x24 a filter long enough to wrap the header to a second line once froze
every countdown until a key was pressed; the header's breached count followed a
row turning breached up to a minute later.
"""

from __future__ import annotations

from typing import Any

from tests.screens.conftest import (
    PRODUCTION_DOWN,
    Seeded,
    line_of,
    make_app,
    screen_lines,
    settle,
    until,
)

NARROW = (80, 24)


def header(app: Any) -> str:
    return "\n".join(screen_lines(app)[:2])


async def test_countdowns_keep_ticking_after_a_filter_wraps_the_header(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"sev:1", "space", *"@unassigned", "enter")
        await settle(pilot)
        assert await until(pilot, lambda: "30m 00s" in line_of(app, PRODUCTION_DOWN))
        seeded.clock.advance(seconds=7)
        assert await until(pilot, lambda: "29m 53s" in line_of(app, PRODUCTION_DOWN))
        await pilot.press("escape")
        seeded.clock.advance(seconds=7)
        assert await until(pilot, lambda: "29m 46s" in line_of(app, PRODUCTION_DOWN))


async def test_rows_under_a_dialog_keep_ticking(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert await until(pilot, lambda: "30m 00s" in line_of(app, PRODUCTION_DOWN))
        # Help is drawn over the queue; the countdowns beside it go on (as painted).
        await pilot.press("question_mark")
        await settle(pilot)
        seeded.clock.advance(seconds=7)
        assert await until(pilot, lambda: "29m 53s" in "\n".join(screen_lines(app)))


async def test_the_breached_count_follows_the_row_within_the_tick(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert await until(pilot, lambda: "breached 1" in header(app))
        # 40100 has 30 minutes of business time left: a second past that it breaches.
        seeded.clock.advance(minutes=30, seconds=1)
        assert await until(pilot, lambda: line_of(app, PRODUCTION_DOWN).startswith("✖"))
        assert await until(pilot, lambda: "breached 2" in header(app)), header(app)
