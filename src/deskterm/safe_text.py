"""Terminal-safe rendering of untrusted text (docs/architecture.md, invariant 6).

Everything a customer or another user typed passes through here before it can
reach a terminal. C0 controls (but newline and tab), ESC, DEL, C1 controls, the
bidirectional overrides that can reorder what a reader sees (Trojan Source) and
the Unicode line and paragraph separators become visible placeholders; a lone
surrogate becomes U+FFFD. Nothing is interpreted as markup. Rich and Textual
strip neither ESC nor markup by themselves: a stray `[/bold]` in a subject
crashes a markup-rendering widget, and `[link=...]` makes a real hyperlink.
"""

from __future__ import annotations

import re

# Explicit bidi embeddings, overrides and isolates.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# A line break to some readers (str.splitlines, JavaScript, some terminals) and not
# to others (Rich, most terminals): shown, so that only \n ever breaks a line.
SEPARATORS = "\u2028\u2029"
# What cannot be encoded for the terminal at all: a lone surrogate, as Python makes
# of bytes that were not UTF-8 (a file name, an argument, surrogateescape).
_SURROGATES = "\\ud800-\\udfff"
_CONTROLS = f"\\x7f-\\x9f{BIDI_CONTROLS}{SEPARATORS}{_SURROGATES}"
UNSAFE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f{_CONTROLS}]")
"""What `safe_text` replaces: a text without a match is shown exactly as it is."""
_UNSAFE_IN_LINE = re.compile(f"[\\x00-\\x1f{_CONTROLS}]")
ELLIPSIS = "…"
REPLACEMENT = "\ufffd"


def placeholder(char: str) -> str:
    """The visible stand-in for one unsafe character: `␛` for ESC, `⟨9B⟩` for a C1 byte."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures: ␀ ␇ ␛ ...
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0xD800 <= code <= 0xDFFF:
        return REPLACEMENT  # one char for one: a text and its lines stay aligned
    return f"⟨{code:02X}⟩"


def _replace(match: re.Match[str]) -> str:
    return placeholder(match.group())


def safe_text(text: str) -> str:
    """Multi-line text with every control shown, never acted on (newline and tab kept)."""
    return UNSAFE.sub(_replace, text)


def _replace_in_line(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n":
        return " ⏎ "
    if char == "\t":
        return " "
    return placeholder(char)


def safe_line(text: str, limit: int | None = None) -> str:
    """One line for a table cell or a title: line breaks shown as ⏎, cut at `limit` chars."""
    if limit is not None and len(text) > limit:
        # Cut before sanitizing so a megabyte-long subject costs only `limit`.
        text = text[: limit + 1]
    line = _UNSAFE_IN_LINE.sub(_replace_in_line, text)
    if limit is not None and len(line) > limit:
        return line[: limit - 1] + ELLIPSIS if limit > 0 else ""
    return line
