"""Holiday dates remembered between runs give the holidays package's own answers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

from deskterm.sla import holiday_dates
from deskterm.sla.holiday_dates import CACHE_FILE, HolidayDates

YEARS = range(2025, 2029)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    holiday_dates.use_cache_dir(tmp_path / "cache")
    yield tmp_path / "cache"
    holiday_dates.use_cache_dir(None)


def every_day(years: range) -> Iterator[date]:
    day = date(years.start, 1, 1)
    while day.year < years.stop:
        yield day
        day += timedelta(days=1)


def next_run(directory: Path | None) -> None:
    """What a new process sees: only what is on disk (and the package's objects forgotten)."""
    holiday_dates._rules.clear()
    holiday_dates.use_cache_dir(directory)


@pytest.mark.parametrize("spec", ["US", "US-CO", "DE-BY", "AU-NSW"])
def test_every_day_gets_the_packages_answer_first_and_from_the_cache(
    cache: Path, spec: str
) -> None:
    country, _, subdivision = spec.partition("-")
    package = holidays.country_holidays(country, subdiv=subdivision or None)
    first = HolidayDates(spec)
    assert [first.name(d) for d in every_day(YEARS)] == [package.get(d) for d in every_day(YEARS)]

    next_run(cache)
    again = HolidayDates(spec)
    assert [again.name(d) for d in every_day(YEARS)] == [package.get(d) for d in every_day(YEARS)]


def test_a_new_run_answers_from_the_file_without_asking_the_package(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert HolidayDates("US-CO").name(date(2026, 11, 26)) == "Thanksgiving Day"
    assert "CO" in holiday_dates.subdivisions("US")
    assert "US" in holiday_dates.country_codes()
    assert (cache / CACHE_FILE).is_file()

    next_run(cache)

    def not_asked(*args: object) -> list[str]:
        raise AssertionError("the package was asked again")

    for name in (
        "_package_year",
        "_package_whole",
        "_package_subdivisions",
        "_package_country_codes",
    ):
        monkeypatch.setattr(holiday_dates, name, not_asked)
    assert HolidayDates("US-CO").name(date(2026, 11, 26)) == "Thanksgiving Day"
    assert HolidayDates("US-CO").name(date(2026, 11, 27)) is None
    assert "CO" in holiday_dates.subdivisions("US")
    assert "US" in holiday_dates.country_codes()


def test_an_observed_holiday_in_the_year_before_is_found_in_its_own_year(cache: Path) -> None:
    # New Year's Day 2022 was a Saturday, observed on Friday 31 Dec 2021.
    assert HolidayDates("US").name(date(2021, 12, 31)) == "New Year's Day (observed)"
    next_run(cache)
    assert HolidayDates("US").name(date(2021, 12, 31)) == "New Year's Day (observed)"


def test_another_release_of_the_package_or_a_damaged_file_is_asked_again(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    HolidayDates("US").name(date(2026, 7, 4))
    stored = json.loads((cache / CACHE_FILE).read_text())
    stored["years"]["US"]["2026"] = [["2026-07-06", "Made up"]]

    stored["stamp"] = ["another release"]
    (cache / CACHE_FILE).write_text(json.dumps(stored))
    next_run(cache)
    assert HolidayDates("US").name(date(2026, 7, 6)) is None
    assert HolidayDates("US").name(date(2026, 7, 4)) == "Independence Day"

    (cache / CACHE_FILE).write_text('{"stamp": [1, "trunc')
    next_run(cache)
    assert HolidayDates("US").name(date(2026, 7, 4)) == "Independence Day"
    assert json.loads((cache / CACHE_FILE).read_text())["years"]["US"]["2026"]  # rewritten


def test_what_another_process_wrote_meanwhile_is_kept(cache: Path) -> None:
    HolidayDates("US").name(date(2026, 1, 1))
    other = json.loads((cache / CACHE_FILE).read_text())
    other["years"]["DE"] = {"2026": [["2026-10-03", "Tag der Deutschen Einheit"]]}
    (cache / CACHE_FILE).write_text(json.dumps(other))

    HolidayDates("US").name(date(2027, 1, 1))  # this process writes a year of its own
    kept = json.loads((cache / CACHE_FILE).read_text())["years"]
    assert set(kept["US"]) == {"2026", "2027"} and "DE" in kept


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    next_run(blocker / "cache")
    try:
        assert HolidayDates("US").name(date(2026, 12, 25)) == "Christmas Day"
        assert "US" in holiday_dates.country_codes()
    finally:
        holiday_dates.use_cache_dir(None)
    assert blocker.read_text() == ""


def test_a_warm_start_loads_the_policies_without_importing_the_package(tmp_path: Path) -> None:
    """A tenth of the console's start-up: once the dates are cached, the package stays out."""
    probe = (
        "import sys; from datetime import datetime, timedelta, UTC;"
        "from deskterm import settings;"
        "catalog = settings.policy_catalog();"
        "start = datetime(2026, 11, 25, 12, tzinfo=UTC);"
        "[c.add(start, timedelta(hours=40))"
        " for e in catalog.entries().values() for c in e.policy.calendars.values()];"
        "print('holidays' in sys.modules)"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "c")}

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert run() == "True"  # the first run asks the package
    assert run() == "False"
