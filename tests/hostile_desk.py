"""A desk where every field a customer or a user fills holds a payload of tests/hostile.py.

One case per payload, written through deskterm's own use cases (as the console, the
command line and the mail gateway write): the payload is in the case's subject,
description and intake fields, an internal note, a reply, a call (who, summary,
outcome), a severity change's and an escalation's reason, the question of a move to
"waiting on the customer", the case's organization (name, tier) and contact (name,
phone), the name of the user who did all this and to whom the case is assigned, an
attached file (name and content), and a customer's mail on the case (the sender's
name, the body, an attached file's name and content). One-line values are cut to the
longest deskterm takes (names 200 characters, other lines 1,000): only the 1 MB line
is longer, and it goes whole into every text (description, notes, replies, reasons).

Each value starts with a label and the payload's number (`note07:`), so a test can
tell which field it sees on a screen.
"""

from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from deskterm.desk import attachments, cases, directory, inbound
from deskterm.desk.cases import ONE_LINE_FIELDS
from deskterm.desk.context import Desk
from deskterm.desk.limits import LINE_LIMIT, NAME_LIMIT
from deskterm.models import INTAKE_FIELDS
from tests.hostile import PAYLOADS, Payload

POLICY = "business-hours-3"
FIRST_NUMBER = 40100
# Received an hour before the desk's "now": in the shift's handoff and the week's report.
RECEIVED_BEFORE = timedelta(hours=1)
# Sev 1s are due first, so the breach board's eight next cases are these payloads'.
ON_THE_BOARD = (
    "OSC 0 title",
    "OSC 8 hyperlink",
    "OSC 52 clipboard",
    "unterminated OSC",
    "8-bit CSI",
    "bidi override",
    "markup link",
    "1 MB line",
)


def label(field: str, index: int) -> str:
    return f"{field}{index:02d}:"


@dataclass(frozen=True)
class HostileCase:
    """One payload's case, and what each of its fields was given."""

    index: int
    payload: Payload
    number: int

    def value(self, field: str) -> str:
        return label(field, self.index) + self.payload.text

    def name(self, field: str) -> str:
        """A name's value: the payload cut to the longest name deskterm takes."""
        return self.value(field)[:NAME_LIMIT]

    def line(self, field: str) -> str:
        """A one-line value: the payload cut to the longest line deskterm takes."""
        return self.value(field)[:LINE_LIMIT]

    def intake(self, field: str) -> str:
        return self.line(field) if field in ONE_LINE_FIELDS else self.value(field)

    def shown(self, field: str) -> str:
        """The field's value as deskterm must show it."""
        return label(field, self.index) + self.payload.shown

    def content(self, field: str) -> str:
        """An attached text file: the payload on its first line, then ordinary text (a file
        more than a tenth controls, or with a NUL, is binary to deskterm, and not shown)."""
        return f"{self.value(field)}\nsecond line of an ordinary log file\n"

    @property
    def mail_text(self) -> str:
        """The mail's body as the gateway decodes it: UTF-8, each byte that is not
        UTF-8 read as Windows-1252 (as Latin-1 where Windows-1252 has no character)."""
        text = (
            self.value("mail").encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
        )

        def byte(c: str) -> str:
            if not 0xDC80 <= ord(c) <= 0xDCFF:
                return c
            value = bytes([ord(c) - 0xDC00])
            try:
                return value.decode("cp1252")
            except UnicodeDecodeError:
                return value.decode("latin-1")

        return "".join(byte(c) for c in text)

    @property
    def email(self) -> str:
        return f"caller{self.index:02d}@hostile.test"

    @property
    def file_name(self) -> str:
        # deskterm refuses '/', '\\' and NUL in a file's name: everything else goes.
        return self.line("file").replace("/", "|").replace("\\", "|").replace("\x00", "0")

    @property
    def mail_file_name(self) -> str:
        # The mail gateway makes the same three characters of a mail's file name '_'.
        name = self.value("part")
        return name.replace("/", "_").replace("\\", "_").replace("\x00", "_")


def hostile_cases() -> list[HostileCase]:
    return [
        HostileCase(index, payload, FIRST_NUMBER + index)
        for index, payload in enumerate(PAYLOADS.values())
    ]


def _encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "surrogateescape")).decode() + "?="


def _base64_lines(data: bytes) -> str:
    encoded = base64.b64encode(data).decode()
    return "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def customer_mail(case: HostileCase) -> bytes:
    """The customer's answer on the case: every part of it a payload (RFC 2047 and 2231
    carry any character through the headers, base64 through the bodies)."""
    part_name = urllib.parse.quote(case.value("part").encode("utf-8", "surrogateescape"), safe="")
    data = "\r\n".join(
        [
            f"From: {_encoded_word(case.value('from'))} <{case.email}>",
            "To: support@desk.test",
            f"Subject: {_encoded_word(f'Incident# {case.number} ' + case.value('subj'))}",
            f"Message-ID: <hostile-{case.index:02d}@hostile.test>",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="hostile-boundary"',
            "",
            "--hostile-boundary",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            _base64_lines(case.value("mail").encode("utf-8", "surrogateescape")),
            "--hostile-boundary",
            "Content-Type: text/plain; charset=utf-8",
            f"Content-Disposition: attachment; filename*=utf-8''{part_name}",
            "Content-Transfer-Encoding: base64",
            "",
            _base64_lines(case.content("pbody").encode("utf-8", "surrogateescape")),
            "--hostile-boundary--",
            "",
        ]
    )
    return data.encode("ascii")


def fill(desk: Desk, files: Path) -> list[HostileCase]:
    """Write the hostile desk; `files` is a directory for the files to attach."""
    files.mkdir(parents=True, exist_ok=True)
    written = hostile_cases()
    for case in written:
        org = case.name("org")
        contact = case.name("ctc")
        directory.add_organization(desk, org, POLICY, tier=case.name("tier"))
        directory.add_contact(
            desk, contact, org, email=case.email, phone=case.name("tel"), is_admin=True
        )
        user = replace(desk, actor=case.name("usr"))
        severity = 1 if case.payload.name in ON_THE_BOARD else 2
        opened = cases.open_case(
            user,
            organization=org,
            contact=contact,
            severity=severity,
            subject=case.line("sub"),
            description=case.value("dsc"),
            intake={name: case.intake(name) for name in INTAKE_FIELDS},
            received=desk.now() - RECEIVED_BEFORE,
        )
        assert opened.number == case.number
        number = case.number
        cases.note(user, number, case.value("note"))
        cases.reply(user, number, case.value("reply"))
        cases.log_call(
            user, number, case.value("call"), who=case.line("who"), outcome=case.line("out")
        )
        cases.change_severity(user, number, 3 - severity, case.value("sev"))
        cases.change_severity(user, number, severity, case.value("sev"))
        cases.escalate(user, number, case.value("esc"))
        cases.assign(user, number, case.name("usr"))
        cases.move(user, number, "waiting-on-customer", case.value("ask"))
        source = files / f"attachment-{case.index:02d}.txt"
        source.write_bytes(case.content("fbody").encode("utf-8", "surrogateescape"))
        attachments.attach(user, number, source, name=case.file_name)
        taken = inbound.ingest(desk, customer_mail(case))
        assert (taken.outcome, taken.case) == ("reply", number), taken
    return written
