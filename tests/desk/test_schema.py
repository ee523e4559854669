"""Migrations: an empty file becomes the current schema, and the models never drift from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from deskterm.models import load_all
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import current_revision, head_revision, pending, upgrade
from tests.desk.conftest import MONDAY


def test_an_empty_file_is_migrated_to_the_newest_schema(tmp_path: Path) -> None:
    engine = make_engine(database_url(str(tmp_path / "new.db")))
    assert pending(engine)
    assert upgrade(engine, MONDAY) is None  # nothing to back up in an empty file
    assert current_revision(engine) == head_revision() and not pending(engine)
    assert {"organizations", "contacts", "cases", "events", "attachments"} <= set(
        inspect(engine).get_table_names()
    )
    assert upgrade(engine, MONDAY) is None  # already current: nothing happens


def test_the_models_match_the_migrations(tmp_path: Path) -> None:
    load_all()
    engine = make_engine(database_url(str(tmp_path / "new.db")))
    upgrade(engine, MONDAY)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": _not_the_search_index}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def _not_the_search_index(name: str | None, type_: str, parent_names: object) -> bool:
    """The search index is the database's own machinery (FTS5, triggers), not a model:
    deskterm.store.search_index owns it."""
    from deskterm.store.search_index import SHADOW_PREFIX, TABLES

    return type_ != "table" or not (name in TABLES or (name or "").startswith(SHADOW_PREFIX))


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(database_url(str(tmp_path / "new.db")))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_the_write_ahead_log_shrinks_back_once_copied_into_the_desk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deskterm's processes end without closing their connections, so SQLite never
    deletes the log (-wal) on a last close: without a limit it kept the size of the
    largest transaction ever written (5 GB beside a 5 GB desk after a million-case
    demo). Once the log has been copied into the file, the next write cuts it back."""
    from deskterm.store import engine as engines

    monkeypatch.setattr(engines, "WAL_KEPT_BYTES", 64 * 1024)
    path = tmp_path / "desk.db"
    engine = make_engine(database_url(str(path)))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE big (body BLOB)")
        connection.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
            "INSERT INTO big SELECT randomblob(4000) FROM n"
        )
    wal = Path(f"{path}-wal")
    assert wal.stat().st_size > 1024 * 1024
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO big VALUES (x'00')")
    assert wal.stat().st_size <= 64 * 1024
    engine.dispose()


def test_the_fast_revision_check_knows_the_newest_migration(tmp_path: Path) -> None:
    from deskterm.store import revision

    assert head_revision() == revision.HEAD
    engine = make_engine(database_url(str(tmp_path / "new.db")))
    assert not revision.is_current(engine)
    upgrade(engine, MONDAY)
    assert revision.is_current(engine)


def test_the_queues_core_tables_name_the_models_columns_with_their_types() -> None:
    """The console reads through light Core clauses; a column renamed or retyped in a
    model would otherwise make the queue read the wrong thing, or fail, only at run time."""
    from sqlalchemy import String
    from sqlmodel.sql.sqltypes import AutoString

    from deskterm.models import Attachment, Case, Contact, Event, Organization
    from deskterm.models.columns import attachments, cases, contacts, events, organizations

    def kind(column_type: object) -> type:
        # SQLModel's AutoString binds and reads back as a plain String.
        return String if isinstance(column_type, AutoString) else type(column_type)

    for light, model in (
        (cases, Case),
        (organizations, Organization),
        (contacts, Contact),
        (events, Event),
        (attachments, Attachment),
    ):
        full = model.__table__.c  # type: ignore[attr-defined]
        for column in light.c:
            assert column.name in full, f"{light.name}.{column.name} is not in the model"
            assert kind(full[column.name].type) is kind(column.type), column.name


def test_the_console_starts_without_the_orm_or_pydantic() -> None:
    """A third of start-up time: the queue and its screen never need them to paint."""
    import subprocess
    import sys

    probe = (
        "import sys, deskterm.console, deskterm.app, deskterm.screens.queue;"
        "print(sorted(m for m in ('sqlmodel', 'pydantic', 'sqlalchemy.orm', 'alembic')"
        " if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
