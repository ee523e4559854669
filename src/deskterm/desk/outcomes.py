"""SLA outcomes written when a clock settles, so that reports read instead of replaying.

`settled` computes a case's first-response outcome from its history exactly as
the report's replay counts it (deskterm.desk.reports): the severity it had when
support answered, who answered, met or missed, and the business time taken.
`cases.refresh` stores it in the transaction of the change that answered; `fill`
stores it for every case of an existing desk (migration 0005_desk_figures, and
the demo after its bulk insert).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from deskterm.models.tables import table_of
from deskterm.sla import Clock, ClockKind, Policy

if TYPE_CHECKING:
    from deskterm.desk.policy_versions import Versions
from deskterm.sla.clocks import first_response_clock

FIRST_RESPONSE = ClockKind.FIRST_RESPONSE.value
UNASSIGNED = "unassigned"
CHUNK = 500  # cases whose events are read in one query
# Clock states of a first-response clock that has not settled yet.
UNSETTLED = ("running", "paused")


class Replay:
    """Severity and assignee of one case at any instant, from its events (in id order)."""

    def __init__(self, case: Any, events: Sequence[Any]) -> None:
        opened = next((e for e in events if e.kind == "opened"), None)
        self.initial = int(opened.new_value) if opened and opened.new_value else case.severity
        self.events = events

    def severity_before(self, index: int) -> int:
        severity = self.initial
        for event in self.events[:index]:
            if event.kind == "severity" and event.new_value:
                severity = int(event.new_value)
        return severity

    def assignee_before(self, index: int) -> str:
        assignee: str | None = None
        for event in self.events[:index]:
            if event.kind == "assign":
                assignee = event.new_value or None
        return assignee or UNASSIGNED

    def index_at(self, instant: datetime) -> int:
        """Events up to and including `instant`."""
        return sum(1 for e in self.events if e.at <= instant)


def settled(
    policy: Policy, case: Any, events: Sequence[Any], clock: Clock
) -> dict[str, Any] | None:
    """The stored row of a first-response clock that has stopped; None while it runs."""
    if clock.stopped is None:
        return None
    replay = Replay(case, events)
    index = replay.index_at(clock.stopped)
    severity = replay.severity_before(index)
    responder = next((e.actor for e in events if e.at == clock.stopped), None)
    business: timedelta | None = None
    if clock.started is not None:
        business = policy.level(severity).calendar.open_time_between(clock.started, clock.stopped)
    return {
        "case_id": case.id,
        "clock": FIRST_RESPONSE,
        "policy": policy.name,
        "severity": severity,
        "engineer": responder or replay.assignee_before(index),
        "organization_id": case.organization_id,
        "received_at": case.received_at,
        "started_at": clock.started,
        "answered_at": clock.stopped,
        "due": clock.due,
        "state": clock.state.value,
        "business_us": None if business is None else business // timedelta(microseconds=1),
    }


def record(session: Any, policy: Policy, case: Any, events: Sequence[Any], clock: Clock) -> None:
    """Store the outcome of `case`'s first response in this change's transaction, once."""
    from deskterm.models import SlaOutcome

    if clock.stopped is None or session.get(SlaOutcome, (case.id, FIRST_RESPONSE)) is not None:
        return
    row = settled(policy, case, events, clock)
    assert row is not None
    session.add(SlaOutcome(**row))


# -- filling an existing desk -------------------------------------------------------


def fill(
    connection: Connection,
    policy_of: PolicyOf,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Store the settled first responses of every case that has none yet; returns how many."""
    policy_of = CasePolicies.of(policy_of)
    from deskterm.models import Case, SlaOutcome

    outcomes = table_of(SlaOutcome)
    c = table_of(Case).c
    done = set(connection.execute(select(outcomes.c.case_id)).scalars())
    ids = [
        i
        for i in connection.execute(
            select(c.id).where(c.first_response_state.not_in(UNSETTLED)).order_by(c.id)
        ).scalars()
        if i not in done
    ]
    written = 0
    for _, batch in _recounted(connection, ids, policy_of, now, progress):
        if batch:
            connection.execute(insert(outcomes), batch)
            written += len(batch)
    return written


def _settled_ids(connection: Connection) -> list[int]:
    from deskterm.models import Case

    c = table_of(Case).c
    return list(
        connection.execute(
            select(c.id).where(c.first_response_state.not_in(UNSETTLED)).order_by(c.id)
        ).scalars()
    )


