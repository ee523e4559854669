"""The queue's filter language, as an engineer types it."""

from __future__ import annotations

from datetime import timedelta

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
