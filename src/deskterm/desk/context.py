"""What every use case runs with: the database, the policies, who acts and when."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from deskterm import clock
from deskterm.desk.errors import DeskError
from deskterm.sla import Policy, PolicyError
from deskterm.sla.catalog import PolicyCatalog, UnknownPolicy

SYSTEM_ACTOR = "deskterm"  # the sweep's name in the audit trail


@dataclass
class Desk:
    engine: Engine
    policies: PolicyCatalog
    actor: str
    now: Callable[[], datetime] = field(default=clock.now)

    def policy(self, name: str) -> Policy:
        try:
            return self.policies.get(name)
        except UnknownPolicy as error:
            raise DeskError(str(error)) from None
        except PolicyError as error:
            raise DeskError(f"policy {name!r} has problems: {error.problems[0]}") from None
