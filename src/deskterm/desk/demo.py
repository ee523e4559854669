"""`deskterm demo`: fill the database with a believable on-call desk, deterministically.

Organizations on every shipped policy (one whose maintenance contract ran out),
their contacts, and cases spread over severities, statuses, assignees and ages, each
with a history (replies, calls, notes, status moves, severity changes,
escalations, customer replies) that the workflow allows. The same seed and the
same "now" give the same rows.

Bulk: cases and events are built as plain rows and inserted with executemany in
one write transaction; the use cases' per-case transactions would take minutes
for 100,000 cases. The stored clocks are still the SLA engine's own answer:
every case's history is replayed by `deadlines` (history_of, clocks_of, plan,
store_clocks) at the demo's "now". Replays are shared between cases whose SLA
histories are identical (see `_Skeleton`), which is what keeps 100,000 cases in
seconds.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from deskterm.desk import deadlines, outcomes, policy_versions
from deskterm.desk.cases import ESCALATION_LEVELS
from deskterm.desk.context import SYSTEM_ACTOR, Desk
from deskterm.desk.errors import DeskError
from deskterm.desk.workflow import MOVES
from deskterm.instants import to_iso
from deskterm.memory import collector_paused
from deskterm.models import (
    FIRST_CASE_NUMBER,
    Case,
    Contact,
    Counter,
    Event,
    EventKind,
    Organization,
    SlaOutcome,
)
from deskterm.models.types import UTCDateTime
from deskterm.sla import CaseHistory, ClockKind, Elapsed, Policy, Scheduled, Status, compute_clocks
from deskterm.sla.clocks import first_response_clock
from deskterm.store import chain, statistics
from deskterm.store.engine import writing

DEFAULT_CASES = 60
DEFAULT_SEED = 7
# At most this many distinct SLA histories per policy; beyond it, cases share one
# (with their own organization, contact, subject, texts, assignee and notes).
# 100,000 cases then cost ~5,000 replays instead of 100,000.
SKELETONS_PER_POLICY = 1000
# Rows per executemany: bounds memory, not the transaction (there is one).
CHUNK = 5000
# One new case in this many is unanswered and due within the hour, one is overdue.
UNANSWERED_EVERY = 20
DUE_SOON = (5 * 60, 55 * 60)  # first response due this many seconds from now
OVERDUE = (-2 * 86400, -10 * 60)

ENGINEERS = ("asha", "bruno", "chen", "dana", "emeka", "freya", "gus", "hiroko")
SHIPPED_POLICIES = (
    "business-hours-3",
    "initial-response-3",
    "p1-p6",
    "premium-tier",
    "standard-tier",
)

MINUTE = 60
HOUR = 3600
DAY = 86400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DemoOrg:
    name: str
    policy: str
    tier: str | None
    domain: str
    area_code: str
    weight: int  # relative share of the cases
    contract_days: int | None  # contract end, in days from now (negative: expired)


ORGANIZATIONS = (
    DemoOrg(
        "Bluewater Logistics", "business-hours-3", "gold", "bluewater-logistics.test", "617", 5, 300
    ),
    DemoOrg("Kestrel Health", "business-hours-3", "gold", "kestrelhealth.test", "212", 4, 180),
    DemoOrg(
        "Ironbridge Manufacturing",
        "initial-response-3",
        "enterprise",
        "ironbridge.test",
        "412",
        5,
        420,
    ),
    DemoOrg(
        "Skylark Airlines", "initial-response-3", "enterprise", "skylark-air.test", "404", 3, None
    ),
    DemoOrg("Quillsoft", "p1-p6", "platform", "quillsoft.test", "415", 6, 365),
    DemoOrg("Redwood Hosting", "p1-p6", "platform", "redwoodhosting.test", "503", 4, 90),
    DemoOrg(
        "Granite Savings Bank", "premium-tier", "premium", "granitesavings.test", "720", 5, 500
    ),
    DemoOrg("Alpenglow Resorts", "premium-tier", "premium", "alpenglow.test", "970", 2, 240),
    DemoOrg("Prairie Labs", "standard-tier", "standard", "prairielabs.test", "303", 4, 200),
    DemoOrg(
        "Lakeside County Council",
        "standard-tier",
        "standard",
        "lakeside-county.test",
        "719",
        3,
        None,
    ),
    # The one whose maintenance contract ran out: support must check entitlement.
    DemoOrg("Old Mill Importers", "standard-tier", "standard", "oldmill.test", "801", 2, -21),
)

FIRST_NAMES = (
    "Aisha",
    "Ben",
    "Carla",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hannah",
    "Ivan",
    "Jonas",
    "Keiko",
    "Liam",
    "Maya",
    "Nikhil",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Samir",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Yusuf",
    "Zoe",
)
LAST_NAMES = (
    "Adams",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Varga",
    "Walsh",
    "Young",
    "Zhang",
)


@dataclass(frozen=True)
class Product:
    name: str
    versions: tuple[str, ...]
    # Subjects by impact: "critical", "major", "minor", "task" (scheduled work).
    subjects: dict[str, tuple[str, ...]]
    errors: tuple[str, ...]
    roles: tuple[str, ...]


PRODUCTS = (
    Product(
        "Identity Gateway",
        ("7.1.4", "7.2", "7.2.1"),
        {
            "critical": (
                "Login fails for all users after upgrade to {version}",
                "SSO down: every application redirects to an error page",
            ),
            "major": (
                "Login fails after upgrade to {version}",
                "SAML assertions rejected for one tenant",
                "MFA push notifications delayed by several minutes",
            ),
            "minor": (
                "Password reset page shows the old logo",
                "Audit log export misses the time zone",
            ),
            "task": ("Schedule upgrade of the gateway cluster to {version}",),
        },
        (
            "AUTH-4012 token signature invalid",
            "SAML2 InResponseTo mismatch",
            "HTTP 500 on /idp/sso",
        ),
        ("identity provider", "reverse proxy"),
    ),
    Product(
        "MailRelay",
        ("5.4.2", "5.5", "5.5.1"),
        {
            "critical": (
                "Mail queue stuck, no outbound email since {hour}:00",
                "All inbound mail bounced with 451 after certificate renewal",
            ),
            "major": (
                "Outbound mail to one partner domain deferred",
                "Spam filter quarantines invoices",
            ),
            "minor": ("Quarantine digest arrives twice", "Typo in the bounce message template"),
            "task": ("Rotate the DKIM keys on the relays",),
        },
        (
            "451 4.7.1 temporarily deferred",
            "TLS handshake failed: certificate expired",
            "queue file corrupt",
        ),
        ("mail transfer agent", "edge relay"),
    ),
    Product(
        "VaultBackup",
        ("12.0", "12.1", "12.1.3"),
        {
            "critical": (
                "Nightly backups failing on every server since {version}",
                "Restore of production database fails halfway",
            ),
            "major": (
                "Backup job hangs at 99% on the file server",
                "Deduplication store reports corruption",
            ),
            "minor": (
                "Backup report e-mail has wrong job durations",
                "How do I change the retention to 45 days?",
            ),
            "task": ("Plan the move of the backup catalog to new storage",),
        },
        (
            "E_VSS_SNAPSHOT 0x80042306",
            "catalog lock timeout after 600s",
            "checksum mismatch in chunk store",
        ),
        ("backup server", "media agent", "file server"),
    ),
    Product(
        "EdgeVPN",
        ("3.8", "4.0", "4.0.2"),
        {
            "critical": (
                "VPN tunnels dropping every few minutes at headquarters",
                "Remote staff cannot connect: gateway refuses all clients",
            ),
            "major": (
                "Split tunnelling sends all traffic through the tunnel after {version}",
                "Site-to-site tunnel to the warehouse flaps at night",
            ),
            "minor": (
                "Client shows the wrong gateway name",
                "Request: longer idle timeout for admins",
            ),
            "task": ("Replace the gateway certificate before it expires",),
        },
        ("IKE_SA_INIT timed out", "DPD: peer not responding", "client certificate revoked"),
        ("VPN gateway", "RADIUS server"),
    ),
    Product(
        "DirSync",
        ("2.3", "2.4"),
        {
            "critical": ("Directory sync deleted user accounts in the cloud tenant",),
            "major": (
                "Password changes take hours to sync",
                "Sync stops with a duplicate attribute error",
            ),
            "minor": (
                "Sync dashboard counts disabled users",
                "Documentation for {version} links to a 404",
            ),
            "task": ("Add the new subsidiary's domain to the sync scope",),
        },
        ("AttributeValueMustBeUnique", "stopped-server-down", "LDAP: 49 invalid credentials"),
        ("domain controller", "sync server"),
    ),
    Product(
        "PrintHub",
        ("9.2", "9.3"),
        {
            "critical": ("No one can print at the main office after Windows update",),
            "major": (
                "Print jobs stuck in the queue on the Linux print server",
                "Badge release does not work on the third floor printers",
            ),
            "minor": (
                "Cost report rounds pages wrongly",
                "Printer names truncated in the web portal",
            ),
            "task": ("Install the driver pack for the new copiers",),
        },
        ("spooler service terminated unexpectedly", "0x00000bcb driver error", "IPP 0x0507"),
        ("print server",),
    ),
    Product(
        "Sentinel Monitoring",
        ("6.0", "6.1", "6.1.2"),
        {
            "critical": ("Monitoring down: no alerts since the database migration",),
            "major": (
                "Alerts arrive twenty minutes late",
                "Agent on the database hosts uses 90% CPU after {version}",
            ),
            "minor": (
                "Dashboard graph legend overlaps the axis",
                "Request: dark mode for the admin console",
            ),
            "task": ("Upgrade the collectors to {version} over the weekend",),
        },
        (
            "collector backlog 48213 events",
            "agent heartbeat missed",
            "TSDB write rejected: out of order",
        ),
        ("monitoring server", "collector", "database host"),
    ),
    Product(
        "CoreDB Cluster",
        ("14.2", "14.3", "15.0"),
        {
            "critical": (
                "Cluster lost quorum, all nodes read-only",
                "Primary database node crashed and will not restart",
            ),
            "major": (
                "Replication lag over 30 minutes on the reporting replica",
                "Queries slow since upgrade to {version}",
            ),
            "minor": (
                "Backup script logs a deprecation warning",
                "How do I enable slow query logging?",
            ),
            "task": ("Schedule the failover test for next quarter",),
        },
        ("FATAL: could not write to WAL", "replication slot inactive", "deadlock detected"),
        ("database node", "replica", "witness"),
    ),
    Product(
        "ServiceDesk Portal",
        ("2024.3", "2024.4"),
        {
            "critical": ("Portal returns HTTP 503 for every user",),
            "major": (
                "Attachments over 10 MB fail to upload",
                "Intermittent 502 errors from the portal",
            ),
            "minor": ("Wrong date format in ticket e-mails", "Search ignores accented characters"),
            "task": ("Apply the 2024.4 update in the next maintenance window",),
        },
        ("HTTP 503 upstream unavailable", "413 request entity too large", "session store timeout"),
        ("web server", "application server"),
    ),
    Product(
        "FileShare NAS",
        ("8.6", "8.7"),
        {
            "critical": ("File shares unreachable after controller failover",),
            "major": ("Snapshots stop at 02:00 every night", "SMB share very slow for Mac clients"),
            "minor": ("Quota report lists deleted users", "License count shows the wrong number"),
            "task": ("Expand the archive volume by 20 TB",),
        },
        ("STATUS_IO_TIMEOUT", "snapshot schedule skipped: busy", "NFS stale file handle"),
        ("storage controller", "file server"),
    ),
)

OPERATING_SYSTEMS = (
    "Windows Server 2022",
    "Windows Server 2019",
    "Red Hat Enterprise Linux 9.3",
    "Ubuntu 22.04 LTS",
    "Debian 12",
    "SUSE Linux Enterprise 15 SP5",
    "VMware ESXi 8.0 appliance",
    "Windows 11 clients",
)
PERSISTED = (
    "since this morning",
    "since the upgrade last night",
    "about two hours",
    "three days",
    "on and off for a week",
    "since Friday",
    "since the maintenance window",
    "first seen today",
)
CHANGES = (
    "upgraded to {version} last night",
    "new firewall rules on the DMZ",
    "none that we know of",
    "certificate renewed on Monday",
    "moved the VMs to a new host cluster",
    "Windows updates applied",
    "DNS servers replaced",
    "none",
)
ACTIONS_BEFORE = (
    "restarted the service",
    "rebooted the server",
    "rolled back the last patch, no change",
    "checked the logs, nothing obvious",
    "failed over to the standby node",
    "cleared the cache",
    "nothing yet",
)
STEPS = (
    "1. Log in as a normal user 2. Open the start page 3. Error after a few seconds",
    "Happens on every attempt from the office network; works over the VPN",
    "Run the nightly job by hand from the console; it fails at the same step",
    "Not reproducible on demand; see the attached logs for the last occurrence",
)

REPLIES = (
    "Hello {first}, thank you for the report. We are looking at the logs you sent and will update you shortly.",
    "Hi {first}, could you confirm the exact version and whether the issue started right after the change?",
    "Hello {first}, we reproduced the problem in our lab; a workaround is to restart the service with "
    "the cache disabled. We are working on a fix.",
    "Hi {first}, quick update: engineering has identified the cause; a patch is being tested.",
    "Hello {first}, the hotfix is available on the download portal. Please apply it and let us know.",
    "Hi {first}, still investigating with the product team; next update within the hour.",
)
UPDATE_REPLIES = (
    "Update: still working on it with engineering, no new findings yet. Next update as agreed.",
    "Update: the fix is deployed in our staging environment and looks good; rolling out next.",
    "Update: we have a workaround in place; root cause analysis continues.",
)
REQUESTS = (
    "Could you send the server logs from the time of the failure?",
    "Please send a screenshot of the error and the output of the diagnostics script.",
    "Can you tell us which users are affected and since when?",
    "Please confirm the exact product version (Help > About).",
)
CALL_SUMMARIES = (
    "Called {first}: walked through the restart procedure, service back for now.",
    "Called {first}: confirmed impact and scope, collecting logs together.",
    "Spoke with {first} about the workaround; they will test it this afternoon.",
    "Left a voicemail for {first} with the case number and the next steps.",
)
CALL_OUTCOMES = ("reached", "reached", "reached", "voicemail")
CUSTOMER_REPLIES = (
    "Logs attached, the error happened at {hour}:12 our time.",
    "Thanks, the workaround helps but the issue comes back after a few hours.",
    "Here is the screenshot. About forty users are affected.",
    "We applied the patch; so far so good.",
    "Confirmed, version is {version}.",
)
CONFIRMATIONS = (
    "Confirmed fixed on our side, thank you. You can close the case.",
    "All good now, thanks for the quick help.",
)
NOTES = (
    "Looks like the known issue from the {version} release notes; checking the knowledge base.",
    "Customer is on an old patch level; suggest upgrading once this is solved.",
    "Asked the product team in the on-call channel.",
    "Similar case last month for another customer; same root cause?",
    "Shift hand-over: waiting for logs, nothing else pending.",
    "Reproduced in the lab with a default configuration.",
)
STATUS_NOTES: dict[Status, tuple[str | None, ...]] = {
    Status.OPEN: (None, None, "investigating"),
    Status.WAITING: ("logs requested", None),
    Status.SOFTWARE_CHANGE: (
        "defect filed with engineering",
        "fix planned for the next patch release",
    ),
    Status.RESOLVED: (
        "hotfix applied, waiting for the customer to confirm",
        "workaround confirmed working",
    ),
    Status.CLOSED: ("customer confirmed", None),
}
REOPEN_NOTE = "re-opened: the problem came back"
CLOSE_AT_ONCE_NOTES = (
    "duplicate of an existing case",
    "customer withdrew the request",
    "opened by mistake",
)
RAISE_REASONS = (
    "Impact grew: now affects all sites",
    "Customer escalated: production is blocked",
    "Workaround stopped working",
)
LOWER_REASONS = (
    "Workaround in place, impact reduced",
    "Only a test system is affected",
    "Customer agreed to a lower priority",
)
ESCALATION_REASONS = (
    "Needs a product support engineer: suspected defect",
    "Deep-dive into the product internals needed",
    "Customer asked for a supervisor",
    "No progress after two days; supervisor review",
)


@dataclass
class DemoReport:
    organizations: int = 0
    contacts: int = 0
    cases: int = 0
    events: int = 0
    skipped: bool = False
    existing_cases: int = 0
    first_number: int | None = None
    last_number: int | None = None

    def summary(self) -> str:
        if self.skipped:
            return (
                f"the database already has {self.existing_cases} case(s): demo data not added "
                "(--if-empty)"
            )
        numbers = f" (cases {self.first_number}-{self.last_number})" if self.cases else ""
        return (
            f"demo: wrote {self.organizations} organization(s), {self.contacts} contact(s), "
            f"{self.cases} case(s){numbers} and {self.events} event(s)"
        )


# --- the SLA part of a history, shared between cases -------------------------------


@dataclass
class _Step:
    """One SLA-relevant event of a skeleton; texts and names are filled per case."""

    kind: EventKind
    field: str | None = None
    old: str | None = None
    new: str | None = None
    role: str = ""  # which text the case fills in: "reply", "request", "status", ...


@dataclass
class _Skeleton:
    """What the SLA engine sees of a case: received instant, severities, statuses,
    responses, customer replies, schedule. Everything else a case carries (who,
    what, notes, assignments, escalations) is not read by history_of or plan, so
    cases with the same skeleton have the same clocks: computed once, reused.
    """

    policy: Policy
    severity: int  # at intake
    received: int  # epoch seconds
    created: int  # when it was logged (the "opened" event)
    changes: list[tuple[int, list[_Step]]]  # (epoch seconds, the steps of one change)
    status: Status
    final_severity: int
    scheduled_for: int | None = None
    clocks: dict[str, Any] | None = None  # the stored clock columns, once replayed
    # The settled first response (deskterm.desk.outcomes), once replayed; {} if none.
    first_response: dict[str, Any] | None = None
    received_iso: str = ""

    def __post_init__(self) -> None:
        self.received_iso = to_iso(_at(self.received)) or ""

    @property
    def last_change(self) -> int:
        return self.changes[-1][0] if self.changes else self.created


def _at(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def _seconds(instant: datetime) -> int:
    return int((instant - EPOCH).total_seconds())


class _Generator:
    def __init__(self, rng: random.Random, now: datetime, per_policy: int):
        self.rng = rng
        self.now = now
        self.now_s = _seconds(now)  # whole seconds: no event is after now
        self.per_policy = per_policy
        self.pools: dict[str, list[_Skeleton]] = {}
        self._windows: dict[tuple[str, int, tuple[int, int]], tuple[int, int] | None] = {}
        self.made = 0
        # Unanswered cases owed to the desk: one skeleton in UNANSWERED_EVERY is due
        # soon, one overdue, carried over while the policy at hand cannot make one.
        self.owed = {DUE_SOON: 0, OVERDUE: 0}

    # -- skeletons -------------------------------------------------------------

    def skeleton(self, policy: Policy) -> _Skeleton:
        pool = self.pools.setdefault(policy.name, [])
        if len(pool) >= self.per_policy:
            return pool[self.rng.randrange(len(pool))]
        skeleton = self._new_skeleton(policy)
        pool.append(skeleton)
        return skeleton

    def _severity(self, policy: Policy) -> int:
        levels = sorted(policy.severities)
        if len(levels) == 3:
            weights: Sequence[float] = (12, 38, 50)
        elif len(levels) == 6:
            weights = (3, 7, 20, 35, 25, 10)
        else:
            weights = [index + 1 for index in range(len(levels))]
        return self.rng.choices(levels, weights)[0]

    def _age(self) -> int:
        rng = self.rng
        low, high = rng.choices(
            (
                (MINUTE, HOUR),
                (HOUR, DAY),
                (DAY, 7 * DAY),
                (7 * DAY, 21 * DAY),
                (21 * DAY, 45 * DAY),
            ),
            (8, 20, 35, 27, 10),
        )[0]
        return int(low * (high / low) ** rng.random())

    def _final_status(self, age: int, top: bool) -> Status:
        S = Status
        statuses = (S.NEW, S.OPEN, S.WAITING, S.SOFTWARE_CHANGE, S.RESOLVED, S.CLOSED)
        if age < HOUR:
            weights: tuple[int, ...] = (70, 25, 5, 0, 0, 0)
        elif age < DAY:
            weights = (20, 40, 20, 5, 10, 5)
        elif age < 7 * DAY:
            weights = (4, 30, 20, 10, 21, 15)
        else:
            weights = (1, 14, 10, 14, 16, 45)
        if top and age > 2 * DAY:  # an outage is not left open for long
            weights = (0, 6, 4, 12, 28, 50)
        return self.rng.choices(statuses, weights)[0]

    def _new_skeleton(self, policy: Policy) -> _Skeleton:
        rng = self.rng
        self.made += 1
        if self.made % UNANSWERED_EVERY == 3:
            self.owed[DUE_SOON] += 1
        if self.made % UNANSWERED_EVERY == 8:
            self.owed[OVERDUE] += 1
        for window, owed in self.owed.items():
            if owed:
                unanswered = self._unanswered(policy, window)
                if unanswered is not None:
                    self.owed[window] -= 1
                    return unanswered
        severity = self._severity(policy)
        levels = sorted(policy.severities)
        top = severity == levels[0]
        age = self._age()
        received = self.now_s - age
        created = received + min(rng.randint(0, 10 * MINUTE), age // 3)
        final = self._final_status(age, top)
        actions = self._actions(policy, severity, final, age)
        changes, scheduled = self._timed(policy, severity, final, created, actions)
        status, current = Status.NEW, severity
        for _, group in changes:
            for step in group:
                if step.kind == EventKind.STATUS and step.new is not None:
                    status = Status(step.new)
                elif step.kind == EventKind.SEVERITY and step.new is not None:
                    current = int(step.new)
        return _Skeleton(policy, severity, received, created, changes, status, current, scheduled)

    def _unanswered(self, policy: Policy, window: tuple[int, int]) -> _Skeleton | None:
        """A new, unanswered case whose first response is due within `window` of now
        (seconds; negative: in the past), if this policy can have one at this moment."""
        options = [
            level
            for level in sorted(policy.severities)
            if self._received_window(policy, level, window) is not None
        ]
        if not options:
            return None
        severity = self.rng.choice(options)
        received_window = self._received_window(policy, severity, window)
        assert received_window is not None
        received = self.rng.randint(*received_window)
        created = min(received + self.rng.randint(0, 5 * MINUTE), self.now_s)
        return _Skeleton(policy, severity, received, created, [], Status.NEW, severity)

    def _received_window(
        self, policy: Policy, severity: int, window: tuple[int, int]
    ) -> tuple[int, int] | None:
        """The received instants (epoch seconds) whose first response falls due in `window`."""
        key = (policy.name, severity, window)
        if key not in self._windows:
            self._windows[key] = self._search_window(policy, severity, window)
        return self._windows[key]

    def _search_window(
        self, policy: Policy, severity: int, window: tuple[int, int]
    ) -> tuple[int, int] | None:
        def due(received: int) -> int | None:
            history = CaseHistory(received=_at(received), severity=severity)
            clock = compute_clocks(policy, history, self.now)[ClockKind.FIRST_RESPONSE]
            return None if clock.due is None else _seconds(clock.due)

        earliest, latest = self.now_s - 40 * DAY, self.now_s
        if due(latest) is None:
            return None
        start, end = self.now_s + window[0], self.now_s + window[1]

        def first_with_due_at_least(bound: int) -> int:
            # The due instant never decreases as the received instant grows.
            low, high = earliest, latest + 1
            while low < high:
                middle = (low + high) // 2
                value = due(middle) if middle <= latest else None
                if middle > latest or (value is not None and value >= bound):
                    high = middle
                else:
                    low = middle + 1
            return low

        low = first_with_due_at_least(start)
        high = min(first_with_due_at_least(end + 1) - 1, latest)
        if low > high:
            return None
        for probe in (low, high):
            value = due(probe)
            if value is None or not start <= value <= end:
                return None
        return low, high

    def _actions(self, policy: Policy, severity: int, final: Status, age: int) -> list[_Step]:
        """The SLA-relevant steps that bring a case from new to `final`, in order."""
        rng = self.rng
        K = EventKind
        steps: list[_Step] = []
        state = [Status.NEW]

        def move(target: Status, role: str = "status") -> None:
            current = state[0]
            if target is current or target not in MOVES[current]:
                return
            steps.append(_Step(K.STATUS, "status", current.value, target.value, role))
            state[0] = target

        def respond(call_chance: float = 0.25) -> None:
            if rng.random() < call_chance:
                steps.append(_Step(K.CALL, "with", role="call"))
            else:
                steps.append(_Step(K.REPLY, role="reply"))

        def customer_reply() -> None:
            steps.append(_Step(K.CUSTOMER_REPLY, role="customer"))
            if state[0] is Status.WAITING:  # one change, as desk.cases.customer_reply writes it
                steps.append(
                    _Step(K.STATUS, "status", Status.WAITING.value, Status.OPEN.value, "joined")
                )
                state[0] = Status.OPEN

        levels = sorted(policy.severities)
        top = severity == levels[0]
        call_chance = 0.6 if top else 0.2
        if final is Status.NEW:
            if rng.random() < 0.15:
                respond(call_chance)
            return steps
        if final is Status.CLOSED and rng.random() < 0.15:
            if rng.random() < 0.5:
                respond(call_chance)
            move(Status.CLOSED, "close-at-once")
            return steps

        responded = rng.random() < 0.75
        if responded:
            respond(call_chance)
        move(Status.OPEN)
        if not responded and (final is not Status.OPEN or rng.random() < 0.6):
            respond(call_chance)
        if age > 6 * HOUR and rng.random() < 0.12:
            steps.append(self._severity_step(policy, severity))
        cycles = rng.choices((0, 1, 2), (55, 35, 10))[0] if age > 2 * HOUR else 0
        for _ in range(cycles):
            move(Status.WAITING, "request")
            customer_reply()
            if rng.random() < 0.5:
                respond(call_chance)
        for _ in range(rng.choices((0, 1, 2), (50, 35, 15))[0] if age > HOUR else 0):
            respond(call_chance)

        if final is Status.OPEN:
            if age > 3 * DAY and rng.random() < 0.1:  # fixed, then it came back
                move(Status.RESOLVED)
                move(Status.OPEN, "reopen")
                respond(call_chance)
        elif final is Status.WAITING:
            move(Status.WAITING, "request")
        elif final is Status.SOFTWARE_CHANGE:
            move(Status.SOFTWARE_CHANGE)
        elif final in (Status.RESOLVED, Status.CLOSED):
            if rng.random() < 0.2:
                move(Status.SOFTWARE_CHANGE)
            move(Status.RESOLVED)
            if final is Status.CLOSED:
                if rng.random() < 0.6:
                    steps.append(_Step(K.CUSTOMER_REPLY, role="confirmation"))
                move(Status.CLOSED)
        return [step for step in steps if step.kind != K.SEVERITY or step.new is not None]

    def _severity_step(self, policy: Policy, severity: int) -> _Step:
        levels = sorted(policy.severities)
        index = levels.index(severity)
        choices = [
            levels[j]
            for j in (index - 1, index + 1)
            if 0 <= j < len(levels)
            and not isinstance(policy.level(levels[j]).first_response, Scheduled)
        ]
        if isinstance(policy.level(severity).first_response, Scheduled) or not choices:
            return _Step(EventKind.SEVERITY)  # dropped by the caller
        new = self.rng.choice(choices)
        role = "raise" if new < severity else "lower"
        return _Step(EventKind.SEVERITY, "severity", str(severity), str(new), role)

    def _timed(
        self, policy: Policy, severity: int, final: Status, created: int, steps: list[_Step]
    ) -> tuple[list[tuple[int, list[_Step]]], int | None]:
        """Give the steps instants between the intake and now, grouped into changes.

        Returns the changes and the instant the customer scheduled the work for, if any.
        """
        rng = self.rng
        now_s = self.now_s
        groups: list[list[_Step]] = []
        for step in steps:
            if step.role == "joined":  # the status move of a customer reply: same change
                groups[-1].append(step)
            else:
                groups.append([step])
        final_severity = severity
        for step in steps:
            if step.kind == EventKind.SEVERITY and step.new is not None:
                final_severity = int(step.new)
        level = policy.level(final_severity)
        scheduled: int | None = None
        if (
            isinstance(level.first_response, Scheduled)
            and final is not Status.CLOSED
            and rng.random() < 0.7
        ):
            # The customer names a date: a change window days ahead, or one just passed.
            scheduled = now_s + rng.randint(-3 * DAY, 21 * DAY)
            scheduled -= scheduled % (30 * MINUTE)
            iso = to_iso(_at(scheduled))
            groups.insert(0, [_Step(EventKind.SCHEDULED, "scheduled_for", None, iso, "scheduled")])

        span = now_s - created
        # A case logged seconds ago has had time for a step or two at most.
        groups = groups[: max(0, min(len(groups), (span - 2) // 2))]
        if not groups:
            return [], None
        if groups[0][0].kind != EventKind.SCHEDULED:
            scheduled = None

        # When the last change happened: a resolved case waits some days at most for
        # its confirmation (else the sweep would have closed it), a request a bit longer.
        if final is Status.RESOLVED:
            last = now_s - rng.randint(1, max(1, min(6 * DAY, span)))
        elif final is Status.WAITING:
            last = now_s - rng.randint(1, max(1, min(10 * DAY, span)))
        elif final is Status.CLOSED:
            last = created + int(span * rng.uniform(0.2, 0.98))
        else:
            last = created + int(span * rng.uniform(0.4, 0.99))
        last = min(max(last, created + len(groups)), now_s - len(groups))
        fractions = sorted(rng.random() ** 1.6 for _ in range(len(groups) - 1))
        instants = [created + 1 + int((last - created - 1) * fraction) for fraction in fractions]
        instants.append(last)
        for index in range(1, len(instants)):
            instants[index] = max(instants[index], instants[index - 1] + 1)
        changes = list(zip(instants, groups, strict=True))

        # A case still being worked under an update target gets its regular update.
        update = level.update_every
        if (
            isinstance(update, Elapsed)
            and final in (Status.OPEN, Status.SOFTWARE_CHANGE)
            and rng.random() < 0.75
        ):
            at = now_s - int(update.amount.total_seconds() * rng.uniform(0.05, 1.4))
            if at > changes[-1][0]:
                changes.append((at, [_Step(EventKind.REPLY, role="update")]))
        return changes, scheduled


# --- one case: decorations, events and the row -------------------------------------


@dataclass
class _Org:
    id: int
    name: str
    policy: Policy
    # The first instant (epoch seconds) after the maintenance contract ended, if it ends.
    uncovered_from: int | None
    contacts: list[tuple[int, str]] = field(default_factory=list)  # (id, name)


CASE_TABLE: Table = Case.__table__  # type: ignore[attr-defined]
EVENT_TABLE: Table = Event.__table__  # type: ignore[attr-defined]
COUNTER_TABLE: Table = Counter.__table__  # type: ignore[attr-defined]
CASE_COLUMNS = tuple(column.name for column in CASE_TABLE.columns)
# An event as built: every column but its id and its hash (added when it is written).
EVENT_COLUMNS = tuple(
    column.name for column in EVENT_TABLE.columns if column.name not in ("id", "hash")
)
OUTCOME_TABLE: Table = SlaOutcome.__table__  # type: ignore[attr-defined]
OUTCOME_COLUMNS = tuple(column.name for column in OUTCOME_TABLE.columns)
CLOCK_COLUMNS = (
    "first_response_state",
    "first_response_due",
    "customer_response_state",
    "customer_response_due",
    "update_state",
    "update_due",
    "auto_close_state",
    "auto_close_due",
    "resolution_state",
    "resolution_due",
    "next_response_state",
    "next_response_due",
    "next_due",
    "queue_due",
    "promise_due",
    "sweep_at",
)
# An event while it is built: a list in EVENT_COLUMNS order, instants in epoch seconds.
CASE_ID, VERSION, AT, ACTOR, KIND, FIELD, OLD, NEW, TEXT = range(len(EVENT_COLUMNS))
assert EVENT_COLUMNS == (
    "case_id",
    "version",
    "at",
    "actor",
    "kind",
    "field",
    "old_value",
    "new_value",
    "text",
), EVENT_COLUMNS


def _impact(policy: Policy, severity: int) -> str:
    levels = sorted(policy.severities)
    if isinstance(policy.level(severity).first_response, Scheduled):
        return "task"
    rank = levels.index(severity) / max(1, len(levels) - 1)
    if rank == 0 or (len(levels) > 3 and rank < 0.3):
        return "critical"
    return "major" if rank < 0.7 else "minor"


Replay = Callable[[dict[str, Any], list[list[Any]], Policy], dict[str, Any]]


class _CaseBuilder:
    """One case from a skeleton: who, what, the non-SLA events, the row."""

    def __init__(self, generator: _Generator, replay: Replay) -> None:
        self.now_s = generator.now_s
        self.now = _at(generator.now_s)
        self.rng = generator.rng
        self.replay = replay

    def build(
        self, case_id: int, number: int, org: _Org, skeleton: _Skeleton
    ) -> tuple[dict[str, Any], list[list[Any]]]:
        rng = self.rng
        policy = org.policy
        contact_id: int | None = None
        contact_name = ""
        if org.contacts and rng.random() < 0.95:
            contact_id, contact_name = rng.choice(org.contacts)
        first = contact_name.split(" ")[0] if contact_name else "there"
        product = rng.choice(PRODUCTS)
        version = rng.choice(product.versions)
        hour = f"{rng.randint(1, 23):02d}"
        subject = rng.choice(product.subjects[_impact(policy, skeleton.severity)])
        subject = subject.format(version=version, hour=hour)
        error = rng.choice(product.errors)
        fill = {"first": first, "version": version, "hour": hour}

        # Who works it: most cases have an owner from the start, a few change hands.
        status = skeleton.status
        created = skeleton.created
        first_sla = skeleton.changes[0][0] if skeleton.changes else self.now_s
        finished = status in (Status.CLOSED, Status.RESOLVED)
        limit = skeleton.last_change if finished else self.now_s
        extras: list[tuple[int, int, list[Any]]] = []  # (at, order, event)
        if rng.random() < (0.45 if status is Status.NEW else 0.9):
            owner = rng.choice(ENGINEERS)
            at = created + int(max(0, first_sla - created) * rng.random() * 0.5)
            extras.append((at, 0, _event(at, EventKind.ASSIGN, "assignee", None, owner)))
            if rng.random() < 0.12 and limit > at + 1:
                other = rng.choice([name for name in ENGINEERS if name != owner])
                later = rng.randint(at + 1, limit)
                extras.append((later, 1, _event(later, EventKind.ASSIGN, "assignee", owner, other)))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            at = rng.randint(created, max(created, limit))
            note = rng.choice(NOTES).format(**fill)
            extras.append((at, 2, _event(at, EventKind.NOTE, text=note)))
        if status is not Status.NEW and limit > created + 1 and rng.random() < 0.12:
            at = rng.randint(created, limit - 1)
            levels = ESCALATION_LEVELS
            reason = rng.choice(ESCALATION_REASONS[:2])
            extras.append(
                (at, 3, _event(at, EventKind.ESCALATE, "escalation", *levels[:2], reason))
            )
            if rng.random() < 0.25:
                later = rng.randint(at + 1, limit)
                reason = rng.choice(ESCALATION_REASONS[2:])
                escalate = _event(later, EventKind.ESCALATE, "escalation", *levels[1:], reason)
                extras.append((later, 4, escalate))

        notes = f"received {skeleton.received_iso} under {policy.name}"
        if org.uncovered_from is not None and created >= org.uncovered_from:
            notes += "; entitlement override: production outage, renewal in progress (approved by the shift lead)"
        opened = _event(created, EventKind.OPENED, "severity", None, str(skeleton.severity), notes)
        opened[VERSION] = 1
        opened[ACTOR] = rng.choice(ENGINEERS)
        merged: list[tuple[int, int, int, list[list[Any]]]] = [
            (at, 0, index, [self._step_event(at, step, contact_name, fill) for step in steps])
            for index, (at, steps) in enumerate(skeleton.changes)
        ]
        merged.extend(
            (at, 1 + order, index, [event]) for index, (at, order, event) in enumerate(extras)
        )
        merged.sort(key=_change_order)

        events = [opened]
        case_version = 1
        assignee: str | None = None
        escalation = "support-engineer"
        updated = created
        for at, _, _, group in merged:
            case_version += 1
            actor = assignee or rng.choice(ENGINEERS)
            for event in group:
                event[VERSION] = case_version
                kind = event[KIND]
                if kind == EventKind.ASSIGN:  # taken by the engineer, or given by another
                    event[ACTOR] = event[NEW] if rng.random() < 0.5 else actor
                    assignee = event[NEW]
                else:
                    event[ACTOR] = actor
                    if kind == EventKind.ESCALATE:
                        escalation = event[NEW]
                events.append(event)
            updated = at
        for event in events:
            event[CASE_ID] = case_id

        row: dict[str, Any] = {
            "id": case_id,
            "number": number,
            "subject": subject,
            "description": (
                f"{contact_name or 'The customer'} reports: {subject}. Error: {error}. "
                f"Affected: {rng.choice(product.roles)} on {product.name} {version}."
            ),
            "organization_id": org.id,
            "contact_id": contact_id,
            "policy": policy.name,
            "policy_version": policy.version,
            "severity": skeleton.final_severity,
            "status": status.value,
            "assignee": assignee,
            "escalation": escalation,
            "received_at": skeleton.received,
            "scheduled_for": skeleton.scheduled_for,
            "split_from_id": None,
            "inquirer": contact_name,
            "product": product.name,
            "product_version": version,
            "error_messages": error,
            "steps_to_reproduce": rng.choice(STEPS),
            "actions_before": rng.choice(ACTIONS_BEFORE),
            "changes_made": rng.choice(CHANGES).format(version=version),
            "persisted_for": rng.choice(PERSISTED),
            "operating_system": rng.choice(OPERATING_SYSTEMS),
            "server_roles": ", ".join(
                rng.sample(product.roles, rng.randint(1, len(product.roles)))
            ),
            "version": case_version,
            "created_at": created,
            "updated_at": updated,
        }
        if skeleton.clocks is None:
            skeleton.clocks = self.replay(row, events, policy)
            skeleton.first_response = settle_first_response(row, events, policy, self.now)
        row.update(skeleton.clocks)
        return row, events

    def outcome(
        self, row: dict[str, Any], events: list[list[Any]], skeleton: _Skeleton
    ) -> list[Any] | None:
        """The case's stored first-response outcome: the skeleton's, with its own engineer."""
        settled = skeleton.first_response
        if not settled:
            return None
        answered = _seconds(settled["answered_at"])
        engineer = next((e[ACTOR] for e in events if e[AT] == answered), None)
        if engineer is None:
            index = sum(1 for e in events if e[AT] <= answered)
            for event in events[:index]:
                if event[KIND] == EventKind.ASSIGN:
                    engineer = event[NEW] or None
            engineer = engineer or outcomes.UNASSIGNED
        values = {
            **settled,
            "case_id": row["id"],
            "organization_id": row["organization_id"],
            "engineer": engineer,
        }
        return [values[name] for name in OUTCOME_COLUMNS]

    def _step_event(self, at: int, step: _Step, contact: str, fill: dict[str, str]) -> list[Any]:
        rng = self.rng
        role = step.role
        old, new = step.old, step.new
        text: str | None = None
        if role == "reply":
            text = rng.choice(REPLIES).format(**fill)
        elif role == "update":
            text = rng.choice(UPDATE_REPLIES)
        elif role == "call":
            # As desk.cases.log_call writes it: with whom, and how it went.
            text = rng.choice(CALL_SUMMARIES).format(**fill)
            old, new = rng.choice(CALL_OUTCOMES), contact or None
        elif role == "customer":
            text = rng.choice(CUSTOMER_REPLIES).format(**fill)
        elif role in _TEXTS:
            text = rng.choice(_TEXTS[role])
        elif step.kind == EventKind.STATUS and new is not None:
            text = rng.choice(STATUS_NOTES.get(Status(new), (None,)))
        field_name = step.field if step.kind != EventKind.CALL or new else None
        return _event(at, step.kind, field_name, old, new, text)


_TEXTS: dict[str, tuple[str, ...]] = {
    "confirmation": CONFIRMATIONS,
    "request": REQUESTS,
    "joined": ("the customer replied",),
    "reopen": (REOPEN_NOTE,),
    "close-at-once": CLOSE_AT_ONCE_NOTES,
    "raise": RAISE_REASONS,
    "lower": LOWER_REASONS,
}


def _change_order(item: tuple[int, int, int, list[list[Any]]]) -> tuple[int, int, int]:
    return item[0], item[1], item[2]


def _event(
    at: int,
    kind: EventKind,
    field_name: str | None = None,
    old: str | None = None,
    new: str | None = None,
    text: str | None = None,
) -> list[Any]:
    return [0, 0, at, None, kind.value, field_name, old, new, text]


# --- replaying the clocks ----------------------------------------------------------


def _instant_columns(table: Table) -> frozenset[str]:
    return frozenset(
        column.name for column in table.columns if isinstance(column.type, UTCDateTime)
    )


CASE_INSTANTS = _instant_columns(CASE_TABLE)
EVENT_INSTANTS = _instant_columns(EVENT_TABLE)


class _Row:
    """A case or event as plain attributes: every column of its row, instants as datetimes.

    The replay reads cases and events by attribute only; building SQLModel objects
    instead would cost a tenth of a millisecond each, most of the budget for
    100,000 cases.
    """

    def __init__(self, columns: dict[str, Any], instants: frozenset[str]) -> None:
        for name, value in columns.items():
            setattr(
                self, name, _at(value) if name in instants and isinstance(value, int) else value
            )


def replay_clocks(
    row: dict[str, Any], events: list[list[Any]], policy: Policy, now: datetime
) -> dict[str, Any]:
    """The stored clock columns of a case, as the desk computes them after every change."""
    case = _Row(row, CASE_INSTANTS)
    history = [
        _Row({"id": None, **dict(zip(EVENT_COLUMNS, event, strict=True))}, EVENT_INSTANTS)
        for event in events
    ]
    clocks = deadlines.clocks_of(case, history, policy, now)  # type: ignore[arg-type]
    actions = deadlines.plan(case, history, policy, clocks)  # type: ignore[arg-type]
    deadlines.store_clocks(case, clocks, actions)  # type: ignore[arg-type]
    return {name: _compact(getattr(case, name)) for name in CLOCK_COLUMNS}


def settle_first_response(
    row: dict[str, Any], events: list[list[Any]], policy: Policy, now: datetime
) -> dict[str, Any]:
    """The case's first-response outcome as the use cases store it; {} while it runs."""
    case = _Row(row, CASE_INSTANTS)
    history = [
        _Row({"id": None, **dict(zip(EVENT_COLUMNS, event, strict=True))}, EVENT_INSTANTS)
        for event in events
    ]
    clock = first_response_clock(policy, deadlines.history_of(case, history), now)  # type: ignore[arg-type]
    return outcomes.settled(policy, case, history, clock) or {}


