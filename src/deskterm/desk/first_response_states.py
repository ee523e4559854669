"""Each case's first-response clock as it stood between changes, stored, not replayed.

While a case's first response is unanswered, a change that alters its stored
first-response columns (state, due, severity, assignee, policy) leaves a row of
`sla_first_response_states`: those columns as they were before it, `until` the
change's instant. A trigger on `cases` writes it in the change's own
transaction (migration 0015_report_1m), so every path that changes a case (a use
case, the sweep's batches, a policy applied) writes it alike.

For a period ending at `end`, the clock of a case changed since is then the row
of that case with the smallest `until` from `end` on (the columns held up to that
change), or, with no such row, the columns the case has now: a range read instead
of a replay (deskterm.desk.reports).

`rows_of` gives the rows a case's events imply (what the report's replay says at
each instant the case changed): the migration fills existing desks with it, and
the demo and import, which write whole histories without changing cases, store
them with their cases (the demo makes them with each case, deskterm.desk.demo.rows;
import reads its cases back, `fill`). tests/desk/test_report_outcomes.py checks
that what the trigger stored equals it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, insert, select

from deskterm.desk.outcomes import CHUNK, Replay
from deskterm.desk.policy_versions import version_named
from deskterm.models.tables import table_of
from deskterm.sla import Policy

# The stored first-response states of a clock not answered yet.
UNANSWERED = ("running", "paused", "not-applicable")
# Kinds of event that move the clock or what it is filed under (reports._CLOCK_EVENTS).
MOVING = frozenset(
    {
        "opened",
        "status",
        "severity",
        "reply",
        "call",
        "customer-reply",
        "policy",
        "scheduled",
        "assign",
    }
)
TABLE = "sla_first_response_states"
_COLUMNS = "policy, policy_version, severity, assignee, first_response_state, first_response_due"
# Not policy_version: giving the cases of a desk from before versions were stored
# their version 1 (policy_versions.record_versions, the demo) is no change of theirs;
# a version applied to a case moves its due, or leaves its clock as it was.
_CHANGED = " OR ".join(
    f"OLD.{column} {{differs}} NEW.{column}"
    for column in _COLUMNS.split(", ")
    if column != "policy_version"
)
_WHEN = (
    "OLD.first_response_state IN ('running', 'paused', 'not-applicable') "
    "AND NEW.updated_at > OLD.received_at AND ({changed})"
)
_INSERT = (
    f"INSERT INTO {TABLE} (case_id, until, policy, policy_version, severity, assignee, state, due) "
    "VALUES (OLD.id, NEW.updated_at, OLD.policy, OLD.policy_version, OLD.severity, "
    "OLD.assignee, OLD.first_response_state, OLD.first_response_due) "
    "ON CONFLICT (case_id, until) DO NOTHING"
)
# The first change at an instant keeps its row (ON CONFLICT DO NOTHING): a second
# change at the same instant (a frozen clock, the ORM's second UPDATE of a change)
# saw the columns the first left, not those before the instant.
SQLITE_TRIGGER = (
    "CREATE TRIGGER cases_first_response_states AFTER UPDATE ON cases "
    f"WHEN {_WHEN.format(changed=_CHANGED.format(differs='IS NOT'))} "
    f"BEGIN {_INSERT}; END"
)
PG_FUNCTION = (
    "CREATE FUNCTION deskterm_first_response_states() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {_INSERT}; RETURN NULL; END $$"
)
PG_TRIGGER = (
    "CREATE TRIGGER cases_first_response_states AFTER UPDATE ON cases FOR EACH ROW "
    f"WHEN ({_WHEN.format(changed=_CHANGED.format(differs='IS DISTINCT FROM'))}) "
    "EXECUTE FUNCTION deskterm_first_response_states()"
)


def create_trigger(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(PG_FUNCTION)
        connection.exec_driver_sql(PG_TRIGGER)
    else:
        connection.exec_driver_sql(SQLITE_TRIGGER)


def drop_trigger(connection: Connection) -> None:
    connection.exec_driver_sql(
        "DROP TRIGGER IF EXISTS cases_first_response_states"
        + (" ON cases" if connection.dialect.name == "postgresql" else "")
    )
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS deskterm_first_response_states()")


# What the replay says of the first-response clock at an instant, in the stored columns'
# terms: (policy version, severity, assignee, state, due).
_Columns = tuple[int | None, int, str | None, str, datetime | None]
# Events after which a case's first-response due may differ from one instant to another.
_MOVING_DUE = frozenset({"severity", "scheduled", "policy", "customer-timeout"})
# The kinds of event `rows_of` reads of a history (the others change nothing it says).
READ = MOVING | _MOVING_DUE
# For `rows_of`: (answered at, state, due) of a case, from its stored outcome or columns.
Known = tuple[datetime | None, str, datetime | None]


def known_of(
    outcome: tuple[datetime | None, datetime | None] | None, state: str, due: datetime | None
) -> Known | None:
    """`rows_of`'s `known` of a case: from its stored first-response outcome
    (answered at, due) when it has one, else from its stored first-response columns
    while they say running or not applicable (else None: replayed)."""
    if outcome is not None:
        answered_at, outcome_due = outcome
        return answered_at, "running" if outcome_due is not None else UNANSWERED[2], outcome_due
    if state in ("running", UNANSWERED[2]):
        return None, state, due
    return None


def rows_of(
    case: Any,
    events: Sequence[Any],
    version_policy: Callable[[int | None], Policy | None],
    known: Known | None = None,
    clocks: dict[tuple[int | None, datetime], tuple[str, datetime | None]] | None = None,
) -> list[dict[str, Any]]:
    """The rows `case`'s events imply: at each instant after its receipt where an event
    moved what the report's replay says of its first-response clock, what it said just
    before, while unanswered. `version_policy`: the policy of a version number (None
    when gone: then no rows, and the report replays the case). `events` in id order.

    `known`: (answered at, state, due) of the case from its stored outcome (or,
    unanswered, its stored columns), `known_of`: when its severity, schedule and
    version never changed, its due is the same at every instant before the answer, so
    nothing is replayed (what the replay gives, by tests/desk/test_report_outcomes.py).
    `fill` and the demo (deskterm.desk.demo.rows) give it.

    `clocks`: the replayed clock's (state, due) by (version, instant), kept for the
    next case whose history (deadlines.history_of) and policies are the same: the
    demo's cases that share a skeleton (deskterm.desk.demo.history) replay it once."""
    from deskterm.desk.deadlines import history_of
    from deskterm.sla.clocks import first_response_clock

    if known is not None and any(e.kind in _MOVING_DUE for e in events):
        known = None
    instants = sorted({e.at for e in events if e.kind in MOVING and e.at > case.received_at})
    if not instants:
        return []
    # As outcomes.Replay (index_at, severity_before, assignee_before), in one pass: how
    # many events are at or before an instant, and the severity and assignee after the
    # first n events.
    times = sorted(e.at for e in events)
    severity = Replay(case, events).initial
    assignee: str | None = None
    severities = [severity]
    assignees = [assignee]
    for event in events:
        if event.kind == "severity" and event.new_value:
            severity = int(event.new_value)
        elif event.kind == "assign":
            assignee = event.new_value or None
        severities.append(severity)
        assignees.append(assignee)
    history = history_of(case, events) if known is None else None
    # The version each instant ran under: the one the first POLICY event after it left
    # (reports use policy_versions.versions_at at the period's end alike).
    applied = [(e.at, version_named(e.old_value)) for e in events if e.kind == "policy"]
    found: list[dict[str, Any]] = []

    def columns(instant: datetime) -> _Columns | None:
        index = bisect_right(times, instant)
        if known is not None:
            stop, state, due = known
            if stop is not None and stop <= instant:
                state = "answered"
            return case.policy_version, severities[0], assignees[index], state, due
        version = next((v for at, v in applied if at > instant), case.policy_version)
        held = None if clocks is None else clocks.get((version, instant))
        if held is None:
            policy = version_policy(version)
            if policy is None:
                return None
            assert history is not None
            clock = first_response_clock(policy, history, instant)
            if clock.stopped is not None:
                state = "answered"
            else:
                state = "running" if clock.due is not None else "not-applicable"
            held = state, clock.due
            if clocks is not None:
                clocks[version, instant] = held
        return version, severities[index], assignees[index], *held

    before = columns(case.received_at)
    for instant in instants:
        if before is None:
            return []  # a version gone: the report replays the case
        if before[3] == "answered":
            break
        now = columns(instant)
        # As the trigger: a version alone is no change (the row names the version last
        # held before it).
        if now is None or now[1:] != before[1:]:
            version, severity, assignee, state, due = before
            found.append(
                {
                    "case_id": case.id,
                    "until": instant,
                    "policy": case.policy,
                    "policy_version": version,
                    "severity": severity,
                    "assignee": assignee,
                    "state": state,
                    "due": due,
                }
            )
        before = now
    return found


