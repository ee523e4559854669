"""What the desk takes, for both front ends: no blank required text, nothing huge, case
numbers a database holds, instants inside the years deskterm computes with."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskterm.desk import limits
from deskterm.desk.errors import DeskError, NotFound
from deskterm.desk.handoff import parse_span
from deskterm.desk.reports import parse_day
from deskterm.instants import InstantError, parse_instant


@pytest.mark.parametrize(
    ("text", "number"), [("40100", 40100), ("#40100", 40100), ("Incident# 040100", 40100)]
)
def test_case_numbers_as_users_write_them(text: str, number: int) -> None:
    assert limits.case_number(text) == number


@pytest.mark.parametrize(
    ("text", "error", "says"),
    [
        ("forty", DeskError, "'forty' is not a case number"),
        ("4O100", DeskError, "is not a case number"),
        ("²", DeskError, "is not a case number"),  # a digit to str.isdigit, not to int()
        ("1" + "0" * 30, NotFound, "no case 1000000000000000000000000000000"),
        ("9" * 5000, NotFound, "(5,000 characters)"),  # past int()'s 4300 digits
    ],
)
def test_what_is_no_case_number_is_said_so(text: str, error: type, says: str) -> None:
    with pytest.raises(error, match=".") as raised:
        limits.case_number(text)
    assert says in str(raised.value) and len(str(raised.value)) < 200


def test_required_text_is_neither_blank_nor_huge() -> None:
    assert limits.required(" a ", "the note") == " a "  # kept exactly as written
    with pytest.raises(DeskError, match="the note is empty"):
        limits.required(" \n\t", "the note")
    over = f"the note is {limits.TEXT_LIMIT + 1:,} characters long: at most {limits.TEXT_LIMIT:,}"
    with pytest.raises(DeskError, match=over):
        limits.required("x" * (limits.TEXT_LIMIT + 1), "the note")
    with pytest.raises(DeskError, match="the name is 201 characters long: at most 200$"):
        limits.name("x" * (limits.NAME_LIMIT + 1), "the name")
    with pytest.raises(DeskError, match="the product is 1,001 characters long: at most 1,000$"):
        limits.required("x" * (limits.LINE_LIMIT + 1), "the product", limits.LINE_LIMIT)


def test_a_user_name_from_settings_has_the_desks_limit_for_names() -> None:
    from deskterm import settings

    assert settings.USER_NAME_LIMIT == limits.NAME_LIMIT


@pytest.mark.parametrize("address", ["bob", "@acme.test", "bob@", "bo b@acme.test", " "])
def test_an_email_address_has_a_local_part_and_a_domain(address: str) -> None:
    with pytest.raises(DeskError):
        limits.check_email(address)


def test_a_quoted_value_stays_readable() -> None:
    assert limits.quoted("Acme") == "'Acme'"
    shown = limits.quoted("x" * 10**6)
    assert shown.endswith("… (1,000,000 characters)") and len(shown) < 100


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00Z", "1969-12-31T23:59Z", "3000-01-01T00:00Z", "9999-12-31T23:59-05:00"],
)
def test_instants_outside_1970_to_2999_are_refused(text: str) -> None:
    with pytest.raises(InstantError, match="out of range: deskterm takes instants from 1970"):
        parse_instant(text)


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "9999-12-31T23:00Z"])
def test_report_days_outside_the_range_are_refused(text: str) -> None:
    with pytest.raises(DeskError, match="out of range"):
        parse_day(text, end=True)


def test_a_handoff_looks_back_at_most_a_year() -> None:
    assert parse_span("366d") == timedelta(days=366)
    for text in ("367d", "99999999h", "9" * 5000 + "m"):
        with pytest.raises(DeskError):
            parse_span(text)
