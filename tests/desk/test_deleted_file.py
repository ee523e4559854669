"""An SQLite desk whose file is deleted or replaced under a running deskterm: the next
write is refused in words (nothing acknowledged into an unlinked file), and nothing
re-creates the database's directory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from deskterm import settings
from deskterm.desk import attachments, cases, directory
from deskterm.desk.context import Desk
from deskterm.desk.errors import StorageError
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade
from tests.desk.conftest import MONDAY
from tests.frozen import FrozenClock


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "desks"


@pytest.fixture
def desk(folder: Path, tmp_path: Path) -> Desk:
    folder.mkdir()
    engine = make_engine(database_url(str(folder / "desk.db")))
    upgrade(engine, MONDAY)
    desk = Desk(
        engine,
        PolicyCatalog(settings.policy_dirs()),
        "alice",
        now=FrozenClock(MONDAY),
        attachments=folder / "attachments",
    )
    directory.add_organization(desk, "Acme", "business-hours-3", tier="standard")
    directory.add_contact(desk, "Bob Admin", "Acme", email="bob@acme.test", is_admin=True)
    return desk


def open_case(desk: Desk) -> int:
    return cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="Disk full"
    ).number


def test_a_write_after_the_directory_was_removed_is_refused_in_words(
    desk: Desk, folder: Path
) -> None:
    number = open_case(desk)
    shutil.rmtree(folder)
    with pytest.raises(StorageError, match="deleted or replaced") as refused:
        cases.note(desk, number, "into the void")
    assert str(folder / "desk.db") in str(refused.value)
    assert "nothing was written" in str(refused.value)
    assert not folder.exists()


def test_a_file_replaced_by_another_is_refused(desk: Desk, folder: Path) -> None:
    number = open_case(desk)
    path = folder / "desk.db"
    shutil.copy(path, folder / "copy.db")
    os.replace(folder / "copy.db", path)  # same name, another file (another inode)
    with pytest.raises(StorageError, match="deleted or replaced"):
        cases.note(desk, number, "into the old file")


def test_attach_does_not_recreate_a_removed_directory(
    desk: Desk, folder: Path, tmp_path: Path
) -> None:
    number = open_case(desk)
    source = tmp_path / "log.txt"
    source.write_text("a log\n")
    shutil.rmtree(folder)
    with pytest.raises(StorageError, match="deleted or replaced"):
        attachments.attach(desk, number, source)
    assert not folder.exists()


def test_the_engine_does_not_create_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        make_engine(database_url(str(tmp_path / "gone" / "desk.db")))
    assert not (tmp_path / "gone").exists()
