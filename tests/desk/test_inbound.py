"""Mail in: each real .eml lands where it should, or is refused whole with its reason.

The fixtures in tests/desk/mail/ are messages as a mail server delivers them
(CRLF line ends); Incident# 40100 is the first case of a fresh desk.
"""

from __future__ import annotations

import base64
import os
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from deskterm.desk import cases, inbound
from deskterm.desk.attachments import attachment_path, attachments_of
from deskterm.desk.case_file import load
from deskterm.desk.context import Desk
from deskterm.desk.inbound import Refused, case_in_subject
from deskterm.mail.html_text import html_to_text
from deskterm.models import Attachment, Case, Event, IngestedMail, TriageMail
from deskterm.safe_text import safe_line
from deskterm.sla import Status
from tests.frozen import FrozenClock

MAIL = Path(__file__).parent / "mail"


def eml(name: str) -> bytes:
    return (MAIL / name).read_bytes()


@pytest.fixture
def mail_desk(desk: Desk, tmp_path: Path) -> Desk:
    desk.attachments = tmp_path / "store"
    return desk


@pytest.fixture
def case(mail_desk: Desk) -> Case:
    return cases.open_case(
        mail_desk, organization="Acme", contact="Bob Admin", severity=2, subject="Server down"
    )


def counts(desk: Desk) -> dict[str, int]:
    with Session(desk.engine) as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (Case, Event, Attachment, IngestedMail, TriageMail)
        }


def kinds(desk: Desk, number: int) -> list[str]:
    return [event.kind for event in load(desk, number).events]


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("Incident# 40100: Server down", 40100),
        ("Incident #40100", 40100),
        ("[Incident# 40100] Server down", 40100),
        ("Re: Incident# 40100: Server down", 40100),
        ("RE: AW: Fwd: [Incident# 40101] x", 40101),
        ("aw:Incident#40102", 40102),
        ("Server down", None),
        # Issue 23: anywhere in the subject, after any prefix or gateway tag, as
        # Request Tracker reads its `[rtname #N]` (these opened new cases).
        ("About Incident# 40100 and others", 40100),
        ("[EXTERNAL] RE: Incident# 40100: Server down", 40100),
        ("TR: Incident# 40100", 40100),
        ("RV: Incident# 40100", 40100),
        ("Antwort: Incident# 40100", 40100),
        ("回复: Incident# 40100: 服务器宕机", 40100),
        ("Incident 40100", None),  # the number alone is anyone's number
    ],
)
def test_the_case_number_is_read_from_the_subject(subject: str, number: int | None) -> None:
    assert case_in_subject(subject) == number


def test_a_plain_reply_lands_on_its_case_stops_the_clock_and_reopens(
    mail_desk: Desk, case: Case, clock: FrozenClock
) -> None:
    cases.reply(mail_desk, case.number, "Please restart the server.")
    cases.move(mail_desk, case.number, Status.WAITING, "Did the restart help?")
    clock.advance(minutes=30)
    result = inbound.ingest(mail_desk, eml("plain.eml"))
    assert (result.outcome, result.case) == ("reply", 40100)
    loaded = load(mail_desk, 40100)
    reply = [e for e in loaded.events if e.kind == "customer-reply"][-1]
    assert reply.text.startswith("The server is back after the restart")
    assert reply.actor == "Bob Admin <bob@acme.test>"
    assert loaded.case.status == Status.OPEN.value  # a waiting case returns to open
    assert kinds(mail_desk, 40100)[-2:] == ["customer-reply", "status"]


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: auto-replied", "Precedence: auto_reply", "X-Autoreply: yes"]
)
def test_an_out_of_office_reply_stops_no_clock_and_lands_on_the_timeline(
    mail_desk: Desk, case: Case, header: str
) -> None:
    cases.move(mail_desk, case.number, Status.WAITING, "Which version do you run?")
    due = load(mail_desk, case.number).case.next_due
    raw = eml("plain.eml").replace(b"MIME-Version", header.encode() + b"\r\nMIME-Version")
    result = inbound.ingest(mail_desk, raw)
    assert (result.outcome, result.case) == ("automatic", case.number)
    loaded = load(mail_desk, case.number)
    assert loaded.case.status == Status.WAITING.value
    assert loaded.case.next_due == due
    assert "customer-reply" not in kinds(mail_desk, case.number)
    assert kinds(mail_desk, case.number)[-1] == "automatic-mail"


