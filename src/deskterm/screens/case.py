"""The case screen: work a case end to end without leaving the keyboard.

It reads a `CaseFile` from `desk.case_file` in a worker and writes through the
use cases of `desk.cases`, each with the version the engineer was looking at:
if someone else changed the case first, the write is refused as a conflict,
the screen reloads, says what changed, and one key applies the same change
again on top. Text being written lives in a draft file until the write that
uses it has succeeded.

A change someone else makes to the case shown appears in its timeline and on the
news line above the keys (what the latest changes were, how many since the case
was opened), one line updated in place: a toast per change would stack over the
timeline at 80x24 and lay the whole screen out twice (mounted, then expired).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from deskterm.desk import attachments, case_file, cases
from deskterm.desk.case_file import CaseFile
from deskterm.desk.context import Desk
from deskterm.desk.describe import describe
from deskterm.desk.errors import Conflict, DeskError, NotFound, StorageError, database_refusal
from deskterm.desk.outbox import last_mail_outcome
from deskterm.desk.workflow import allowed_moves
from deskterm.drafts import Draft, Drafts
from deskterm.live.messages import DeskChanged, StorageFailed
from deskterm.memory import collector_paused
from deskterm.models import EventKind
from deskterm.safe_text import safe_line
from deskterm.screens import case_compose as writing
from deskterm.screens import case_dialogs as dialogs
from deskterm.screens import case_find as finding
from deskterm.screens.grammar import GrammarScreen
from deskterm.screens.local_time import short, stamp
from deskterm.screens.text_viewer import SearchField, TextViewerScreen
from deskterm.settings import human_size
from deskterm.sla import Clock, ClockKind, Status, shown_clocks
from deskterm.widgets.clock_panel import ClockPanel
from deskterm.widgets.dialog import STYLES
from deskterm.widgets.document import Block, Document
from deskterm.widgets.keys_footer import KeysFooter
from deskterm.widgets.timeline import timeline_blocks

# Chars of a subject shown in the header and copied with `y`: a megabyte-long one
# would be a megabyte of OSC 52 over the line, and an input a megabyte wide.
SUBJECT_SHOWN = 300
# What the news line says of the latest changes by others (it counts them all).
NEWS_SHOWN = 3
COMPOSER_KINDS = {"reply": "reply recorded", "note": "note added", "call": "call logged"}
# What a write says once done: a sentence, or one made from the change's result
# (a reply says where its mail went: "reply mailed to ann@acme.example").
Done = str | Callable[[Any], str]
# What runs once a write is done; the sentence it returns, if any, replaces `done`'s.
After = Callable[[Any], str | None]
NOT_ESCALATED = cases.ESCALATION_LEVELS[0]


def intake_blocks(file: CaseFile) -> list[Block]:
    """Description and every intake field, the empty ones marked: what to ask for."""

    def block(title: str, value: str) -> Block:
        head: tuple[tuple[str, str], ...] = ((title, "document--head"),)
        if not value.strip():
            head += (("  (empty)", "document--missing"),)
        return Block(head, value)

    blocks = [block("Description", file.case.description)]
    blocks += [block(name.replace("_", " ").capitalize(), value) for name, value in file.intake()]
    files = len(file.attachments)
    blocks.append(block("Log files, screenshots", f"{files} attached (tab 3)" if files else ""))
    return blocks


if TYPE_CHECKING:
    from deskterm.app import DesktermApp


# -- what the workers post back (on the screen's thread) ------------------------------


class CaseRead(Message, bubble=False):
    """The case, its clocks now, and its intake blocks."""

    def __init__(self, file: CaseFile, clocks: dict[ClockKind, Clock], intake: list[Block]) -> None:
        super().__init__()
        self.file, self.clocks, self.intake = file, clocks, intake


class CaseGone(Message, bubble=False):
    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class CaseMoved(Message, bubble=False):
    """The case's version moved on since it was read: read it again."""


class RelatedRead(Message, bubble=False):
    def __init__(self, related: list[Any]) -> None:
        super().__init__()
        self.related = related


class UsersRead(Message, bubble=False):
    def __init__(self, users: list[str]) -> None:
        super().__init__()
        self.users = users


class AttachmentRead(Message, bubble=False):
    def __init__(self, name: str, text: str) -> None:
        super().__init__()
        self.name, self.text = name, text


class Written(Message, bubble=False):
    """A write went through: the case is at `version`; `after` says what came of it."""

    def __init__(
        self, done: Done, version: int, result: Any, after: Callable[[Any], str | None] | None
    ) -> None:
        super().__init__()
        self.done, self.version, self.result, self.after = done, version, result, after


