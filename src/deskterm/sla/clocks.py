"""A case's SLA clocks, replayed from its history at a given instant.

Four clocks: first response (owed by support from the received instant), customer
response (owed by the customer while the case waits on them), update (support
keeps the customer informed every so often; paused while waiting on them) and
auto-close (a resolved or waiting case closes by itself). Each comes back with
its state, due instant, business time left, whether its calendar is closed now,
a warning level and an explanation in words.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from deskterm.sla.calendar import BusinessCalendar
from deskterm.sla.duration import (
    BusinessDays,
    Elapsed,
    NextBusinessDay,
    NoTarget,
    Scheduled,
    Target,
    format_hours_minutes,
)
from deskterm.sla.history import (
    FINISHED_STATUSES,
    RESPONDING_STATUSES,
    CaseHistory,
    CustomerReplied,
    RespondedToCustomer,
    ScheduledFor,
    SeverityChanged,
    Status,
    StatusChanged,
)
from deskterm.sla.policy import Policy

MICROSECOND = timedelta(microseconds=1)
# Off inside `dues_only()`: the clocks come back with their state and due but no words,
# and no business time left (`policy diff` over a whole desk needs only the dues).
_EXPLAIN: ContextVar[bool] = ContextVar("deskterm_explain_clocks", default=True)


@contextmanager
def dues_only() -> Iterator[None]:
    """Clocks computed inside come back without explanations (a fraction of the work)."""
    token = _EXPLAIN.set(False)
    try:
        yield
    finally:
        _EXPLAIN.reset(token)


# A clock is in warning once this share of its business time or less is left.
WARNING_SHARE = 0.25


class ClockKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    CUSTOMER_RESPONSE = "customer_response"
    UPDATE = "update"
    AUTO_CLOSE = "auto_close"
    RESOLUTION = "resolution"
    NEXT_RESPONSE = "next_response"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").replace("auto close", "auto-close")

    @property
    def owed_by_support(self) -> bool:
        """Whether a breach of this clock is a breach of support's promise."""
        return self in (
            ClockKind.FIRST_RESPONSE,
            ClockKind.UPDATE,
            ClockKind.RESOLUTION,
            ClockKind.NEXT_RESPONSE,
        )


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    NOT_APPLICABLE = "not-applicable"


class WarningLevel(StrEnum):
    NONE = "none"  # no running clock
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"


@dataclass(frozen=True)
class Clock:
    kind: ClockKind
    state: ClockState
    explanation: str
    target: Target | None = None
    started: datetime | None = None  # when this clock began counting (its clock start)
    due: datetime | None = None
    stopped: datetime | None = None  # when it was met, or answered late
    left: timedelta | None = None  # business time left; negative once past due
    calendar: str | None = None
    calendar_closed: bool = False
    closed_reason: str | None = None  # "out of hours", "weekend", "holiday: ..."
    warning: WarningLevel = WarningLevel.NONE
    notice_due: datetime | None = None  # auto-close: when the customer is warned

    @property
    def live(self) -> bool:
        """Still counting towards a deadline (running, or breached and not yet answered)."""
        return self.state in (ClockState.RUNNING, ClockState.BREACHED) and self.stopped is None


def compute_clocks(policy: Policy, history: CaseHistory, now: datetime) -> dict[ClockKind, Clock]:
    """Every clock of the case as it stands at `now` (events after `now` are ignored)."""
    story = _Story(history, now)
    return {
        ClockKind.FIRST_RESPONSE: _first_response(policy, story),
        ClockKind.CUSTOMER_RESPONSE: _customer_response(policy, story),
        ClockKind.UPDATE: _update(policy, story),
        ClockKind.AUTO_CLOSE: _auto_close(policy, story),
        ClockKind.RESOLUTION: _resolution(policy, story),
        ClockKind.NEXT_RESPONSE: _next_response(policy, story),
    }


def first_response_clock(policy: Policy, history: CaseHistory, now: datetime) -> Clock:
    """The first-response clock alone, as `compute_clocks` gives it (reports replay only this)."""
    return _first_response(policy, _Story(history, now))


