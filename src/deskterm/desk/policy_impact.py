"""What an edited policy would change, before anyone applies it.

`deskterm policy diff NAME FILE` compares the policy in use with the file: what
changed (targets, hours, holidays, rules) and, for every open case under the
policy, how its queue deadline (the soonest live due) would move. Read only: one
read transaction, each case's clocks replayed from its events under both policies.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from deskterm.desk import deadlines
from deskterm.desk.context import Desk
from deskterm.instants import to_iso
from deskterm.models import Case, Event
from deskterm.sla import Policy, Status, compute_clocks, next_due
from deskterm.sla.calendar import BusinessCalendar
from deskterm.store.engine import reading

LISTED = 20  # the cases printed, by the size of their move


@dataclass(frozen=True)
class Move:
    number: int
    old_due: datetime | None
    new_due: datetime | None

    @property
    def seconds(self) -> float | None:
        if self.old_due is None or self.new_due is None:
            return None
        return (self.new_due - self.old_due).total_seconds()


@dataclass
class Impact:
    policy: str
    changes: list[str]
    open_cases: int = 0
    earlier: int = 0
    later: int = 0
    unchanged: int = 0
    gained: int = 0  # a deadline where there was none
    lost: int = 0  # no deadline any more
    breach_at_once: list[int] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)  # every case whose deadline moves
    seconds_taken: float = 0.0

    def shifts(self) -> list[float]:
        return [move.seconds for move in self.moves if move.seconds is not None]

    def largest(self, count: int = LISTED) -> list[Move]:
        return sorted(
            self.moves, key=lambda move: (-abs(move.seconds or float("inf")), move.number)
        )[:count]

    def summary(self) -> dict[str, Any]:
        shifts = self.shifts()
        return {
            "min_seconds": min(shifts) if shifts else None,
            "median_seconds": statistics.median(shifts) if shifts else None,
            "max_seconds": max(shifts) if shifts else None,
        }

    def json(self, all_moves: bool = True) -> dict[str, Any]:
        moves = self.largest(len(self.moves) if all_moves else LISTED)
        body = {
            "policy": self.policy,
            "changes": self.changes,
            "open_cases": self.open_cases,
            "earlier": self.earlier,
            "later": self.later,
            "unchanged": self.unchanged,
            "gained": self.gained,
            "lost": self.lost,
            **self.summary(),
            "breach_at_once": sorted(self.breach_at_once),
            "moves": [
                {
                    "number": move.number,
                    "old_due": to_iso(move.old_due),
                    "new_due": to_iso(move.new_due),
                    "seconds": move.seconds,
                }
                for move in moves
            ],
        }
        # Names this impact: the same edit on the same desk at the same moment.
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        return {**body, "impact_hash": digest, "seconds_taken": round(self.seconds_taken, 2)}


def impact(desk: Desk, current: Policy, edited: Policy) -> Impact:
    started = time.perf_counter()
    now = desk.now()
    result = Impact(current.name, describe_changes(current, edited))
    with reading(desk.engine) as session:
        cases = list(
            session.exec(
                select(Case)
                .where(Case.policy == current.name, Case.status != Status.CLOSED.value)
                .order_by(col(Case.id))
            )
        )
        ids = [case.id for case in cases]
        events: dict[int, list[Event]] = defaultdict(list)
        for chunk in range(0, len(ids), 5000):
            part = ids[chunk : chunk + 5000]
            for event in session.exec(
                select(Event).where(col(Event.case_id).in_(part)).order_by(col(Event.id))
            ):
                events[event.case_id].append(event)
    for case in cases:
        history = deadlines.history_of(case, events[case.id])
        result.open_cases += 1
        old = next_due(compute_clocks(current, history, now))
        new = next_due(compute_clocks(edited, history, now))
        if old == new:
            result.unchanged += 1
            continue
        result.moves.append(Move(case.number, old, new))
        if old is None:
            result.gained += 1
        elif new is None:
            result.lost += 1
        elif new < old:
            result.earlier += 1
        else:
            result.later += 1
        if new is not None and new < now and (old is None or old >= now):
            result.breach_at_once.append(case.number)
    result.seconds_taken = time.perf_counter() - started
    return result


def describe_changes(current: Policy, edited: Policy) -> list[str]:
    """`Sev 2 first_response: 24h -> 12h`, `calendar office: closed +2026-12-24`, ..."""
    lines: list[str] = []
    for level in sorted(set(current.severities) | set(edited.severities)):
        before, after = current.severities.get(level), edited.severities.get(level)
        label = edited.label(level)
        if before is None or after is None:
            lines.append(f"{label}: {'added' if before is None else 'removed'}")
            continue
        for name in (
            "first_response",
            "customer_response",
            "update_every",
            "resolution",
            "next_response",
        ):
            old, new = str(getattr(before, name)), str(getattr(after, name))
            if old != new:
                lines.append(f"{label} {name}: {old} -> {new}")
        if before.calendar.name != after.calendar.name:
            lines.append(f"{label} calendar: {before.calendar.name} -> {after.calendar.name}")
    for name in sorted(set(current.calendars) | set(edited.calendars)):
        before_calendar, after_calendar = current.calendars.get(name), edited.calendars.get(name)
        if before_calendar is None or after_calendar is None:
            lines.append(f"calendar {name}: {'added' if before_calendar is None else 'removed'}")
            continue
        lines += _calendar_changes(name, before_calendar, after_calendar)
    if current.rules != edited.rules:
        lines.append(f"rules: {current.rules} -> {edited.rules}")
    return lines


def _calendar_changes(name: str, before: BusinessCalendar, after: BusinessCalendar) -> list[str]:
    lines = []
    if before.describe_hours() != after.describe_hours():
        lines.append(f"calendar {name}: {before.describe_hours()} -> {after.describe_hours()}")
    for label, old, new in (
        ("closed", before.closed, after.closed),
        ("holidays_except", before.holidays_except, after.holidays_except),
        ("closed_yearly", before.closed_yearly, after.closed_yearly),
        ("special_hours", set(before.special_hours.items()), set(after.special_hours.items())),
        ("closed_hours", set(before.closed_hours.items()), set(after.closed_hours.items())),
        ("holidays_file", set(before.named_closures), set(after.named_closures)),
    ):
        added = sorted(str(_first(item)) for item in set(new) - set(old))
        removed = sorted(str(_first(item)) for item in set(old) - set(new))
        if added or removed:
            words = [f"+{item}" for item in added] + [f"-{item}" for item in removed]
            lines.append(f"calendar {name} {label}: {' '.join(words)}")
    if before.holidays_spec != after.holidays_spec:
        lines.append(f"calendar {name} holidays: {before.holidays_spec} -> {after.holidays_spec}")
    return lines


def _first(item: Any) -> Any:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], tuple):
        return item[0]  # (date, ranges): the date names it
    if isinstance(item, tuple):
        return "-".join(f"{part:02d}" for part in item)  # (month, day)
    return item


def format_shift(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else "+"
    minutes = int(abs(seconds) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    text = (f"{days}d " if days else "") + f"{hours}h {minutes:02d}m"
    return sign + text
