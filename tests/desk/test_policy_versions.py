"""Stored policy versions, `policy apply` and what reads a case under its version (issue 22)."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from deskterm import settings
from deskterm.desk import cases, policy_apply, policy_impact, policy_versions, queries, reports
from deskterm.desk.context import Desk
from deskterm.desk.doctor import policy_version_check
from deskterm.desk.queue import Queue
from deskterm.models import EventKind
from deskterm.sla import ClockKind, Status
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store import chain
from tests.frozen import FrozenClock

PRESET = settings.packaged_policy_dir() / "business-hours-3.toml"
MON = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 11:00 in New York
NAME = "business-hours-3"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """The preset copied into an administrator's directory, where it is edited."""
    directory = tmp_path / "policies"
    directory.mkdir()
    path = directory / f"{NAME}.toml"
    path.write_text(PRESET.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def vdesk(desk: Desk, clock: FrozenClock, policy_file: Path) -> Desk:
    """The desk, its policies read from the presets and then the editable copy."""
    clock.instant = MON
    catalog = PolicyCatalog([settings.packaged_policy_dir(), policy_file.parent], recheck_seconds=0)
    return Desk(desk.engine, catalog, "alice", now=desk.now)


def edit(path: Path, *, sev2: str = "12h", closed: str | None = "2026-11-24") -> None:
    """Sev 2's first response set to `sev2`, and a closed date added to the office."""
    body = PRESET.read_text(encoding="utf-8")
    if closed:
        body = body.replace('holidays = "US"', f'holidays = "US"\nclosed = ["{closed}"]', 1)
    head, _, tail = body.partition("[severity.2]")
    tail = tail.replace('first_response = "24h"', f'first_response = "{sev2}"', 1)
    path.write_text(head + "[severity.2]" + tail, encoding="utf-8")
    # A new modification time even on a coarse file system: the catalog reads it again.
    stamp = path.stat().st_mtime + 5
    os.utime(path, (stamp, stamp))


def open_case(desk: Desk, severity: int, subject: str = "x") -> int:
    return cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=severity, subject=subject
    ).number


def stored_versions(desk: Desk) -> list[tuple[str, int, str, str]]:
    with desk.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT name, version, sha256, created_by FROM policy_versions ORDER BY 1, 2")
        )
        return [(r.name, r.version, r.sha256, r.created_by) for r in rows]


def version_of(desk: Desk, number: int) -> int | None:
    with desk.engine.connect() as connection:
        return connection.execute(  # type: ignore[no-any-return]
            text("SELECT policy_version FROM cases WHERE number = :n"), {"n": number}
        ).scalar_one()


def due(desk: Desk, number: int) -> str | None:
    return queries.show_case(desk, number)["next_due"]  # type: ignore[no-any-return]


def test_the_first_case_stores_the_policy_as_version_one(vdesk: Desk, policy_file: Path) -> None:
    number = open_case(vdesk, 2)
    [(name, version, digest, by)] = stored_versions(vdesk)
    assert (name, version, by) == (NAME, 1, "alice")
    assert digest == vdesk.policy_file(NAME).sha256
    assert version_of(vdesk, number) == 1
    assert queries.show_case(vdesk, number)["policy_version"] == 1


