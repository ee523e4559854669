"""The support workflow: which status moves are allowed, in one table."""

from __future__ import annotations

from deskterm.desk.errors import DeskError, InvalidMove
from deskterm.desk.limits import quoted
from deskterm.sla.history import Status

S = Status
# Re-opening is allowed from resolved and from closed (seed 001: "Once an
# incident has been closed, it can be re-opened whenever necessary").
MOVES: dict[Status, tuple[Status, ...]] = {
    S.NEW: (S.OPEN, S.WAITING, S.SOFTWARE_CHANGE, S.RESOLVED, S.CLOSED),
    S.OPEN: (S.WAITING, S.SOFTWARE_CHANGE, S.RESOLVED, S.CLOSED),
    S.WAITING: (S.OPEN, S.SOFTWARE_CHANGE, S.RESOLVED, S.CLOSED),
    S.SOFTWARE_CHANGE: (S.OPEN, S.WAITING, S.RESOLVED, S.CLOSED),
    S.RESOLVED: (S.OPEN, S.CLOSED),
    S.CLOSED: (S.OPEN,),
}

# Statuses in which a case is still someone's work.
ACTIVE = frozenset({S.NEW, S.OPEN, S.WAITING, S.SOFTWARE_CHANGE})


def _spelling(text: str) -> str:
    """One spelling of a status name: case, spaces, hyphens and underscores aside."""
    return "-".join(text.strip().lower().replace("_", " ").replace("-", " ").split())


# Every name a status is shown by (its token, its label, the queue's short form) and
# the spellings people type for it: one vocabulary, the README's status table.
STATUS_NAMES: dict[str, Status] = {}
for _status in Status:
    for _name in (_status.token, _status.label, _status.short):
        STATUS_NAMES[_spelling(_name)] = _status
STATUS_NAMES.update(
    {
        "waiting-customer": S.WAITING,
        "info-requested": S.WAITING,
        "software-change": S.SOFTWARE_CHANGE,
        "sw-change-required": S.SOFTWARE_CHANGE,
        "resolved-pending": S.RESOLVED,
        "pending-confirmation": S.RESOLVED,
    }
)


def parse_status(text: str) -> Status:
    """A status from its token, its label or an alias (`waiting`, `Customer Information
    Requested`, `sw change`): the names listed in the README's status table."""
    found = STATUS_NAMES.get(_spelling(text))
    if found is None:
        names = ", ".join(s.token for s in Status)
        raise DeskError(
            f"unknown status {quoted(text)} (statuses: {names}; "
            "short forms and the support documents' names are accepted too)"
        )
    return found


def allowed_moves(current: Status) -> tuple[Status, ...]:
    return MOVES[current]


def check_move(current: Status, target: Status) -> None:
    allowed = MOVES[current]
    if target not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise InvalidMove(
            f"cannot move a {current.value} case to {target.value} (allowed: {names})"
        )
