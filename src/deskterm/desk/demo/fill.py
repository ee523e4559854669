"""`deskterm demo`: organizations, contacts and cases with their histories, in one transaction.

Bulk: cases and events are built as plain rows (deskterm.desk.demo.rows) and written
with executemany (deskterm.store.bulk_insert) in one write transaction; the use
cases' per-case transactions would take minutes for 100,000 cases. The same seed
and the same "now" give the same rows.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from deskterm.desk import policy_versions
from deskterm.desk.context import SYSTEM_ACTOR, Desk
from deskterm.desk.demo.chunks import Chunk, in_second_process, worth_a_second_process
from deskterm.desk.demo.columns import (
    CASE_COLUMNS,
    CASE_INSTANTS,
    CASE_TABLE,
    CLOCK_OUTCOME_COLUMNS,
    CLOCK_OUTCOME_INSTANTS,
    CLOCK_OUTCOME_TABLE,
    COUNTER_TABLE,
    EVENT_COLUMNS,
    EVENT_INSTANTS,
    EVENT_TABLE,
    OUTCOME_COLUMNS,
    OUTCOME_INSTANTS,
    OUTCOME_TABLE,
    STATE_COLUMNS,
    STATE_INSTANTS,
    STATE_TABLE,
)
from deskterm.desk.demo.history import DAY, MINUTE, Generator, epoch_seconds, from_epoch
from deskterm.desk.demo.replay import replay_case
from deskterm.desk.demo.rows import CaseBuilder, Customer
from deskterm.desk.demo.texts import FIRST_NAMES, LAST_NAMES, ORGANIZATIONS
from deskterm.desk.errors import DeskError
from deskterm.memory import collector_paused
from deskterm.models import FIRST_CASE_NUMBER, Contact, Organization
from deskterm.sla import Policy
from deskterm.store import chain, statistics
from deskterm.store.bulk_insert import BulkInsert, instant_text
from deskterm.store.bulk_load import alone, bulk_load
from deskterm.store.engine import writing

DEFAULT_CASES = 60
DEFAULT_SEED = 7
# At most this many distinct SLA histories per policy; beyond it, cases share one
# (with their own organization, contact, subject, texts, assignee and notes).
# 100,000 cases then cost ~5,000 replays instead of 100,000.
SKELETONS_PER_POLICY = 1000
# Rows per executemany: bounds memory, not the transaction (there is one).
CHUNK = 5000
# _chained hashes an event list as it is: its columns are the chain's, in order.
assert chain.CONTENT == EVENT_COLUMNS, (chain.CONTENT, EVENT_COLUMNS)
SHIPPED_POLICIES = (
    "business-hours-3",
    "initial-response-3",
    "p1-p6",
    "premium-tier",
    "standard-tier",
)


@dataclass
class DemoReport:
    organizations: int = 0
    contacts: int = 0
    cases: int = 0
    events: int = 0
    skipped: bool = False
    existing_cases: int = 0
    first_number: int | None = None
    last_number: int | None = None

    def summary(self) -> str:
        if self.skipped:
            return (
                f"the database already has {self.existing_cases} case(s): demo data not added "
                "(--if-empty)"
            )
        numbers = f" (cases {self.first_number}-{self.last_number})" if self.cases else ""
        return (
            f"demo: wrote {self.organizations} organization(s), {self.contacts} contact(s), "
            f"{self.cases} case(s){numbers} and {self.events} event(s)"
        )


# --- the SLA part of a history, shared between cases -------------------------------


def _chained(
    events: list[list[Any]], hasher: chain.ContentHasher, at_as_text: bool
) -> list[list[Any]]:
    """A new case's events, each with its hash (deskterm.store.chain) appended; with
    `at_as_text`, their instants made SQLite's text from the chain's (bulk_insert.instant_text)."""
    previous = chain.START
    hash_of = hasher.event
    for event in events:
        case_id, version, at, *texts = event
        if type(at) is int:
            at = _chain_instant(at)
            if at_as_text:
                event[2] = instant_text(at)
        previous = hash_of(previous, case_id, version, at, *texts)
        event.append(previous)
    return events


def _chain_instant(seconds: int) -> str:
    """The chain's text of a whole-second instant (chain.INSTANT_FORMAT), without a datetime."""
    day, rest = divmod(seconds, DAY)
    minutes, second = divmod(rest, MINUTE)
    return f"{_day_text(day)}T{_CLOCK_MINUTES[minutes]}:{second:02d}.000000Z"


# "HH:MM" of each minute of a day: one lookup instead of two formatted numbers.
_CLOCK_MINUTES = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(DAY // MINUTE)]


@functools.lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return from_epoch(day * DAY).strftime("%Y-%m-%d")


def _count_cases(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(CASE_TABLE)).scalar_one())


