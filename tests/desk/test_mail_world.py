"""Issue 23's findings, each on a real-world message of tests/mail_corpus (origins in
its MANIFEST.tsv): machine mail, forwarded messages, unnamed parts, the whole text,
charsets, boundaries the strict parser cannot read, and the smaller ones.

A message answering the desk gets `In-Reply-To: <the desk's Message-ID>` put in
front of its own header fields, as the customer's mailer would write it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from deskterm.desk import cases, directory, inbound
from deskterm.desk.attachments import attachment_path, attachments_of
from deskterm.desk.case_file import load
from deskterm.desk.context import Desk
from deskterm.mail.charsets import decode_bytes
from deskterm.mail.parse import parse
from deskterm.models import Case, Contact, Outbox
from deskterm.sla import Status

CORPUS = Path(__file__).parents[1] / "mail_corpus"


def real(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def answering(raw: bytes, message_id: str, number: int = 1) -> bytes:
    """The message as an answer to `message_id` (a fresh Message-ID of its own)."""
    fields = f"Message-ID: <answer-{number}@test>\r\nIn-Reply-To: {message_id}\r\n".encode()
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if raw.startswith(b"From "):  # an mbox `From ` line stays first
        first, _, rest = raw.partition(b"\n")
        return first + b"\n" + fields + rest
    return fields + raw


@pytest.fixture
def mail_desk(desk: Desk, tmp_path: Path) -> Desk:
    desk.attachments = tmp_path / "store"
    return desk


@pytest.fixture
def waiting(mail_desk: Desk) -> tuple[Case, str]:
    """Incident# 40100, waiting on the customer after the desk asked by mail."""
    case = cases.open_case(
        mail_desk, organization="Acme", contact="Bob Admin", severity=2, subject="Server down"
    )
    cases.move(mail_desk, case.number, Status.WAITING, "Which version do you run?")
    with Session(mail_desk.engine) as session:
        ours = session.exec(select(Outbox.message_id)).first()
    assert ours is not None
    return load(mail_desk, case.number).case, ours


def events(desk: Desk, number: int, kind: str) -> list:
    return [e for e in load(desk, number).events if e.kind == kind]


# --- 1. machine mail ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "sisimai-set-of-emails/bsd_lhost-exchange2007-01.eml",  # Exchange 2007 DSN
        "sisimai-set-of-emails/bsd_lhost-domino-01.eml",  # Domino
        "sisimai-set-of-emails/bsd_lhost-notes-01.eml",  # Lotus Notes
        "sisimai-set-of-emails/bsd_lhost-qmail-01.eml",  # qmail, no DSN
        "sisimai-set-of-emails/bsd_lhost-gmail-01.eml",  # Gmail
        "sisimai-set-of-emails/bsd_lhost-amazonses-01.eml",  # Amazon SES
        "sisimai-set-of-emails/bsd_rfc3834-02.eml",  # Exchange out-of-office, no Auto-Submitted
        "sisimai-set-of-emails/bsd_rfc3834-03.eml",  # "Auto reply:" and no header saying so
        "mimekit/messages_disposition-notification.eml",  # a read receipt (MDN)
        "flanker/complaints_aol.eml",  # an abuse report (ARF)
        "mimekit/messages_feedback-report.eml",  # ARF starting with a UTF-8 BOM
    ],
)
def test_machine_mail_answering_the_desk_neither_stops_the_clock_nor_reopens(
    mail_desk: Desk, waiting: tuple[Case, str], name: str
) -> None:
    case, ours = waiting
    result = inbound.ingest(mail_desk, answering(real(name), ours))
    assert (result.outcome, result.case) == ("automatic", case.number)
    after = load(mail_desk, case.number)
    assert after.case.status == Status.WAITING.value
    assert after.case.next_due == case.next_due
    assert not events(mail_desk, case.number, "customer-reply")
    (automatic,) = events(mail_desk, case.number, "automatic-mail")
    assert automatic.text  # its text is on the timeline, dimmed


def test_machine_mail_naming_no_case_opens_none_even_from_a_contact(mail_desk: Desk) -> None:
    raw = real("sisimai-set-of-emails/bsd_rfc3834-02.eml")  # Exchange out-of-office
    directory.add_contact(mail_desk, "Neko", "Acme", email=parse(raw).from_address)
    result = inbound.ingest(mail_desk, raw)
    assert result.outcome == "triage" and "automatic message" in result.reason
    with Session(mail_desk.engine) as session:
        assert session.exec(select(Case)).first() is None


