"""The search index across transactions, processes and databases: a change is searchable
in the transaction that made it and by every other process once committed, and SQLite
and PostgreSQL find the same cases, in the same places, for the same desk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from deskterm import settings
from deskterm.desk import cases, directory, search
from deskterm.desk.cases import changing
from deskterm.desk.context import Desk
from deskterm.desk.filters import parse_filter
from deskterm.desk.queue import Queue, QueueQuery
from deskterm.models import EventKind
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade
from tests.desk.conftest import MONDAY, drop_pg_schema, pg_engine_in_fresh_schema
from tests.frozen import FrozenClock


def found_by_another_process(engine: Engine, query: str) -> list[int]:
    """`deskterm search` run as its own process against the same desk."""
    url = engine.url.render_as_string(hide_password=False)
    environment = {**os.environ, "DESKTERM_NOW": "2026-11-23T16:00:00Z"}
    done = subprocess.run(
        [sys.executable, "-m", "deskterm", "--db", url, "--as", "bob", "search", query, "--json"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [hit["number"] for hit in json.loads(done.stdout)]


@pytest.mark.slow
def test_a_change_is_searchable_in_its_transaction_and_elsewhere_once_committed(
    desk: Desk,
) -> None:
    number = cases.open_case(
        desk, organization="Acme", contact=None, severity=2, subject="VPN drops"
    ).number
    with changing(desk, number) as change:
        change.record(EventKind.NOTE, text="the capybara firmware again")
        change.session.flush()
        inside = change.session.connection()
        from sqlalchemy import select

        from deskterm.desk.search_query import term, tokens
        from deskterm.models.columns import cases as table

        terms = tuple(t for t in map(term, tokens("capybara")) if t is not None)
        mine = inside.execute(select(table.c.number).where(search.matching(terms))).all()
        assert [row.number for row in mine] == [number]  # this transaction sees its change
        assert found_by_another_process(desk.engine, "capybara") == []  # nobody else yet
    assert found_by_another_process(desk.engine, "capybara") == [number]


# --- the same desk on both databases -----------------------------------------------------


def build(desk: Desk) -> None:
    """A small desk with accents, addresses, phones, phrases and hostile text."""
    directory.add_organization(desk, "Zürich Rückversicherung", "business-hours-3")
    directory.add_organization(desk, "Acme", "business-hours-3")
    directory.add_contact(
        desk, "Ana Muñoz", "Zürich Rückversicherung", email="ana.munoz@zrv.example",
        phone="+41 44 555 01 23",
    )  # fmt: skip
    directory.add_contact(desk, "Bob", "Acme", email="bob@acme.example", phone="555-0100")
    texts = [
        ("Login loop after SSO change", "note", "SAML assertion rejected: clock skew"),
        ("Kernel panic on boot", "reply", "Please send the crash dump \x1b[31m now"),
        ("Réplica lenta", "note", "la réplica está atrasada; “quoted” text"),
        ("Export fails", "customer", 'error: "NEAR" AND (OR) NOT * ^ {col}: x'),
        ("Clock drift", "reply", "NTP server unreachable, clock skew 3s"),
    ]
    for n, (subject, kind, words) in enumerate(texts):
        org, contact = ("Zürich Rückversicherung", "Ana Muñoz") if n % 2 else ("Acme", "Bob")
        number = cases.open_case(
            desk, organization=org, contact=contact, severity=2, subject=subject
        ).number
        if kind == "note":
            cases.note(desk, number, words)
        elif kind == "reply":
            cases.reply(desk, number, words)
        else:
            cases.customer_reply(desk, number, words)


QUERIES = [
    "saml", "clock skew", '"clock skew"', "clock -saml", "cloc*", "subject:clock",
    "subject:login", "contact:ana", "from:alice", "zurich", "ZÜRICH", "muñoz", "munoz",
    "replica", "réplica", "ana.munoz@zrv.example", "bob@acme.example", "555-0100",
    "+41 44 555 01 23", "41445550123", "near", '"near and"', "crash dump", "31m",
    "quoted", "col", "x", "login*", "-zzz kernel", "sev:2 panic", "acme", "40100",
]  # fmt: skip


def results(desk: Desk) -> dict[str, list[tuple[int, str, str]]]:
    found = {}
    for query in QUERIES:
        hits = search.search(desk, query, limit=50)
        found[query] = [(hit.number, hit.where, hit.snippet) for hit in hits]
    return found


def queue_orders(desk: Desk, query: str) -> tuple[list[int], list[int]]:
    """The queue's rows for a search, by deadline and by relevance."""
    flt = parse_filter(query, desk.actor)
    orders = []
    for relevance in (False, True):
        asked = QueueQuery(view="everything", filter=flt, me=desk.actor, relevance=relevance)
        orders.append([row.number for row in Queue(desk).rows(asked, desk.now(), 0, 50)])
    return orders[0], orders[1]


@pytest.mark.skipif(not os.environ.get("DESKTERM_TEST_PG"), reason="DESKTERM_TEST_PG not set")
def test_sqlite_and_postgresql_find_the_same_cases_in_the_same_places(tmp_path: Path) -> None:
    policies = PolicyCatalog(settings.policy_dirs())
    lite = make_engine(database_url(str(tmp_path / "desk.db")))
    upgrade(lite, MONDAY)
    pg, schema, admin = pg_engine_in_fresh_schema()
    try:
        upgrade(pg, MONDAY)
        answers = []
        orders = []
        for engine in (lite, pg):
            desk = Desk(engine, policies, "alice", now=FrozenClock(MONDAY))
            build(desk)
            answers.append(results(desk))
            orders.append(queue_orders(desk, "clock"))
        sqlite_found, pg_found = answers
        assert any(sqlite_found.values())
        for query in QUERIES:
            assert sqlite_found[query] == pg_found[query], query
        # Same deadline: by number; by relevance the case with the word in its
        # subject first, on either database.
        assert orders[0] == orders[1] == ([40100, 40104], [40104, 40100])
    finally:
        lite.dispose()
        pg.dispose()
        drop_pg_schema(schema, admin)
