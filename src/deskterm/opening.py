"""Opening the desk a command or the console works on: the database (from --db,
DESKTERM_DB, the config or the default), who acts, the settings, the schema.

Every way this can fail is one `OpenError` whose message says why in words (a
directory given as the database, a file that is not a database, a URL deskterm
cannot use, a server that does not answer); the command line and the console
each say it in one line and exit 2, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from deskterm import clock, settings
from deskterm.desk.context import Desk
from deskterm.errors import UserError
from deskterm.store import revision
from deskterm.store.engine import (
    create_database_folder,
    database_url,
    make_engine,
    printable_url,
)
from deskterm.store.faults import explain

BACKENDS = ("sqlite", "postgresql")
URL_EXAMPLE = "a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"


class OpenError(UserError):
    """The desk cannot be opened; the message says why. Nothing was written."""


def location(db: str | None) -> str:
    """`--db`, else DESKTERM_DB, else `database` in the config files, else the default."""
    if db is not None and not db.strip():
        raise OpenError("--db is empty: name a database file or URL (or leave --db out)")
    try:
        return settings.database_location(db)
    except settings.SettingError as error:
        raise OpenError(str(error)) from None


def url_of(where: str) -> str:
    """The SQLAlchemy URL of a location, refused when it cannot name a desk."""
    try:
        url = database_url(where)
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise OpenError(f"{where!r} is not a database ({URL_EXAMPLE})") from None
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise OpenError(
            f"{printable_url(url)}: deskterm keeps its desk in SQLite or PostgreSQL ({URL_EXAMPLE})"
        )
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        _check_file(Path(parsed.database))
    return url


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise OpenError(
            f"{path} is a directory: name the database file in it (e.g. {path / 'deskterm.db'})"
        )
    folder = path.parent
    # The default place is made on first use; a path someone typed is not: a typo
    # must not leave a new empty desk (and its directories) behind.
    if not folder.is_dir() and path != settings.default_database():
        what = "is not a directory" if folder.exists() else "does not exist"
        raise OpenError(f"{folder} {what}: name a database file in an existing directory")


def cannot_open(url: str, why: str) -> OpenError:
    return OpenError(f"cannot open the database {printable_url(url)}: {why}")


def open_engine(url: str) -> Engine:
    """The engine, its schema brought up to date (after a backup copy); see `opened`."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            path = Path(parsed.database)
            if path == settings.default_database() and not path.parent.exists():
                # The default place is made on first use (url_of refuses a typed
                # path in a missing folder); nothing else creates a desk's folder.
                create_database_folder(path)
        return make_engine(url)
    except NoSuchModuleError as error:
        raise cannot_open(url, str(error)) from None
    except (DBAPIError, OSError) as error:
        raise cannot_open(url, explain(error, make_url(url).database)) from None


def upgraded(engine: Engine, url: str) -> Path | None:
    """Apply pending migrations (Alembic is imported only then); the backup made, if any."""
    try:
        schema = revision.check(engine)  # one query when nothing is due
        if schema.current:
            if schema.index_unfinished:
                _finish_search_index(engine)
            return None
        refuse_foreign(engine, url)
        # Only now pay for Alembic: a pending migration, applied after a backup copy.
        from deskterm.store.migrate import SchemaError, upgrade

        try:
            return upgrade(engine, clock.now())
        except SchemaError as error:
            raise OpenError(f"{printable_url(url)}: {error}") from None
    except (DBAPIError, OSError) as error:
        raise cannot_open(url, explain(error, make_url(url).database)) from None


def _finish_search_index(engine: Engine) -> None:
    """An index build that was interrupted (a killed upgrade) goes on where it stopped."""
    from deskterm.store import search_index

    with engine.connect() as connection:
        state = search_index.backlog(connection)
    if state is not None and not state.empty:
        from deskterm.store.migrate import build_search_index

        build_search_index(engine)


def refuse_foreign(engine: Engine, url: str) -> None:
    """Refuse to create the desk's tables in an SQLite file that holds other tables: a
    mistyped --db must not add a desk to another program's database."""
    if engine.dialect.name != "sqlite" or revision.stored_revision(engine) is not None:
        return
    others = sorted(
        name for name in inspect(engine).get_table_names() if not name.startswith("sqlite_")
    )
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise OpenError(
            f"{printable_url(url)} is an SQLite database but not a deskterm desk (it holds "
            f"other tables: {shown}): name another file"
        )


def start_settings(db: str | None, as_user: str | None) -> settings.Settings:
    """Every setting of this start, read once; one that cannot be used is refused."""
    where = location(db)
    try:
        return settings.load_settings(where, as_user)
    except settings.SettingError as error:
        raise OpenError(str(error)) from None


def open_desk(
    db: str | None, as_user: str | None, chosen: settings.Settings | None = None
) -> tuple[Desk, Path | None]:
    """The desk to work on, and the copy made if its schema was upgraded on the way.

    `chosen`: the settings already read (`start_settings`), else read here."""
    chosen = start_settings(db, as_user) if chosen is None else chosen
    where = chosen.database
    url = url_of(where)
    engine = open_engine(url)
    try:
        backup = upgraded(engine, url)
    except OpenError:
        engine.dispose()
        raise
    desk = Desk(
        engine,
        settings.policy_catalog(chosen.policy_dirs),
        chosen.actor,
        attachments=chosen.attachments,
        attachment_limit=chosen.attachment_limit,
        mail=chosen.mail,
    )
    return desk, backup
