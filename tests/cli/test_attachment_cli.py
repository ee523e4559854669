"""`deskterm case attach` and `deskterm case attachments`: the command-line contract.

Each test works on its own copy of a desk with Incident# 40100 (see test_case_cli);
with `--db PATH`, attachments are stored in `attachments/` beside the database.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.cli.test_case_cli import NOW, Desk, copy_of, dump, one_case


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DESKTERM_NOW", NOW)
        desk = Desk(tmp_path_factory.mktemp("attachments") / "desk.db")
        one_case(desk)
    return desk.db


@pytest.fixture
def opened(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """Incident# 40100, Sev 1, received now; no attachment settings in the environment."""
    monkeypatch.setenv("DESKTERM_NOW", NOW)
    for name in ("DESKTERM_ATTACHMENTS", "DESKTERM_ATTACHMENT_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    return copy_of(template, tmp_path)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "server.log"
    path.write_bytes(b"09:00:01 ERROR disk full\n" * 100)  # 2,500 bytes
    return path


def store(desk: Desk) -> list[Path]:
    folder = desk.db.parent / "attachments"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def refused(desk: Desk, *args: str) -> str:
    """Exit 2, one line on stderr, and neither the database nor the store changed."""
    before, files = dump(desk.db), store(desk)
    message = desk.bad(*args)
    assert dump(desk.db) == before and store(desk) == files
    assert message.startswith("deskterm: ")
    return message


def test_attach_copies_the_file_beside_the_database_and_says_so(opened: Desk, log: Path) -> None:
    out = opened.ok("case", "attach", "40100", str(log))
    digest = hashlib.sha256(log.read_bytes()).hexdigest()
    assert (
        out == f"Incident# 40100: attached server.log (2.4 KB, sha256 {digest[:12]}) (version 2)\n"
    )
    stored = opened.db.parent / "attachments" / digest[:2] / digest
    assert store(opened) == [stored] and stored.read_bytes() == log.read_bytes()


def test_attach_json_prints_the_case_with_its_attachment(opened: Desk, log: Path) -> None:
    case = opened.json("case", "attach", "40100", str(log), "--name", "disk.log", user="bob")
    assert case["version"] == 2
    assert [(a["name"], a["size"], a["added_by"]) for a in case["attachments"]] == [
        ("disk.log", 2500, "bob")
    ]
    event = case["events"][-1]
    assert (event["kind"], event["new"], event["description"]) == (
        "attach",
        "disk.log",
        "bob attached disk.log (2.4 KB)",
    )


def test_attachments_lists_name_size_hash_who_and_when(opened: Desk, log: Path) -> None:
    assert opened.ok("case", "attachments", "40100") == "no attachments on Incident# 40100\n"
    assert opened.json("case", "attachments", "40100") == []
    opened.ok("case", "attach", "40100", str(log))
    opened.ok("case", "attach", "40100", str(log), "--name", "[bold]again\x1b[2J.log", user="bob")
    out = opened.ok("case", "attachments", "40100")
    header, first, second = out.splitlines()
    assert header.split() == ["name", "size", "sha256", "added", "by", "added", "at"]
    digest = hashlib.sha256(log.read_bytes()).hexdigest()
    assert first.split()[:5] == ["server.log", "2.4", "KB", digest[:12], "alice"]
    assert "Mon 23 Nov 2026" in first
    assert second.startswith("[bold]again␛[2J.log") and "\x1b" not in out  # inert names
    listed = opened.json("case", "attachments", "40100")
    assert [a["name"] for a in listed] == ["server.log", "[bold]again\x1b[2J.log"]
    assert listed[0] == {
        "name": "server.log",
        "size": 2500,
        "sha256": digest,
        "added_by": "alice",
        "added_at": "2026-11-23T16:00:00+00:00",
        "path": str(opened.db.parent / "attachments" / digest[:2] / digest),
    }
    assert len(store(opened)) == 1  # the same content is stored once


def test_show_lists_the_attachments(opened: Desk, log: Path) -> None:
    opened.ok("case", "attach", "40100", str(log))
    page = opened.ok("case", "show", "40100")
    assert "server.log (2.4 KB, added by alice" in page
    assert "alice attached server.log (2.4 KB)" in page


def test_attach_refusals_exit_2_and_change_nothing(opened: Desk, tmp_path: Path, log: Path) -> None:
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe")
    for path, says in (
        (tmp_path / "missing.log", f"cannot attach {tmp_path / 'missing.log'}: no such file"),
        (tmp_path / "folder", f"cannot attach {tmp_path / 'folder'}: it is a directory"),
        (tmp_path / "pipe", "it is a named pipe (FIFO), not a regular file"),
    ):
        assert says in refused(opened, "case", "attach", "40100", str(path))
    assert "no case 40999" in refused(opened, "case", "attach", "40999", str(log))
    assert "not a case number" in refused(opened, "case", "attach", "x", str(tmp_path))


def test_attach_refuses_a_file_over_the_limit(
    opened: Desk, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", "2KB")
    message = refused(opened, "case", "attach", "40100", str(log))
    assert message.endswith("server.log: 2.4 KB is over the 2 KB limit (DESKTERM_ATTACHMENT_LIMIT)")
    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", "3000")
    assert opened.json("case", "attach", "40100", str(log))["version"] == 2


def test_a_bad_limit_setting_exits_2_naming_it(
    opened: Desk, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", "20 furlongs")
    message = refused(opened, "case", "attach", "40100", str(log))
    assert message == (
        "deskterm: DESKTERM_ATTACHMENT_LIMIT: '20 furlongs' is not a size "
        "(e.g. 20MB, 500KB, 1GB or a number of bytes)"
    )


def test_attach_refuses_a_name_that_is_a_path(opened: Desk, log: Path) -> None:
    assert "is a path" in refused(opened, "case", "attach", "40100", str(log), "--name", "a/b")
    assert "name is empty" in refused(opened, "case", "attach", "40100", str(log), "--name", "")


def test_attach_honours_if_version(opened: Desk, log: Path) -> None:
    opened.ok("case", "note", "40100", "first look", user="bob")
    message = refused(opened, "case", "attach", "40100", str(log), "--if-version", "1")
    assert "case 40100 changed since you loaded it (version 1, now 2)" in message
    assert "bob added an internal note" in message


def test_attachments_dir_setting_moves_the_store(
    opened: Desk, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_ATTACHMENTS", str(tmp_path / "elsewhere"))
    opened.ok("case", "attach", "40100", str(log))
    path = opened.json("case", "attachments", "40100")[0]["path"]
    assert Path(path).parent.parent == tmp_path / "elsewhere" and Path(path).is_file()
    assert store(opened) == []


def test_attachments_of_an_unknown_case(opened: Desk) -> None:
    assert "no case 40999" in refused(opened, "case", "attachments", "40999")


def test_the_console_refuses_a_bad_limit_setting_before_opening(
    opened: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from deskterm.console import run_console

    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", "lots")
    assert run_console(str(opened.db)) == 2
    assert capsys.readouterr().err == (
        "deskterm: DESKTERM_ATTACHMENT_LIMIT: 'lots' is not a size "
        "(e.g. 20MB, 500KB, 1GB or a number of bytes)\n"
    )


def test_attach_prints_the_version_its_own_commit_made(
    opened: Desk, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer's change landing between the commit and the print is not ours."""
    from deskterm.cli import cases as case_commands
    from deskterm.desk import queries

    real_show = queries.show_case

    def another_writer_first(desk: object, number: int) -> object:
        from tests.cli.runner import invoke

        invoke(["--db", str(opened.db), "--as", "bob", "case", "note", str(number), "mine"])
        return real_show(desk, number)  # type: ignore[arg-type]

    monkeypatch.setattr(case_commands.queries, "show_case", another_writer_first)
    out = opened.ok("case", "attach", "40100", str(log))
    assert out.endswith("(version 2)\n"), out