def _recounted(
    connection: Connection,
    ids: Sequence[int],
    policy_of: CasePolicies,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[list[int], list[dict[str, Any]]]]:
    """(case ids, their settled first responses) a chunk at a time, from the events."""
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        rows, events = cases_with_events(connection, chunk, policy_of.versioned)
        yield chunk, list(_settled_rows(rows, events, policy_of, now))
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))


def cases_with_events(
    connection: Connection, chunk: Sequence[int], versioned: bool = False
) -> tuple[list[Any], dict[int, list[Any]]]:
    """The cases of `chunk` (what a clock replay reads of them) and each one's events in
    order: one read of each for a chunk, for the first response and the other clocks.
    `versioned`: with the policy version each case runs under (a desk at migration 0010
    or later)."""
    from deskterm.models import Case, Event

    c = table_of(Case).c
    e = table_of(Event).c
    rows = list(
        connection.execute(
            select(
                c.id,
                c.policy,
                *((c.policy_version,) if versioned else ()),
                c.severity,
                c.received_at,
                c.organization_id,
            ).where(c.id.in_(chunk))
        ).all()
    )
    events: dict[int, list[Any]] = defaultdict(list)
    for event in connection.execute(
        select(e.case_id, e.id, e.at, e.actor, e.kind, e.old_value, e.new_value)
        .where(e.case_id.in_(chunk))
        .order_by(e.case_id, e.id)
    ):
        events[event.case_id].append(event)
    return rows, events


