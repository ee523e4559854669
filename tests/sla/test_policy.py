"""Policy files: every problem named by its key path, all at once; the shipped presets."""

from datetime import date, timedelta
from pathlib import Path

import pytest

from deskterm.sla import (
    BusinessDays,
    Elapsed,
    NextBusinessDay,
    NoTarget,
    PolicyError,
    Scheduled,
    load_policy,
    parse_policy,
)

from .helpers import at, first_response_due, show

PRESETS = Path(__file__).resolve().parents[2] / "data" / "policies"

GOOD = """\
name = "acme"
title = "Acme support"
timezone = "America/Denver"

[calendars.office]
hours = { mon = "09:00-17:00", tue = "09:00-17:00" }

[severity.1]
calendar = "office"
first_response = "4h"
"""


def problems_of(text: str, source: str = "acme.toml") -> list[str]:
    with pytest.raises(PolicyError) as error:
        parse_policy(text, source)
    return error.value.problems


def with_lines(*lines: str) -> str:
    """GOOD with extra lines appended (TOML tables may be reopened only by sub-keys)."""
    return GOOD + "\n".join(lines) + "\n"


# -- a valid file ----------------------------------------------------------------------


def test_a_minimal_policy_reads_with_documented_defaults():
    policy = parse_policy(GOOD)
    assert policy.name == "acme"
    assert policy.title == "Acme support"
    assert policy.level_label == "Sev"
    assert policy.rules.severity_change == "recompute"
    assert policy.rules.customer_timeout == "lower-severity"
    assert policy.auto_close is None
    level = policy.level(1)
    assert level.first_response == Elapsed(timedelta(hours=4))
    assert level.customer_response == NoTarget()
    assert level.update_every == NoTarget()
    assert level.phone_intake is False


def test_a_calendar_without_a_zone_uses_the_policys_zone_and_may_name_its_own():
    policy = parse_policy(
        with_lines("[calendars.berlin]", 'hours = "24x7"', 'timezone = "Europe/Berlin"')
    )
    assert policy.calendars["office"].zone.key == "America/Denver"
    assert policy.calendars["berlin"].zone.key == "Europe/Berlin"


def test_closed_dates_may_be_strings_or_toml_dates():
    policy = parse_policy(
        GOOD.replace(
            'tue = "09:00-17:00" }', 'tue = "09:00-17:00" }\nclosed = ["2026-12-24", 2026-12-31]'
        )
    )
    assert policy.calendars["office"].closed == {date(2026, 12, 24), date(2026, 12, 31)}


def test_an_unknown_severity_names_the_levels_there_are():
    with pytest.raises(KeyError, match="levels: 1"):
        parse_policy(GOOD).level(7)


def test_sev_levels_are_labelled_with_a_space_and_lower_severity_is_the_next_number_up():
    two_levels = GOOD.replace(
        "[severity.1]", '[severity.3]\ncalendar = "office"\nfirst_response = "8h"\n[severity.1]'
    )
    policy = parse_policy(two_levels)
    assert (policy.label(3), policy.level_range()) == ("Sev 3", "Sev 1-3")
    assert policy.lower_severity(1) == 3
    assert policy.lower_severity(3) is None


def test_a_one_letter_label_is_written_joined():
    policy = preset("p1-p6")
    assert (policy.label(2), policy.level_range()) == ("P2", "P1-P6")


def test_office_hours_are_described_in_one_line_for_tables():
    policy = parse_policy(
        GOOD.replace(
            'hours = { mon = "09:00-17:00", tue = "09:00-17:00" }',
            'hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", '
            'fri = "09:00-12:00,13:00-17:00" }\nholidays = "US-CO"',
        )
    )
    assert policy.calendars["office"].describe_hours() == (
        "Mon-Wed 09:00-17:00; Fri 09:00-12:00,13:00-17:00 (closed on US-CO holidays), "
        "America/Denver"
    )
    always = parse_policy(with_lines("[calendars.always]", 'hours = "24x7"'))
    assert always.calendars["always"].describe_hours() == "24x7"


