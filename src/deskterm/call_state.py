"""The Severity 1 call in progress, kept so a closed terminal loses nothing.

The wizard reads until its final confirm, so what the caller has said so far is
private scratch, like a draft: one small JSON file in the user's own state
directory beside the drafts of the same database, replaced atomically after
every step (`deskterm.drafts.write_atomically`); the new-case form left with
esc is kept the same way. Starting deskterm again offers
to resume the call at the step it stopped on, its timer still counting from the
moment step 1 began.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from deskterm.drafts import database_key, write_atomically
from deskterm.instants import parse_instant, to_iso

SEV1_CALL = "sev1-call"  # the wizard's call in progress
NEW_CASE = "new-case"  # the new-case form, left with esc


@dataclass
class SavedCall:
    step: int  # 1-8: the step the wizard is on
    started_at: datetime  # when step 1 began: the call timer counts from here
    fields: dict[str, str] = field(default_factory=dict)  # every answer, as typed


class CallStore:
    """One user's call in progress (or new-case form) on one database."""

    def __init__(self, database: str, root: Path, name: str = SEV1_CALL) -> None:
        """`root`: the drafts directory (Settings.drafts), shared with deskterm.drafts."""
        self.path = root / database_key(database) / f"{name}.json"

    def save(self, call: SavedCall) -> None:
        payload = json.dumps(
            {"step": call.step, "started_at": to_iso(call.started_at), "fields": call.fields},
            ensure_ascii=False,
        )
        write_atomically(self.path, payload)

    def load(self) -> SavedCall | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return SavedCall(
                step=int(data["step"]),
                started_at=parse_instant(data["started_at"]),
                fields={str(k): str(v) for k, v in data["fields"].items()},
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # damaged: not worth a crash, and left for a person to read

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