def _stored(connection: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    from deskterm.models import SlaOutcome

    table = table_of(SlaOutcome)
    return {
        row.case_id: dict(row._mapping)
        for row in connection.execute(
            select(table).where(table.c.case_id.in_(list(ids)), table.c.clock == FIRST_RESPONSE)
        )
    }


def differences(
    connection: Connection, policy_of: PolicyOf, now: datetime
) -> tuple[int, int | None]:
    """Cases whose stored first-response outcome differs from a recount from their
    events (missing, wrong, or stored while the clock still runs), and one of them."""
    policy_of = CasePolicies.of(policy_of)
    from deskterm.models import Case, SlaOutcome

    wrong: list[int] = []
    for chunk, rows in _recounted(connection, _settled_ids(connection), policy_of, now):
        stored = _stored(connection, chunk)
        for row in rows:
            if stored.get(row["case_id"]) != row:
                wrong.append(row["case_id"])
    o = table_of(SlaOutcome).c
    c = table_of(Case).c
    wrong += connection.execute(
        select(o.case_id)
        .join(table_of(Case), c.id == o.case_id)
        .where(c.first_response_state.in_(UNSETTLED))
    ).scalars()
    return len(wrong), min(wrong) if wrong else None


def rebuild(
    connection: Connection,
    policy_of: PolicyOf,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rewrite every stored first-response outcome that differs from a recount from the
    events (in the caller's transaction); returns how many were rewritten."""
    policy_of = CasePolicies.of(policy_of)
    from sqlalchemy import delete

    from deskterm.models import Case, SlaOutcome

    table = table_of(SlaOutcome)
    c = table_of(Case).c
    unsettled = select(c.id).where(c.first_response_state.in_(UNSETTLED))
    changed = connection.execute(delete(table).where(table.c.case_id.in_(unsettled))).rowcount
    for chunk, rows in _recounted(connection, _settled_ids(connection), policy_of, now, progress):
        stored = _stored(connection, chunk)
        wrong = [row for row in rows if stored.get(row["case_id"]) != row]
        if wrong:
            ids = [row["case_id"] for row in wrong]
            connection.execute(delete(table).where(table.c.case_id.in_(ids)))
            connection.execute(insert(table), wrong)
            changed += len(wrong)
    return int(changed)


def _settled_rows(
    rows: Iterable[Any],
    events: dict[int, list[Any]],
    policy_of: CasePolicies,
    now: datetime,
) -> Iterable[dict[str, Any]]:
    from deskterm.desk.deadlines import history_of

    for case in rows:
        policy = policy_of.of_case(case)
        if policy is None:
            continue  # a policy file gone: the report replays such a case
        history = events[case.id]
        replayed = history_of(case, history)
        clock = first_response_clock(policy, replayed, now)
        if clock.stopped is not None:
            # Settled before a version was applied: judged under the version it ran
            # under then, as the case's own replay does (desk/deadlines.py `keep_settled`).
            for at, version in policy_of.earlier(case, history, policy):
                before = first_response_clock(version, replayed, now)
                if before.stopped is not None and before.stopped <= at:
                    policy, clock = version, before
                    break
        row = settled(policy, case, history, clock)
        if row is not None:
            yield row


class CasePolicies:
    """The policy each case's outcomes are recounted under. With a desk's stored versions
    (`of_desk`): the version the case runs under, and for a clock that settled before a
    version was applied, the version it ran under then; without (migrations 0005 and
    0009, before versions were stored): each policy's file, by name.

    Called with a name, the file (None for one that is gone or broken): whether a policy
    has a clock at all."""

    def __init__(
        self, by_name: Callable[[str], Policy | None], versions: Versions | None = None
    ) -> None:
        self._by_name = by_name
        self._found: dict[str, Policy | None] = {}
        self._versions = versions
        self.versioned = versions is not None

    @classmethod
    def of_desk(cls, connection: Connection, catalog: Any) -> CasePolicies:
        from deskterm.desk.policy_versions import Versions

        return cls(catalog.get, Versions.of_desk(connection, catalog))

    @classmethod
    def of(cls, policy_of: PolicyOf) -> CasePolicies:
        """`policy_of` as it is, or a function of a name read as each policy's file."""
        return policy_of if isinstance(policy_of, CasePolicies) else cls(policy_of)

    def __call__(self, name: str) -> Policy | None:
        if name not in self._found:
            try:
                self._found[name] = self._by_name(name)
            except Exception:  # unknown or broken: the report replays such cases
                self._found[name] = None
        return self._found[name]

    def of_case(self, case: Any) -> Policy | None:
        """The version `case` runs under (its file, on a desk without versions)."""
        if self._versions is None:
            return self(case.policy)
        return self._versions.for_case(case.policy, case.policy_version)

    def earlier(
        self, case: Any, events: Sequence[Any], current: Policy
    ) -> list[tuple[datetime, Policy]]:
        """(when applied, the version the case ran under until then) for each version
        applied to it, oldest first."""
        if self._versions is None:
            return []
        from deskterm.desk.deadlines import applied

        found = applied(events)
        if not found:
            return []
        version_of = self._versions.version_of(current)
        return [(at, version_of(version)) for at, version in found]

    def all_of(self, name: str) -> list[Policy]:
        """Every version of `name` a case may run under (the file, on a desk without)."""
        found = [] if self._versions is None else self._versions.all_of(name)
        if not found:
            file = self(name)
            found = [] if file is None else [file]
        return found

    def at(
        self, case: Any, events: Sequence[Any], current: Policy
    ) -> Callable[[datetime], Policy] | None:
        """The version `case` ran under at each instant: before the first version applied
        at or after it, else `current` (None: a case no version was applied to)."""
        earlier = self.earlier(case, events, current)
        if not earlier:
            return None

        def policy_at(instant: datetime) -> Policy:
            return next((version for at, version in earlier if at >= instant), current)

        return policy_at


def known_policies(catalog: Any) -> CasePolicies:
    """Each policy of the catalog read once, by name (a desk before versions)."""
    return CasePolicies(catalog.get)


# What the recounts read each case's policy from: each policy's file by name, or a
# desk's stored versions (`CasePolicies.of_desk`).
PolicyOf = Callable[[str], Policy | None] | CasePolicies


def progress_bar(label: str) -> Callable[[int, int], None]:
    """`label: 12,000 / 100,000 cases` redrawn in place on standard error."""

    def show(done: int, total: int) -> None:
        if total < CHUNK * 4:
            return
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{label}: {done:,} / {total:,} cases{end}")
        sys.stderr.flush()

    return show


def missing(connection: Connection) -> int:
    """Cases whose first response has settled (met or missed) but has no stored outcome."""
    from sqlalchemy import exists, func

    from deskterm.models import Case, SlaOutcome

    c = table_of(Case).c
    o = table_of(SlaOutcome).c
    stored = exists().where(o.case_id == c.id, o.clock == FIRST_RESPONSE)
    return int(
        connection.execute(
            select(func.count())
            .select_from(table_of(Case))
            .where(c.first_response_state.in_(("met", "breached")), ~stored)
        ).scalar_one()
    )
