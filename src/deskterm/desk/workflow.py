"""The support workflow: which status moves are allowed, in one table."""

from __future__ import annotations

from deskterm.desk.errors import DeskError, InvalidMove
from deskterm.desk.limits import quoted
from deskterm.sla.history import Status

S = Status
# Re-opening is allowed from resolved and from closed (docs/domain.md, "Statuses"; the vendor terms say: "Once an
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


def parse_status(text: str) -> Status:
    try:
        return Status(text.strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in Status)
        raise DeskError(f"unknown status {quoted(text)} (statuses: {names})") from None


def allowed_moves(current: Status) -> tuple[Status, ...]:
    return MOVES[current]


def check_move(current: Status, target: Status) -> None:
    allowed = MOVES[current]
    if target not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise InvalidMove(
            f"cannot move a {current.value} case to {target.value} (allowed: {names})"
        )