def _known(connection: Connection, chunk: Sequence[int]) -> dict[int, Known]:
    """For `rows_of`: each case's stored outcome (answered at, due), or for a case not
    answered, its stored first-response columns."""
    from deskterm.desk.outcomes import FIRST_RESPONSE
    from deskterm.models import Case, SlaOutcome

    o = table_of(SlaOutcome).c
    c = table_of(Case).c
    found: dict[int, Known] = {}
    for row in connection.execute(
        select(o.case_id, o.answered_at, o.due).where(
            o.case_id.in_(chunk), o.clock == FIRST_RESPONSE
        )
    ):
        known = known_of((row.answered_at, row.due), "", None)
        assert known is not None
        found[row.case_id] = known
    for row in connection.execute(
        select(c.id, c.first_response_state, c.first_response_due).where(
            c.id.in_(chunk), c.first_response_state.in_(("running", UNANSWERED[2]))
        )
    ):
        if row.id not in found:
            known = known_of(None, row.first_response_state, row.first_response_due)
            if known is not None:
                found[row.id] = known
    return found


def _cases_with_events(
    connection: Connection, chunk: Sequence[int]
) -> tuple[list[Any], dict[int, list[Any]]]:
    """As outcomes.cases_with_events, with only the events `rows_of` reads (not the
    notes, escalations, breaches: at a million cases, most of them)."""
    from deskterm.models import Case, Event

    c = table_of(Case).c
    e = table_of(Event).c
    cases = list(
        connection.execute(
            select(
                c.id, c.policy, c.policy_version, c.severity, c.received_at, c.organization_id
            ).where(c.id.in_(chunk))
        ).all()
    )
    events: dict[int, list[Any]] = defaultdict(list)
    for event in connection.execute(
        select(e.case_id, e.id, e.at, e.kind, e.old_value, e.new_value)
        .where(e.case_id.in_(chunk), e.kind.in_(sorted(READ)))
        .order_by(e.case_id, e.id)
    ):
        events[event.case_id].append(event)
    return cases, events