# Clocks a policy may leave out: shown only where the policy sets them for the level.
OPTIONAL_CLOCKS = frozenset({ClockKind.RESOLUTION, ClockKind.NEXT_RESPONSE})


def shown_clocks(clocks: dict[ClockKind, Clock]) -> list[ClockKind]:
    """The clocks a screen or report lists: the four always, the optional ones that apply."""
    return [
        kind
        for kind in ClockKind
        if kind in clocks
        and (kind not in OPTIONAL_CLOCKS or clocks[kind].state is not ClockState.NOT_APPLICABLE)
    ]


def next_due(clocks: dict[ClockKind, Clock]) -> datetime | None:
    """The deadline a queue sorts by: the soonest due among live clocks."""
    dues = [clock.due for clock in clocks.values() if clock.live and clock.due is not None]
    return min(dues) if dues else None


class _Story:
    """The history up to `now`, sorted and split by kind."""

    def __init__(self, history: CaseHistory, now: datetime) -> None:
        events = sorted((e for e in history.events if e.at <= now), key=lambda e: e.at)
        self.now = now
        self.received = history.received
        self.severities = [(history.received, history.severity)] + [
            (e.at, e.severity) for e in events if isinstance(e, SeverityChanged)
        ]
        self.statuses = [(history.received, Status.NEW)] + [
            (e.at, e.status) for e in events if isinstance(e, StatusChanged)
        ]
        self.responses = [e.at for e in events if isinstance(e, RespondedToCustomer)]
        self.customer_replies = [e.at for e in events if isinstance(e, CustomerReplied)]
        schedules = [e.due for e in events if isinstance(e, ScheduledFor)]
        self.scheduled_due = schedules[-1] if schedules else None

    @property
    def status(self) -> Status:
        return self.statuses[-1][1]

    def severity_at(self, instant: datetime) -> int:
        return [level for at, level in self.severities if at <= instant][-1]

    def severity_changes(self, after: datetime, until: datetime) -> list[tuple[datetime, int]]:
        return [(at, level) for at, level in self.severities[1:] if after < at <= until]

    def first_response_stop(self) -> datetime | None:
        candidates = (
            self.responses[:1]
            + [at for at, status in self.statuses[1:] if status in RESPONDING_STATUSES][:1]
        )
        return min(candidates) if candidates else None

    def waiting_periods(self) -> list[tuple[datetime, datetime | None]]:
        """(entered, left) for each stretch spent waiting on the customer; left None if still."""
        periods: list[tuple[datetime, datetime | None]] = []
        for at, status in self.statuses:
            still_waiting = bool(periods) and periods[-1][1] is None
            if status is Status.WAITING and not still_waiting:
                periods.append((at, None))
            elif status is not Status.WAITING and still_waiting:
                periods[-1] = (periods[-1][0], at)
        return periods

    def paused_periods(
        self, pausing: frozenset[str]
    ) -> list[tuple[datetime, datetime | None, Status]]:
        """(entered, left, status) for each stretch in a pausing status; left None if still.

        Consecutive pausing statuses (waiting, then software change) are separate
        stretches that touch: each is named in explanations by its own status.
        """
        periods: list[tuple[datetime, datetime | None, Status]] = []
        for at, status in self.statuses:
            if periods and periods[-1][1] is None:
                if status is periods[-1][2]:
                    continue
                periods[-1] = (periods[-1][0], at, periods[-1][2])
            if status in pausing:
                periods.append((at, None, status))
        return periods

    def resolved_at(self) -> datetime | None:
        """When the case entered the resolved or closed status it is in now, if it is."""
        if self.status not in FINISHED_STATUSES:
            return None
        entered = self.statuses[-1][0]
        for at, status in reversed(self.statuses):
            if status not in FINISHED_STATUSES:
                break
            entered = at
        return entered

    def entered_current_status(self) -> datetime:
        current = self.status
        entered = self.statuses[-1][0]
        for at, status in reversed(self.statuses):
            if status is not current:
                break
            entered = at
        return entered


