"""Reading a policy from TOML: `parse_policy` validates the whole file and reports
every problem at once, each naming its key path (`severity.2.calendar: no calendar
named "ofice"`), and for the newer keys its line (`policy.toml:12: calendars.x...`),
because an administrator fixing a policy wants the full list, not one error per run.
"""

from __future__ import annotations

import difflib
import importlib.resources as resources
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from deskterm.sla import holiday_dates, ical_holidays
from deskterm.sla.calendar import WEEKDAYS, WHOLE_DAY, BusinessCalendar, Minutes
from deskterm.sla.duration import (
    BusinessDays,
    DurationError,
    Elapsed,
    NoTarget,
    Scheduled,
    Target,
    parse_duration,
)
from deskterm.sla.policy import AutoClose, Policy, PolicyError, Rules, SeverityLevel

TOP_KEYS = {
    "name",
    "title",
    "timezone",
    "level_label",
    "calendars",
    "severity",
    "auto_close",
    "rules",
    "email_severity",
}
CALENDAR_KEYS = {
    "hours",
    "holidays",
    "closed",
    "timezone",
    "title",
    "special_hours",
    "closed_hours",
    "holidays_except",
    "closed_yearly",
    "holidays_file",
}
SEVERITY_KEYS = {
    "name",
    "meaning",
    "calendar",
    "first_response",
    "customer_response",
    "update_every",
    "phone_intake",
    "resolution",
    "next_response",
}
# Statuses that may pause a clock: neither the start of a case nor its end.
PAUSABLE_STATUSES = ("waiting-on-customer", "software-change-required", "open")
AUTO_CLOSE_KEYS = {"calendar", "resolved_after", "waiting_after", "notice_before"}
RULE_CHOICES = {
    "severity_change": ("recompute", "restart"),
    "customer_timeout": ("lower-severity", "none"),
}


