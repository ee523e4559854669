"""One incoming message, read: who sent it, what it says, what it threads on, its files.

Read as leniently as mail clients read it, because every message is some customer's:
- MIME is parsed with the standard library's legacy (compat32) policy: the strict
  one gives up on boundaries it cannot read (unquoted, containing `=`, as JavaMail
  writes them) and makes the message one opaque part.
- Every inline text part is shown, in order; of alternatives the plain text, unless
  it is empty or only a footer beside a far longer HTML body (deskterm.mail.charsets
  decodes each part in its declared charset, a bad byte costing one character).
- Every other part is kept as a file: unnamed ones named from Content-ID,
  Content-Location or type; forwarded messages as .eml, their text shown indented;
  calendar invitations as .ics, their summary and time shown.
- Headers: raw 8-bit bytes decoded with the body's charset (or a guess), RFC 2047
  words decoded, a UTF-8 BOM and RFC 2822's obsolete `Name  :` accepted.
Machine mail (bounces, receipts, out-of-office) is recognised in deskterm.mail.machine.
Everything here is stored exactly as decoded: front ends pass it through
deskterm.safe_text to show it.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.errors import MessageError
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from io import BytesIO

from deskterm.mail.charsets import decode_bytes, decode_header_bytes, decode_word
from deskterm.mail.html_text import html_to_text
from deskterm.mail.machine import Bounce, automatic_reason, bounce_of

# Real Message-IDs are tens of characters; a longer one (a hostile or broken sender)
# is no Message-ID: PostgreSQL cannot index a key of kilobytes, and the ingest would
# fail as if the database were down, to be retried for days.
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_BOM = b"\xef\xbb\xbf"
# RFC 2822 4.5: obsolete syntax allows white space between a field name and its colon.
_OBS_FIELD = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]+:", re.MULTILINE)
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")
# An 8-bit byte of a header, as the email package gives it: a lone surrogate (searched
# in C; a generator over the characters of a hostile mail's long headers took 4 million
# steps in tests/test_hostile_console.py).
_RAW_BYTE = re.compile("[\udc80-\udcff]")
# A plain alternative this much shorter than its HTML one is a footer a gateway added.
_FOOTER_RATIO = 4
_TEXT_TYPES = ("text/plain", "text/html")


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
    automatic: str | None = None  # why a machine sent it (an out-of-office, a bounce)
    headers: int = 0  # how many header fields it starts with: none is not a mail message
    bounce: Bounce | None = None  # a permanent delivery failure it reports
    # Message-IDs and subjects of the messages it encloses (the mail a bounce returns)
    enclosed_ids: tuple[str, ...] = ()
    enclosed_subjects: tuple[str, ...] = ()

    @property
    def sender(self) -> str:
        """`Name <address>` (or the address alone), as the audit trail names the actor."""
        return f"{self.from_name} <{self.from_address}>" if self.from_name else self.from_address


def _decoded(raw: str) -> str:
    """RFC 2047 words decoded (a bad byte costing one character), or the raw text."""
    if "=?" not in raw:
        return raw
    try:
        chunks = decode_header(raw)
    except (LookupError, UnicodeError, ValueError, MessageError, AssertionError):
        return raw
    try:
        return str(make_header(chunks))
    except (LookupError, UnicodeError, ValueError, MessageError, AssertionError):
        pass
    # A word whose bytes are not in its charset: each word read leniently.
    return "".join(
        text if isinstance(text, str)
        else decode_word(text, charset) if charset
        else text.decode("ascii", "replace")
        for text, charset in chunks
    )  # fmt: skip


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value)


class _Headers:
    """A part's header fields as sent: unfolded, 8-bit bytes decoded, words decoded."""

    def __init__(self, message: Message, charset: str | None) -> None:
        self.message = message
        self.charset = charset

    def raw(self, name: str) -> str:
        for key, value in self.message.raw_items():
            if key.lower() == name.lower():
                value = _unfold(str(value))
                if _RAW_BYTE.search(value):
                    data = value.encode("ascii", "surrogateescape")
                    return decode_header_bytes(data, self.charset)
                return value
        return ""

    def get(self, name: str) -> str:
        return _decoded(self.raw(name)).strip()


def _sender(headers: _Headers) -> tuple[str, str]:
    """From's (name, address). An encoded name may decode to anything (`<`, `;`, a CR):
    the raw header is parsed for the address, and only the name is decoded."""
    raw = headers.raw("From")
    senders = getaddresses([raw]) if raw else []
    name, address = senders[0] if senders else parseaddr(raw)
    return _decoded(name), address


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value))