@dataclass(frozen=True)
class _Deadline:
    clock_start: datetime
    due: datetime
    why: str  # "8h of office hours from Fri 20 Nov 16:00; Thu 26 Nov is a holiday (...)"


def _deadline(
    calendar: BusinessCalendar, start: datetime, target: Target, scheduled: datetime | None
) -> _Deadline | None:
    zone = calendar.zone
    clock_start = calendar.next_opening(start)
    if not _EXPLAIN.get():
        found = _due(calendar, start, target, scheduled)
        if found is None:
            return None
        return _Deadline(start if isinstance(target, Scheduled) else clock_start, found, "")
    shifted = ""
    if clock_start != start:
        reason = calendar.closed_reason(start) or "closed"
        shifted = f" (received {_when(start, calendar)} while closed: {reason})"
    if isinstance(target, Elapsed):
        due = calendar.due(start, target.amount)
        why = f"{target} of {calendar.title} from {_when(clock_start, calendar)}{shifted}"
        if due > clock_start and not calendar.is_open(due - MICROSECOND):
            runs_out = calendar.add(start, target.amount)
            why += (
                f"; it runs out at the close, {_when(runs_out, calendar)}, "
                "so it is due when the calendar next opens"
            )
    elif isinstance(target, BusinessDays):
        due = calendar.add_business_days(start, target.days)
        into = calendar.open_into_day(clock_start)
        day_word = "day" if target.days == 1 else "days"
        depth = f", {format_hours_minutes(into)} into its day" if into else " at the opening"
        why = (
            f"{target.days} business {day_word} of {calendar.title} after "
            f"{_when(clock_start, calendar)}{depth}{shifted}"
        )
    elif isinstance(target, NextBusinessDay):
        due = calendar.next_business_day_close(start)
        received_day = start.astimezone(zone).strftime("%a %d %b")
        why = f"the close of the next business day of {calendar.title} after {received_day}"
    elif isinstance(target, Scheduled):
        if scheduled is None:
            return None
        return _Deadline(start, scheduled, "the instant the customer scheduled")
    else:
        return None
    closures = calendar.closures_between(start, due)
    if closures:
        why += "; " + "; ".join(closure.describe() for closure in closures)
    why += _unknown_holidays(calendar, start, due)
    return _Deadline(clock_start, due, why)


def _due(
    calendar: BusinessCalendar, start: datetime, target: Target, scheduled: datetime | None
) -> datetime | None:
    """`_deadline`'s due alone."""
    if isinstance(target, Elapsed):
        return calendar.due(start, target.amount)
    if isinstance(target, BusinessDays):
        return calendar.add_business_days(start, target.days)
    if isinstance(target, NextBusinessDay):
        return calendar.next_business_day_close(start)
    if isinstance(target, Scheduled):
        return scheduled
    return None


def _unknown_holidays(calendar: BusinessCalendar, start: datetime, due: datetime) -> str:
    """`; US holidays are known to 2100 only: none is counted in 2201`, when it matters."""
    years = calendar.years_without_holidays(calendar.local_date(start), calendar.local_date(due))
    if not years:
        return ""
    known = calendar.holiday_years
    assert known is not None
    limit = f"to {known[1]}" if years[0] > known[1] else f"from {known[0]}"
    counted = ", ".join(str(year) for year in years)
    return (
        f"; {calendar.holidays_spec} holidays are known {limit} only: none is counted in {counted}"
    )


def _when(instant: datetime, calendar: BusinessCalendar, zone_name: bool = False) -> str:
    local = instant.astimezone(calendar.zone)
    text = local.strftime("%a %d %b %H:%M")
    return f"{text} {local.tzname()}" if zone_name else text


def _warning(left: timedelta, total: timedelta, past_due: bool = False) -> WarningLevel:
    # Past due with no open time since (after a close) leaves 0 left, not less: still breached.
    if past_due or left < timedelta(0):
        return WarningLevel.BREACHED
    if left <= total * WARNING_SHARE:
        return WarningLevel.WARNING
    return WarningLevel.OK


