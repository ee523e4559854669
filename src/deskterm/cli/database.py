"""`deskterm db ...`: the database schema (Alembic revisions).

These commands open the engine themselves: the usual way in (`Options.desk`)
upgrades on open, which would leave `db upgrade` nothing to say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from deskterm import clock
from deskterm.cli.context import options
from deskterm.cli.output import fail, print_json
from deskterm.opening import open_engine, refuse_foreign
from deskterm.store.engine import printable_url
from deskterm.store.faults import explain
from deskterm.store.migrate import (
    SchemaError,
    current_revision,
    head_revision,
    pending_revisions,
    upgrade,
)

app = typer.Typer(help="The database schema.", no_args_is_help=True)


def _url(ctx: typer.Context) -> str:
    return options(ctx).url()


def _missing_file(url: str) -> Path | None:
    """The SQLite file the URL names, when it does not exist yet."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _explained(error: BaseException, url: str) -> str:
    return explain(error, make_url(url).database)


def _engine(url: str) -> Engine:
    return open_engine(url)


def _pending(current: str | None) -> list[str]:
    try:
        return pending_revisions(current)
    except SchemaError as error:
        fail(str(error))


def _current(engine: Engine, url: str) -> str | None:
    try:
        return current_revision(engine)
    except (DBAPIError, OSError) as error:
        fail(f"cannot read the database {printable_url(url)}: {_explained(error, url)}")


@app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The database's schema revision against the newest this deskterm knows."""
    url = _url(ctx)
    head = head_revision()
    missing = _missing_file(url)
    current = None if missing else _current(_engine(url), url)
    pending = _pending(current)
    if as_json:
        report: dict[str, Any] = {
            "database": printable_url(url),
            "exists": missing is None,
            "current": current,
            "head": head,
            "pending": pending,
        }
        print_json(report)
        return
    typer.echo(f"database: {printable_url(url)}" + (" (does not exist yet)" if missing else ""))
    typer.echo(f"current revision: {current or 'none (no schema)'}")
    typer.echo(f"head revision: {head}")
    if pending:
        typer.echo(
            f"{len(pending)} migration(s) pending ({', '.join(pending)}): run deskterm db upgrade"
        )
    else:
        typer.echo("up to date")


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Apply pending migrations (an existing SQLite database is copied first)."""
    url = _url(ctx)
    engine = _engine(url)
    before = _current(engine, url)
    head = head_revision()
    if before == head:
        typer.echo(f"already at revision {head}")
        return
    _pending(before)  # refuses a revision this deskterm does not know
    try:
        refuse_foreign(engine, url)
    except DBAPIError as error:
        fail(f"cannot read the database {printable_url(url)}: {_explained(error, url)}")
    try:
        backup = upgrade(engine, clock.now())
    except (DBAPIError, OSError, SchemaError) as error:
        fail(f"cannot upgrade the database {printable_url(url)}: {_explained(error, url)}")
    if before is None:
        typer.echo(f"created the schema at revision {head} in {printable_url(url)}")
    elif backup is not None:
        typer.echo(f"upgraded to {head}, backup at {backup} (was at {before})")
    else:
        typer.echo(f"upgraded to {head} (was at {before})")


@app.command("recount")
def recount_command(ctx: typer.Context) -> None:
    """Rewrite the desk's counters from its cases and its SLA outcomes from the cases'
    events (when deskterm doctor finds them wrong)."""
    from deskterm import settings
    from deskterm.desk import clock_outcomes, counts, first_response_states, outcomes
    from deskterm.desk.policy_versions import Versions
    from deskterm.sla.catalog import PolicyCatalog

    url = _url(ctx)
    engine = _engine(url)
    if _current(engine, url) != head_revision():
        fail("the schema is not current: run deskterm db upgrade first")
    catalog = PolicyCatalog(settings.policy_dirs())
    try:
        wrong = counts.differences_on(engine) + counts.promise_differences_on(engine)
        counts.rebuild(engine)
        with engine.begin() as connection:
            # Each case under the versions it ran under (desk/outcomes.py CasePolicies).
            policy_of = outcomes.CasePolicies.of_desk(connection, catalog)
            stored = outcomes.rebuild(
                connection,
                policy_of,
                clock.now(),
                outcomes.progress_bar("recounting first-response outcomes"),
            )
            stored += clock_outcomes.fill(
                connection,
                policy_of,
                clock.now(),
                outcomes.progress_bar("recounting update, resolution and next-response outcomes"),
            )
            states = first_response_states.rebuild(
                connection,
                Versions.of_desk(connection, catalog).for_case,
                outcomes.progress_bar("recounting first-response states"),
            )
    except DBAPIError as error:
        fail(f"cannot recount {printable_url(url)}: {explain(error)}")
    typer.echo(
        f"recounted: {len(wrong)} counter(s) were wrong, now equal to the cases; "
        f"{stored} SLA outcome(s) were missing or wrong, now equal to the events"
        + (f"; the first-response states of {states} case(s) were rewritten" if states else "")
    )


@app.command("reindex")
def reindex_command(ctx: typer.Context) -> None:
    """Rebuild the search index from the cases, a batch at a time with progress (an
    interrupted rebuild goes on where it stopped, here or when the desk next opens)."""
    from deskterm.cli.context import desk
    from deskterm.store import search_index
    from deskterm.store.migrate import build_search_index

    engine = desk(ctx).engine  # brought up to date: the index exists
    with engine.connect() as connection:
        state = search_index.backlog(connection)
    if state is None or state.empty:
        search_index.reset(engine)
    try:
        indexed = build_search_index(engine)
    except (DBAPIError, OSError) as error:
        fail(f"cannot rebuild the search index: {explain(error)}")
    typer.echo(f"indexed {indexed:,} text(s)")
