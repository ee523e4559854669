"""`deskterm case ...` and `deskterm sweep`: the case use cases from the command line.

The contract (issue 3): every write is one desk use case; bad input exits 2 with
one line on stderr and changes nothing (the root command reports every refusal,
see cli/output.py); `--json` prints the resulting case as
`deskterm.desk.queries` shapes it. Customer text reaches the terminal only
through `safe()` and as `rich.text.Text` (or `deskterm.cli.plain.Said`), never as
markup.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deskterm.cli import params
from deskterm.cli.case_render import (
    local,
    print_attachments,
    print_case,
    print_case_list,
    print_line,
    print_why,
    title,
)
from deskterm.cli.context import desk
from deskterm.cli.output import fail, print_json
from deskterm.desk import queries
from deskterm.desk.workflow import parse_status
from deskterm.sla.clocks import shown_clocks
from deskterm.units import human_size

if TYPE_CHECKING:
    from deskterm.desk.context import Desk
    from deskterm.models import Case
    from deskterm.sla.history import Status

# The write use cases (deskterm.desk.cases) and the sweep load the ORM: each command
# that writes imports them itself, so that `case show` and `case list` start fast.

app = typer.Typer(
    help="Support cases: open, list, show, work and explain them.", no_args_is_help=True
)


def done(the_desk: Desk, case: Case, line: str, as_json: bool) -> None:
    """What every write prints: the case in show form, or one short line."""
    if as_json:
        print_json(queries.show_case(the_desk, case.number))
        return
    print_line(f"{line} (version {case.version})")


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the resulting case as one JSON object.")
]
IfVersion = Annotated[
    int | None,
    typer.Option(
        "--if-version",
        parser=params.positive,
        help="Refuse the change unless the case is still at this version (no lost updates).",
    ),
]
Number = Annotated[
    int,
    typer.Argument(
        metavar="N",
        parser=params.case_number,
        help="Case number: 40100, #40100, 'Incident# 40100'.",
    ),
]


def _text_option(flag: str, text: str) -> Any:
    return typer.Option(flag, help=text)


# --- commands ----------------------------------------------------------------------


@app.command("new")
def new(
    ctx: typer.Context,
    org: Annotated[
        str | None, typer.Option("--org", help="The organization (see deskterm org add).")
    ] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help="The contact at the organization.")
    ] = None,
    severity: Annotated[
        int | None,
        typer.Option(
            "--severity", parser=params.severity, help="Severity level: 1, 'Sev 1' or 'P1'."
        ),
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="One line saying what is wrong.")
    ] = None,
    description: Annotated[str, typer.Option("--description", help="The report in full.")] = "",
    received: Annotated[
        datetime | None,
        typer.Option(
            "--received",
            parser=params.instant,
            help="When the report came in, ISO 8601 with offset (default: now).",
        ),
    ] = None,
    override: Annotated[
        str | None,
        typer.Option(
            "--override", help="Entitlement override for an expired contract: its reason."
        ),
    ] = None,
    supervisor: Annotated[
        str | None,
        typer.Option("--supervisor", help="Who authorised the --override (the supervisor)."),
    ] = None,
    checklist_done: Annotated[
        bool,
        typer.Option(
            "--checklist-done",
            help="Severity 1: the phone call's checklist was run (else it is recorded as not).",
        ),
    ] = False,
    inquirer: Annotated[str | None, _text_option("--inquirer", "Who reported it.")] = None,
    product: Annotated[str | None, _text_option("--product", "The product.")] = None,
    product_version: Annotated[
        str | None, _text_option("--version", "The product version.")
    ] = None,
    error_messages: Annotated[
        str | None, _text_option("--error-messages", "Error messages seen.")
    ] = None,
    steps: Annotated[str | None, _text_option("--steps", "Steps to reproduce.")] = None,
    actions_before: Annotated[
        str | None, _text_option("--actions-before", "What was done just before.")
    ] = None,
    changes_made: Annotated[str | None, _text_option("--changes-made", "Recent changes.")] = None,
    persisted_for: Annotated[
        str | None, _text_option("--persisted-for", "How long it has persisted.")
    ] = None,
    operating_system: Annotated[str | None, _text_option("--os", "Operating system.")] = None,
    server_roles: Annotated[str | None, _text_option("--server-roles", "Server roles.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Log a new case; its clocks start when it was received.

    With no options on a terminal: the console's new-case form.
    """
    given_any = any(
        value not in (None, "", False)
        for name, value in locals().items()
        if name not in ("ctx", "given_any")
    )
    if not given_any and sys.stdin.isatty() and sys.stdout.isatty():
        from deskterm.cli.context import options
        from deskterm.console import run_console

        given = options(ctx)
        raise typer.Exit(run_console(given.db, given.as_user, start="new"))
    for flag, value in (
        ("--org", org),
        ("--contact", contact),
        ("--severity", severity),
        ("--subject", subject),
    ):
        if value is None:
            fail(f"{flag} is required (or run deskterm case new on a terminal, with no options)")
    assert org is not None and contact is not None and severity is not None
    assert subject is not None
    if not contact.strip():
        fail("--contact is empty: name a contact of the organization")
    if supervisor is not None and override is None:
        fail("--supervisor names who authorised an --override: give its reason with --override")
    if checklist_done and severity != 1:
        fail("--checklist-done is for a Severity 1 case (the phone call's checklist)")
    typed = {
        "inquirer": inquirer,
        "product": product,
        "product_version": product_version,
        "error_messages": error_messages,
        "steps_to_reproduce": steps,
        "actions_before": actions_before,
        "changes_made": changes_made,
        "persisted_for": persisted_for,
        "operating_system": operating_system,
        "server_roles": server_roles,
    }
    intake = {name: value for name, value in typed.items() if value is not None}
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.open_case(
        the_desk,
        organization=org,
        contact=contact,
        severity=severity,
        subject=subject,
        description=description,
        received=received,
        intake=intake,
        entitlement_override=override,
        supervisor=supervisor,
        sev1_checklist=checklist_done if severity == 1 else None,
    )
    if severity == 1 and not checklist_done:
        typer.echo(
            f"deskterm: warning: {title(case.number)} is Severity 1 without the phone checklist "
            "(recorded on the case; deskterm sev1 runs it, --checklist-done says it was run)",
            err=True,
        )
    label = the_desk.case_policy(case).label(case.severity)
    due = f", next due {local(case.next_due)}" if case.next_due else ""
    done(the_desk, case, f"{title(case.number)} opened: {label} for {org}{due}", as_json)