def _not_applicable(kind: ClockKind, why: str, target: Target | None = None) -> Clock:
    return Clock(kind, ClockState.NOT_APPLICABLE, why, target=target)


def _one_shot(
    kind: ClockKind,
    calendar: BusinessCalendar,
    target: Target,
    deadline: _Deadline,
    stop: datetime | None,
    stop_words: str,
    now: datetime,
    note: str = "",
) -> Clock:
    """A clock that runs from its start until it is met once (or is answered late)."""
    if not _EXPLAIN.get():
        if stop is not None:
            state = ClockState.MET if stop <= deadline.due else ClockState.BREACHED
        else:
            state = ClockState.BREACHED if now > deadline.due else ClockState.RUNNING
        return Clock(
            kind, state, "", target, deadline.clock_start, deadline.due, stop, None, calendar.name
        )
    due_words = f"due {_when(deadline.due, calendar, zone_name=True)}: {deadline.why}{note}"
    total = calendar.open_time_between(deadline.clock_start, deadline.due)
    if stop is not None:
        left = calendar.open_time_between(stop, deadline.due)
        met = stop <= deadline.due
        side = "before" if met else "after"
        state = ClockState.MET if met else ClockState.BREACHED
        explanation = (
            f"{state}: {stop_words} {_when(stop, calendar)}, {format_hours_minutes(abs(left))} "
            f"of {calendar.title} {side} the deadline ({due_words})"
        )
        return Clock(
            kind,
            state,
            explanation,
            target,
            deadline.clock_start,
            deadline.due,
            stop,
            left,
            calendar.name,
        )
    left = calendar.open_time_between(now, deadline.due)
    state = ClockState.BREACHED if now > deadline.due else ClockState.RUNNING
    if state is ClockState.BREACHED:
        explanation = f"breached {format_hours_minutes(-left)} of {calendar.title} ago, {due_words}"
    else:
        explanation = due_words
    reason = calendar.closed_reason(now)
    return Clock(
        kind,
        state,
        explanation,
        target,
        deadline.clock_start,
        deadline.due,
        None,
        left,
        calendar.name,
        reason is not None,
        reason,
        _warning(left, total, past_due=state is ClockState.BREACHED),
    )


def _severity_note(
    policy: Policy, changes: list[tuple[datetime, int]], calendar: BusinessCalendar
) -> str:
    if not changes:
        return ""
    at, level = changes[-1]
    if policy.rules.severity_change == "restart":
        return (
            f"; restarted when the severity became {policy.label(level)} at {_when(at, calendar)}"
        )
    return (
        f"; severity became {policy.label(level)} at {_when(at, calendar)}, "
        "deadline recomputed from the received instant"
    )


def _first_response(policy: Policy, story: _Story) -> Clock:
    kind = ClockKind.FIRST_RESPONSE
    stop = story.first_response_stop()
    horizon = stop or story.now
    level = policy.level(story.severity_at(horizon))
    changes = story.severity_changes(story.received, horizon)
    start = story.received
    if changes and policy.rules.severity_change == "restart":
        start = changes[-1][0]
    deadline = _deadline(level.calendar, start, level.first_response, story.scheduled_due)
    if deadline is None:
        if isinstance(level.first_response, Scheduled):
            why = f"{policy.label(level.level)} is scheduled work: no clock until the customer sets a date"
        else:
            why = f"{policy.label(level.level)} has no first-response target"
        return _not_applicable(kind, why, level.first_response)
    note = _severity_note(policy, changes, level.calendar)
    return _one_shot(
        kind, level.calendar, level.first_response, deadline, stop, "responded", story.now, note
    )


