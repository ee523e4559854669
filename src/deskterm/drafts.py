"""Drafts: what an engineer is writing survives a crash or a dropped SSH session.

A draft is private scratch, not a change to the case, so it is not an event and
does not live in the shared database: writing it every few seconds there would
wake every console on the desk (their change watchers see each commit) and a
read-only or full database would take the text down with it. Instead each draft
is a small JSON file in the user's own state directory, one per database, case
and kind of text, replaced atomically (write, fsync, rename), so a kill -9 at
any moment leaves either the old draft or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from deskterm.instants import parse_instant, to_iso


def database_key(database: str) -> str:
    """A database's identity for file names, not its text: URLs may carry passwords."""
    return hashlib.sha256(database.encode()).hexdigest()[:16]


def write_atomically(path: Path, payload: str) -> None:
    """Replace `path` with `payload`: write, fsync, rename (a kill leaves old or new)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".draft-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Draft:
    number: int
    kind: str  # "reply" | "note" | "call" | "split" ...
    fields: dict[str, str]  # the editor's fields: {"text": ...}, a call's "who", ...
    saved_at: datetime
    base_version: int | None  # the case version the writer was looking at

    @property
    def empty(self) -> bool:
        return not any(value.strip() for value in self.fields.values())

    @property
    def size(self) -> int:
        return sum(len(value) for value in self.fields.values())


class Drafts:
    """One user's drafts on one database, under `root` (Settings.drafts: the start of
    deskterm decides where, deskterm.locations.drafts_root)."""

    def __init__(self, database: str, root: Path) -> None:
        self.directory = root / database_key(database)

    def _path(self, number: int, kind: str) -> Path:
        return self.directory / f"{number}.{kind}.json"

    def save(
        self,
        number: int,
        kind: str,
        fields: dict[str, str],
        saved_at: datetime,
        base_version: int | None = None,
    ) -> None:
        """Keep `fields` as the draft; an empty editor removes the draft instead."""
        draft = Draft(number, kind, dict(fields), saved_at, base_version)
        if draft.empty:
            self.discard(number, kind)
            return
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = json.dumps(
            {
                "number": number,
                "kind": kind,
                "fields": draft.fields,
                "saved_at": to_iso(saved_at),
                "base_version": base_version,
            },
            ensure_ascii=False,
        )
        write_atomically(self._path(number, kind), payload)

    def get(self, number: int, kind: str) -> Draft | None:
        return self._read(self._path(number, kind))

    def of_case(self, number: int) -> list[Draft]:
        """Every draft kept for case `number`, oldest first."""
        if not self.directory.is_dir():
            return []
        found = (self._read(path) for path in self.directory.glob(f"{number}.*.json"))
        return sorted((d for d in found if d is not None), key=lambda d: d.saved_at)

    def discard(self, number: int, kind: str) -> None:
        self._path(number, kind).unlink(missing_ok=True)

    @staticmethod
    def _read(path: Path) -> Draft | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Draft(
                number=int(data["number"]),
                kind=str(data["kind"]),
                fields={str(k): str(v) for k, v in data["fields"].items()},
                saved_at=parse_instant(data["saved_at"]),
                base_version=data.get("base_version"),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # A damaged draft is not worth a crash, but it is not deleted either:
            # the words may still be recoverable by hand.
            return None
