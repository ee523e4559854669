"""A case's clocks replayed from its history: what the queue and breach board show.

Mountain Time desk, Nov 2026 (MST). Sev 1 runs round the clock, Sev 2-5 on office
hours (Mon-Fri 09:00-17:00, US-CO holidays: Thanksgiving is Thu 26 Nov).
"""

from datetime import datetime, timedelta

import pytest

from deskterm.sla import (
    CaseHistory,
    Clock,
    ClockKind,
    ClockState,
    CustomerReplied,
    RespondedToCustomer,
    ScheduledFor,
    SeverityChanged,
    Status,
    StatusChanged,
    WarningLevel,
    compute_clocks,
    next_due,
    parse_policy,
)

from .helpers import at, hours, show

FIRST = ClockKind.FIRST_RESPONSE
CUSTOMER = ClockKind.CUSTOMER_RESPONSE
UPDATE = ClockKind.UPDATE
AUTO_CLOSE = ClockKind.AUTO_CLOSE

POLICY = """\
name = "clocks"
timezone = "America/Denver"

[calendars.office]
holidays = "US-CO"

[calendars.office.hours]
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"

[calendars.always]
hours = "24x7"

[severity.1]
calendar = "always"
first_response = "1h"
customer_response = "2h"
update_every = "2h"

[severity.2]
calendar = "office"
first_response = "8h"
customer_response = "1bd"
update_every = "4h"

[severity.3]
calendar = "office"
first_response = "nbd"

[severity.4]
calendar = "office"
first_response = "scheduled"

[severity.5]
calendar = "office"
first_response = "none"

[auto_close]
calendar = "office"
resolved_after = "10bd"
waiting_after = "15bd"
notice_before = "2bd"

[rules]
severity_change = "{rule}"
"""

RECOMPUTE = parse_policy(POLICY.replace("{rule}", "recompute"))
RESTART = parse_policy(POLICY.replace("{rule}", "restart"))


def clocks(
    received: str, severity: int, *events, now: str, policy=RECOMPUTE
) -> dict[ClockKind, Clock]:
    history = CaseHistory(at(received), severity, tuple(events))
    return compute_clocks(policy, history, at(now))


def responded(when: str) -> RespondedToCustomer:
    return RespondedToCustomer(at(when))


def status(when: str, new: Status) -> StatusChanged:
    return StatusChanged(at(when), new)


def due(clock: Clock) -> str:
    assert clock.due is not None, clock.explanation
    return show(clock.due)


# -- first response ------------------------------------------------------------------


def test_first_response_runs_with_business_time_left():
    clock = clocks("2026-11-16 10:00", 2, now="2026-11-16 11:00")[FIRST]
    assert clock.state is ClockState.RUNNING
    assert due(clock) == "Tue 2026-11-17 10:00 MST"
    assert clock.left == hours(7)
    assert clock.started == at("2026-11-16 10:00")
    assert (clock.calendar, clock.calendar_closed, clock.closed_reason) == ("office", False, None)
    assert clock.warning is WarningLevel.OK
    assert clock.live
    assert clock.explanation == "due Tue 17 Nov 10:00 MST: 8h of office hours from Mon 16 Nov 10:00"


def test_first_response_is_met_by_a_reply_before_the_deadline():
    clock = clocks("2026-11-16 09:00", 2, responded("2026-11-16 12:00"), now="2026-11-16 13:00")[
        FIRST
    ]
    assert clock.state is ClockState.MET
    assert clock.stopped == at("2026-11-16 12:00")
    assert clock.left == hours(5)
    assert not clock.live
    assert clock.explanation.startswith(
        "met: responded Mon 16 Nov 12:00, 5h of office hours before the deadline"
    )


def test_a_reply_exactly_at_the_deadline_meets_it():
    clock = clocks("2026-11-16 09:00", 2, responded("2026-11-16 17:00"), now="2026-11-16 18:00")[
        FIRST
    ]
    assert clock.state is ClockState.MET
    assert clock.left == timedelta(0)


