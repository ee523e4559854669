"""Every dialog of the kit in widgets/, at 80x24, 120x40 and with NO_COLOR=1 (issue 16).

Each dialog is pushed on the tiny host app of test_case_dialogs.py with the values
the screens hand it, none of them read from a clock: a picture changes only when
the dialog does. The composer, the severity, move and template dialogs have their
pictures in test_case_dialogs.py and test_composer_snapshots.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from textual.screen import Screen

from deskterm.call_state import SavedCall
from deskterm.drafts import Draft
from deskterm.screens.case_compose import ConfirmDiscard, ConflictDialog, DraftOffer
from deskterm.screens.case_dialogs import (
    AssignDialog,
    AttachDialog,
    ChooseAttachment,
    CopyDialog,
    ReasonDialog,
    SplitDialog,
    WhyDialog,
)
from deskterm.screens.sev1 import Confirm, ResumeCall
from tests.screens.conftest import NOW
from tests.screens.test_case_dialogs import NARROW, WIDE, Compare, Host, before, when

DIALOGS: dict[str, Callable[[], Screen[Any]]] = {
    "assign": lambda: AssignDialog(["alice", "bob", "carol", "dana"], "bob", "alice"),
    "reason": lambda: ReasonDialog(
        "Escalate the case", "support-engineer -> product-support-engineer"
    ),
    "split": lambda: SplitDialog(40100, "Second problem: the export also drops the header row"),
    "copy": lambda: CopyDialog(
        "Incident# 40100 - Production down after the upgrade to 4.2 on every node of the "
        "cluster, customers cannot log in",
        copied=True,
    ),
    "attach": lambda: AttachDialog(
        "25 MB", initial="~/logs/app.log", error="too big: ~/logs/app.log is 31.2 MB"
    ),
    "choose-attachment": lambda: ChooseAttachment(
        [("app.log", "12 KB, sha256 1a2b3c4d"), ("screenshot.png", "3 MB, sha256 ffee0011")]
    ),
    "why": lambda: WhyDialog(
        "Why the clocks stand where they do",
        [
            ("first response", "30m of office hours from Mon 23 Nov 11:00, due Mon 23 Nov 16:30"),
            ("update", "every 2h of office hours after each reply to the customer"),
            ("customer response", "not running: nothing was asked of the customer"),
        ],
    ),
    "confirm-discard": ConfirmDiscard,
    "draft-offer": lambda: DraftOffer(
        [
            Draft(40100, "reply", {"text": "Dear Bob,\nthe fix is in 4.2.1."}, NOW, 3),
            Draft(40100, "call", {"who": "Bob", "outcome": "", "text": "restart"}, NOW, 3),
        ],
        when,
    ),
    "conflict": lambda: ConflictDialog("bob changed the status to closed (note: fixed in 4.2.1)"),
    "confirm": lambda: Confirm("Discard this new case and everything typed in it?"),
    "resume-call": lambda: ResumeCall(
        SavedCall(3, NOW - timedelta(minutes=6), {"contact": "Bob Admin", "organization": "Acme"}),
        NOW,
    ),
}
NAMES = sorted(DIALOGS)


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_dialog(snap_compare: Compare, name: str, size: tuple[int, int]) -> None:
    assert snap_compare(Host(DIALOGS[name]()), terminal_size=size, run_before=before())


@pytest.mark.parametrize("name", NAMES)
def test_dialog_no_color_80x24(snap_compare: Compare, name: str) -> None:
    # NO_COLOR=1 is the suite's default (tests/conftest.py).
    assert snap_compare(Host(DIALOGS[name]()), terminal_size=NARROW, run_before=before())
