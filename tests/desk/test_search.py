"""Searching the whole desk: every field found, the language, accents, addresses and
phones, hostile text, and the index always matching its tables (on each backend)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from deskterm import settings
from deskterm.desk import attachments, cases, directory, search
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store import search_index
from tests.desk.conftest import (
    BACKENDS,
    MONDAY,
    furnish,
    give_back_pg_schema,
    migrated_sqlite,
    pg_engine_in_migrated_schema,
)
from tests.frozen import FrozenClock
from tests.hostile import PAYLOADS, has_control


def numbers(desk: Desk, query: str, **options: object) -> list[int]:
    return sorted(hit.number for hit in search.search(desk, query, **options))  # type: ignore[arg-type]


@pytest.fixture
def sso(desk: Desk) -> int:
    """One case with something in every field the index holds."""
    return add_sso(desk)


def add_sso(desk: Desk) -> int:
    directory.add_organization(desk, "Société Générale Bank", "business-hours-3")
    directory.add_contact(
        desk,
        "Hannah Bérg",
        "Société Générale Bank",
        email="hannah.berg@socgen.example",
        phone="+1 (555) 010-0142",
    )
    case = cases.open_case(
        desk,
        organization="Société Générale Bank",
        contact="Hannah Bérg",
        severity=2,
        subject="Single sign-on loops after upgrade",
        description="Users land back on the portal login page",
        intake={"error_messages": "ERR_TOO_MANY_REDIRECTS", "operating_system": "Solaris"},
    )
    cases.note(desk, case.number, "SAML assertion rejected: clock skew on the IdP")
    cases.reply(desk, case.number, "Please send the HAR capture from the browser")
    cases.log_call(desk, case.number, "Walked through the keytab rotation", who="Hannah")
    cases.customer_reply(desk, case.number, "Attached, the redirect chain is in there")
    cases.move(desk, case.number, "waiting-on-customer", "Waiting for the vendor's hotfix")
    return case.number


@pytest.fixture
def other(desk: Desk) -> int:
    return add_other(desk)


def add_other(desk: Desk) -> int:
    case = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=3, subject="Report export slow"
    )
    cases.note(desk, case.number, "The export times out after sixty seconds")
    return case.number


@pytest.fixture(scope="module", params=BACKENDS)
def searched(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Desk, int, int]]:
    """The desk of `sso` and `other` for the tests that only search it, built once a
    module and backend instead of once a query: a search writes nothing, and each of
    these tests still finds exactly the case it names. (Only the packaged policies: a
    module's fixture starts before the test's HOME is isolated.)"""
    if request.param == "sqlite":
        engine = migrated_sqlite(tmp_path_factory.mktemp("searched") / "desk.db")
    else:
        engine, schema, admin = pg_engine_in_migrated_schema()
    desk = Desk(
        engine, PolicyCatalog([settings.packaged_policy_dir()]), "alice", now=FrozenClock(MONDAY)
    )
    furnish(desk)
    yield desk, add_sso(desk), add_other(desk)
    engine.dispose()
    if request.param != "sqlite":
        give_back_pg_schema(schema, admin)


FIELDS = [
    ("single", "subject"),
    ("portal", "description"),
    ("err_too_many_redirects", "error messages"),
    ("solaris", "operating system"),
    ("saml", "note by alice"),
    ("har", "reply by alice"),
    ("keytab", "call by alice"),
    ("chain", "customer message"),
    ("hotfix", "status by alice"),
    ("generale", "organization"),
    ("hannah", "contact"),
    ("hannah.berg@socgen.example", "contact"),
    ("5550100142", "contact"),
]


@pytest.mark.parametrize(("query", "where"), FIELDS)
def test_each_field_of_a_case_is_found(
    searched: tuple[Desk, int, int], query: str, where: str
) -> None:
    desk, sso, _ = searched
    hits = search.search(desk, query)
    assert [hit.number for hit in hits] == [sso], query
    assert hits[0].where.startswith(where), (query, hits[0].where)
    assert "⟦" in hits[0].snippet and "⟧" in hits[0].snippet, hits[0].snippet


def test_attachment_names_and_text_contents_are_found(desk: Desk, sso: int, tmp_path: Path) -> None:
    log = tmp_path / "idp-trace.log"
    log.write_text("2026-11-23 kerberos PREAUTH_FAILED for principal http/portal\n")
    attachments.attach(desk, sso, log)
    binary = tmp_path / "capture.bin"
    binary.write_bytes(b"\x00\x01zebra\x00" * 100)
    attachments.attach(desk, sso, binary)
    assert numbers(desk, "idp-trace.log") == [sso]
    assert numbers(desk, "preauth_failed") == [sso]
    assert search.search(desk, "preauth_failed")[0].where == "in idp-trace.log"
    assert numbers(desk, "zebra") == []  # a binary file's bytes are not words
    assert search_index.problems(desk.engine) == []


def test_phrases_exclusion_prefix_and_fields(searched: tuple[Desk, int, int]) -> None:
    desk, sso, other = searched
    assert numbers(desk, '"clock skew"') == [sso]
    assert numbers(desk, '"skew clock"') == []
    assert numbers(desk, "export") == [other]
    assert numbers(desk, "after") == sorted([sso, other])
    assert numbers(desk, "after -saml") == [other]
    assert numbers(desk, 'after -"clock skew"') == [other]
    assert numbers(desk, "redir*") == [sso]
    assert numbers(desk, "redir") == []
    assert numbers(desk, "subject:upgrade") == [sso]
    assert numbers(desk, "subject:saml") == []  # in a note, not the subject
    assert numbers(desk, "contact:bob") == [other]
    assert numbers(desk, "from:alice saml") == [sso]
    assert numbers(desk, "from:nobody") == []
    assert numbers(desk, "saml sev:2") == [sso]
    assert numbers(desk, "saml sev:3") == []
    assert numbers(desk, "saml status:waiting") == [sso]
    assert numbers(desk, "after", statuses=["waiting"]) == [sso]


def test_accents_and_case_do_not_matter(searched: tuple[Desk, int, int]) -> None:
    desk, sso, _ = searched
    for query in ("société", "SOCIETE", "Societe", "bérg", "BERG", "Générale"):
        assert numbers(desk, query) == [sso], query


def test_addresses_and_phone_numbers_as_people_type_them(searched: tuple[Desk, int, int]) -> None:
    desk, sso, other = searched
    for query in (
        "hannah.berg@socgen.example",
        "HANNAH.BERG@SOCGEN.EXAMPLE",
        "hannah.berg",
        "socgen.example",
        "bob@acme.test",
        "+1 (555) 010-0142",
        "+15550100142",
        "555-010-0142",
        "(555) 010-0142",
        "5550100142",
        "0100142",
        "555.010.0142",
    ):
        expected = [other] if "bob" in query else [sso]
        assert numbers(desk, query) == expected, query


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        '"unclosed phrase',
        "*",
        "-",
        "--",
        "NOT",
        "AND OR NEAR",
        "a:b:c",
        "subject:",
        "(",
        ")",
        "{subject}:x",
        "^first",
        "col : x",
        "x NEAR/2 y",
        "\x00\x1b[31m",
        "'; DROP TABLE cases; --",
        "\\",
        "%_",
        "saml)",
        "(saml",
        "e\u0301mile",
        "\u202e",
        "a" * 5000,
        "-saml",
        "saml " * 40,
    ],
)
def test_hostile_queries_give_results_or_one_clear_line(
    searched: tuple[Desk, int, int], query: str
) -> None:
    desk = searched[0]
    try:
        hits = search.search(desk, query)
    except DeskError as error:
        assert "\n" not in str(error) and str(error)
    else:
        assert isinstance(hits, list)


def test_hostile_text_in_documents_is_indexed_and_snipped_inertly(desk: Desk, sso: int) -> None:
    payloads = list(PAYLOADS.values())
    for n, payload in enumerate(payloads):
        cases.note(desk, sso, f"marker{n} {payload.text} tail")
    for n, payload in enumerate(payloads):
        start = payload.text.index(payload.marker)
        # `ESC[HPWNED`: the sequence's last letter and the marker make one word (so do
        # `PWNED-1MBWWW...`).
        after = payload.text[start + len(payload.marker) : start + len(payload.marker) + 1]
        glued = (start > 0 and payload.text[start - 1].isalnum()) or after.isalnum()
        for query in (f"marker{n}",) if glued else (f"marker{n}", payload.marker):
            hits = search.search(desk, query)
            assert sso in [hit.number for hit in hits], (payload.name, query)
            for hit in hits:
                assert not has_control(hit.snippet), (payload.name, hit.snippet)
    assert search_index.problems(desk.engine) == []


def test_renames_made_by_any_program_keep_the_index_in_step(desk: Desk, sso: int) -> None:
    with desk.engine.begin() as connection:
        connection.execute(
            text("UPDATE organizations SET name = 'Zephyr Holdings' WHERE name LIKE 'Soci%'")
        )
        connection.execute(
            text("UPDATE contacts SET email = 'hb@zephyr.example' WHERE name = 'Hannah Bérg'")
        )
        connection.execute(
            text("UPDATE cases SET subject = 'Quokka sightings' WHERE number = :n"), {"n": sso}
        )
    assert numbers(desk, "zephyr") == [sso]
    assert numbers(desk, "generale") == []
    assert numbers(desk, "hb@zephyr.example") == [sso]
    assert numbers(desk, "socgen") == []
    assert numbers(desk, "subject:quokka") == [sso]
    assert numbers(desk, "subject:single") == []
    assert search_index.problems(desk.engine) == []


def test_a_search_with_nothing_to_find_is_refused_in_one_line(
    searched: tuple[Desk, int, int],
) -> None:
    desk = searched[0]
    for query in ("", "   ", "sev:2", "-saml", "!!!"):
        with pytest.raises(DeskError) as refused:
            search.search(desk, query)
        assert "\n" not in str(refused.value)


def test_an_existing_desk_is_indexed_in_resumable_batches(desk: Desk, sso: int, other: int) -> None:
    search_index.reset(desk.engine)
    assert numbers(desk, "saml") == []
    assert search_index.problems(desk.engine) != []
    # A change to a case not indexed yet leaves the index alone (a delete of a
    # document never added would corrupt it); the build then takes it whole.
    cases.note(desk, sso, "written while the index was being built: wombat")
    seen: list[tuple[int, int]] = []
    assert (
        search_index.build(desk.engine, lambda done, total: seen.append((done, total)), batch=1)
        >= 2
    )
    assert seen[-1][0] == seen[-1][1]
    assert numbers(desk, "saml") == [sso] and numbers(desk, "wombat") == [sso]
    assert search_index.problems(desk.engine) == []


def test_doctor_fails_an_index_out_of_step_and_reindex_mends_it(desk: Desk, sso: int) -> None:
    from deskterm.desk import doctor

    url = desk.engine.url.render_as_string(hide_password=False)
    assert doctor.search_check(url).status == "ok"
    # Something that bypasses the triggers (a manual repair gone wrong): the index
    # no longer matches its cases.
    with desk.engine.begin() as connection:
        if desk.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER search_event_added")
        else:
            connection.exec_driver_sql("DROP TRIGGER search_event_added ON events")
    cases.note(desk, sso, "invisible to the index: platypus")
    check = doctor.search_check(url)
    assert check.status == "fail" and "reindex" in check.advice, check
    search_index.reset(desk.engine)
    search_index.build(desk.engine)
    assert doctor.search_check(url).status == "ok"
    assert numbers(desk, "platypus") == [sso]


def test_the_index_holds_every_intake_field_the_model_has() -> None:
    from deskterm.models import INTAKE_FIELDS

    # Named apart from the models so that the queue's import stays light.
    assert ("description", *INTAKE_FIELDS) == search_index._INTAKE


@pytest.mark.parametrize(
    ("few", "rare"), [(search.FEW, search.RARE_ENOUGH), (0, search.RARE_ENOUGH), (search.FEW, 0)]
)
def test_the_queue_keeps_a_search_s_cases_in_step_with_every_change(
    desk: Desk, sso: int, other: int, few: int, rare: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cases matching a search are found once and kept in step with the events
    written since (few: the queue starts from them; many: it asks each row; every term
    common: each row is asked of the index)."""
    from deskterm.desk.filters import parse_filter
    from deskterm.desk.queue import Queue, QueueQuery

    monkeypatch.setattr(search, "FEW", few)
    monkeypatch.setattr(search, "RARE_ENOUGH", rare)
    queue = Queue(desk)

    def shown(typed: str) -> list[int]:
        query = QueueQuery(filter=parse_filter(typed, "alice"), me="alice")
        found = sorted(row.number for row in queue.rows(query, desk.now(), 0, 50))
        assert queue.count(query, desk.now()) == len(found), typed
        return found

    assert shown("export") == [other]
    assert shown("after -wombat") == sorted([sso, other])
    cases.note(desk, sso, "the export of the wombat logs")
    assert shown("export") == sorted([sso, other])
    assert shown("export sev:2") == [sso]  # the same search, another filter token
    assert shown("after -wombat") == [other]
    monkeypatch.setattr(search, "RECHECKED", 0)  # too many written: found again whole
    cases.note(desk, other, "a wombat here too")
    assert shown("after -wombat") == []
    assert shown("wombat") == sorted([sso, other])