@pytest.mark.parametrize(
    "new_status",
    [Status.WAITING, Status.SOFTWARE_CHANGE, Status.RESOLVED, Status.CLOSED],
)
def test_moving_to_a_status_that_tells_the_customer_something_is_a_first_response(new_status):
    clock = clocks(
        "2026-11-16 09:00", 2, status("2026-11-16 11:00", new_status), now="2026-11-16 13:00"
    )[FIRST]
    assert clock.state is ClockState.MET
    assert clock.stopped == at("2026-11-16 11:00")


def test_opening_the_case_is_not_a_first_response():
    clock = clocks(
        "2026-11-16 09:00", 2, status("2026-11-16 09:05", Status.OPEN), now="2026-11-16 10:00"
    )[FIRST]
    assert clock.state is ClockState.RUNNING


def test_a_late_reply_is_breached_and_says_by_how_much():
    clock = clocks("2026-11-16 09:00", 2, responded("2026-11-17 10:00"), now="2026-11-17 11:00")[
        FIRST
    ]
    assert clock.state is ClockState.BREACHED
    assert clock.stopped == at("2026-11-17 10:00")
    assert clock.left == -hours(1)
    assert not clock.live
    assert clock.explanation.startswith(
        "breached: responded Tue 17 Nov 10:00, 1h of office hours after the deadline"
    )


def test_an_unanswered_clock_past_its_deadline_is_breached_and_still_live():
    clock = clocks("2026-11-16 09:00", 2, now="2026-11-17 11:00")[FIRST]
    assert clock.state is ClockState.BREACHED
    assert clock.left == -hours(2)
    assert clock.warning is WarningLevel.BREACHED
    assert clock.live
    assert clock.explanation.startswith("breached 2h of office hours ago, due Tue 17 Nov 09:00 MST")


def test_a_clock_past_its_deadline_out_of_hours_is_breached_not_a_warning():
    # Due Tue 10:00; at Tue 18:00 the office has closed, 7h of office time past due.
    clock = clocks("2026-11-16 10:00", 2, now="2026-11-17 18:00")[FIRST]
    assert clock.state is ClockState.BREACHED
    assert clock.warning is WarningLevel.BREACHED
    assert clock.left == -hours(7)
    assert clock.calendar_closed
    assert clock.live


def test_events_after_now_are_not_known_yet():
    clock = clocks("2026-11-16 09:00", 2, responded("2026-11-16 12:00"), now="2026-11-16 11:00")[
        FIRST
    ]
    assert clock.state is ClockState.RUNNING
    assert clock.left == hours(6)


def test_a_running_clock_out_of_hours_says_the_calendar_is_closed():
    clock = clocks("2026-11-16 16:00", 2, now="2026-11-16 20:00")[FIRST]
    assert due(clock) == "Tue 2026-11-17 16:00 MST"
    assert clock.left == hours(7)
    assert (clock.calendar_closed, clock.closed_reason) == (True, "out of hours")


def test_a_running_clock_over_the_weekend_says_weekend():
    clock = clocks("2026-11-20 16:00", 2, now="2026-11-21 10:00")[FIRST]
    assert due(clock) == "Mon 2026-11-23 16:00 MST"
    assert (clock.calendar_closed, clock.closed_reason) == (True, "weekend")


def test_a_running_clock_on_a_holiday_names_the_holiday():
    clock = clocks("2026-11-25 16:00", 2, now="2026-11-26 10:00")[FIRST]
    assert due(clock) == "Fri 2026-11-27 16:00 MST"
    assert clock.left == hours(7)
    assert (clock.calendar_closed, clock.closed_reason) == (True, "holiday: Thanksgiving Day")
    assert clock.explanation == (
        "due Fri 27 Nov 16:00 MST: 8h of office hours from Wed 25 Nov 16:00; "
        "Thu 26 Nov is a holiday (Thanksgiving Day)"
    )


