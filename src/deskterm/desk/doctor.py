"""`deskterm doctor`: check what deskterm stands on and say what to do about each problem.

Each check gives one line: OK, WARN (works, but a risk worth knowing) or FAIL (something
is wrong now). The checks read; none of them changes the database or any file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import TZPATH, ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import StatementError

from deskterm.sla.catalog import PolicyCatalog
from deskterm.store import chain, revision
from deskterm.store.engine import database_url, first_line
from deskterm.store.faults import ROOM_NEEDED

Status = Literal["ok", "warn", "fail"]

# File systems where POSIX advisory locks (SQLite's locking) or shared memory (its
# WAL index) are unreliable or absent, so two writers can corrupt the file.
NETWORK_FILE_SYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs",
     "fuse.glusterfs", "lustre", "davfs", "fuse.s3fs", "fuse.rclone", "virtiofs"}
)  # fmt: skip
# SQLite 3.7.0 to 3.51.2 can corrupt a WAL database when a writer resets the WAL while
# another connection (in this or another process) checkpoints: fixed in 3.51.3.
SAFE_SQLITE = (3, 51, 3)
INTEGRITY_PROBLEMS_SHOWN = 3


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str
    advice: str = ""  # what to do, for a WARN or a FAIL

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def failed(checks: Sequence[Check]) -> bool:
    return any(check.status == "fail" for check in checks)


def examine(
    url: str,
    policy_dirs: Sequence[Path],
    *,
    mounts: Path = Path("/proc/mounts"),
    sqlite_version: str = sqlite3.sqlite_version,
    clocks: bool = False,
) -> list[Check]:
    """Every check, in the order a person would fix things; with `clocks`, also every
    case's stored clocks against a replay of its events (a while on a big desk)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            checks = [Check("database", "warn", "an in-memory database: nothing is kept")]
        else:
            checks = _sqlite_checks(Path(database), mounts, sqlite_version)
    else:
        checks = _server_checks(url)
    if any(c.name == "migrations" and c.status == "ok" for c in checks):
        checks.extend(figures_checks(url))
        checks.append(policy_version_check(url, policy_dirs))
        if clocks:
            checks.append(clock_check(url, policy_dirs))
            checks.append(outcomes_recount_check(url, policy_dirs))
    return checks + policy_checks(policy_dirs)


# Cases replayed per read: their events come in one query.
CLOCK_BATCH = 500


