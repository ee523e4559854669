"""The console: a Textual app on the queue, with the sweep running in the background."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from deskterm.desk.context import Desk
from deskterm.desk.queue import VIEWS
from deskterm.desk.sweep import sweep
from deskterm.screens.queue import QueueScreen
from deskterm.store import statistics

SWEEP_SECONDS = 60


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
        start: str = "queue",
    ) -> None:
        super().__init__()
        self.desk = desk
        self.readonly = readonly
        self.bell_on_alert = bell
        self.first_case = case  # `deskterm open N`: the case on top of the queue
        self.start = start  # "board": `deskterm board`, the breach board on top of the queue

    def on_mount(self) -> None:
        self.push_screen(QueueScreen(self.desk, readonly=self.readonly, bell=self.bell_on_alert))
        if self.first_case is not None:
            from deskterm.screens.case import CaseScreen  # only when asked for (start-up time)

            self.push_screen(CaseScreen(self.desk, self.first_case, readonly=self.readonly))
        elif self.start == "board":
            from deskterm.screens.board import BoardScreen

            self.push_screen(BoardScreen(self.desk, readonly=self.readonly))
        if not self.readonly:
            self.set_interval(SWEEP_SECONDS, self._sweep)
        # What start-up built lives as long as the console: out of the garbage
        # collector's sight, a full collection later walks only what came since
        # (pauses of tens of milliseconds otherwise, felt as a stuck key).
        self.call_after_refresh(gc.freeze)

    @work(thread=True, exclusive=True, group="sweep")
    def _sweep(self) -> None:
        # What it writes reaches the queue like any other change (the change watcher).
        sweep(self.desk)
        statistics.refresh(self.desk.engine)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from deskterm.screens.board import BoardScreen
        from deskterm.screens.case import CaseScreen

        if isinstance(screen, BoardScreen):
            for binding in screen.BINDINGS:
                assert isinstance(binding, Binding)
                if binding.show:
                    key = binding.key.split(",")[0]
                    yield SystemCommand(
                        f"Board: {binding.description}",
                        f"On the breach board ({key})",
                        lambda action=binding.action: screen.run_action(action),  # type: ignore[misc]
                    )
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
            yield SystemCommand(
                "Breach board", "Next to breach, counts, load, forecast (b)", screen.action_board
            )
            yield SystemCommand(
                "Handoff", "What happened this shift, what comes next (h)", screen.action_handoff
            )
            yield SystemCommand(
                "SLA report", "First response met, breaches, by severity", screen.action_report
            )
            yield SystemCommand("Help", "Keys and the filter language (?)", screen.action_help)
            for view in VIEWS:
                yield SystemCommand(
                    f"View: {view.title}",
                    f"Show {view.title.lower()}",
                    lambda key=view.key: screen.action_view(key),  # type: ignore[misc]
                )