def test_automatic_mail_naming_no_case_waits_in_triage_and_opens_none(mail_desk: Desk) -> None:
    raw = eml("new_case.eml").replace(
        b"MIME-Version", b"Auto-Submitted: auto-replied\r\nMIME-Version"
    )
    result = inbound.ingest(mail_desk, raw)
    assert result.outcome == "triage" and result.reason.startswith("an automatic message (")
    assert counts(mail_desk)["Case"] == 0


def test_the_same_message_twice_is_taken_once(mail_desk: Desk, case: Case) -> None:
    first = inbound.ingest(mail_desk, eml("plain.eml"))
    before = counts(mail_desk)
    second = inbound.ingest(mail_desk, eml("plain.eml"))
    assert first.outcome == "reply" and second.outcome == "duplicate"
    assert "the same Message-ID was taken" in second.reason
    assert counts(mail_desk) == before


def test_a_known_contact_opens_a_new_case_at_the_email_severity_never_sev_1(
    mail_desk: Desk,
) -> None:
    result = inbound.ingest(mail_desk, eml("new_case.eml"))  # From: BOB@Acme.Test
    assert result.outcome == "new-case"
    loaded = load(mail_desk, result.case)  # type: ignore[arg-type]
    assert loaded.case.subject == "Printer queue stuck"
    assert loaded.case.description == "Nothing prints since this morning."
    assert loaded.contact is not None and loaded.contact.name == "Bob Admin"
    # business-hours-3: Sev 1 takes the phone call; mail opens at the lowest level.
    assert loaded.case.severity == 3 == loaded.policy.email_severity


def test_multipart_mail_brings_its_attachment_in_one_change(mail_desk: Desk, case: Case) -> None:
    result = inbound.ingest(mail_desk, eml("multipart_attachment.eml"))
    assert (result.outcome, result.case) == ("reply", 40100)
    (attachment,) = attachments_of(mail_desk, 40100)
    assert attachment.name == "server.log" and attachment.size == 50
    path = attachment_path(mail_desk, attachment)
    assert path.read_bytes() == b"09:00:01 ERROR disk full\n09:00:02 ERROR disk full\n"
    loaded = load(mail_desk, 40100)
    assert [e.kind for e in loaded.events][-2:] == ["customer-reply", "attach"]
    assert {e.version for e in loaded.events[-2:]} == {loaded.version}  # one change
    assert [e for e in loaded.events if e.kind == "customer-reply"][0].text == (
        "Here is the server log."
    )


def test_html_only_mail_becomes_readable_text(mail_desk: Desk, case: Case) -> None:
    inbound.ingest(mail_desk, eml("html_only.eml"))
    text = [e for e in load(mail_desk, 40100).events if e.kind == "customer-reply"][0].text
    assert text == (
        "Hello support,\n\nthe error is back:\n\n- disk full\n"
        "- see status page (https://acme.test/status)\n\nThanks & regards"
    )
    assert "alert" not in text and "color" not in text and "<" not in text


def test_html_to_text_keeps_quotes_and_line_breaks() -> None:
    html = "<div>one<br>two</div><blockquote>quoted</blockquote>"
    assert html_to_text(html) == "one\ntwo\n\n> quoted"


