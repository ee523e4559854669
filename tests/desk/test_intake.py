"""The intake use cases: the Severity 1 call's confirm and the report of several issues.

Each confirm is one transaction: the tests check what it wrote (the case, every
checklist step, the override, the assignment, the links) and that a refusal
writes nothing at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from deskterm.desk import cases, directory, intake, queries
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.models import Case, Contact, Event
from deskterm.store.engine import reading
from tests.frozen import FrozenClock

STEPS = [step for step, _ in intake.CHECKLIST]


def a_call(desk: Desk, **changes: object) -> intake.Sev1Call:
    call = intake.Sev1Call(
        organization="Acme",
        contact="Bob Admin",
        started_at=desk.now() - timedelta(minutes=4),
        admin_access=True,
        product="Ledger",
        version="7.1",
        systems="ledger-db-1, ledger-app-1",
        emergency=True,
        subject="Production down: Ledger",
        impact="no invoices can be posted",
        scope="all 40 accountants",
        urgency="month-end close tonight",
    )
    for name, value in changes.items():
        setattr(call, name, value)
    return call


def events(desk: Desk, number: int) -> list[Event]:
    with reading(desk.engine) as session:
        case = session.exec(select(Case).where(Case.number == number)).one()
        return cases.events_of(session, case)


def case_count(desk: Desk) -> int:
    with reading(desk.engine) as session:
        return len(session.exec(select(Case)).all())


def test_confirm_opens_a_sev1_case_with_every_step_and_a_30_minute_clock(desk: Desk) -> None:
    case = intake.confirm_sev1(desk, a_call(desk))
    assert case.severity == 1
    # business-hours-3: Sev 1 is 30 minutes of business time; Monday 10:00 is inside.
    assert case.first_response_due == desk.now() + timedelta(minutes=30)
    assert case.first_response_state == "running"
    written = events(desk, case.number)
    checklist = [e for e in written if e.kind == "checklist"]
    assert [e.field for e in checklist] == STEPS
    assert "administrator of the product" in (checklist[0].text or "")
    assert checklist[1].new_value == "current"
    assert "Impact: no invoices can be posted" in (checklist[-1].text or "")
    assert case.product == "Ledger" and case.product_version == "7.1"
    assert case.assignee is None


def test_the_30_minutes_hold_round_the_clock_under_initial_response_3(
    desk: Desk, clock: FrozenClock
) -> None:
    directory.add_organization(desk, "Initech", "initial-response-3")
    directory.add_contact(desk, "Ian", "Initech", is_admin=True)
    clock.instant = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # a Sunday, 3 in the morning
    case = intake.confirm_sev1(desk, a_call(desk, organization="Initech", contact="Ian"))
    assert case.first_response_due == clock.instant + timedelta(minutes=30)


def test_business_hours_3_counts_its_30_minutes_in_business_time(
    desk: Desk, clock: FrozenClock
) -> None:
    # Acme's Sev 1 runs on the office calendar: a call at 16:50 New York time on
    # Monday is due 20 minutes into Tuesday's opening, not at 17:20.
    clock.instant = datetime(2026, 11, 23, 21, 50, tzinfo=UTC)
    case = intake.confirm_sev1(desk, a_call(desk))
    assert case.first_response_due is not None
    assert case.first_response_due > clock.instant + timedelta(hours=12)


def test_take_it_now_assigns_the_case_in_the_same_transaction(desk: Desk) -> None:
    case = intake.confirm_sev1(desk, a_call(desk), take=True)
    assert case.assignee == "alice"
    kinds = [e.kind for e in events(desk, case.number)]
    assert kinds.count("assign") == 1 and kinds[0] == "opened"


def test_an_expired_contract_needs_a_supervisor_override_and_records_it(desk: Desk) -> None:
    call = a_call(desk, organization="Globex", contact="Gina")
    with pytest.raises(DeskError, match="maintenance contract ended on 2026-01-31"):
        intake.confirm_sev1(desk, call)
    assert case_count(desk) == 0
    call.override = "renewal signed yesterday"
    # Who authorised it is recorded with why (issue 20): a reason alone is refused.
    with pytest.raises(DeskError, match="name of the supervisor who authorised it"):
        intake.confirm_sev1(desk, call)
    assert case_count(desk) == 0
    call.supervisor = "Dana Shift"
    case = intake.confirm_sev1(desk, call)
    written = events(desk, case.number)
    assert "entitlement override authorised by Dana Shift: renewal signed" in (
        written[0].text or ""
    )
    step = next(e for e in written if e.field == "entitlement")
    assert step.new_value == "override"
    assert "Supervisor override authorised by Dana Shift: renewal signed yesterday" in (
        step.text or ""
    )


def test_a_caller_added_on_the_call_joins_the_directory_with_the_case(desk: Desk) -> None:
    call = a_call(
        desk,
        contact="Carol New",
        new_contact=True,
        contact_phone="+1 555 0199",
        contact_is_admin=True,
    )
    case = intake.confirm_sev1(desk, call)
    with reading(desk.engine) as session:
        carol = session.exec(select(Contact).where(Contact.name == "Carol New")).one()
    assert carol.is_admin and carol.phone == "+1 555 0199"
    assert case.contact_id == carol.id
    assert "added to the directory on this call" in (events(desk, case.number)[1].text or "")


def test_upgrading_the_callers_case_keeps_its_number_and_records_the_change(desk: Desk) -> None:
    existing = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=3, subject="Ledger slow"
    )
    case = intake.confirm_sev1(desk, a_call(desk, case_number=existing.number))
    assert case.number == existing.number and case.severity == 1
    assert case.version == 2
    assert case.first_response_due == desk.now() + timedelta(minutes=30)
    written = events(desk, case.number)
    assert [e.field for e in written if e.kind == "checklist"] == STEPS
    severity = next(e for e in written if e.kind == "severity")
    assert (severity.old_value, severity.new_value) == ("3", "1")
    assert case_count(desk) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"admin_access": False}, "administrative access"),
        ({"emergency": False}, "not a Severity 1"),
        ({"impact": "  "}, "the impact is empty"),
        ({"systems": ""}, "the systems involved is empty"),
        ({"contact": "Nobody"}, "'Nobody' is not a contact of Acme"),
        ({"case_number": 49999}, "no case 49999"),
    ],
)
def test_a_refused_confirm_writes_nothing(
    desk: Desk, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(DeskError, match=message):
        intake.confirm_sev1(desk, a_call(desk, **changes))
    assert case_count(desk) == 0


def test_a_case_of_another_organization_is_not_the_callers(desk: Desk) -> None:
    theirs = cases.open_case(
        desk,
        organization="Globex",
        contact="Gina",
        severity=2,
        subject="x",
        entitlement_override="test",
    )
    with pytest.raises(DeskError, match="belongs to Globex, not Acme"):
        intake.case_for_call(desk, theirs.number, "Acme")


def test_find_callers_matches_name_organization_email_and_phone(desk: Desk) -> None:
    for text in ("bob", "ACME", "bob@acme", "0100"):
        assert [c.name for c in intake.find_callers(desk, text)] == ["Bob Admin"], text
    assert intake.find_callers(desk, "zzz") == []


def test_entitlement_says_why_support_stops(desk: Desk) -> None:
    ok = intake.check_entitlement(desk, "Acme", "Bob Admin")
    assert ok.ok and ok.is_admin
    expired = intake.check_entitlement(desk, "Globex", "Gina")
    assert not expired.ok and "ended on 2026-01-31" in expired.problems[0]
    stranger = intake.check_entitlement(desk, "Acme", "Mallory")
    assert stranger.problems == ("'Mallory' is not a contact of Acme",)


def test_several_issues_open_linked_cases_in_one_go(desk: Desk) -> None:
    opened = intake.open_issues(
        desk,
        organization="Acme",
        contact="Bob Admin",
        issues=[
            intake.Issue(2, "Reports time out", intake={"product": "Ledger"}),
            intake.Issue(3, "Typo on the invoice", intake={"product": "Ledger"}),
        ],
    )
    first, second = (case.number for case in opened)
    assert [case.severity for case in opened] == [2, 3]
    links = {n: [e for e in events(desk, n) if e.kind == "linked"] for n in (first, second)}
    assert links[first][0].new_value == str(second)
    assert links[second][0].new_value == str(first)
    shown = queries.show_case(desk, first)
    assert any(f"linked this case with case {second}" in e["description"] for e in shown["events"])


def test_one_bad_issue_opens_none_of_the_report(desk: Desk) -> None:
    with pytest.raises(DeskError, match="no severity 9"):
        intake.open_issues(
            desk,
            organization="Acme",
            contact="Bob Admin",
            issues=[intake.Issue(2, "fine"), intake.Issue(9, "bad level")],
        )
    assert case_count(desk) == 0


class TickingClock:
    """A clock that moves on at every reading, as the real one does between two calls."""

    def __init__(self, start: datetime) -> None:
        self.instant = start

    def __call__(self) -> datetime:
        self.instant += timedelta(milliseconds=1)
        return self.instant


def test_cases_open_while_the_clock_moves_on(desk: Desk) -> None:
    """Every instant of one change is the transaction's: a case is never replayed from
    before it was received (a frozen test clock hides that; the wall clock does not)."""
    moving = Desk(desk.engine, desk.policies, desk.actor, now=TickingClock(desk.now()))
    sev1 = intake.confirm_sev1(moving, a_call(moving))
    linked = intake.open_issues(
        moving,
        organization="Acme",
        contact="Bob Admin",
        issues=[intake.Issue(2, "Reports time out"), intake.Issue(3, "Typo on the invoice")],
    )
    plain = cases.open_case(
        moving, organization="Acme", contact="Bob Admin", severity=2, subject="Slow export"
    )
    for case in (sev1, *linked, plain):
        assert case.first_response_state == "running"
        assert case.first_response_due is not None and case.first_response_due > case.received_at


def test_a_new_reporter_joins_the_directory_with_the_cases(desk: Desk) -> None:
    """The new-case form adds a contact the way the wizard does (issue 20): written with
    the cases, in their transaction, not before."""
    from deskterm.desk import directory

    new = intake.NewContact(email="nora@acme.test", phone="+1 555 0142", is_admin=True)
    issues = [intake.Issue(severity=2, subject="Slow"), intake.Issue(severity=3, subject="Typo")]
    with pytest.raises(DeskError, match="the subject is empty"):
        intake.open_issues(
            desk,
            organization="Acme",
            contact="Nora New",
            issues=[intake.Issue(2, " ")],
            new_contact=new,
        )
    assert "Nora New" not in [c.name for c, _ in directory.contacts(desk, "Acme")]
    opened = intake.open_issues(
        desk, organization="Acme", contact="Nora New", issues=issues, new_contact=new
    )
    [(nora, _)] = [(c, o) for c, o in directory.contacts(desk, "Acme") if c.name == "Nora New"]
    assert (nora.email, nora.phone, nora.is_admin) == ("nora@acme.test", "+1 555 0142", True)
    assert all(case.contact_id == nora.id for case in opened)
    with pytest.raises(DeskError, match="has a contact named 'Nora New' already"):
        intake.open_issues(
            desk, organization="Acme", contact="Nora New", issues=issues, new_contact=new
        )
