"""How targets are written in a policy file, and how they read back."""

from datetime import timedelta

import pytest

from deskterm.sla import (
    BusinessDays,
    DurationError,
    Elapsed,
    NextBusinessDay,
    NoTarget,
    Scheduled,
    parse_duration,
)
from deskterm.sla.duration import format_hours_minutes


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("30m", Elapsed(timedelta(minutes=30))),
        ("8h", Elapsed(timedelta(hours=8))),
        ("1h30m", Elapsed(timedelta(hours=1, minutes=30))),
        ("90m", Elapsed(timedelta(minutes=90))),
        ("0m", Elapsed(timedelta(0))),
        ("immediate", Elapsed(timedelta(0))),
        ("3bd", BusinessDays(3)),
        ("10bd", BusinessDays(10)),
        ("nbd", NextBusinessDay()),
        ("scheduled", Scheduled()),
        ("none", NoTarget()),
        (" 4h ", Elapsed(timedelta(hours=4))),
    ],
)
def test_every_documented_form_reads_as_its_target(text, target):
    assert parse_duration(text) == target


def test_immediate_is_the_same_target_as_zero_minutes():
    assert parse_duration("immediate") == parse_duration("0m")


@pytest.mark.parametrize(
    "text", ["", "30", "30 minutes", "1d", "h", "m", "1.5h", "-1h", "NBD", "2 weeks", "3 bd days"]
)
def test_anything_else_is_refused_with_the_forms_listed(text):
    with pytest.raises(DurationError) as error:
        parse_duration(text)
    assert str(error.value).endswith(
        "(use 30m, 8h, 1h30m, 0m, immediate, 3bd, nbd, scheduled or none)"
    )


def test_zero_business_days_says_business_days_start_at_one():
    with pytest.raises(DurationError, match="start at 1bd"):
        parse_duration("0bd")


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("30m", "30m"),
        ("8h", "8h"),
        ("1h30m", "1h 30m"),
        ("90m", "1h 30m"),
        ("0m", "0m"),
        ("immediate", "0m"),
        ("3bd", "3bd"),
        ("nbd", "nbd"),
        ("scheduled", "scheduled"),
        ("none", "none"),
    ],
)
def test_a_target_prints_in_the_words_policy_tables_use(text, printed):
    assert str(parse_duration(text)) == printed


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (timedelta(hours=1, minutes=30), "1h 30m"),
        (timedelta(hours=8), "8h"),
        (timedelta(minutes=45), "45m"),
        (timedelta(0), "0m"),
        (timedelta(minutes=-90), "-1h 30m"),
        (timedelta(minutes=5, seconds=59), "5m"),
    ],
)
def test_time_left_reads_in_hours_and_minutes_signed_and_rounded_down(amount, words):
    assert format_hours_minutes(amount) == words