def test_a_permanent_bounce_flags_the_contact_and_the_case(
    mail_desk: Desk, waiting: tuple[Case, str]
) -> None:
    case, ours = waiting
    raw = real("sisimai-set-of-emails/bsd_lhost-sendmail-01.eml")
    directory.add_contact(mail_desk, "Unknown User", "Acme", email="userunknown@bouncehammer.jp")
    # The bounce returns the desk's own message: its Message-ID names the case.
    raw = raw.replace(b"<E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org>", ours.encode())
    result = inbound.ingest(mail_desk, raw)
    assert (result.outcome, result.case) == ("automatic", case.number)
    (event,) = events(mail_desk, case.number, "automatic-mail")
    assert event.new_value == "last reply bounced: 5.1.1 User Unknown"
    with Session(mail_desk.engine) as session:
        contact = session.exec(select(Contact).where(Contact.name == "Unknown User")).one()
    assert contact.mail_bounce == "5.1.1 User Unknown"
    assert load(mail_desk, case.number).case.status == Status.WAITING.value


def test_the_desks_own_mail_coming_back_is_machine_mail(
    mail_desk: Desk, waiting: tuple[Case, str]
) -> None:
    case, ours = waiting
    raw = real("mikel-mail/plain_emails_raw_email_reply.eml")
    raw = raw.replace(b"Message-ID: <", b"Message-ID: " + ours.encode() + b"\r\nX-Old-Id: <", 1)
    raw = raw.replace(b"Message-Id: <", b"Message-Id: " + ours.encode() + b"\r\nX-Old-Id: <", 1)
    assert parse(raw).message_id == ours
    result = inbound.ingest(mail_desk, b"In-Reply-To: " + ours.encode() + b"\r\n" + raw)
    assert result.outcome == "automatic" and "came back" in result.reason


# --- 2. forwarded messages ------------------------------------------------------------


def test_a_forwarded_message_is_kept_as_eml_and_its_text_shown_quoted(
    mail_desk: Desk, waiting: tuple[Case, str]
) -> None:
    case, ours = waiting
    raw = real("mikel-mail/attachment_emails_attachment_message_rfc822.eml")
    result = inbound.ingest(mail_desk, answering(raw, ours))
    assert result.outcome == "reply"
    names = [a.name for a in attachments_of(mail_desk, case.number)]
    assert names == ["ForwardedMessage.eml", "broken.pdf"]
    forwarded = attachment_path(mail_desk, attachments_of(mail_desk, case.number)[0])
    assert b"Subject: Another PDF" in forwarded.read_bytes()
    (reply,) = events(mail_desk, case.number, "customer-reply")
    assert reply.text.startswith("This is the first part.\n\n> ---- enclosed message")
    assert "> Subject: Another PDF" in reply.text
    assert "> Just attaching another PDF, here, to see what the message looks like," in reply.text


# --- 3. parts without a file name -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "files"),
    [
        # Content-ID only (inline images of a reply), named from it
        (
            "django-mailbox/messages_message_with_image_jpg_mimetype.eml",
            ["OEOYKEJENLIK.2.jpg", "RMXPLRIHWRQK.3.jpg", "OSSFDHZYGOQM.transparent.gif"],
        ),
        # Content-Location only
        ("mikel-mail/attachment_emails_attachment_content_location.eml", ["Photo25.jpg"]),
        # no name at all (RFC 2046's alternatives not shown, enriched and x-whatever)
        ("stalwart-mail-parser/rfc_003.eml", ["part-1.txt", "part-2.bin"]),
    ],
)
def test_parts_without_a_file_name_are_kept_and_named(name: str, files: list[str]) -> None:
    assert [part.name for part in parse(real(name)).attachments] == files


# --- 4. the whole text ----------------------------------------------------------------


def test_every_inline_text_part_is_shown_in_order() -> None:
    mail = parse(real("flanker/messages_iphone.eml"))  # iPhone: text, photo, text
    assert mail.text == "Hello\n\n~Danielle"
    assert [part.name for part in mail.attachments] == ["photo.JPG"]


def test_the_html_body_is_shown_when_the_plain_part_says_far_less() -> None:
    # nodemailer's own test message: plain "Hello to myself!", the HTML says more.
    mail = parse(real("nodemailer-mailparser/fixtures_nodemailer.eml"))
    assert "Here's a nyan cat for you as an embedded attachment" in mail.text