def _customer_response(policy: Policy, story: _Story) -> Clock:
    kind = ClockKind.CUSTOMER_RESPONSE
    periods = story.waiting_periods()
    if not periods:
        return _not_applicable(kind, "runs only while the case waits on the customer")
    entered, exited = periods[-1]
    replies = [
        at for at in story.customer_replies if entered <= at and (exited is None or at <= exited)
    ]
    stops = replies[:1] + ([exited] if exited is not None else [])
    stop = min(stops) if stops else None
    horizon = stop or story.now
    level = policy.level(story.severity_at(horizon))
    target = level.customer_response
    if isinstance(target, NoTarget):
        return _not_applicable(
            kind, f"{policy.label(level.level)} has no customer-response target", target
        )
    changes = story.severity_changes(entered, horizon)
    start = changes[-1][0] if changes and policy.rules.severity_change == "restart" else entered
    deadline = _deadline(level.calendar, start, target, None)
    if deadline is None:
        return _not_applicable(kind, f"{target} is not a customer-response target", target)
    deadline = _Deadline(
        deadline.clock_start,
        deadline.due,
        f"{deadline.why}, for the customer to answer the request of {_when(entered, level.calendar)}",
    )
    words = "the customer answered" if replies else "the case stopped waiting"
    return _one_shot(kind, level.calendar, target, deadline, stop, words, story.now)


def _update(policy: Policy, story: _Story) -> Clock:
    kind = ClockKind.UPDATE
    level = policy.level(story.severity_at(story.now))
    target = level.update_every
    if not isinstance(target, Elapsed):
        return _not_applicable(kind, f"{policy.label(level.level)} has no update target")
    if story.status in FINISHED_STATUSES:
        return _not_applicable(kind, f"the case is {story.status.label.lower()}", target)
    first = story.first_response_stop()
    if first is None:
        return _not_applicable(kind, "starts after the first response", target)
    calendar = level.calendar
    anchor = max([first] + story.responses)
    anchor_words = f"since the last update to the customer at {_when(anchor, calendar)}"
    changes = story.severity_changes(anchor, story.now)
    if changes and policy.rules.severity_change == "restart":
        anchor = changes[-1][0]
        anchor_words = (
            f"since the severity became {policy.label(changes[-1][1])} at {_when(anchor, calendar)}"
        )
    return _paused_clock(kind, policy, story, calendar, target, anchor, anchor_words, None, "")


def _resolution(policy: Policy, story: _Story) -> Clock:
    """From the received instant to the resolution, paused in the policy's pause statuses."""
    kind = ClockKind.RESOLUTION
    stop = story.resolved_at()
    level = policy.level(story.severity_at(stop or story.now))
    target = level.resolution
    if not isinstance(target, Elapsed):
        return _not_applicable(kind, f"{policy.label(level.level)} has no resolution target")
    calendar = level.calendar
    anchor = story.received
    anchor_words = f"since the case was received at {_when(anchor, calendar)}"
    changes = story.severity_changes(story.received, stop or story.now)
    if changes and policy.rules.severity_change == "restart":
        anchor = changes[-1][0]
        anchor_words = (
            f"since the severity became {policy.label(changes[-1][1])} at {_when(anchor, calendar)}"
        )
    return _paused_clock(
        kind, policy, story, calendar, target, anchor, anchor_words, stop, "resolved"
    )


def _next_response(policy: Policy, story: _Story) -> Clock:
    """From each customer message not yet answered to the next response to the customer."""
    kind = ClockKind.NEXT_RESPONSE
    level = policy.level(story.severity_at(story.now))
    target = level.next_response
    if not isinstance(target, Elapsed):
        return _not_applicable(kind, f"{policy.label(level.level)} has no next-response target")
    first = story.first_response_stop()
    # Before the first response, the first-response clock is the one owed.
    messages = [at for at in story.customer_replies if first is not None and at > first]
    if not messages:
        return _not_applicable(kind, "no customer message since the first response", target)
    last = messages[-1]
    answered_before = [at for at in story.responses if at < last]
    since = answered_before[-1] if answered_before else first
    assert since is not None
    start = min(at for at in messages if at > since)
    answers = [at for at in story.responses if at >= last]
    stop = answers[0] if answers else None
    calendar = level.calendar
    deadline = _deadline(calendar, start, target, None)
    assert deadline is not None
    deadline = _Deadline(
        deadline.clock_start,
        deadline.due,
        f"{deadline.why}, to answer the customer's message of {_when(start, calendar)}",
    )
    return _one_shot(kind, calendar, target, deadline, stop, "responded", story.now)