def test_by_relevance_every_matching_case_is_listed_however_few_texts_are_scored(
    desk: Desk, sso: int, other: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the newest matching texts are scored (a common word would cost seconds):
    a case none of whose texts is among them still shows, after the scored ones."""
    from deskterm.desk.filters import parse_filter
    from deskterm.desk.queue import Queue, QueueQuery

    query = QueueQuery(filter=parse_filter("after", "alice"), me="alice", relevance=True)
    assert sorted(row.number for row in Queue(desk).rows(query, desk.now(), 0, 50)) == sorted(
        [sso, other]
    )
    monkeypatch.setattr(search, "SCORED", 1)  # the newest text: the other case's note
    shown = [row.number for row in Queue(desk).rows(query, desk.now(), 0, 50)]
    assert shown == [other, sso]


def test_a_rare_word_s_few_cases_are_where_the_queue_starts_whatever_else_is_asked(
    desk: Desk, sso: int, other: int
) -> None:
    """A rare word with `status:` (or any token with an index of its own): the queue's
    query starts from the word's few cases, each looked up by id, where SQLite would
    rather walk the whole queue or status index testing each row against them (a cost
    that grows with the desk, not with the matches); PostgreSQL asks for them by id."""
    from deskterm.desk.filters import parse_filter
    from deskterm.desk.queue import Queue, QueueQuery, _order

    queue = Queue(desk)
    if desk.engine.dialect.name != "sqlite":
        # PostgreSQL: once found, a search's cases are asked for by id (an array), not
        # found again from the index at every keystroke.
        for typed in ("saml status:waiting", "saml sev:2", "export -wombat"):
            query = QueueQuery(filter=parse_filter(typed, "alice"), me="alice")
            expected = [sso] if "saml" in typed else [other]
            assert queue.count(query, desk.now()) == 1, typed
            statement = queue._select(query, desk.now()).order_by(*_order(query)).limit(50)
            with desk.engine.connect() as connection:
                compiled = str(statement.compile(connection))
                rows = connection.execute(statement).all()
            assert "= ANY(" in compiled and "@@" not in compiled, typed
            assert [row.number for row in rows] == expected, typed
        return
    for typed in ("saml status:waiting", "saml sev:2", "saml @unassigned", "saml"):
        query = QueueQuery(filter=parse_filter(typed, "alice"), me="alice")
        statement = queue._select(query, desk.now()).order_by(*_order(query)).limit(50)
        with desk.engine.connect() as connection:
            search.Matches.prepare(connection)
            compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
            rows = connection.execute(statement).all()
        assert plan[0][3].startswith("SCAN matched"), (typed, plan)
        assert [row.number for row in rows] == [sso], typed
        assert queue.count(query, desk.now()) == 1, typed


def test_postgresql_knows_the_rarest_word_from_its_statistics_without_counting(
    desk: Desk, sso: int, other: int
) -> None:
    """PostgreSQL cannot walk a GIN index in order: counting a word's rows, even up to a
    limit, builds its whole bitmap or scans the table (tens of ms a common word, twice
    a two-word query). Once ANALYZE has run, which word is rarest comes from the
    statistics it keeps, and a search counts nothing, with the same results."""
    from deskterm.desk.filters import parse_filter
    from deskterm.desk.queue import Queue, QueueQuery

    if desk.engine.dialect.name == "sqlite":
        pytest.skip("FTS5 counts a word's rows in key order, stopping at the limit")
    for n in range(30):  # enough rows that ANALYZE keeps the most common words
        cases.note(desk, other, f"export log {n}: the export timed out again")
    queries = ["export timed", "saml clock", "export -wombat", "expo* out", "sev:2 saml"]
    before = {query: numbers(desk, query) for query in queries}
    with desk.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE search_text")
    search._STATISTICS.clear()
    sent: list[str] = []

    def record(*arguments: object) -> None:
        sent.append(str(arguments[2]))

    event.listen(desk.engine, "before_cursor_execute", record)
    try:
        after = {query: numbers(desk, query) for query in queries}
        queue = Queue(desk)
        for query in queries:
            asked = QueueQuery(view="everything", filter=parse_filter(query, "alice"), me="alice")
            shown = sorted(row.number for row in queue.rows(asked, desk.now(), 0, 50))
            assert shown == before[query], query
    finally:
        event.remove(desk.engine, "before_cursor_execute", record)
    assert after == before
    assert before["export timed"] == [other] and before["saml clock"] == [sso]
    counted = [statement for statement in sent if "count(*)" in statement.lower()]
    assert not counted, counted


def test_postgresql_tests_a_keystroke_s_rows_against_the_held_cases_as_a_bitmap(
    desk: Desk, sso: int, other: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once counted, a search's cases are held; on PostgreSQL a keystroke tests the rows
    it walks against them, sent as a bitmap (a bit per case), neither as a list of ids
    (40,000 for two common words on the 100k demo desk: built in the console and read
    by the planner id by id) nor by asking the index of each row (10-80 us a row). A
    case opened after the bitmap was made is beyond its end: not held, and no error."""
    from deskterm.desk.filters import parse_filter
    from deskterm.desk.queue import Queue, QueueQuery, _order

    if desk.engine.dialect.name == "sqlite":
        pytest.skip("SQLite tests a held case in the console's process (deskterm_matched)")
    monkeypatch.setattr(search, "FEW", 1)
    queue = Queue(desk)
    searched = QueueQuery(filter=parse_filter("after", "alice"), me="alice")
    assert queue.count(searched, desk.now()) == 2  # holds both cases
    typed = QueueQuery(filter=parse_filter("after sev:2", "alice"), me="alice")
    statement = queue._select(typed, desk.now()).order_by(*_order(typed)).limit(50)
    with desk.engine.connect() as connection:
        compiled = str(statement.compile(connection))
    assert "= ANY(" not in compiled
    assert "search_text" not in compiled
    assert [row.number for row in queue.rows(typed, desk.now(), 0, 50)] == [sso]
    assert queue.count(typed, desk.now()) == 1
    later = [
        cases.open_case(
            desk, organization="Acme", contact=None, severity=2, subject="Fails after login"
        ).number
        for _ in range(9)  # past the bitmap's last byte
    ]
    with desk.engine.connect() as connection:  # the statement made before they were
        assert [row.number for row in connection.execute(statement)] == [sso]
    now_shown = sorted(row.number for row in queue.rows(typed, desk.now(), 0, 50))
    assert now_shown == sorted([sso, *later])


@pytest.mark.parametrize(
    ("token", "index"),
    [("status:open", "ix_cases_status_queue"), ("@unassigned", "ix_cases_unassigned_queue")],
)
def test_postgresql_walks_only_the_open_cases_a_status_or_unassigned_token_keeps(
    desk: Desk, sso: int, other: int, monkeypatch: pytest.MonkeyPatch, token: str, index: str
) -> None:
    """A search of many cases is tested row by row along the deadline order. With a token
    most open cases fail, walking every open case read them all before a screenful: on
    the 1M PostgreSQL demo desk "quorum status:open" read 70,275 rows for 50 (259 ms).
    Each token has an index of its own cases in deadline order (migration 0017)."""
    from deskterm.desk.filters import parse_filter
    from deskterm.desk.queue import Queue, QueueQuery

    if desk.engine.dialect.name == "sqlite":
        pytest.skip("PostgreSQL's query plans")
    monkeypatch.setattr(search, "FEW", 1)
    queue = Queue(desk)
    assert queue.count(QueueQuery(filter=parse_filter("after", "alice"), me="alice"), desk.now())
    typed = QueueQuery(filter=parse_filter(f"after {token}", "alice"), me="alice")
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(desk.engine, "before_cursor_execute", record)
    try:
        queue.rows(typed, desk.now(), 0, 50)
    finally:
        event.remove(desk.engine, "before_cursor_execute", record)
    statement, parameters = next(found for found in seen if "ORDER BY" in found[0])
    with desk.engine.connect() as connection:
        # A test desk is a few rows: a scan would win any plan. Forbidden scans and
        # sorts show which index serves the keystroke.
        connection.exec_driver_sql("SET enable_seqscan = off")
        connection.exec_driver_sql("SET enable_sort = off")
        plan = "\n".join(
            row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        )
        connection.rollback()
    assert index in plan, plan
    assert "Sort" not in plan, plan


def test_a_desk_with_the_first_index_moves_to_a_row_per_text(tmp_path: Path) -> None:
    """Migration 0008: a desk indexed a document per case (0006) keeps every word,
    the words read from text attachments too, in the index of a row per text."""
    from alembic import command

    from deskterm import settings
    from deskterm.sla.catalog import PolicyCatalog
    from deskterm.store import migrate
    from deskterm.store.engine import database_url, make_engine
    from tests.desk.conftest import MONDAY
    from tests.frozen import FrozenClock

    engine = make_engine(database_url(str(tmp_path / "old.db")))
    migrate.upgrade(engine, MONDAY)
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=FrozenClock(MONDAY))
    directory.add_organization(desk, "Acme", "business-hours-3")
    number = cases.open_case(
        desk, organization="Acme", contact=None, severity=2, subject="Quokka outage"
    ).number
    cases.note(desk, number, "the wallaby service restarted")
    log = tmp_path / "trace.log"
    log.write_text("numbat handshake failed\n")
    attachments.attach(desk, number, log)
    # Today's models write today's schema: the desk is made at the newest, then taken
    # back to 0007, whose downgrade of 0008 restores the index of a document per case
    # (its backlog) and keeps the words read from text attachments.
    command.downgrade(migrate._config(engine), "0007_sla_clocks")
    migrate.upgrade(engine, MONDAY)  # 0008 and on, then the build
    assert search_index.problems(engine) == []
    for query in ("subject:quokka", "wallaby", "numbat", "trace.log"):
        assert numbers(desk, query) == [number], query
    cases.note(desk, number, "a new word: bilby")
    assert numbers(desk, "bilby wallaby") == [number]
    assert search_index.problems(engine) == []
    engine.dispose()