def test_a_round_the_clock_calendar_is_never_closed():
    clock = clocks("2026-11-26 03:00", 1, now="2026-11-26 03:30")[FIRST]
    assert due(clock) == "Thu 2026-11-26 04:00 MST"
    assert (clock.calendar, clock.calendar_closed, clock.closed_reason) == ("always", False, None)


def test_received_while_closed_the_explanation_says_when_the_clock_started_and_why():
    clock = clocks("2026-11-21 10:00", 2, now="2026-11-21 10:00")[FIRST]
    assert clock.started == at("2026-11-23 09:00")
    assert clock.explanation == (
        "due Tue 24 Nov 09:00 MST: 8h of office hours from Mon 23 Nov 09:00 "
        "(received Sat 21 Nov 10:00 while closed: weekend); it runs out at the close, "
        "Mon 23 Nov 17:00, so it is due when the calendar next opens"
    )


def test_received_exactly_at_the_close_the_clock_starts_at_the_next_opening():
    clock = clocks("2026-11-16 17:00", 2, now="2026-11-16 17:00")[FIRST]
    assert clock.started == at("2026-11-17 09:00")
    assert clock.closed_reason == "out of hours"
    assert "(received Mon 16 Nov 17:00 while closed: out of hours)" in clock.explanation


def test_next_business_day_explains_the_holiday_it_skips():
    clock = clocks("2026-11-25 10:00", 3, now="2026-11-25 10:00")[FIRST]
    assert due(clock) == "Fri 2026-11-27 17:00 MST"
    assert clock.explanation == (
        "due Fri 27 Nov 17:00 MST: the close of the next business day of office hours "
        "after Wed 25 Nov; Thu 26 Nov is a holiday (Thanksgiving Day)"
    )


def test_explanations_give_the_due_instant_in_the_calendars_zone():
    policy = parse_policy(
        POLICY.replace("{rule}", "recompute").replace(
            '[calendars.always]\nhours = "24x7"',
            '[calendars.always]\nhours = "24x7"\ntimezone = "Europe/Berlin"',
        )
    )
    history = CaseHistory(datetime.fromisoformat("2026-11-16T08:00:00+00:00"), 1)
    clock = compute_clocks(policy, history, history.received)[FIRST]
    assert (
        clock.explanation
        == "due Mon 16 Nov 10:00 CET: 1h of round-the-clock time from Mon 16 Nov 09:00"
    )


# -- warning level ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "level"),
    [
        ("2026-11-16 09:00", WarningLevel.OK),
        ("2026-11-16 14:59", WarningLevel.OK),  # 2h01m of 8h left
        ("2026-11-16 15:00", WarningLevel.WARNING),  # 2h left: a quarter
        ("2026-11-16 17:00", WarningLevel.WARNING),  # due now, not yet breached
        ("2026-11-17 09:01", WarningLevel.BREACHED),
    ],
)
def test_warning_once_a_quarter_of_the_business_time_is_left(now, level):
    assert clocks("2026-11-16 09:00", 2, now=now)[FIRST].warning is level


def test_warning_counts_business_time_not_wall_time():
    # Received Fri 16:00: 7h of the 8h are on Monday. Sunday night is still 7h away.
    clock = clocks("2026-11-20 16:00", 2, now="2026-11-22 23:00")[FIRST]
    assert clock.left == hours(7)
    assert clock.warning is WarningLevel.OK


# -- severity changes -----------------------------------------------------------------------


def test_raising_severity_recomputes_the_deadline_from_the_received_instant():
    clock = clocks(
        "2026-11-16 09:00", 2, SeverityChanged(at("2026-11-16 09:30"), 1), now="2026-11-16 09:45"
    )[FIRST]
    assert due(clock) == "Mon 2026-11-16 10:00 MST"
    assert clock.left == timedelta(minutes=15)
    assert clock.calendar == "always"
    assert clock.explanation.endswith(
        "; severity became Sev 1 at Mon 16 Nov 09:30, deadline recomputed from the received instant"
    )