class WriteConflict(Message, bubble=False):
    """Someone else changed the case first: the engineer decides whether to apply again."""

    def __init__(
        self,
        problem: str,
        done: Done,
        change: Callable[[int], Any],
        after: Callable[[Any], str | None] | None,
        refused: Callable[[str], None] | None,
    ) -> None:
        super().__init__()
        self.problem, self.done, self.change = problem, done, change
        self.after, self.refused = after, refused


class Refused(Message, bubble=False):
    """The desk refused a write or a read; `handler` (a dialog asking again) or the
    screen's notice says why."""

    def __init__(self, problem: str, handler: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.problem, self.handler = problem, handler


class CaseScreen(GrammarScreen):
    CSS_PATH = [STYLES / "case.tcss"]
    BINDINGS = [
        Binding("r", "compose('reply')", "Reply"),
        # While a search of the timeline is on, n and N step between its hits (as in
        # the file viewer); otherwise n writes a note (esc ends the search). The first
        # binding of a key that its check allows is the one a press runs.
        Binding("n", "hit(1)", "Next hit"),
        Binding("N", "hit(-1)", "Previous hit"),
        Binding("n", "compose('note')", "Note"),
        Binding("c", "compose('call')", "Call"),
        Binding("m", "move", "Move"),
        Binding("s", "severity", "Severity"),
        Binding("a", "assign", "Assign"),
        Binding("t", "take", "Take"),
        Binding("u", "release", "Release"),
        Binding("e", "escalate", "Escalate"),
        Binding("x", "split", "Split"),
        Binding("y", "copy_subject", "Copy subject"),
        Binding("f", "attach", "Attach"),
        Binding("v", "view_attachment", "View file"),
        Binding("w", "why", "Why (SLA)"),
        Binding("slash", "find", "Find"),
        Binding("1", "tab('timeline')", "Timeline", show=False),
        Binding("2", "tab('intake')", "Intake", show=False),
        Binding("3", "tab('files')", "Attachments", show=False),
        Binding("4", "tab('related')", "Related", show=False),
    ]
    # What each changing key does, for the read-only console's refusal.
    CHANGING = frozenset(
        {"compose", "move", "severity", "assign", "take", "release", "escalate", "split", "attach"}
    )
    WRITES = CHANGING

    def __init__(
        self, desk: Desk, number: int, *, readonly: bool = False, drafts: Drafts | None = None
    ) -> None:
        super().__init__()
        self.desk = desk
        self.number = number
        self._drafts = drafts
        self.readonly = readonly
        self.file: CaseFile | None = None
        # Versions this screen wrote: its own changes are not announced as someone else's.
        self._own_versions: set[int] = set()
        self._news = 0  # changes by others since the case was opened
        self._latest: list[str] = []  # what the newest of them did, newest first
        self._offered_drafts = False
        self.related: list[Any] = []
        self._related_shown = False  # the related list was filled once
        self.found: finding.Found | None = None  # the timeline's search, while it is on

    @property
    def drafts(self) -> Drafts:
        """This database's drafts, under the console's directory (Settings.drafts)."""
        if self._drafts is None:
            url = self.desk.engine.url.render_as_string(hide_password=True)
            self._drafts = Drafts(url, cast("DesktermApp", self.app).drafts_root)
        return self._drafts

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(f"Incident# {self.number}: loading ...", id="case-header", markup=False)
        yield ClockPanel(self.when, id="clocks")
        with TabbedContent(id="case-tabs", initial="timeline"):
            with TabPane("Timeline", id="timeline"):
                yield Document(indent=4, id="timeline-doc")
            with TabPane("Intake", id="intake"):
                yield Document(indent=2, id="intake-doc")
            with TabPane("Attachments", id="files"):
                yield OptionList(id="attachment-list")
            with TabPane("Related", id="related"):
                yield OptionList(id="related-list")
        with Horizontal(id="find-bar"):
            yield Static("/", id="find-prompt", markup=False)
            yield SearchField(
                placeholder="words in the timeline; enter finds, esc closes",
                id="find",
                compact=True,
            )
            yield Static(id="find-status", markup=False)
        yield Static("", id="case-news", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#find-bar").display = False
        self.query_one("#case-news").display = False  # until someone else changes the case
        self.query_one("#timeline-doc", Document).focus()
        # The first read is done here, before the first paint, not in a worker: a
        # worker thread fetching 10,000 rows waits for the interpreter lock once per
        # row while this thread lays the screen out (the case took twice as long to
        # appear). Later reloads, on changes, run in a worker.
        try:
            self._show(*self._read())
        except NotFound as error:
            self.call_later(self._gone, str(error))
            return

    def when(self, instant: datetime | None) -> str:
        return short(instant, self.desk.now())

    # -- reading --------------------------------------------------------------------

    def _read(self) -> tuple[CaseFile, dict[ClockKind, Clock], list[Block]]:
        """The case, its clocks now and its intake blocks; of the timeline, only the events
        written since the case shown (all of them the first time)."""
        # Tens of thousands of small objects, none of them cyclic: the cyclic garbage
        # collector would walk the whole console's heap several times meanwhile.
        with collector_paused():
            file = case_file.load(self.desk, self.number, self.file)
            return file, file.clocks(self.desk.now()), intake_blocks(file)

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            read = self._read()
        except NotFound as error:
            self.post_message(CaseGone(str(error)))
            return
        except StorageError as error:
            self.post_message(
                StorageFailed(str(error))
            )  # shown as it was; tried on the next change
            return
        self.post_message(CaseRead(*read))

    @on(CaseRead)
    def _case_read(self, message: CaseRead) -> None:
        self._show(message.file, message.clocks, message.intake)

    @on(CaseGone)
    def _case_gone(self, message: CaseGone) -> None:
        self._gone(message.problem)

    # -- related cases: each one key away (enter opens it, esc comes back) ---------------

    def _related_of(self, file: CaseFile) -> list[Any]:
        from deskterm.desk.related import related_cases

        try:
            return related_cases(self.desk, file)
        except DeskError:
            return []  # the case itself is shown; its relations come with the next load
        except Exception as error:
            if database_refusal(error) is None:
                raise
            return []

    @work(thread=True, exclusive=True, group="related")
    def _load_related(self, file: CaseFile) -> None:
        self.post_message(RelatedRead(self._related_of(file)))

    @on(RelatedRead)
    def _related_read(self, message: RelatedRead) -> None:
        self._show_related(message.related)

    def _show_related(self, found: list[Any]) -> None:
        if self._related_shown and found == self.related:
            return  # as shown: a change to the case seldom changes its relations
        self._related_shown = True
        self.related = found
        listing = self.query_one("#related-list", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        for item in found:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"#{item.number}  ", style="bold")
            line.append(f"{safe_line(item.relation, 60)}  ")
            line.append(f"[{item.status}]  ")
            line.append(safe_line(item.subject, 200))
            listing.add_option(Option(line))
        if found:
            listing.highlighted = min(highlighted or 0, len(found) - 1)
        self._label("related", f"Related {len(found)}")

    @on(OptionList.OptionSelected, "#related-list")
    def _related_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        item = self.related[event.option_index]
        self.app.push_screen(CaseScreen(self.desk, item.number, readonly=self.readonly))

    def _gone(self, message: str) -> None:
        self.notify(safe_line(message), severity="error", markup=False)
        self.dismiss()

    def _show(
        self,
        file: CaseFile,
        clocks: dict[ClockKind, Clock],
        intake: list[Block],
    ) -> None:
        previous, self.file = self.file, file
        # A change to the case on screen repaints what it changed, and lays the screen
        # out again only when a size may have moved: a new layout repaints every widget
        # of the screen, most of such a change's cost. The header's height is set
        # (case.tcss); labels and lists as they were are left alone.
        self.query_one("#case-header", Static).update(self._header(file), layout=False)
        self.query_one(ClockPanel).show(
            f"SLA under {file.policy.title}", file.policy, clocks, self.desk.now()
        )
        self._show_timeline(previous, file)
        if self.found is not None:  # the timeline changed under a search: found again
            self._find(self.found.typed, keep=self.found.block)
        self.query_one("#intake-doc", Document).set_blocks(intake)
        if previous is None or previous.attachments != file.attachments:
            self._show_attachments(file)
        self._label("timeline", f"Timeline {len(file.events)}")
        empty = sum(1 for _, value in file.intake() if not value.strip())
        self._label("intake", f"Intake ({empty} empty)" if empty else "Intake")
        self._label("files", f"Attachments {len(file.attachments)}")
        if previous is None:  # the first paint shows them (a few indexed rows)
            self._show_related(self._related_of(file))
        elif _relations_moved(previous, file):
            self._load_related(file)
        if previous is not None and file.version != previous.version:
            self._announce(file.since(previous.version))
        if previous is None and not self._offered_drafts:
            self._offered_drafts = True
            self._offer_drafts()

    def _show_timeline(self, previous: CaseFile | None, file: CaseFile) -> None:
        """The timeline: entries new since `previous` are added after those shown (the
        view, the search and the scroll position stay), unless what is shown changed too
        (a reply's mail went from pending to sent): then it is shown again whole."""
        document = self.query_one("#timeline-doc", Document)
        shown = previous.events if previous is not None else ()
        added = len(file.events) - len(shown)
        if shown and added >= 0 and file.events[len(shown) - 1] == shown[-1]:
            last = shown[-1].id
            if _mail_up_to(file.mail, last) == _mail_up_to(previous.mail if previous else {}, last):
                document.extend(timeline_blocks(file.events[len(shown) :], stamp, file.mail))
                return
        document.set_blocks(
            timeline_blocks(file.events, stamp, file.mail), follow_end=previous is None
        )

    def _label(self, tab: str, label: str) -> None:
        """Label a tab, unless it says so already. A label of another width lays the
        screen out (Tab's setter); one of the same width ("Timeline 12" after
        "Timeline 11") repaints only the tab."""
        shown = self.query_one(TabbedContent).get_tab(tab)
        before = shown.label
        if before.plain == label:
            return
        if before.cell_length != cell_len(label):
            shown.label = label
            return
        shown._label = Content(label)  # what Tab's setter keeps, without its layout
        Static.update(shown, shown._label, layout=False)

    def _header(self, file: CaseFile) -> Text:
        case, org, policy = file.case, file.organization, file.policy
        now = self.desk.now()
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"Incident# {case.number}  ", style="bold")
        text.append(safe_line(case.subject, SUBJECT_SHOWN), style="bold")
        text.append("\n")
        text.append(safe_line(org.name, 60))
        if org.contract_until is None:
            text.append("  contract current")
        elif file.contract_current(now.date()):
            text.append(f"  contract current to {org.contract_until.isoformat()}")
        else:
            text.append(f"  CONTRACT ENDED {org.contract_until.isoformat()}", style="bold reverse")
        text.append("\n")
        person = file.contact
        if person is None:
            text.append("no contact on file", style="italic")
        else:
            text.append(safe_line(person.name, 60))
            text.append(" (administrator)" if person.administrator else " (not an administrator)")
            for detail in (person.phone, person.email):
                if detail:
                    text.append("  " + safe_line(detail, 60))
            if person.mail_bounce:  # phone instead: mail to this address bounces
                text.append(
                    "  BOUNCED: " + safe_line(person.mail_bounce, 60),
                    style="bold reverse",
                )
        text.append("\n")
        level = policy.severities.get(case.severity)
        text.append(f"{policy.label(case.severity)} {level.name if level else ''}", style="bold")
        if level is not None:
            text.append(f": {level.meaning}")
        text.append("\n")
        text.append(file.status.label, style="bold")
        text.append("  ·  ")
        if case.assignee:
            text.append(f"assigned to {safe_line(case.assignee, 40)}")
        else:
            text.append("UNASSIGNED", style="bold")
        text.append("  ·  ")
        if case.escalation == NOT_ESCALATED:
            text.append("not escalated")
        else:
            text.append(f"escalated to {case.escalation.replace('-', ' ')}", style="bold")
        if file.parent is not None:
            text.append(f"  ·  split from {file.parent}")
        if file.children:
            text.append("  ·  split off " + ", ".join(str(n) for n in file.children))
        text.append(f"  ·  version {case.version}", style="dim")
        return text

    def _show_attachments(self, file: CaseFile) -> None:
        listing = self.query_one("#attachment-list", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        for index, attachment in enumerate(file.attachments):
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(safe_line(attachment.name, 80), style="bold")
            line.append(
                f"  {human_size(attachment.size)}  sha256 {attachment.sha256[:16]}  "
                f"{safe_line(attachment.added_by, 30)} {stamp(attachment.added_at)}"
            )
            listing.add_option(Option(line, id=str(index)))
        if file.attachments:
            listing.highlighted = min(highlighted or 0, len(file.attachments) - 1)

    def _announce(self, entries: list[case_file.Entry]) -> None:
        others = [entry for entry in entries if entry.version not in self._own_versions]
        if not others:
            return
        self._news += len(others)
        # The newest first: at 80 columns the line ends in an ellipsis.
        latest = [safe_line(describe(entry), 120) for entry in reversed(others)]
        self._latest = (latest + self._latest)[:NEWS_SHOWN]
        count = f"{self._news} change{'s' if self._news > 1 else ''}"
        news = self.query_one("#case-news", Static)
        news.update(
            f"Changed by others ({count} since you opened it): " + "; ".join(self._latest),
            layout=False,
        )
        if not news.display:  # laid out once, at the first news; updated in place after
            news.display = True

    # -- time and other people ----------------------------------------------------------

    def tick(self) -> None:
        """The app's one clock (screens/ticking.py): the clocks panel moves on."""
        for panel in self.query(ClockPanel):  # none while the screen is still being built
            panel.tick(self.desk.now())

    @on(DeskChanged)
    def _desk_changed(self, change: DeskChanged) -> None:
        """Read the case again if it is the one that changed, or a mail of it was sent."""
        file = self.file
        if file is None:
            return
        if change.everything:
            self._check_version()  # not told which: ask (one row by number)
        elif change.cases.get(self.number, file.version) != file.version:
            self.load()
        elif change.mail and any(state.startswith("mail pending") for state in file.mail.values()):
            self.load()  # its mark beside the reply goes from "pending" to "sent"

    @work(thread=True, exclusive=True, group="changes")
    def _check_version(self) -> None:
        file = self.file
        try:
            moved = (
                file is not None and case_file.version_of(self.desk, self.number) != file.version
            )
        except StorageError as error:
            self.post_message(StorageFailed(str(error)))  # the app's one notice
            return
        if moved:
            self.post_message(CaseMoved())

    @on(CaseMoved)
    def _case_moved(self) -> None:
        self.load()

    # -- drafts -------------------------------------------------------------------------

    def _offer_drafts(self) -> None:
        found = [d for d in self.drafts.of_case(self.number) if d.kind in COMPOSER_KINDS]
        if found and not self.readonly:
            self.app.push_screen(writing.DraftOffer(found, stamp), self._draft_chosen)

    def _draft_chosen(self, choice: tuple[str, Draft] | None) -> None:
        if choice is None:
            return
        what, draft = choice
        if what == "resume":
            self._open_composer(draft.kind, draft.fields, draft.base_version)
        elif what == "discard":
            self.drafts.discard(self.number, draft.kind)
            self.notify(f"{draft.kind} draft discarded")

    # -- writing ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hit":  # only while a search is on: n is Note otherwise
            return self.found is not None
        if action in self.CHANGING and self.file is None:
            return None  # not loaded yet: shown, not usable
        return True

    def _may_change(self) -> CaseFile | None:
        if self.readonly:
            self.notify("read-only console: nothing can be changed here", severity="warning")
            return None
        return self.file

    def _write(
        self,
        done: Done,
        change: Callable[[int], Any],
        after: After | None = None,
        refused: Callable[[str], None] | None = None,
        version: int | None = None,
    ) -> None:
        """Run `change(expected_version)` off the screen's thread; report what came of it.

        `version` is the case as the engineer saw it when they began (a reply typed
        for minutes is checked against the case as it was when writing started);
        by default, the case as shown now.
        """
        if self.file is not None:
            seen = self.file.version if version is None else version
            self._run_write(done, change, seen, after, refused)

    @work(thread=True, group="write")
    def _run_write(
        self,
        done: Done,
        change: Callable[[int], Any],
        version: int,
        after: After | None,
        refused: Callable[[str], None] | None,
    ) -> None:
        try:
            result = change(version)
        except Conflict as error:
            self.post_message(WriteConflict(str(error), done, change, after, refused))
            return
        except StorageError as error:
            if refused is not None:  # the dialog asks again, with the reason
                self.post_message(Refused(str(error), refused))
            else:
                self.post_message(StorageFailed(str(error)))  # the app's one notice
            return
        except DeskError as error:
            self.post_message(Refused(str(error), refused))
            return
        except Exception as error:
            problem = database_refusal(error)
            if problem is None:
                raise
            self.post_message(Refused(problem))
            return
        self.post_message(Written(done, version + 1, result, after))

    @on(Written)
    def _written_arrived(self, message: Written) -> None:
        self._written(message.done, message.version, message.result, message.after)

    @on(WriteConflict)
    def _conflict_arrived(self, message: WriteConflict) -> None:
        self._conflict(
            message.problem, message.done, message.change, message.after, message.refused
        )

    @on(Refused)
    def _refused_arrived(self, message: Refused) -> None:
        (message.handler or self._refused)(message.problem)

    def _written(self, done: Done, version: int, result: Any, after: After | None) -> None:
        self._own_versions.add(version)
        said = after(result) if after is not None else None
        # One toast per action: what `after` says (a name, a number) replaces `done`.
        if not isinstance(said, str):
            said = done(result) if callable(done) else done
        self.notify(said, markup=False)
        self.load()

    def _refused(self, message: str) -> None:
        self.notify(safe_line(message), severity="error", timeout=10, markup=False)

    def _conflict(
        self,
        message: str,
        done: Done,
        change: Callable[[int], Any],
        after: After | None,
        refused: Callable[[str], None] | None,
    ) -> None:
        self.load()  # show what the other person did while the engineer decides

        def decided(again: bool | None) -> None:
            if again:
                self._write(done, change, after, refused)
            else:
                self.notify("not applied; any text you wrote is kept as a draft")

        self.app.push_screen(writing.ConflictDialog(message), decided)

    # -- the actions --------------------------------------------------------------------

    def action_back(self) -> None:
        if self.found is not None or self.query_one("#find-bar").display:
            self._close_find()  # esc ends the search first, as it clears the queue's filter
            return
        self.dismiss()

    # -- finding words in the timeline --------------------------------------------------

    def action_find(self) -> None:
        self.action_tab("timeline")
        self.query_one("#find-bar").display = True
        self.query_one("#find", Input).focus()

    @on(Input.Submitted, "#find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self._close_find()
            return
        self._find(event.value)
        self.query_one("#timeline-doc", Document).focus()

    def _find(self, typed: str, keep: int | None = None) -> None:
        document = self.query_one("#timeline-doc", Document)
        found = finding.find(document, typed)
        if keep is not None and keep in found.blocks:
            found.current = found.blocks.index(keep)
        self.found = found
        document.mark(finding.marker(found.terms), found.block)
        if keep is None and found.block is not None:
            document.show_block(found.block)
        self._show_found()
        self.refresh_bindings()

    def action_hit(self, direction: int) -> None:
        found = self.found
        if found is None:
            return
        wrapped = found.step(direction)
        document = self.query_one("#timeline-doc", Document)
        if found.block is not None:
            document.mark(finding.marker(found.terms), found.block)
            document.show_block(found.block)
        self._show_found(" (wrapped)" if wrapped and len(found.blocks) > 1 else "")

    def _show_found(self, note: str = "") -> None:
        status = "" if self.found is None else self.found.status() + note
        self.query_one("#find-status", Static).update(safe_line(status))

    def _close_find(self) -> None:
        self.found = None
        self.query_one("#find-bar").display = False
        document = self.query_one("#timeline-doc", Document)
        document.mark(None)
        document.focus()
        self.refresh_bindings()

    def action_tab(self, pane: str) -> None:
        self.query_one(TabbedContent).active = pane
        target = {
            "timeline": "#timeline-doc",
            "intake": "#intake-doc",
            "files": "#attachment-list",
            "related": "#related-list",
        }
        self.query_one(target[pane]).focus()

    def action_compose(self, kind: str) -> None:
        if self._may_change() is None:
            return
        draft = self.drafts.get(self.number, kind)
        if draft is None:
            self._open_composer(kind, None)
        else:
            self._open_composer(kind, draft.fields, draft.base_version)

    def _open_composer(
        self, kind: str, initial: dict[str, str] | None, base: int | None = None
    ) -> None:
        """The editor for `kind`; `base` is the version a recovered draft was written on."""
        file = self.file
        assert file is not None
        seen = file.version if base is None else base
        composer = writing.Composer(
            kind,
            self.number,
            file.case.subject,
            self.drafts,
            self.desk.now,
            seen,
            initial,
            context=self._compose_context(file),
        )
        self.app.push_screen(composer, lambda fields: self._composed(kind, fields, seen))

    def _compose_context(self, file: CaseFile) -> writing.ComposeContext:
        """The case in view while writing: recipient, mail, last words, clocks, templates."""
        from deskterm import settings
        from deskterm.desk import templates

        person = file.contact
        if person is None:
            recipient, address = "nobody: the case has no contact", None
        elif not (person.email or "").strip():
            recipient, address = f"{person.name}: no address on file", None
        else:
            recipient, address = f"{person.name} <{person.email}>", person.email
        if address is None:
            mailed = "recorded, not mailed"
        elif self.desk.mail.relay:
            mailed = "will be mailed"
        else:
            mailed = "recorded, not mailed: no mail relay configured"
        said = [e for e in file.events if e.kind == EventKind.CUSTOMER_REPLY.value]
        if said:
            heading = f"The customer wrote, {self.when(said[-1].at)}"
            last = said[-1].text or ""
        else:
            heading, last = "The report (nothing from the customer since)", file.case.description
        now = self.desk.now()

        def load_templates() -> dict[str, templates.Template]:
            return templates.find_templates(
                settings.template_dirs(), settings.named_template_dirs()
            )

        return writing.ComposeContext(
            recipient=recipient,
            mailed=mailed,
            last_heading=heading,
            last_text=last,
            contact=person.name if person else "",
            phone=(person.phone or "") if person else "",
            clock_title=f"SLA under {file.policy.title}",
            policy=file.policy,
            clocks=file.clocks(now),
            when=self.when,
            load_templates=load_templates,
            values=templates.file_values(file, self.desk.actor, now),
        )

    def _composed(self, kind: str, fields: dict[str, str] | None, seen: int) -> None:
        if fields is None:
            return
        desk, number, text = self.desk, self.number, fields["text"]
        done: Done = COMPOSER_KINDS[kind]
        change: Callable[[int], Any]
        if kind == "reply":
            move = Status(fields["move"]) if fields.get("move") else None

            def reply(v: int) -> tuple[Any, str]:
                case = cases.reply(desk, number, text, expected_version=v, move=move)
                return case, last_mail_outcome(desk, number)

            change = reply

            moved = f", moved to {move.label}" if move else ""
            done = lambda result: f"reply {result[1]}{moved}"  # noqa: E731
        elif kind == "note":
            change = lambda v: cases.note(desk, number, text, expected_version=v)  # noqa: E731
        else:
            who, outcome = fields.get("who") or None, fields.get("outcome") or None
            to_customer = fields.get("to_customer") == "yes"
            change = lambda v: cases.log_call(  # noqa: E731
                desk,
                number,
                text,
                who=who,
                outcome=outcome,
                to_customer=to_customer,
                expected_version=v,
            )
        self._write(
            done,
            change,
            after=lambda _: self.drafts.discard(number, kind),
            version=seen,
        )

    def action_move(self) -> None:
        file = self._may_change()
        if file is None:
            return

        def chosen(choice: tuple[Any, str] | None) -> None:
            if choice is None:
                return
            status, note = choice
            self._write(
                f"moved to {status.label}",
                lambda v: cases.move(
                    self.desk, self.number, status, note.strip() or None, expected_version=v
                ),
            )

        self.app.push_screen(dialogs.MoveDialog(file.status, allowed_moves(file.status)), chosen)

    def action_severity(self) -> None:
        file = self._may_change()
        if file is None:
            return

        def chosen(choice: tuple[int, str] | None) -> None:
            if choice is None:
                return
            level, reason = choice
            self._write(
                f"severity changed to {file.policy.label(level)}",
                lambda v: cases.change_severity(
                    self.desk, self.number, level, reason, expected_version=v
                ),
            )

        dialog = dialogs.SeverityDialog(
            file.policy.label(file.case.severity),
            case_file.severity_choices(file),
            lambda level: case_file.severity_preview(file, level, self.desk.now()),
            self.when,
        )
        self.app.push_screen(dialog, chosen)

    def action_assign(self) -> None:
        if self._may_change() is not None:
            self._pick_assignee()

    @work(thread=True, exclusive=True, group="users")
    def _pick_assignee(self) -> None:
        try:
            users = case_file.desk_users(self.desk)
        except StorageError as error:
            self.post_message(StorageFailed(str(error)))  # the app's one notice
            return
        self.post_message(UsersRead(users))

    @on(UsersRead)
    def _users_read(self, message: UsersRead) -> None:
        self._assign_from(message.users)

    def _assign_from(self, users: list[str]) -> None:
        file = self.file
        assert file is not None

        def chosen(user: str | None) -> None:
            if user:
                self._write(
                    f"assigned to {safe_line(user, 40)}",
                    lambda v: cases.assign(self.desk, self.number, user, expected_version=v),
                )

        self.app.push_screen(
            dialogs.AssignDialog(users, file.case.assignee, self.desk.actor), chosen
        )

    def action_take(self) -> None:
        file = self._may_change()
        if file is None:
            return
        holder = file.case.assignee
        if not holder or holder == self.desk.actor:
            self._write(
                f"Incident# {self.number} is yours",
                lambda v: cases.take(self.desk, self.number, expected_version=v),
            )
            return
        from deskterm.screens.sev1 import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(
                    f"Incident# {self.number} is yours (taken from {safe_line(holder, 40)})",
                    lambda v: cases.take(
                        self.desk, self.number, expected_version=v, from_holder=True
                    ),
                )

        self.app.push_screen(
            Confirm(
                f"Incident# {self.number} is held by {safe_line(holder, 60)}. Take it from them?"
            ),
            answered,
        )

    def action_release(self) -> None:
        if self._may_change() is not None:
            self._write(
                "released: the case is unassigned",
                lambda v: cases.release(self.desk, self.number, expected_version=v),
            )

    def action_escalate(self) -> None:
        file = self._may_change()
        if file is None:
            return
        levels = cases.ESCALATION_LEVELS
        position = levels.index(file.case.escalation)
        if position == len(levels) - 1:
            self.notify(f"already escalated to a {file.case.escalation}", severity="warning")
            return
        step = f"{levels[position]} -> {levels[position + 1]}"

        def chosen(reason: str | None) -> None:
            if reason:
                self._write(
                    f"escalated to {levels[position + 1]}",
                    lambda v: cases.escalate(self.desk, self.number, reason, expected_version=v),
                )

        self.app.push_screen(
            dialogs.ReasonDialog(f"Escalate Incident# {self.number}", step), chosen
        )

    def action_split(self) -> None:
        file = self._may_change()
        if file is None:
            return

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice is None:
                return
            subject, description = choice
            self._write(
                "split",
                lambda v: cases.split(
                    self.desk, self.number, subject, description, expected_version=v
                ),
                after=lambda child: f"split off as Incident# {child.number}",
            )

        self.app.push_screen(dialogs.SplitDialog(self.number, file.case.subject), chosen)

    def action_copy_subject(self) -> None:
        file = self.file
        if file is None:
            return
        # The subject mail about a case carries (docs/domain.md, "Statuses"); OSC 52 carries it base64-encoded (inert).
        subject = f"Incident# {self.number} - {safe_line(file.case.subject, SUBJECT_SHOWN)}"
        self.app.copy_to_clipboard(subject)
        self.app.push_screen(dialogs.CopyDialog(subject, copied=True))

    def action_attach(self, initial: str = "", error: str | None = None) -> None:
        if self._may_change() is None:
            return
        limit = human_size(self.desk.attachment_limit)

        def chosen(path: str | None) -> None:
            if not path:
                return
            self._write(
                "attached",
                lambda v: attachments.attach(self.desk, self.number, path, expected_version=v),
                after=lambda attached: (
                    f"attached {safe_line(attached.name, 60)} ({human_size(attached.size)})"
                ),
                refused=lambda message: self.action_attach(path, message),
            )

        self.app.push_screen(dialogs.AttachDialog(limit, initial, error), chosen)

    def action_view_attachment(self) -> None:
        file = self.file
        if file is None:
            return
        if not file.attachments:
            self.notify("no attachments on this case: f attaches a file")
            return
        listing = self.query_one("#attachment-list", OptionList)
        if self.query_one(TabbedContent).active == "files" and listing.highlighted is not None:
            self._view(file.attachments[listing.highlighted])
            return
        items = [
            (a.name, f"{human_size(a.size)}, sha256 {a.sha256[:12]}") for a in file.attachments
        ]

        def chosen(index: int | None) -> None:
            if index is not None and self.file is not None:
                self._view(self.file.attachments[index])

        self.app.push_screen(dialogs.ChooseAttachment(items), chosen)

    @on(OptionList.OptionSelected, "#attachment-list")
    def _attachment_chosen(self, event: OptionList.OptionSelected) -> None:
        if self.file is not None:
            self._view(self.file.attachments[event.option_index])

    @work(thread=True, exclusive=True, group="view")
    def _view(self, attachment: Any) -> None:
        try:
            text = attachments.read_text(self.desk, attachment)
        except DeskError as error:
            self.post_message(Refused(str(error)))
            return
        self.post_message(AttachmentRead(attachment.name, text))

    @on(AttachmentRead)
    def _attachment_read(self, message: AttachmentRead) -> None:
        self.app.push_screen(TextViewerScreen(message.name, message.text))

    def action_why(self) -> None:
        file = self.file
        if file is None:
            return
        clocks = file.clocks(self.desk.now())
        items = [(kind.label, clocks[kind].explanation) for kind in shown_clocks(clocks)]
        self.app.push_screen(
            dialogs.WhyDialog(f"Why: the SLA clocks of Incident# {self.number}", items)
        )


def _mail_up_to(mail: Mapping[int, str], last: int) -> dict[int, str]:
    """What became of the mail of the events up to event id `last`."""
    return {event: state for event, state in mail.items() if event <= last}


RELATING = {EventKind.SPLIT.value, EventKind.SPLIT_FROM.value, EventKind.LINKED.value}


def _relations_moved(previous: CaseFile, file: CaseFile) -> bool:
    """Could the case's related cases have changed? Only a split, a link, or a new contact
    or organization changes them: a change of anything else reads none of them again."""
    was, now = previous.case, file.case
    return (
        was.contact_id != now.contact_id
        or was.organization_id != now.organization_id
        or previous.parent != file.parent
        or any(entry.kind in RELATING for entry in file.since(previous.version))
    )
