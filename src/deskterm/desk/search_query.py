"""The search language, parsed once and compiled for either database.

    saml timeout            both words, anywhere on the case
    "clock skew"            the words in this order
    -resolved               not this word
    auth*                   a word that begins so
    subject:login           in the subject (from: who wrote, contact: the contact)
    hannah.berg@acme.test   an e-mail address: its words in order
    +1 (555) 010-0199       a phone number: its digits, however it was written

Words are compared without case or accents. Whatever the query holds (the FTS5
syntax characters, quotes, control characters) becomes words or nothing: the
compiled query quotes every word, so the database never sees syntax from a user.
See deskterm.store.search_index for the documents these queries run against.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from deskterm.store.search_index import ACCENTED, PLAIN

# The query's field names, and the index's field each searches.
FIELDS = {"subject": "subject", "from": "author", "contact": "contact"}
_WEIGHTS = {"subject": "A", "contact": "B", "author": "C"}
_FOLD = str.maketrans(ACCENTED, PLAIN)
_WORD = re.compile(r"[^\W_]+")
_PHONE = re.compile(r"^\+?[0-9][0-9().\-/]*[0-9]$")
PHONE_DIGITS = 7  # a run of this many digits or more, written with separators, is a phone
MAX_TERMS = 32  # more words than anyone types: the rest are refused, not searched
# A longer word is no word anyone searches for (PostgreSQL refuses more than 2 KB).
MAX_WORD = 200


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # folded: lower case, accents removed; several are a phrase
    field: str | None = None  # the index's field: subject, contact or author
    prefix: bool = False  # the last word is a prefix
    negated: bool = False
    phone: str | None = None  # the digits, when the term is written like a phone number


@dataclass(frozen=True)
class Token:
    """One piece of what was typed: a filter token or the makings of a search term."""

    raw: str
    negated: bool = False
    field: str | None = None
    quoted: bool = False

    @property
    def plain(self) -> bool:
        return not (self.negated or self.field or self.quoted)


def fold(text: str) -> str:
    return text.lower().translate(_FOLD)


def words_of(text: str) -> list[str]:
    """The index's words in `text` (as SQLite's unicode61 and the PostgreSQL documents
    split them: letters and digits, everything else a separator)."""
    return _WORD.findall(fold(text))


def tokens(text: str) -> Iterator[Token]:
    """Split what was typed: whitespace separates, "double quotes" keep a phrase whole (an
    unclosed quote runs to the end), a leading - excludes, subject:/from:/contact: name a
    field."""
    position, end = 0, len(text)
    while position < end:
        while position < end and text[position].isspace():
            position += 1
        if position >= end:
            return
        negated = text[position] == "-" and position + 1 < end and not text[position + 1].isspace()
        if negated:
            position += 1
        field = None
        named = re.match(r"([A-Za-z]+):(?=\S)", text[position:])
        if named and named.group(1).lower() in FIELDS:
            field = FIELDS[named.group(1).lower()]
            position += named.end()
        if text[position] == '"':
            close = text.find('"', position + 1)
            close = end if close < 0 else close
            raw = text[position + 1 : close]
            position = close + 1
            if position < end and text[position] == "*":
                raw += "*"
                position += 1
            yield Token(raw, negated, field, quoted=True)
            continue
        start = position
        while position < end and not text[position].isspace():
            position += 1
        yield Token(text[start:position], negated, field)


def term(token: Token) -> Term | None:
    """The search term a token makes; None when it holds no word at all (`-`, `"!!"`)."""
    raw = token.raw
    found = tuple(words_of(raw))
    if not found:
        return None
    phone = None
    digits = re.sub(r"[^0-9]", "", raw)
    if not token.quoted and _PHONE.match(raw) and len(digits) >= PHONE_DIGITS:
        phone = digits
    return Term(
        words=found,
        field=token.field,
        prefix=raw.rstrip().endswith("*") and phone is None,
        negated=token.negated,
        phone=phone,
    )


def problem(terms: tuple[Term, ...]) -> str | None:
    """Why these terms cannot be searched, in one line; None when they can."""
    if len(terms) > MAX_TERMS:
        return f"at most {MAX_TERMS} search words at once"
    if any(len(word) > MAX_WORD for t in terms for word in t.words):
        return f"a search word is at most {MAX_WORD} characters long"
    if terms and all(t.negated for t in terms):
        return "say what to find, not only what to leave out (-word needs a word beside it)"
    return None


# --- SQLite FTS5 --------------------------------------------------------------------------


def fts5_term(t: Term) -> str:
    """The FTS5 MATCH expression of one term (negated or not: what it names)."""
    # Words hold only letters and digits: quoted, nothing in them is FTS5 syntax.
    phrase = '"' + " ".join(t.words) + '"' + (" *" if t.prefix else "")
    if t.phone is not None and t.phone != "".join(t.words):
        phrase = f'("{t.phone}" OR {phrase})'
    return f"{t.field} : {phrase}" if t.field else phrase


# --- PostgreSQL tsquery -------------------------------------------------------------------


def _lexeme(word: str, field: str | None, prefix: bool) -> str:
    label = ("*" if prefix else "") + (_WEIGHTS[field] if field else "")
    return f"'{word}'" + (f":{label}" if label else "")


def ts_term(t: Term) -> str:
    """The tsquery text of one term (negated or not: what it names), cast with ::tsquery
    (words are already folded: a parser would split nothing more)."""
    last = len(t.words) - 1
    phrase = " <-> ".join(
        _lexeme(word, t.field, t.prefix and n == last) for n, word in enumerate(t.words)
    )
    if len(t.words) > 1:
        phrase = f"({phrase})"
    if t.phone is not None and t.phone != "".join(t.words):
        phrase = f"({_lexeme(t.phone, t.field, False)} | {phrase})"
    return phrase
