"""Attaching a file to a case: the copy in the store, the row and its event, the refusals.

Every database test runs on SQLite and, when DESKTERM_TEST_PG is set, on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from deskterm import settings
from deskterm.desk import attachments, cases, queries
from deskterm.desk.attachments import NotText, attach, attachment_path, attachments_of, read_text
from deskterm.desk.context import Desk
from deskterm.desk.describe import describe
from deskterm.desk.errors import Conflict, DeskError, NotFound
from deskterm.models import Event
from deskterm.store.engine import reading
from tests.desk.conftest import MONDAY

LOG = b"2026-11-23 09:00:01 ERROR login failed for user bob\n" * 25  # 1,300 bytes


@pytest.fixture(autouse=True)
def no_attachment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DESKTERM_ATTACHMENTS", "DESKTERM_ATTACHMENT_LIMIT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def desk(desk: Desk, engine: Engine, tmp_path: Path) -> Desk:
    """The shared desk with its store in tmp_path and a 64 KB limit.

    (`engine` named again: pytest then sees the backends it is parametrized with.)
    """
    return dataclasses.replace(desk, attachments=tmp_path / "store", attachment_limit=64 * 1024)


@pytest.fixture
def number(desk: Desk) -> int:
    case = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="Login fails"
    )
    return case.number


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "report.log").write_bytes(LOG)
    return folder


def acting(desk: Desk, name: str) -> Desk:
    return dataclasses.replace(desk, actor=name)


def stored_files(desk: Desk) -> list[Path]:
    if not desk.attachments.exists():
        return []
    return sorted(p for p in desk.attachments.rglob("*") if p.is_file())


def state(desk: Desk, number: int) -> tuple[int, list[str], int, list[Path]]:
    """What a refused attach must leave alone: version, events, rows, the store."""
    shown = queries.show_case(desk, number)
    with reading(desk.engine) as session:
        rows = session.exec(text("SELECT count(*) FROM attachments")).one()[0]  # type: ignore[call-overload]
    return shown["version"], [e["kind"] for e in shown["events"]], rows, stored_files(desk)


# -- attaching -------------------------------------------------------------------


def test_the_file_is_stored_under_its_sha256_with_the_same_bytes(
    desk: Desk, number: int, files: Path
) -> None:
    attachment = attach(desk, number, files / "report.log")
    digest = hashlib.sha256(LOG).hexdigest()
    assert (attachment.name, attachment.size, attachment.sha256) == ("report.log", len(LOG), digest)
    stored = desk.attachments / digest[:2] / digest
    assert attachment_path(desk, attachment) == stored
    assert stored.read_bytes() == LOG
    assert stored_files(desk) == [stored]  # no temporary file left behind
    assert (files / "report.log").read_bytes() == LOG  # the original is untouched


def test_the_row_and_its_event_are_one_change_of_the_case(
    desk: Desk, number: int, files: Path
) -> None:
    before = queries.show_case(desk, number)
    attach(acting(desk, "bob"), number, files / "report.log")
    after = queries.show_case(desk, number)
    assert after["version"] == before["version"] + 1
    event = after["events"][-1]
    assert (event["kind"], event["actor"], event["field"], event["new"], event["version"]) == (
        "attach",
        "bob",
        "attachment",
        "report.log",
        after["version"],
    )
    assert event["text"] == f"1,300 bytes, sha256 {hashlib.sha256(LOG).hexdigest()}"
    assert event["description"] == "bob attached report.log (1.3 KB)"
    assert after["attachments"] == [
        {
            "name": "report.log",
            "size": 1300,
            "sha256": hashlib.sha256(LOG).hexdigest(),
            "added_by": "bob",
            "added_at": event["at"],
        }
    ]
    # An attachment is no response to the customer: the first-response clock runs on.
    assert after["clocks"]["first_response"]["state"] == "running"


def test_the_same_content_twice_is_stored_once(desk: Desk, number: int, files: Path) -> None:
    (files / "copy.txt").write_bytes(LOG)
    first = attach(desk, number, files / "report.log")
    second = attach(desk, number, files / "copy.txt", name="again.log")
    assert first.sha256 == second.sha256
    assert [a.name for a in attachments_of(desk, number)] == ["report.log", "again.log"]
    assert len(stored_files(desk)) == 1


def test_a_path_with_a_tilde_is_the_home_directory(desk: Desk, number: int) -> None:
    (Path.home() / "home.log").write_bytes(b"from home\n")
    assert attach(desk, number, "~/home.log").name == "home.log"


def test_an_empty_file_is_a_file(desk: Desk, number: int, files: Path) -> None:
    (files / "empty.log").write_bytes(b"")
    attachment = attach(desk, number, files / "empty.log")
    assert attachment.size == 0 and read_text(desk, attachment) == ""


def test_the_stored_copy_is_not_readable_by_other_users(
    desk: Desk, number: int, files: Path
) -> None:
    attachment = attach(desk, number, files / "report.log")
    mode = stat.S_IMODE(attachment_path(desk, attachment).stat().st_mode)
    assert mode & stat.S_IRUSR and not mode & (stat.S_IROTH | stat.S_IWOTH)


def test_attachments_of_an_unknown_case_is_refused(desk: Desk) -> None:
    with pytest.raises(NotFound, match="no case 40999"):
        attachments_of(desk, 40999)


# -- refusals: nothing changes ---------------------------------------------------


def refused_path(kind: str, folder: Path) -> Path | str:
    """A path `attach` must refuse, of each kind."""
    if kind == "fifo":
        os.mkfifo(folder / "pipe")
        return folder / "pipe"
    if kind == "too-large":
        (folder / "big.log").write_bytes(b"x" * (64 * 1024 + 1))
        return folder / "big.log"
    return {
        "missing": folder / "missing.log",
        "under-a-file": folder / "report.log" / "inside",
        "directory": folder,
        "device": Path("/dev/null"),
        "empty": "",
        "blank": "   ",
    }[kind]


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("missing", ": no such file"),
        ("under-a-file", ": no such file"),
        ("directory", ": it is a directory"),
        ("fifo", ": it is a named pipe (FIFO), not a regular file"),
        ("device", ": it is a character device, not a regular file"),
        ("too-large", "limit (DESKTERM_ATTACHMENT_LIMIT)"),
        ("empty", "the file to attach is empty"),
        ("blank", "the file to attach is empty"),
    ],
)
def test_a_refused_file_changes_nothing(
    desk: Desk, number: int, files: Path, kind: str, says: str
) -> None:
    path = refused_path(kind, files)
    before = state(desk, number)
    with pytest.raises(DeskError, match=re.escape(says)) as refused:
        attach(desk, number, path)
    assert "\n" not in str(refused.value)
    if str(path).strip():
        assert str(refused.value).startswith(f"cannot attach {path}: ")  # names the path
    assert state(desk, number) == before


def test_too_large_says_both_sizes_and_the_setting(desk: Desk, number: int, files: Path) -> None:
    (files / "big.log").write_bytes(b"x" * 100 * 1024)
    with pytest.raises(DeskError) as refused:
        attach(desk, number, files / "big.log")
    assert "100 KB is over the 64 KB limit (DESKTERM_ATTACHMENT_LIMIT)" in str(refused.value)
    (files / "edge.log").write_bytes(b"x" * (64 * 1024 + 1))
    with pytest.raises(DeskError) as refused:
        attach(desk, number, files / "edge.log")
    # "64 KB is over the 64 KB limit" would say nothing: a byte over is said in bytes.
    assert "65,537 bytes is over the 65,536-byte limit" in str(refused.value)
    (files / "exact.log").write_bytes(b"x" * 64 * 1024)
    assert attach(desk, number, files / "exact.log").size == 64 * 1024


def test_an_unreadable_file_is_refused(
    desk: Desk, number: int, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = files / "secret.log"
    secret.write_bytes(b"private\n")
    secret.chmod(0)
    if os.geteuid() == 0:  # root reads anything: the kernel's refusal is simulated
        real_open = os.open

        def refusing_open(path: object, flags: int, *args: int) -> int:
            if Path(os.fspath(path)) == secret:  # type: ignore[arg-type]
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(attachments.os, "open", refusing_open)
    before = state(desk, number)
    with pytest.raises(DeskError, match=f"cannot attach {secret}: permission denied"):
        attach(desk, number, secret)
    assert state(desk, number) == before


def test_a_file_growing_past_the_limit_while_copied_is_refused(
    desk: Desk, number: int, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    growing = files / "growing.log"
    growing.write_bytes(b"x" * 1024)
    checked = attachments._refuse_kind

    def check_then_grow(shown: str, mode: int) -> None:
        checked(shown, mode)
        with open(growing, "ab") as writer:  # the application keeps logging
            writer.write(b"y" * (64 * 1024))

    monkeypatch.setattr(attachments, "_refuse_kind", check_then_grow)
    before = state(desk, number)
    with pytest.raises(DeskError, match="grew while it was copied"):
        attach(desk, number, growing)
    assert state(desk, number) == before


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "attachment name is empty"),
        ("  ", "attachment name is empty"),
        ("../etc/passwd", "is a path"),
        ("logs/app.log", "is a path"),
        ("..", "not a file name"),
    ],
)
def test_a_bad_name_is_refused(desk: Desk, number: int, files: Path, name: str, says: str) -> None:
    before = state(desk, number)
    with pytest.raises(DeskError, match=says):
        attach(desk, number, files / "report.log", name=name)
    assert state(desk, number) == before


def test_a_given_name_replaces_the_file_name(desk: Desk, number: int, files: Path) -> None:
    assert attach(desk, number, files / "report.log", name="bob's server.log").name == (
        "bob's server.log"
    )


def test_an_unknown_case_is_refused_before_copying(desk: Desk, files: Path) -> None:
    with pytest.raises(NotFound, match="no case 40999"):
        attach(desk, 40999, files / "report.log")
    assert stored_files(desk) == []


def test_a_stale_version_is_a_conflict_and_nothing_is_attached(
    desk: Desk, number: int, files: Path
) -> None:
    loaded = queries.show_case(desk, number)["version"]
    cases.note(acting(desk, "carol"), number, "looking at it")
    before = state(desk, number)
    with pytest.raises(Conflict, match="carol added an internal note"):
        attach(desk, number, files / "report.log", expected_version=loaded)
    assert state(desk, number) == before
    attach(desk, number, files / "report.log", expected_version=loaded + 1)
    assert [a.name for a in attachments_of(desk, number)] == ["report.log"]


def test_an_unwritable_store_is_refused_clearly(desk: Desk, number: int, files: Path) -> None:
    blocked = dataclasses.replace(desk, attachments=files / "report.log" / "store")
    with pytest.raises(DeskError, match="cannot store the attachment in .*DESKTERM_ATTACHMENTS"):
        attach(blocked, number, files / "report.log")
    assert attachments_of(desk, number) == []


# -- viewing ------------------------------------------------------------------------


def test_a_log_reads_as_text(desk: Desk, number: int, files: Path) -> None:
    content = "Grüße aus Köln\n\x1b[31mERROR\x1b[0m disk full\r\n\ttab\n"
    (files / "app.log").write_text(content, encoding="utf-8")
    assert read_text(desk, attach(desk, number, files / "app.log")) == content


def test_stray_bytes_in_a_log_are_replaced_not_refused(
    desk: Desk, number: int, files: Path
) -> None:
    (files / "latin1.log").write_bytes(b"user M\xfcller logged in\n" * 10)
    assert read_text(desk, attach(desk, number, files / "latin1.log")).startswith(
        "user M\ufffdller logged in\n"
    )


def test_a_utf16_log_with_a_byte_order_mark_reads_as_text(
    desk: Desk, number: int, files: Path
) -> None:
    (files / "event.log").write_text("Event 4625: logon failure\n", encoding="utf-16")
    assert read_text(desk, attach(desk, number, files / "event.log")) == (
        "Event 4625: logon failure\n"
    )


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        bytes(range(256)) * 8,
        b"mostly text " * 500 + b"\x00",  # one NUL in the first 8 KB
        bytes(b % 32 for b in range(4096) if b % 32 not in (9, 10, 13)),  # control bytes
        bytes(0x80 + b % 64 for b in range(4096)),  # no valid UTF-8
    ],
    ids=["png", "all-bytes", "nul", "controls", "undecodable"],
)
def test_a_binary_file_is_not_shown(desk: Desk, number: int, files: Path, content: bytes) -> None:
    (files / "blob.bin").write_bytes(content)
    attachment = attach(desk, number, files / "blob.bin")
    with pytest.raises(NotText, match="binary file: 'blob.bin'.*not shown"):
        read_text(desk, attachment)


def test_a_long_log_is_cut_at_the_limit_and_says_so(desk: Desk, number: int, files: Path) -> None:
    (files / "long.log").write_bytes("é".encode() * 2000)  # 4,000 bytes
    attachment = attach(desk, number, files / "long.log")
    shown = read_text(desk, attachment, limit=1001)  # the cut falls inside an é
    body, _, note = shown.rpartition("\n")
    assert body == "é" * 500
    assert note == "[… 2.9 KB more not shown: the first 1001 bytes of 3.9 KB]"


def test_a_damaged_stored_copy_is_detected_and_attaching_again_repairs_it(
    desk: Desk, number: int, files: Path
) -> None:
    attachment = attach(desk, number, files / "report.log")
    stored = attachment_path(desk, attachment)
    stored.chmod(0o600)
    stored.write_bytes(LOG.replace(b"bob", b"eve"))
    with pytest.raises(DeskError, match="'report.log' is damaged: its SHA-256 no longer matches"):
        read_text(desk, attachment)
    attach(desk, number, files / "report.log")
    assert stored.read_bytes() == LOG and read_text(desk, attachment) == LOG.decode()


def test_a_missing_stored_copy_is_reported(desk: Desk, number: int, files: Path) -> None:
    attachment = attach(desk, number, files / "report.log")
    attachment_path(desk, attachment).unlink()
    with pytest.raises(DeskError, match="stored copy of 'report.log' is missing"):
        read_text(desk, attachment)


def test_a_damaged_record_cannot_point_outside_the_store(desk: Desk) -> None:
    forged = attachments.Attachment(
        case_id=1, name="x", size=1, sha256="../../etc/passwd", added_by="a", added_at=MONDAY
    )
    with pytest.raises(DeskError, match="no valid SHA-256"):
        attachment_path(desk, forged)


def test_describe_an_attach_event() -> None:
    event = Event(
        case_id=1,
        version=2,
        at=MONDAY,
        actor="asha",
        kind="attach",
        field="attachment",
        new_value="report.log",
        text="13,002,342 bytes, sha256 " + "ab" * 32,
    )
    assert describe(event) == "asha attached report.log (12.4 MB)"
    event.text = None
    assert describe(event) == "asha attached report.log"


# -- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "size"),
    [
        ("20MB", 20 * 1024 * 1024),
        ("500KB", 500 * 1024),
        ("1GB", 1024**3),
        ("1048576", 1024 * 1024),
        ("20 mb", 20 * 1024 * 1024),
        ("1.5M", 1536 * 1024),
        ("10MiB", 10 * 1024 * 1024),
        ("512B", 512),
    ],
)
def test_the_limit_setting_takes_sizes_in_units(given: str, size: int) -> None:
    assert settings.parse_size(given) == size


@pytest.mark.parametrize("given", ["20 furlongs", "MB", "-5MB", "0", "1.2.3MB", "twenty"])
def test_a_bad_limit_setting_is_refused_clearly(
    given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", given)
    with pytest.raises(settings.SettingError, match="DESKTERM_ATTACHMENT_LIMIT: .* size"):
        settings.attachment_limit()


def test_the_limit_is_20_mb_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.attachment_limit() == 20 * 1024 * 1024
    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", "5MB")
    assert settings.attachment_limit() == 5 * 1024 * 1024


def test_a_desk_takes_the_limit_and_store_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", "1KB")
    monkeypatch.setenv("DESKTERM_DB", str(tmp_path / "shared" / "desk.db"))
    made = Desk(None, None, "alice")  # type: ignore[arg-type]
    assert made.attachment_limit == 1024
    assert made.attachments == tmp_path / "shared" / "attachments"


def test_the_store_is_beside_an_sqlite_file_and_in_the_data_dir_for_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "jump" / "desk.db"
    assert settings.attachments_dir(str(db)) == tmp_path / "jump" / "attachments"
    assert settings.attachments_dir(f"sqlite:///{db}") == tmp_path / "jump" / "attachments"
    data = Path(os.environ["XDG_DATA_HOME"]) / "deskterm" / "attachments"
    assert settings.attachments_dir("postgresql+psycopg://desk@db.example/desk") == data
    monkeypatch.setenv("DESKTERM_ATTACHMENTS", str(tmp_path / "elsewhere"))
    assert settings.attachments_dir(str(db)) == tmp_path / "elsewhere"


@pytest.mark.parametrize(
    ("size", "said"),
    [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1024, "1 KB"), (1325, "1.3 KB")]
    + [(13_002_342, "12.4 MB"), (20 * 1024**2, "20 MB"), (3 * 1024**3, "3 GB")],
)
def test_human_sizes(size: int, said: str) -> None:
    assert attachments.human_size(size) == said
