"""One demo case from a skeleton: who, what, the events around the SLA ones, the row.

The skeleton (deskterm.desk.demo.history) fixes the SLA-relevant changes; the
builder adds the contact, product and texts (deskterm.desk.demo.texts), owners,
notes and escalations, numbers the case's versions, and takes the clocks of the
skeleton's first replay (deskterm.desk.demo.replay).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deskterm.desk import first_response_states, outcomes
from deskterm.desk.cases import ESCALATION_LEVELS
from deskterm.desk.demo.columns import (
    ACTOR,
    AT,
    CASE_ID,
    CLOCK_OUTCOME_COLUMNS,
    KIND,
    NEW,
    OLD,
    OUTCOME_COLUMNS,
    STATE_COLUMNS,
    VERSION,
    new_event,
)
from deskterm.desk.demo.history import (
    Generator,
    SettledRun,
    Skeleton,
    Step,
    epoch_seconds,
    from_epoch,
)
from deskterm.desk.demo.texts import (
    ACTIONS_BEFORE,
    CALL_OUTCOMES,
    CALL_SUMMARIES,
    CHANGES,
    CLOSE_AT_ONCE_NOTES,
    CONFIRMATIONS,
    CUSTOMER_REPLIES,
    ENGINEERS,
    ESCALATION_REASONS,
    LOWER_REASONS,
    NOTES,
    OPERATING_SYSTEMS,
    PERSISTED,
    PRODUCTS,
    RAISE_REASONS,
    REOPEN_NOTE,
    REPLIES,
    REQUESTS,
    STATUS_NOTES,
    STEPS,
    UPDATE_REPLIES,
)
from deskterm.models import EventKind
from deskterm.sla import Policy, Scheduled, Status

if TYPE_CHECKING:
    from deskterm.desk.demo.replay import Replayed


@dataclass
class Customer:
    id: int
    name: str
    policy: Policy
    # The first instant (epoch seconds) after the maintenance contract ended, if it ends.
    uncovered_from: int | None
    contacts: list[tuple[int, str]] = field(default_factory=list)  # (id, name)
    # The stored version of `policy` its cases run under (deskterm.desk.policy_versions).
    policy_version: int | None = None


def _impact(policy: Policy, severity: int) -> str:
    levels = sorted(policy.severities)
    if isinstance(policy.level(severity).first_response, Scheduled):
        return "task"
    rank = levels.index(severity) / max(1, len(levels) - 1)
    if rank == 0 or (len(levels) > 3 and rank < 0.3):
        return "critical"
    return "major" if rank < 0.7 else "minor"


# The stored clock columns and settled outcomes of a case (deskterm.desk.demo.replay).
Replay = Callable[[dict[str, Any], list[list[Any]], Policy], "Replayed"]


class CaseBuilder:
    """One case from a skeleton: who, what, the non-SLA events, the row."""

    def __init__(self, generator: Generator, replay: Replay) -> None:
        self.now_s = generator.now_s
        self.rng = generator.rng
        self.replay = replay
        self._instants: dict[int, datetime] = {}

    def build(
        self, case_id: int, number: int, org: Customer, skeleton: Skeleton
    ) -> tuple[dict[str, Any], list[list[Any]]]:
        rng = self.rng
        policy = org.policy
        contact_id: int | None = None
        contact_name = ""
        if org.contacts and rng.random() < 0.95:
            contact_id, contact_name = rng.choice(org.contacts)
        first = contact_name.split(" ")[0] if contact_name else "there"
        product = rng.choice(PRODUCTS)
        version = rng.choice(product.versions)
        hour = f"{rng.randint(1, 23):02d}"
        subject = rng.choice(product.subjects[_impact(policy, skeleton.severity)])
        subject = subject.format(version=version, hour=hour)
        error = rng.choice(product.errors)
        fill = {"first": first, "version": version, "hour": hour}

        # Who works it: most cases have an owner from the start, a few change hands.
        status = skeleton.status
        created = skeleton.created
        first_sla = skeleton.changes[0][0] if skeleton.changes else self.now_s
        finished = status in (Status.CLOSED, Status.RESOLVED)
        limit = skeleton.last_change if finished else self.now_s
        extras: list[tuple[int, int, list[Any]]] = []  # (at, order, event)
        if rng.random() < (0.45 if status is Status.NEW else 0.9):
            owner = rng.choice(ENGINEERS)
            at = created + int(max(0, first_sla - created) * rng.random() * 0.5)
            extras.append((at, 0, new_event(at, EventKind.ASSIGN, "assignee", None, owner)))
            if rng.random() < 0.12 and limit > at + 1:
                other = rng.choice([name for name in ENGINEERS if name != owner])
                later = rng.randint(at + 1, limit)
                extras.append(
                    (later, 1, new_event(later, EventKind.ASSIGN, "assignee", owner, other))
                )
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            at = rng.randint(created, max(created, limit))
            note = rng.choice(NOTES).format(**fill)
            extras.append((at, 2, new_event(at, EventKind.NOTE, text=note)))
        if status is not Status.NEW and limit > created + 1 and rng.random() < 0.12:
            at = rng.randint(created, limit - 1)
            levels = ESCALATION_LEVELS
            reason = rng.choice(ESCALATION_REASONS[:2])
            extras.append(
                (at, 3, new_event(at, EventKind.ESCALATE, "escalation", *levels[:2], reason))
            )
            if rng.random() < 0.25:
                later = rng.randint(at + 1, limit)
                reason = rng.choice(ESCALATION_REASONS[2:])
                escalate = new_event(later, EventKind.ESCALATE, "escalation", *levels[1:], reason)
                extras.append((later, 4, escalate))

        notes = f"received {skeleton.received_iso} under {policy.name}"
        if org.uncovered_from is not None and created >= org.uncovered_from:
            notes += "; entitlement override: production outage, renewal in progress (approved by the shift lead)"
        opened = new_event(
            created, EventKind.OPENED, "severity", None, str(skeleton.severity), notes
        )
        opened[VERSION] = 1
        opened[ACTOR] = rng.choice(ENGINEERS)
        merged: list[tuple[int, int, int, list[list[Any]]]] = [
            (at, 0, index, [self._step_event(at, step, contact_name, fill) for step in steps])
            for index, (at, steps) in enumerate(skeleton.changes)
        ]
        merged.extend(
            (at, 1 + order, index, [event]) for index, (at, order, event) in enumerate(extras)
        )
        merged.sort(key=_change_order)

        events = [opened]
        case_version = 1
        assignee: str | None = None
        escalation = "support-engineer"
        updated = created
        for at, _, _, group in merged:
            case_version += 1
            actor = assignee or rng.choice(ENGINEERS)
            for event in group:
                event[VERSION] = case_version
                kind = event[KIND]
                if kind == EventKind.ASSIGN:  # taken by the engineer, or given by another
                    event[ACTOR] = event[NEW] if rng.random() < 0.5 else actor
                    assignee = event[NEW]
                else:
                    event[ACTOR] = actor
                    if kind == EventKind.ESCALATE:
                        escalation = event[NEW]
                events.append(event)
            updated = at
        for event in events:
            event[CASE_ID] = case_id

        row: dict[str, Any] = {
            "id": case_id,
            "number": number,
            "subject": subject,
            "description": (
                f"{contact_name or 'The customer'} reports: {subject}. Error: {error}. "
                f"Affected: {rng.choice(product.roles)} on {product.name} {version}."
            ),
            "organization_id": org.id,
            "contact_id": contact_id,
            "policy": policy.name,
            "policy_version": org.policy_version,
            "severity": skeleton.final_severity,
            "status": status.value,
            "assignee": assignee,
            "escalation": escalation,
            "received_at": skeleton.received,
            "scheduled_for": skeleton.scheduled_for,
            "split_from_id": None,
            "inquirer": contact_name,
            "product": product.name,
            "product_version": version,
            "error_messages": error,
            "steps_to_reproduce": rng.choice(STEPS),
            "actions_before": rng.choice(ACTIONS_BEFORE),
            "changes_made": rng.choice(CHANGES).format(version=version),
            "persisted_for": rng.choice(PERSISTED),
            "operating_system": rng.choice(OPERATING_SYSTEMS),
            "server_roles": ", ".join(
                rng.sample(product.roles, rng.randint(1, len(product.roles)))
            ),
            "version": case_version,
            "created_at": created,
            "updated_at": updated,
        }
        if skeleton.clocks is None:
            replayed = self.replay(row, events, policy)
            skeleton.clocks = replayed.clocks
            skeleton.first_response = replayed.first_response
            skeleton.runs = [SettledRun(run) for run in replayed.runs]
        row.update(skeleton.clocks)
        return row, events

    def outcome(
        self, row: dict[str, Any], events: list[list[Any]], skeleton: Skeleton
    ) -> list[Any] | None:
        """The case's stored first-response outcome: the skeleton's, with its own engineer."""
        settled = skeleton.first_response
        if not settled:
            return None
        answered = epoch_seconds(settled["answered_at"])
        engineer = next((e[ACTOR] for e in events if e[AT] == answered), None)
        if engineer is None:
            index = sum(1 for e in events if e[AT] <= answered)
            for event in events[:index]:
                if event[KIND] == EventKind.ASSIGN:
                    engineer = event[NEW] or None
            engineer = engineer or outcomes.UNASSIGNED
        values = {
            **settled,
            "case_id": row["id"],
            "organization_id": row["organization_id"],
            "engineer": engineer,
        }
        return [values[name] for name in OUTCOME_COLUMNS]

    def clock_outcomes(
        self, row: dict[str, Any], events: list[list[Any]], skeleton: Skeleton
    ) -> list[list[Any]]:
        """The case's stored runs of the update, resolution and next-response clocks: the
        skeleton's, each filed under this case's engineer as clock_outcomes.settlements
        files it (who answered at that instant, else the assignee then)."""
        found = []
        for run in skeleton.runs:
            settled = run.settled_s
            engineer = None
            if settled is not None:
                engineer = next(
                    (e[ACTOR] for e in events if e[AT] == settled and e[KIND] in run.answers),
                    None,
                )
            if engineer is None:
                engineer = _assignee_at(events, run.floor_s)
            values = {
                **run.values,
                "case_id": row["id"],
                "organization_id": row["organization_id"],
                "engineer": engineer,
            }
            found.append([values[name] for name in CLOCK_OUTCOME_COLUMNS])
        return found

    def first_response_states(
        self, row: dict[str, Any], events: list[list[Any]], skeleton: Skeleton, policy: Policy
    ) -> list[tuple[Any, ...]]:
        """The case's rows of `sla_first_response_states`, as first_response_states.fill
        finds them from the written case, its outcome and its events: its `rows_of`,
        given what that fill would read back (the events' instants still in epoch
        seconds: before fill._chained). A skeleton's clock is replayed once for all
        its cases (`rows_of` `clocks`)."""
        made, instant = self._instants.get, self._instant
        case = _StatesCase(row, made(row["received_at"]) or instant(row["received_at"]))
        read = [
            _StatesEvent(event[KIND], made(event[AT]) or instant(event[AT]), event[OLD], event[NEW])
            for event in events
            if event[KIND] in _READ
        ]
        settled = skeleton.first_response
        columns = skeleton.clocks
        assert columns is not None
        due = columns["first_response_due"]
        known = first_response_states.known_of(
            (settled["answered_at"], settled["due"]) if settled else None,
            columns["first_response_state"],
            instant(due) if type(due) is int else due,
        )
        clocks = skeleton.first_response_clocks
        if len(clocks) > _CLOCKS_KEPT:
            clocks.clear()
        found = first_response_states.rows_of(case, read, lambda _version: policy, known, clocks)
        return [_STATE_ROW(state) for state in found]

    def _instant(self, seconds: int) -> datetime:
        """An instant in epoch seconds as a datetime, each once: most are a skeleton's."""
        found = self._instants.get(seconds)
        if found is None:
            if len(self._instants) > _INSTANTS_KEPT:
                self._instants.clear()
            found = self._instants[seconds] = from_epoch(seconds)
        return found

    def _step_event(self, at: int, step: Step, contact: str, fill: dict[str, str]) -> list[Any]:
        rng = self.rng
        role = step.role
        old, new = step.old, step.new
        text: str | None = None
        if role == "reply":
            text = rng.choice(REPLIES).format(**fill)
        elif role == "update":
            text = rng.choice(UPDATE_REPLIES)
        elif role == "call":
            # As desk.cases.log_call writes it: with whom, and how it went.
            text = rng.choice(CALL_SUMMARIES).format(**fill)
            old, new = rng.choice(CALL_OUTCOMES), contact or None
        elif role == "customer":
            text = rng.choice(CUSTOMER_REPLIES).format(**fill)
        elif role in _TEXTS:
            text = rng.choice(_TEXTS[role])
        elif step.kind == EventKind.STATUS and new is not None:
            text = rng.choice(STATUS_NOTES.get(Status(new), (None,)))
        field_name = step.field if step.kind != EventKind.CALL or new else None
        return new_event(at, step.kind, field_name, old, new, text)


