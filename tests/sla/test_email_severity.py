"""`email_severity`: the level of a case a mail opens; never the most urgent, never phone-only."""

from pathlib import Path

import pytest

from deskterm.sla import PolicyError, load_policy, parse_policy

PRESETS = Path(__file__).resolve().parents[2] / "data" / "policies"

POLICY = """\
name = "acme"
timezone = "America/Denver"
{extra}

[calendars.office]
hours = {{ mon = "09:00-17:00" }}

[severity.1]
calendar = "office"
first_response = "30m"
phone_intake = true

[severity.2]
calendar = "office"
first_response = "4h"

[severity.3]
calendar = "office"
first_response = "nbd"

[severity.4]
calendar = "office"
first_response = "scheduled"
"""


@pytest.mark.parametrize(
    ("preset", "level"),
    [
        ("business-hours-3", 3),
        ("initial-response-3", 3),
        ("premium-tier", 3),
        ("standard-tier", 3),
        ("p1-p6", 5),  # P6 is scheduled work: no clock until the customer sets a date
    ],
)
def test_by_default_mail_opens_at_the_least_urgent_level_with_a_clock(
    preset: str, level: int
) -> None:
    assert load_policy(PRESETS / f"{preset}.toml").email_severity == level


def test_the_default_skips_scheduled_work() -> None:
    assert parse_policy(POLICY.format(extra="")).email_severity == 3


def test_a_policy_may_name_its_email_severity() -> None:
    assert parse_policy(POLICY.format(extra="email_severity = 2")).email_severity == 2


def test_a_phone_intake_level_other_than_the_first_is_refused_too() -> None:
    text = POLICY.format(extra="email_severity = 2").replace(
        'first_response = "4h"', 'first_response = "4h"\nphone_intake = true'
    )
    with pytest.raises(PolicyError) as error:
        parse_policy(text, "acme.toml")
    assert any("takes cases by phone only" in p for p in error.value.problems)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1", "severity 1 is the most urgent level: it needs the phone call"),
        ("7", "7 is not a severity level (levels: 1, 2, 3, 4)"),
        ('"2"', "'2' is not a severity level"),
    ],
)
def test_a_level_mail_may_not_open_is_refused(value: str, says: str) -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy(POLICY.format(extra=f"email_severity = {value}"), "acme.toml")
    assert any(says in problem for problem in error.value.problems), error.value.problems


def test_policy_show_says_where_mail_opens_cases() -> None:
    from typer.testing import CliRunner

    from deskterm.cli import app

    result = CliRunner().invoke(app, ["policy", "show", "p1-p6"])
    assert result.exit_code == 0
    assert "Mail from a known contact opens a case at P5." in result.output