def fill(
    desk: Desk,
    cases: int = DEFAULT_CASES,
    seed: int = DEFAULT_SEED,
    *,
    if_empty: bool = False,
    skeletons_per_policy: int = SKELETONS_PER_POLICY,
    progress: Callable[[int, int], None] | None = None,
    second_process: bool | None = None,
) -> DemoReport:
    """Add a demo desk: organizations, contacts, `cases` cases with their histories.

    With `if_empty`, a database that has any case is left as it is. The same seed,
    the same `desk.now()` and the same starting database give the same rows.
    `progress(cases written, cases)` is called after each chunk. The cases are made
    in a second process while this one writes (`second_process`; by default for
    large demos on a machine with more than one core): the same rows either way.
    """
    if cases < 1:
        raise DeskError(f"the number of demo cases must be at least 1 (got {cases})")
    if skeletons_per_policy < 1:
        raise DeskError("skeletons_per_policy must be at least 1")
    now = desk.now()
    policies: dict[str, Policy] = {}

    def policy_of(name: str) -> Policy:
        if name not in policies:
            policies[name] = desk.policy(name)  # loads and checks the file once
        return policies[name]

    for name in SHIPPED_POLICIES:
        policy_of(name)
    rng = random.Random(seed)
    report = DemoReport()
    with collector_paused(), alone(desk.engine, cases) as target, writing(target) as session:
        connection = session.connection()
        # Holding the case-number counter for the whole transaction keeps every other
        # writer of cases out until the demo commits: they all take a number first.
        counter = connection.execute(
            select(COUNTER_TABLE.c.value)
            .where(COUNTER_TABLE.c.name == "case_number")
            .with_for_update()
        ).scalar_one_or_none()
        existing = _count_cases(connection)
        if if_empty and existing:
            report.skipped = True
            report.existing_cases = existing
            return report
        orgs = _organizations(session, rng, now, policy_of, report)
        # The policies the cases run under, stored as the desk's versions (issue 22),
        # before the cases: each is written with its version (no UPDATE of every case
        # after the load), and its first-response states name it.
        policy_versions.record_versions(session, desk.policies, SYSTEM_ACTOR, now)
        newest = policy_versions.newest_versions(connection)
        for org in orgs:
            version = org.policy.version
            org.policy_version = newest.get(org.policy.name) if version is None else version
        last_number = FIRST_CASE_NUMBER - 1 if counter is None else int(counter)
        highest_id = connection.execute(select(func.max(CASE_TABLE.c.id))).scalar_one()
        first_id = int(highest_id or 0) + 1

        tables = _Tables(connection)
        made = _made(
            _Making(rng, now, skeletons_per_policy, orgs, first_id, last_number + 1, cases),
            tables,
        )
        if second_process if second_process is not None else worth_a_second_process(cases):
            made = in_second_process(made)
        # Counted and indexed for search set-based, a chunk at a time (deskterm.store.bulk_load).
        # The rows are put in the driver's form here, not where they are made: with a
        # second process making them, that balances the two (the maker is the slower).
        events_ready = ("at",) if tables.events.instants_as_text else ()
        with bulk_load(connection, cases) as load:
            for chunk in made:
                # Cases before their events: foreign keys.
                tables.cases.execute(tables.cases.params(chunk.cases))
                tables.events.execute(tables.events.params(chunk.events, events_ready))
                tables.first_responses.execute(tables.first_responses.params(chunk.first_responses))
                tables.runs.execute(tables.runs.params(chunk.runs))
                tables.states.execute(tables.states.params(chunk.states))
                load.written()
                report.events += len(chunk.events)
                if progress is not None:
                    progress(chunk.made, cases)
        report.cases = cases
        report.first_number = last_number + 1
        report.last_number = last_number + cases
        if counter is None:
            connection.execute(
                insert(COUNTER_TABLE).values(name="case_number", value=report.last_number)
            )
        else:
            connection.execute(
                update(COUNTER_TABLE)
                .where(COUNTER_TABLE.c.name == "case_number")
                .values(value=report.last_number)
            )
        if connection.dialect.name == "postgresql":
            # Explicit ids do not move a serial column's sequence: move it past them.
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"
            )
    # A bulk load changes the table's shape at once: give the planner fresh statistics.
    statistics.rebuild(desk.engine)
    return report


class _Tables:
    """An executemany for each table the demo writes cases to."""

    def __init__(self, connection: Connection) -> None:
        self.cases = BulkInsert(connection, CASE_TABLE, CASE_COLUMNS, CASE_INSTANTS)
        self.events = BulkInsert(connection, EVENT_TABLE, (*EVENT_COLUMNS, "hash"), EVENT_INSTANTS)
        self.first_responses = BulkInsert(
            connection, OUTCOME_TABLE, OUTCOME_COLUMNS, OUTCOME_INSTANTS
        )
        self.runs = BulkInsert(
            connection, CLOCK_OUTCOME_TABLE, CLOCK_OUTCOME_COLUMNS, CLOCK_OUTCOME_INSTANTS
        )
        self.states = BulkInsert(connection, STATE_TABLE, STATE_COLUMNS, STATE_INSTANTS)