# --- 5. charsets ----------------------------------------------------------------------


def test_a_few_bad_bytes_cost_a_few_characters_not_the_whole_body() -> None:
    # UTF-8 with Latin-1 bytes pasted in: both read right, no mojibake.
    text = parse(real("django-mailbox/messages_email_issue_82.eml")).text
    assert text.startswith("Atención")
    assert "divulgação seja proibida por seu proprietário" in text


def test_a_gb2312_label_on_gbk_bytes_is_read_as_gbk() -> None:
    # Chinese spam of SpamScope's suite: labelled gb2312, with GBK-only characters
    mail = parse(real("spamscope-mail-parser/mails_mail_test_9.eml"))
    assert "你们看看这个是什么" in mail.subject and "\ufffd" not in mail.subject
    assert "你们看看这个是什么" in mail.text and "\ufffd" not in mail.text
    assert decode_bytes("‘quoted’ – ok".encode("cp1252"), "iso-8859-1") == "‘quoted’ – ok"


# --- 6. boundaries the strict parser cannot read --------------------------------------


def test_an_unquoted_boundary_with_equals_signs_is_read() -> None:
    # Outlook via bigpond: boundary=----=_NextPart_000_000F_01C8139C.6D4F7E30, unquoted
    mail = parse(real("mikel-mail/mime_emails_raw_email_with_illegal_boundary.eml"))
    assert mail.text == "Hello\nThis is an outlook test\n\nSo there.\n\nMe."


# --- 7. smaller -----------------------------------------------------------------------


def test_raw_8_bit_headers_are_read_in_the_bodys_charset() -> None:
    # Outlook 2000: `Subject: Die Hasen und die Fr\xf6sche`, unencoded
    mail = parse(real("mail-mime-parser/emails_github-102-01.eml"))
    assert mail.subject == "Die Hasen und die Frösche (Microsoft Outlook 00)"
    assert parse(real("flanker/messages_from-encoding.eml")).from_name == "Ingo Lütkebohle"


def test_an_unquoted_encoded_word_file_name_is_decoded() -> None:
    mail = parse(real("mikel-mail/attachment_emails_attachment_with_base64_encoded_name.eml"))
    assert [part.name for part in mail.attachments] == ["This is a test.pdf"]


def test_a_utf8_bom_and_obsolete_field_syntax_are_accepted() -> None:
    assert parse(real("mimekit/messages_feedback-report.eml")).from_address == (
        "abusedesk@example.com"
    )
    # RFC 2822 A.6.3: `From  : John Doe <jdoe@machine(comment).  example>`
    assert parse(real("mikel-mail/rfc2822_example13.eml")).from_address == "jdoe@machine.example"


def test_tnef_is_kept_as_it_came_and_said_so() -> None:
    mail = parse(real("mimekit/tnef_ukr.eml"))
    assert [part.name for part in mail.attachments] == ["winmail.dat"]
    assert "winmail.dat: Outlook's TNEF format, kept as it came" in mail.text


def test_a_calendar_invitation_is_kept_as_ics_with_its_summary_and_time() -> None:
    # Google Calendar's invitation (postal-mime's fixture): the calendar alternative
    # and the attached invite.ics are both kept, their event on the timeline.
    mail = parse(real("postal-mime/fixtures_calendar-event.eml"))
    assert [part.name for part in mail.attachments] == ["invitation.ics", "invite.ics"]
    assert mail.text.startswith("Test event ⏰\nThursday Apr 11, 2024 ⋅ 11am – 12pm")
    assert (
        "[calendar invitation invite.ics: Test event ⏰, 20240411T110000 Europe/Tallinn"
        " - 20240411T120000 Europe/Tallinn (request)]"
    ) in mail.text


@pytest.mark.parametrize(
    "subject",
    ["[EXTERNAL] RE: Incident# 40100: Server down", "TR: Incident# 40100", "回复: Incident# 40100"],
)
def test_a_prefixed_subject_lands_on_its_case(
    mail_desk: Desk, waiting: tuple[Case, str], subject: str
) -> None:
    case, _ = waiting
    raw = real("mikel-mail/rfc2822_example01.eml").replace(
        b"jdoe@machine.example", b"bob@acme.test"
    )
    raw = raw.replace(b"Subject: Saying Hello", b"Subject: " + subject.encode())
    result = inbound.ingest(mail_desk, raw)
    assert (result.outcome, result.case) == ("reply", case.number)
