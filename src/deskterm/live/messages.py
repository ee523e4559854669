"""What the console's monitor tells the screens, as Textual messages.

Screens react to these and never ask the store themselves whether the desk
changed, nor what state the connection is in. None of them bubbles: the app
hands each to every screen on its stack (`DesktermApp.on_desk_changed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.message import Message


class DeskChanged(Message, bubble=False):
    """Something was committed since the last message (by anyone, this console too).

    `cases` names each case written and its newest version; `mail` says the
    outbox changed (no case row is written for that); `everything` says the feed
    could not tell what changed (a directory change, a bulk import, a connection
    that came back after changes it could not hear): reload whatever is shown.
    """

    def __init__(
        self,
        cases: Mapping[int, int] | None = None,
        *,
        mail: bool = False,
        everything: bool = False,
        kinds: frozenset[str] | None = None,
    ) -> None:
        super().__init__()
        self.cases: dict[int, int] = dict(cases or {})
        self.mail = mail
        self.everything = everything
        # The kinds of the events written, when the feed tells them (SQLite).
        self.kinds = kinds

    @property
    def figures_unchanged(self) -> bool:
        """Whether the desk's counts, deadlines and board are as they were: only notes
        and the like were written (deskterm.store.changes.QUIET_KINDS)."""
        from deskterm.store.changes import QUIET_KINDS

        return not self.everything and self.kinds is not None and self.kinds <= QUIET_KINDS

    @property
    def deadlines_unchanged(self) -> bool:
        """Whether every stored deadline and status is as it was: only holders,
        escalations, notes and the like were written (deskterm.store.changes)."""
        from deskterm.store.changes import HOLDER_KINDS, QUIET_KINDS

        return (
            not self.everything
            and self.kinds is not None
            and self.kinds <= QUIET_KINDS | HOLDER_KINDS
        )

    def touches(self, number: int) -> bool:
        """Whether case `number` may have changed."""
        return self.everything or number in self.cases

    def merged(self, other: DeskChanged) -> DeskChanged:
        """This and `other`, as one (changes heard while a screen was hidden)."""
        cases = dict(self.cases)
        for number, version in other.cases.items():
            cases[number] = max(version, cases.get(number, 0))
        kinds = None
        if self.kinds is not None and other.kinds is not None:
            kinds = self.kinds | other.kinds
        return DeskChanged(
            cases,
            mail=self.mail or other.mail,
            everything=self.everything or other.everything,
            kinds=kinds,
        )

    def copy(self) -> DeskChanged:
        """The same news for another screen (a message is handled once)."""
        return DeskChanged(self.cases, mail=self.mail, everything=self.everything, kinds=self.kinds)

    @property
    def numbers(self) -> Iterable[int]:
        return self.cases.keys()


class ConnectionLost(Message, bubble=False):
    """The database cannot be reached; the monitor keeps trying."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class ConnectionBack(Message, bubble=False):
    """The database is reachable again; a `DeskChanged(everything=True)` follows."""


class StorageFailed(Message):
    """A worker's read or write met a storage failure (disk full, read-only, a lost
    server): the app shows one notice for all of them. Bubbles to the app."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem
