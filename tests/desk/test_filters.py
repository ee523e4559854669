"""The queue's filter language, as an engineer types it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskterm.desk.filters import QueueFilter, parse_filter
from deskterm.sla import Status


def test_tokens_combine_with_free_words() -> None:
    parsed = parse_filter(
        "login crash sev:1 status:waiting org:Acme @me breached due<2h", me="alice"
    )
    assert parsed.words == ("login", "crash")
    assert parsed.severities == {1} and parsed.statuses == {Status.WAITING}
    assert parsed.organization == "Acme" and parsed.assignee == "alice"
    assert parsed.breached and parsed.due_within == timedelta(hours=2)
    assert parsed.problems == ()


def test_several_severities_and_statuses_widen_the_match() -> None:
    parsed = parse_filter("sev:1 sev:2 status:new status:open P3", me="alice")
    assert parsed.severities == {1, 2} and parsed.statuses == {Status.NEW, Status.OPEN}
    assert parsed.words == ("P3",)


def test_someone_else_and_unassigned() -> None:
    assert parse_filter("@bob", me="alice").assignee == "bob"
    assert parse_filter("@unassigned", me="alice").unassigned


def test_status_prefixes_and_titles() -> None:
    assert parse_filter("status:resolved", me="a").statuses == {Status.RESOLVED}
    assert parse_filter("status:software", me="a").statuses == {Status.SOFTWARE_CHANGE}
    assert parse_filter("status:customer", me="a").statuses == {Status.WAITING}


def test_nonsense_tokens_are_reported_not_guessed() -> None:
    parsed = parse_filter("sev:x status:zzz due<soon", me="a")
    assert len(parsed.problems) == 3
    assert "sev:x" in parsed.problems[0] and "status:zzz" in parsed.problems[1]
    assert "due<soon" in parsed.problems[2]


def test_an_empty_filter_is_empty() -> None:
    assert parse_filter("   ", me="a") == QueueFilter() and QueueFilter().empty


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("sev:9", "sev:9: no policy has severity 9 (levels: 1, 2, 3, 4, 5, 6)"),
        ("sev:²", "a severity is a number"),  # a digit to str.isdigit, not to int()
        ("sev:" + "9" * 5000, "a severity is a number"),
        ("due<0m", "write due<30m, due<2h or due<1d"),
        ("due<367d", "at most a year ahead (due<366d)"),
        ("due<99999999999999999999d", "at most a year ahead"),
        ("status:" + "x" * 10**5, "matches no statuses"),
    ],
)
def test_tokens_out_of_range_are_reported_not_crashed_on(token: str, says: str) -> None:
    parsed = parse_filter(token, me="a", levels=[1, 2, 3, 4, 5, 6])
    assert len(parsed.problems) == 1 and says in parsed.problems[0]
    assert len(parsed.problems[0]) < 300  # a huge token is not repeated whole
    assert parsed.severities == frozenset() and parsed.due_within is None