def test_raising_severity_with_restart_starts_the_new_target_at_the_change():
    clock = clocks(
        "2026-11-16 09:00",
        2,
        SeverityChanged(at("2026-11-16 09:30"), 1),
        now="2026-11-16 09:45",
        policy=RESTART,
    )[FIRST]
    assert due(clock) == "Mon 2026-11-16 10:30 MST"
    assert clock.started == at("2026-11-16 09:30")
    assert clock.explanation.endswith(
        "; restarted when the severity became Sev 1 at Mon 16 Nov 09:30"
    )


def test_a_recomputed_deadline_may_already_have_passed():
    change = SeverityChanged(at("2026-11-16 11:00"), 1)
    recomputed = clocks("2026-11-16 09:00", 2, change, now="2026-11-16 11:00")[FIRST]
    assert recomputed.state is ClockState.BREACHED
    assert recomputed.left == -hours(1)
    restarted = clocks("2026-11-16 09:00", 2, change, now="2026-11-16 11:00", policy=RESTART)[FIRST]
    assert restarted.state is ClockState.RUNNING
    assert due(restarted) == "Mon 2026-11-16 12:00 MST"


def test_lowering_severity_relaxes_the_deadline():
    clock = clocks(
        "2026-11-16 09:00", 1, SeverityChanged(at("2026-11-16 09:30"), 2), now="2026-11-16 11:00"
    )[FIRST]
    assert clock.state is ClockState.RUNNING
    assert due(clock) == "Tue 2026-11-17 09:00 MST"


def test_a_severity_change_after_the_first_response_leaves_it_met():
    clock = clocks(
        "2026-11-16 09:00",
        2,
        responded("2026-11-16 12:00"),
        SeverityChanged(at("2026-11-16 13:00"), 1),
        now="2026-11-16 14:00",
    )[FIRST]
    assert clock.state is ClockState.MET
    assert due(clock) == "Tue 2026-11-17 09:00 MST"


# -- customer response ------------------------------------------------------------------------


def test_customer_response_does_not_run_until_the_case_waits_on_the_customer():
    clock = clocks(
        "2026-11-16 09:00", 1, status("2026-11-16 09:10", Status.OPEN), now="2026-11-16 12:00"
    )[CUSTOMER]
    assert clock.state is ClockState.NOT_APPLICABLE
    assert clock.explanation == "runs only while the case waits on the customer"
    assert not clock.live


def test_customer_response_runs_while_waiting_on_the_customer():
    clock = clocks(
        "2026-11-16 09:00", 1, status("2026-11-16 10:00", Status.WAITING), now="2026-11-16 11:00"
    )[CUSTOMER]
    assert clock.state is ClockState.RUNNING
    assert clock.started == at("2026-11-16 10:00")
    assert due(clock) == "Mon 2026-11-16 12:00 MST"
    assert clock.left == hours(1)
    assert "for the customer to answer the request of Mon 16 Nov 10:00" in clock.explanation


def test_customer_response_stops_at_the_customers_reply():
    clock = clocks(
        "2026-11-16 09:00",
        1,
        status("2026-11-16 10:00", Status.WAITING),
        CustomerReplied(at("2026-11-16 11:30")),
        now="2026-11-16 13:00",
    )[CUSTOMER]
    assert clock.state is ClockState.MET
    assert clock.stopped == at("2026-11-16 11:30")
    assert clock.explanation.startswith("met: the customer answered Mon 16 Nov 11:30")


def test_customer_response_breaches_when_the_customer_is_late():
    clock = clocks(
        "2026-11-16 09:00", 1, status("2026-11-16 10:00", Status.WAITING), now="2026-11-16 13:00"
    )[CUSTOMER]
    assert clock.state is ClockState.BREACHED
    assert clock.left == -hours(1)


def test_customer_response_stops_when_the_case_stops_waiting():
    clock = clocks(
        "2026-11-16 09:00",
        1,
        status("2026-11-16 10:00", Status.WAITING),
        status("2026-11-16 11:00", Status.OPEN),
        now="2026-11-16 15:00",
    )[CUSTOMER]
    assert clock.state is ClockState.MET
    assert clock.stopped == at("2026-11-16 11:00")
    assert clock.explanation.startswith("met: the case stopped waiting Mon 16 Nov 11:00")