def clock_check(url: str, policy_dirs: Sequence[Path]) -> Check:
    """Each case's stored clock fields are what its events give (deskterm.desk.transfer's
    clock_mismatch, which import applies to a file), a batch of cases at a time."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from deskterm.desk.demo import EVENT_COLUMNS
    from deskterm.desk.policy_versions import Versions
    from deskterm.desk.transfer import clock_mismatch
    from deskterm.models import Case, Event
    from deskterm.models.tables import table_of
    from deskterm.store.engine import make_engine

    cases = table_of(Case)
    events = table_of(Event)
    engine = make_engine(url)
    checked = 0
    try:
        with engine.connect() as connection:
            policies = Versions.of_desk(connection, PolicyCatalog(list(policy_dirs)))
            after = -1
            while True:
                batch = [
                    dict(row)
                    for row in connection.execute(
                        select(cases)
                        .where(cases.c.id > after)
                        .order_by(cases.c.id)
                        .limit(CLOCK_BATCH)
                    ).mappings()
                ]
                if not batch:
                    break
                after = batch[-1]["id"]
                by_case: dict[int, list[list[Any]]] = {}
                found = connection.execute(
                    select(events)
                    .where(events.c.case_id.in_([case["id"] for case in batch]))
                    .order_by(events.c.case_id, events.c.id)
                ).mappings()
                for event in found:
                    by_case.setdefault(event["case_id"], []).append(
                        [event[name] for name in EVENT_COLUMNS]
                    )
                for case in batch:
                    wrong = clock_mismatch(policies, case, by_case.get(case["id"], []))
                    if wrong is not None:
                        return Check(
                            "case clocks",
                            "fail",
                            f"case {case['number']}: {wrong}",
                            "stop every deskterm using it and restore the newest backup "
                            "(deskterm restore FILE --force)",
                        )
                checked += len(batch)
    except SQLAlchemyError as error:
        return Check("case clocks", "fail", f"cannot read the cases: {first_line(error)}")
    finally:
        engine.dispose()
    return Check("case clocks", "ok", f"{checked:,} case(s): stored clocks match their events")


# --- the desk's stored figures ----------------------------------------------------------


def outcomes_recount_check(url: str, policy_dirs: Sequence[Path]) -> Check:
    """Every stored SLA outcome (each clock, each run) against a recount from the events."""
    from sqlalchemy.exc import SQLAlchemyError

    from deskterm import clock
    from deskterm.desk import clock_outcomes, first_response_states, outcomes
    from deskterm.desk.policy_versions import Versions
    from deskterm.store.engine import make_engine

    now = clock.now()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            # Each case under the versions it ran under (desk/outcomes.py CasePolicies).
            policy_of = outcomes.CasePolicies.of_desk(connection, PolicyCatalog(list(policy_dirs)))
            first, first_case = outcomes.differences(connection, policy_of, now)
            runs, runs_case = clock_outcomes.differences(connection, policy_of, now)
            versions = Versions.of_desk(connection, PolicyCatalog(list(policy_dirs)))
            states, states_case = first_response_states.differences(connection, versions.for_case)
            cases = (first_case, runs_case, states_case)
            example = min(i for i in cases if i is not None) if first or runs or states else None
            number = None
            if example is not None:
                number = connection.execute(
                    text("SELECT number FROM cases WHERE id = :id"), {"id": example}
                ).scalar()
    except SQLAlchemyError as error:
        return Check(
            "SLA outcomes recount", "fail", f"cannot read the outcomes: {first_line(error)}"
        )
    finally:
        engine.dispose()
    if first or runs or states:
        return Check(
            "SLA outcomes recount",
            "fail",
            f"{first} first-response outcome(s) and {runs} run(s) of the update, resolution "
            f"and next-response clocks differ from a recount of the events"
            + (f", and the stored first-response states of {states} case(s)" if states else "")
            + f" (e.g. case {number})",
            "run deskterm db recount (it rewrites them from the cases' events, in one transaction)",
        )
    return Check(
        "SLA outcomes recount", "ok", "every stored SLA outcome equals a recount of the events"
    )


def policy_version_check(url: str, policy_dirs: Sequence[Path]) -> Check:
    """Each policy file against the version its cases use: an edit waits to be applied."""
    from deskterm.desk.policy_versions import drift
    from deskterm.store.engine import make_engine

    engine = make_engine(url)
    try:
        found = drift(engine, PolicyCatalog(list(policy_dirs)))
    finally:
        engine.dispose()
    if not found:
        return Check("policy versions", "ok", "every policy file is the version in use")
    names = " ".join(entry.name for entry in found)
    return Check(
        "policy versions",
        "warn",
        "; ".join(entry.describe() for entry in found),
        f"review and apply it (deskterm policy diff NAME, then policy apply NAME): {names}",
    )


def figures_checks(url: str) -> list[Check]:
    """The counters and stored SLA outcomes against a recount from the cases and events."""
    from deskterm.desk import counts, outcomes
    from deskterm.store.engine import make_engine

    engine = make_engine(url)
    try:
        wrong = counts.differences_on(engine)
        promises = counts.promise_differences_on(engine)
        with engine.connect() as connection:
            unstored = outcomes.missing(connection)
    finally:
        engine.dispose()
    if unstored:
        outcome = Check(
            "SLA outcomes",
            "fail",
            f"{unstored} case(s) answered without a stored first-response outcome",
            "run deskterm db recount (it stores them from the cases' events)",
        )
    else:
        outcome = Check("SLA outcomes", "ok", "every settled first response is stored")
    if not wrong and not promises:
        return [
            Check("counters", "ok", "the desk's counters equal a recount of its cases"),
            outcome,
        ]
    if not wrong:
        (assignee, hour), stored, recounted = promises[0]
        return [
            Check(
                "counters",
                "fail",
                f"{len(promises)} promise count(s) differ from a recount, e.g. "
                f"{assignee or 'unassigned'} due {hour:%Y-%m-%d %H}:00 UTC: {stored} stored, "
                f"{recounted} counted",
                "run deskterm db recount (it rewrites them from the cases, in one transaction)",
            ),
            outcome,
        ]
    (status, severity, assignee), stored, recounted = wrong[0]
    return [
        Check(
            "counters",
            "fail",
            f"{len(wrong)} counter(s) differ from a recount, e.g. {status} Sev {severity} "
            f"{assignee or 'unassigned'}: {stored} stored, {recounted} counted",
            "run deskterm db recount (it rewrites them from the cases, in one transaction)",
        ),
        outcome,
    ]


# --- SQLite -----------------------------------------------------------------------------


def _sqlite_checks(path: Path, mounts: Path, sqlite_version: str) -> list[Check]:
    checks = [location_check(path, mounts), version_check(sqlite_version)]
    if not path.exists():
        return checks
    checks.append(modes_check(path))
    space = free_space_check(path)
    writable = writable_check(path)
    checks += [space, writable]
    if not _header_intact(path):
        checks.append(
            Check(
                "integrity",
                "fail",
                f"{path}: its first bytes are not an SQLite header: the header is damaged "
                "(deskterm cannot open it, and restore --force replaces only a database)",
                f"stop every deskterm using it, then mv {path} {path}.damaged and restore the "
                "newest backup into its place (deskterm restore FILE)",
            )
        )
        return checks
    integrity = _schema_and_integrity(path)
    if space.status == "fail" and any(check.status == "fail" for check in integrity):
        # Reading needs room for SQLite's shared-memory file: on a full disk the
        # check itself fails, which says nothing about the database.
        return checks
    checks.extend(integrity)
    return checks


def free_space_check(path: Path) -> Check:
    try:
        found = os.statvfs(path.parent)
    except OSError:
        return Check("free space", "ok", "unknown")
    free = found.f_bavail * found.f_frsize
    if free < ROOM_NEEDED:
        return Check(
            "free space",
            "fail",
            f"the disk holding {path} is full ({free:,} bytes free): nothing can be written, "
            "and reading needs room too; the database itself is not damaged",
            f"free space on the file system holding {path.parent} (the database needs no repair)",
        )
    return Check("free space", "ok", f"{free // (1024 * 1024):,} MB free")


def writable_check(path: Path) -> Check:
    mode = path.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP) or not os.access(path, os.W_OK):
        return Check(
            "database file",
            "fail",
            f"{path} is read-only ({stat.filemode(mode)}): every change is refused; the "
            "database itself is not damaged",
            f"chmod ug+w {path} (as its owner), or run as a user of its group",
        )
    try:
        read_only_mount = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        read_only_mount = False
    if read_only_mount:
        return Check(
            "database file",
            "fail",
            f"{path} is on a read-only file system: every change is refused",
            "remount that file system read-write (mount -o remount,rw)",
        )
    return Check("database file", "ok", "writable")


def _header_intact(path: Path) -> bool:
    """An SQLite file begins with 'SQLite format 3' (an empty file is a new desk)."""
    try:
        with path.open("rb") as file:
            start = file.read(16)
    except OSError:
        return True  # unreadable: the open below says why
    return not start or start == b"SQLite format 3\x00"


def location_check(path: Path, mounts: Path = Path("/proc/mounts")) -> Check:
    directory = path.parent
    if not directory.is_dir():
        return Check(
            "database location",
            "warn",
            f"{path}: its directory does not exist yet",
            "deskterm creates it on first use; check the path if you expected a database there",
        )
    fs_type, mount_point = file_system_of(directory, mounts)
    where = f"{path} ({fs_type or 'unknown'} file system"
    where += f", directory {stat.filemode(directory.stat().st_mode)})"
    if fs_type in NETWORK_FILE_SYSTEMS:
        return Check(
            "database location",
            "warn",
            f"{where}: a network file system (mounted at {mount_point}), where SQLite's "
            "locking is unreliable and two writers can corrupt the file",
            "keep the database on a local disk of the host everyone logs in to, "
            "or use PostgreSQL for a desk spread over hosts",
        )
    if not os.access(directory, os.W_OK):
        return Check(
            "database location",
            "fail",
            f"{where}: you may not write in its directory (SQLite keeps its WAL and "
            "shared-memory files there)",
            f"give your user write access to {directory}",
        )
    if not path.exists():
        return Check(
            "database location",
            "ok",
            f"{where}: no database yet (deskterm creates it on first use)",
        )
    return Check("database location", "ok", where)


def file_system_of(directory: Path, mounts: Path = Path("/proc/mounts")) -> tuple[str, str]:
    """The type and mount point of the file system holding `directory` ('' if unknown)."""
    try:
        lines = mounts.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "", ""
    resolved = directory.resolve()
    best = ("", "")
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        # /proc/mounts writes a space in a mount point as \040.
        point = fields[1].replace("\\040", " ")
        inside = resolved == Path(point) or Path(point) in resolved.parents
        if inside and len(point) >= len(best[1]):
            best = (fields[2], point)
    return best


def version_check(sqlite_version: str) -> Check:
    try:
        found = tuple(int(part) for part in sqlite_version.split("."))
    except ValueError:
        found = ()
    if found >= SAFE_SQLITE:
        return Check("SQLite library", "ok", f"version {sqlite_version}")
    return Check(
        "SQLite library",
        "warn",
        f"version {sqlite_version} is older than 3.51.3: when several processes share the "
        "database (two consoles, a console and a sweep), a WAL reset can corrupt it",
        "use a Python built with SQLite 3.51.3 or newer, or PostgreSQL for a shared desk; "
        "take backups (deskterm backup FILE) meanwhile",
    )


def modes_check(path: Path) -> Check:
    """The database and its WAL/shared-memory files must not be readable by everyone."""
    files = [path] + [
        path.with_name(path.name + suffix)
        for suffix in ("-wal", "-shm")
        if path.with_name(path.name + suffix).exists()
    ]
    open_to_all = []
    shown = []
    for file in files:
        mode = file.stat().st_mode
        shown.append(f"{file.name} {stat.filemode(mode)}")
        if mode & (stat.S_IROTH | stat.S_IWOTH):
            open_to_all.append(file)
    if open_to_all:
        names = " ".join(str(file) for file in open_to_all)
        return Check(
            "file modes",
            "fail",
            f"{', '.join(shown)}: anyone on this host can read (or write) what customers "
            "and engineers wrote",
            f"chmod o-rwx {names} (and share with a group, chmod 660, if several users work "
            "the desk)",
        )
    return Check("file modes", "ok", ", ".join(shown))


def _schema_and_integrity(path: Path) -> list[Check]:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as error:
        return [Check("database", "fail", f"{path}: cannot open: {error}", "run as its owner")]
    with closing(connection):
        try:
            stored = _stored_revision(connection)
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as error:
            return [
                Check(
                    "integrity",
                    "fail",
                    f"{path}: {error}",
                    "restore the newest backup (deskterm restore FILE --force)",
                )
            ]
    checks = [migrations_check(stored)]
    if problems == ["ok"]:
        checks.append(Check("integrity", "ok", "PRAGMA integrity_check: ok"))
        if stored == revision.HEAD:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as again:
                again.row_factory = sqlite3.Row
                checks.extend(audit_checks(_SqliteRows(again)))
    else:
        first = "; ".join(problems[:INTEGRITY_PROBLEMS_SHOWN])
        more = len(problems) - INTEGRITY_PROBLEMS_SHOWN
        checks.append(
            Check(
                "integrity",
                "fail",
                f"PRAGMA integrity_check found {len(problems)} problem(s): {first}"
                + (f" (and {more} more)" if more > 0 else ""),
                "stop every deskterm using it, then restore the newest backup "
                "(deskterm restore FILE --force)",
            )
        )
    if stored == revision.HEAD:
        checks.append(search_check(database_url(str(path))))
    return checks


def _stored_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return None
        raise
    return row[0] if row else None


def migrations_check(stored: str | None) -> Check:
    from deskterm.store.migrate import SchemaError, pending_revisions

    if stored is None:
        return Check(
            "migrations",
            "warn",
            "no schema yet",
            "deskterm creates it on first use (or run deskterm db upgrade)",
        )
    try:
        pending = pending_revisions(stored)
    except SchemaError as error:
        return Check("migrations", "fail", str(error), "use the deskterm that wrote it")
    if pending:
        return Check(
            "migrations",
            "warn",
            f"at revision {stored}, {len(pending)} migration(s) pending ({', '.join(pending)})",
            "run deskterm db upgrade (it copies the database first)",
        )
    return Check("migrations", "ok", f"at revision {stored} (the newest)")


# --- the audit trail --------------------------------------------------------------------


class _SqliteRows:
    """Rows of a query as mappings, from a raw sqlite3 connection (doctor opens the file
    read-only itself) or, below, from an SQLAlchemy connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __call__(self, sql: str) -> Iterator[Mapping[str, Any]]:
        yield from self.connection.execute(sql)


