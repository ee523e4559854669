"""Mail from the real world: every message of tests/mail_corpus through the real ingest.

The corpus is other projects' public test fixtures (mail libraries and bounce
parsers), each file's origin in tests/mail_corpus/MANIFEST.tsv. Every message is
taken by `inbound.ingest`, in one process on one desk, and must:
- be taken (no crash, nothing refused that a mail server would deliver);
- if a machine sent it (every bounce of sisimai's set, every report), never open a
  case, and when it names a waiting case never stop its clock or reopen it;
- keep every part that is not shown as text (named or not), byte for byte;
- show text for every message that has text.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterator
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from deskterm.desk import cases, directory, inbound
from deskterm.desk.attachments import attachments_of
from deskterm.desk.case_file import load
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.mail.charsets import decode_bytes
from deskterm.mail.html_text import html_to_text
from deskterm.mail.parse import parse
from deskterm.models import Outbox
from deskterm.sla import Status

CORPUS = Path(__file__).parents[1] / "mail_corpus"
MANIFEST = CORPUS / "MANIFEST.tsv"
# Machine mail no header or structure gives away: KDDI's Japanese bounce is plain
# text from a no-reply address (sisimai reads its wording); it waits in triage.
UNRECOGNISED_MACHINE_MAIL = {"sisimai-set-of-emails/bsd_lhost-kddi-01.eml"}


def manifest() -> list[dict[str, str]]:
    with MANIFEST.open(newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


def messages() -> Iterator[tuple[str, bytes]]:
    for row in manifest():
        yield row["file"], (CORPUS / row["file"]).read_bytes()


def is_machine_mail(name: str, raw: bytes) -> bool:
    """What the corpus says a machine sent: sisimai's bounces and any report."""
    if name.startswith("sisimai-set-of-emails/"):
        return True
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    return message.get_content_type() == "multipart/report"


def leaves(message: Message) -> Iterator[Message]:
    """Every part that holds data, forwarded messages' parts too."""
    for part in message.walk():
        if not part.is_multipart():
            yield part


def shown_as_text(part: Message) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and not part.get_filename()
        and not part.get_param("name")
    )


def test_the_corpus_is_real_world_mail_of_five_projects_each_file_cited() -> None:
    rows = manifest()
    assert len(rows) >= 200
    assert len({row["repository"] for row in rows}) >= 5
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*.eml")}
    assert on_disk == {row["file"] for row in rows}
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]), row
        assert row["path"] and row["licence"], row
    for project in {row["file"].split("/")[0] for row in rows}:
        notices = [p for p in (CORPUS / project).iterdir() if not p.name.endswith(".eml")]
        assert any("LICENSE" in p.name.upper() or "COPYING" in p.name for p in notices)


def test_every_part_is_kept_or_shown_and_every_text_is_shown() -> None:
    for name, raw in messages():
        mail = parse(raw)
        kept = {part.data for part in mail.attachments}
        message = BytesParser(policy=policy.compat32).parsebytes(raw.removeprefix(b"\xef\xbb\xbf"))
        has_text = False
        for part in leaves(message):
            data = part.get_payload(decode=True)
            if shown_as_text(part):
                text = decode_bytes(data, part.get_content_charset()) if data else ""
                if part.get_content_type() == "text/html":
                    text = html_to_text(text)
                has_text = has_text or bool(text.strip())
                continue
            if isinstance(data, bytes) and data.strip():
                assert data in kept, f"{name}: a {part.get_content_type()} part was lost"
        if has_text:
            assert mail.text.strip(), f"{name}: it has text, none is shown"


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_whole_corpus_is_taken_and_machine_mail_moves_no_case(
    desk: Desk, tmp_path: Path
) -> None:
    desk.attachments = tmp_path / "store"
    directory.add_organization(desk, "Corpus", "business-hours-3")
    corpus = [(name, raw, parse(raw)) for name, raw in messages()]
    # Every sender a known contact: a person's mail opens a case, so that machine
    # mail, which must not, is put to the test.
    senders = sorted({mail.from_address for _, _, mail in corpus} - {"", "bob@acme.test"})
    for number, address in enumerate(senders):
        with contextlib.suppress(DeskError):  # an address it refuses: mail goes to triage
            directory.add_contact(desk, f"Sender {number}", "Corpus", email=address)
    waiting = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="Server down"
    )
    cases.reply(desk, waiting.number, "Which version do you run?")
    cases.move(desk, waiting.number, Status.WAITING, "Waiting for the version")
    with Session(desk.engine) as session:
        ours = session.exec(select(Outbox.message_id)).first()
    before = load(desk, waiting.number)

    machine = {name for name, raw, _ in corpus if is_machine_mail(name, raw)}
    unrecognised = {name for name, _, mail in corpus if name in machine and not mail.automatic}
    assert unrecognised == UNRECOGNISED_MACHINE_MAIL

    for number, (name, raw, mail) in enumerate(corpus):
        result = inbound.ingest(desk, raw)
        if mail.automatic:
            assert result.outcome in ("triage", "duplicate"), f"{name}: {result.summary()}"
        if result.outcome == "new-case":
            loaded = load(desk, result.case)  # type: ignore[arg-type]
            assert len(attachments_of(desk, loaded.case.number)) == len(mail.attachments), name
            if mail.text.strip():
                assert loaded.case.description == mail.text, name
        if mail.automatic:
            # The same machine mail as an answer to the desk's own message.
            threaded = f"Message-ID: <corpus-{number}@test>\r\nIn-Reply-To: {ours}\r\n".encode()
            if raw.startswith(b"From "):
                first, _, rest = raw.partition(b"\n")
                copy = first + b"\n" + threaded + rest
            else:
                copy = threaded + raw.removeprefix(b"\xef\xbb\xbf")
            result = inbound.ingest(desk, copy)
            assert (result.outcome, result.case) == ("automatic", waiting.number), name

    after = load(desk, waiting.number)
    assert after.case.status == Status.WAITING.value
    assert after.case.next_due == before.case.next_due
    kinds = {event.kind for event in after.events[len(before.events) :]}
    assert kinds <= {"automatic-mail", "attach"} and "automatic-mail" in kinds


MUTATIONS = [b"\r\n", b"=?", b"?=", b"\x80\xff", b";", b'"', b"--", b"=", b"\r\n\r\n", b"\x00"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    index=st.integers(min_value=0),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(MUTATIONS), st.integers(0, 40)), max_size=8
    ),
)
def test_a_mangled_message_is_read_without_a_crash(
    index: int, edits: list[tuple[float, bytes, int]]
) -> None:
    # The corpus's messages cut, spliced and broken where parsers break (a run of
    # 9,000 such found the two crashes below).
    rows = manifest()
    raw = bytearray((CORPUS / rows[index % len(rows)]["file"]).read_bytes())
    for where, insert, cut in edits:
        at = int(where * len(raw))
        raw[at : at + cut] = insert
    parse(bytes(raw))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"=?iso-8859-1?Q?Die_Hasen", b"=?i\xf8o-8859-1?Q?Die_Hasen"),  # CharsetError
        (b'charset="iso-8859-1"', b'charset="iso\x00-8859-1"'),  # ValueError: a NUL
    ],
)
def test_a_garbled_charset_name_is_no_crash(old: bytes, new: bytes) -> None:
    raw = (CORPUS / "mail-mime-parser/emails_m2011.eml").read_bytes()
    assert old in raw
    assert parse(raw.replace(old, new)).text
