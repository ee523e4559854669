"""`deskterm policy ...`: list, show and check SLA policies, and ask when a case falls due."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from deskterm import settings
from deskterm.cli import params
from deskterm.cli.output import console, fail, fail_lines, print_json
from deskterm.desk.limits import quoted
from deskterm.instants import to_iso
from deskterm.sla import CaseHistory, Clock, ClockKind, Policy, PolicyError, compute_clocks
from deskterm.sla.catalog import PolicyCatalog, UnknownPolicy
from deskterm.sla.duration import NoTarget, Target

if TYPE_CHECKING:  # the desk loads only when a command needs it (start-up stays light)
    from deskterm.desk.context import Desk

app = typer.Typer(help="SLA policies: the support contracts as data.", no_args_is_help=True)


def catalog() -> PolicyCatalog:
    return settings.policy_catalog()


def resolve(name_or_file: str) -> Policy:
    try:
        return catalog().get(name_or_file)
    except UnknownPolicy as error:
        fail(str(error))
    except PolicyError as error:
        fail(
            f"policy {quoted(name_or_file)} has problems: {error.problems[0]} "
            "(deskterm policy check FILE lists every one)"
        )


def _target(target: Target) -> str:
    return "-" if isinstance(target, NoTarget) else str(target)


@app.command("list")
def list_policies(ctx: typer.Context) -> None:
    """Every policy deskterm can find, the file it comes from, and the version in use."""
    table = Table("name", "levels", "title", "source", "in use", box=None, pad_edge=False)
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    presets = settings.packaged_policy_dir()
    found = catalog()
    in_use = _versions_in_use(ctx, found)
    for entry in found.entries().values():
        source = "preset" if entry.path.parent == presets else str(entry.path)
        version, differs = in_use.get(entry.name, (None, False))
        used = "-" if version is None else f"v{version}" + (" (file differs)" if differs else "")
        if entry.policy is None:
            table.add_row(
                Text(entry.name), "", Text("BROKEN: run deskterm policy check"), Text(source), used
            )
            continue
        policy = entry.policy
        table.add_row(
            Text(policy.name), policy.level_range(), Text(policy.title), Text(source), used
        )
    console().print(table)


def _versions_in_use(ctx: typer.Context, found: PolicyCatalog) -> dict[str, tuple[int, bool]]:
    """Name -> (newest stored version, whether the file differs from it); nothing for a
    desk that does not exist yet (listing policies creates no database)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from deskterm.cli.context import options
    from deskterm.desk import policy_versions
    from deskterm.store.engine import make_engine

    url = options(ctx).url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return {}
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            newest = policy_versions.newest_versions(connection)
        differ = {entry.name for entry in policy_versions.drift(engine, found)}
    except SQLAlchemyError:  # an old schema, an unreachable server: no column then
        return {}
    finally:
        engine.dispose()
    return {name: (version, name in differ) for name, version in newest.items()}


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="Policy name or .toml file.")]) -> None:
    """The policy's calendars and its target matrix."""
    policy = resolve(name)
    out = console()
    out.print(Text(f"{policy.name}: {policy.title}", style="bold"))
    out.print(Text(f"zone {policy.timezone.key}, from {policy.source}"))
    calendars = Table("calendar", "open", title="Calendars", title_justify="left", box=None)
    for calendar in policy.calendars.values():
        calendars.add_row(Text(calendar.name), Text(calendar.describe_hours()))
    out.print(calendars)
    matrix = Table(
        "level",
        "name",
        "calendar",
        "first response",
        "customer response",
        "update every",
        "phone",
        title="Targets",
        title_justify="left",
    )
    for level in policy.severities.values():
        matrix.add_row(
            policy.label(level.level),
            Text(level.name),
            Text(level.calendar.name),
            _target(level.first_response),
            _target(level.customer_response),
            _target(level.update_every),
            "Sev 1 checklist" if level.phone_intake else "",
        )
    out.print(matrix)
    for level in policy.severities.values():
        # The optional clocks, only where a level has them (most policies do not).
        extra = [
            f"{words} {level_target}"
            for words, level_target in (
                ("resolution within", level.resolution),
                ("each customer message answered within", level.next_response),
            )
            if not isinstance(level_target, NoTarget)
        ]
        if extra:
            out.print(Text(f"{policy.label(level.level)}: " + "; ".join(extra) + "."))
    for level in policy.severities.values():
        if level.meaning:
            out.print(Text(f"{policy.label(level.level)}: {level.meaning}"))
    rule = policy.auto_close
    if rule is not None:
        out.print(
            Text(
                f"Auto-close ({rule.calendar.name}): {_target(rule.resolved_after)} after resolved, "
                f"{_target(rule.waiting_after)} after waiting on the customer, "
                f"notice {_target(rule.notice_before)} before."
            )
        )
    out.print(
        Text(
            f"Rules: severity change {policy.rules.severity_change}s the clocks; "
            f"customer timeout: {policy.rules.customer_timeout}; "
            + (
                "update and resolution clocks paused while "
                + " or ".join(sorted(policy.rules.pause_statuses))
                if policy.rules.pause_statuses
                else "no status pauses a clock"
            )
            + "."
        )
    )
    if policy.email_severity is not None:
        out.print(
            Text(
                f"Mail from a known contact opens a case at {policy.label(policy.email_severity)}."
            )
        )


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(parser=params.path, help="The policy file to check.")],
) -> None:
    """Validate a policy file: exit 0 with a summary, or 2 with every problem."""
    try:
        policy = catalog().load_file(file)
    except PolicyError as error:
        fail_lines(error.problems)
    for warning in policy.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"{file}: ok: policy {policy.name!r}, {len(policy.severities)} severities "
        f"({policy.level_range()}), "
        f"{len(policy.calendars)} calendar(s)"
    )


