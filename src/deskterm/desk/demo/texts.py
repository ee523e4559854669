"""The demo desk's catalogue: organizations, people, products and the texts of a history.

Data only. The generator (deskterm.desk.demo.history) draws the SLA shape of a
case; the case builder (deskterm.desk.demo.rows) picks from these to dress it.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.sla import Status

ENGINEERS = ("asha", "bruno", "chen", "dana", "emeka", "freya", "gus", "hiroko")


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