def _compact(value: Any) -> Any:
    """A whole-second instant as epoch seconds (written faster), anything else as it is."""
    if isinstance(value, datetime) and value.microsecond == 0:
        return _seconds(value)
    return value


# --- writing -----------------------------------------------------------------------


def _chained(events: list[list[Any]]) -> list[list[Any]]:
    """A new case's events, each with its hash (deskterm.store.chain) appended."""
    previous = chain.START
    chained = []
    for event in events:
        content = dict(zip(EVENT_COLUMNS, event, strict=True))
        content["at"] = _at(content["at"]) if isinstance(content["at"], int) else content["at"]
        previous = chain.event_hash(previous, content)
        chained.append([*event, previous])
    return chained


class _BulkInsert:
    """executemany of one compiled INSERT, each value through its column's own bind
    processor (instants given as epoch seconds are made datetimes first).

    The same rows through `connection.execute(insert(table), dicts)` take twice as
    long: SQLAlchemy rebuilds every parameter set, per row and per column.
    """

    def __init__(self, connection: Connection, table: Table, columns: Sequence[str]) -> None:
        dialect = connection.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        self.connection = connection
        self.sql = compiled.string
        self.columns = tuple(columns)
        order = compiled.positiontup
        self.order = (
            None
            if order is None or list(order) == list(columns)
            else [self.columns.index(name) for name in order]
        )
        # (column index, conversion, whether each value is converted on its own)
        self.converters: list[tuple[int, Callable[[Any], Any], bool]] = []
        for index, name in enumerate(columns):
            column_type = table.c[name].type
            processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if isinstance(column_type, UTCDateTime):
                self.converters.append((index, _instant_converter(processor), True))
            elif processor is not None:
                self.converters.append((index, processor, False))

    def __call__(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        columns: list[Any] = list(zip(*rows, strict=True))
        for index, convert, per_value in self.converters:
            values = columns[index]
            if per_value:
                columns[index] = map(convert, values)
            else:  # each distinct value once: most texts come from a catalogue
                converted = {value: convert(value) for value in set(values)}
                columns[index] = map(converted.__getitem__, values)
        if self.order is not None:
            columns = [columns[index] for index in self.order]
        params: list[Any] = list(zip(*columns, strict=True))
        if not self.connection.dialect.positional:
            params = [dict(zip(self.columns, row, strict=True)) for row in params]
        self.execute(params)

    def execute(self, params: list[Any]) -> None:
        self.connection.exec_driver_sql(self.sql, params)


def _instant_converter(processor: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """Epoch seconds or an aware datetime to what the column's processor makes of it."""
    if processor is None:
        return lambda value: _at(value) if isinstance(value, int) else value
    fast = _seconds_as_text if _agrees_with(processor) else None

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is int:
            return fast(value) if fast is not None else processor(_at(value))
        return processor(value)

    return convert


def _seconds_as_text(seconds: int) -> str:
    """SQLite's stored form of a whole-second UTC instant, without building a datetime."""
    day, rest = divmod(seconds, DAY)
    return f"{_day_text(day)} {rest // HOUR:02d}:{rest // MINUTE % 60:02d}:{rest % 60:02d}.000000"


@functools.lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


def _agrees_with(processor: Callable[[Any], Any]) -> bool:
    """Whether `_seconds_as_text` writes exactly what the dialect writes (SQLite does)."""
    probes = (0, 59, 3599, 86399, 1_000_000_000, 1_795_000_061, 1_800_000_000 + 13 * HOUR + 7)
    return all(processor(_at(probe)) == _seconds_as_text(probe) for probe in probes)


# --- the use case ------------------------------------------------------------------


def _count_cases(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(CASE_TABLE)).scalar_one())


def fill(
    desk: Desk,
    cases: int = DEFAULT_CASES,
    seed: int = DEFAULT_SEED,
    *,
    if_empty: bool = False,
    skeletons_per_policy: int = SKELETONS_PER_POLICY,
) -> DemoReport:
    """Add a demo desk: organizations, contacts, `cases` cases with their histories.

    With `if_empty`, a database that has any case is left as it is. The same seed,
    the same `desk.now()` and the same starting database give the same rows.
    """
    if cases < 1:
        raise DeskError(f"the number of demo cases must be at least 1 (got {cases})")
    if skeletons_per_policy < 1:
        raise DeskError("skeletons_per_policy must be at least 1")
    now = desk.now()
    policies: dict[str, Policy] = {}

    def policy_of(name: str) -> Policy:
        if name not in policies:
            policies[name] = desk.policy(name)  # loads and checks the file once
        return policies[name]

    for name in SHIPPED_POLICIES:
        policy_of(name)
    rng = random.Random(seed)
    report = DemoReport()
    with collector_paused(), writing(desk.engine) as session:
        connection = session.connection()
        # Holding the case-number counter for the whole transaction keeps every other
        # writer of cases out until the demo commits: they all take a number first.
        counter = connection.execute(
            select(COUNTER_TABLE.c.value)
            .where(COUNTER_TABLE.c.name == "case_number")
            .with_for_update()
        ).scalar_one_or_none()
        existing = _count_cases(connection)
        if if_empty and existing:
            report.skipped = True
            report.existing_cases = existing
            return report
        orgs = _organizations(session, rng, now, policy_of, report)
        last_number = FIRST_CASE_NUMBER - 1 if counter is None else int(counter)
        highest_id = connection.execute(select(func.max(CASE_TABLE.c.id))).scalar_one()
        first_id = int(highest_id or 0) + 1

        generator = _Generator(rng, now, skeletons_per_policy)
        builder = _CaseBuilder(
            generator, lambda row, events, policy: replay_clocks(row, events, policy, now)
        )
        insert_cases = _BulkInsert(connection, CASE_TABLE, CASE_COLUMNS)
        insert_events = _BulkInsert(connection, EVENT_TABLE, (*EVENT_COLUMNS, "hash"))
        insert_outcomes = _BulkInsert(connection, OUTCOME_TABLE, OUTCOME_COLUMNS)
        outcome_rows: list[list[Any]] = []
        weights = _org_weights(orgs)
        case_rows: list[list[Any]] = []
        event_rows: list[list[Any]] = []
        for index in range(cases):
            org = rng.choices(orgs, weights)[0]
            skeleton = generator.skeleton(org.policy)
            row, events = builder.build(first_id + index, last_number + 1 + index, org, skeleton)
            case_rows.append([row[name] for name in CASE_COLUMNS])
            outcome = builder.outcome(row, events, skeleton)
            event_rows.extend(_chained(events))
            if outcome is not None:
                outcome_rows.append(outcome)
            if len(case_rows) >= CHUNK or index == cases - 1:
                insert_cases(case_rows)  # before their events: the foreign keys are checked at once
                insert_events(event_rows)
                insert_outcomes(outcome_rows)
                report.events += len(event_rows)
                case_rows.clear()
                event_rows.clear()
                outcome_rows.clear()
        report.cases = cases
        report.first_number = last_number + 1
        report.last_number = last_number + cases
        if counter is None:
            connection.execute(
                insert(COUNTER_TABLE).values(name="case_number", value=report.last_number)
            )
        else:
            connection.execute(
                update(COUNTER_TABLE)
                .where(COUNTER_TABLE.c.name == "case_number")
                .values(value=report.last_number)
            )
        if connection.dialect.name == "postgresql":
            # Explicit ids do not move a serial column's sequence: move it past them.
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"
            )
        # The policies the cases ran under, stored as the desk's versions (issue 22).
        policy_versions.record_versions(session, desk.policies, SYSTEM_ACTOR, now)
    # A bulk load changes the table's shape at once: give the planner fresh statistics.
    statistics.rebuild(desk.engine)
    return report