@app.command("list")
def list_cases(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only this status: a token (waiting-on-customer), its short form (waiting) "
            "or its name (Customer Information Requested); closed lists closed cases.",
        ),
    ] = None,
    severity: Annotated[
        int | None,
        typer.Option("--severity", parser=params.severity, help="Only this severity level."),
    ] = None,
    assignee: Annotated[
        str | None,
        typer.Option("--assignee", help="Only cases of this user; 'none' for unassigned."),
    ] = None,
    breached: Annotated[
        bool,
        typer.Option("--breached", help="Only cases past a first-response or update deadline."),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", parser=params.positive, help="At most this many cases."),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Closed cases too (by default: open cases only).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list of cases.")] = False,
) -> None:
    """What the console's "All open" view lists: open cases by next deadline, soonest
    first, cases without one last. Closed ones with --status closed or --all."""
    if status is not None:
        parse_status(status)
    the_desk = desk(ctx)
    rows = queries.list_cases(
        the_desk,
        status=status,
        severity=severity,
        assignee=assignee,
        breached=breached,
        limit=limit,
        open_only=not every and status is None,
    )
    if as_json:
        print_json(rows)
        return
    scope = "cases" if every or status is not None else "open cases (the console's All open view)"
    more = "" if every or status is not None else "; closed ones with --status closed or --all"
    print_case_list(rows, scope, more)