def test_a_reply_before_the_request_does_not_answer_it():
    clock = clocks(
        "2026-11-16 09:00",
        1,
        CustomerReplied(at("2026-11-16 09:30")),
        status("2026-11-16 10:00", Status.WAITING),
        now="2026-11-16 11:00",
    )[CUSTOMER]
    assert clock.state is ClockState.RUNNING


def test_customer_response_starts_afresh_for_each_request():
    clock = clocks(
        "2026-11-16 09:00",
        1,
        status("2026-11-16 10:00", Status.WAITING),
        CustomerReplied(at("2026-11-16 10:30")),
        status("2026-11-16 10:30", Status.OPEN),
        status("2026-11-16 14:00", Status.WAITING),
        now="2026-11-16 15:00",
    )[CUSTOMER]
    assert clock.state is ClockState.RUNNING
    assert due(clock) == "Mon 2026-11-16 16:00 MST"


def test_customer_response_in_business_days_on_office_hours():
    clock = clocks(
        "2026-11-16 09:00", 2, status("2026-11-16 15:00", Status.WAITING), now="2026-11-16 16:00"
    )[CUSTOMER]
    assert due(clock) == "Tue 2026-11-17 15:00 MST"


def test_a_level_without_a_customer_response_target_has_no_such_clock():
    clock = clocks(
        "2026-11-16 09:00", 3, status("2026-11-16 10:00", Status.WAITING), now="2026-11-16 11:00"
    )[CUSTOMER]
    assert clock.state is ClockState.NOT_APPLICABLE
    assert clock.explanation == "Sev 3 has no customer-response target"


# -- keeping the customer updated ---------------------------------------------------------------


def test_updates_start_after_the_first_response():
    clock = clocks("2026-11-16 09:00", 1, now="2026-11-16 09:10")[UPDATE]
    assert clock.state is ClockState.NOT_APPLICABLE
    assert clock.explanation == "starts after the first response"


def test_update_is_due_that_long_after_the_last_reply():
    clock = clocks(
        "2026-11-16 09:00",
        1,
        responded("2026-11-16 09:30"),
        responded("2026-11-16 11:00"),
        now="2026-11-16 11:30",
    )[UPDATE]
    assert clock.state is ClockState.RUNNING
    assert clock.started == at("2026-11-16 11:00")
    assert due(clock) == "Mon 2026-11-16 13:00 MST"
    assert clock.left == hours(1.5)
    assert clock.explanation == (
        "due Mon 16 Nov 13:00 MST: 2h of round-the-clock time since the last update "
        "to the customer at Mon 16 Nov 11:00"
    )


def test_update_pauses_while_waiting_on_the_customer_with_time_left_frozen():
    events = (responded("2026-11-16 09:30"), status("2026-11-16 10:30", Status.WAITING))
    for now in ("2026-11-16 11:00", "2026-11-16 15:00", "2026-11-18 15:00"):
        clock = clocks("2026-11-16 09:00", 1, *events, now=now)[UPDATE]
        assert clock.state is ClockState.PAUSED
        assert clock.due is None
        assert clock.left == hours(1)
        assert not clock.live
    assert clock.explanation.startswith(
        "paused since Mon 16 Nov 10:30 while waiting on the customer; 1h of 2h"
    )


def test_update_is_paused_from_the_instant_the_case_starts_waiting():
    """The replay at the change that moves the case to waiting (what the desk stores
    then) says what every later replay says: paused, with the time left frozen. It
    said running, due at 11:30, until a moment later."""
    events = (responded("2026-11-16 09:30"), status("2026-11-16 10:30", Status.WAITING))
    for now in ("2026-11-16 10:30", "2026-11-16 10:31"):
        clock = clocks("2026-11-16 09:00", 1, *events, now=now)[UPDATE]
        assert (clock.state, clock.due, clock.left) == (ClockState.PAUSED, None, hours(1))
    # A reply and a request for information at the same instant: paused with all of it.
    request = (responded("2026-11-16 10:30"), status("2026-11-16 10:30", Status.WAITING))
    clock = clocks("2026-11-16 09:00", 1, *request, now="2026-11-16 10:30")[UPDATE]
    assert (clock.state, clock.left) == (ClockState.PAUSED, hours(2))