def _org_weights(orgs: list[_Org]) -> list[int]:
    by_name = {demo.name: demo.weight for demo in ORGANIZATIONS}
    return [by_name.get(org.name, 3) for org in orgs]


def _organizations(
    session: Session,
    rng: random.Random,
    now: datetime,
    policy_of: Callable[[str], Policy],
    report: DemoReport,
) -> list[_Org]:
    """The demo organizations and their contacts; those already there are reused."""
    today = now.date()
    result: list[_Org] = []
    for index, demo in enumerate(ORGANIZATIONS):
        org = session.exec(select(Organization).where(col(Organization.name) == demo.name)).first()
        if org is None:
            until = (
                None if demo.contract_days is None else today + timedelta(days=demo.contract_days)
            )
            org = Organization(
                name=demo.name,
                policy=demo.policy,
                tier=demo.tier,
                contract_until=until,
                created_at=now.replace(microsecond=0) - timedelta(days=400 - 20 * index),
            )
            session.add(org)
            session.flush()
            report.organizations += 1
        assert org.id is not None
        uncovered = None
        if org.contract_until is not None:
            day_after = org.contract_until + timedelta(days=1)
            uncovered = _seconds(
                datetime(day_after.year, day_after.month, day_after.day, tzinfo=UTC)
            )
        # An organization of that name may predate the demo, under another policy.
        entry = _Org(org.id, org.name, policy_of(org.policy), uncovered)
        known = list(
            session.exec(
                select(Contact)
                .where(col(Contact.organization_id) == org.id)
                .order_by(col(Contact.id))
            )
        )
        if not known:
            taken: set[str] = set()
            for position in range(rng.randint(3, 6)):
                name = _person(rng, taken)
                taken.add(name)
                phone = f"+1 {demo.area_code} 555 01{rng.randint(0, 99):02d}"
                contact = Contact(
                    organization_id=org.id,
                    name=name,
                    email=f"{name.lower().replace(' ', '.')}@{demo.domain}"
                    if rng.random() < 0.95
                    else None,
                    phone=phone if rng.random() < 0.8 else None,
                    is_admin=position == 0 or rng.random() < 0.3,
                    created_at=org.created_at + timedelta(days=rng.randint(0, 30)),
                )
                session.add(contact)
                known.append(contact)
                report.contacts += 1
            session.flush()
        entry.contacts = [(contact.id, contact.name) for contact in known if contact.id is not None]
        result.append(entry)
    return result


def _person(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in taken:
            return name
