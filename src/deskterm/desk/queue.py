"""The queue's read side: open cases in deadline order, a window at a time.

The queue never loads the whole table (docs/architecture.md, invariant 7). It asks for
the rows it shows, walking the partial index on (queue_due, number); it counts
in separate queries the screen can run in the background; and it turns stored
deadlines into business time left at paint time (`countdown`), so the tick needs
no query at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import OperationalError

from deskterm.desk import counts as desk_counts
from deskterm.desk import policy_versions, search
from deskterm.desk.context import Desk
from deskterm.desk.filters import QueueFilter
from deskterm.models.columns import END_OF_TIME, cases, organizations
from deskterm.sla import BusinessCalendar, ClockKind, Policy, Status

CLOSED = Status.CLOSED.value
DUE_SOON = timedelta(hours=1)
RECENTLY = timedelta(days=7)
# A row is "warning" when this much business time or less is left.
WARNING_LEFT = timedelta(hours=1)


@dataclass(frozen=True)
class View:
    key: str
    title: str


VIEWS = (
    View("all", "All open"),
    View("mine", "Mine"),
    View("unassigned", "Unassigned"),
    View("soon", "Breaching soon"),
    View("waiting", "Waiting"),
    View("closed", "Recently closed"),
    # Open and closed together: where "have we seen this before?" is asked.
    View("everything", "All cases"),
)
VIEW_KEYS = tuple(view.key for view in VIEWS)


@dataclass(frozen=True)
class QueueQuery:
    view: str = "all"
    filter: QueueFilter = QueueFilter()
    me: str = ""
    # Rows in order of how well they match the search, not by deadline (only with a
    # search: without one every row matches alike).
    relevance: bool = False

    @property
    def by_relevance(self) -> bool:
        return self.relevance and bool(self.filter.terms)


@dataclass(frozen=True)
class QueueRow:
    number: int
    version: int
    severity: int
    policy: str
    organization: str
    subject: str
    status: str
    assignee: str | None
    next_due: datetime | None
    next_clock: ClockKind | None
    updated_at: datetime
    # The policy version the case runs under (None: the newest): its countdown is counted
    # on that version's calendars, not on an edit applied to new cases only.
    policy_version: int | None = None


@dataclass(frozen=True)
class Counts:
    open: int
    breached: int
    due_soon: int
    unassigned_sev1: int
    # Policies whose file differs from the version in use (desk/policy_versions.py).
    policy_files_differ: tuple[str, ...] = ()


_C = cases.c
_O = organizations.c
_CLOCK_DUES = (
    (ClockKind.FIRST_RESPONSE, _C.first_response_state, _C.first_response_due),
    (ClockKind.CUSTOMER_RESPONSE, _C.customer_response_state, _C.customer_response_due),
    (ClockKind.UPDATE, _C.update_state, _C.update_due),
    (ClockKind.AUTO_CLOSE, _C.auto_close_state, _C.auto_close_due),
    (ClockKind.RESOLUTION, _C.resolution_state, _C.resolution_due),
    (ClockKind.NEXT_RESPONSE, _C.next_response_state, _C.next_response_due),
)
_COLUMNS = (
    _C.number,
    _C.version,
    _C.severity,
    _C.policy,
    _C.policy_version,
    _O.name,
    _C.subject,
    _C.status,
    _C.assignee,
    _C.next_due,
    _C.updated_at,
    *(column for _, state, due in _CLOCK_DUES for column in (state, due)),
)


def breached_condition(now: datetime) -> Any:
    """Support's own promises past due: a live first-response or update clock.

    `promise_due` is the soonest of them (deadlines.store_clocks), so the database
    answers from the promise index instead of scanning.
    """
    return _C.promise_due < now


def promise_due(now: datetime, columns: Any = _C) -> Any:
    """A live first-response or update clock of support's is what falls due next, at or
    after `now` (`columns`: the cases table's, where a caller reads through its own).

    The case's queue_due is then that deadline (the soonest), so the database walks
    the queue index from `now` and stops after a LIMIT.
    """
    c = columns
    return and_(
        c.queue_due >= now,
        or_(
            and_(c.first_response_state == "running", c.first_response_due == c.queue_due),
            and_(c.update_state == "running", c.update_due == c.queue_due),
            and_(c.resolution_state == "running", c.resolution_due == c.queue_due),
            and_(c.next_response_state == "running", c.next_response_due == c.queue_due),
        ),
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_conditions(query: QueueQuery, now: datetime) -> list[Any]:
    """The WHERE conditions of `query` (view "any": every case, open or closed)."""
    return _conditions(query, now)


def _conditions(
    query: QueueQuery,
    now: datetime,
    matches: search.Matches | None = None,
    whole: bool = False,
    found: bool = False,
) -> list[Any]:
    """`found`: the rows come from the search's cases already (search.from_few)."""
    view, flt = query.view, query.filter
    conditions: list[Any] = []
    if view == "closed":
        conditions += [_C.status == CLOSED, _C.updated_at >= now - RECENTLY]
    elif view == "everything":
        pass
    elif view != "any":
        conditions.append(_C.status != CLOSED)
    if view == "mine":
        conditions.append(_C.assignee == query.me)
    elif view == "unassigned":
        conditions.append(_C.assignee.is_(None))
    elif view == "soon":
        # About to breach: not yet past due, due within the hour (the header's "due <1h").
        conditions += [_C.queue_due >= now, _C.queue_due < now + DUE_SOON]
    elif view == "waiting":
        conditions.append(_C.status == Status.WAITING.value)
    if flt.severities:
        conditions.append(_C.severity.in_(sorted(flt.severities)))
    if flt.statuses:
        conditions.append(_C.status.in_(sorted(s.value for s in flt.statuses)))
    if flt.organization:
        conditions.append(_O.name.ilike(_like(flt.organization), escape="\\"))
    if flt.assignee:
        conditions.append(_C.assignee == flt.assignee)
    if flt.unassigned:
        conditions.append(_C.assignee.is_(None))
    if flt.breached:
        conditions.append(breached_condition(now))
    if flt.due_within is not None:
        conditions.append(_C.queue_due < now + flt.due_within)
    if flt.terms and not found:
        # Every word anyone wrote on the case, from the database's full-text index
        # (last: asked only of rows the other conditions let through).
        matched = (
            matches.condition(flt.terms, whole=whole) if matches else search.matching(flt.terms)
        )
        conditions.append(matched)
    return conditions


def _order(query: QueueQuery, reverse: bool = False) -> list[Any]:
    if query.view == "closed":
        keys: list[ColumnElement[Any]] = [_C.updated_at.desc(), _C.number.desc()]
        return [_C.updated_at.asc(), _C.number.asc()] if reverse else keys
    keys = [_C.queue_due, _C.number]
    return [key.desc() for key in keys] if reverse else keys


def _beyond(query: QueueQuery, row: QueueRow, after: bool) -> Any:
    """Rows after (or before) `row` in queue order, as an index-friendly condition."""
    if query.view == "closed":
        key, column = row.updated_at, _C.updated_at
        later = (column < key, and_(column == key, _C.number < row.number))
        earlier = (column > key, and_(column == key, _C.number > row.number))
    else:
        key, column = row.next_due or END_OF_TIME, _C.queue_due
        later = (column > key, and_(column == key, _C.number > row.number))
        earlier = (column < key, and_(column == key, _C.number < row.number))
    return or_(*(later if after else earlier))


def sort_key(query: QueueQuery, row: QueueRow) -> tuple[float, int]:
    """Where `row` stands in `query`'s order: smaller keys come first."""
    if query.view == "closed":
        return (-row.updated_at.timestamp(), -row.number)
    return ((row.next_due or END_OF_TIME).timestamp(), row.number)


def _needs_organization(query: QueueQuery) -> bool:
    return bool(query.filter.organization)


class Queue:
    """Windowed reads of one desk's queue."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        # The cases matching each search, found once while its filter tokens change.
        self.matches = search.Matches(desk.engine)

    def _source(
        self, query: QueueQuery, organization: bool = True, whole: bool = False
    ) -> tuple[Any, bool]:
        """Where `query`'s rows are read from: the cases (with their organizations), or,
        when its search matches few cases (SQLite), those cases looked up by id
        (search.from_few); and whether so."""
        found = self.matches.few(query.filter.terms, whole)
        source: Any = cases if found is None else search.from_few(found)
        if organization:
            source = source.join(organizations, _O.id == _C.organization_id)
        return source, found is not None

    def _select(self, query: QueueQuery, now: datetime) -> Any:
        joined, found = self._source(query)
        conditions = _conditions(query, now, self.matches, found=found)
        return select(*_COLUMNS).select_from(joined).where(*conditions)

    def _by_relevance(self, query: QueueQuery, now: datetime, reverse: bool = False) -> Any:
        """`query`'s rows, best match first (worst first: `reverse`), then by deadline."""
        terms = query.filter.terms
        # Every matching row is sorted: the search's cases are found whole, once (as a
        # count finds them), not asked of row by row.
        joined, found = self._source(query, whole=True)
        if self.desk.engine.dialect.name == "sqlite":
            score = self.matches.score(terms)
        else:
            scores = search.relevance(terms, self.desk.engine.dialect.name)
            joined = joined.outerjoin(scores, scores.c.case_id == _C.id)
            # Unscored (none of its texts among those scored): after every scored case.
            score = func.coalesce(scores.c.score, 0)
        keys = [score, *_order(query)]
        if reverse:
            keys = [score.desc(), *_order(query, reverse=True)]
        conditions = _conditions(query, now, self.matches, whole=True, found=found)
        return select(*_COLUMNS).select_from(joined).where(*conditions).order_by(*keys)

    def rows(self, query: QueueQuery, now: datetime, offset: int, limit: int) -> list[QueueRow]:
        if query.by_relevance:
            return self._fetch(self._by_relevance(query, now).offset(offset).limit(limit))
        statement = self._select(query, now).order_by(*_order(query)).offset(offset).limit(limit)
        return self._fetch(statement)

    def rows_after(
        self, query: QueueQuery, now: datetime, row: QueueRow, limit: int
    ) -> list[QueueRow]:
        """The `limit` rows that follow `row` (keyset: an index seek, however deep)."""
        statement = self._select(query, now).where(_beyond(query, row, after=True))
        return self._fetch(statement.order_by(*_order(query)).limit(limit))

    def rows_before(
        self, query: QueueQuery, now: datetime, row: QueueRow, limit: int
    ) -> list[QueueRow]:
        """The `limit` rows that precede `row`, in queue order."""
        statement = self._select(query, now).where(_beyond(query, row, after=False))
        return list(
            reversed(self._fetch(statement.order_by(*_order(query, reverse=True)).limit(limit)))
        )

    def rows_from_end(
        self, query: QueueQuery, now: datetime, offset: int, limit: int
    ) -> list[QueueRow]:
        """Rows counted from the end: deep pages cost what shallow ones do."""
        if query.by_relevance:
            reverse = self._by_relevance(query, now, reverse=True)
            return list(reversed(self._fetch(reverse.offset(offset).limit(limit))))
        statement = self._select(query, now).order_by(*_order(query, reverse=True))
        return list(reversed(self._fetch(statement.offset(offset).limit(limit))))

    def tail(self, query: QueueQuery, now: datetime, limit: int) -> list[QueueRow]:
        """The last `limit` rows, in queue order (`G` without walking the whole index)."""
        if query.by_relevance:
            return self.rows_from_end(query, now, 0, limit)
        statement = self._select(query, now).order_by(*_order(query, reverse=True)).limit(limit)
        return list(reversed(self._fetch(statement)))

    def rows_numbered(
        self, query: QueueQuery, now: datetime, numbers: Collection[int]
    ) -> list[QueueRow]:
        """The rows of cases `numbers` that match `query` (a lookup by number each)."""
        if not numbers:
            return []
        return self._fetch(self._select(query, now).where(_C.number.in_(sorted(numbers))))

    def position(
        self, query: QueueQuery, now: datetime, number: int, within: int | None = None
    ) -> int | None:
        """Where case `number` stands in the queue now, or None if it has left it or
        (`within`) stands at or beyond row `within`: the counts then stop there, however
        far down the case went (an exact place deep in a million cases is a count of
        every row above it)."""
        if query.by_relevance:
            # No index holds this order: where the case stands among the matches.
            numbers = [row.number for row in self._fetch(self._by_relevance(query, now))]
            if number not in numbers:
                return None
            found_at = numbers.index(number)
            return None if within is not None and found_at >= within else found_at
        found = self._fetch(self._select(query, now).where(_C.number == number))
        if not found:
            return None
        current = found[0]
        # Two index range counts: an OR of the two would make the database scan.
        if query.view == "closed":
            key, column = current.updated_at, _C.updated_at
            before, tied = column > key, _C.number > number
        else:
            key, column = current.next_due or END_OF_TIME, _C.queue_due
            before, tied = column < key, _C.number < number
        above = self._count(query, now, before, limit=within)
        if within is not None and above >= within:
            return None
        left = None if within is None else within - above
        above += self._count(query, now, column == key, tied, limit=left)
        return None if within is not None and above >= within else above

    def count(
        self, query: QueueQuery, now: datetime, stale: Callable[[], bool] | None = None
    ) -> int | None:
        """Rows matching `query`; None if `stale()` turned true while counting.

        A count that matches text scans the whole queue (a second or more at a
        million cases). The console asks again at every pause in typing; a count
        nobody waits for any more stops at once instead of taking a core from the
        one that matters (on SQLite; elsewhere it runs to its end).
        """
        try:
            return self._count(query, now, stale=stale)
        except Abandoned:
            return None

    def _count(
        self,
        query: QueueQuery,
        now: datetime,
        *extra: Any,
        stale: Callable[[], bool] | None = None,
        limit: int | None = None,
    ) -> int:
        """`limit`: count no further than that many rows (the index range read stops)."""
        base, found = self._source(query, _needs_organization(query), whole=True)
        conditions = _conditions(query, now, self.matches, whole=True, found=found)
        if limit is None:
            statement = select(func.count()).select_from(base).where(*extra, *conditions)
        else:
            rows: Any = select(literal_column("1")).select_from(base).where(*extra, *conditions)
            statement = select(func.count()).select_from(rows.limit(limit).subquery())
        with self.desk.engine.connect() as connection, _abandoned_when(connection, stale):
            search.Matches.prepare(connection)
            return int(connection.execute(statement).scalar_one())

    def counts(self, now: datetime) -> Counts:
        """The header's counts: counters and index range counts, never a walk of the desk."""
        with self.desk.engine.connect() as connection:
            known = desk_counts.standing(connection)
            return Counts(
                open=known.open,
                breached=desk_counts.breached(connection, now),
                due_soon=desk_counts.count(
                    connection,
                    desk_counts.and_open(_C.queue_due >= now, _C.queue_due < now + DUE_SOON),
                ),
                unassigned_sev1=known.unassigned_sev1,
                policy_files_differ=self._files_differ(),
            )

    def counts_holders_moved(self, previous: Counts) -> Counts:
        """`previous` after changes that moved no deadline and no status (cases assigned
        or escalated): the counters are read again; breached and due soon, range counts
        over every deadline past or near, stand (time moves them: see
        `next_count_change`)."""
        with self.desk.engine.connect() as connection:
            known = desk_counts.standing(connection)
        return replace(
            previous,
            open=known.open,
            unassigned_sev1=known.unassigned_sev1,
            policy_files_differ=self._files_differ(),
        )

    def _files_differ(self) -> tuple[str, ...]:
        return tuple(
            found.name for found in policy_versions.drift(self.desk.engine, self.desk.policies)
        )

    def next_count_change(self, now: datetime) -> datetime | None:
        """The first instant after `now` at which `counts` can change with no write:
        the next deadline passing, or coming within `DUE_SOON` (two index seeks)."""
        open_ = _C.status != CLOSED
        first = select(func.min(_C.queue_due)).where(open_, _C.queue_due >= now)
        later = select(func.min(_C.queue_due)).where(open_, _C.queue_due >= now + DUE_SOON)
        with self.desk.engine.connect() as connection:
            found = [connection.execute(first).scalar_one(), connection.execute(later).scalar_one()]
        candidates = [found[0]] if found[0] is not None and found[0] < END_OF_TIME else []
        if found[1] is not None and found[1] < END_OF_TIME:
            candidates.append(found[1] - DUE_SOON)
        # Just past the instant: a deadline counts as passed once `now` is beyond it.
        return min(candidates) + timedelta(microseconds=1) if candidates else None

    def _fetch(self, statement: Any) -> list[QueueRow]:
        with self.desk.engine.connect() as connection:
            search.Matches.prepare(connection)
            return [_row(row) for row in connection.execute(statement)]


class Abandoned(Exception):
    """A query stopped because its answer was no longer wanted."""


# SQLite calls the progress handler every this many virtual machine steps (about a
# millisecond of work): how soon an abandoned count stops.
PROGRESS_STEPS = 20_000


@contextmanager
def _abandoned_when(connection: Any, stale: Callable[[], bool] | None) -> Iterator[None]:
    raw = connection.connection.dbapi_connection
    if stale is None or not hasattr(raw, "set_progress_handler"):
        yield
        return
    raw.set_progress_handler(lambda: 1 if stale() else 0, PROGRESS_STEPS)
    try:
        yield
    except OperationalError as error:
        if stale() and "interrupted" in str(error):
            raise Abandoned from None
        raise
    finally:
        raw.set_progress_handler(None, 0)


def _row(row: Row[Any]) -> QueueRow:
    values = row._mapping
    next_due = values[_C.next_due]
    next_clock = None
    if next_due is not None:
        for kind, state, due in _CLOCK_DUES:
            if values[state] == "running" and values[due] == next_due:
                next_clock = kind
                break
    return QueueRow(
        number=values[_C.number],
        version=values[_C.version],
        severity=values[_C.severity],
        policy=values[_C.policy],
        organization=values[_O.name],
        subject=values[_C.subject],
        status=values[_C.status],
        assignee=values[_C.assignee],
        next_due=next_due,
        next_clock=next_clock,
        updated_at=values[_C.updated_at],
        policy_version=values[_C.policy_version],
    )


# -- countdowns at paint time ----------------------------------------------------


@dataclass(frozen=True)
class Countdown:
    """What a row says about time: `12m 40s` left, `-3h 05m` breached, or why it stands still."""

    state: str  # "breached" | "warning" | "ok" | "paused" | "none"
    left: str  # business time left, or the case's state when no clock runs
    note: str  # why the clock stands still: "waiting on customer", "out of hours", ...
    left_time: timedelta | None = None
    calendar_closed: bool = False  # the running clock's calendar is closed right now
    waiting: bool = False  # the case waits on the customer: support's clocks are paused
    due: datetime | None = None  # the running clock's deadline
    # A business day or more is left, or the calendar closes before the deadline:
    # `left` counts business days (`10bd`, `today`), and a screen shows the due day
    # and time rather than hours that would not tick down overnight.
    far: bool = False


def format_left(left: timedelta) -> str:
    """`12m 40s` under an hour, `3h 05m` under a day, `2d 4h` beyond (24h days of business time)."""
    sign = "-" if left < timedelta(0) else ""
    seconds = int(abs(left).total_seconds())
    if seconds < 3600:
        return f"{sign}{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{sign}{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{sign}{seconds // 86400}d {seconds % 86400 // 3600}h"


def countdown(row: QueueRow, policy: Policy, now: datetime) -> Countdown:
    waiting = row.status == Status.WAITING.value
    if row.next_due is None or row.next_clock is None:
        if row.status == CLOSED:
            return Countdown("none", "closed", "closed")
        if waiting:
            return Countdown("paused", "paused", "waiting on customer")
        return Countdown("none", "no clock", "no running clock")
    if row.next_clock is ClockKind.AUTO_CLOSE:
        assert policy.auto_close is not None
        calendar = policy.auto_close.calendar
    else:
        calendar = policy.level(row.severity).calendar
    left = calendar.open_time_between(now, row.next_due)
    closed = calendar.closed_reason(now)
    if now > row.next_due:
        state = "breached"
    elif left <= WARNING_LEFT:
        state = "warning"
    else:
        state = "ok"
    # One reason, the most telling: the calendar is closed, or we wait on the
    # customer, or what runs is only the auto-close of a resolved case.
    note = closed or ("waiting on customer" if waiting else "")
    if not note and row.next_clock is ClockKind.AUTO_CLOSE:
        note = "auto-close"
    text, far = time_left(calendar, now, row.next_due, left)
    if not far and state != "breached" and row.next_due - now > left + CLOSED_GAP:
        # The calendar closes before the deadline (a night, a weekend, a holiday): the
        # business time left would read sooner than a round-the-clock case due
        # earlier, above it in the queue's order. The due day and time reads true.
        days = business_days_between(calendar, now, row.next_due)
        text, far = (f"{days}bd" if days else "today"), True
    return Countdown(state, text, note, left, closed is not None, waiting, row.next_due, far)


# Longer than any rounding between business and wall time, shorter than any closing.
CLOSED_GAP = timedelta(minutes=1)


def time_left(
    calendar: BusinessCalendar, now: datetime, due: datetime, left: timedelta
) -> tuple[str, bool]:
    """What a clock due at `due` says at `now` (`left`: its business time left), and
    whether a business day or more is left ("far").

    Under a business day: hours, minutes and seconds (`3h 05m`, `12m 40s`). From a
    whole business day of the calendar's own length (nine hours for 08-17, 24 round
    the clock): business days (`10bd`), or whole days round the clock (`2d 4h`);
    "2d 16h" of 24-hour business days read as eleven calendar days. Breached: how
    long ago (`breached_ago`)."""
    if now > due:
        return breached_ago(now - due), False
    if left < business_day(calendar, due):
        return format_left(left), False
    if calendar.is_always_open:
        return format_left(left), True
    return f"{max(business_days_between(calendar, now, due), 1)}bd", True


def business_day(calendar: BusinessCalendar, due: datetime) -> timedelta:
    """How long the business day `due` falls on is open (24 hours round the clock)."""
    if calendar.is_always_open:
        return FULL_DAY
    intervals = calendar.day_intervals(calendar.local_date(due))
    total = sum(closes - opens for opens, closes in intervals)
    return timedelta(microseconds=total) if total else FULL_DAY


FULL_DAY = timedelta(hours=24)


def breached_ago(overdue: timedelta) -> str:
    """How long ago a deadline passed, in wall-clock time: `-12m 40s`, `-3h 05m`, `-2d 4h`.

    Never `-0m 00s`: a case breached at a close has been breached all night, and a
    breach under a second old reads `-0m 01s`."""
    return format_left(-max(overdue, timedelta(seconds=1)))


def business_days_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Business days after `start`'s date up to and including `end`'s (the calendar's zone)."""
    day, last = calendar.local_date(start), calendar.local_date(end)
    count = 0
    while day < last and count < 1000:
        day += timedelta(days=1)
        count += calendar.is_business_day(day)
    return count
