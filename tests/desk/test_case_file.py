"""The case as the case screen reads it: one load, clocks replayed, what-ifs for severity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskterm.desk import case_file, cases
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError, NotFound
from deskterm.models import INTAKE_FIELDS
from deskterm.sla import ClockKind, ClockState

from .conftest import MONDAY, FrozenClock


def acme_sev3(desk: Desk, **intake: str) -> int:
    return cases.open_case(
        desk,
        organization="Acme",
        contact="Bob Admin",
        severity=3,
        subject="Export fails",
        description="It fails.\nEvery time.",
        intake=intake,
    ).number


def test_load_reads_case_people_events_and_clocks(desk: Desk) -> None:
    number = acme_sev3(desk, product="Exporter", operating_system="Linux")
    cases.note(desk, number, "checked the logs")
    cases.reply(desk, number, "Which version?")
    file = case_file.load(desk, number)
    assert (file.number, file.version, file.case.subject) == (number, 3, "Export fails")
    assert file.organization.name == "Acme"
    assert file.contact is not None and file.contact.administrator
    assert file.contact.phone == "+1 555 0100"
    assert [e.kind for e in file.events] == ["opened", "note", "reply"]
    assert [e.text for e in file.events][1:] == ["checked the logs", "Which version?"]
    # Every intake field, in the order asked, the empty ones too.
    intake = dict(file.intake())
    assert list(intake) == list(INTAKE_FIELDS)
    assert intake["product"] == "Exporter" and intake["steps_to_reproduce"] == ""
    # The reply stopped the first-response clock: met.
    clocks = file.clocks(desk.now())
    assert clocks[ClockKind.FIRST_RESPONSE].state is ClockState.MET


def test_load_names_a_missing_case(desk: Desk) -> None:
    with pytest.raises(NotFound, match="no case 99999"):
        case_file.load(desk, 99999)


def test_since_lists_what_others_changed_after_a_version(desk: Desk) -> None:
    number = acme_sev3(desk)
    seen = case_file.load(desk, number).version
    bob = Desk(desk.engine, desk.policies, "bob", now=desk.now)
    cases.take(bob, number)
    cases.move(bob, number, "open")
    newer = case_file.load(desk, number)
    assert case_file.version_of(desk, number) == newer.version == seen + 2
    assert [(e.actor, e.kind) for e in newer.since(seen)] == [("bob", "assign"), ("bob", "status")]


def test_split_cases_know_each_other(desk: Desk) -> None:
    number = acme_sev3(desk)
    child = cases.split(desk, number, "Second problem").number
    assert case_file.load(desk, number).children == (child,)
    assert case_file.load(desk, child).parent == number


def test_ticking_moves_time_left_without_replaying(desk: Desk, clock: FrozenClock) -> None:
    # Acme's Sev 1: 30 minutes of business time from Monday 11:00 New York.
    number = cases.open_case(
        desk, organization="Acme", contact=None, severity=1, subject="Down"
    ).number
    file = case_file.load(desk, number)
    first = file.clocks(MONDAY)[ClockKind.FIRST_RESPONSE]
    assert first.left == timedelta(minutes=30)
    later = case_file.ticked(file.policy, first, MONDAY + timedelta(minutes=12))
    assert later.left == timedelta(minutes=18) and later.state is ClockState.RUNNING
    past = case_file.ticked(file.policy, first, MONDAY + timedelta(minutes=31))
    assert past.state is ClockState.BREACHED and past.left == timedelta(minutes=-1)
    # The replayed clock at that instant says the same.
    replayed = file.clocks(MONDAY + timedelta(minutes=31))[ClockKind.FIRST_RESPONSE]
    assert (replayed.state, replayed.left) == (past.state, past.left)


def test_severity_preview_shows_the_new_deadlines_without_writing(desk: Desk) -> None:
    number = acme_sev3(desk)
    file = case_file.load(desk, number)
    changes = {c.kind: c for c in case_file.severity_preview(file, 1, desk.now())}
    first = changes[ClockKind.FIRST_RESPONSE]
    assert first.changed and first.after.due is not None and first.before.due is not None
    assert first.after.due < first.before.due  # Sev 1 is due far sooner
    # What the preview promised is what the change does.
    cases.change_severity(desk, number, 1, "production is down after all")
    after = case_file.load(desk, number).clocks(desk.now())[ClockKind.FIRST_RESPONSE]
    assert after.due == first.after.due
    assert case_file.load(desk, number).version == file.version + 1  # only the real change wrote


def test_severity_preview_refuses_a_level_the_policy_lacks(desk: Desk) -> None:
    file = case_file.load(desk, acme_sev3(desk))
    with pytest.raises(DeskError, match="no severity 9"):
        case_file.severity_preview(file, 9, desk.now())


def test_severity_choices_carry_the_policy_meaning(desk: Desk) -> None:
    file = case_file.load(desk, acme_sev3(desk))
    choices = case_file.severity_choices(file)
    assert [c.level for c in choices] == sorted(file.policy.severities)
    assert [c.current for c in choices] == [c.level == 3 for c in choices]
    sev1 = choices[0]
    assert sev1.label == "Sev 1" and sev1.meaning and "first response 30m" in sev1.targets


def test_desk_users_are_assignees_and_recent_actors_not_the_sweep(desk: Desk) -> None:
    number = acme_sev3(desk)
    cases.assign(desk, number, "carol")
    dave = Desk(desk.engine, desk.policies, "dave", now=desk.now)
    cases.note(dave, number, "seen")
    sweeper = Desk(desk.engine, desk.policies, "deskterm", now=desk.now)
    cases.note(sweeper, number, "system")
    assert case_file.desk_users(desk) == ["alice", "carol", "dave"]
