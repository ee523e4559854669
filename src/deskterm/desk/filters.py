"""The queue's filter language: free text plus tokens, all combined with AND.

    crash sev:1 status:waiting org:acme @me @unassigned @bob breached due<2h

Free words are a search of everything on the case, in the search language of
deskterm.desk.search_query ("phrases", -excluded, prefix*, subject:/from:/contact:).
Parsing is pure; `desk.queue` turns a QueueFilter into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta

from deskterm.desk import search_query
from deskterm.desk.errors import DeskError
from deskterm.desk.search_query import Term
from deskterm.sla import Status
from deskterm.units import SPAN_MINUTES

_DUE = re.compile(r"^due<([0-9]+)([mhd])$")
LONGEST_DUE = timedelta(days=366)  # further ahead is every case with a deadline
TOKENS_HELP = "sev:N status:NAME org:NAME @me @unassigned @USER breached due<2h"


@dataclass(frozen=True)
class QueueFilter:
    words: tuple[str, ...] = ()  # the search's pieces as typed
    terms: tuple[Term, ...] = ()  # the search they make
    severities: frozenset[int] = frozenset()
    statuses: frozenset[Status] = frozenset()
    organization: str | None = None
    assignee: str | None = None  # a user name
    unassigned: bool = False
    breached: bool = False
    due_within: timedelta | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self == QueueFilter()


def match_status(name: str) -> Status:
    """`waiting` finds waiting-on-customer; a prefix of one status name is enough."""
    lowered = name.lower()
    found = [
        s for s in Status if s.value.startswith(lowered) or s.label.lower().startswith(lowered)
    ]
    if len(found) != 1:
        names = ", ".join(s.value for s in Status)
        raise DeskError(
            f"status:{_shown(name)} matches {'no' if not found else 'several'} statuses ({names})"
        )
    return found[0]


def _severity(token: str, value: str, levels: Collection[int] | None) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 6:
        raise DeskError(f"{_shown(token)}: a severity is a number (sev:1)")
    level = int(value)
    if levels is not None and level not in levels:
        known = ", ".join(str(n) for n in sorted(levels)) or "none"
        raise DeskError(f"{_shown(token)}: no policy has severity {level} (levels: {known})")
    return level


def _due_within(token: str, amount: str, unit: str) -> timedelta:
    minutes = int(amount) * SPAN_MINUTES[unit] if len(amount) <= 9 else None
    if minutes is None or minutes > LONGEST_DUE.total_seconds() // 60:
        raise DeskError(f"{_shown(token)}: at most a year ahead (due<{LONGEST_DUE.days}d)")
    if minutes == 0:
        raise DeskError(f"{_shown(token)}: write due<30m, due<2h or due<1d")
    return timedelta(minutes=minutes)


def _shown(token: str) -> str:
    return token if len(token) <= 40 else token[:39] + "…"


def parse_filter(text: str, me: str, levels: Collection[int] | None = None) -> QueueFilter:
    """Parse what the user typed; tokens that make no sense are reported, not guessed.

    `levels`: the severities the desk's policies define (a `sev:` outside them is
    reported); None takes any level.
    """
    words: list[str] = []
    severities: set[int] = set()
    statuses: set[Status] = set()
    organization: str | None = None
    assignee: str | None = None
    unassigned = breached = False
    due_within: timedelta | None = None
    problems: list[str] = []
    terms: list[Term] = []
    for piece in search_query.tokens(text):
        token = piece.raw
        lowered = token.lower()
        if not piece.plain:
            found = search_query.term(piece)
            if found is not None:
                words.append(token)
                terms.append(found)
            continue
        key, _, value = lowered.partition(":")
        due = _DUE.match(lowered)
        try:
            if key in ("sev", "p") and value:
                severities.add(_severity(token, value, levels))
            elif key == "status" and value:
                statuses.add(match_status(value))
            elif key == "org" and value:
                organization = token.partition(":")[2]
            elif lowered == "@me":
                assignee = me
            elif lowered == "@unassigned":
                unassigned = True
            elif lowered.startswith("@") and len(token) > 1:
                assignee = token[1:]
            elif lowered == "breached":
                breached = True
            elif due:
                due_within = _due_within(token, due.group(1), due.group(2))
            elif lowered.startswith("due<"):
                raise DeskError(f"{_shown(token)}: write due<30m, due<2h or due<1d")
            else:
                found = search_query.term(piece)
                if found is not None:
                    words.append(token)
                    terms.append(found)
        except DeskError as error:
            problems.append(str(error))
    trouble = search_query.problem(tuple(terms))
    if trouble:
        problems.append(trouble)
        terms = []
    return QueueFilter(
        words=tuple(words),
        terms=tuple(terms),
        severities=frozenset(severities),
        statuses=frozenset(statuses),
        problems=tuple(problems),
        organization=organization,
        assignee=assignee,
        unassigned=unassigned,
        breached=breached,
        due_within=due_within,
    )