def test_an_edited_file_moves_nothing_until_it_is_applied(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    number = open_case(vdesk, 2)
    before = due(vdesk, number)
    edit(policy_file)
    clock.instant = MON + timedelta(minutes=5)
    cases.note(vdesk, number, "a change replays the clocks: from the stored text")
    assert due(vdesk, number) == before
    # A case opened now starts under the version in use too, not the file.
    later = open_case(vdesk, 2)
    assert version_of(vdesk, later) == 1
    assert [d.name for d in policy_versions.drift(vdesk.engine, vdesk.policies)] == [NAME]
    # The console's header says so (desk.queue's counts feed it).
    assert Queue(vdesk).counts(vdesk.now()).policy_files_differ == (NAME,)
    check = policy_version_check(
        vdesk.engine.url.render_as_string(hide_password=False), vdesk.policies.dirs
    )
    assert check.status == "warn" and NAME in check.message and "version 1" in check.message


def test_apply_moves_the_open_cases_as_the_diff_said(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    numbers = [open_case(vdesk, severity) for severity in (1, 2, 3)]
    closed = open_case(vdesk, 2, "closed")
    cases.move(vdesk, closed, Status.CLOSED.value)
    before = {number: due(vdesk, number) for number in numbers}
    edit(policy_file)
    clock.instant = MON + timedelta(minutes=5)
    edited = vdesk.policy_file(NAME)
    found = policy_impact.impact(vdesk, vdesk.policy(NAME), edited)
    assert vdesk.policy(NAME).version == 1

    done = policy_apply.apply(vdesk, edited, if_impact_hash=found.json()["impact_hash"])

    assert (done.version, done.stored, done.moved, done.due_moved) == (2, True, 3, 2)
    after = {number: due(vdesk, number) for number in numbers}
    # The recount from `case show`: the figures the diff printed.
    recount = {"earlier": 0, "later": 0, "unchanged": 0}
    for number in numbers:
        old, new = before[number], after[number]
        assert old is not None and new is not None
        recount["unchanged" if old == new else "earlier" if new < old else "later"] += 1
    assert recount == {"earlier": found.earlier, "later": found.later, "unchanged": found.unchanged}
    moves = {move.number: move for move in found.moves}
    for number in numbers:
        if number in moves:
            assert moves[number].new_due is not None
            assert moves[number].new_due.isoformat() == after[number]
        assert version_of(vdesk, number) == 2
    assert version_of(vdesk, closed) == 1  # a closed case keeps the version it ran under
    # Each moved case says so: an event naming both dues, and `case why`.
    sev2 = numbers[1]
    shown = queries.show_case(vdesk, sev2)
    [event] = [e for e in shown["events"] if e["kind"] == EventKind.POLICY.value]
    assert event["old"] == f"version 1, due {before[sev2]}"
    assert event["new"] == f"version 2, due {after[sev2]}"
    assert "moved the case to its policy's version 2" in event["description"]
    _, _, clocks = queries.explain_case(vdesk, sev2)
    assert any("moved to the policy's version 2" in c.explanation for c in clocks.values())
    # The new version is in use: nothing differs, and new cases start under it.
    assert policy_versions.drift(vdesk.engine, vdesk.policies) == []
    assert Queue(vdesk).counts(vdesk.now()).policy_files_differ == ()
    assert version_of(vdesk, open_case(vdesk, 2)) == 2
    # The stored clocks are what a replay under version 2 gives (doctor --clocks).
    from deskterm.desk.doctor import clock_check

    url = vdesk.engine.url.render_as_string(hide_password=False)
    assert clock_check(url, vdesk.policies.dirs).status == "ok"
    # Written in bulk, the events still chain, and the counters and index keep step.
    from deskterm.desk.doctor import figures_checks, search_check

    assert [c.status for c in figures_checks(url)] == ["ok"] * len(figures_checks(url))
    assert search_check(url).status == "ok"
    with vdesk.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM events ORDER BY case_id, id")).mappings()
        assert chain.first_break(rows) is None


def test_a_changed_impact_refuses_the_apply_and_changes_nothing(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    number = open_case(vdesk, 2)
    edit(policy_file)
    edited = vdesk.policy_file(NAME)
    printed = policy_impact.impact(vdesk, vdesk.policy(NAME), edited).json()["impact_hash"]
    open_case(vdesk, 3)  # the desk moved on since the diff
    with pytest.raises(policy_apply.ImpactChanged, match=printed):
        policy_apply.apply(vdesk, edited, if_impact_hash=printed)
    assert [v[1] for v in stored_versions(vdesk)] == [1]
    assert version_of(vdesk, number) == 1


def test_new_cases_only_leaves_the_open_cases_on_their_version(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    number = open_case(vdesk, 2)
    before = due(vdesk, number)
    edit(policy_file)
    done = policy_apply.apply(vdesk, vdesk.policy_file(NAME), new_cases_only=True)
    assert (done.version, done.moved) == (2, 0)
    cases.note(vdesk, number, "replayed under version 1 still")
    assert (version_of(vdesk, number), due(vdesk, number)) == (1, before)
    fresh = open_case(vdesk, 2)
    assert version_of(vdesk, fresh) == 2
    # The diff now reads each case against its own version: the old case would move.
    found = policy_impact.impact(vdesk, vdesk.policy(NAME), vdesk.policy_file(NAME))
    assert [move.number for move in found.moves] == [number]


def test_a_past_period_reports_the_same_after_an_edit_is_applied(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    """An unanswered Sev 2 (24h) is running at the period's end; under a 1h target it
    would have been missed. The report reads it under the version it ran under then."""
    start, end = MON - timedelta(hours=1), MON + timedelta(hours=3)
    waiting = open_case(vdesk, 2, "unanswered")
    answered = open_case(vdesk, 2, "answered")
    clock.instant = MON + timedelta(hours=2)
    cases.reply(vdesk, answered, "on it")
    clock.instant = MON + timedelta(hours=4)
    before = reports.report(vdesk, start, end).json()
    edit(policy_file, sev2="1h", closed=None)
    policy_apply.apply(vdesk, vdesk.policy_file(NAME))
    assert version_of(vdesk, waiting) == 2
    assert reports.report(vdesk, start, end).json() == before
    assert reports.replayed_report(vdesk, start, end).json() == before
    assert (before["total"]["received"], before["total"]["first_response_missed"]) == (2, 0)


def test_apply_is_atomic_under_a_concurrent_writer(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    """Another writer opens and changes cases all through the apply: once apply has
    returned, no open case of the policy is left on the old version."""
    for severity in (1, 2, 3, 2):
        open_case(vdesk, severity)
    edit(policy_file)
    writer = Desk(vdesk.engine, vdesk.policies, "bob", now=vdesk.now)
    stop = threading.Event()
    written: list[int] = []
    failures: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set() or len(written) < 3:
                number = open_case(writer, 2, "concurrent")
                cases.note(writer, number, "and a change to it")
                written.append(number)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            failures.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        done = policy_apply.apply(vdesk, vdesk.policy_file(NAME))
        with vdesk.engine.connect() as connection:
            left = connection.execute(
                text(
                    "SELECT number FROM cases WHERE policy = :n AND status != 'closed' "
                    "AND (policy_version IS NULL OR policy_version != :v)"
                ),
                {"n": NAME, "v": done.version},
            ).all()
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert left == []
    assert written and all(version_of(vdesk, number) == done.version for number in written)


def test_the_migration_stores_the_files_in_use_as_version_one(desk: Desk) -> None:
    """0008 on a desk written before versions: each policy its cases and organizations
    use is stored from its file, and every case runs under that version 1."""
    from alembic import command

    from deskterm.store.migrate import _config

    number = open_case(desk, 2)
    command.downgrade(_config(desk.engine), "0007_sla_clocks")
    command.upgrade(_config(desk.engine), "head")
    stored = stored_versions(desk)
    assert [(name, version, by) for name, version, _, by in stored] == [
        ("business-hours-3", 1, "deskterm migration"),
        ("standard-tier", 1, "deskterm migration"),
    ]
    assert stored[0][2] == desk.policy_file(NAME).sha256
    assert version_of(desk, number) == 1


ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//deskterm//test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:1@example\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;VALUE=DATE:20261124\r\nSUMMARY:Off-site\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_the_holidays_file_a_policy_reads_is_stored_with_its_version(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    """An edited (or deleted) .ics is an edit like any other: the version in use keeps
    the file as it was, and the policy is said to differ."""
    ics = policy_file.parent / "company.ics"
    ics.write_text(ICS, encoding="utf-8", newline="")
    body = PRESET.read_text(encoding="utf-8").replace(
        'holidays = "US"', 'holidays = "US"\nholidays_file = "company.ics"', 1
    )
    policy_file.write_text(body, encoding="utf-8")
    number = open_case(vdesk, 2)
    before = due(vdesk, number)
    assert vdesk.policy(NAME).files == {"company.ics": ICS.encode()}
    ics.unlink()
    clock.instant = MON + timedelta(minutes=5)
    cases.note(vdesk, number, "replayed from the stored text and its stored .ics")
    assert due(vdesk, number) == before
    ics.write_text(ICS.replace("20261124", "20261125"), encoding="utf-8", newline="")
    assert [d.name for d in policy_versions.drift(vdesk.engine, vdesk.policies)] == [NAME]
    found = policy_impact.impact(vdesk, vdesk.policy(NAME), vdesk.policy_file(NAME))
    assert found.changes == [
        "calendar office holidays_file: +2026-11-25 -2026-11-24",
    ]


def stored_clock(desk: Desk, number: int, clock: str) -> tuple[str, datetime | None]:
    with desk.engine.connect() as connection:
        row = connection.execute(
            text(f"SELECT {clock}_state, {clock}_due FROM cases WHERE number = :n"),
            {"n": number},
        ).one()
    stored_due = row[1]
    if isinstance(stored_due, str):  # SQLite hands back text
        stored_due = datetime.fromisoformat(stored_due).replace(tzinfo=UTC)
    return row[0], stored_due


def test_apply_keeps_a_settled_clock_and_moves_the_running_ones(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    """A first response answered in time under 24h stays met when the target becomes
    1h: `case show`, the stored clock and its outcome agree; the unanswered case's
    running clock moves, and its POLICY event and `case why` name that move."""
    answered = open_case(vdesk, 2, "answered")
    unanswered = open_case(vdesk, 2, "unanswered")
    clock.instant = MON + timedelta(hours=2)
    cases.reply(vdesk, answered, "on it")
    clock.instant = MON + timedelta(hours=4)
    settled = queries.show_case(vdesk, answered)["clocks"]["first_response"]
    running = queries.show_case(vdesk, unanswered)["clocks"]["first_response"]
    assert (settled["state"], running["state"]) == ("met", "running")
    edit(policy_file, sev2="1h", closed=None)
    edited = vdesk.policy_file(NAME)
    found = policy_impact.impact(vdesk, vdesk.policy(NAME), edited)

    policy_apply.apply(vdesk, edited)

    shown = queries.show_case(vdesk, answered)["clocks"]["first_response"]
    assert (shown["state"], shown["due"]) == ("met", settled["due"])
    assert stored_clock(vdesk, answered, "first_response")[0] == "met"
    moved = queries.show_case(vdesk, unanswered)["clocks"]["first_response"]
    assert moved["state"] == "breached" and moved["due"] < running["due"]
    # A later change replays the case: the settled clock keeps its result still.
    clock.instant = MON + timedelta(hours=5)
    cases.note(vdesk, answered, "replayed under version 2")
    assert queries.show_case(vdesk, answered)["clocks"]["first_response"]["state"] == "met"
    assert stored_clock(vdesk, answered, "first_response")[0] == "met"
    # The diff counted only what moved: the recount from `case show --json`.
    assert [move.number for move in found.moves] == [unanswered]
    assert (found.earlier, found.later, found.breach_at_once) == (1, 0, [unanswered])
    # The unanswered case's POLICY event names its clock's old and new due.
    [event] = [e for e in queries.show_case(vdesk, unanswered)["events"] if e["kind"] == "policy"]
    assert f"first_response due {running['due']} -> {moved['due']}" in event["text"]
    [kept] = [e for e in queries.show_case(vdesk, answered)["events"] if e["kind"] == "policy"]
    assert "first_response" not in kept["text"]
    # `case why` says which version each clock is judged under.
    _, _, clocks = queries.explain_case(vdesk, answered)
    assert (
        "settled under version 1, before version 2" in clocks[ClockKind.FIRST_RESPONSE].explanation
    )
    _, _, clocks = queries.explain_case(vdesk, unanswered)
    assert f"(before: due {running['due']})" in clocks[ClockKind.FIRST_RESPONSE].explanation
    # Stored clocks and outcomes are what a replay gives (doctor --clocks).
    from deskterm.desk.doctor import clock_check

    url = vdesk.engine.url.render_as_string(hide_password=False)
    assert clock_check(url, vdesk.policies.dirs).status == "ok"
    with vdesk.engine.connect() as connection:
        outcome = connection.execute(
            text(
                "SELECT o.state FROM sla_outcomes o JOIN cases c ON c.id = o.case_id "
                "WHERE c.number = :n"
            ),
            {"n": answered},
        ).scalar_one()
    assert outcome == "met"


def test_the_outcome_recount_replays_each_case_under_the_versions_it_ran_under(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    """A Sev 2 first response met under 24h and a Sev 1 update given within its 2h were
    stored as met; the edit (1h for both) applied after them leaves doctor's recount
    of the events equal to what was stored, and `db recount` rewrites nothing."""
    from deskterm.desk import clock_outcomes, outcomes
    from deskterm.desk.doctor import outcomes_recount_check

    critical = open_case(vdesk, 1, "critical")
    high = open_case(vdesk, 2, "high")
    clock.instant = MON + timedelta(minutes=10)
    cases.reply(vdesk, critical, "looking")
    clock.instant = MON + timedelta(minutes=100)
    cases.reply(vdesk, critical, "an update, 1h30m after the first")
    clock.instant = MON + timedelta(hours=2)
    cases.reply(vdesk, high, "on it")
    clock.instant = MON + timedelta(hours=3)
    body = PRESET.read_text(encoding="utf-8").replace('update_every = "2h"', 'update_every = "1h"')
    head, _, tail = body.partition("[severity.2]")
    tail = tail.replace('first_response = "24h"', 'first_response = "1h"', 1)
    policy_file.write_text(head + "[severity.2]" + tail, encoding="utf-8")
    stamp = policy_file.stat().st_mtime + 5
    os.utime(policy_file, (stamp, stamp))
    policy_apply.apply(vdesk, vdesk.policy_file(NAME))
    clock.instant = MON + timedelta(hours=4)
    cases.reply(vdesk, critical, "an update, under version 2 (1h): late")

    url = vdesk.engine.url.render_as_string(hide_password=False)
    check = outcomes_recount_check(url, vdesk.policies.dirs)
    assert check.status == "ok", check.message
    with vdesk.engine.connect() as connection:
        runs = connection.execute(
            text("SELECT state FROM sla_clock_outcomes WHERE clock = 'update' ORDER BY settled_at")
        ).scalars()
        assert list(runs) == ["met", "breached"]
        first = connection.execute(text("SELECT state FROM sla_outcomes ORDER BY case_id"))
        assert list(first.scalars()) == ["met", "met"]
    with vdesk.engine.begin() as connection:
        policy_of = outcomes.CasePolicies.of_desk(connection, vdesk.policies)
        assert outcomes.rebuild(connection, policy_of, vdesk.now()) == 0
        assert clock_outcomes.fill(connection, policy_of, vdesk.now()) == 0


def test_a_period_over_an_apply_counts_each_clock_under_the_version_it_settled_under(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    """A first response met under 24h before the target became 1h, in a period that
    ends after the apply: the stored and the replayed report both count it met."""
    answered = open_case(vdesk, 2, "answered")
    clock.instant = MON + timedelta(hours=2)
    cases.reply(vdesk, answered, "on it")
    clock.instant = MON + timedelta(hours=3)
    edit(policy_file, sev2="1h", closed=None)
    policy_apply.apply(vdesk, vdesk.policy_file(NAME))
    clock.instant = MON + timedelta(hours=4)
    start, end = MON - timedelta(hours=1), MON + timedelta(hours=4)
    stored = reports.report(vdesk, start, end).json()
    assert (stored["total"]["received"], stored["total"]["first_response_met"]) == (1, 1)
    assert reports.replayed_report(vdesk, start, end).json() == stored


def test_apply_replays_a_paused_clock_whose_spent_time_a_past_calendar_change_moves(
    vdesk: Desk, clock: FrozenClock, policy_file: Path
) -> None:
    """A resolution clock paused now with 2h of its 30h left: a closed day before the pause
    removed by the edit gives it 9h more of office time spent, so under the edit it ran out
    before the pause. The diff and apply replay it though no due of the case is stored
    (a paused clock has none), and the stored clocks are what a replay gives (doctor)."""
    body = PRESET.read_text(encoding="utf-8").replace(
        'holidays = "US"', 'holidays = "US"\nclosed = ["2026-11-27"]', 1
    )
    head, _, tail = body.partition("[severity.3]")
    tail = tail.replace('first_response = "24h"', 'first_response = "4h"\nresolution = "30h"', 1)
    rules = '[rules]\npause_statuses = ["software-change-required"]\n'
    policy_file.write_text(
        head + "[severity.3]" + tail.replace("[rules]\n", rules, 1), encoding="utf-8"
    )
    number = open_case(vdesk, 3)  # Mon 23 Nov, 11:00 in New York
    cases.reply(vdesk, number, "on it")  # first response met, due Mon 23 Nov 15:00
    # Spent: Mon 6h, Tue 9h, Wed 9h (Thu is Thanksgiving, Fri closed), Mon 30 Nov 4h.
    clock.instant = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    cases.move(vdesk, number, Status.SOFTWARE_CHANGE)
    clock.instant = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    before = queries.show_case(vdesk, number)["clocks"]["resolution"]
    assert (before["state"], before["due"]) == ("paused", None)
    policy_file.write_text(
        policy_file.read_text(encoding="utf-8").replace('\nclosed = ["2026-11-27"]', "", 1),
        encoding="utf-8",
    )
    stamp = policy_file.stat().st_mtime + 5
    os.utime(policy_file, (stamp, stamp))
    edited = vdesk.policy_file(NAME)
    found = policy_impact.impact(vdesk, vdesk.policy(NAME), edited)

    policy_apply.apply(vdesk, edited)

    after = queries.show_case(vdesk, number)["clocks"]["resolution"]
    # Mon 6h + Tue 9h + Wed 9h + Fri 6h: 30h ran out on Friday 27 Nov at 14:00.
    assert after["state"] == "breached"
    assert after["due"] == "2026-11-27T19:00:00+00:00"
    assert stored_clock(vdesk, number, "resolution")[0] != "paused"
    assert [move.number for move in found.moves] == [number]
    from deskterm.desk.doctor import clock_check

    url = vdesk.engine.url.render_as_string(hide_password=False)
    assert clock_check(url, vdesk.policies.dirs).status == "ok"