def _line_of(text: str, path: str) -> int | None:
    """The line of `text` that sets `path` (`calendars.office.special_hours.2026-12-24`):
    the line whose table and key cover most of the path (tomllib keeps no positions)."""
    wanted = [part for part in re.split(r"[.\[\]]", path) if part]
    table: list[str] = []
    best, best_length = None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\[?([^\]]+)\]\]?\s*(#.*)?", stripped)
        if header:
            table = [part.strip().strip('"') for part in header[1].split(".")]
            keys = table
        else:
            key = re.match(r"([A-Za-z0-9_\-.\" ]+?)\s*=", stripped)
            if not key:
                continue
            keys = table + [part.strip().strip('"') for part in key[1].split(".")]
            # An inline table on the line: its keys count too.
            inner = re.findall(r"[{,]\s*\"?([A-Za-z0-9_\-]+)\"?\s*=", stripped)
            matching = [k for k in inner if len(wanted) > len(keys) and wanted[len(keys)] == k]
            if matching:
                keys = keys + matching[:1]
        length = len(keys)
        if length > best_length and wanted[:length] == keys:
            best, best_length = number, length
    return best


# The years deskterm takes instants in (deskterm.instants).
EARLIEST_YEAR, LATEST_YEAR = 1970, 2999
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise PolicyError([f"{path}: cannot read: it is a directory, not a policy file"]) from None
    except OSError as error:
        raise PolicyError([f"{path}: cannot read: {error.strerror or error}"]) from None
    except UnicodeDecodeError:
        raise PolicyError([f"{path}: cannot read: not UTF-8 text (not a policy file)"]) from None
    return parse_policy(text, str(path))


def parse_policy(
    text: str, source: str = "<policy>", files: Mapping[str, bytes] | None = None
) -> Policy:
    """`files`: the contents of the files the policy names (`holidays_file`), by the name
    it gives them, as a stored version carries them; without, they are read from disk."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError([f"{source}: TOML syntax: {error}"]) from None
    return _Reader(source, text, files).read(data)


class _Reader:
    """Walks a parsed TOML document, collecting every problem before giving up."""

    def __init__(
        self, source: str, text: str = "", files: Mapping[str, bytes] | None = None
    ) -> None:
        self.source = source
        self.text = text
        self.given_files = files
        self.files: dict[str, bytes] = {}  # each file read, by the name the policy gives it
        self.problems: list[str] = []
        self.warnings: list[str] = []
        # Names of calendars the file declares, valid or not: a reference to a
        # broken calendar is not a second problem.
        self.declared_calendars: set[str] = set()

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.source}: {path}: {message}")

    def problem_at(self, path: str, message: str) -> None:
        """A problem named by file, line and key: `policy.toml:12: calendars.x.key: ...`."""
        line = _line_of(self.text, path)
        where = f"{self.source}:{line}" if line else self.source
        self.problems.append(f"{where}: {path}: {message}")

    def unknown_keys(self, table: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.problem(f"{path}{key}", f"unknown key{hint}")

    def string(self, table: Mapping[str, Any], key: str, path: str, required: bool) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(f"{path}{key}", "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{path}{key}", "must be a non-empty string")
            return None
        return value

    def read(self, data: dict[str, Any]) -> Policy:
        self.unknown_keys(data, TOP_KEYS, "")
        name = self.string(data, "name", "", required=True)
        if name is not None and not _NAME.match(name):
            self.problem("name", f"{name!r}: use lowercase letters, digits, '-' and '_'")
        title = self.string(data, "title", "", required=False) or name or ""
        level_label = self.string(data, "level_label", "", required=False) or "Sev"
        zone = self.zone(data.get("timezone"), "timezone", required=True)

        calendars = self.calendars(data.get("calendars"), zone)
        severities = self.severities(data.get("severity"), calendars)
        auto_close = self.auto_close(data.get("auto_close"), calendars)
        rules = self.rules(data.get("rules"))
        email_severity = self.email_severity(data.get("email_severity"), severities)

        if self.problems or zone is None or name is None:
            raise PolicyError(self.problems)
        return Policy(
            name=name,
            title=title,
            timezone=zone,
            level_label=level_label,
            calendars=calendars,
            severities=severities,
            auto_close=auto_close,
            rules=rules,
            source=self.source,
            email_severity=email_severity,
            warnings=tuple(self.warnings),
            text=self.text,
            files=dict(sorted(self.files.items())),
        )

    def zone(self, value: Any, path: str, required: bool) -> ZoneInfo | None:
        if value is None:
            if required:
                self.problem(path, 'missing (an IANA zone such as "America/Denver")')
            return None
        if not isinstance(value, str) or value not in _zones():
            close = difflib.get_close_matches(str(value), sorted(_zones()), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(path, f"{value!r} is not an IANA time zone{hint}")
            return None
        try:
            return ZoneInfo(value)
        except ZoneInfoNotFoundError:
            self.problem(path, f"{value!r} is not in this machine's time zone database")
            return None

    def calendars(self, value: Any, zone: ZoneInfo | None) -> dict[str, BusinessCalendar]:
        if not isinstance(value, dict) or not value:
            self.problem("calendars", "missing: define at least one [calendars.NAME] table")
            return {}
        result = {}
        self.declared_calendars = set(value)
        for name, table in value.items():
            path = f"calendars.{name}."
            if not isinstance(table, dict):
                self.problem(f"calendars.{name}", "must be a table")
                continue
            self.unknown_keys(table, CALENDAR_KEYS, path)
            own_zone = self.zone(table.get("timezone"), f"{path}timezone", required=False)
            weekly = self.hours(table.get("hours"), f"{path}hours")
            holidays = self.holidays(table.get("holidays"), f"{path}holidays")
            closed = self.closed_dates(table.get("closed", []), f"{path}closed")
            special = self.dated_hours(table.get("special_hours"), f"{path}special_hours")
            cut = self.dated_hours(table.get("closed_hours"), f"{path}closed_hours")
            taken_off = self.holidays_except(
                table.get("holidays_except"), holidays, f"{path}holidays_except"
            )
            yearly = self.closed_yearly(table.get("closed_yearly"), f"{path}closed_yearly")
            imported = self.holidays_file(table.get("holidays_file"), f"{path}holidays_file")
            title = self.string(table, "title", path, required=False)
            calendar_zone = own_zone or zone
            if weekly is None:
                continue
            # Checked before the zone, so a bad zone elsewhere does not hide it.
            if not any(weekly.values()):
                self.problem(f"{path}hours", "the calendar is never open")
                continue
            if calendar_zone is None:
                continue
            result[name] = BusinessCalendar(
                name,
                calendar_zone,
                weekly,
                holidays=holidays,
                closed=closed,
                title=title,
                special_hours=special,
                closed_hours=cut,
                holidays_except=taken_off,
                closed_yearly=yearly,
                named_closures=imported,
            )
        return result

    def hours(self, value: Any, path: str) -> dict[int, list[Minutes]] | None:
        if value == "24x7":
            return {day: [(0, WHOLE_DAY)] for day in range(7)}
        if not isinstance(value, dict):
            self.problem(path, 'must be "24x7" or a table like { mon = "09:00-17:00" }')
            return None
        weekly: dict[int, list[Minutes]] = {}
        reported = len(self.problems)
        for key, text in value.items():
            if key not in WEEKDAYS:
                self.problem(f"{path}.{key}", f"not a weekday (use {', '.join(WEEKDAYS)})")
                continue
            ranges = self.ranges(text, f"{path}.{key}", overnight=True)
            if ranges is not None:
                weekly.setdefault(WEEKDAYS.index(key), []).extend(ranges)
        # A range across midnight (mon = "22:00-06:00") opens the next day until its end.
        for day in list(weekly):
            after_midnight = [(0, end - WHOLE_DAY) for _, end in weekly[day] if end > WHOLE_DAY]
            weekly[day] = [(start, min(end, WHOLE_DAY)) for start, end in weekly[day]]
            if after_midnight:
                weekly.setdefault((day + 1) % 7, []).extend(after_midnight)
        for day, ranges in weekly.items():
            ranges.sort()
            for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
                if start < end:
                    key = WEEKDAYS[day]
                    self.problem(
                        f"{path}.{key}", "ranges overlap (with the previous day's overnight range)"
                    )
                    break
        # A day already reported is not also "never open".
        return weekly if len(self.problems) == reported else None

    def ranges(self, text: Any, path: str, overnight: bool = False) -> list[Minutes] | None:
        if not isinstance(text, str):
            self.problem(path, 'must be a string like "09:00-12:00,13:00-17:00"')
            return None
        ranges: list[Minutes] = []
        for part in (p.strip() for p in text.split(",")):
            match = _RANGE.match(part)
            if not match:
                self.problem(path, f"{part!r} is not a range like 09:00-17:00")
                return None
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if h1 > 23 or m1 > 59 or m2 > 59 or end > WHOLE_DAY:
                end = start  # refused below
            elif overnight and end < start:
                end += WHOLE_DAY  # 22:00-06:00: until 06:00 the next day
            if end <= start:
                rule = (
                    "a range runs forward, or across midnight like 22:00-06:00"
                    if overnight
                    else "a range runs forward within one day (00:00-24:00 at most)"
                )
                self.problem(path, f"{part!r}: {rule}")
                return None
            ranges.append((start, end))
        ranges.sort()
        for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
            if start < end:
                self.problem(path, f"{text!r}: ranges overlap")
                return None
        return ranges

    def holidays(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(path, 'must be a country code such as "US" or "US-CO"')
            return None
        country, _, subdivision = value.partition("-")
        if country not in holiday_dates.country_codes():
            self.problem(path, f"{country!r} is not a country known to the holidays package")
            return None
        if subdivision and subdivision not in holiday_dates.subdivisions(country):
            self.problem(path, f"{subdivision!r} is not a subdivision of {country}")
            return None
        first, last = holiday_dates.HolidayDates(value).known_years
        if first > EARLIEST_YEAR or last < LATEST_YEAR:
            self.warnings.append(
                f"{self.source}: {path}: the holidays package knows {value} holidays from "
                f"{first} to {last} only: outside those years (deskterm takes instants from "
                f"{EARLIEST_YEAR} to {LATEST_YEAR}) this calendar closes for no public holiday; "
                "list them under `closed` if you need them"
            )
        return value

    def dated_hours(self, value: Any, path: str) -> dict[date, list[Minutes]]:
        """`{ 2026-12-24 = "09:00-13:00" }`: ranges by date (special hours, partial closures)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem_at(path, 'must be a table like { 2026-12-24 = "09:00-13:00" }')
            return {}
        result = {}
        for key, text in value.items():
            try:
                day = date.fromisoformat(str(key))
            except ValueError:
                self.problem_at(f"{path}.{key}", f"{key!r} is not a date like 2026-12-24")
                continue
            reported = len(self.problems)
            ranges = self.ranges(text, f"{path}.{key}")
            if ranges is None:
                # Say where: the range reader names only the key.
                message = self.problems.pop(reported).split(": ", 2)[-1]
                self.problem_at(f"{path}.{key}", message)
                continue
            result[day] = ranges
        return result

    def holidays_except(self, value: Any, spec: str | None, path: str) -> frozenset[date]:
        """Days taken off the country's list: each must be one of its holidays."""
        if value is None:
            return frozenset()
        if spec is None:
            self.problem_at(path, "needs `holidays` (a country whose list it takes days off)")
            return frozenset()
        if not isinstance(value, list):
            self.problem_at(path, 'must be a list of dates like ["2026-11-27"]')
            return frozenset()
        country = holiday_dates.HolidayDates(spec)
        days = set()
        for index, item in enumerate(value):
            try:
                day = item if isinstance(item, date) else date.fromisoformat(str(item))
            except ValueError:
                self.problem_at(f"{path}[{index}]", f"{item!r} is not a date like 2026-11-27")
                continue
            if country.name(day) is None:
                self.problem_at(f"{path}[{index}]", f"{day} is not a {spec} holiday")
                continue
            days.add(day)
        return frozenset(days)

    def closed_yearly(self, value: Any, path: str) -> frozenset[tuple[int, int]]:
        """`["12-24", "12-31"]`: dates closed every year, by month and day."""
        if value is None:
            return frozenset()
        if not isinstance(value, list):
            self.problem_at(path, 'must be a list of month-days like ["12-24", "12-31"]')
            return frozenset()
        result = set()
        for index, item in enumerate(value):
            match = re.fullmatch(r"(\d{2})-(\d{2})", str(item))
            try:
                month, day = (int(g) for g in match.groups()) if match else (0, 0)
                date(2000, month, day)  # a leap year: 02-29 is a date some years
            except ValueError:
                self.problem_at(f"{path}[{index}]", f"{item!r} is not a month-day like 12-24")
                continue
            result.add((month, day))
        return frozenset(result)

    def holidays_file(self, value: Any, path: str) -> dict[date, str]:
        """An iCalendar file of holidays the administrator downloaded (read now, no network)."""
        if value is None:
            return {}
        if not isinstance(value, str) or not value.strip():
            self.problem_at(path, 'must be the path of an .ics file, like "holidays.ics"')
            return {}
        where = value
        if self.given_files is not None and value in self.given_files:
            data = self.given_files[value]
        else:
            file = Path(value).expanduser()
            if not file.is_absolute() and Path(self.source).is_file():
                file = Path(self.source).parent / file
            try:
                data = file.read_bytes()
            except OSError as error:
                self.problem_at(path, f"cannot read {str(file)!r}: {error.strerror or error}")
                return {}
            where = str(file)
        try:
            found = ical_holidays.parse(data, where)
        except ical_holidays.IcsError as error:
            self.problem_at(path, str(error))
            return {}
        self.files[value] = data
        return found

    def closed_dates(self, value: Any, path: str) -> frozenset[date]:
        if not isinstance(value, list):
            self.problem(path, 'must be a list of dates like ["2026-12-24"]')
            return frozenset()
        days = set()
        for index, item in enumerate(value):
            if isinstance(item, date):
                days.add(item)
                continue
            try:
                days.add(date.fromisoformat(str(item)))
            except ValueError:
                self.problem(f"{path}[{index}]", f"{item!r} is not a date like 2026-12-24")
        return frozenset(days)

    def target(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        required: bool,
        allowed: Callable[[Target], str | None] | None = None,
    ) -> Target:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(f"{path}{key}", "missing")
            return NoTarget()
        if not isinstance(value, str):
            self.problem(f"{path}{key}", 'must be a string like "30m" or "nbd"')
            return NoTarget()
        try:
            target = parse_duration(value)
        except DurationError as error:
            self.problem(f"{path}{key}", str(error))
            return NoTarget()
        refusal = allowed(target) if allowed else None
        if refusal:
            self.problem(f"{path}{key}", refusal)
            return NoTarget()
        return target

    def severities(
        self, value: Any, calendars: Mapping[str, BusinessCalendar]
    ) -> dict[int, SeverityLevel]:
        if not isinstance(value, dict) or not value:
            self.problem("severity", "missing: define at least one [severity.N] table")
            return {}
        result = {}
        for key, table in value.items():
            path = f"severity.{key}."
            if not key.isdigit() or int(key) < 1:
                self.problem(f"severity.{key}", "a severity level is a whole number from 1")
                continue
            if not isinstance(table, dict):
                self.problem(f"severity.{key}", "must be a table")
                continue
            self.unknown_keys(table, SEVERITY_KEYS, path)
            level = int(key)
            calendar = self.calendar_ref(table, path, calendars)
            first = self.target(table, "first_response", path, required=True)
            customer = self.target(table, "customer_response", path, False, _elapsed_or_days)
            update = self.target(table, "update_every", path, False, _elapsed_only)
            resolution = self.target(table, "resolution", path, False, _elapsed_only)
            next_response = self.target(table, "next_response", path, False, _elapsed_only)
            phone = table.get("phone_intake", False)
            if not isinstance(phone, bool):
                self.problem(f"{path}phone_intake", "must be true or false")
                phone = False
            if calendar is None:
                continue
            result[level] = SeverityLevel(
                level=level,
                name=str(table.get("name", "")),
                meaning=str(table.get("meaning", "")),
                calendar=calendar,
                first_response=first,
                customer_response=customer,
                update_every=update,
                phone_intake=phone,
                resolution=resolution,
                next_response=next_response,
            )
        return dict(sorted(result.items()))

    def email_severity(self, value: Any, severities: Mapping[int, SeverityLevel]) -> int | None:
        """Mail never opens a case at a level that needs the phone call (seeds: Sev 1)."""
        if value is None:
            plain = [
                level
                for level, table in severities.items()
                if not table.phone_intake and not isinstance(table.first_response, Scheduled)
            ]
            return max(plain) if plain else None
        if not isinstance(value, int) or isinstance(value, bool) or value not in severities:
            levels = ", ".join(str(n) for n in severities)
            self.problem("email_severity", f"{value!r} is not a severity level (levels: {levels})")
            return None
        if len(severities) > 1 and value == min(severities):
            self.problem(
                "email_severity",
                f"severity {value} is the most urgent level: it needs the phone call, "
                "mail cannot open a case at that level",
            )
            return None
        if severities[value].phone_intake:
            self.problem(
                "email_severity",
                f"severity {value} takes cases by phone only (phone_intake): "
                "mail cannot open a case at that level",
            )
            return None
        return value

    def calendar_ref(
        self, table: Mapping[str, Any], path: str, calendars: Mapping[str, BusinessCalendar]
    ) -> BusinessCalendar | None:
        name = self.string(table, "calendar", path, required=True)
        if name is None:
            return None
        if name not in calendars:
            if name in self.declared_calendars:
                return None
            known = ", ".join(sorted(self.declared_calendars)) or "none defined"
            self.problem(f"{path}calendar", f"no calendar named {name!r} (calendars: {known})")
            return None
        return calendars[name]

    def auto_close(self, value: Any, calendars: Mapping[str, BusinessCalendar]) -> AutoClose | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem("auto_close", "must be a table")
            return None
        path = "auto_close."
        self.unknown_keys(value, AUTO_CLOSE_KEYS, path)
        calendar = self.calendar_ref(value, path, calendars)
        resolved = self.target(value, "resolved_after", path, False, _elapsed_or_days)
        waiting = self.target(value, "waiting_after", path, False, _elapsed_or_days)
        notice = self.target(value, "notice_before", path, False, _elapsed_or_days)
        # The notice instant is "after minus notice", so both must count in one unit.
        if not isinstance(notice, NoTarget):
            for key, after in (("resolved_after", resolved), ("waiting_after", waiting)):
                if isinstance(after, NoTarget):
                    continue
                if type(after) is not type(notice):
                    self.problem(
                        f"{path}notice_before", f"must use the same unit as {key} ({after})"
                    )
                elif _length(notice) >= _length(after):
                    self.problem(f"{path}notice_before", f"must be shorter than {key} ({after})")
        if calendar is None:
            return None
        return AutoClose(calendar, resolved, waiting, notice)

    def rules(self, value: Any) -> Rules:
        chosen = {key: choices[0] for key, choices in RULE_CHOICES.items()}
        if value is None:
            return _rules(chosen)
        if not isinstance(value, dict):
            self.problem("rules", "must be a table")
            return _rules(chosen)
        self.unknown_keys(value, set(RULE_CHOICES) | {"pause_statuses"}, "rules.")
        pauses = self.pause_statuses(value.get("pause_statuses"))
        for key, choices in RULE_CHOICES.items():
            if key not in value:
                continue
            if value[key] not in choices:
                options = " or ".join(f'"{c}"' for c in choices)
                self.problem(f"rules.{key}", f"{value[key]!r}: use {options}")
            else:
                chosen[key] = value[key]
        return _rules(chosen, pauses)

    def pause_statuses(self, value: Any) -> frozenset[str] | None:
        """`["waiting-on-customer", "software-change-required"]`: statuses that pause."""
        if value is None:
            return None
        path = "rules.pause_statuses"
        if not isinstance(value, list):
            self.problem_at(path, 'must be a list like ["waiting-on-customer"]')
            return None
        found = set()
        for index, item in enumerate(value):
            if item not in PAUSABLE_STATUSES:
                choices = ", ".join(PAUSABLE_STATUSES)
                self.problem_at(
                    f"{path}[{index}]", f"{item!r}: a status that may pause ({choices})"
                )
                continue
            found.add(item)
        return frozenset(found)


def _rules(chosen: Mapping[str, str], pauses: frozenset[str] | None = None) -> Rules:
    rules = Rules(chosen["severity_change"], chosen["customer_timeout"])
    return rules if pauses is None else Rules(rules.severity_change, rules.customer_timeout, pauses)


def _elapsed_or_days(target: Target) -> str | None:
    if isinstance(target, Elapsed | BusinessDays | NoTarget):
        return None
    return f"{target} is not allowed here (use a duration like 30m or 3bd, or none)"


def _elapsed_only(target: Target) -> str | None:
    # A periodic update every 0m would be due the instant it was met.
    if isinstance(target, NoTarget) or (
        isinstance(target, Elapsed) and target.amount > timedelta(0)
    ):
        return None
    return f"{target} is not allowed here (use a duration like 2h, or none)"


def _length(target: Target) -> float:
    if isinstance(target, Elapsed):
        return target.amount.total_seconds()
    if isinstance(target, BusinessDays):
        return target.days
    return 0


@cache
def _zones() -> frozenset[str]:
    """The IANA zone names: tzdata's list, one small file.

    `available_timezones()` walks the system's zoneinfo tree as well, some fifty
    milliseconds of every start-up; it is the answer only without tzdata.
    """
    try:
        listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):
        return frozenset(available_timezones())
    return frozenset(listed.split())
