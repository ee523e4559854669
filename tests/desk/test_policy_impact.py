"""`policy diff`: an edited policy's changes and their impact on open cases (issue 22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskterm.desk import cases, policy_impact, queries
from deskterm.desk.context import Desk
from deskterm.sla import Status, load_policy
from tests.frozen import FrozenClock

PRESET = Path(__file__).resolve().parents[2] / "data" / "policies" / "business-hours-3.toml"
MON = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 11:00 in New York


def edited(tmp_path: Path) -> Path:
    """business-hours-3 with Tue 24 Nov closed and Sev 2's 24h first response halved."""
    text = PRESET.read_text(encoding="utf-8").replace(
        'holidays = "US"', 'holidays = "US"\nclosed = ["2026-11-24"]', 1
    )
    head, _, tail = text.partition("[severity.2]")
    tail = tail.replace('first_response = "24h"', 'first_response = "12h"', 1)
    path = tmp_path / "business-hours-3.toml"
    path.write_text(head + "[severity.2]" + tail, encoding="utf-8")
    return path


def test_the_impact_matches_a_recount_under_each_policy(
    desk: Desk, clock: FrozenClock, tmp_path: Path
) -> None:
    clock.instant = MON
    numbers = {
        severity: cases.open_case(
            desk, organization="Acme", contact="Bob Admin", severity=severity, subject="x"
        ).number
        for severity in (1, 2, 3)
    }
    closed = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="y"
    )
    cases.move(desk, closed.number, Status.CLOSED.value)
    clock.instant = MON + timedelta(minutes=5)
    current = desk.policy("business-hours-3")
    new = load_policy(edited(tmp_path))
    found = policy_impact.impact(desk, current, new)

    assert found.changes == [
        "Sev 2 first_response: 24h -> 12h",
        "calendar office: Mon-Fri 08:00-17:00 (closed on US holidays), America/New_York -> "
        "Mon-Fri 08:00-17:00 (closed on US holidays, 1 closed date(s)), America/New_York",
        "calendar office closed: +2026-11-24",
    ]
    assert found.open_cases == 3  # the closed case is not counted
    by_number = {move.number: move for move in found.moves}
    # Recount: what `case show --json` says now, and under the edited file.
    for number in numbers.values():
        shown = queries.show_case(desk, number)["next_due"]
        move = by_number.get(number)
        if move is None:
            continue
        assert (move.old_due.isoformat() if move.old_due else None) == shown
    # Sev 1 (30m) is untouched; Sev 2: 24h from Mon 11:00 ran to Thu 08:00 (Wed close,
    # Thanksgiving); 12h with Tuesday closed runs Mon 6h + Wed 6h to Wed 14:00.
    assert numbers[1] not in by_number
    sev2 = by_number[numbers[2]]
    assert sev2.old_due == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    assert sev2.new_due == datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    # Sev 3 (24h) is later by the closed Tuesday: Fri 08:00 -> Mon 30 Nov 08:00 + ...
    sev3 = by_number[numbers[3]]
    assert sev3.new_due is not None and sev3.old_due is not None
    assert sev3.new_due > sev3.old_due
    assert (found.earlier, found.later, found.unchanged) == (1, 1, 1)
    assert found.breach_at_once == []
    body = found.json()
    assert body["min_seconds"] == (sev2.new_due - sev2.old_due).total_seconds()
    assert body["max_seconds"] == (sev3.new_due - sev3.old_due).total_seconds()
    assert [move["number"] for move in body["moves"]] == [move.number for move in found.largest()]


def test_a_shorter_target_can_breach_cases_at_once(
    desk: Desk, clock: FrozenClock, tmp_path: Path
) -> None:
    clock.instant = MON
    number = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="x"
    ).number
    clock.instant = MON + timedelta(days=1, hours=3)  # Tue 14:00 New York: 12h have run
    found = policy_impact.impact(
        desk, desk.policy("business-hours-3"), load_policy(edited(tmp_path))
    )
    # Under the edit Tuesday is closed, so 12h run Mon 6h + Wed 6h: not yet breached.
    assert found.breach_at_once == []
    clock.instant = MON + timedelta(days=2, hours=4)  # Wed 15:00 New York
    found = policy_impact.impact(
        desk, desk.policy("business-hours-3"), load_policy(edited(tmp_path))
    )
    assert found.breach_at_once == [number]
