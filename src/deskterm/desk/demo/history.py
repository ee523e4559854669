"""The SLA shape of a demo case (its "skeleton"), drawn at random and shared between cases.

What the SLA engine reads of a case is its received instant, severities, statuses,
responses, customer replies and schedule. The generator draws those (every move one
the workflow allows, deskterm.desk.workflow); at most `per_policy` distinct
skeletons per policy, so their clocks are replayed once and reused
(deskterm.desk.demo.rows). Instants are whole epoch seconds: cheaper to draw, sort
and write than datetimes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from deskterm.desk import clock_outcomes
from deskterm.desk.workflow import MOVES
from deskterm.instants import to_iso
from deskterm.models import EventKind
from deskterm.sla import CaseHistory, ClockKind, Elapsed, Policy, Scheduled, Status, compute_clocks

# One new case in this many is unanswered and due within the hour, one is overdue.
UNANSWERED_EVERY = 20
DUE_SOON = (5 * 60, 55 * 60)  # first response due this many seconds from now
OVERDUE = (-2 * 86400, -10 * 60)

MINUTE = 60
HOUR = 3600
DAY = 86400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The received windows found (`Generator._received_window`), by policy text, severity,
# window and instant: shared by the generators of one process.
_WINDOWS: dict[tuple[str, int, tuple[int, int], datetime], tuple[int, int] | None] = {}
_WINDOWS_KEPT = 4096


def from_epoch(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def epoch_seconds(instant: datetime) -> int:
    return int((instant - EPOCH).total_seconds())


@dataclass
class Step:
    """One SLA-relevant event of a skeleton; texts and names are filled per case."""

    kind: EventKind
    field: str | None = None
    old: str | None = None
    new: str | None = None
    role: str = ""  # which text the case fills in: "reply", "request", "status", ...


class SettledRun:
    """A settled run of a skeleton's update, resolution or next-response clock, as
    clock_outcomes.walk found it for the skeleton's first case (deskterm.desk.demo.rows
    files it under each case's own engineer)."""

    def __init__(self, values: dict[str, Any]) -> None:
        # Whole-second instants as epoch seconds: written faster (deskterm.store.bulk_insert).
        self.values = {
            name: epoch_seconds(value)
            if isinstance(value, datetime) and value.microsecond == 0
            else value
            for name, value in values.items()
        }
        settled: datetime = values["settled_at"]
        # In whole epoch seconds, as the events' instants: the last second it is in, and
        # the instant itself when it is a whole second (else no event is at it).
        self.floor_s = epoch_seconds(settled)
        self.settled_s = self.floor_s if settled.microsecond == 0 else None
        self.answers = clock_outcomes.ANSWERS[ClockKind(values["clock"])]


@dataclass
class Skeleton:
    """What the SLA engine sees of a case: received instant, severities, statuses,
    responses, customer replies, schedule. Everything else a case carries (who,
    what, notes, assignments, escalations) is not read by history_of or plan, so
    cases with the same skeleton have the same clocks: computed once, reused.
    """

    policy: Policy
    severity: int  # at intake
    received: int  # epoch seconds
    created: int  # when it was logged (the "opened" event)
    changes: list[tuple[int, list[Step]]]  # (epoch seconds, the steps of one change)
    status: Status
    final_severity: int
    scheduled_for: int | None = None
    clocks: dict[str, Any] | None = None  # the stored clock columns, once replayed
    # The settled first response (deskterm.desk.outcomes), once replayed; {} if none.
    first_response: dict[str, Any] | None = None
    # The settled runs of the other clocks (deskterm.desk.clock_outcomes), once replayed.
    runs: list[SettledRun] = field(default_factory=list)
    # Its first-response clock at instants of its cases' changes, once replayed
    # (deskterm.desk.first_response_states.rows_of `clocks`).
    first_response_clocks: dict[Any, Any] = field(default_factory=dict)
    received_iso: str = ""

    def __post_init__(self) -> None:
        self.received_iso = to_iso(from_epoch(self.received)) or ""

    @property
    def last_change(self) -> int:
        return self.changes[-1][0] if self.changes else self.created


