"""The SLA engine: pure time arithmetic over business calendars.

No database, no wall clock, no terminal: every function takes the instants it
needs, so the engine is fast, property-testable and explainable.
"""

from deskterm.sla.calendar import BusinessCalendar, CalendarError
from deskterm.sla.clocks import (
    Clock,
    ClockKind,
    ClockState,
    WarningLevel,
    compute_clocks,
    next_due,
    shown_clocks,
)
from deskterm.sla.duration import (
    BusinessDays,
    DurationError,
    Elapsed,
    NextBusinessDay,
    NoTarget,
    Scheduled,
    Target,
    parse_duration,
)
from deskterm.sla.history import (
    CaseHistory,
    CustomerReplied,
    RespondedToCustomer,
    ScheduledFor,
    SeverityChanged,
    Status,
    StatusChanged,
)
from deskterm.sla.policy import Policy, PolicyError, SeverityLevel
from deskterm.sla.policy_toml import load_policy, parse_policy

__all__ = [
    "BusinessCalendar",
    "BusinessDays",
    "CalendarError",
    "CaseHistory",
    "Clock",
    "ClockKind",
    "ClockState",
    "CustomerReplied",
    "DurationError",
    "Elapsed",
    "NextBusinessDay",
    "NoTarget",
    "Policy",
    "PolicyError",
    "RespondedToCustomer",
    "Scheduled",
    "ScheduledFor",
    "SeverityChanged",
    "SeverityLevel",
    "Status",
    "StatusChanged",
    "Target",
    "WarningLevel",
    "compute_clocks",
    "load_policy",
    "next_due",
    "parse_duration",
    "parse_policy",
    "shown_clocks",
]