class _ServerRows:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def __call__(self, sql: str) -> Iterator[Mapping[str, Any]]:
        result = self.connection.execution_options(yield_per=5000).execute(text(sql))
        yield from result.mappings()


_CASE_VERSIONS = (
    "SELECT c.number, c.version, max(e.version) AS newest, count(DISTINCT e.version) AS changes "
    "FROM cases c LEFT JOIN events e ON e.case_id = c.id "
    "GROUP BY c.id, c.number, c.version "
    "HAVING coalesce(max(e.version), -1) <> c.version OR count(DISTINCT e.version) <> c.version "
    "ORDER BY c.number LIMIT 1"
)


def audit_checks(rows: Any) -> list[Check]:
    """The hash chain of every case's events, and every case's version against them."""
    columns = ", ".join(("id", "hash", *chain.CONTENT))
    broken = chain.first_break(rows(f"SELECT {columns} FROM events ORDER BY case_id, id"))
    checks = []
    if broken is None:
        checks.append(Check("audit trail", "ok", "every event follows its case's hash chain"))
    else:
        number = next(iter(rows(f"SELECT number FROM cases WHERE id = {int(broken.case_id)}")))
        checks.append(
            Check(
                "audit trail",
                "fail",
                f"case {number['number']}: event {broken.event_id} (version {broken.version}, "
                f"{broken.kind}) does not follow its case's hash chain: an event was changed, "
                "removed or inserted behind deskterm's back",
                "stop every deskterm using it, keep this file as evidence (copy it), and "
                "restore the newest backup made before the change (deskterm restore FILE --force)",
            )
        )
    sql = _CASE_VERSIONS
    if "Server" in type(rows).__name__:
        sql = sql.replace(
            "c.version IS NOT max(e.version)", "c.version IS DISTINCT FROM max(e.version)"
        )
    wrong = next(iter(rows(sql)), None)
    if wrong is None:
        checks.append(Check("case versions", "ok", "every case's version matches its events"))
    else:
        checks.append(
            Check(
                "case versions",
                "fail",
                f"case {wrong['number']}: version {wrong['version']}, but its events record "
                f"{wrong['changes']} change(s) (the newest version {wrong['newest']})",
                "stop every deskterm using it and restore the newest backup "
                "(deskterm restore FILE --force)",
            )
        )
    return checks