def test_update_resumes_where_it_paused_when_the_case_stops_waiting():
    clock = clocks(
        "2026-11-16 09:00",
        1,
        responded("2026-11-16 09:30"),
        status("2026-11-16 10:30", Status.WAITING),
        status("2026-11-16 13:00", Status.OPEN),
        now="2026-11-16 13:30",
    )[UPDATE]
    assert clock.state is ClockState.RUNNING
    assert due(clock) == "Mon 2026-11-16 14:00 MST"
    assert clock.left == timedelta(minutes=30)
    assert clock.explanation.endswith(
        "not counting 2h 30m waiting on the customer (Mon 16 Nov 10:30-13:00)"
    )


def test_update_is_breached_when_no_update_goes_out():
    clock = clocks("2026-11-16 09:00", 1, responded("2026-11-16 09:30"), now="2026-11-16 12:00")[
        UPDATE
    ]
    assert clock.state is ClockState.BREACHED
    assert clock.left == -timedelta(minutes=30)
    assert clock.warning is WarningLevel.BREACHED
    assert clock.live


def test_update_running_out_at_the_close_is_due_at_the_next_opening():
    # Sev 2 updates every 4h of office time: replied Mon 13:00, runs out at Mon 17:00;
    # no office time passes overnight, so it is due Tue 09:00 and not breached before.
    clock = clocks("2026-11-16 09:00", 2, responded("2026-11-16 13:00"), now="2026-11-16 18:00")[
        UPDATE
    ]
    assert due(clock) == "Tue 2026-11-17 09:00 MST"
    assert clock.state is ClockState.RUNNING
    assert clock.left == timedelta(0)
    late = clocks("2026-11-16 09:00", 2, responded("2026-11-16 13:00"), now="2026-11-17 09:01")[
        UPDATE
    ]
    assert late.state is ClockState.BREACHED
    assert late.warning is WarningLevel.BREACHED


def test_update_counts_office_hours_only():
    clock = clocks("2026-11-16 09:00", 2, responded("2026-11-16 15:00"), now="2026-11-16 20:00")[
        UPDATE
    ]
    assert clock.state is ClockState.RUNNING
    assert due(clock) == "Tue 2026-11-17 11:00 MST"
    assert clock.left == hours(2)
    assert clock.closed_reason == "out of hours"


@pytest.mark.parametrize("finished", [Status.RESOLVED, Status.CLOSED])
def test_a_finished_case_needs_no_updates(finished):
    clock = clocks(
        "2026-11-16 09:00",
        1,
        responded("2026-11-16 09:30"),
        status("2026-11-16 10:00", finished),
        now="2026-11-16 15:00",
    )[UPDATE]
    assert clock.state is ClockState.NOT_APPLICABLE
    assert clock.explanation == f"the case is {finished.label.lower()}"


def test_update_restarts_at_a_severity_change_under_restart():
    events = (responded("2026-11-16 09:30"), SeverityChanged(at("2026-11-16 10:00"), 1))
    recomputed = clocks("2026-11-16 09:00", 2, *events, now="2026-11-16 10:30")[UPDATE]
    assert due(recomputed) == "Mon 2026-11-16 11:30 MST"
    restarted = clocks("2026-11-16 09:00", 2, *events, now="2026-11-16 10:30", policy=RESTART)[
        UPDATE
    ]
    assert due(restarted) == "Mon 2026-11-16 12:00 MST"


# -- auto-close -----------------------------------------------------------------------------------


def test_an_open_case_does_not_close_by_itself():
    clock = clocks(
        "2026-11-23 09:00", 2, status("2026-11-23 09:05", Status.OPEN), now="2026-11-23 10:00"
    )[AUTO_CLOSE]
    assert clock.state is ClockState.NOT_APPLICABLE


