"""Hostile text: what customers and users may write, what deskterm must show, never act on.

One corpus for every test of invariant 6 (docs/architecture.md): the sanitizer's (tests/test_safe_text.py),
the screens' under Pilot (tests/screens/) and the walk through the real console in a
pseudo-terminal (tests/test_hostile_console.py). Each payload carries a marker of its
own (`PWNED-...`) inside or right after its control sequence, so the bytes a terminal
receives can be searched for it: a marker inside an escape sequence, or right behind
one, is a payload acting on the terminal.

Also here, once: which characters no terminal may receive (`CONTROLS`), the check of
rendered segments (`assert_inert_segments`), and the reading of a terminal's raw input
into the escape sequences the console itself writes and any others (`foreign_sequences`).
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment


@dataclass(frozen=True)
class Payload:
    name: str
    text: str  # as a customer or another user writes it
    shown: str  # as deskterm shows it: the sanitizer's placeholders, markup as written
    marker: str  # the payload's own word: found inside or behind a sequence, it leaked

    @property
    def marker_follows_a_sequence(self) -> bool:
        """The marker comes right after a control sequence of the payload (`ESC[31mPWNED`):
        on the wire, right behind a sequence, it shows that sequence is the payload's."""
        start = self.text.index(self.marker)
        return any(match.end() == start for match in _SEQUENCE.finditer(self.text[:start]))


def _payload(name: str, text: str, shown: str, marker: str) -> Payload:
    assert marker in text, name
    return Payload(name, text, shown, marker)


MEGABYTE = 1_000_000

_ALL = (
    _payload("OSC 0 title", "\x1b]0;PWNED-OSC0\x07", "␛]0;PWNED-OSC0␇", "PWNED-OSC0"),
    _payload("OSC 2 title", "\x1b]2;PWNED-OSC2\x1b\\", "␛]2;PWNED-OSC2␛\\", "PWNED-OSC2"),
    _payload(
        "OSC 8 hyperlink",
        "\x1b]8;;http://evil.test/PWNED-OSC8\x1b\\click\x1b]8;;\x1b\\",
        "␛]8;;http://evil.test/PWNED-OSC8␛\\click␛]8;;␛\\",
        "PWNED-OSC8",
    ),
    # The clipboard's new content is base64 of "PWNED-OSC52".
    _payload(
        "OSC 52 clipboard",
        "\x1b]52;c;UFdORUQtT1NDNTI=\x07",
        "␛]52;c;UFdORUQtT1NDNTI=␇",
        "UFdORUQtT1NDNTI=",
    ),
    _payload("unterminated OSC", "\x1b]0;PWNED-OPEN", "␛]0;PWNED-OPEN", "PWNED-OPEN"),
    _payload("CSI clear screen", "\x1b[2J\x1b[HPWNED-CLEAR", "␛[2J␛[HPWNED-CLEAR", "PWNED-CLEAR"),
    _payload("CSI cursor report", "\x1b[6nPWNED-DSR", "␛[6nPWNED-DSR", "PWNED-DSR"),
    _payload("CSI colour", "\x1b[5;31mPWNED-SGR\x1b[0m", "␛[5;31mPWNED-SGR␛[0m", "PWNED-SGR"),
    _payload("DCS", "\x1bP$qPWNED-DCS\x1b\\", "␛P$qPWNED-DCS␛\\", "PWNED-DCS"),
    _payload("APC", "\x1b_PWNED-APC\x1b\\", "␛_PWNED-APC␛\\", "PWNED-APC"),
    _payload("RIS reset", "\x1bcPWNED-RIS", "␛cPWNED-RIS", "PWNED-RIS"),
    _payload("8-bit CSI", "\x9b2JPWNED-C1CSI", "⟨9B⟩2JPWNED-C1CSI", "PWNED-C1CSI"),
    _payload("8-bit OSC", "\x9d0;PWNED-C1OSC\x9c", "⟨9D⟩0;PWNED-C1OSC⟨9C⟩", "PWNED-C1OSC"),
    _payload("C1 NEL", "\x85PWNED-NEL", "⟨85⟩PWNED-NEL", "PWNED-NEL"),
    _payload("bare CR", "\rPWNED-CR", "␍PWNED-CR", "PWNED-CR"),
    _payload("NUL", "\x00PWNED-NUL", "␀PWNED-NUL", "PWNED-NUL"),
    _payload("DEL", "\x7fPWNED-DEL", "␡PWNED-DEL", "PWNED-DEL"),
    _payload("BEL and backspace", "\x07\x08\x08PWNED-BS", "␇␈␈PWNED-BS", "PWNED-BS"),
    _payload("form feed, vertical tab", "\x0c\x0bPWNED-FF", "␌␋PWNED-FF", "PWNED-FF"),
    _payload("bidi override", "\u202ePWNED-RLO\u202c", "⟨202E⟩PWNED-RLO⟨202C⟩", "PWNED-RLO"),
    _payload("bidi isolate", "\u2067PWNED-RLI\u2069", "⟨2067⟩PWNED-RLI⟨2069⟩", "PWNED-RLI"),
    _payload(
        "line separators",
        "\u2028PWNED-LS\u2029PWNED-PS",
        "⟨2028⟩PWNED-LS⟨2029⟩PWNED-PS",
        "PWNED-LS",
    ),
    # Python keeps bytes that were not UTF-8 this way (surrogateescape); no database
    # can store it and no terminal can be sent it: U+FFFD stands in, as mail does.
    _payload("lone surrogate", "\udcffPWNED-SURROGATE", "\ufffdPWNED-SURROGATE", "PWNED-SURROGATE"),
    # Not controls: shown as they are, they must only not break a screen's layout.
    _payload(
        "zero width and combining",
        "Z\u0335\u0336\u0337PWNED\u200b-\u200dZW\ufeffe\u0301",
        "Z\u0335\u0336\u0337PWNED\u200b-\u200dZW\ufeffe\u0301",
        "PWNED",
    ),
    _payload(
        "markup link",
        "[link=http://evil.test/PWNED-MARKUP]click[/link]",
        "[link=http://evil.test/PWNED-MARKUP]click[/link]",
        "PWNED-MARKUP",
    ),
    _payload("markup close", "[/bold]PWNED-CLOSE[/]", "[/bold]PWNED-CLOSE[/]", "PWNED-CLOSE"),
    _payload(
        "markup action",
        "[@click=app.quit]PWNED-CLICK[/]",
        "[@click=app.quit]PWNED-CLICK[/]",
        "PWNED-CLICK",
    ),
    _payload(
        "1 MB line",
        "PWNED-1MB" + "W" * MEGABYTE + "\x1b]0;PWNED-1MB-END\x07",
        "PWNED-1MB" + "W" * MEGABYTE + "␛]0;PWNED-1MB-END␇",
        "PWNED-1MB",
    ),
)
PAYLOADS: dict[str, Payload] = {payload.name: payload for payload in _ALL}
"""Every payload by name, in a stable order."""

