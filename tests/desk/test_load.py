"""A desk under load: 8 OS processes x 200 random real use cases on the same three
cases, at once. Nothing is lost, nothing doubled, every refusal to overwrite is a
Conflict, and no process sees "database is locked" or a serialization failure.
Timings are in bench/desk_bench.py, not here."""

from __future__ import annotations

import threading

import pytest
from bench import desk_load
from sqlalchemy import Engine, text

from deskterm.desk import cases
from deskterm.desk.context import Desk
from deskterm.desk.errors import Conflict
from deskterm.models import EventKind
from deskterm.store.engine import writing

PROCESSES, CHANGES = 8, 200


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.slow
def test_eight_processes_on_three_cases_lose_nothing(engine: Engine) -> None:
    numbers = desk_load.set_up(url_of(engine), 3)
    run = desk_load.run_workers(url_of(engine), numbers, PROCESSES, CHANGES)
    assert desk_load.audit(url_of(engine), run) == []
    assert run.total("error") == 0
    attempts = sum(run.total(outcome) for outcome in ("ok", "conflict", "refused"))
    assert attempts == PROCESSES * CHANGES
    # They did fight: some changes were refused as conflicts, most went through.
    assert run.total("conflict") > 0
    assert run.acknowledged > PROCESSES * CHANGES // 5


def test_writes_run_read_committed_on_postgresql_and_immediate_on_sqlite(desk: Desk) -> None:
    """SELECT ... FOR UPDATE at READ COMMITTED waits for the row and then reads the
    committed version (REPEATABLE READ would fail with a serialization error instead):
    the version check in changing() compares with the newest version."""
    with writing(desk.engine) as session:
        if desk.engine.dialect.name == "postgresql":
            level = session.execute(text("SHOW transaction_isolation")).scalar_one()
            assert level == "read committed"
        else:
            # BEGIN IMMEDIATE: the write lock is held from the start of the transaction.
            assert session.connection().connection.driver_connection.in_transaction


def test_a_change_waiting_for_the_row_sees_the_change_before_it(desk: Desk) -> None:
    number = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="Contended"
    ).number
    holding, release = threading.Event(), threading.Event()
    outcome: list[object] = []

    def second() -> None:
        holding.wait()
        try:
            cases.note(desk, number, "second, from version 1", expected_version=1)
            outcome.append("saved")
        except Conflict as conflict:
            outcome.append(conflict)

    other = threading.Thread(target=second)
    other.start()
    with cases.changing(desk, number, expected_version=1) as change:
        change.record(EventKind.NOTE, text="first")
        holding.set()
        release.wait(0.3)  # the second waits on the row meanwhile
    other.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    # The conflict names who changed what, and nothing of the second was written.
    assert "version 1, now 2" in str(outcome[0])
    assert "alice added an internal note" in str(outcome[0])
    assert desk_version(desk, number) == 2


def desk_version(desk: Desk, number: int) -> int | None:
    from deskterm.desk.case_file import version_of

    return version_of(desk, number)
