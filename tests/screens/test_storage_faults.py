"""The console when the database refuses writes (read-only, disk full): the engineer
sees why in words, keeps what they wrote, and saves it once the database takes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from textual.widgets import TextArea

from deskterm.desk import queries
from deskterm.screens import case_compose as writing

from .conftest import PRODUCTION_DOWN, Seeded, make_app, until
from .test_case import WIDE, compose, drafts_of, events_of, open_case


def refuse_writes(connection: Any, _record: Any) -> None:
    # What SQLite does on a read-only file: every write fails with SQLITE_READONLY.
    connection.execute("PRAGMA query_only = ON")


async def test_a_reply_the_database_refuses_is_kept_and_saved_once_it_accepts(
    seeded: Seeded,
) -> None:
    engine = seeded.desk.engine
    text = "Rebooting the primary now.\nI will call you at 17:00."
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await compose(pilot, "r", text)
        event.listen(engine, "connect", refuse_writes)
        engine.dispose()
        try:
            await pilot.press("ctrl+s")
            assert await until(
                pilot, lambda: any("read-only" in n.message for n in app._notifications), 5
            )
            said = next(n.message for n in app._notifications if "read-only" in n.message)
            assert "nothing was saved" in said and "Traceback" not in said
            assert app.screen is screen  # the console goes on
            assert [e["kind"] for e in events_of(seeded, PRODUCTION_DOWN)] == ["opened"]
            draft = drafts_of(seeded).get(PRODUCTION_DOWN, "reply")
            assert draft is not None and draft.fields["text"] == text
        finally:
            event.remove(engine, "connect", refuse_writes)
            engine.dispose()

        await pilot.press("r")  # the database writes again: the text comes back
        assert await until(pilot, lambda: isinstance(app.screen, writing.Composer))
        assert app.screen.query_one(TextArea).text == text
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: events_of(seeded, PRODUCTION_DOWN)[-1]["text"] == text)
        assert queries.show_case(seeded.desk, PRODUCTION_DOWN)["version"] == 2
        assert drafts_of(seeded).get(PRODUCTION_DOWN, "reply") is None
