"""The console: a Textual app on the queue, with the sweep running in the background."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from sqlalchemy.exc import OperationalError
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from deskterm.desk.context import Desk
from deskterm.desk.queue import VIEWS
from deskterm.screens.queue import QueueScreen
from deskterm.store import statistics

SWEEP_SECONDS = 60
MAIL_SECONDS = 30  # how often the console drains the outbox (when a relay is configured)


class DesktermApp(App[None]):
    CSS_PATH = "deskterm.tcss"
    TITLE = "deskterm"

    def __init__(
        self,
        desk: Desk,
        *,
        readonly: bool = False,
        bell: bool = False,
        case: int | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.readonly = readonly
        self.bell_on_alert = bell
        self.first_case = case  # `deskterm open N`: the case on top of the queue

    def on_mount(self) -> None:
        self.push_screen(QueueScreen(self.desk, readonly=self.readonly, bell=self.bell_on_alert))
        if self.first_case is not None:
            from deskterm.screens.case import CaseScreen  # only when asked for (start-up time)

            self.push_screen(CaseScreen(self.desk, self.first_case, readonly=self.readonly))
        if not self.readonly:
            self.set_interval(SWEEP_SECONDS, self._sweep)
            if self.desk.mail.relay:
                self.set_interval(MAIL_SECONDS, self._send_mail)
        # What start-up built lives as long as the console: out of the garbage
        # collector's sight, a full collection later walks only what came since
        # (pauses of tens of milliseconds otherwise, felt as a stuck key).
        self.call_after_refresh(gc.freeze)

    @work(thread=True, exclusive=True, group="sweep")
    def _sweep(self) -> None:
        # What it writes reaches the queue like any other change (the change watcher).
        from deskterm.desk.sweep import sweep  # the ORM, a minute after start-up

        try:
            sweep(self.desk)
            statistics.refresh(self.desk.engine)
        except OperationalError:
            # The database is away (the change watcher says so on screen): the next
            # sweep, a minute on, does what this one could not.
            return

    @work(thread=True, exclusive=True, group="mail")
    def _send_mail(self) -> None:
        # Claimed row by row: another console (or `deskterm mail send`) draining the
        # same outbox at the same moment sends nothing twice (deskterm.desk.outbox).
        from deskterm.desk.outbox import send_due  # the ORM and smtplib: not at start-up

        send_due(self.desk)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from deskterm.screens.case import CaseScreen

        if isinstance(screen, CaseScreen):
            # Every key of the case screen, by name: the palette is the keys' index.
            for binding in screen.BINDINGS:
                assert isinstance(binding, Binding)
                key = binding.key.split(",")[0].replace("question_mark", "?")
                yield SystemCommand(
                    binding.description,
                    f"On this case ({key})",
                    lambda action=binding.action: screen.run_action(action),  # type: ignore[misc]
                )
        if isinstance(screen, QueueScreen):
            yield SystemCommand(
                "Take the selected case", "Assign it to yourself (t)", screen.action_take
            )
            yield SystemCommand(
                "Filter the queue", "Words and tokens such as sev:1 (/)", screen.action_filter
            )
            yield SystemCommand("Refresh", "Reload the queue (r)", screen.action_refresh)
            yield SystemCommand("Help", "Keys and the filter language (?)", screen.action_help)
            for view in VIEWS:
                yield SystemCommand(
                    f"View: {view.title}",
                    f"Show {view.title.lower()}",
                    lambda key=view.key: screen.action_view(key),  # type: ignore[misc]
                )
