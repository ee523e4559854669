"""The queue's filter language: free text plus tokens, all combined with AND.

    crash sev:1 status:waiting org:acme @me @unassigned @bob breached due<2h

Free words match the case number, the organization and the subject. Parsing is
pure; `desk.queue` turns a QueueFilter into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from deskterm.desk.errors import DeskError
from deskterm.sla import Status

_DUE = re.compile(r"^due<(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
TOKENS_HELP = "sev:N status:NAME org:NAME @me @unassigned @USER breached due<2h"


@dataclass(frozen=True)
class QueueFilter:
    words: tuple[str, ...] = ()
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
            f"status:{name} matches {'no' if not found else 'several'} statuses ({names})"
        )
    return found[0]


def parse_filter(text: str, me: str) -> QueueFilter:
    """Parse what the user typed; tokens that make no sense are reported, not guessed."""
    words: list[str] = []
    severities: set[int] = set()
    statuses: set[Status] = set()
    values: dict[str, object] = {}
    problems: list[str] = []
    for token in text.split():
        lowered = token.lower()
        key, _, value = lowered.partition(":")
        due = _DUE.match(lowered)
        try:
            if key in ("sev", "p") and value:
                if not value.isdigit():
                    raise DeskError(f"{token}: a severity is a number (sev:1)")
                severities.add(int(value))
            elif key == "status" and value:
                statuses.add(match_status(value))
            elif key == "org" and value:
                values["organization"] = token.partition(":")[2]
            elif lowered == "@me":
                values["assignee"] = me
            elif lowered == "@unassigned":
                values["unassigned"] = True
            elif lowered.startswith("@") and len(token) > 1:
                values["assignee"] = token[1:]
            elif lowered == "breached":
                values["breached"] = True
            elif due:
                values["due_within"] = timedelta(**{_UNITS[due.group(2)]: int(due.group(1))})
            elif lowered.startswith("due<"):
                raise DeskError(f"{token}: write due<30m, due<2h or due<1d")
            else:
                words.append(token)
        except DeskError as error:
            problems.append(str(error))
    return QueueFilter(
        words=tuple(words),
        severities=frozenset(severities),
        statuses=frozenset(statuses),
        problems=tuple(problems),
        **values,  # type: ignore[arg-type]
    )