def _cleaned(raw: bytes) -> bytes:
    """A UTF-8 BOM dropped, obsolete `Name  :` fields joined to their colon."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    end = _END_OF_HEADERS.search(raw)
    head, rest = (raw[: end.start()], raw[end.start() :]) if end else (raw, b"")
    if _OBS_FIELD.search(head):
        head = _OBS_FIELD.sub(rb"\1:", head)
    return head + rest


# --- the parts ------------------------------------------------------------------------


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):  # a broken transfer encoding
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return _as_bytes(part)


def _as_bytes(message: Message) -> bytes:
    out = BytesIO()
    try:
        BytesGenerator(out, mangle_from_=False, policy=policy.compat32).flatten(message)
    except (LookupError, UnicodeError, TypeError, ValueError, AttributeError):
        return message.as_string().encode("utf-8", "surrogateescape")
    return out.getvalue()


def _text(part: Message) -> str:
    text = decode_bytes(_payload(part), part.get_content_charset())
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return text.replace("\r\n", "\n")


def _safe_name(name: str) -> str:
    name = name.replace("/", "_").replace("\\", "_").replace("\x00", "_").strip()
    return "" if name in (".", "..") else name


def _extension(content_type: str) -> str:
    known = {"message/rfc822": ".eml", "text/calendar": ".ics", "text/plain": ".txt"}
    guessed = known.get(content_type) or mimetypes.guess_extension(content_type)
    return guessed or (".txt" if content_type.startswith("text/") else ".bin")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except (LookupError, UnicodeError, ValueError, TypeError):
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value the library could not decode
        name = decode_bytes(name[2].encode("latin-1", "replace"), name[0])
    name = str(name)
    if _RAW_BYTE.search(name):
        name = decode_header_bytes(name.encode("ascii", "surrogateescape"), None)
    return _safe_name(_decoded(_unfold(name)))


def _name_of(part: Message, number: int) -> str:
    """A file name for any part: its own, else from Content-ID, Content-Location or type."""
    content_type = part.get_content_type()
    name = _filename(part)
    if not name:
        cid = str(part.get("Content-ID") or "").strip().strip("<>").split("@")[0]
        location = str(part.get("Content-Location") or "").strip().split("?")[0].rstrip("/")
        name = _safe_name(location.rsplit("/", 1)[-1]) or _safe_name(cid)
        if name and mimetypes.guess_type(name)[0] is None:
            name += _extension(content_type)
    if not name and content_type == "text/calendar":
        name = "invitation.ics"
    return name or f"part-{number}{_extension(content_type)}"


@dataclass
class _Reading:
    texts: list[str] = field(default_factory=list)
    files: list[Part] = field(default_factory=list)
    enclosed: list[Message] = field(default_factory=list)
    count: int = 0

    def keep(self, part: Message, data: bytes | None = None, name: str | None = None) -> str:
        self.count += 1
        kept = Part(name or _name_of(part, self.count), _payload(part) if data is None else data)
        self.files.append(kept)
        return kept.name


def _is_inline_text(part: Message) -> bool:
    return (
        part.get_content_type() in _TEXT_TYPES
        and part.get_content_disposition() != "attachment"
        and not _filename(part)
    )


def _alternative(parts: list[Message]) -> Message | None:
    """The alternative to show: the plain text, unless empty or a mere footer."""
    texts = [p for p in parts if p.get_content_type() in _TEXT_TYPES or p.is_multipart()]
    plain = next((p for p in texts if p.get_content_type() == "text/plain"), None)
    richer = [p for p in texts if p is not plain]
    if plain is None:
        return richer[-1] if richer else None
    if not richer:
        return plain
    shown = _text(plain).strip()
    html = richer[-1]
    if html.is_multipart():
        inner = [p for p in html.walk() if p.get_content_type() == "text/html"]
        if not inner:
            return plain
        longer = _text(inner[0]).strip()
    else:
        longer = _text(html).strip()
    if not shown or len(shown) * _FOOTER_RATIO < len(longer):
        return html
    return plain


def _read(part: Message, reading: _Reading) -> None:
    content_type = part.get_content_type()
    if content_type in ("message/rfc822", "message/global", "text/rfc822-headers"):
        _forwarded(part, reading)  # (the legacy parser reads message/rfc822 as multipart)
        return
    if part.is_multipart():
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        if content_type == "multipart/alternative":
            shown = _alternative(children)
            for child in children:
                if child is shown:
                    _read(child, reading)
                elif child.is_multipart():  # the HTML not shown: its images are kept
                    for leaf in child.walk():
                        if not leaf.is_multipart() and not _is_inline_text(leaf):
                            reading.keep(leaf)
                elif child.get_content_type() not in _TEXT_TYPES:
                    _read(child, reading)  # a calendar invitation beside its text
            return
        for child in children:
            _read(child, reading)
        return
    if _is_inline_text(part):
        text = _text(part).strip("\n")
        if text.strip():
            reading.texts.append(text)
        return
    name = reading.keep(part)
    if content_type == "text/calendar" or name.lower().endswith(".ics"):
        summary = _calendar_summary(decode_bytes(_payload(part), part.get_content_charset()))
        reading.texts.append(f"[calendar invitation {name}: {summary}]")
    elif content_type == "application/ms-tnef" or name.lower() == "winmail.dat":
        reading.texts.append(
            f"[{name}: Outlook's TNEF format, kept as it came: deskterm does not unpack it; "
            "ask the sender to send the files as plain attachments]"
        )


def _forwarded(part: Message, reading: _Reading) -> None:
    """A forwarded message (or a bounce's returned headers): kept as a file, its text
    shown indented like a quote."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        data = _payload(part)
        inner = BytesParser(policy=policy.compat32).parsebytes(_cleaned(data))
    else:
        data = _as_bytes(inner)
    reading.enclosed.append(inner)
    headers = _Headers(inner, None)
    subject = headers.get("Subject")
    name = _filename(part) or _safe_name(subject[:60]) or "forwarded"
    if not name.lower().endswith((".eml", ".txt")):
        name += ".eml" if part.get_content_type() != "text/rfc822-headers" else ".txt"
    reading.keep(part, data, name)
    inner_reading = _Reading()
    if part.get_content_type() != "text/rfc822-headers":
        _read(inner, inner_reading)
    reading.files.extend(inner_reading.files)  # its own attachments, kept too
    reading.enclosed.extend(inner_reading.enclosed)
    lines = [f"---- enclosed message ({name}) ----"]
    for header in ("From", "Date", "Subject"):
        value = headers.get(header)
        if value:
            lines.append(f"{header}: {value}")
    body = "\n\n".join(inner_reading.texts)
    if body.strip():
        lines.append("")
        lines.extend(line for line in body.split("\n"))
    reading.texts.append("\n".join("> " + line if line else ">" for line in lines))


_ICS_FIELD = re.compile(r"^(SUMMARY|DTSTART|DTEND|LOCATION)(;[^:\n]*)?:(.*?)\r?$", re.MULTILINE)


def _calendar_summary(ics: str) -> str:
    """`Quarterly review, 20261124T150000Z - 20261124T160000Z` from an iCalendar text."""
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    method = re.search(r"^METHOD:(.*)$", unfolded, re.MULTILINE)
    event = re.search(r"^BEGIN:VEVENT\s*$(.*?)^END:VEVENT", unfolded, re.MULTILINE | re.DOTALL)
    unfolded = event.group(1) if event else unfolded  # not the time zones' DTSTARTs
    fields: dict[str, str] = {}
    for name, params, value in _ICS_FIELD.findall(unfolded):
        zone = re.search(r"TZID=([^;:]+)", params or "")
        shown = value.strip().replace("\\,", ",").replace("\\n", " ")
        fields.setdefault(name, f"{shown} {zone.group(1)}" if zone else shown)
    what = fields.get("SUMMARY", "(no summary)")
    when = fields.get("DTSTART", "(no time)")
    if "DTEND" in fields:
        when += " - " + fields["DTEND"]
    where = f", at {fields['LOCATION']}" if fields.get("LOCATION") else ""
    how = f" ({method.group(1).strip().lower()})" if method else ""
    return f"{what}, {when}{where}{how}"


def _body_charset(message: Message) -> str | None:
    for part in message.walk():
        if part.get_content_maintype() == "text":
            charset = part.get_content_charset()
            if charset:
                return charset
    return None


def parse(raw: bytes) -> Incoming:
    """Read one RFC 5322 message (as a mail server hands it over)."""
    message = BytesParser(policy=policy.compat32).parsebytes(_cleaned(raw))
    headers = _Headers(message, _body_charset(message))
    ids = _ids(headers.raw("Message-ID"))
    # No Message-ID (some scripts send none): the content names the message, so the
    # same bytes delivered twice are still taken once.
    message_id = ids[0] if ids else f"<sha256-{hashlib.sha256(raw).hexdigest()}@deskterm>"
    name, address = _sender(headers)
    reading = _Reading()
    _read(message, reading)
    enclosed = [_Headers(m, None) for m in reading.enclosed]
    return Incoming(
        message_id=message_id,
        from_name=name.strip(),
        from_address=address.strip().lower(),
        subject=headers.get("Subject"),
        in_reply_to=_ids(headers.raw("In-Reply-To")),
        references=_ids(headers.raw("References")),
        text="\n\n".join(reading.texts).strip("\n"),
        attachments=tuple(reading.files),
        automatic=automatic_reason(message, headers.get, address),
        headers=len(message.keys()),
        bounce=bounce_of(message),
        enclosed_ids=tuple(i for h in enclosed for i in _ids(h.raw("Message-ID"))),
        enclosed_subjects=tuple(s for h in enclosed if (s := h.get("Subject"))),
    )