# -- each problem, with its key path ------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ('calendar = "office"', 'calendar = "ofice"'),
            "acme.toml: severity.1.calendar: no calendar named 'ofice' (calendars: office)",
            id="unknown-calendar",
        ),
        pytest.param(
            ('first_response = "4h"', 'first_response = "4 hours"'),
            "acme.toml: severity.1.first_response: '4 hours' is not a duration",
            id="bad-duration",
        ),
        pytest.param(
            ('mon = "09:00-17:00"', 'mon = "9-5"'),
            "acme.toml: calendars.office.hours.mon: '9-5' is not a range like 09:00-17:00",
            id="bad-range-form",
        ),
        pytest.param(
            # 17:00-09:00 is a night across midnight now (issue 22); an empty range is not.
            ('mon = "09:00-17:00"', 'mon = "17:00-17:00"'),
            "acme.toml: calendars.office.hours.mon: '17:00-17:00': "
            "a range runs forward, or across midnight like 22:00-06:00",
            id="empty-range",
        ),
        pytest.param(
            ('mon = "09:00-17:00"', 'mon = "09:00-24:30"'),
            "acme.toml: calendars.office.hours.mon: '09:00-24:30': a range runs forward",
            id="range-past-midnight",
        ),
        pytest.param(
            ('mon = "09:00-17:00"', 'mon = "09:00-12:00,11:00-17:00"'),
            "acme.toml: calendars.office.hours.mon: '09:00-12:00,11:00-17:00': ranges overlap",
            id="overlapping-ranges",
        ),
        pytest.param(
            ('mon = "09:00-17:00"', 'monday = "09:00-17:00"'),
            "acme.toml: calendars.office.hours.monday: "
            "not a weekday (use mon, tue, wed, thu, fri, sat, sun)",
            id="bad-weekday",
        ),
        pytest.param(
            ('first_response = "4h"', 'first_response = "4h"\nfirst_reponse = "4h"'),
            "acme.toml: severity.1.first_reponse: unknown key (did you mean 'first_response'?)",
            id="unknown-key-with-suggestion",
        ),
        pytest.param(
            ('title = "Acme support"', 'title = "Acme support"\ntimezon = "UTC"'),
            "acme.toml: timezon: unknown key (did you mean 'timezone'?)",
            id="unknown-top-level-key",
        ),
        pytest.param(
            ('timezone = "America/Denver"', 'timezone = "America/Denvr"'),
            "acme.toml: timezone: 'America/Denvr' is not an IANA time zone "
            "(did you mean 'America/Denver'?)",
            id="bad-zone",
        ),
        pytest.param(
            ('tue = "09:00-17:00" }', 'tue = "09:00-17:00" }\ntimezone = "Mars/Olympus"'),
            "acme.toml: calendars.office.timezone: 'Mars/Olympus' is not an IANA time zone",
            id="bad-calendar-zone",
        ),
        pytest.param(
            ('tue = "09:00-17:00" }', 'tue = "09:00-17:00" }\nholidays = "XX"'),
            "acme.toml: calendars.office.holidays: "
            "'XX' is not a country known to the holidays package",
            id="bad-holidays-country",
        ),
        pytest.param(
            ('tue = "09:00-17:00" }', 'tue = "09:00-17:00" }\nholidays = "US-ZZ"'),
            "acme.toml: calendars.office.holidays: 'ZZ' is not a subdivision of US",
            id="bad-holidays-subdivision",
        ),
        pytest.param(
            ('tue = "09:00-17:00" }', 'tue = "09:00-17:00" }\nclosed = ["2026-02-30"]'),
            "acme.toml: calendars.office.closed[0]: '2026-02-30' is not a date like 2026-12-24",
            id="bad-closed-date",
        ),
        pytest.param(
            ('hours = { mon = "09:00-17:00", tue = "09:00-17:00" }', "hours = {}"),
            "acme.toml: calendars.office.hours: the calendar is never open",
            id="never-open-calendar",
        ),
        pytest.param(
            ('hours = { mon = "09:00-17:00", tue = "09:00-17:00" }', 'hours = "8x5"'),
            'acme.toml: calendars.office.hours: must be "24x7" or a table',
            id="hours-not-a-table",
        ),
        pytest.param(
            ('first_response = "4h"', 'first_response = "4h"\nupdate_every = "3bd"'),
            "acme.toml: severity.1.update_every: "
            "3bd is not allowed here (use a duration like 2h, or none)",
            id="update-in-business-days",
        ),
        pytest.param(
            ('first_response = "4h"', 'first_response = "4h"\ncustomer_response = "nbd"'),
            "acme.toml: severity.1.customer_response: nbd is not allowed here",
            id="customer-response-nbd",
        ),
        pytest.param(
            ('first_response = "4h"', 'first_response = "4h"\nphone_intake = "yes"'),
            "acme.toml: severity.1.phone_intake: must be true or false",
            id="phone-intake-not-bool",
        ),
        pytest.param(
            ('first_response = "4h"', ""),
            "acme.toml: severity.1.first_response: missing",
            id="missing-first-response",
        ),
        pytest.param(
            ("[severity.1]", "[severity.one]"),
            "acme.toml: severity.one: a severity level is a whole number from 1",
            id="severity-not-a-number",
        ),
        pytest.param(
            ('name = "acme"', 'name = "Acme Corp"'),
            "acme.toml: name: 'Acme Corp': use lowercase letters, digits, '-' and '_'",
            id="bad-name",
        ),
        pytest.param(
            ('timezone = "America/Denver"\n', ""),
            "acme.toml: timezone: missing",
            id="missing-zone",
        ),
    ],
)
def test_each_problem_is_reported_with_its_key_path(change, expected):
    old, new = change
    assert old in GOOD
    problems = problems_of(GOOD.replace(old, new, 1))
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    ("auto_close", "expected"),
    [
        pytest.param(
            ['resolved_after = "10bd"', 'notice_before = "16h"'],
            "acme.toml: auto_close.notice_before: must use the same unit as resolved_after (10bd)",
            id="notice-unit-mismatch",
        ),
        pytest.param(
            ['waiting_after = "48h"', 'notice_before = "2bd"'],
            "acme.toml: auto_close.notice_before: must use the same unit as waiting_after (48h)",
            id="notice-unit-mismatch-waiting",
        ),
        pytest.param(
            ['resolved_after = "3bd"', 'notice_before = "3bd"'],
            "acme.toml: auto_close.notice_before: must be shorter than resolved_after (3bd)",
            id="notice-not-shorter",
        ),
        pytest.param(
            ['resolved_after = "scheduled"'],
            "acme.toml: auto_close.resolved_after: scheduled is not allowed here",
            id="auto-close-scheduled",
        ),
    ],
)
def test_auto_close_problems_name_their_key(auto_close, expected):
    text = with_lines("[auto_close]", 'calendar = "office"', *auto_close)
    problems = problems_of(text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_an_unknown_rule_choice_lists_the_choices():
    problems = problems_of(with_lines("[rules]", 'severity_change = "sometimes"'))
    assert problems == [
        'acme.toml: rules.severity_change: \'sometimes\': use "recompute" or "restart"'
    ]


def test_a_toml_syntax_error_names_the_file_and_the_line():
    text = GOOD.replace("[severity.1]", "[severity.1")
    problems = problems_of(text, "acme.toml")
    assert len(problems) == 1
    assert problems[0].startswith("acme.toml: TOML syntax: ")
    line = GOOD.splitlines().index("[severity.1]") + 1
    assert f"line {line}" in problems[0]


def test_a_reference_to_a_broken_calendar_is_not_a_second_problem():
    text = GOOD.replace('mon = "09:00-17:00"', 'mon = "9-5"')
    assert problems_of(text) == [
        "acme.toml: calendars.office.hours.mon: '9-5' is not a range like 09:00-17:00"
    ]


def test_a_calendar_whose_only_day_is_misspelt_is_one_problem_not_also_never_open():
    text = GOOD.replace(
        'hours = { mon = "09:00-17:00", tue = "09:00-17:00" }', 'hours = { monday = "09:00-17:00" }'
    )
    assert problems_of(text) == [
        "acme.toml: calendars.office.hours.monday: "
        "not a weekday (use mon, tue, wed, thu, fri, sat, sun)"
    ]


def test_a_never_open_calendar_is_reported_even_when_the_zone_is_wrong_too():
    text = GOOD.replace('"America/Denver"', '"America/Denvr"').replace(
        'hours = { mon = "09:00-17:00", tue = "09:00-17:00" }', "hours = {}"
    )
    paths = [problem.split(": ")[1] for problem in problems_of(text)]
    assert paths == ["timezone", "calendars.office.hours"]


def test_every_problem_in_a_file_is_reported_at_once():
    text = """\
name = "Bad Name"
timezone = "America/Denvr"
colour = "red"

[calendars.office]
hours = { mon = "09:00-12:00,11:00-17:00", tue = "9-17" }
holidays = "XX"

[calendars.closed]
hours = {}

[severity.1]
calendar = "ofice"
first_response = "30 minutes"
custmer_response = "1h"

[auto_close]
calendar = "office"
resolved_after = "10bd"
notice_before = "16h"

[rules]
severity_change = "sometimes"
"""
    problems = problems_of(text, "bad.toml")
    paths = [problem.split(": ")[1] for problem in problems]
    assert sorted(paths) == sorted(
        [
            "colour",
            "name",
            "timezone",
            "calendars.office.hours.mon",
            "calendars.office.hours.tue",
            "calendars.office.holidays",
            "calendars.closed.hours",
            "severity.1.custmer_response",
            "severity.1.calendar",
            "severity.1.first_response",
            "auto_close.notice_before",
            "rules.severity_change",
        ]
    )
    assert all(problem.startswith("bad.toml: ") for problem in problems)


def test_a_file_that_cannot_be_read_is_one_problem_naming_it(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(PolicyError) as error:
        load_policy(missing)
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith(f"{missing}: cannot read")


def test_problems_from_a_file_name_the_file(tmp_path):
    path = tmp_path / "acme.toml"
    path.write_text(GOOD.replace('"4h"', '"4 hours"'), encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert error.value.problems[0].startswith(f"{path}: severity.1.first_response: ")


# -- the shipped presets ---------------------------------------------------------------


def preset(name: str):
    return load_policy(PRESETS / f"{name}.toml")


def matrix(policy) -> dict[int, tuple[str, str]]:
    """Severity -> (first response target, calendar hours) as `policy show` lists them."""
    return {
        level: (str(sev.first_response), sev.calendar.describe_hours())
        for level, sev in policy.severities.items()
    }


def test_all_five_presets_load_under_their_file_names():
    names = sorted(path.stem for path in PRESETS.glob("*.toml"))
    assert names == [
        "business-hours-3",
        "initial-response-3",
        "p1-p6",
        "premium-tier",
        "standard-tier",
    ]
    for name in names:
        assert preset(name).name == name


def test_p1_p6_matches_seed_004():
    policy = preset("p1-p6")
    assert policy.level_label == "P"
    office = "Mon-Fri 09:00-17:00 (closed on US holidays), America/New_York"
    assert matrix(policy) == {
        1: ("0m", "24x7"),
        2: ("30m", "24x7"),
        3: ("4h", "24x7"),
        4: ("3bd", office),
        5: ("5bd", office),
        6: ("scheduled", office),
    }
    assert policy.level(1).first_response == Elapsed(timedelta(0))  # "immediate"
    assert policy.level(4).first_response == BusinessDays(3)
    assert policy.level(6).first_response == Scheduled()
    assert [policy.label(n) for n in (1, 6)] == ["P1", "P6"]


def test_standard_tier_matches_seed_003():
    policy = preset("standard-tier")
    office = "Mon-Fri 09:00-17:00 (closed on US-CO holidays), America/Denver"
    assert matrix(policy) == {1: ("4h", office), 2: ("8h", office), 3: ("nbd", office)}
    assert policy.level(3).first_response == NextBusinessDay()


def test_premium_tier_matches_seed_003():
    policy = preset("premium-tier")
    assert matrix(policy) == {1: ("1h", "24x7"), 2: ("2h", "24x7"), 3: ("4h", "24x7")}
    assert policy.level(1).phone_intake is True


def test_initial_response_3_matches_seed_000():
    policy = preset("initial-response-3")
    weekdays = "Mon-Fri 00:00-24:00 (closed on US holidays), America/New_York"
    assert matrix(policy) == {1: ("30m", "24x7"), 2: ("8h", weekdays), 3: ("24h", weekdays)}
    assert policy.level(1).phone_intake is True


def test_business_hours_3_matches_seed_001():
    policy = preset("business-hours-3")
    office = "Mon-Fri 08:00-17:00 (closed on US holidays), America/New_York"
    assert matrix(policy) == {1: ("30m", office), 2: ("24h", office), 3: ("24h", office)}
    assert str(policy.level(1).customer_response) == "30m"
    assert str(policy.level(2).customer_response) == "24h"
    assert policy.level(3).customer_response == NoTarget()
    assert policy.rules.customer_timeout == "lower-severity"


@pytest.mark.parametrize(
    "name", ["business-hours-3", "initial-response-3", "p1-p6", "premium-tier", "standard-tier"]
)
def test_every_preset_auto_closes_as_in_seed_002(name):
    rule = preset(name).auto_close
    assert rule is not None
    assert (rule.resolved_after, rule.waiting_after, rule.notice_before) == (
        BusinessDays(10),
        BusinessDays(15),
        BusinessDays(2),
    )
    assert not rule.calendar.is_always_open


def test_standard_tier_sev_3_received_before_thanksgiving_is_due_friday_close():
    policy = preset("standard-tier")
    due = first_response_due(policy, at("2026-11-25 10:00"), severity=3)
    assert show(due) == "Fri 2026-11-27 17:00 MST"


def test_p1_p6_p2_received_on_a_saturday_night_is_due_thirty_minutes_later():
    policy = preset("p1-p6")
    due = first_response_due(policy, at("2026-11-21 23:45", "America/New_York"), severity=2)
    assert show(due, "America/New_York") == "Sun 2026-11-22 00:15 EST"


def test_initial_response_3_sev_2_counts_weekday_nights_but_not_weekends():
    policy = preset("initial-response-3")
    due = first_response_due(policy, at("2026-11-20 20:00", "America/New_York"), severity=2)
    assert show(due, "America/New_York") == "Mon 2026-11-23 04:00 EST"