_TEXTS: dict[str, tuple[str, ...]] = {
    "confirmation": CONFIRMATIONS,
    "request": REQUESTS,
    "joined": ("the customer replied",),
    "reopen": (REOPEN_NOTE,),
    "close-at-once": CLOSE_AT_ONCE_NOTES,
    "raise": RAISE_REASONS,
    "lower": LOWER_REASONS,
}


_READ = first_response_states.READ
_STATE_ROW = operator.itemgetter(*STATE_COLUMNS)
# Bounds on what the builder keeps (memory at a million cases): a skeleton's clock at
# the instants of its own changes is asked again by each of its cases, at those of a
# case's assignments hardly ever; an instant of a skeleton's change likewise, of an
# assignment once.
_CLOCKS_KEPT = 64
_INSTANTS_KEPT = 100_000


class _StatesCase:
    """A case's columns first_response_states.rows_of reads."""

    __slots__ = ("id", "policy", "policy_version", "severity", "received_at", "organization_id")

    def __init__(self, row: dict[str, Any], received_at: datetime) -> None:
        self.id = row["id"]
        self.policy = row["policy"]
        self.policy_version = row["policy_version"]
        self.severity = row["severity"]
        self.received_at = received_at
        self.organization_id = row["organization_id"]


class _StatesEvent:
    """An event's columns first_response_states.rows_of reads."""

    __slots__ = ("kind", "at", "old_value", "new_value")

    def __init__(self, kind: str, at: Any, old_value: str | None, new_value: str | None) -> None:
        self.kind = kind
        self.at = at
        self.old_value = old_value
        self.new_value = new_value


def _assignee_at(events: list[list[Any]], floor_s: int) -> str:
    """Who had the case at an instant in second `floor_s`, as outcomes.Replay says it."""
    assignee: str | None = None
    for event in events:
        if event[AT] > floor_s:
            break  # the events are in time order
        if event[KIND] == EventKind.ASSIGN:
            assignee = event[NEW] or None
    return assignee or outcomes.UNASSIGNED


def _change_order(item: tuple[int, int, int, list[list[Any]]]) -> tuple[int, int, int]:
    return item[0], item[1], item[2]