def _paused_clock(
    kind: ClockKind,
    policy: Policy,
    story: _Story,
    calendar: BusinessCalendar,
    target: Elapsed,
    anchor: datetime,
    anchor_words: str,
    stop: datetime | None,
    stop_words: str,
) -> Clock:
    """A clock counting `target` of business time from `anchor`, standing still while the
    case is in one of the policy's pause statuses, until `stop` (if it has stopped)."""
    horizon = stop or story.now
    periods = story.paused_periods(policy.rules.pause_statuses)
    stretches: list[tuple[datetime, datetime | None]] = []
    paused_since: datetime | None = None
    cursor = anchor
    for entered, exited, _ in periods:
        if exited is not None and exited <= anchor:
            continue
        # A pause entered at `now` has begun: the case is in that status (the replay at
        # the change that moved it, which the desk stores, says what any later one says).
        # One entered as the clock stopped plays no part.
        if entered > horizon or entered == horizon and stop is not None:
            break
        if entered > cursor:
            stretches.append((cursor, entered))
        if exited is None:
            paused_since = max(entered, anchor)
            break
        cursor = max(cursor, exited)
    if paused_since is None:
        stretches.append((cursor, None))

    elapsed = timedelta(0)
    due: datetime | None = None
    for begin, end in stretches:
        span = calendar.open_time_between(begin, end or horizon)
        # Due once more than the target has run: a pause that begins exactly as the
        # target runs out leaves the clock due when the next stretch opens.
        if due is None and (end is None or elapsed + span > target.amount):
            due = calendar.due(begin, target.amount - elapsed)
        elapsed += span
    left = target.amount - elapsed
    paused_words = _pauses_words(calendar, periods, anchor, due or horizon)
    reason = calendar.closed_reason(story.now)
    if due is None:  # paused before the target was reached
        assert paused_since is not None
        explanation = (
            f"paused since {_when(paused_since, calendar)} "
            f"{_pause_words(story.status)}; "
            f"{format_hours_minutes(left)} of {target} of {calendar.title} left, {anchor_words}"
            f"{_pauses_words(calendar, periods, anchor, paused_since)}"
        )
        return Clock(
            kind,
            ClockState.PAUSED,
            explanation,
            target,
            anchor,
            None,
            None,
            left,
            calendar.name,
            reason is not None,
            reason,
            _warning(left, target.amount),
        )
    due_words = (
        f"due {_when(due, calendar, zone_name=True)}: {target} of {calendar.title} "
        f"{anchor_words}{paused_words}"
    )
    if stop is not None:
        met = stop <= due
        state = ClockState.MET if met else ClockState.BREACHED
        side = "before" if met else "after"
        explanation = (
            f"{state}: {stop_words} {_when(stop, calendar)}, {format_hours_minutes(abs(left))} "
            f"of {calendar.title} {side} the deadline ({due_words})"
        )
        return Clock(kind, state, explanation, target, anchor, due, stop, left, calendar.name)
    breached = left < timedelta(0) or story.now > due
    state = ClockState.BREACHED if breached else ClockState.RUNNING
    prefix = f"breached {format_hours_minutes(-left)} of {calendar.title} ago, " if breached else ""
    return Clock(
        kind,
        state,
        f"{prefix}{due_words}",
        target,
        anchor,
        due,
        None,
        left,
        calendar.name,
        reason is not None,
        reason,
        _warning(left, target.amount, past_due=breached),
    )


def _pause_words(status: Status) -> str:
    if status is Status.WAITING:
        return "while waiting on the customer"
    return f"while {status.label}"


