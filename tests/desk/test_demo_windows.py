"""The demo's unanswered cases fall due where it says (within the hour, or overdue) under
each policy as its file reads: the received windows found for one text of a policy are
kept for that text only (deskterm.desk.demo.history `_WINDOWS`), never for an edited
policy of the same name filled later in the same process."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from deskterm.desk.demo.history import DUE_SOON, OVERDUE, Generator, from_epoch
from deskterm.locations import packaged_policy_dir, policy_dirs
from deskterm.sla import CaseHistory, ClockKind, Policy, compute_clocks
from deskterm.sla.catalog import PolicyCatalog
from tests.desk.conftest import MONDAY


def first_response_due(policy: Policy, received: int, severity: int) -> float:
    history = CaseHistory(received=from_epoch(received), severity=severity)
    due = compute_clocks(policy, history, MONDAY)[ClockKind.FIRST_RESPONSE].due
    assert due is not None
    return (due - MONDAY).total_seconds()


@pytest.mark.parametrize("window", [DUE_SOON, OVERDUE], ids=["due soon", "overdue"])
def test_an_edited_policy_of_the_same_name_gets_windows_of_its_own(
    tmp_path: Path, window: tuple[int, int]
) -> None:
    shipped = PolicyCatalog(policy_dirs()).get("business-hours-3")
    edited_dir = tmp_path / "policies"
    edited_dir.mkdir()
    text = (packaged_policy_dir() / "business-hours-3.toml").read_text(encoding="utf-8")
    assert text.count('first_response = "24h"') == 2  # severities 2 and 3
    (edited_dir / "business-hours-3.toml").write_text(
        text.replace('first_response = "24h"', 'first_response = "4h"'), encoding="utf-8"
    )
    edited = PolicyCatalog([*policy_dirs(), edited_dir]).get("business-hours-3")
    assert edited.name == shipped.name and edited.text != shipped.text
    found = []
    for policy in (shipped, edited, shipped):  # each generator of its own, as each demo
        generator = Generator(random.Random(7), MONDAY, 10)
        received = generator._received_window(policy, 2, window)
        assert received is not None
        for instant in received:
            due = first_response_due(policy, instant, 2)
            assert window[0] <= due <= window[1], (policy.text == shipped.text, due)
        found.append(received)
    assert found[0] == found[2] != found[1]