SHORT = {name: p for name, p in PAYLOADS.items() if len(p.text) < 100}
"""All but the megabyte: for tests that show each on one screen."""


def together(names: Iterable[str] | None = None, separator: str = " ") -> str:
    """Several payloads in one string (all the short ones by default)."""
    chosen = SHORT if names is None else {name: PAYLOADS[name] for name in names}
    return separator.join(payload.text for payload in chosen.values())


# -- characters no terminal may receive ------------------------------------------------

BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
CONTROLS = frozenset(range(0x00, 0x20)) | frozenset(range(0x7F, 0xA0)) | BIDI | {0x2028, 0x2029}
"""C0 (newline and tab too: allow them where they may be), DEL, C1, the bidi
embeddings, overrides and isolates, and the line and paragraph separators."""


def controls_in(text: str, allowed: str = "") -> list[str]:
    """The characters of `text` a terminal must not receive (lone surrogates too), as hex."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if (ord(c) in CONTROLS and c not in allowed) or 0xD800 <= ord(c) <= 0xDFFF
    ]


def has_control(text: str, allowed: str = "") -> bool:
    return bool(controls_in(text, allowed))


def assert_inert_segments(segments: Iterable[Segment]) -> None:
    """Rendered segments hold no control, make no link and carry no action from the text."""
    for segment in segments:
        bad = controls_in(segment.text)
        assert not bad, (bad, segment.text)
        style = segment.style
        if style is not None:
            assert style.link is None, segment
            # Textual's own meta (offsets, scrollbar clicks) is fine; a click action
            # from the text, as `[@click=app.quit]` markup would make, is not.
            assert "@click" not in style.meta, segment


def visible(text: str) -> str:
    """`text` as a screen shows it to compare: combining and zero-width characters left out.

    Terminals (and pyte) put a combining mark in the cell before it and give a zero
    width character no cell; what remains must read the same.
    """
    decomposed = unicodedata.normalize("NFD", text)  # pyte composes what it combines
    # A table, not a category look-up per character: the console tests ask this of the
    # whole screen after each burst of output (tests/test_hostile_console.py).
    if not _UNSEEN:
        _UNSEEN.update(
            (point, None)
            for point in range(0x110000)
            if unicodedata.category(chr(point)) in ("Mn", "Me", "Cf")
        )
    return decomposed.translate(_UNSEEN)


# Every character of the categories Mn, Me and Cf, mapped to nothing; filled when first used.
_UNSEEN: dict[int, None] = {}


# -- what reaches a terminal -----------------------------------------------------------

# Anything a terminal may act on: escape sequences (CSI; OSC, DCS, SOS, PM and APC up to
# their terminator, or as far as they go; the short ones such as ESC c), CR LF, single
# C0, DEL and C1 controls, and the characters that reorder or break lines.
_SEQUENCE = re.compile(
    r"""
      \x1b\[ [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?
    | \x1b [\]PX^_] [^\x07\x1b\x9c]* (?: \x07 | \x1b\\ | \x9c )?
    | \x1b [\x20-\x2f]* [\x30-\x7e]?
    | \r\n
    | [\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]
    """,
    re.X,
)
# What the console itself writes (recorded from Textual): SGR styles, cursor positions,
# private modes and the query of one, the kitty keyboard protocol, CR LF, the mouse
# pointer's shape (OSC 22) and the clipboard (OSC 52: `y` copies a mail subject).
_APP_SEQUENCE = re.compile(
    r"""
      \x1b\[ [0-9;:]* m
    | \x1b\[ [0-9]+ ; [0-9]+ H
    | \x1b\[ \? [0-9;]+ [hl]
    | \x1b\[ \? [0-9]+ \$p
    | \x1b\[ [<>=]? [0-9;]* u
    | \x1b\] 22 ; [a-z-]* \x07
    | \x1b\] 52 ; c ; [A-Za-z0-9+/=]* \x07
    | \r\n
    """,
    re.X,
)


@dataclass(frozen=True)
class Foreign:
    """An escape sequence or control in a terminal's input that the console did not mean."""

    offset: int  # in the decoded text
    sequence: str
    why: str

    def __str__(self) -> str:
        return f"{self.why} at char {self.offset}: {self.sequence[:80]!r}"


def decode_terminal_input(raw: bytes) -> str:
    """What a UTF-8 terminal reads from `raw`; an invalid byte (a raw 0x9B is a C1 CSI to
    a terminal that is not in UTF-8 mode) is kept as a lone surrogate, to be found."""
    return raw.decode("utf-8", "surrogateescape")


def _clipboard_text(sequence: str) -> str | None:
    try:
        return base64.b64decode(sequence[len("\x1b]52;c;") : -1], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def foreign_sequences(text: str, payloads: Iterable[Payload] = _ALL) -> list[Foreign]:
    """Every control in the decoded terminal input `text` that the console would not write.

    That is: any escape sequence or control outside `_APP_SEQUENCE`; any sequence, the
    console's own kinds included, holding a payload's marker, or followed at once by the
    marker of a payload that puts it right after a sequence of its own (a colour change,
    say, which the console's SGR cannot be told from); a clipboard write of text that
    is not itself inert; and any byte that is not UTF-8.
    """
    payloads = tuple(payloads)
    markers = tuple(payload.marker for payload in payloads)
    followers = tuple(p.marker for p in payloads if p.marker_follows_a_sequence)
    found: list[Foreign] = []
    for match in _SEQUENCE.finditer(text):
        sequence = match.group()
        if not _APP_SEQUENCE.fullmatch(sequence):
            found.append(Foreign(match.start(), sequence, "not a sequence the console writes"))
        elif any(marker in sequence for marker in markers):
            found.append(Foreign(match.start(), sequence, "a payload's marker in a sequence"))
        elif sequence.startswith("\x1b]52;"):
            copied = _clipboard_text(sequence)
            if copied is None or has_control(copied):
                found.append(Foreign(match.start(), sequence, f"clipboard set to {copied!r}"))
        else:
            after = text[match.end() : match.end() + 40]
            if after.startswith(followers):
                found.append(
                    Foreign(match.start(), sequence + after, "a payload behind a sequence")
                )
    for match in re.finditer("[\ud800-\udfff]", text):
        found.append(Foreign(match.start(), text[match.start() : match.start() + 20], "not UTF-8"))
    return found
