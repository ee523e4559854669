"""What every use case runs with: the database, the policies, who acts and when,
and where attached files are kept."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from deskterm import clock, settings
from deskterm.desk import policy_versions
from deskterm.desk.errors import DeskError, ServerGone, StorageError
from deskterm.desk.limits import quoted
from deskterm.desk.policy_versions import StoredPolicies
from deskterm.mail.config import NO_RELAY, MailConfig
from deskterm.sla import Policy, PolicyError
from deskterm.sla.catalog import PolicyCatalog, UnknownPolicy
from deskterm.store.faults import server_gone, storage_problem

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SYSTEM_ACTOR = "deskterm"  # the sweep's name in the audit trail


@dataclass
class Desk:
    engine: Engine
    policies: PolicyCatalog
    actor: str
    now: Callable[[], datetime] = field(default=clock.now)
    # Attached files, stored by SHA-256 (see deskterm.desk.attachments), and the
    # largest file accepted (DESKTERM_ATTACHMENT_LIMIT, default 20 MB).
    attachments: Path = field(default_factory=settings.default_attachments_dir)
    attachment_limit: int = field(default_factory=settings.attachment_limit)
    # The SMTP relay mail to customers goes through (the config's [mail] table);
    # without one, that mail is recorded as not sent (deskterm.desk.outbox).
    mail: MailConfig = NO_RELAY
    # The stored policy versions read so far (desk/policy_versions.py).
    stored: StoredPolicies = field(default_factory=StoredPolicies)

    def __post_init__(self) -> None:
        # Every use case, read or write, then reports a storage failure (disk full,
        # read-only, I/O error) as a StorageError the front ends show in one line.
        if isinstance(self.engine, Engine) and self.engine not in _LISTENED:
            event.listen(self.engine, "handle_error", _storage_refused)
            _LISTENED.add(self.engine)

    def policy(self, name: str, version: int | None = None) -> Policy:
        """A stored version of the policy; without one, the version in use for new cases
        (the file, on a desk that has never used the policy)."""
        try:
            if version is None and isinstance(self.engine, Engine):
                version = self.stored.newest(self.engine, name)
            if version is not None:
                found = self.stored.get(self.engine, name, version)
                if found is not None:
                    return found
        except PolicyError as error:
            raise DeskError(error.problems[0]) from None
        except StorageError:
            # The database cannot be asked (a lost connection): a screen painting a
            # label or a countdown gets the file rather than an error; every write
            # reads its version inside its own transaction.
            pass
        return self.policy_file(name)

    def case_policy(self, case: Any) -> Policy:
        """The version the case runs under (models/case.py `policy_version`)."""
        return self.policy(case.policy, case.policy_version)

    def versions_of(self, name: str) -> Callable[[int | None], Policy]:
        """The stored versions of `name` by number (None: the file), for the clocks a case
        settled under a version applied over since (desk/deadlines.py `keep_settled`)."""
        return lambda version: (
            self.policy_file(name) if version is None else self.policy(name, version)
        )

    def policy_in_use(self, session: Session, name: str) -> Policy:
        """The version a case opened now starts under, stored the first time it is used
        (inside the caller's write transaction; desk/policy_versions.py)."""
        return policy_versions.in_use(
            session, self.stored, name, lambda: self.policy_file(name), self.actor, self.now()
        )

    def policy_file(self, name: str) -> Policy:
        """The policy as its file says today (policy diff, apply, check)."""
        try:
            return self.policies.get(name)
        except UnknownPolicy as error:
            raise DeskError(str(error)) from None
        except PolicyError as error:
            raise DeskError(f"policy {quoted(name)} has problems: {error.problems[0]}") from None

    def severity_levels(self) -> list[int]:
        """Every level some policy of the desk defines (a broken policy file defines none)."""
        levels: set[int] = set()
        for entry in self.policies.entries().values():
            if entry.policy is not None:
                levels.update(entry.policy.severities)
        return sorted(levels)


# The engines given _storage_refused. Not event.contains: SQLAlchemy files the
# listener under id(engine) for as long as the engine's dialect lives, so a new engine
# at a dead one's address looked as if it had it (tests/desk/test_faults.py).
_LISTENED: weakref.WeakSet[Engine] = weakref.WeakSet()


def _storage_refused(context: ExceptionContext) -> None:
    original = context.original_exception
    if server_gone(original):
        # The connection is dead: SQLAlchemy invalidates it (and the pool's other
        # connections of the same age) so the next use connects afresh.
        context.is_disconnect = True
    if context.is_pre_ping:
        # The pool's health check on checkout: it replaces a dead connection on
        # its own, which an error raised here would stop.
        return
    if context.is_disconnect:
        raise ServerGone() from original
    problem = storage_problem(original, context.engine.url.database if context.engine else None)
    if problem is not None:
        # Raised from the hook, it replaces SQLAlchemy's error after the connection
        # has been cleaned up; the transaction around it rolls back as for any error.
        raise StorageError(
            f"{problem}: nothing was saved; try again once that is fixed"
        ) from context.original_exception
