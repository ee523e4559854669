"""The resolution clock, the next-response clock and statuses that pause (issue 22).

Request Tracker's `Resolve` and Zammad's solution time: received to resolved, paused
like the update clock. RT's `Response` and Zammad's update time: each customer message
not yet answered starts a clock that the next response stops. Zammad's pending states:
the policy declares which statuses pause. Mountain Time desk, week of Mon 16 Nov 2026.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.sla import (
    CaseHistory,
    ClockKind,
    ClockState,
    CustomerReplied,
    PolicyError,
    RespondedToCustomer,
    Status,
    StatusChanged,
    compute_clocks,
    parse_policy,
)

from .helpers import at, hours, show

RESOLUTION = ClockKind.RESOLUTION
NEXT = ClockKind.NEXT_RESPONSE

POLICY = """\
name = "clocks2"
timezone = "America/Denver"

[calendars.office]
hours = {{ mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }}

[calendars.always]
hours = "24x7"

[severity.1]
calendar = "always"
first_response = "1h"
resolution = "6h"

[severity.2]
calendar = "office"
first_response = "8h"
resolution = "16h"
next_response = "2h"

[severity.3]
calendar = "office"
first_response = "nbd"
{rules}
"""

DEFAULT = parse_policy(POLICY.format(rules=""))
SOFTWARE_PAUSES = parse_policy(
    POLICY.format(
        rules='[rules]\npause_statuses = ["waiting-on-customer", "software-change-required"]'
    )
)


def clocks(received: str, severity: int, *events, now: str, policy=DEFAULT):
    return compute_clocks(policy, CaseHistory(at(received), severity, tuple(events)), at(now))


def status(when: str, new: Status) -> StatusChanged:
    return StatusChanged(at(when), new)


def responded(when: str) -> RespondedToCustomer:
    return RespondedToCustomer(at(when))


def wrote(when: str) -> CustomerReplied:
    return CustomerReplied(at(when))


# -- resolution ---------------------------------------------------------------------------


def test_resolution_runs_from_received_on_the_calendar():
    clock = clocks("2026-11-16 09:00", 2, now="2026-11-16 12:00")[RESOLUTION]
    assert clock.state is ClockState.RUNNING
    # 16h runs out at Tuesday's close: due at Wednesday's opening.
    assert show(clock.due) == "Wed 2026-11-18 09:00 MST"
    assert clock.left == hours(13)
    assert clock.live


def test_resolution_pauses_while_waiting_on_the_customer():
    clock = clocks(
        "2026-11-16 09:00",
        2,
        responded("2026-11-16 09:30"),
        status("2026-11-16 10:00", Status.WAITING),
        status("2026-11-17 10:00", Status.OPEN),
        now="2026-11-17 11:00",
    )[RESOLUTION]
    # Counted: Mon 09-10 and Tue 10-17 (8h), then Wed 09-17 (8h): runs out at Wednesday's close.
    assert show(clock.due) == "Thu 2026-11-19 09:00 MST"
    assert clock.explanation.endswith(
        "not counting 8h waiting on the customer (Mon 16 Nov 10:00-Tue 17 Nov 10:00)"
    )
    paused = clocks(
        "2026-11-16 09:00",
        2,
        status("2026-11-16 10:00", Status.WAITING),
        now="2026-11-16 15:00",
    )[RESOLUTION]
    assert paused.state is ClockState.PAUSED
    assert paused.left == hours(15)
    assert not paused.live


def test_statuses_that_pause_are_the_policys_choice():
    events = (
        responded("2026-11-16 09:30"),
        status("2026-11-16 10:00", Status.SOFTWARE_CHANGE),
    )
    counted = clocks("2026-11-16 09:00", 2, *events, now="2026-11-16 15:00")[RESOLUTION]
    assert counted.state is ClockState.RUNNING
    paused = clocks("2026-11-16 09:00", 2, *events, now="2026-11-16 15:00", policy=SOFTWARE_PAUSES)[
        RESOLUTION
    ]
    assert paused.state is ClockState.PAUSED
    assert paused.explanation.startswith(
        "paused since Mon 16 Nov 10:00 while Software Change Required; 15h of 16h"
    )


def test_resolution_is_met_or_breached_when_the_case_is_resolved():
    met = clocks(
        "2026-11-16 09:00",
        1,
        status("2026-11-16 14:00", Status.RESOLVED),
        now="2026-11-17 12:00",
    )[RESOLUTION]
    assert met.state is ClockState.MET
    assert met.left == hours(1)
    assert met.explanation.startswith("met: resolved Mon 16 Nov 14:00, 1h of round-the-clock")
    late = clocks(
        "2026-11-16 09:00",
        1,
        status("2026-11-16 16:30", Status.RESOLVED),
        now="2026-11-17 12:00",
    )[RESOLUTION]
    assert late.state is ClockState.BREACHED
    assert late.left == -timedelta(minutes=90)
    assert not late.live


def test_a_reopened_case_is_owed_its_resolution_again():
    clock = clocks(
        "2026-11-16 09:00",
        1,
        status("2026-11-16 10:00", Status.RESOLVED),
        status("2026-11-16 11:00", Status.OPEN),
        now="2026-11-16 12:00",
    )[RESOLUTION]
    assert clock.state is ClockState.RUNNING
    assert show(clock.due) == "Mon 2026-11-16 15:00 MST"


def test_a_level_without_a_resolution_target_has_no_clock():
    clock = clocks("2026-11-16 09:00", 3, now="2026-11-16 12:00")[RESOLUTION]
    assert clock.state is ClockState.NOT_APPLICABLE
    assert clock.explanation == "Sev 3 has no resolution target"


# -- next response --------------------------------------------------------------------------


def test_the_first_unanswered_customer_message_starts_the_next_response_clock():
    clock = clocks(
        "2026-11-16 09:00",
        2,
        responded("2026-11-16 09:30"),
        wrote("2026-11-16 10:00"),
        wrote("2026-11-16 10:30"),
        now="2026-11-16 11:00",
    )[NEXT]
    assert clock.state is ClockState.RUNNING
    assert show(clock.due) == "Mon 2026-11-16 12:00 MST"
    assert clock.explanation.endswith("to answer the customer's message of Mon 16 Nov 10:00")


def test_the_next_response_stops_the_clock():
    clock = clocks(
        "2026-11-16 09:00",
        2,
        responded("2026-11-16 09:30"),
        wrote("2026-11-16 10:00"),
        responded("2026-11-16 11:00"),
        now="2026-11-16 13:00",
    )[NEXT]
    assert clock.state is ClockState.MET
    assert clock.left == hours(1)
    assert not clock.live


def test_each_message_after_an_answer_starts_a_new_clock():
    clock = clocks(
        "2026-11-16 09:00",
        2,
        responded("2026-11-16 09:30"),
        wrote("2026-11-16 10:00"),
        responded("2026-11-16 11:00"),
        wrote("2026-11-16 15:00"),
        now="2026-11-16 18:00",
    )[NEXT]
    # 2h from 15:00 runs out at the 17:00 close: due at Tuesday's opening, not breached.
    assert clock.state is ClockState.RUNNING
    assert show(clock.due) == "Tue 2026-11-17 09:00 MST"


def test_before_the_first_response_the_first_response_clock_is_owed_instead():
    clock = clocks("2026-11-16 09:00", 2, wrote("2026-11-16 10:00"), now="2026-11-16 11:00")[NEXT]
    assert clock.state is ClockState.NOT_APPLICABLE


# -- the policy keys ------------------------------------------------------------------------


def test_new_keys_refuse_what_they_cannot_mean():
    text = POLICY.format(rules='[rules]\npause_statuses = ["closed"]').replace(
        'resolution = "16h"', 'resolution = "3bd"'
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.toml")
    problems = caught.value.problems
    assert any("severity.2.resolution" in line and "3bd" in line for line in problems)
    assert (
        "p.toml:25: rules.pause_statuses[0]: 'closed': a status that may pause "
        "(waiting-on-customer, software-change-required, open)"
    ) in problems


# -- against a minute-by-minute count ------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([1, 2]),
    st.lists(st.tuples(st.integers(1, 60 * 60), st.integers(1, 60 * 30)), max_size=3),
)
def test_resolution_due_leaves_exactly_the_target_of_unpaused_business_time(severity, pauses):
    received = at("2026-11-16 08:00")
    events = []
    cursor = received
    for gap, length in pauses:
        cursor += timedelta(minutes=gap)
        events.append(StatusChanged(cursor, Status.WAITING))
        cursor += timedelta(minutes=length)
        events.append(StatusChanged(cursor, Status.OPEN))
    now = cursor + timedelta(minutes=1)
    clock = compute_clocks(DEFAULT, CaseHistory(received, severity, tuple(events)), now)[RESOLUTION]
    calendar = DEFAULT.level(severity).calendar
    target = DEFAULT.level(severity).resolution.amount  # type: ignore[union-attr]
    assert clock.due is not None
    waiting = [(events[i].at, events[i + 1].at) for i in range(0, len(events), 2)]
    minute = timedelta(minutes=1)
    counted = timedelta(0)
    instant = received.astimezone(UTC)
    while instant < clock.due:
        paused = any(a <= instant < b for a, b in waiting)
        if not paused and calendar.is_open(instant):
            counted += minute
        instant += minute
    assert counted == target
    assert clock.due >= received
    assert isinstance(clock.due, datetime)
