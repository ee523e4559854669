"""Building the search index of an existing desk: interrupted anywhere, it goes on
where it stopped; on SQLite it ends as one segment with FTS5's own settings back
(deskterm.store.search_index.build)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from deskterm.desk import cases, search
from deskterm.desk.context import Desk
from deskterm.opening import upgraded
from deskterm.store import revision, search_index
from tests.desk.heard import within
from tests.desk.test_search import add_other, add_sso


class Interrupted(Exception):
    """The build stopped between two of its transactions (a kill, a power cut)."""


def interrupt_at(call: int) -> Callable[[int, int], None]:
    """A progress report that stops the build at its `call`-th report (each comes after
    a transaction is committed)."""
    calls = [0]

    def report(_done: int, _total: int) -> None:
        calls[0] += 1
        if calls[0] >= call:
            raise Interrupted

    return report


def numbers(desk: Desk, query: str) -> list[int]:
    return sorted(hit.number for hit in search.search(desk, query))


def sqlite_only(desk: Desk) -> Engine:
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("FTS5's segments and settings: SQLite's index")
    return desk.engine


def segments(engine: Engine) -> list[tuple[int, list[int]]]:
    with engine.connect() as connection:
        block = connection.exec_driver_sql(
            "SELECT block FROM search_text_data WHERE id = 10"
        ).scalar_one()
    return search_index.segment_levels(bytes(block))


def fts5_settings(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.exec_driver_sql("SELECT k, v FROM search_text_config").all())


def test_a_build_interrupted_after_its_first_source_goes_on_when_the_desk_opens(
    desk: Desk,
) -> None:
    sso, other = add_sso(desk), add_other(desk)
    search_index.reset(desk.engine)
    # One id a transaction: the two cases' rows, then the first event.
    with pytest.raises(Interrupted):
        search_index.build(desk.engine, interrupt_at(3), batch=1)
    assert revision.check(desk.engine).index_unfinished
    url = desk.engine.url.render_as_string(hide_password=False)
    upgraded(desk.engine, url)  # what opening the desk does
    assert numbers(desk, "saml") == [sso] and numbers(desk, "sixty") == [other]
    assert search_index.problems(desk.engine) == []
    assert not revision.check(desk.engine).index_unfinished


def test_a_build_ends_as_one_segment_with_fts5_s_own_settings(desk: Desk) -> None:
    engine = sqlite_only(desk)
    add_sso(desk)
    add_other(desk)
    search_index.reset(engine)
    # A segment a transaction, and no merging while the texts go in.
    search_index.build(engine, batch=1)
    assert sum(len(pages) for _merging, pages in segments(engine)) == 1
    assert set(fts5_settings(engine)) == {"version"}
    with engine.connect() as connection:
        state = search_index.backlog(connection)
    assert state is not None and state.empty
    assert search_index.problems(engine) == []


def test_an_interrupted_merge_goes_on_and_takes_in_what_was_written_meanwhile(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sqlite_only(desk)
    sso, other = add_sso(desk), add_other(desk)
    monkeypatch.setattr(search_index, "MERGE_PAGES", 1)
    search_index.reset(engine)
    with pytest.raises(Interrupted):
        search_index.build(engine, batch=1, merging=interrupt_at(1))
    with engine.connect() as connection:
        state = search_index.backlog(connection)
    assert state is not None and state.left == 0 and state.merging and not state.empty
    # Every text is in: the index is whole and searchable while its segments wait.
    assert search_index.problems(engine) == []
    assert numbers(desk, "saml") == [sso]
    assert revision.check(engine).index_unfinished
    cases.note(desk, sso, "written before the merge went on: quokka")
    written: list[int] = []

    def write_between_steps(done: int, _total: int) -> None:
        # Between two steps of the merge (each a transaction): another writer's turn.
        cases.note(desk, other, f"written during the merge: wombat{len(written)}")
        written.append(done)

    search_index.build(engine, merging=write_between_steps)
    assert written
    assert numbers(desk, "quokka") == [sso]
    for n in range(len(written)):
        assert numbers(desk, f"wombat{n}") == [other]
    assert search_index.problems(engine) == []
    assert not revision.check(engine).index_unfinished
    # Nothing left for FTS5 to merge at a level, and its settings back to its own.
    assert all(not merging and len(pages) <= 1 for merging, pages in segments(engine))
    assert set(fts5_settings(engine)) == {"version"}


def test_a_build_gives_its_connection_back_as_it_found_it(desk: Desk) -> None:
    engine = sqlite_only(desk)
    add_sso(desk)

    def pragmas() -> list[int]:
        with engine.connect() as connection:
            return [
                connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                for name in search_index.BUILD_PRAGMAS
            ]

    before = pragmas()
    search_index.reset(engine)
    search_index.build(engine)
    assert pragmas() == before


def words_index(engine: Engine) -> bool | None:
    """PostgreSQL: whether the documents' words index is there and valid (None: none)."""
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT indisvalid FROM pg_index "
            "WHERE indexrelid = to_regclass('ix_search_text_document')"
        ).scalar()