class Generator:
    def __init__(self, rng: random.Random, now: datetime, per_policy: int):
        self.rng = rng
        self.now = now
        self.now_s = epoch_seconds(now)  # whole seconds: no event is after now
        self.per_policy = per_policy
        self.pools: dict[str, list[Skeleton]] = {}
        self._windows: dict[tuple[str, int, tuple[int, int]], tuple[int, int] | None] = {}
        self.made = 0
        # Unanswered cases owed to the desk: one skeleton in UNANSWERED_EVERY is due
        # soon, one overdue, carried over while the policy at hand cannot make one.
        self.owed = {DUE_SOON: 0, OVERDUE: 0}

    # -- skeletons -------------------------------------------------------------

    def skeleton(self, policy: Policy) -> Skeleton:
        pool = self.pools.setdefault(policy.name, [])
        if len(pool) >= self.per_policy:
            return pool[self.rng.randrange(len(pool))]
        skeleton = self._new_skeleton(policy)
        pool.append(skeleton)
        return skeleton

    def _severity(self, policy: Policy) -> int:
        levels = sorted(policy.severities)
        if len(levels) == 3:
            weights: Sequence[float] = (12, 38, 50)
        elif len(levels) == 6:
            weights = (3, 7, 20, 35, 25, 10)
        else:
            weights = [index + 1 for index in range(len(levels))]
        return self.rng.choices(levels, weights)[0]

    def _age(self) -> int:
        rng = self.rng
        low, high = rng.choices(
            (
                (MINUTE, HOUR),
                (HOUR, DAY),
                (DAY, 7 * DAY),
                (7 * DAY, 21 * DAY),
                (21 * DAY, 45 * DAY),
            ),
            (8, 20, 35, 27, 10),
        )[0]
        return int(low * (high / low) ** rng.random())

    def _final_status(self, age: int, top: bool) -> Status:
        S = Status
        statuses = (S.NEW, S.OPEN, S.WAITING, S.SOFTWARE_CHANGE, S.RESOLVED, S.CLOSED)
        if age < HOUR:
            weights: tuple[int, ...] = (70, 25, 5, 0, 0, 0)
        elif age < DAY:
            weights = (20, 40, 20, 5, 10, 5)
        elif age < 7 * DAY:
            weights = (4, 30, 20, 10, 21, 15)
        else:
            weights = (1, 14, 10, 14, 16, 45)
        if top and age > 2 * DAY:  # an outage is not left open for long
            weights = (0, 6, 4, 12, 28, 50)
        return self.rng.choices(statuses, weights)[0]

    def _new_skeleton(self, policy: Policy) -> Skeleton:
        rng = self.rng
        self.made += 1
        if self.made % UNANSWERED_EVERY == 3:
            self.owed[DUE_SOON] += 1
        if self.made % UNANSWERED_EVERY == 8:
            self.owed[OVERDUE] += 1
        for window, owed in self.owed.items():
            if owed:
                unanswered = self._unanswered(policy, window)
                if unanswered is not None:
                    self.owed[window] -= 1
                    return unanswered
        severity = self._severity(policy)
        levels = sorted(policy.severities)
        top = severity == levels[0]
        age = self._age()
        received = self.now_s - age
        created = received + min(rng.randint(0, 10 * MINUTE), age // 3)
        final = self._final_status(age, top)
        actions = self._actions(policy, severity, final, age)
        changes, scheduled = self._timed(policy, severity, final, created, actions)
        status, current = Status.NEW, severity
        for _, group in changes:
            for step in group:
                if step.kind == EventKind.STATUS and step.new is not None:
                    status = Status(step.new)
                elif step.kind == EventKind.SEVERITY and step.new is not None:
                    current = int(step.new)
        return Skeleton(policy, severity, received, created, changes, status, current, scheduled)

    def _unanswered(self, policy: Policy, window: tuple[int, int]) -> Skeleton | None:
        """A new, unanswered case whose first response is due within `window` of now
        (seconds; negative: in the past), if this policy can have one at this moment."""
        options = [
            level
            for level in sorted(policy.severities)
            if self._received_window(policy, level, window) is not None
        ]
        if not options:
            return None
        severity = self.rng.choice(options)
        received_window = self._received_window(policy, severity, window)
        assert received_window is not None
        received = self.rng.randint(*received_window)
        created = min(received + self.rng.randint(0, 5 * MINUTE), self.now_s)
        return Skeleton(policy, severity, received, created, [], Status.NEW, severity)

    def _received_window(
        self, policy: Policy, severity: int, window: tuple[int, int]
    ) -> tuple[int, int] | None:
        """The received instants (epoch seconds) whose first response falls due in `window`."""
        key = (policy.name, severity, window)
        if key not in self._windows:
            # A policy read from its file is its text and files (sha256): the same
            # window at the same instant in every demo of this process (a test run
            # fills hundreds, and each search replays the clock some forty times).
            shared = (policy.sha256, severity, window, self.now) if policy.text else None
            if shared is not None and shared in _WINDOWS:
                found = _WINDOWS[shared]
            else:
                found = self._search_window(policy, severity, window)
                if shared is not None:
                    if len(_WINDOWS) >= _WINDOWS_KEPT:
                        _WINDOWS.clear()
                    _WINDOWS[shared] = found
            self._windows[key] = found
        return self._windows[key]

    def _search_window(
        self, policy: Policy, severity: int, window: tuple[int, int]
    ) -> tuple[int, int] | None:
        def due(received: int) -> int | None:
            history = CaseHistory(received=from_epoch(received), severity=severity)
            clock = compute_clocks(policy, history, self.now)[ClockKind.FIRST_RESPONSE]
            return None if clock.due is None else epoch_seconds(clock.due)

        earliest, latest = self.now_s - 40 * DAY, self.now_s
        if due(latest) is None:
            return None
        start, end = self.now_s + window[0], self.now_s + window[1]

        def first_with_due_at_least(bound: int) -> int:
            # The due instant never decreases as the received instant grows.
            low, high = earliest, latest + 1
            while low < high:
                middle = (low + high) // 2
                value = due(middle) if middle <= latest else None
                if middle > latest or (value is not None and value >= bound):
                    high = middle
                else:
                    low = middle + 1
            return low

        low = first_with_due_at_least(start)
        high = min(first_with_due_at_least(end + 1) - 1, latest)
        if low > high:
            return None
        for probe in (low, high):
            value = due(probe)
            if value is None or not start <= value <= end:
                return None
        return low, high

    def _actions(self, policy: Policy, severity: int, final: Status, age: int) -> list[Step]:
        """The SLA-relevant steps that bring a case from new to `final`, in order."""
        rng = self.rng
        K = EventKind
        steps: list[Step] = []
        state = [Status.NEW]

        def move(target: Status, role: str = "status") -> None:
            current = state[0]
            if target is current or target not in MOVES[current]:
                return
            steps.append(Step(K.STATUS, "status", current.value, target.value, role))
            state[0] = target

        def respond(call_chance: float = 0.25) -> None:
            if rng.random() < call_chance:
                steps.append(Step(K.CALL, "with", role="call"))
            else:
                steps.append(Step(K.REPLY, role="reply"))

        def customer_reply() -> None:
            steps.append(Step(K.CUSTOMER_REPLY, role="customer"))
            if state[0] is Status.WAITING:  # one change, as desk.cases.customer_reply writes it
                steps.append(
                    Step(K.STATUS, "status", Status.WAITING.value, Status.OPEN.value, "joined")
                )
                state[0] = Status.OPEN

        levels = sorted(policy.severities)
        top = severity == levels[0]
        call_chance = 0.6 if top else 0.2
        if final is Status.NEW:
            if rng.random() < 0.15:
                respond(call_chance)
            return steps
        if final is Status.CLOSED and rng.random() < 0.15:
            if rng.random() < 0.5:
                respond(call_chance)
            move(Status.CLOSED, "close-at-once")
            return steps

        responded = rng.random() < 0.75
        if responded:
            respond(call_chance)
        move(Status.OPEN)
        if not responded and (final is not Status.OPEN or rng.random() < 0.6):
            respond(call_chance)
        if age > 6 * HOUR and rng.random() < 0.12:
            steps.append(self._severity_step(policy, severity))
        cycles = rng.choices((0, 1, 2), (55, 35, 10))[0] if age > 2 * HOUR else 0
        for _ in range(cycles):
            move(Status.WAITING, "request")
            customer_reply()
            if rng.random() < 0.5:
                respond(call_chance)
        for _ in range(rng.choices((0, 1, 2), (50, 35, 15))[0] if age > HOUR else 0):
            respond(call_chance)

        if final is Status.OPEN:
            if age > 3 * DAY and rng.random() < 0.1:  # fixed, then it came back
                move(Status.RESOLVED)
                move(Status.OPEN, "reopen")
                respond(call_chance)
        elif final is Status.WAITING:
            move(Status.WAITING, "request")
        elif final is Status.SOFTWARE_CHANGE:
            move(Status.SOFTWARE_CHANGE)
        elif final in (Status.RESOLVED, Status.CLOSED):
            if rng.random() < 0.2:
                move(Status.SOFTWARE_CHANGE)
            move(Status.RESOLVED)
            if final is Status.CLOSED:
                if rng.random() < 0.6:
                    steps.append(Step(K.CUSTOMER_REPLY, role="confirmation"))
                move(Status.CLOSED)
        return [step for step in steps if step.kind != K.SEVERITY or step.new is not None]

    def _severity_step(self, policy: Policy, severity: int) -> Step:
        levels = sorted(policy.severities)
        index = levels.index(severity)
        choices = [
            levels[j]
            for j in (index - 1, index + 1)
            if 0 <= j < len(levels)
            and not isinstance(policy.level(levels[j]).first_response, Scheduled)
        ]
        if isinstance(policy.level(severity).first_response, Scheduled) or not choices:
            return Step(EventKind.SEVERITY)  # dropped by the caller
        new = self.rng.choice(choices)
        role = "raise" if new < severity else "lower"
        return Step(EventKind.SEVERITY, "severity", str(severity), str(new), role)

    def _timed(
        self, policy: Policy, severity: int, final: Status, created: int, steps: list[Step]
    ) -> tuple[list[tuple[int, list[Step]]], int | None]:
        """Give the steps instants between the intake and now, grouped into changes.

        Returns the changes and the instant the customer scheduled the work for, if any.
        """
        rng = self.rng
        now_s = self.now_s
        groups: list[list[Step]] = []
        for step in steps:
            if step.role == "joined":  # the status move of a customer reply: same change
                groups[-1].append(step)
            else:
                groups.append([step])
        final_severity = severity
        for step in steps:
            if step.kind == EventKind.SEVERITY and step.new is not None:
                final_severity = int(step.new)
        level = policy.level(final_severity)
        scheduled: int | None = None
        if (
            isinstance(level.first_response, Scheduled)
            and final is not Status.CLOSED
            and rng.random() < 0.7
        ):
            # The customer names a date: a change window days ahead, or one just passed.
            scheduled = now_s + rng.randint(-3 * DAY, 21 * DAY)
            scheduled -= scheduled % (30 * MINUTE)
            iso = to_iso(from_epoch(scheduled))
            groups.insert(0, [Step(EventKind.SCHEDULED, "scheduled_for", None, iso, "scheduled")])

        span = now_s - created
        # A case logged seconds ago has had time for a step or two at most.
        groups = groups[: max(0, min(len(groups), (span - 2) // 2))]
        if not groups:
            return [], None
        if groups[0][0].kind != EventKind.SCHEDULED:
            scheduled = None

        # When the last change happened: a resolved case waits some days at most for
        # its confirmation (else the sweep would have closed it), a request a bit longer.
        if final is Status.RESOLVED:
            last = now_s - rng.randint(1, max(1, min(6 * DAY, span)))
        elif final is Status.WAITING:
            last = now_s - rng.randint(1, max(1, min(10 * DAY, span)))
        elif final is Status.CLOSED:
            last = created + int(span * rng.uniform(0.2, 0.98))
        else:
            last = created + int(span * rng.uniform(0.4, 0.99))
        last = min(max(last, created + len(groups)), now_s - len(groups))
        fractions = sorted(rng.random() ** 1.6 for _ in range(len(groups) - 1))
        instants = [created + 1 + int((last - created - 1) * fraction) for fraction in fractions]
        instants.append(last)
        for index in range(1, len(instants)):
            instants[index] = max(instants[index], instants[index - 1] + 1)
        changes = list(zip(instants, groups, strict=True))

        # A case still being worked under an update target gets its regular update.
        update = level.update_every
        if (
            isinstance(update, Elapsed)
            and final in (Status.OPEN, Status.SOFTWARE_CHANGE)
            and rng.random() < 0.75
        ):
            at = now_s - int(update.amount.total_seconds() * rng.uniform(0.05, 1.4))
            if at > changes[-1][0]:
                changes.append((at, [Step(EventKind.REPLY, role="update")]))
        return changes, scheduled


# --- one case: decorations, events and the row -------------------------------------