def test_a_latin1_message_is_decoded(mail_desk: Desk, case: Case) -> None:
    result = inbound.ingest(mail_desk, eml("latin1.eml"))
    assert (result.outcome, result.case) == ("reply", 40100)
    reply = [e for e in load(mail_desk, 40100).events if e.kind == "customer-reply"][0]
    assert reply.text == "Die Datenbank läuft wieder. Schöne Grüße"
    assert reply.actor == "Jürgen Müller <bob@acme.test>"


def test_an_unknown_charset_label_falls_back_without_losing_the_message(
    mail_desk: Desk, case: Case
) -> None:
    raw = eml("latin1.eml").replace(b"charset=iso-8859-1", b"charset=x-no-such-charset")
    raw = raw.replace(b"<latin1-1@", b"<latin1-2@")
    inbound.ingest(mail_desk, raw)
    reply = [e for e in load(mail_desk, 40100).events if e.kind == "customer-reply"][0]
    assert reply.text == "Die Datenbank läuft wieder. Schöne Grüße"  # Latin-1, the last resort


def test_a_subject_with_cr_lf_is_stored_exactly_and_shown_on_one_line(mail_desk: Desk) -> None:
    result = inbound.ingest(mail_desk, eml("header_injection.eml"))
    assert result.outcome == "new-case"
    subject = load(mail_desk, result.case).case.subject  # type: ignore[arg-type]
    assert subject == "Help\r\nBcc: evil@attacker.test\r\n\x1b[31mred"  # stored exactly
    shown = safe_line(subject)
    assert "\r" not in shown and "\n" not in shown and "\x1b" not in shown


def test_a_sender_name_the_header_parser_refuses_is_taken_as_written(
    mail_desk: Desk, case: Case
) -> None:
    # An encoded name may decode to anything; with a CR in it, Python's header
    # registry refuses the whole From header on every read. The address is read from
    # the raw header, the name decoded by hand: the mail lands on its case.
    name = base64.b64encode(b"Bob\r\x1b]0;PWNED\x07 Admin").decode()
    raw = (
        f"From: =?utf-8?b?{name}?= <bob@acme.test>\r\n"
        "Subject: Incident# 40100: still down\r\n"
        "Message-ID: <cr-in-name@acme.test>\r\n\r\n"
        "It is still down.\r\n"
    ).encode()
    result = inbound.ingest(mail_desk, raw)
    assert (result.outcome, result.case) == ("reply", case.number)
    reply = [e for e in load(mail_desk, case.number).events if e.kind == "customer-reply"][-1]
    assert reply.actor == "Bob\r\x1b]0;PWNED\x07 Admin <bob@acme.test>"  # stored exactly
    assert reply.text == "It is still down."


def test_a_message_id_of_kilobytes_is_no_message_id(mail_desk: Desk, case: Case) -> None:
    # PostgreSQL cannot index it: the ingest failed as if the database were down (exit
    # 75, retried for days). Now the content names the message, as when it has none.
    raw = (
        "From: Bob Admin <bob@acme.test>\r\n"
        "Subject: Incident# 40100: still down\r\n"
        f"Message-ID: <{'x' * 20_000}@acme.test>\r\n\r\n"
        "It is still down.\r\n"
    ).encode()
    result = inbound.ingest(mail_desk, raw)
    assert (result.outcome, result.case) == ("reply", case.number)
    assert result.message_id.startswith("<sha256-")
    assert inbound.ingest(mail_desk, raw).outcome == "duplicate"


def test_an_unknown_sender_lands_in_triage_and_can_be_taken_into_a_case(
    mail_desk: Desk,
) -> None:
    result = inbound.ingest(mail_desk, eml("unknown_sender.eml"))
    assert result.outcome == "triage" and "not a known contact" in result.reason
    (line,) = inbound.triage(mail_desk)
    assert (line.from_address, line.subject) == ("stranger@example.org", "Do you sell licences?")
    assert counts(mail_desk)["Case"] == 0
    number = inbound.take(mail_desk, line.id, organization="Acme", contact="Bob Admin")
    taken = load(mail_desk, number).case
    assert taken.subject == "Do you sell licences?" and taken.severity == 3
    assert "stranger@example.org" in taken.description
    assert inbound.triage(mail_desk) == []
    with pytest.raises(inbound.DeskError, match="was taken into Incident# 40100"):
        inbound.take(mail_desk, line.id, case=number)


