"""Files attached to a case: copied into deskterm's store under their SHA-256.

The store (`Desk.attachments`) holds each content once, at `<store>/ab/abcd...`
(the first two hex digits of the SHA-256, then all 64). The copy is made before
the database transaction and moved into place atomically: an interrupted attach
leaves at most an orphan file, never a row naming a file that is not there. The
row and its `attach` event are then written as one change to the case, with the
version bump and the conflict check of every other change.

Attached content is untrusted: `read_text` returns it as it is (decoded), and a
front end passes it through `deskterm.safe_text` before it reaches a terminal.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from deskterm.desk import limits
from deskterm.desk.cases import changing
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError, NotFound
from deskterm.instants import to_iso
from deskterm.models import Attachment, Case, EventKind
from deskterm.models.tables import stored_id
from deskterm.settings import human_size
from deskterm.store import search_index
from deskterm.store.engine import check_same_file, reading

__all__ = [
    "TEXT_LIMIT",
    "NotText",
    "attach",
    "attachment_json",
    "attachment_path",
    "attachments_of",
    "human_size",
    "read_text",
    "store_content",
]

CHUNK = 1024 * 1024
SNIFF = 8 * 1024  # how much of a file decides whether it is text
TEXT_LIMIT = 1024 * 1024  # how much of a text attachment read_text returns by default
FILE_MODE = 0o640  # less the umask: the desk's group may read, others may not
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x06\x0e-\x1a\x1c-\x1f\x7f\ufffd]")  # \t\n\v\f\r\b and ESC pass


class NotText(DeskError):
    """The attachment is binary: it is not shown in a terminal."""


# --- attaching ----------------------------------------------------------------------


def attach(
    desk: Desk,
    number: int,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    expected_version: int | None = None,
) -> Attachment:
    """Attach the file at `path` to case `number`; returns the new attachment."""
    return attach_versioned(desk, number, path, name=name, expected_version=expected_version)[0]


def attach_versioned(
    desk: Desk,
    number: int,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    expected_version: int | None = None,
) -> tuple[Attachment, int]:
    """Attach the file at `path` to case `number`: the new attachment, and the case's
    version its own commit made (read after, it could be another writer's).

    Refused, with nothing written, when the path is missing, a directory, not a
    regular file, unreadable or larger than `desk.attachment_limit`. `name` is
    what the attachment is called (default: the file's own name).
    """
    source = _source_path(path)
    shown = str(source)
    with _open_source(source, shown, desk.attachment_limit) as reader:
        name = _attachment_name(source, name)
        _check_case(desk, number, expected_version)
        check_same_file(desk.engine)  # before the store beside it is written
        size, digest = _copy_in(desk, reader, shown)
    with changing(desk, number, expected_version) as change:
        attachment = Attachment(
            case_id=stored_id(change.case),
            name=name,
            size=size,
            sha256=digest,
            added_by=desk.actor,
            added_at=change.at,
        )
        change.session.add(attachment)
        index_contents(desk, change.session, attachment)
        change.record(
            EventKind.ATTACH,
            field_name="attachment",
            new=name,
            text=f"{size:,} byte{'' if size == 1 else 's'}, sha256 {digest}",
        )
    return attachment, change.case.version


def index_contents(desk: Desk, session: Session, attachment: Attachment) -> None:
    """Give the search index a text attachment's first words, in the attaching
    transaction (deskterm.store.search_index: the database cannot read the file)."""
    session.flush()  # the attachment's id
    try:
        with open(attachment_path(desk, attachment), "rb") as stored:
            head = stored.read(search_index.ATTACHMENT_INDEXED)
    except OSError:
        return  # the store's own checks report a missing copy where it is read
    words = _decode(head, truncated=attachment.size > len(head))
    if words is None or not words.strip():
        return
    session.execute(
        sql_text("INSERT INTO attachment_texts (attachment_id, case_id, text) VALUES (:a, :c, :t)"),
        {"a": attachment.id, "c": attachment.case_id, "t": words.replace("\x00", "")},
    )


def store_content(desk: Desk, data: bytes, shown: str) -> tuple[int, str]:
    """Put `data` in the store (before any transaction); its size and SHA-256.

    For content that is not a file (a mail's attachment): the caller then writes
    the Attachment row and its event in its own change. Refused over the limit.
    """
    if len(data) > desk.attachment_limit:
        raise _too_large(shown, len(data), desk.attachment_limit)
    return _copy_in(desk, io.BytesIO(data), shown)


def _source_path(path: str | os.PathLike[str]) -> Path:
    text = os.fspath(path)
    if not text.strip():
        raise DeskError("the file to attach is empty: give the path of a file")
    if "\x00" in text:
        raise DeskError(f"{text!r} is not a file path (it contains a NUL character)")
    return Path(text).expanduser()


def _attachment_name(source: Path, name: str | None) -> str:
    if name is None:
        name = source.name
    elif not name.strip():
        raise DeskError("the attachment name is empty: leave --name out to keep the file's name")
    elif "/" in name or "\\" in name or "\x00" in name:
        raise DeskError(f"the attachment name {name!r} is a path: give a file name without '/'")
    elif name.strip() in (".", ".."):
        raise DeskError(f"the attachment name {name!r} is not a file name")
    if not name.strip():
        raise DeskError(f"{source} has no file name: give one with --name")
    return limits.check_length(name, "the attachment name", limits.LINE_LIMIT)


def _check_case(desk: Desk, number: int, expected_version: int | None) -> None:
    """Refuse an unknown or changed case before copying megabytes into the store.

    changing() checks both again, under the row lock, when the row is written.
    """
    with reading(desk.engine) as session:
        version = session.exec(select(Case.version).where(Case.number == number)).first()
    if version is None:
        raise NotFound(f"no case {number} (case numbers start at 40100; see deskterm case list)")
    if expected_version is not None and version != expected_version:
        with changing(desk, number, expected_version):
            pass  # raises Conflict, naming who changed what since


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _refuse_kind(shown: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise DeskError(
            f"cannot attach {shown}: it is a directory; attach a file (an archive of it, say)"
        )
    if not stat.S_ISREG(mode):
        what = next((kind for test, kind in _KINDS if test(mode)), "not a regular file")
        raise DeskError(f"cannot attach {shown}: it is {what}, not a regular file")


def _too_large(shown: str, size: int, limit: int, *, growing: bool = False) -> DeskError:
    said, allowed = human_size(size), human_size(limit)
    if said == allowed:  # 20 MB and a byte: say it in bytes
        said, allowed = f"{size:,} bytes", f"{limit:,}-byte"
    over = f"{said} is over the {allowed} limit (DESKTERM_ATTACHMENT_LIMIT)"
    if growing:
        return DeskError(f"cannot attach {shown}: it grew while it was copied, and {over}")
    return DeskError(f"cannot attach {shown}: {over}")


@contextlib.contextmanager
def _open_source(source: Path, shown: str, limit: int) -> Iterator[BinaryIO]:
    """The file to attach, open for reading, once it passed every check but the copy's."""
    try:
        info = source.stat()
    except FileNotFoundError:
        raise DeskError(f"cannot attach {shown}: no such file") from None
    except NotADirectoryError:
        raise DeskError(
            f"cannot attach {shown}: no such file (a part of its path is not a directory)"
        ) from None
    except PermissionError:
        raise DeskError(f"cannot attach {shown}: permission denied (you may not read it)") from None
    except OSError as error:
        raise DeskError(f"cannot attach {shown}: {error.strerror or error}") from None
    _refuse_kind(shown, info.st_mode)
    if info.st_size > limit:
        raise _too_large(shown, info.st_size, limit)
    try:
        # O_NONBLOCK: should a FIFO have replaced the file since stat(), opening
        # it must not wait for a writer (fstat below refuses it).
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise DeskError(f"cannot attach {shown}: no such file") from None
    except PermissionError:
        raise DeskError(f"cannot attach {shown}: permission denied (you may not read it)") from None
    except OSError as error:
        raise DeskError(f"cannot attach {shown}: {error.strerror or error}") from None
    with open(fd, "rb", buffering=0) as reader:
        _refuse_kind(shown, os.fstat(reader.fileno()).st_mode)
        yield reader


def _copy_in(desk: Desk, reader: BinaryIO, shown: str) -> tuple[int, str]:
    store = desk.attachments
    try:
        store.mkdir(parents=True, exist_ok=True)
        temporary = store / f".incoming-{secrets.token_hex(8)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as error:
        raise _store_error(store, error) from None
    try:
        hasher, size = hashlib.sha256(), 0
        with open(fd, "wb") as writer:
            while True:
                try:
                    chunk = reader.read(CHUNK)
                except OSError as error:
                    raise DeskError(f"cannot attach {shown}: {error.strerror or error}") from None
                if not chunk:
                    break
                size += len(chunk)
                if size > desk.attachment_limit:
                    raise _too_large(shown, size, desk.attachment_limit, growing=True)
                hasher.update(chunk)
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        digest = hasher.hexdigest()
        _move_into_place(store, temporary, digest)
    except OSError as error:
        raise _store_error(store, error) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return size, digest


def _move_into_place(store: Path, temporary: Path, digest: str) -> None:
    folder = store / digest[:2]
    if not folder.is_dir():
        folder.mkdir(exist_ok=True)
        # A store an administrator made group-writable (a shared jump host)
        # stays so: its sub-directories take its permissions.
        with contextlib.suppress(OSError):
            os.chmod(folder, stat.S_IMODE(store.stat().st_mode))
    target = folder / digest
    try:
        if target.is_file() and _sha256_of(target) == digest:
            return  # the same content is stored already
    except OSError:
        pass  # a copy this user cannot read is replaced by this one
    os.replace(temporary, target)  # a damaged copy, if any, is replaced
    _sync_directory(folder)


def _sync_directory(folder: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _store_error(store: Path, error: OSError) -> DeskError:
    return DeskError(
        f"cannot store the attachment in {store}: {error.strerror or error} "
        "(set DESKTERM_ATTACHMENTS to a directory you can write)"
    )


def _sha256_of(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as stored:
        while chunk := stored.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


# --- reading ------------------------------------------------------------------------


def attachments_of(desk: Desk, number: int) -> list[Attachment]:
    """The case's attachments, in the order they were added."""
    with reading(desk.engine) as session:
        case_id = session.exec(select(Case.id).where(Case.number == number)).first()
        if case_id is None:
            raise NotFound(
                f"no case {number} (case numbers start at 40100; see deskterm case list)"
            )
        return list(
            session.exec(
                select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
            )
        )


def attachment_path(desk: Desk, attachment: Attachment) -> Path:
    """Where the attachment's content is stored (it may be missing: see read_text)."""
    digest = attachment.sha256
    if not _SHA256.fullmatch(digest or ""):
        raise DeskError(
            f"attachment {attachment.name!r} has no valid SHA-256 ({digest!r}): "
            "its record is damaged"
        )
    return desk.attachments / digest[:2] / digest


def attachment_json(desk: Desk, attachment: Attachment) -> dict[str, Any]:
    """An attachment as the command line's JSON shows it."""
    return {
        "name": attachment.name,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "added_by": attachment.added_by,
        "added_at": to_iso(attachment.added_at),
        "path": str(attachment_path(desk, attachment)),
    }


def read_text(desk: Desk, attachment: Attachment, limit: int = TEXT_LIMIT) -> str:
    """The attachment's text (a log file), decoded; at most `limit` bytes of it.

    UTF-8 (undecodable bytes become U+FFFD), or UTF-16 with a byte-order mark.
    A longer file is cut at `limit` bytes and a last line says how much is not
    shown. The whole stored file is checked against its SHA-256 first.

    Raises NotText for binary content (a NUL byte or mostly undecodable bytes in
    its first 8 KB), DeskError when the stored copy is missing or damaged. The
    text is untrusted: render it through deskterm.safe_text.
    """
    path = attachment_path(desk, attachment)
    hasher, head, size = hashlib.sha256(), bytearray(), 0
    try:
        with open(path, "rb") as stored:
            while chunk := stored.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
                if len(head) < limit:
                    head += chunk[: limit - len(head)]
    except FileNotFoundError:
        raise DeskError(
            f"the stored copy of {attachment.name!r} is missing ({path}): attach the file again"
        ) from None
    except OSError as error:
        raise DeskError(
            f"cannot read the stored copy of {attachment.name!r} ({path}): "
            f"{error.strerror or error}"
        ) from None
    if hasher.hexdigest() != attachment.sha256:
        raise DeskError(
            f"the stored copy of {attachment.name!r} is damaged: its SHA-256 no longer matches "
            f"({path}); attach the file again"
        )
    text = _decode(bytes(head), truncated=size > len(head))
    if text is None:
        raise NotText(
            f"binary file: {attachment.name!r} ({human_size(attachment.size)}) not shown; "
            f"its copy is at {path}"
        )
    if size > len(head):
        text += (
            f"\n[… {human_size(size - len(head))} more not shown: "
            f"the first {human_size(len(head))} of {human_size(size)}]"
        )
    return text


def _decode(data: bytes, *, truncated: bool) -> str | None:
    """The text, or None when the bytes look binary."""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            return decoder.decode(data[len(bom) :], final=not truncated)
    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\x00" in data[:SNIFF]:
        return None
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    sample = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data[:SNIFF])
    if sample and len(_CONTROL.findall(sample)) > len(sample) * 0.1:
        return None
    # A file cut at `limit` may end inside a character: the decoder keeps it back.
    return decoder.decode(data, final=not truncated)