# --- PostgreSQL -------------------------------------------------------------------------


def _server_checks(url: str) -> list[Check]:
    from sqlalchemy.exc import SQLAlchemyError

    from deskterm.store.engine import first_line, make_engine, printable_url

    shown = printable_url(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
        stored = revision.stored_revision(engine)
        audit: list[Check] = []
        if stored == revision.HEAD:
            with engine.connect() as connection:
                audit = audit_checks(_ServerRows(connection))
    except SQLAlchemyError as error:
        return [
            Check(
                "database connection",
                "fail",
                f"{shown}: {first_line(_cause(error))}",
                "check the URL (--db, DESKTERM_DB or the config), the server and your password",
            )
        ]
    finally:
        engine.dispose()
    checks = [
        Check("database connection", "ok", shown),
        Check("server version", "ok", f"PostgreSQL {version}"),
        migrations_check(stored),
        *audit,
    ]
    if stored == revision.HEAD:
        checks.append(search_check(url))
    return checks


def search_check(url: str) -> Check:
    """The full-text index holds exactly the words of the cases it indexes (SQLite: FTS5's
    integrity-check against its content; PostgreSQL: each stored tsvector recomputed)."""
    from sqlalchemy.exc import SQLAlchemyError

    from deskterm.store import search_index
    from deskterm.store.engine import make_engine

    engine = make_engine(url)
    try:
        found = search_index.problems(engine)
    except SQLAlchemyError as error:
        found = [f"cannot check it: {str(_cause(error)).splitlines()[0]}"]
    finally:
        engine.dispose()
    if found:
        return Check("search index", "fail", "; ".join(found), "run deskterm db reindex")
    return Check("search index", "ok", "matches the cases it indexes")


# --- policies and time zones ------------------------------------------------------------


def policy_checks(policy_dirs: Sequence[Path]) -> list[Check]:
    entries = PolicyCatalog(policy_dirs).entries()
    checks = []
    broken = [entry for entry in entries.values() if entry.policy is None]
    for entry in broken:
        checks.append(
            Check(
                f"policy {entry.name}",
                "fail",
                f"{entry.path}: {'; '.join(entry.problems)}",
                "fix the file (deskterm policy check FILE explains each problem)",
            )
        )
    loaded = [entry.policy for entry in entries.values() if entry.policy is not None]
    if not entries:
        searched = ", ".join(str(directory) for directory in policy_dirs)
        checks.append(
            Check("policies", "fail", f"no policy files in {searched}", "reinstall deskterm")
        )
    elif loaded:
        names = ", ".join(policy.name for policy in loaded)
        checks.append(Check("policies", "ok", f"{len(loaded)} load: {names}"))
    zones = sorted(
        {policy.timezone.key for policy in loaded}
        | {calendar.zone.key for policy in loaded for calendar in policy.calendars.values()}
    )
    checks.append(zone_check(zones))
    return checks


def zone_check(zones: Sequence[str]) -> Check:
    """The time zones the policies name load, and which tz database answers."""
    source = tz_database()
    failing = []
    for zone in zones:
        try:
            ZoneInfo(zone)
        except (KeyError, ValueError, OSError):
            failing.append(zone)
    if failing:
        return Check(
            "time zones",
            "fail",
            f"cannot load {', '.join(failing)} ({source})",
            "install the tzdata package (pip install tzdata) or the system's tzdata",
        )
    named = (
        f"{len(zones)} zone(s) the policies name load ({', '.join(zones)})"
        if zones
        else ("no policy names a zone")
    )
    return Check("time zones", "ok", f"{named}; {source}")


def _cause(error: Exception) -> BaseException:
    """The driver's own error under SQLAlchemy's wrapper, which adds the statement."""
    return error.orig if isinstance(error, StatementError) and error.orig else error


def tz_database() -> str:
    """Where zoneinfo finds zones, and the IANA release of that database."""
    for directory in TZPATH:
        version = _system_tz_version(Path(directory))
        if version is not None:
            return f"tz database {version} in {directory}"
    try:
        import tzdata
    except ImportError:
        return "no tz database found"
    return f"tz database {tzdata.IANA_VERSION} (tzdata package)"


def _system_tz_version(directory: Path) -> str | None:
    if not (directory / "UTC").exists():
        return None
    for name, prefix in (("tzdata.zi", "# version "), ("+VERSION", "")):
        try:
            first = (directory / name).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        if first.startswith(prefix):
            return first.removeprefix(prefix).strip()
    return "of unknown release"