def _recounted(
    connection: Connection,
    version_policy: Callable[[str, int | None], Policy | None],
    ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[list[int], list[dict[str, Any]]]]:
    """(case ids, the rows their events imply) a chunk at a time, for every case (or `ids`)."""
    from deskterm.models import Case

    c = table_of(Case).c
    if ids is None:
        ids = connection.execute(select(c.id).order_by(c.id)).scalars()
    every = list(ids)
    for start in range(0, len(every), CHUNK):
        chunk = every[start : start + CHUNK]
        cases, events = _cases_with_events(connection, chunk)
        known = _known(connection, chunk)
        rows: list[dict[str, Any]] = []
        for case in cases:
            policy_of = partial(version_policy, case.policy)
            rows += rows_of(case, events[case.id], policy_of, known.get(case.id))
        yield chunk, rows
        if progress is not None:
            progress(min(start + CHUNK, len(every)), len(every))


def fill(
    connection: Connection,
    version_policy: Callable[[str, int | None], Policy | None],
    ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Store the rows of every case (or of `ids`) from its events; returns how many.
    `version_policy(name, version)`: a policy's version (None when it cannot be read)."""
    from deskterm.models import SlaFirstResponseState

    table = table_of(SlaFirstResponseState)
    written = 0
    for _, rows in _recounted(connection, version_policy, ids, progress):
        if rows:
            connection.execute(insert(table), rows)
            written += len(rows)
    return written


def _by_case(rows: Iterable[Any]) -> dict[int, list[tuple[Any, ...]]]:
    found: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        found[row["case_id"]].append(tuple(row[name] for name in _FIELDS))
    return found


_FIELDS = ("until", "policy", "policy_version", "severity", "assignee", "state", "due")


def _wrong(
    connection: Connection,
    version_policy: Callable[[str, int | None], Policy | None],
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[list[int]]:
    """The cases of each chunk whose stored rows differ from a recount of their events."""
    from deskterm.models import SlaFirstResponseState

    table = table_of(SlaFirstResponseState)
    for chunk, rows in _recounted(connection, version_policy, None, progress):
        stored = _by_case(
            row._mapping
            for row in connection.execute(
                select(table).where(table.c.case_id.in_(chunk)).order_by(table.c.until)
            )
        )
        wanted = _by_case(rows)
        yield [case_id for case_id in chunk if stored.get(case_id) != wanted.get(case_id)]


def differences(
    connection: Connection, version_policy: Callable[[str, int | None], Policy | None]
) -> tuple[int, int | None]:
    """Cases whose stored first-response states differ from a recount of their events
    (`deskterm doctor --recount`), and one of them."""
    wrong = [case_id for chunk in _wrong(connection, version_policy) for case_id in chunk]
    return len(wrong), min(wrong) if wrong else None


def rebuild(
    connection: Connection,
    version_policy: Callable[[str, int | None], Policy | None],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rewrite the stored states of every case whose rows differ from a recount of its
    events (`deskterm db recount`, in the caller's transaction); returns how many cases."""
    from sqlalchemy import delete

    from deskterm.models import SlaFirstResponseState

    table = table_of(SlaFirstResponseState)
    wrong = [case_id for chunk in _wrong(connection, version_policy, progress) for case_id in chunk]
    for start in range(0, len(wrong), CHUNK):
        chunk = wrong[start : start + CHUNK]
        connection.execute(delete(table).where(table.c.case_id.in_(chunk)))
        fill(connection, version_policy, chunk)
    return len(wrong)