def case_link(engine: Engine) -> bool | None:
    """PostgreSQL: whether the index rows' foreign key to their cases is there and
    validated (None: none)."""
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT convalidated FROM pg_constraint WHERE conrelid = 'search_text'::regclass "
            "AND contype = 'f'"
        ).scalar()


def test_postgresql_fills_an_emptied_index_first_and_makes_its_words_index_at_the_end(
    desk: Desk,
) -> None:
    """Kept up row by row as it grew, the GIN index of the words made the 1M demo desk's
    reindex take 562 s: a build that fills an empty index goes without it and makes it
    once every text is in. So with the rows' foreign key to their cases, a lookup of
    the case per row written (with ON CONFLICT's lookup, the 1M reindex's events took
    77-81 s against 58-60 s without them): it is added back and validated once, in one
    pass. Stopped before that, the desk opening
    makes them."""
    if desk.engine.dialect.name == "sqlite":
        pytest.skip("PostgreSQL's GIN index")
    sso, other = add_sso(desk), add_other(desk)
    assert case_link(desk.engine) is True
    search_index.reset(desk.engine)
    during: list[tuple[bool | None, bool | None]] = []
    search_index.build(
        desk.engine,
        lambda _done, _total: during.append((words_index(desk.engine), case_link(desk.engine))),
        batch=1,
    )
    assert during and set(during) == {(None, None)}
    assert words_index(desk.engine) is True
    assert case_link(desk.engine) is True
    assert numbers(desk, "saml") == [sso] and numbers(desk, "sixty") == [other]

    def killed() -> None:
        raise Interrupted

    search_index.reset(desk.engine)
    with pytest.raises(Interrupted):
        search_index.build(desk.engine, words=killed)
    assert words_index(desk.engine) is None
    assert revision.check(desk.engine).index_unfinished
    upgraded(desk.engine, desk.engine.url.render_as_string(hide_password=False))
    assert words_index(desk.engine) is True
    assert case_link(desk.engine) is True
    assert not revision.check(desk.engine).index_unfinished
    assert search_index.problems(desk.engine) == []
    assert numbers(desk, "saml") == [sso]


