"""Policies: a support contract as data (calendars plus a target per severity).

The model only; `deskterm.sla.policy_toml` reads it from a TOML file, checking every
key (issue 17: the model apart from its reader). A policy knows the text it was
read from and, once a desk has stored it, its version (deskterm.desk.policy_versions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from deskterm.errors import UserError
from deskterm.sla.calendar import BusinessCalendar
from deskterm.sla.duration import NoTarget, Target


class PolicyError(UserError, ValueError):
    """A policy file with problems; `problems` holds one line each, file named."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SeverityLevel:
    level: int
    name: str
    meaning: str
    calendar: BusinessCalendar
    first_response: Target
    customer_response: Target
    update_every: Target
    phone_intake: bool
    # Optional clocks (issue 22): received to resolved, and each customer message to
    # the next response; m/h targets, `none` when the policy has no such promise.
    resolution: Target = NoTarget()
    next_response: Target = NoTarget()


@dataclass(frozen=True)
class AutoClose:
    calendar: BusinessCalendar
    resolved_after: Target
    waiting_after: Target
    notice_before: Target


@dataclass(frozen=True)
class Rules:
    severity_change: str  # "recompute" | "restart"
    customer_timeout: str  # "lower-severity" | "none"
    # Statuses in which the update and resolution clocks stand still.
    pause_statuses: frozenset[str] = frozenset({"waiting-on-customer"})


@dataclass(frozen=True)
class Policy:
    name: str
    title: str
    timezone: ZoneInfo
    level_label: str
    calendars: Mapping[str, BusinessCalendar]
    severities: Mapping[int, SeverityLevel]
    auto_close: AutoClose | None
    rules: Rules
    source: str
    # The severity of a case opened from an email: `email_severity` in the file, else
    # the least urgent level that is neither scheduled work nor a phone-intake level.
    email_severity: int | None = None
    # What `policy check` says without refusing the file (holidays the package stops at).
    warnings: tuple[str, ...] = ()
    # The TOML it was read from, and the stored version it is (None: a file not yet
    # stored; deskterm.desk.policy_versions).
    text: str = ""
    version: int | None = None
    # The files it read (`holidays_file`), by the name it gives them: stored with it.
    files: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """Of the text and the files it read: an edited .ics differs as an edited policy."""
        digest = hashlib.sha256(self.text.encode("utf-8"))
        for name, data in sorted(self.files.items()):
            digest.update(b"\0" + name.encode("utf-8") + b"\0" + data)
        return digest.hexdigest()

    def level(self, severity: int) -> SeverityLevel:
        try:
            return self.severities[severity]
        except KeyError:
            raise KeyError(
                f"policy {self.name!r} has no severity {severity} "
                f"(levels: {', '.join(str(n) for n in self.severities)})"
            ) from None

    def label(self, severity: int) -> str:
        """`Sev 1`, or `P3` for a P1-P6 matrix (one-letter labels are written joined)."""
        separator = "" if len(self.level_label) == 1 else " "
        return f"{self.level_label}{separator}{severity}"

    def level_range(self) -> str:
        """`Sev 1-3`, or `P1-P6`."""
        low, high = min(self.severities), max(self.severities)
        if len(self.level_label) == 1:
            return f"{self.label(low)}-{self.label(high)}"
        return f"{self.label(low)}-{high}"

    def lower_severity(self, severity: int) -> int | None:
        """The next less urgent level (a larger number), None at the bottom."""
        lower = [level for level in self.severities if level > severity]
        return min(lower) if lower else None