def test_a_resolved_case_closes_ten_business_days_later_with_notice_two_days_before():
    clock = clocks(
        "2026-11-23 09:00", 2, status("2026-11-23 10:00", Status.RESOLVED), now="2026-11-23 11:00"
    )[AUTO_CLOSE]
    assert clock.state is ClockState.RUNNING
    assert due(clock) == "Tue 2026-12-08 10:00 MST"  # Thanksgiving does not count
    assert clock.notice_due is not None
    assert show(clock.notice_due) == "Fri 2026-12-04 10:00 MST"
    assert clock.explanation.startswith(
        "closes automatically Tue 08 Dec 10:00 MST: 10 business days"
    )
    assert "if the customer does not confirm the resolution" in clock.explanation
    assert "the customer is notified Fri 04 Dec 10:00 MST" in clock.explanation
    assert "Thu 26 Nov is a holiday (Thanksgiving Day)" in clock.explanation


def test_a_case_waiting_on_the_customer_closes_fifteen_business_days_later():
    clock = clocks(
        "2026-11-23 09:00", 2, status("2026-11-23 10:00", Status.WAITING), now="2026-11-23 11:00"
    )[AUTO_CLOSE]
    assert due(clock) == "Tue 2026-12-15 10:00 MST"
    assert clock.notice_due is not None
    assert show(clock.notice_due) == "Fri 2026-12-11 10:00 MST"
    assert "if the customer does not send what was requested" in clock.explanation


def test_auto_close_counts_from_the_last_time_the_case_was_resolved():
    clock = clocks(
        "2026-11-16 09:00",
        2,
        status("2026-11-16 10:00", Status.RESOLVED),
        status("2026-11-17 10:00", Status.OPEN),
        status("2026-11-18 11:00", Status.RESOLVED),
        now="2026-11-18 12:00",
    )[AUTO_CLOSE]
    assert due(clock) == "Thu 2026-12-03 11:00 MST"


def test_auto_close_past_due_is_breached_meaning_close_it_now():
    clock = clocks(
        "2026-11-16 09:00", 2, status("2026-11-16 10:00", Status.RESOLVED), now="2026-12-03 12:00"
    )[AUTO_CLOSE]
    assert due(clock) == "Tue 2026-12-01 10:00 MST"
    assert clock.state is ClockState.BREACHED


def test_a_policy_without_auto_close_never_closes_cases_by_itself():
    policy = parse_policy(POLICY.replace("{rule}", "recompute").split("[auto_close]")[0])
    history = CaseHistory(at("2026-11-16 09:00"), 2, (status("2026-11-16 10:00", Status.RESOLVED),))
    clock = compute_clocks(policy, history, at("2026-11-16 11:00"))[AUTO_CLOSE]
    assert clock.state is ClockState.NOT_APPLICABLE
    assert clock.explanation == "policy clocks has no auto-close"


# -- scheduled and none ----------------------------------------------------------------------------


def test_scheduled_work_has_no_clock_until_the_customer_sets_a_date():
    clock = clocks("2026-11-16 09:00", 4, now="2026-11-16 10:00")[FIRST]
    assert clock.state is ClockState.NOT_APPLICABLE
    assert clock.explanation == "Sev 4 is scheduled work: no clock until the customer sets a date"
    assert not clock.live


def test_scheduled_work_is_due_at_the_instant_the_customer_chose():
    scheduled = ScheduledFor(at("2026-11-16 10:00"), due=at("2026-11-21 14:00"))  # a Saturday
    clock = clocks("2026-11-16 09:00", 4, scheduled, now="2026-11-16 11:00")[FIRST]
    assert clock.state is ClockState.RUNNING
    assert due(clock) == "Sat 2026-11-21 14:00 MST"
    assert clock.explanation.endswith("the instant the customer scheduled")


