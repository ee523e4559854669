"""One incoming message, read: who sent it, what it says, what it threads on, its files.

Headers are decoded (RFC 2047 words, any charset Python knows); bodies are
decoded from their declared charset, falling back to UTF-8 then Latin-1 so that
a wrong or unknown label never loses a message. The text part is preferred;
an HTML-only message is turned into readable text. Everything here is stored
exactly as decoded: front ends pass it through deskterm.safe_text to show it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from deskterm.mail.html_text import html_to_text

# Real Message-IDs are tens of characters; a longer one (a hostile or broken sender)
# is no Message-ID: PostgreSQL cannot index a key of kilobytes, and the ingest would
# fail as if the database were down, to be retried for days.
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes


@dataclass(frozen=True)
class Incoming:
    message_id: str
    from_name: str
    from_address: str  # lower-cased: addresses are matched case-insensitively
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    attachments: tuple[Part, ...] = field(default=())
    automatic: str | None = None  # the header saying a machine sent it (an out-of-office)
    headers: int = 0  # how many header fields it starts with: none is not a mail message

    @property
    def sender(self) -> str:
        """`Name <address>` (or the address alone), as the audit trail names the actor."""
        return f"{self.from_name} <{self.from_address}>" if self.from_name else self.from_address


def _raw_header(message: Message, name: str) -> str:
    """The header as it came, its encoded words not decoded (the first, if several)."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _decoded(raw: str) -> str:
    """RFC 2047 words decoded by hand, or the raw text if even that fails."""
    try:
        return str(make_header(decode_header(raw)))
    except (LookupError, UnicodeError, ValueError, HeaderParseError):
        return raw


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:
        # The header registry refuses what it cannot model (an address whose encoded
        # name decodes to a CR or LF), on every read: decode the words without it.
        return _decoded(_raw_header(message, name))
    return "" if value is None else str(value)


def _sender(message: Message) -> tuple[str, str]:
    """From's (name, address). An encoded name may decode to anything (`<`, `;`, a CR):
    the raw header is parsed for the address first, and only the name is decoded."""
    try:
        value = message.get("From")
    except Exception:
        name, address = parseaddr(_raw_header(message, "From"))
        return _decoded(name), address
    senders = getaddresses(["" if value is None else str(value)])
    return senders[0] if senders else ("", "")


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value))


def _decode(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")  # never fails: every byte is a character


def _body(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _decode(body)  # type: ignore[arg-type]
    if body.get_content_subtype() == "html":
        return html_to_text(text)
    return text.replace("\r\n", "\n")


def _attachments(message: EmailMessage, body: Message | None) -> tuple[Part, ...]:
    parts = []
    for number, part in enumerate(message.walk(), start=1):
        if part is body or part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition != "attachment" and not filename:
            continue  # an alternative body, an inline text part
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        name = (filename or f"part-{number}").replace("/", "_").replace("\\", "_")
        name = name.replace("\x00", "_").strip() or f"part-{number}"
        parts.append(Part(name if name not in (".", "..") else f"part-{number}", data))
    return tuple(parts)


def _automatic(message: Message) -> str | None:
    """`Auto-Submitted: auto-replied` and its older cousins (RFC 3834): not a person's answer."""
    submitted = _header(message, "Auto-Submitted").strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if message.get(name) is not None:
            return name
    return None


def parse(raw: bytes) -> Incoming:
    """Read one RFC 5322 message (as a mail server hands it over)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    ids = _ids(_header(message, "Message-ID"))
    # No Message-ID (some scripts send none): the content names the message, so the
    # same bytes delivered twice are still taken once.
    message_id = ids[0] if ids else f"<sha256-{hashlib.sha256(raw).hexdigest()}@deskterm>"
    name, address = _sender(message)
    body = message.get_body(preferencelist=("plain", "html"))
    return Incoming(
        message_id=message_id,
        from_name=name.strip(),
        from_address=address.strip().lower(),
        subject=_header(message, "Subject").strip(),
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        text=_body(message).strip("\n"),
        attachments=_attachments(message, body),
        automatic=_automatic(message),
        headers=len(message.keys()),
    )