@dataclass
class _Making:
    """What the cases are made from."""

    rng: random.Random
    now: datetime
    skeletons_per_policy: int
    orgs: list[Customer]
    first_id: int
    first_number: int
    cases: int


def _made(making: _Making, tables: _Tables) -> Iterator[Chunk]:
    """The cases, CHUNK at a time, as rows of the tables' columns (no database; the
    writer puts them in the driver's form, _Tables)."""
    rng, now = making.rng, making.now
    generator = Generator(rng, now, making.skeletons_per_policy)
    builder = CaseBuilder(
        generator, lambda row, events, policy: replay_case(row, events, policy, now)
    )
    hasher = chain.ContentHasher()
    orgs = making.orgs
    # Cumulative once: rng.choices would add them up again for every case (same draws).
    cumulative = list(itertools.accumulate(_org_weights(orgs)))
    case_rows: list[list[Any]] = []
    event_rows: list[list[Any]] = []
    outcome_rows: list[list[Any]] = []
    run_rows: list[list[Any]] = []
    state_rows: list[Any] = []
    # Events' instants as SQLite's text, made from the chain's text of each (the hash
    # needs it anyway) rather than converted again from epoch seconds.
    at_as_text = tables.events.instants_as_text
    for index in range(making.cases):
        org = rng.choices(orgs, cum_weights=cumulative)[0]
        skeleton = generator.skeleton(org.policy)
        row, events = builder.build(
            making.first_id + index, making.first_number + index, org, skeleton
        )
        case_rows.append([row[name] for name in CASE_COLUMNS])
        # Both read the events' instants as epoch seconds: before _chained.
        outcome = builder.outcome(row, events, skeleton)
        run_rows.extend(builder.clock_outcomes(row, events, skeleton))
        # Their first-response clocks between changes, as the trigger on cases would
        # have stored them had the cases been changed one change at a time, and as
        # first_response_states.fill finds them (tests/desk/test_demo.py): made here,
        # from the history at hand, rather than read back after the load.
        state_rows.extend(builder.first_response_states(row, events, skeleton, org.policy))
        event_rows.extend(_chained(events, hasher, at_as_text))
        if outcome is not None:
            outcome_rows.append(outcome)
        if len(case_rows) >= CHUNK or index == making.cases - 1:
            yield Chunk(index + 1, case_rows, event_rows, outcome_rows, run_rows, state_rows)
            case_rows, event_rows, outcome_rows, run_rows, state_rows = [], [], [], [], []


def _org_weights(orgs: list[Customer]) -> list[int]:
    by_name = {demo.name: demo.weight for demo in ORGANIZATIONS}
    return [by_name.get(org.name, 3) for org in orgs]


def _organizations(
    session: Session,
    rng: random.Random,
    now: datetime,
    policy_of: Callable[[str], Policy],
    report: DemoReport,
) -> list[Customer]:
    """The demo organizations and their contacts; those already there are reused."""
    today = now.date()
    result: list[Customer] = []
    for index, demo in enumerate(ORGANIZATIONS):
        org = session.exec(select(Organization).where(col(Organization.name) == demo.name)).first()
        if org is None:
            until = (
                None if demo.contract_days is None else today + timedelta(days=demo.contract_days)
            )
            org = Organization(
                name=demo.name,
                policy=demo.policy,
                tier=demo.tier,
                contract_until=until,
                created_at=now.replace(microsecond=0) - timedelta(days=400 - 20 * index),
            )
            session.add(org)
            session.flush()
            report.organizations += 1
        assert org.id is not None
        uncovered = None
        if org.contract_until is not None:
            day_after = org.contract_until + timedelta(days=1)
            uncovered = epoch_seconds(
                datetime(day_after.year, day_after.month, day_after.day, tzinfo=UTC)
            )
        # An organization of that name may predate the demo, under another policy.
        entry = Customer(org.id, org.name, policy_of(org.policy), uncovered)
        known = list(
            session.exec(
                select(Contact)
                .where(col(Contact.organization_id) == org.id)
                .order_by(col(Contact.id))
            )
        )
        if not known:
            taken: set[str] = set()
            for position in range(rng.randint(3, 6)):
                name = _person(rng, taken)
                taken.add(name)
                phone = f"+1 {demo.area_code} 555 01{rng.randint(0, 99):02d}"
                contact = Contact(
                    organization_id=org.id,
                    name=name,
                    email=f"{name.lower().replace(' ', '.')}@{demo.domain}"
                    if rng.random() < 0.95
                    else None,
                    phone=phone if rng.random() < 0.8 else None,
                    is_admin=position == 0 or rng.random() < 0.3,
                    created_at=org.created_at + timedelta(days=rng.randint(0, 30)),
                )
                session.add(contact)
                known.append(contact)
                report.contacts += 1
            session.flush()
        entry.contacts = [(contact.id, contact.name) for contact in known if contact.id is not None]
        result.append(entry)
    return result


def _person(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in taken:
            return name
