"""The console: a Textual app on the queue, with the sweep running in the background.

The app owns the console's one `DeskMonitor` (deskterm.live.monitor): it hands
each `DeskChanged` to every screen on the stack, and turns the connection's
state and every storage failure a worker meets into one notice each.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from sqlalchemy.exc import OperationalError
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from deskterm import locations
from deskterm.desk.context import Desk
from deskterm.desk.errors import StorageError
from deskterm.desk.queue import VIEWS
from deskterm.live.messages import ConnectionBack, ConnectionLost, DeskChanged, StorageFailed
from deskterm.live.monitor import DeskMonitor
from deskterm.screens import connection
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticking import TICK_SECONDS, tick_screens
from deskterm.store import statistics

if TYPE_CHECKING:
    from deskterm.call_state import CallStore
    from deskterm.models import Case

SWEEP_SECONDS = 60
# Rich's names of a terminal with a palette of 16 colours (TERM=xterm, or
# TEXTUAL_COLOR_SYSTEM=standard): it gets a look of its own (styles/*.tcss).
SIXTEEN_COLOURS = frozenset({"standard", "windows"})
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
        start: str = "queue",
        drafts: Path | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        # Drafts and calls in progress (deskterm.drafts, deskterm.call_state) live here:
        # Settings.drafts, read once at the start; the default location when embedded.
        self.drafts_root = drafts if drafts is not None else locations.drafts_root()
        self.readonly = readonly
        self.bell_on_alert = bell
        self.first_case = case  # `deskterm open N`: the case on top of the queue
        # What to open on top of the queue: "board" (`deskterm board`), "sev1"
        # (`deskterm sev1`), "new" (`deskterm case new`), or "queue" for nothing more.
        self.start = start
        self.monitor = DeskMonitor(self, desk.engine)
        # On 16 colours the theme's colours fall to the nearest of the palette: an
        # orange warning and a red breach both became bright red, the selection a
        # dark grey bar. Like NO_COLOR, the look there leans on bold, underline
        # and reverse video (styles/queue.tcss, styles/dialogs.tcss).
        self.set_class(self.console.color_system in SIXTEEN_COLOURS, "-sixteen-colours")

    def _handle_exception(self, error: Exception) -> None:
        # A worker's read or write that met a lost database server (a restart, a
        # failover, a cut network) is not a bug: the console says it is reconnecting
        # and goes on; the change watcher says "back" and the screens reload. Any
        # other storage failure is one notice too; everything else (a bug) still
        # ends the app with its traceback.
        from textual.worker import WorkerFailed

        from deskterm.store.changes import LOST, is_lost

        cause = error.error if isinstance(error, WorkerFailed) else error
        if isinstance(cause, Exception) and is_lost(cause):
            problem = str(cause) if isinstance(cause, StorageError) else LOST
            connection.announce_failure(self, problem)
            # The monitor says "reconnecting" if the server is still away, and the
            # screens reload what the failed worker was fetching.
            self.monitor.poll()
            self.post_message(DeskChanged(everything=True))
            return
        if isinstance(cause, StorageError):
            # Any other storage failure (a full disk, a read-only database) a worker
            # did not catch itself: one notice, as for a lost server; nothing was
            # written, and ending the console would lose what is typed on screen.
            connection.announce_failure(self, str(cause))
            return
        super()._handle_exception(error)

    @property
    def _background_screens(self) -> list[Screen[object]]:
        # Textual counts the screen beneath the top one as visible even when the top
        # one is opaque and covers the terminal: the queue beneath a case screen then
        # repaints, on every message it handles (each change heard), and asks the case
        # screen for a whole-terminal repaint (a repaint leaves it marked for the next
        # one). Nothing beneath an opaque screen shows: it is not painted at all, and
        # repaints in full when it is on top again.
        if self._screen_stack and self._screen_stack[-1].styles.background.a == 1:
            return []
        return super()._background_screens

    @property
    def bug(self) -> BaseException | None:
        """The error that ended the console, if a bug did (console.run_console reports it)."""
        return self._exception

    def _print_error_renderables(self) -> None:
        # Textual prints a bug's traceback with its locals on the terminal as it exits:
        # customer text lives in those locals, and its control sequences would reach the
        # terminal. The traceback goes to the private crash file instead (crash.py,
        # written by console.run_console); the terminal gets one line.
        if self._exception is not None:
            self._exit_renderables.clear()
            return
        super()._print_error_renderables()

    def on_mount(self) -> None:
        # The starting point for live changes, taken before any screen reads: a
        # commit made while the first rows load is then heard as a change.
        self.monitor.start()
        # The one clock of every countdown and count on screen (screens/ticking.py).
        self.set_interval(TICK_SECONDS, self._tick)
        self.push_screen(QueueScreen(self.desk, readonly=self.readonly, bell=self.bell_on_alert))
        if self.first_case is not None:
            from deskterm.screens.case import CaseScreen  # only when asked for (start-up time)

            self.push_screen(CaseScreen(self.desk, self.first_case, readonly=self.readonly))
        elif self.start == "board":
            from deskterm.screens.board import BoardScreen

            self.push_screen(BoardScreen(self.desk, readonly=self.readonly))
        if not self.readonly:
            self.set_interval(SWEEP_SECONDS, self._sweep)
            if self.desk.mail.relay:
                self.set_interval(MAIL_SECONDS, self._send_mail)
            if self.start == "sev1":
                self.open_sev1_call()
            elif self.start == "new":
                self.open_new_case(done=self._form_only_done)
            else:
                self._offer_resume()
        # What start-up built lives as long as the console: out of the garbage
        # collector's sight, a full collection later walks only what came since
        # (pauses of tens of milliseconds otherwise, felt as a stuck key).
        self.call_after_refresh(gc.freeze)

    def on_unmount(self) -> None:
        self.monitor.stop()

    # -- the live desk ----------------------------------------------------------------

    @on(DeskChanged)
    def _desk_changed(self, message: DeskChanged) -> None:
        # Every screen on the stack hears it; those hidden keep it for when they show.
        for screen in self.screen_stack:
            screen.post_message(message.copy())

    @on(ConnectionLost)
    def _connection_lost(self, message: ConnectionLost) -> None:
        connection.announce_lost(self, message.problem)

    @on(ConnectionBack)
    def _connection_back(self) -> None:
        connection.announce_back(self)

    @on(StorageFailed)
    def _storage_failed(self, message: StorageFailed) -> None:
        connection.announce_failure(self, message.problem)

    def _tick(self) -> None:
        tick_screens(self.screen_stack)

    # -- intake: the Severity 1 call and the new-case form ---------------------------

    def intake_store(self, name: str) -> CallStore:
        from deskterm.call_state import CallStore

        return CallStore(
            self.desk.engine.url.render_as_string(hide_password=True), self.drafts_root, name=name
        )

    def _offer_resume(self) -> None:
        """A call left mid-way (a closed terminal, a crash): offer to go on with it."""
        from deskterm.call_state import SEV1_CALL

        saved = self.intake_store(SEV1_CALL).load()
        if saved is None:
            return
        from deskterm.screens.sev1 import ResumeCall

        def chosen(choice: str | None) -> None:
            if choice == "resume":
                self.open_sev1_call()
            elif choice == "discard":
                self.intake_store(SEV1_CALL).discard()

        self.push_screen(ResumeCall(saved, self.desk.now()), chosen)

    def action_sev1_call(self) -> None:
        self.open_sev1_call()

    def action_new_case(self) -> None:
        self.open_new_case()

    def _refused(self) -> bool:
        if self.readonly:
            self.notify("read-only console: nothing can be changed here", severity="warning")
        return self.readonly

    def open_sev1_call(self) -> None:
        """The Severity 1 phone-call wizard, resuming the call in progress if there is one."""
        if self._refused():
            return
        from deskterm.call_state import SEV1_CALL
        from deskterm.screens.sev1 import Sev1Wizard

        store = self.intake_store(SEV1_CALL)

        def lower(prefill: dict[str, str]) -> None:
            self.open_new_case(prefill, lambda opened: wizard.lower_severity_done(bool(opened)))

        wizard = Sev1Wizard(self.desk, store, store.load(), lower_severity=lower)
        self.push_screen(wizard)

    def open_new_case(
        self,
        prefill: dict[str, str] | None = None,
        done: Callable[[list[Case] | None], object] | None = None,
    ) -> None:
        """The new-case form; `prefill` from a call that turned out not to be a Sev 1."""
        if self._refused():
            return
        from deskterm.call_state import NEW_CASE
        from deskterm.screens.new_case import NewCaseForm

        store = self.intake_store(NEW_CASE)
        saved = None if prefill is not None else store.load()
        form = NewCaseForm(self.desk, store, prefill=prefill, saved=saved)

        def closed(opened: list[Case] | None) -> None:
            if done:
                done(opened)

        self.push_screen(form, closed)

    def _form_only_done(self, opened: list[Case] | None) -> None:
        """`deskterm case new` on a terminal: the form was all it asked for."""
        if opened:
            numbers = ", ".join(f"Incident# {case.number}" for case in opened)
            self.exit(message=Text(f"deskterm: opened {numbers}"))
        else:
            self.exit(message=Text("deskterm: no case opened (esc keeps the form for next time)"))

    @work(thread=True, exclusive=True, group="sweep")
    def _sweep(self) -> None:
        # What it writes reaches the queue like any other change (the change watcher).
        from deskterm.desk.sweep import sweep  # the ORM, a minute after start-up

        try:
            sweep(self.desk)
            statistics.refresh(self.desk.engine)
        except (OperationalError, StorageError):
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
                        lambda action=binding.action: screen.run_action(action),
                    )
        if isinstance(screen, CaseScreen):
            # Every key of the case screen, by name: the palette is the keys' index.
            for binding in screen.BINDINGS:
                assert isinstance(binding, Binding)
                key = binding.key.split(",")[0].replace("question_mark", "?")
                yield SystemCommand(
                    binding.description,
                    f"On this case ({key})",
                    lambda action=binding.action: screen.run_action(action),
                )
        if isinstance(screen, QueueScreen):
            yield SystemCommand(
                "Severity 1 phone call",
                "The checklist wizard for a production-down call (!)",
                self.open_sev1_call,
            )
            yield SystemCommand(
                "New case", "Log a case of Severity 2 and below (n)", self.open_new_case
            )
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
                    lambda key=view.key: screen.action_view(key),
                )