@app.command("show")
def show(
    ctx: typer.Context,
    number: Number,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Everything about a case: fields, intake, clocks and its timeline."""
    the_desk = desk(ctx)
    detail = queries.show_case(the_desk, number)
    if as_json:
        print_json(detail)
        return
    print_case(detail)


@app.command("reply")
def reply(
    ctx: typer.Context,
    number: Number,
    text: Annotated[
        str | None,
        typer.Argument(help="The reply to the customer (public); or --template."),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option("--template", help="A canned reply, filled in (see deskterm template list)."),
    ] = None,
    values: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="NAME=VALUE",
            parser=params.assignment,
            help="A placeholder's value (repeatable).",
        ),
    ] = None,
    no_move: Annotated[
        bool,
        typer.Option("--no-move", help="Leave the status where it is (a template's move)."),
    ] = False,
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Reply to the customer: a response (stops the first-response clock)."""
    from deskterm.desk.outbox import last_mail_outcome

    if (text is None) == (template is None):
        fail("give the reply's TEXT or --template NAME (one of them)")
    if values and template is None:
        fail("--set fills a template's placeholders: give --template NAME")
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    move = None
    if template is not None:
        text, move = _from_template(the_desk, number, template, values or [])
    assert text is not None
    case = use_cases.reply(
        the_desk, number, text, expected_version=if_version, move=None if no_move else move
    )
    said = f"{title(case.number)}: reply {last_mail_outcome(the_desk, case.number)}"
    if move is not None and not no_move:
        said += f", status {case.status}"
    done(the_desk, case, said, as_json)


def _from_template(
    the_desk: Desk, number: int, name: str, values: list[str]
) -> tuple[str, Status | None]:
    """A template's text filled in for the case; every placeholder without a value named."""
    from deskterm.cli.templates import catalog
    from deskterm.desk import templates

    chosen = templates.get_template(catalog(), name)
    detail = queries.show_case(the_desk, number)
    filled_in = templates.case_values(detail, the_desk.actor, the_desk.policy(detail["policy"]))
    for item in values:
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or key not in templates.PLACEHOLDERS:
            fail(
                f"--set {item!r}: give NAME=VALUE with NAME one of "
                f"{', '.join(templates.PLACEHOLDERS)}"
            )
        filled_in[key] = value
    filled = templates.fill(chosen.body, filled_in)
    if filled.missing:
        fail(templates.missing_line(chosen.name, filled.missing))
    return filled.text, chosen.move


@app.command("note")
def note(
    ctx: typer.Context,
    number: Number,
    text: Annotated[str, typer.Argument(help="The note (internal: never shown to the customer).")],
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Add an internal note: stops no clock."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.note(the_desk, number, text, expected_version=if_version)
    done(the_desk, case, f"{title(case.number)}: internal note added", as_json)


@app.command("call")
def call(
    ctx: typer.Context,
    number: Number,
    summary: Annotated[str, typer.Option("--summary", help="What was said.")],
    who: Annotated[str | None, typer.Option("--with", help="Who was on the call.")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="What came of it.")] = None,
    to_customer: Annotated[
        bool,
        typer.Option("--to-customer", help="Also mail the summary to the case's contact."),
    ] = False,
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Log a phone call with the customer: counts as a response."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.log_call(
        the_desk,
        number,
        summary,
        who=who,
        outcome=outcome,
        to_customer=to_customer,
        expected_version=if_version,
    )
    done(the_desk, case, f"{title(case.number)}: call logged", as_json)


@app.command("move")
def move(
    ctx: typer.Context,
    number: Number,
    status: Annotated[
        str, typer.Argument(help="The new status, e.g. open or waiting-on-customer.")
    ],
    note_text: Annotated[str | None, typer.Option("--note", help="Why, for the timeline.")] = None,
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Move the case along the workflow (refused moves name the allowed ones)."""
    target = parse_status(status)
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.move(the_desk, number, target, note_text, expected_version=if_version)
    done(the_desk, case, f"{title(case.number)} moved to {case.status}", as_json)


@app.command("severity")
def change_severity(
    ctx: typer.Context,
    number: Number,
    level: Annotated[
        int,
        typer.Argument(
            metavar="LEVEL", parser=params.severity, help="The new severity: 1, 'Sev 1' or 'P1'."
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why the severity changes (required).")],
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Change the severity; the clocks follow the policy's rule."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.change_severity(the_desk, number, level, reason, expected_version=if_version)
    label = the_desk.case_policy(case).label(case.severity)
    done(the_desk, case, f"{title(case.number)} is now {label}", as_json)


@app.command("assign")
def assign(
    ctx: typer.Context,
    number: Number,
    user: Annotated[str, typer.Argument(help="Who takes the case.")],
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Give the case to a user."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.assign(the_desk, number, user, expected_version=if_version)
    done(the_desk, case, f"{title(case.number)} assigned to {case.assignee}", as_json)


@app.command("take")
def take(
    ctx: typer.Context,
    number: Number,
    from_holder: Annotated[
        bool,
        typer.Option("--from-holder", help="Take it even though someone else holds it."),
    ] = False,
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Take the case yourself (the --as user); a colleague's case needs --from-holder."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.take(the_desk, number, expected_version=if_version, from_holder=from_holder)
    done(the_desk, case, f"{title(case.number)} assigned to {case.assignee}", as_json)


@app.command("release")
def release(
    ctx: typer.Context, number: Number, if_version: IfVersion = None, as_json: JsonOption = False
) -> None:
    """Give the case back to the queue (unassigned)."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.release(the_desk, number, expected_version=if_version)
    done(the_desk, case, f"{title(case.number)} released (unassigned)", as_json)


@app.command("escalate")
def escalate(
    ctx: typer.Context,
    number: Number,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it needs the next level (required).")
    ],
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """One step up: support engineer -> product support engineer -> supervisor."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.escalate(the_desk, number, reason, expected_version=if_version)
    done(the_desk, case, f"{title(case.number)} escalated to {case.escalation}", as_json)


@app.command("split")
def split(
    ctx: typer.Context,
    number: Number,
    subject: Annotated[str, typer.Option("--subject", help="The subject of the new case.")],
    description: Annotated[
        str, typer.Option("--description", help="What the new case is about.")
    ] = "",
    if_version: IfVersion = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the new case as one JSON object.")
    ] = False,
) -> None:
    """Split part of a case into a new case (one issue, one case)."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    child = use_cases.split(the_desk, number, subject, description, expected_version=if_version)
    done(the_desk, child, f"{title(child.number)} split from {title(number)}", as_json)


@app.command("customer-reply")
def customer_reply(
    ctx: typer.Context,
    number: Number,
    text: Annotated[str, typer.Argument(help="What the customer wrote.")],
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Record the customer's answer: their clock stops; a waiting case reopens."""
    from deskterm.desk import cases as use_cases

    the_desk = desk(ctx)
    case = use_cases.customer_reply(the_desk, number, text, expected_version=if_version)
    done(
        the_desk,
        case,
        f"{title(case.number)}: customer reply recorded, status {case.status}",
        as_json,
    )


@app.command("attach")
def attach(
    ctx: typer.Context,
    number: Number,
    path: Annotated[str, typer.Argument(metavar="PATH", help="The file to attach (a log, say).")],
    name: Annotated[
        str | None,
        typer.Option("--name", help="What to call the attachment (default: the file's name)."),
    ] = None,
    if_version: IfVersion = None,
    as_json: JsonOption = False,
) -> None:
    """Attach a file: copied into deskterm's store under its SHA-256 (limit: 20 MB,
    or DESKTERM_ATTACHMENT_LIMIT)."""
    from deskterm.desk import attachments as files

    the_desk = desk(ctx)
    attachment, version = files.attach_versioned(
        the_desk, number, path, name=name, expected_version=if_version
    )
    detail = queries.show_case(the_desk, number)
    if as_json:
        print_json(detail)
        return
    line = (
        f"{title(number)}: attached {attachment.name} "
        f"({human_size(attachment.size)}, sha256 {attachment.sha256[:12]}) "
        f"(version {version})"
    )
    print_line(line)


@app.command("attachments")
def list_attachments(
    ctx: typer.Context,
    number: Number,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON list of the case's attachments.")
    ] = False,
) -> None:
    """The files attached to a case, oldest first."""
    from deskterm.desk import attachments as files

    the_desk = desk(ctx)
    attached = files.attachments_of(the_desk, number)
    rows = [files.attachment_json(the_desk, attachment) for attachment in attached]
    if as_json:
        print_json(rows)
        return
    print_attachments(number, rows)


@app.command("why")
def why(
    ctx: typer.Context,
    number: Number,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Each clock's deadline, explained in words."""
    the_desk = desk(ctx)
    case, policy, clocks = queries.explain_case(the_desk, number)
    if as_json:
        print_json(
            {
                "number": case.number,
                "policy": policy.name,
                "severity": case.severity,
                "severity_label": policy.label(case.severity),
                "status": case.status,
                "version": case.version,
                "clocks": {
                    kind.value: queries.clock_json(clocks[kind]) for kind in shown_clocks(clocks)
                },
            }
        )
        return
    print_why(case, policy, clocks)


def sweep_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="The counts as one JSON object.")] = False,
) -> None:
    """Record breaches, apply customer timeouts, send auto-close notices and close."""
    import dataclasses

    from deskterm.desk.sweep import sweep

    the_desk = desk(ctx)
    report = sweep(the_desk)
    if as_json:
        print_json(dataclasses.asdict(report))
        return
    typer.echo(report.summary())
