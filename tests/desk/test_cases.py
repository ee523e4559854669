"""The use cases an engineer relies on, each one transaction with its audit event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from deskterm.desk import cases, queries
from deskterm.desk.context import Desk
from deskterm.desk.errors import Conflict, DeskError, InvalidMove, NotFound
from deskterm.desk.workflow import MOVES
from deskterm.sla import Status
from deskterm.store.engine import reading
from tests.desk.conftest import MONDAY, FrozenClock, as_user


def open_sev(desk: Desk, severity: int = 1, **extra: object) -> int:
    case = cases.open_case(
        desk,
        organization="Acme",
        contact="Bob Admin",
        severity=severity,
        subject=extra.pop("subject", "Production down"),
        **extra,  # type: ignore[arg-type]
    )
    return case.number


def event_kinds(desk: Desk, number: int) -> list[str]:
    return [event["kind"] for event in queries.show_case(desk, number)["events"]]


def count_rows(desk: Desk) -> tuple[int, int]:
    with reading(desk.engine) as session:
        n_cases = session.exec(text("SELECT count(*) FROM cases")).one()[0]  # type: ignore[call-overload]
        n_events = session.exec(text("SELECT count(*) FROM events")).one()[0]  # type: ignore[call-overload]
    return n_cases, n_events


# -- opening ---------------------------------------------------------------


def test_case_numbers_start_at_40100_and_increase(desk: Desk) -> None:
    assert [open_sev(desk) for _ in range(3)] == [40100, 40101, 40102]


def test_a_new_case_starts_its_first_response_clock_at_received(desk: Desk) -> None:
    number = open_sev(desk, severity=1)
    shown = queries.show_case(desk, number)
    # business-hours-3 Sev 1: 30m of Mon-Fri 08-17 New York time; Monday 11:00 there.
    assert shown["clocks"]["first_response"]["due"] == "2026-11-23T16:30:00+00:00"
    assert shown["clocks"]["first_response"]["state"] == "running"
    assert shown["next_due"] == "2026-11-23T16:30:00+00:00"
    assert shown["status"] == "new" and shown["version"] == 1
    assert shown["events"][0]["kind"] == "opened" and shown["events"][0]["actor"] == "alice"
    assert shown["contact"]["administrator"] is True


def test_a_case_received_out_of_hours_counts_from_the_next_opening(desk: Desk) -> None:
    saturday = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    number = open_sev(desk, severity=1, received=saturday)
    clocks = queries.show_case(desk, number)["clocks"]
    assert clocks["first_response"]["started"] == "2026-11-23T13:00:00+00:00"  # Mon 08:00 New York
    assert clocks["first_response"]["due"] == "2026-11-23T13:30:00+00:00"


def test_intake_fields_are_stored(desk: Desk) -> None:
    number = open_sev(
        desk, intake={"product": "Vault", "product_version": "7.2", "operating_system": "RHEL 9"}
    )
    intake = queries.show_case(desk, number)["intake"]
    assert intake["product"] == "Vault" and intake["product_version"] == "7.2"
    assert intake["inquirer"] == "Bob Admin"  # the contact, when none was typed
    assert intake["steps_to_reproduce"] == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"organization": "Acne"}, "no organization named 'Acne' (did you mean 'Acme'?)"),
        ({"contact": "Rob"}, "no contact named 'Rob' at Acme"),
        ({"severity": 4}, "has no severity 4"),
        ({"subject": "   "}, "the subject is empty"),
        ({"intake": {"colour": "red"}}, "unknown intake field"),
    ],
)
def test_bad_input_opens_nothing(desk: Desk, arguments: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "organization": "Acme",
        "contact": "Bob Admin",
        "severity": 2,
        "subject": "x",
        **arguments,
    }
    with pytest.raises(
        DeskError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    ):
        cases.open_case(desk, **values)  # type: ignore[arg-type]
    assert count_rows(desk) == (0, 0)


def test_an_expired_contract_refuses_support_unless_overridden(desk: Desk) -> None:
    with pytest.raises(DeskError, match="contract ended on 2026-01-31"):
        cases.open_case(desk, organization="Globex", contact="Gina", severity=2, subject="x")
    case = cases.open_case(
        desk,
        organization="Globex",
        contact="Gina",
        severity=2,
        subject="x",
        entitlement_override="renewal signed, PO in the mail",
    )
    opened = queries.show_case(desk, case.number)["events"][0]
    assert "entitlement override: renewal signed" in opened["text"]


def test_customer_text_is_stored_exactly(desk: Desk) -> None:
    hostile = "\x1b]0;pwned\x07[bold]x[/bold] \u202e\x9b2J \x00 ünïcödé"
    number = open_sev(desk, subject=hostile, description=hostile)
    cases.note(desk, number, hostile)
    shown = queries.show_case(desk, number)
    assert shown["subject"] == hostile.strip() and shown["description"] == hostile
    assert shown["events"][-1]["text"] == hostile


# -- responding ------------------------------------------------------------


def test_a_reply_meets_the_first_response_and_a_note_does_not(
    desk: Desk, clock: FrozenClock
) -> None:
    number = open_sev(desk)
    clock.advance(minutes=10)
    cases.note(desk, number, "checking logs")
    assert queries.show_case(desk, number)["clocks"]["first_response"]["state"] == "running"
    clock.advance(minutes=5)
    cases.reply(desk, number, "We are on it.")
    first = queries.show_case(desk, number)["clocks"]["first_response"]
    assert first["state"] == "met" and first["stopped"] == "2026-11-23T16:15:00+00:00"


def test_a_logged_call_counts_as_a_response(desk: Desk, clock: FrozenClock) -> None:
    number = open_sev(desk)
    clock.advance(minutes=45)
    cases.log_call(
        desk, number, "walked through restart", who="Bob Admin", outcome="callback at 17:00"
    )
    first = queries.show_case(desk, number)["clocks"]["first_response"]
    assert first["state"] == "breached" and first["stopped"] == "2026-11-23T16:45:00+00:00"
    call = queries.show_case(desk, number)["events"][-1]
    assert call["kind"] == "call" and call["new"] == "Bob Admin"
    assert call["text"] == "walked through restart\nOutcome: callback at 17:00"


def test_empty_texts_are_refused(desk: Desk) -> None:
    number = open_sev(desk)
    for action in (cases.reply, cases.note, cases.customer_reply):
        with pytest.raises(DeskError, match="is empty"):
            action(desk, number, "  ")
    with pytest.raises(DeskError, match="is empty"):
        cases.log_call(desk, number, "")
    assert event_kinds(desk, number) == ["opened"]


def test_a_customer_reply_returns_a_waiting_case_to_open(desk: Desk, clock: FrozenClock) -> None:
    number = open_sev(desk)
    cases.move(desk, number, "waiting-on-customer", note_text="please send the logs")
    assert queries.show_case(desk, number)["clocks"]["customer_response"]["state"] == "running"
    clock.advance(minutes=20)
    cases.customer_reply(desk, number, "logs attached")
    shown = queries.show_case(desk, number)
    assert shown["status"] == "open"
    assert shown["clocks"]["customer_response"]["state"] == "met"
    assert [e["kind"] for e in shown["events"]][-2:] == ["customer-reply", "status"]


# -- moving ----------------------------------------------------------------

ALL_MOVES = [(a, b) for a in Status for b in Status if a is not b]


def reach(desk: Desk, number: int, status: Status) -> None:
    """Walk a new case to `status` along allowed moves."""
    path = {
        Status.NEW: [],
        Status.OPEN: [Status.OPEN],
        Status.WAITING: [Status.WAITING],
        Status.SOFTWARE_CHANGE: [Status.SOFTWARE_CHANGE],
        Status.RESOLVED: [Status.RESOLVED],
        Status.CLOSED: [Status.CLOSED],
    }[status]
    for step in path:
        cases.move(desk, number, step)


@pytest.mark.parametrize(("start", "target"), ALL_MOVES, ids=[f"{a}->{b}" for a, b in ALL_MOVES])
def test_the_workflow_table_decides_every_move(desk: Desk, start: Status, target: Status) -> None:
    number = open_sev(desk, severity=2)
    reach(desk, number, start)
    before = queries.show_case(desk, number)
    if target in MOVES[start]:
        moved = cases.move(desk, number, target.value)
        assert moved.status == target.value and moved.version == before["version"] + 1
        last = queries.show_case(desk, number)["events"][-1]
        assert (last["kind"], last["old"], last["new"]) == ("status", start.value, target.value)
    else:
        with pytest.raises(InvalidMove) as refused:
            cases.move(desk, number, target.value)
        assert "allowed: " + ", ".join(s.value for s in MOVES[start]) in str(refused.value)
        assert queries.show_case(desk, number)["version"] == before["version"]


def test_closed_and_resolved_cases_can_be_reopened(desk: Desk) -> None:
    number = open_sev(desk, severity=2)
    cases.move(desk, number, "closed")
    assert cases.move(desk, number, "open").status == "open"
    cases.move(desk, number, "resolved-pending-confirmation")
    assert cases.move(desk, number, "open").status == "open"


def test_an_unknown_status_names_the_statuses(desk: Desk) -> None:
    number = open_sev(desk)
    with pytest.raises(DeskError, match="statuses: new, open, waiting-on-customer"):
        cases.move(desk, number, "pending")


def test_an_unknown_case_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound, match="no case 99999"):
        cases.reply(desk, 99999, "hello")


# -- severity, assignment, escalation, split -------------------------------


def test_a_severity_change_needs_a_reason_and_recomputes_the_deadline(
    desk: Desk, clock: FrozenClock
) -> None:
    number = open_sev(desk, severity=2)
    # 24h of New York office time from Mon 11:00 runs out at Wednesday's 17:00 close;
    # no office time passes until Friday 08:00 (Thursday is Thanksgiving): due then.
    assert (
        queries.show_case(desk, number)["clocks"]["first_response"]["due"]
        == "2026-11-27T13:00:00+00:00"
    )
    with pytest.raises(DeskError, match="reason"):
        cases.change_severity(desk, number, 1, "")
    clock.advance(minutes=10)
    cases.change_severity(desk, number, 1, "production is down after all")
    shown = queries.show_case(desk, number)
    # recompute: 30m from the received instant under Sev 1.
    assert (
        shown["severity"] == 1
        and shown["clocks"]["first_response"]["due"] == "2026-11-23T16:30:00+00:00"
    )
    last = shown["events"][-1]
    assert (last["kind"], last["old"], last["new"], last["text"]) == (
        "severity",
        "2",
        "1",
        "production is down after all",
    )
    with pytest.raises(DeskError, match="already Sev 1"):
        cases.change_severity(desk, number, 1, "again")
    with pytest.raises(DeskError, match="no severity 9"):
        cases.change_severity(desk, number, 9, "typo")


def test_assign_take_and_release(desk: Desk) -> None:
    number = open_sev(desk)
    assert cases.assign(desk, number, "carol").assignee == "carol"
    # A colleague's case is taken only when the taker says so (issue 20: freya's case
    # became root's with one key).
    with pytest.raises(cases.HeldByOther, match="case .* is held by carol: .*--from-holder"):
        cases.take(desk, number)
    assert cases.take(desk, number, from_holder=True).assignee == "alice"
    with pytest.raises(DeskError, match="already assigned to alice"):
        cases.take(desk, number)
    assert cases.release(desk, number).assignee is None
    with pytest.raises(DeskError, match="already unassigned"):
        cases.release(desk, number)
    moves = [
        (e["old"], e["new"])
        for e in queries.show_case(desk, number)["events"]
        if e["kind"] == "assign"
    ]
    assert moves == [(None, "carol"), ("carol", "alice"), ("alice", None)]


def test_escalation_climbs_to_a_supervisor_and_no_further(desk: Desk) -> None:
    number = open_sev(desk)
    assert (
        cases.escalate(desk, number, "needs a code-level look").escalation
        == "product-support-engineer"
    )
    assert cases.escalate(desk, number, "customer asked for a manager").escalation == "supervisor"
    with pytest.raises(DeskError, match="already escalated to a supervisor"):
        cases.escalate(desk, number, "more")
    with pytest.raises(DeskError, match="reason"):
        cases.escalate(desk, number, " ")


def test_a_split_opens_a_linked_case_with_the_same_intake(desk: Desk) -> None:
    number = open_sev(desk, severity=2, intake={"product": "Vault", "operating_system": "RHEL 9"})
    child = cases.split(desk, number, "Second issue: reports are slow")
    assert child.number == number + 1
    shown = queries.show_case(desk, child.number)
    assert shown["split_from"] == number
    assert shown["intake"]["product"] == "Vault" and shown["status"] == "new"
    assert shown["clocks"]["first_response"]["state"] == "running"
    parent_events = queries.show_case(desk, number)["events"]
    assert parent_events[-1]["kind"] == "split" and parent_events[-1]["new"] == str(child.number)
    assert [e["kind"] for e in shown["events"]] == ["opened", "split-from"]


# -- versions and conflicts ------------------------------------------------


def test_each_change_bumps_the_version_and_its_events_carry_it(desk: Desk) -> None:
    number = open_sev(desk)
    cases.reply(desk, number, "on it")
    cases.move(desk, number, "waiting-on-customer")
    shown = queries.show_case(desk, number)
    assert shown["version"] == 3
    assert [e["version"] for e in shown["events"]] == [1, 2, 3]


def test_a_write_on_a_stale_version_names_who_changed_what_and_writes_nothing(desk: Desk) -> None:
    number = open_sev(desk)
    loaded = queries.show_case(desk, number)["version"]
    cases.move(as_user(desk, "bob"), number, "waiting-on-customer")
    with pytest.raises(Conflict) as conflict:
        cases.reply(desk, number, "my carefully typed answer", expected_version=loaded)
    message = str(conflict.value)
    assert "bob changed status new -> waiting-on-customer" in message
    assert f"case {number} changed since you loaded it" in message
    assert event_kinds(desk, number) == ["opened", "status"]
    # With the fresh version the same write goes through.
    fresh = queries.show_case(desk, number)["version"]
    cases.reply(desk, number, "my carefully typed answer", expected_version=fresh)


def test_a_refused_change_leaves_no_trace(desk: Desk) -> None:
    number = open_sev(desk)
    before = count_rows(desk)
    with pytest.raises(InvalidMove):
        cases.move(desk, number, "new")
    assert count_rows(desk) == before
    assert queries.show_case(desk, number)["version"] == 1


def test_the_database_refuses_to_change_or_delete_an_event(desk: Desk) -> None:
    open_sev(desk)
    for statement in ("UPDATE events SET text = 'rewritten'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="append-only"), desk.engine.begin() as connection:
            connection.execute(text(statement))
    assert count_rows(desk)[1] == 1


def test_listing_sorts_by_next_deadline_with_open_ended_cases_last(
    desk: Desk, clock: FrozenClock
) -> None:
    slow = open_sev(desk, severity=3)
    urgent = open_sev(desk, severity=1)
    done = open_sev(desk, severity=2)
    cases.reply(desk, done, "fixed")
    cases.move(desk, done, "closed")
    listed = [row["number"] for row in queries.list_cases(desk)]
    assert listed == [urgent, slow, done]
    assert [row["number"] for row in queries.list_cases(desk, status="closed")] == [done]
    assert [row["number"] for row in queries.list_cases(desk, severity=1)] == [urgent]
    clock.advance(hours=1)
    assert [row["number"] for row in queries.list_cases(desk, breached=True)] == [urgent]
    assert (
        queries.list_cases(desk, breached=True)[0]["clocks"]["first_response"]["state"]
        == "breached"
    )
    assert clock() > MONDAY


def test_the_database_refuses_to_empty_the_events_wholesale(desk: Desk) -> None:
    """PostgreSQL's TRUNCATE fires no row trigger, even through cases with CASCADE."""
    open_sev(desk)
    is_postgresql = desk.engine.dialect.name == "postgresql"
    statements = (
        ["TRUNCATE events CASCADE", "TRUNCATE cases CASCADE"]
        if is_postgresql
        else ["DELETE FROM events"]
    )
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), desk.engine.begin() as connection:
            connection.execute(text(statement))
    assert count_rows(desk)[1] == 1