def test_a_case_number_from_a_stranger_goes_to_triage_not_onto_the_case(
    mail_desk: Desk, case: Case
) -> None:
    raw = eml("unknown_sender.eml").replace(
        b"Subject: Do you sell licences?", b"Subject: Re: Incident# 40100"
    )
    result = inbound.ingest(mail_desk, raw)
    assert result.outcome == "triage"
    assert "is not a contact of Acme" in result.reason
    assert "customer-reply" not in kinds(mail_desk, 40100)


def test_a_reply_to_our_message_lands_on_its_case_whatever_the_subject(
    mail_desk: Desk, case: Case
) -> None:
    cases.reply(mail_desk, case.number, "Which version do you run?")
    with Session(mail_desk.engine) as session:
        from deskterm.models import Outbox

        ours = session.exec(select(Outbox.message_id)).one()
    raw = eml("new_case.eml").replace(
        b"Message-ID: <new-1@acme.test>",
        b"In-Reply-To: " + ours.encode() + b"\r\nMessage-ID: <t@x>",
    )
    result = inbound.ingest(mail_desk, raw)
    assert (result.outcome, result.case) == ("reply", 40100)


def test_a_30_mb_attachment_is_refused_whole_and_nothing_is_written(
    mail_desk: Desk, case: Case
) -> None:
    message = EmailMessage()
    message["From"] = "bob@acme.test"
    message["Subject"] = "Re: Incident# 40100: the dump"
    message["Message-ID"] = "<big-1@acme.test>"
    message.set_content("The memory dump is attached.")
    message.add_attachment(
        os.urandom(30 * 1024 * 1024), maintype="application", subtype="octet-stream",
        filename="core.dump",
    )  # fmt: skip
    before = counts(mail_desk)
    with pytest.raises(Refused) as refused:
        inbound.ingest(mail_desk, message.as_bytes())
    assert str(refused.value) == (
        "<big-1@acme.test>: refused: the attachment 'core.dump' is 30 MB, over the 20 MB "
        "limit (DESKTERM_ATTACHMENT_LIMIT); nothing was taken"
    )
    assert counts(mail_desk) == before
    store = mail_desk.attachments
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_an_oversized_attachment_from_a_stranger_is_refused_not_kept_in_triage(
    mail_desk: Desk,
) -> None:
    mail_desk.attachment_limit = 100
    message = EmailMessage()
    message["From"] = "stranger@example.org"
    message["Subject"] = "big"
    message.set_content("see attached")
    message.add_attachment(b"x" * 101, maintype="application", subtype="octet-stream",
                           filename="big.bin")  # fmt: skip
    before = counts(mail_desk)
    with pytest.raises(Refused, match="'big.bin' is 101 bytes, over the 100 bytes limit"):
        inbound.ingest(mail_desk, message.as_bytes())
    assert counts(mail_desk) == before


def test_an_ended_contract_sends_the_mail_to_triage_with_the_reason(mail_desk: Desk) -> None:
    from deskterm.desk import directory

    directory.add_contact(mail_desk, "Gina Mail", "Globex", email="gina@globex.test")
    raw = eml("new_case.eml").replace(b"BOB@Acme.Test", b"gina@globex.test")
    result = inbound.ingest(mail_desk, raw)
    assert result.outcome == "triage" and "maintenance contract ended" in result.reason
    assert counts(mail_desk)["Case"] == 0


def test_an_empty_message_is_refused(mail_desk: Desk) -> None:
    with pytest.raises(Refused, match="the message is empty"):
        inbound.ingest(mail_desk, b"\r\n")