def test_rescheduled_work_is_due_at_the_latest_date_chosen():
    clock = clocks(
        "2026-11-16 09:00",
        4,
        ScheduledFor(at("2026-11-16 10:00"), due=at("2026-11-20 14:00")),
        ScheduledFor(at("2026-11-17 10:00"), due=at("2026-11-24 09:00")),
        now="2026-11-18 11:00",
    )[FIRST]
    assert due(clock) == "Tue 2026-11-24 09:00 MST"


def test_a_level_with_no_target_has_no_first_response_clock():
    clock = clocks("2026-11-16 09:00", 5, now="2026-11-16 10:00")[FIRST]
    assert clock.state is ClockState.NOT_APPLICABLE
    assert clock.explanation == "Sev 5 has no first-response target"


# -- the queue's deadline ------------------------------------------------------------------


def test_next_due_is_the_first_response_while_it_runs():
    result = clocks("2026-11-16 09:00", 1, now="2026-11-16 09:10")
    assert next_due(result) == at("2026-11-16 10:00")


def test_next_due_skips_met_clocks_and_picks_the_soonest_live_one():
    result = clocks(
        "2026-11-16 09:00",
        1,
        responded("2026-11-16 09:30"),
        status("2026-11-16 09:30", Status.WAITING),
        now="2026-11-16 10:00",
    )
    assert result[FIRST].state is ClockState.MET
    assert result[UPDATE].state is ClockState.PAUSED
    assert due(result[CUSTOMER]) == "Mon 2026-11-16 11:30 MST"
    assert result[AUTO_CLOSE].state is ClockState.RUNNING
    assert next_due(result) == at("2026-11-16 11:30")


def test_next_due_keeps_a_breached_unanswered_clock_at_the_top():
    result = clocks("2026-11-16 09:00", 1, responded("2026-11-16 09:30"), now="2026-11-16 12:00")
    assert result[UPDATE].state is ClockState.BREACHED
    assert next_due(result) == at("2026-11-16 11:30")


def test_next_due_is_none_when_no_clock_is_live():
    result = clocks(
        "2026-11-16 09:00",
        5,
        status("2026-11-16 10:00", Status.CLOSED),
        now="2026-11-16 11:00",
    )
    assert next_due(result) is None


# -- every minute accounted for (issue 22, item 4) ----------------------------------------------


def test_update_explains_a_pause_that_began_before_the_last_update():
    # Waiting from 12:00 to 12:30, a reply at 12:15 while waiting: the 2h count from
    # 12:15 does not start until 12:30, so 2h of round-the-clock time is due 14:30.
    clock = clocks(
        "2026-11-16 09:00",
        1,
        responded("2026-11-16 09:30"),
        status("2026-11-16 12:00", Status.WAITING),
        responded("2026-11-16 12:15"),
        status("2026-11-16 12:30", Status.OPEN),
        now="2026-11-16 13:00",
    )[UPDATE]
    assert due(clock) == "Mon 2026-11-16 14:30 MST"
    assert clock.explanation == (
        "due Mon 16 Nov 14:30 MST: 2h of round-the-clock time since the last update to the "
        "customer at Mon 16 Nov 12:15, not counting 15m waiting on the customer "
        "(Mon 16 Nov 12:15-12:30)"
    )


def test_update_explains_each_pause_with_its_business_time():
    # Sev 2, 4h of office hours: waiting Mon 16:00 to Tue 10:00 holds 2h of office time.
    clock = clocks(
        "2026-11-16 09:00",
        2,
        responded("2026-11-16 15:00"),
        status("2026-11-16 16:00", Status.WAITING),
        status("2026-11-17 10:00", Status.OPEN),
        now="2026-11-17 10:30",
    )[UPDATE]
    assert due(clock) == "Tue 2026-11-17 13:00 MST"
    assert clock.explanation.endswith(
        "not counting 2h waiting on the customer (Mon 16 Nov 16:00-Tue 17 Nov 10:00)"
    )
    # 4h counted plus 2h paused is all the office time from the update to the due.
    assert clock.started is not None and clock.due is not None
    policy_calendar = RECOMPUTE.calendars["office"]
    assert policy_calendar.open_time_between(clock.started, clock.due) == hours(4 + 2)
