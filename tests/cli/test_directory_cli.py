"""`deskterm org ...`, `deskterm contact ...` and `deskterm db ...` from the command line."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.store.migrate import head_revision

runner = CliRunner()
COMMAND = typer.main.get_command(app)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKTERM_NOW", "2026-11-23T16:00:00Z")
    return tmp_path / "desk.db"


def run(db: Path, *args: str) -> tuple[int, str, str]:
    with runner.isolation() as (out, err, _):
        code: Any = 0
        try:
            COMMAND.main(args=["--db", str(db), "--as", "alice", *args], prog_name="deskterm")
        except SystemExit as exit_:
            code = exit_.code or 0
        return code, out.getvalue().decode(), err.getvalue().decode()


def ok(db: Path, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, (out, err)
    return out


def dump(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as connection:
        return list(connection.iterdump())


def refused(db: Path, *args: str) -> str:
    """Exit 2, one line on stderr, nothing on stdout, nothing written."""
    before = dump(db)
    code, out, err = run(db, *args)
    assert code == 2 and out == "", (out, err)
    assert len(err.splitlines()) == 1, err
    assert dump(db) == before
    return err


# --- org -------------------------------------------------------------------------


def test_org_add_prints_one_line_and_lists(db: Path) -> None:
    out = ok(db, "org", "add", "Acme", "--policy", "standard-tier", "--tier", "gold")
    assert out == "added organization Acme (policy standard-tier, tier gold, no contract end)\n"
    added = json.loads(
        ok(
            db,
            "org",
            "add",
            "Initech",
            "--policy",
            "p1-p6",
            "--contract-until",
            "2027-06-30",
            "--json",
        )
    )
    assert added == {
        "name": "Initech",
        "policy": "p1-p6",
        "tier": None,
        "contract_until": "2027-06-30",
    }
    listed = json.loads(ok(db, "org", "list", "--json"))
    assert [org["name"] for org in listed] == ["Acme", "Initech"]
    table = ok(db, "org", "list")
    assert "Acme" in table and "standard-tier" in table and "2027-06-30" in table


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["Other", "--policy", "gold-plated"], "no policy named 'gold-plated' (policies: "),
        (
            ["Other", "--policy", "p1-p6", "--contract-until", "June"],
            "not a date (e.g. 2027-06-30)",
        ),
        (["Other", "--policy", "p1-p6", "--contract-until", "2027-02-30"], "not a date"),
        (["Acme", "--policy", "p1-p6"], "an organization named 'Acme' exists already"),
        (["  ", "--policy", "p1-p6"], "the organization name is empty"),
    ],
)
def test_org_add_refuses_bad_input(db: Path, args: list[str], says: str) -> None:
    ok(db, "org", "add", "Acme", "--policy", "standard-tier")
    assert says in refused(db, "org", "add", *args)


def test_org_names_are_printed_inert(db: Path) -> None:
    ok(db, "org", "add", "[red]Evil\x1b]8;;x\x07", "--policy", "p1-p6")
    table = ok(db, "org", "list")
    assert "[red]Evil␛]8;;x␇" in table and "\x1b" not in table
    assert json.loads(ok(db, "org", "list", "--json"))[0]["name"] == "[red]Evil\x1b]8;;x\x07"


def test_org_list_of_an_empty_desk(db: Path) -> None:
    assert "no organizations" in ok(db, "org", "list")


# --- contact ---------------------------------------------------------------------


def test_contact_add(db: Path) -> None:
    ok(db, "org", "add", "Acme", "--policy", "standard-tier")
    out = ok(
        db,
        "contact",
        "add",
        "Bob",
        "--org",
        "Acme",
        "--email",
        "bob@acme.example",
        "--phone",
        "+1 303 555 0100",
        "--admin",
    )
    assert out == "added contact Bob (administrator) at Acme\n"
    added = json.loads(ok(db, "contact", "add", "Eve", "--org", "Acme", "--json"))
    assert added == {
        "name": "Eve",
        "organization": "Acme",
        "email": None,
        "phone": None,
        "administrator": False,
    }


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["Dan", "--org", "Acmee"], "no organization named 'Acmee' (did you mean 'Acme'?)"),
        (["Bob", "--org", "Acme"], "Acme has a contact named 'Bob' already"),
        (["", "--org", "Acme"], "the contact name is empty"),
    ],
)
def test_contact_add_refuses_bad_input(db: Path, args: list[str], says: str) -> None:
    ok(db, "org", "add", "Acme", "--policy", "standard-tier")
    ok(db, "contact", "add", "Bob", "--org", "Acme")
    assert says in refused(db, "contact", "add", *args)


def test_contact_list_by_organization(db: Path) -> None:
    """`deskterm contact list` (issue 20): who can be named in `case new --contact`."""
    ok(db, "org", "add", "Acme", "--policy", "standard-tier")
    ok(db, "org", "add", "Globex", "--policy", "standard-tier")
    assert ok(db, "contact", "list") == "no contacts (add one with deskterm contact add)\n"
    ok(db, "contact", "add", "Zed", "--org", "Acme", "--phone", "+1 555 0100", "--admin")
    ok(db, "contact", "add", "Ann", "--org", "Acme", "--email", "ann@acme.example")
    ok(db, "contact", "add", "Gina \x1b[31m", "--org", "Globex")
    listed = json.loads(ok(db, "contact", "list", "--json"))
    assert [(row["organization"], row["name"]) for row in listed] == [
        ("Acme", "Ann"),
        ("Acme", "Zed"),
        ("Globex", "Gina \x1b[31m"),
    ]
    assert listed[1] == {
        "name": "Zed",
        "organization": "Acme",
        "email": None,
        "phone": "+1 555 0100",
        "administrator": True,
    }
    out = ok(db, "contact", "list", "--org", "Acme")
    assert "Ann" in out and "ann@acme.example" in out and "Gina" not in out
    assert "\x1b" not in ok(db, "contact", "list") and "Gina ␛[31m" in ok(db, "contact", "list")
    assert "no organization named 'Acmee' (did you mean 'Acme'?)" in refused(
        db, "contact", "list", "--org", "Acmee"
    )


def test_contact_needs_an_organization_first(db: Path) -> None:
    ok(db, "db", "upgrade")
    assert "add one with deskterm org add" in refused(db, "contact", "add", "Bob", "--org", "Acme")


# --- db --------------------------------------------------------------------------


def test_db_status_of_a_missing_file_creates_nothing(db: Path) -> None:
    out = ok(db, "db", "status")
    assert "does not exist yet" in out and f"head revision: {head_revision()}" in out
    assert "pending" in out and "deskterm db upgrade" in out
    assert not db.exists()
    status = json.loads(ok(db, "db", "status", "--json"))
    assert status["exists"] is False and status["current"] is None
    assert status["pending"][-1] == head_revision()


def test_db_upgrade_creates_then_says_it_is_current(db: Path) -> None:
    head = head_revision()
    assert ok(db, "db", "upgrade") == f"created the schema at revision {head} in sqlite:///{db}\n"
    assert ok(db, "db", "upgrade") == f"already at revision {head}\n"
    status = json.loads(ok(db, "db", "status", "--json"))
    assert (status["exists"], status["current"], status["head"], status["pending"]) == (
        True,
        head,
        head,
        [],
    )
    assert ok(db, "db", "status").endswith("up to date\n")


def test_db_of_a_newer_deskterm_is_refused(db: Path) -> None:
    ok(db, "db", "upgrade")
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    for command in ("status", "upgrade"):
        assert "revision '9999', which this deskterm does not know" in refused(db, "db", command)