def test_postgresql_goes_on_over_rows_a_stopped_build_indexed_ahead_of_its_backlog(
    desk: Desk,
) -> None:
    """A range of ids is indexed in parts at once, each part committed on its own
    connection before the backlog records the range done: a build stopped in between
    leaves rows in that the backlog still lists. The next build finds them there."""
    if desk.engine.dialect.name == "sqlite":
        pytest.skip("PostgreSQL indexes a range in parts")
    sso, other = add_sso(desk), add_other(desk)
    search_index.reset(desk.engine)
    with desk.engine.connect() as connection:
        last = connection.exec_driver_sql("SELECT max(id) FROM events").scalar_one()
    with desk.engine.begin() as connection:  # the part that committed
        search_index._index_range(connection, "events", last // 2, last)
    search_index.build(desk.engine)
    assert search_index.problems(desk.engine) == []
    assert numbers(desk, "saml") == [sso] and numbers(desk, "sixty") == [other]
    assert numbers(desk, "keytab") == [sso]


def test_postgresql_a_case_changed_while_its_range_is_indexed_keeps_its_new_words(
    desk: Desk,
) -> None:
    """A build's range and an engineer's change overlap on PostgreSQL (on SQLite one
    waits for the other): the case changed after the range read it, the trigger left
    the case to the build (still in its backlog), and the build recorded the range
    done with the words the case had before. The change now writes the case's row
    whatever the backlog says, waiting for the range where it has written the row."""
    if desk.engine.dialect.name == "sqlite":
        pytest.skip("SQLite writes one transaction at a time")
    sso = add_sso(desk)
    search_index.reset(desk.engine)
    with desk.engine.connect() as connection:
        last = connection.exec_driver_sql("SELECT max(id) FROM cases").scalar_one()
    with desk.engine.connect() as build:
        build.begin()
        search_index._index_range(build, "cases", 0, last)  # reads the case as it is
        pid = build.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        changing = threading.Thread(target=rename, args=(desk.engine, sso))
        changing.start()
        assert within(60, lambda: not changing.is_alive() or waits_on(desk.engine, pid))
        build.exec_driver_sql(
            f"UPDATE search_backlog SET done_upto = {last} WHERE source = 'cases'"
        )
        build.commit()
    changing.join(timeout=60)
    assert not changing.is_alive()
    search_index.build(desk.engine)
    assert numbers(desk, "subject:kerberos") == [sso]
    assert numbers(desk, "subject:sign") == []
    assert search_index.problems(desk.engine) == []


def rename(engine: Engine, number: int) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE cases SET subject = 'Kerberos tickets expire early' WHERE number = %(n)s",
            {"n": number},
        )


def waits_on(engine: Engine, pid: int) -> bool:
    """Whether some session waits for a lock held by backend `pid`."""
    with engine.connect() as connection:
        return bool(
            connection.exec_driver_sql(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity "
                "WHERE %(pid)s = ANY(pg_blocking_pids(pid)))",
                {"pid": pid},
            ).scalar_one()
        )


# Phones as people write them: none, too short for suffixes, every separator, and longer
# than the longest suffix (15 digits).
PHONES = [
    None,
    "12-34",
    "+1 (555) 010-7788",
    "+44 20 7946 0958",
    "030/1234.5678",
    "+49 (0)30 1234-5678 99 1",
    "0800 FLOWERS",
]


def test_a_build_or_a_load_reads_the_rows_the_stored_view_reads(desk: Desk) -> None:
    """The statements a build and a load run make each case's digits once; the view the
    migrations stored (FTS5 reads it to take a row out) and its triggers write them in
    place: the same rows, or a changed case would leave words in the index."""
    sqlite_only(desk)
    from deskterm.desk import directory

    directory.add_organization(desk, "Phonebook", "business-hours-3")
    for index, phone in enumerate(PHONES):
        name = f"Caller {index}"
        directory.add_contact(desk, name, "Phonebook", phone=phone)
        cases.open_case(desk, organization="Phonebook", contact=name, severity=3, subject="x")
    cases.open_case(desk, organization="Phonebook", contact=None, severity=3, subject="none")
    now = search_index._rows("sqlite", "cases", "1 = 1", now=True)
    stored = search_index._rows("sqlite", "cases", "1 = 1")
    assert now != stored
    with desk.engine.connect() as connection:
        read_now = connection.exec_driver_sql(f"{now} ORDER BY row_key").all()
        read_stored = connection.exec_driver_sql(f"{stored} ORDER BY row_key").all()
        viewed = connection.exec_driver_sql(
            "SELECT * FROM search_rows WHERE author IS NULL AND subject IS NOT NULL "
            "ORDER BY row_key"
        ).all()
    assert len(read_now) == len(PHONES) + 1  # and the case without a contact
    assert read_now == read_stored == viewed
    assert any("7946 0958" in row.contact and " 79460958 " in row.contact for row in read_now)
