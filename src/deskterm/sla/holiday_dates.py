"""Public holidays by date, a year at a time, remembered between runs.

The `holidays` package is the source of every date and name. Importing it and
building one country's rules costs about 150 ms, a fifth of the console's
start-up, to answer a few dozen "is this day a holiday?" questions. So what was
asked of it (each year's holidays of a country or subdivision, and the country
and subdivision codes that policies are checked against) is kept in one JSON
file in the user's cache directory, stamped with the installed package (the
path, size and mtime of its `__init__.py`): another release of `holidays`, or a
damaged file, means asking the package again. Without a cache directory
(`use_cache_dir(None)`, the default) every answer comes from the package.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
import threading
import warnings
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from holidays import HolidayBase

FORMAT = 1
CACHE_FILE = "holidays.json"

_lock = threading.Lock()
_cache_dir: Path | None = None
_memory: dict[str, Any] | None = None  # the cache's contents, read once
_rules: dict[str, HolidayBase] = {}  # the package's object per spec, built when first needed


def use_cache_dir(directory: Path | None) -> None:
    """Keep answers in `directory` (created when first written), or nowhere."""
    global _cache_dir, _memory
    with _lock:
        _cache_dir = directory
        _memory = None


class HolidayDates:
    """The public holidays of one country (`US`) or subdivision (`US-CO`)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._years: dict[int, dict[date, str]] = {}
        self._known: tuple[int, int] | None = None

    def name(self, day: date) -> str | None:
        """The holiday's name on `day` (names joined by "; " when several), or None;
        None in a year outside `known_years` (the package has none, or only some)."""
        first, last = self.known_years
        if not first <= day.year <= last:
            return None
        year = self._years.get(day.year)
        if year is None:
            year = self._years[day.year] = _year(self.spec, day.year)
        return year.get(day)

    @property
    def known_years(self) -> tuple[int, int]:
        """The first and last years the package has this country's holidays whole for."""
        if self._known is None:
            first, last = _remembered(("whole", self.spec), lambda: _package_whole(self.spec))
            self._known = (int(first), int(last))
        return self._known


def country_codes() -> frozenset[str]:
    """The country codes the package knows, aliases included."""
    return frozenset(_remembered(("countries",), _package_country_codes))


def subdivisions(country: str) -> frozenset[str]:
    """The subdivision codes of `country` (a code `country_codes()` holds)."""
    return frozenset(_remembered(("subdivisions", country), lambda: _package_subdivisions(country)))


def _year(spec: str, year: int) -> dict[date, str]:
    pairs = _remembered(("years", spec, str(year)), lambda: _package_year(spec, year))
    return {date.fromisoformat(day): name for day, name in pairs}


# -- the package ------------------------------------------------------------------


def _package_country_codes() -> list[str]:
    # The registry loads no country: `list_supported_countries()` imports every one.
    from holidays.registry import EntityLoader

    return sorted(EntityLoader.get_country_codes(include_aliases=True))


def _package_subdivisions(country: str) -> list[str]:
    import holidays

    return sorted(getattr(holidays, country).subdivisions)


def _package_rules(spec: str) -> HolidayBase:
    rules = _rules.get(spec)
    if rules is None:
        rules = _rules[spec] = _new_rules(spec)
    return rules


def _new_rules(spec: str, year: int | None = None) -> HolidayBase:
    """The package's rules for `spec`, filled in for `year` at once when it is given."""
    import holidays

    country, _, subdivision = spec.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year)


def _package_whole(spec: str) -> list[int]:
    """The years the package has `spec`'s holidays whole: within its rules' range (outside
    it the package answers no holiday at all, without saying so), those it does not warn
    of. A country may hold some holidays for a span of years only, and say so when asked
    for another (India's Hindu holidays, 2001 to 2035 in holidays 0.109: its
    `UserWarning` reached the command line as Python's own text); such a year is
    outside too. The span is taken to be one run of years, found by halving."""
    rules = _package_rules(spec)
    first, last = int(rules.start_year), int(rules.end_year)
    first_warns, last_warns = _warns(spec, first), _warns(spec, last)
    if not first_warns and not last_warns:
        return [first, last]
    middle = (first + last) // 2
    if _warns(spec, middle):
        return [first, last]  # no run of whole years found: the rules' range, as before
    return [
        _edge(spec, first, middle) if first_warns else first,
        _edge(spec, last, middle) if last_warns else last,
    ]


def _edge(spec: str, warned: int, whole: int) -> int:
    """The year next to the last one warned of, going from `warned` (which warns) to
    `whole` (which does not)."""
    while abs(whole - warned) > 1:
        probe = (warned + whole) // 2
        if _warns(spec, probe):
            warned = probe
        else:
            whole = probe
    return whole


def _warns(spec: str, year: int) -> bool:
    """The package warns of `year` when it fills it in (rules made anew: it fills each
    year in once, and warns only then)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _new_rules(spec, year)
    return any(issubclass(each.category, UserWarning) for each in caught)


def _package_year(spec: str, year: int) -> list[list[str]]:
    rules = _package_rules(spec)
    # The package fills in a whole year at a time (observed days included, each in
    # the year it falls in): this year's dates are exactly what it answers for them.
    rules.get(date(year, 1, 1))
    return sorted([day.isoformat(), str(name)] for day, name in rules.items() if day.year == year)


# -- the cache file ---------------------------------------------------------------


def _remembered(path: tuple[str, ...], compute: Any) -> Any:
    """The value at `path` in the cache, computed by the package and kept if missing."""
    # One thread at a time: the sweep's worker and the screen both ask, and the
    # package's objects fill themselves in as they are asked.
    with _lock:
        node: Any = _loaded()
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            node = compute()
            _store(path, node)
        return node


def _loaded() -> dict[str, Any]:
    global _memory
    if _memory is None:
        _memory = _read()
    return _memory


def _stamp() -> list[object]:
    spec = importlib.util.find_spec("holidays")
    origin = spec.origin if spec is not None else None
    if origin is None:
        return [FORMAT]
    info = os.stat(origin)
    return [FORMAT, origin, info.st_size, info.st_mtime_ns]


def _read() -> dict[str, Any]:
    if _cache_dir is None:
        return {}
    try:
        data = json.loads((_cache_dir / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("stamp") != _stamp():
        return {}
    return data


def _store(path: tuple[str, ...], value: Any) -> None:
    global _memory
    memory = _loaded()
    _put(memory, path, value)
    if _cache_dir is None:
        return
    # What another process wrote meanwhile is kept: merge into the file as it is now.
    data = _read() or {"stamp": _stamp()}
    _merge(data, memory)
    _memory = data
    try:
        _cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=_cache_dir, prefix=".holidays-")
    except OSError:
        return  # a cache that cannot be written only costs the next start its time
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.replace(temporary, _cache_dir / CACHE_FILE)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _put(node: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def _merge(into: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if key == "stamp":
            continue
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into.setdefault(key, value)
