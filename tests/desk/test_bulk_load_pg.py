"""PostgreSQL: a bulk load at least as large as the desk counts its cases set-based at
its end, its counting triggers paused meanwhile (deskterm.store.bulk_load.PG_PAUSED),
and a user who may not pause them gets the same counts row by row."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from deskterm.desk import cases, counts, demo, search
from deskterm.desk.context import Desk
from deskterm.store import search_index
from deskterm.store.engine import make_engine
from tests.desk.test_demo import NOW
from tests.migrated import desk_maker

pytestmark = pytest.mark.skipif(
    not os.environ.get("DESKTERM_TEST_PG"), reason="needs DESKTERM_TEST_PG"
)
CASES = 30


def _pausing_seen(
    desk: Desk, table: str = "cases"
) -> tuple[list[bool], Callable[[int, int], None]]:
    """Whether, after each chunk, the load held the lock on `table` that pausing takes
    (seen from another connection: the load's catalogue change is its own until it
    commits)."""
    seen: list[bool] = []
    watcher = make_engine(str(desk.engine.url.render_as_string(hide_password=False)))

    def progress(_done: int, _total: int) -> None:
        with watcher.connect() as connection:
            held = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE relation = %(table)s::regclass "
                "AND mode = 'ShareRowExclusiveLock' AND granted",
                {"table": table},
            ).scalar_one()
        seen.append(bool(held))

    return seen, progress


def _triggers_enabled(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(
            connection.exec_driver_sql(
                "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname IN "
                "('cases_count_rows', 'cases_promise_rows', 'search_case_added', "
                "'search_event_added') AND tgrelid IN ('cases'::regclass, 'events'::regclass)"
            ).all()
        )


def _counted_right(desk: Desk) -> None:
    assert counts.differences(desk) == []
    assert counts.promise_differences_on(desk.engine) == []


def test_a_load_into_an_empty_desk_pauses_its_counting_and_counts_at_its_end(
    tmp_path: Path,
) -> None:
    with desk_maker("postgresql", tmp_path, NOW) as make:
        desk = make()
        seen, progress = _pausing_seen(desk)
        demo.fill(desk, CASES, seed=5, progress=progress)
        assert seen == [True]
        _counted_right(desk)
        assert _triggers_enabled(desk.engine) == {
            "cases_count_rows": "O",
            "cases_promise_rows": "O",
            "search_case_added": "O",
            "search_event_added": "O",
        }
        # A smaller load into it keeps the triggers (others may be writing): no lock.
        seen.clear()
        demo.fill(desk, 5, seed=6, progress=progress)
        assert seen == [False]
        cases.open_case(
            desk, organization="Kestrel Health", contact=None, severity=1, subject="Counted"
        )
        _counted_right(desk)


def test_a_user_who_does_not_own_the_tables_loads_with_the_triggers_counting(
    tmp_path: Path,
) -> None:
    role = f"t_loader_{uuid.uuid4().hex[:8]}"
    with desk_maker("postgresql", tmp_path, NOW) as make:
        owner = make()
        url = owner.engine.url
        schema = str(url.query["options"]).split("=")[-1]
        with owner.engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
            connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
            for what in ("TABLES", "SEQUENCES"):
                connection.exec_driver_sql(f"GRANT ALL ON ALL {what} IN SCHEMA {schema} TO {role}")
        loader_engine = make_engine(url.set(username=role).render_as_string(hide_password=False))
        try:
            loader = Desk(loader_engine, owner.policies, "tester", now=lambda: NOW)
            seen, progress = _pausing_seen(loader)
            report = demo.fill(loader, CASES, seed=5, progress=progress)
            assert report.cases == CASES
            assert seen == [False]
            _counted_right(owner)
        finally:
            loader_engine.dispose()
            with owner.engine.begin() as connection:
                connection.exec_driver_sql(f"DROP OWNED BY {role}")
                connection.exec_driver_sql(f"DROP ROLE {role}")


def test_a_load_into_an_empty_desk_indexes_for_search_with_the_search_triggers_paused(
    tmp_path: Path,
) -> None:
    with desk_maker("postgresql", tmp_path, NOW) as make:
        desk = make()
        seen, progress = _pausing_seen(desk, "events")
        demo.fill(desk, CASES, seed=5, progress=progress)
        assert seen == [True]
        assert search_index.problems(desk.engine) == []
        # The triggers are back: a case opened and noted after the load is found.
        opened = cases.open_case(
            desk, organization="Kestrel Health", contact=None, severity=2, subject="Zanzibar"
        )
        cases.note(desk, opened.number, "quokka sightings in the logs")
        assert search_index.problems(desk.engine) == []
        for word in ("zanzibar", "quokka"):
            assert [hit.number for hit in search.search(desk, word)] == [opened.number], word