@app.command("due")
def due(
    policy_name: Annotated[str, typer.Option("--policy", help="Policy name or .toml file.")],
    severity: Annotated[
        int, typer.Option("--severity", parser=params.severity, help="Severity level, e.g. 1.")
    ],
    received: Annotated[
        datetime, typer.Option("--received", parser=params.instant, help="ISO 8601 with offset.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """When each clock of a case received at that instant would fall due."""
    policy = resolve(policy_name)
    if severity not in policy.severities:
        levels = ", ".join(str(n) for n in policy.severities)
        fail(f"--severity: policy {policy.name!r} has no severity {severity} (levels: {levels})")
    level = policy.level(severity)
    clocks = compute_clocks(policy, CaseHistory(received=received, severity=level.level), received)
    first = clocks[ClockKind.FIRST_RESPONSE]
    if as_json:
        print_json(_due_json(policy, level.level, received, first))
        return
    _print_due(policy, level.level, received, first)


def _due_json(policy: Policy, severity: int, received: datetime, first: Clock) -> dict[str, Any]:
    level = policy.level(severity)
    rule = policy.auto_close
    return {
        "policy": policy.name,
        "severity": severity,
        "label": policy.label(severity),
        "received": to_iso(received),
        "clock_starts": to_iso(first.started),
        "first_response_due": to_iso(first.due),
        "first_response_target": str(level.first_response),
        "customer_response_target": None
        if isinstance(level.customer_response, NoTarget)
        else str(level.customer_response),
        "update_every": None
        if isinstance(level.update_every, NoTarget)
        else str(level.update_every),
        "auto_close": None
        if rule is None
        else {
            "resolved_after": _json_target(rule.resolved_after),
            "waiting_after": _json_target(rule.waiting_after),
            "notice_before": _json_target(rule.notice_before),
        },
        "calendar": level.calendar.name,
        "calendar_closed_at_received": first.calendar_closed,
        "explanation": first.explanation,
    }


def _json_target(target: Target) -> str | None:
    return None if isinstance(target, NoTarget) else str(target)


def _print_due(policy: Policy, severity: int, received: datetime, first: Clock) -> None:
    level = policy.level(severity)
    zone = level.calendar.zone
    out = console()

    def local(instant: datetime | None) -> str:
        if instant is None:
            return "-"
        value = instant.astimezone(zone)
        return f"{value:%a %d %b %Y %H:%M} {value.tzname()}"

    heading = f"{policy.name}: {policy.label(severity)}"
    if level.name:
        heading += f" {level.name}"
    out.print(Text(f"{heading}, received {local(received)}", style="bold"))
    rows = Table(box=None, show_header=False, pad_edge=False)
    rows.add_row("clock starts", local(first.started))
    rows.add_row("first response", f"{local(first.due)}  ({level.first_response})")
    rows.add_row("", Text(first.explanation))
    if not isinstance(level.customer_response, NoTarget):
        rows.add_row(
            "customer response",
            Text(
                f"{level.customer_response} of {level.calendar.title} once the case waits on the customer"
            ),
        )
    if not isinstance(level.update_every, NoTarget):
        rows.add_row(
            "update",
            Text(f"every {level.update_every} of {level.calendar.title} after each response"),
        )
    rule = policy.auto_close
    if rule is not None:
        rows.add_row(
            "auto-close",
            Text(
                f"{_target(rule.resolved_after)} after resolved, {_target(rule.waiting_after)} "
                f"after waiting on the customer ({rule.calendar.title}); "
                f"notice {_target(rule.notice_before)} before"
            ),
        )
    out.print(rows)


def _edited(name: str, file: Path | None) -> Policy:
    """The edited policy: FILE, else the policy's file as the catalog finds it."""
    if file is None:
        return resolve(name)
    try:
        edited = catalog().load_file(file)
    except PolicyError as error:
        fail_lines(error.problems)
    if edited.name != name:
        fail(f"{file} is policy {edited.name!r}, not {name!r}")
    return edited


def _in_use(the_desk: Desk, name: str) -> Policy:
    """The version new cases of `name` start under (its file, if never stored)."""
    from deskterm.desk.errors import DeskError

    try:
        return the_desk.policy(name)
    except DeskError as error:
        fail(str(error))


def _named(policy: Policy) -> str:
    return f"version {policy.version} ({policy.source})" if policy.version else policy.source


@app.command("diff")
def diff(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The policy in use, by name.")],
    file: Annotated[
        Path | None,
        typer.Argument(
            parser=params.path, help="The edited policy file (default: the policy's own file)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object, with every case that moves.")
    ] = False,
) -> None:
    """What an edited policy changes against the version in use, and how it would move
    the open cases' deadlines."""
    from deskterm.cli.context import desk
    from deskterm.desk import policy_impact

    the_desk = desk(ctx)
    current = _in_use(the_desk, name)
    edited = _edited(name, file)
    found = policy_impact.impact(the_desk, current, edited)
    if as_json:
        print_json({**found.json(), "version_in_use": current.version})
        return
    out = console()
    out.print(Text(f"policy {current.name}: {_named(current)} -> {edited.source}", style="bold"))
    for line in found.changes or ["no change to targets, hours, holidays or rules"]:
        out.print(Text(f"  {line}"))
    summary = found.summary()
    out.print(
        Text(
            f"{found.open_cases} open case(s): {found.earlier} deadline(s) earlier, "
            f"{found.later} later, {found.unchanged} unchanged"
            + (f", {found.gained} gained" if found.gained else "")
            + (f", {found.lost} lost" if found.lost else "")
        )
    )
    if found.moves:
        out.print(
            Text(
                "moves: min "
                + policy_impact.format_shift(summary["min_seconds"])
                + ", median "
                + policy_impact.format_shift(summary["median_seconds"])
                + ", max "
                + policy_impact.format_shift(summary["max_seconds"])
            )
        )
    breached = found.breach_at_once
    out.print(
        Text(
            f"breached at once: {len(breached)}"
            + (": " + ", ".join(str(n) for n in sorted(breached)[:20]) if breached else "")
            + (" ..." if len(breached) > 20 else "")
        )
    )
    table = Table("case", "due now", "would be due", "move", box=None)
    for move in found.largest():
        table.add_row(
            str(move.number),
            to_iso(move.old_due) or "-",
            to_iso(move.new_due) or "-",
            policy_impact.format_shift(move.seconds),
        )
    if found.moves:
        out.print(table)
    out.print(
        Text(f"impact hash {found.json()['impact_hash']}; computed in {found.seconds_taken:.1f} s")
    )


@app.command("apply")
def apply(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The policy, by name.")],
    file: Annotated[
        Path | None,
        typer.Argument(
            parser=params.path, help="The edited policy file (default: the policy's own file)."
        ),
    ] = None,
    new_cases_only: Annotated[
        bool,
        typer.Option(
            "--new-cases-only", help="Open cases keep their version; new cases start on it."
        ),
    ] = False,
    if_impact_hash: Annotated[
        str | None,
        typer.Option(
            "--if-impact-hash",
            help="Refuse unless the impact is still the one policy diff printed with this hash.",
        ),
    ] = None,
) -> None:
    """Store the edited policy as the next version and move the open cases to it, in one
    transaction (a POLICY event on each case names its old and new due)."""
    from deskterm.cli.context import desk
    from deskterm.desk import policy_apply
    from deskterm.desk.errors import DeskError

    the_desk = desk(ctx)
    edited = _edited(name, file)
    try:
        done = policy_apply.apply(
            the_desk, edited, new_cases_only=new_cases_only, if_impact_hash=if_impact_hash
        )
    except DeskError as error:
        fail(str(error))
    stored = "stored as" if done.stored else "already"
    if done.new_cases_only:
        typer.echo(
            f"policy {done.policy}: {edited.source} {stored} version {done.version}; "
            "open cases keep their version, new cases start under it"
        )
        return
    typer.echo(
        f"policy {done.policy}: {edited.source} {stored} version {done.version}; "
        f"{done.moved} open case(s) moved to it, {done.due_moved} with a new deadline"
    )