def _pauses_words(
    calendar: BusinessCalendar,
    periods: list[tuple[datetime, datetime | None, Status]],
    since: datetime,
    until: datetime,
) -> str:
    """`, not counting 15m waiting on the customer (Mon 16 Nov 12:15-12:30)`: every
    stretch between `since` and `until` the clock did not count, so that the target
    plus these is all the business time from the one to the other."""
    parts = []
    for entered, exited, status in periods:
        begin = max(entered, since)
        end = min(exited or until, until)
        if end > begin:
            spent = format_hours_minutes(calendar.open_time_between(begin, end))
            what = "waiting on the customer" if status is Status.WAITING else f"in {status.label}"
            parts.append(f"{spent} {what} ({_span(begin, end, calendar)})")
    return ", not counting " + ", ".join(parts) if parts else ""


def _span(begin: datetime, end: datetime, calendar: BusinessCalendar) -> str:
    """`Mon 16 Nov 12:15-12:30`, or `Mon 16 Nov 16:00-Tue 17 Nov 10:00` over days."""
    first, last = begin.astimezone(calendar.zone), end.astimezone(calendar.zone)
    if first.date() == last.date():
        return f"{_when(begin, calendar)}-{last:%H:%M}"
    return f"{_when(begin, calendar)}-{_when(end, calendar)}"


def _auto_close(policy: Policy, story: _Story) -> Clock:
    kind = ClockKind.AUTO_CLOSE
    rule = policy.auto_close
    if rule is None:
        return _not_applicable(kind, f"policy {policy.name} has no auto-close")
    if story.status is Status.RESOLVED:
        after, because = rule.resolved_after, "the customer does not confirm the resolution"
    elif story.status is Status.WAITING:
        after, because = rule.waiting_after, "the customer does not send what was requested"
    else:
        return _not_applicable(kind, "only resolved or waiting cases close by themselves")
    if isinstance(after, NoTarget):
        return _not_applicable(kind, f"policy {policy.name} does not auto-close this status", after)
    calendar = rule.calendar
    entered = story.entered_current_status()
    deadline = _deadline(calendar, entered, after, None)
    assert deadline is not None  # validation allows only m/h and bd here
    notice_due = None
    notice_words = ""
    notice = _shorten(after, rule.notice_before)
    if notice is not None:
        notice_deadline = _deadline(calendar, entered, notice, None)
        assert notice_deadline is not None
        notice_due = notice_deadline.due
        notice_words = f"; the customer is notified {_when(notice_due, calendar, zone_name=True)}"
    deadline = _Deadline(
        deadline.clock_start,
        deadline.due,
        f"{deadline.why}, if {because}{notice_words}",
    )
    clock = _one_shot(kind, calendar, after, deadline, None, "", story.now)
    explanation = clock.explanation.replace("due ", "closes automatically ", 1)
    return replace(clock, explanation=explanation, notice_due=notice_due)


def _shorten(after: Target, notice: Target) -> Target | None:
    """`after` minus `notice` (same unit, checked by the policy reader)."""
    if isinstance(after, Elapsed) and isinstance(notice, Elapsed):
        return Elapsed(after.amount - notice.amount)
    if isinstance(after, BusinessDays) and isinstance(notice, BusinessDays):
        return BusinessDays(after.days - notice.days)
    return None


_BUILDERS = {
    ClockKind.FIRST_RESPONSE: _first_response,
    ClockKind.CUSTOMER_RESPONSE: _customer_response,
    ClockKind.UPDATE: _update,
    ClockKind.AUTO_CLOSE: _auto_close,
    ClockKind.RESOLUTION: _resolution,
    ClockKind.NEXT_RESPONSE: _next_response,
}


def some_clocks(
    policy: Policy, history: CaseHistory, now: datetime, kinds: tuple[ClockKind, ...]
) -> dict[ClockKind, Clock]:
    """The clocks of `kinds` alone, as `compute_clocks` gives them (a replay that needs
    only some, such as the stored outcomes of deskterm.desk.clock_outcomes)."""
    story = _Story(history, now)
    return {kind: _BUILDERS[kind](policy, story) for kind in kinds}
