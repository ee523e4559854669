"""The audit trail's hash chain: each event stores the SHA-256 of its content and of
the previous event of its case, so a rewrite made behind the triggers' back (an
event changed, removed or inserted with the triggers dropped) shows as the first
event whose stored hash no longer follows (`deskterm doctor`, `deskterm import`).

The hash is computed when the ORM inserts an event (`before_insert` on Event, for
every use case alike); the first event of a case chains from the empty string.
Migration 0004_chain fills it for desks written before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, text

START = ""  # what the first event of a case chains from
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # how `at` is hashed
_CACHE = "deskterm_chain"  # Session.info: case id -> hash of its newest event
# The columns the hash covers, in order (everything but the row's id and the hash).
CONTENT = ("case_id", "version", "at", "actor", "kind", "field", "old_value", "new_value", "text")


def _instant(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime(INSTANT_FORMAT)
    if isinstance(value, str) and " " in value and not value.endswith("Z"):
        # SQLite's stored form, read by raw SQL: naive UTC text.
        return _instant(datetime.fromisoformat(value))
    return value


def event_hash(previous: str, row: Mapping[str, Any] | RowMapping) -> str:
    """The hash of an event with this content following an event hashed `previous`."""
    return content_hash(
        previous, [_instant(row[name]) if name == "at" else row[name] for name in CONTENT]
    )


# json.dumps with these options builds an encoder per call; a bulk load hashes millions.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def content_hash(previous: str, content: Sequence[Any]) -> str:
    """`event_hash` of the values of CONTENT in order, `at` already in its text form
    (INSTANT_FORMAT, UTC): for bulk loads that make that text faster than a datetime."""
    encoded = _ENCODER.encode([previous, *content])
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


# The form JSONEncoder(ensure_ascii=False) gives a str (its C encoder's own function).
_QUOTED = json.encoder.encode_basestring
_KNOWN_TEXTS = 500_000  # distinct texts remembered by a ContentHasher before it starts over


class ContentHasher:
    """`content_hash` for many events: each distinct text is put in JSON once.

    A bulk load (deskterm.desk.demo) hashes millions of events whose actors, kinds,
    fields and texts mostly repeat; the JSON of a list is its items' JSON joined, so
    the hash is the same as content_hash's.
    """

    def __init__(self) -> None:
        self._quoted: dict[str, str] = {}
        self._optional = _QuotedTexts()

    def event(
        self,
        previous: str,
        case_id: int,
        version: int,
        at: str,
        *texts: str | None,
    ) -> str:
        """The hash of one event's CONTENT: two whole numbers, `at` in its text form,
        then the six columns that are text or NULL (actor ... text)."""
        if type(case_id) is not int or type(version) is not int:
            return self(previous, [case_id, version, at, *texts])
        known = self._optional
        if len(known) > _KNOWN_TEXTS:
            known.clear()
            known[None] = "null"
        try:
            # The texts' JSON joined in C: most are known (a lookup), new ones are
            # quoted once by _QuotedTexts.__missing__.
            body = ",".join(map(known.__getitem__, texts))
        except TypeError:  # a value neither text nor NULL
            return self(previous, [case_id, version, at, *texts])
        encoded = f"[{_QUOTED(previous)},{case_id},{version},{_QUOTED(at)},{body}]"
        return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()

    def __call__(self, previous: str, content: Sequence[Any]) -> str:
        quoted = self._quoted
        if len(quoted) > _KNOWN_TEXTS:
            quoted.clear()
        parts = [_QUOTED(previous)]
        for value in content:
            kind = type(value)
            if kind is str:
                text = quoted.get(value)
                if text is None:
                    text = quoted[value] = _QUOTED(value)
                parts.append(text)
            elif value is None:
                parts.append("null")
            elif kind is int:
                parts.append(int.__repr__(value))
            else:
                parts.append(_ENCODER.encode(value))
        encoded = "[" + ",".join(parts) + "]"
        return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


class _QuotedTexts(dict[str | None, str]):
    """A text's JSON (NULL's: null), made the first time it is asked for."""

    def __init__(self) -> None:
        super().__init__({None: "null"})

    def __missing__(self, value: str | None) -> str:
        if type(value) is not str:
            raise TypeError(f"not a text: {value!r}")
        quoted = self[value] = _QUOTED(value)
        return quoted


@dataclass(frozen=True)
class Break:
    """The first event whose stored hash does not follow from its case's chain."""

    case_id: int
    event_id: int
    version: int
    kind: str


def first_break(rows: Iterable[Mapping[str, Any]]) -> Break | None:
    """Walk events ordered by case, then id; the first whose hash does not follow."""
    case_id: int | None = None
    previous = START
    for row in rows:
        if row["case_id"] != case_id:
            case_id, previous = row["case_id"], START
        expected = event_hash(previous, row)
        if row["hash"] != expected:
            return Break(row["case_id"], row["id"], row["version"], row["kind"])
        previous = expected
    return None


def _previous_hash(connection: Connection, session_info: dict[str, Any], case_id: int) -> str:
    cache: dict[int, str] = session_info.setdefault(_CACHE, {})
    if case_id not in cache:
        cache[case_id] = (
            connection.execute(
                text("SELECT hash FROM events WHERE case_id = :c ORDER BY id DESC LIMIT 1"),
                {"c": case_id},
            ).scalar()
            or START
        )
    return cache[case_id]


def hash_on_insert(_mapper: Any, connection: Connection, target: Any) -> None:
    """Event's before_insert (deskterm.models.event): its hash, from its case's newest."""
    from sqlalchemy.orm import object_session

    session = object_session(target)
    info: dict[str, Any] = session.info if session is not None else {}
    previous = _previous_hash(connection, info, target.case_id)
    target.hash = event_hash(previous, {name: getattr(target, name) for name in CONTENT})
    info.setdefault(_CACHE, {})[target.case_id] = target.hash


def forget(session: Any, _transaction: Any) -> None:
    """Session's after_transaction_end: the next transaction reads the chain afresh."""
    session.info.pop(_CACHE, None)
