"""Searching the whole desk: which cases match, and where on each case.

`matching(terms)` is a condition on `cases.id` that each database answers from its
own index (FTS5 MATCH, tsvector @@ tsquery; deskterm.store.search_index); the
queue adds it to its filters, and `search` runs it for the command line. `places`
says, for the few cases on screen, where each matched, with a one-line snippet
whose matched words are marked ⟦like this⟧ (readable without colour).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Float,
    Integer,
    Join,
    LargeBinary,
    String,
    and_,
    bindparam,
    column,
    func,
    select,
    table,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import BindParameter, ColumnElement

from deskterm.desk import search_query
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.desk.search_query import Term, fold, words_of
from deskterm.models.columns import cases
from deskterm.safe_text import safe_line
from deskterm.store.search_index import ATTACHMENT_INDEXED, CASE_KEY, CASE_SHIFT, TEXT_INDEXED

MARK_OPEN, MARK_CLOSE = "⟦", "⟧"
SNIPPET = 72  # characters of context in a snippet, about a narrow terminal's line


class _Matching(ColumnElement[bool]):
    """`column IN (the cases with a row matching each term and none matching an excluded
    one)`, in each dialect's words: a set, computed whole (deskterm.store.search_index:
    a row's key >> 32 is its case)."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, column: Any, terms: tuple[Term, ...]) -> None:
        self.column = column
        self.terms = terms


def _in_order(terms: tuple[Term, ...]) -> list[Term]:
    """The terms sought, then the excluded ones (INTERSECT ... EXCEPT ...)."""
    return [t for t in terms if not t.negated] + [t for t in terms if t.negated]


@compiles(_Matching, "sqlite")
def _sqlite_matching(element: _Matching, compiler: Any, **kw: Any) -> str:
    selects = []
    for n, t in enumerate(_in_order(element.terms)):
        found = bindparam(f"search{n}", search_query.fts5_term(t), String, unique=True)
        operator = "" if n == 0 else (" EXCEPT " if t.negated else " INTERSECT ")
        selects.append(
            f"{operator}SELECT rowid >> {CASE_SHIFT} FROM search_text "
            f"WHERE search_text MATCH {compiler.process(found, **kw)}"
        )
    return f"{compiler.process(element.column, **kw)} IN ({''.join(selects)})"


def _walking(walked: Term, terms: tuple[Term, ...]) -> Any:
    """SELECT the ids of the cases matching `terms`: the rows of `walked`, each case's
    other terms sought in its range of keys (cheap when `walked` is rare)."""
    case = _FTS.c.rowid.op(">>")(CASE_SHIFT)
    return (
        select(case)
        .distinct()
        .where(_FTS.c.search_text.op("MATCH")(search_query.fts5_term(walked)))
        .where(*(_InCase(case, t) for t in terms if t is not walked))
    )


def _pg_walking(walked: Term, terms: tuple[Term, ...]) -> Any:
    """PostgreSQL: SELECT the ids of the cases matching `terms`, from the cases of
    `walked` (a rare term, from the GIN index), each asked for the other terms."""
    others = (_InCase(cases.c.id, t) for t in terms if t is not walked)
    return select(cases.c.id).where(_Matching(cases.c.id, (walked,)), *others)


def _sqlite_cases_matching(terms: tuple[Term, ...]) -> Any:
    """SELECT the ids of the cases matching `terms`, straight from the index."""
    selects, found = [], {}
    for n, t in enumerate(_in_order(terms)):
        operator = "" if n == 0 else (" EXCEPT " if t.negated else " INTERSECT ")
        selects.append(
            f"{operator}SELECT rowid >> {CASE_SHIFT} FROM search_text "
            f"WHERE search_text MATCH :search{n}"
        )
        found[f"search{n}"] = search_query.fts5_term(t)
    return text("".join(selects)).bindparams(**found)


@compiles(_Matching, "postgresql")
def _pg_matching(element: _Matching, compiler: Any, **kw: Any) -> str:
    selects = []
    for n, t in enumerate(_in_order(element.terms)):
        found = bindparam(f"search{n}", search_query.ts_term(t), String, unique=True)
        operator = "" if n == 0 else (" EXCEPT " if t.negated else " INTERSECT ")
        selects.append(
            f"{operator}SELECT case_id FROM search_text "
            f"WHERE document @@ CAST({compiler.process(found, **kw)} AS tsquery)"
        )
    return f"{compiler.process(element.column, **kw)} IN ({''.join(selects)})"


class _InCase(ColumnElement[bool]):
    """SQLite: whether one of case `case_id`'s rows matches `term` (EXISTS, an index seek
    in the case's range of keys), or none does (`negated`)."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, case_id: Any, term: Term) -> None:
        self.case_id = case_id
        self.term = term


@compiles(_InCase, "sqlite")
def _sqlite_in_case(element: _InCase, compiler: Any, **kw: Any) -> str:
    found = bindparam("probe", search_query.fts5_term(element.term), String, unique=True)
    case = f"({compiler.process(element.case_id, **kw)})"
    return (
        f"{'NOT ' if element.term.negated else ''}EXISTS (SELECT 1 FROM search_text p "
        f"WHERE p.search_text MATCH {compiler.process(found, **kw)} "
        f"AND p.rowid BETWEEN {case} * {CASE_KEY} AND {case} * {CASE_KEY} + {CASE_KEY - 1})"
    )


@compiles(_InCase, "postgresql")
def _pg_in_case(element: _InCase, compiler: Any, **kw: Any) -> str:
    found = bindparam("probe", search_query.ts_term(element.term), String, unique=True)
    return (
        f"{'NOT ' if element.term.negated else ''}EXISTS (SELECT 1 FROM search_text p "
        f"WHERE p.case_id = {compiler.process(element.case_id, **kw)} "
        f"AND p.document @@ CAST({compiler.process(found, **kw)} AS tsquery))"
    )


def _pg_condition(
    connection: Any, terms: tuple[Term, ...], column: Any, page: int = 50
) -> ColumnElement[bool]:
    """PostgreSQL: a rare term gives its cases from the GIN index and the other terms are
    asked of each (an index seek by case); when every term is common, each row walked is
    asked, since a page fills after a few rows, where finding every match would cost
    in proportion to the matches (`_pg_collects`)."""
    rare, collect = _pg_collects(connection, terms, page)
    if collect:
        others = (_InCase(column, t) for t in terms if t is not rare)
        return and_(_Matching(column, (rare,)), *others)
    return and_(*(_InCase(column, t) for t in terms))


# What asking one case for one term costs (an index seek on its rows, each document
# read), against what one row of a term's GIN bitmap costs to collect (its case looked
# up, the other terms asked of it): in CPU on the 100k demo desk, 0.74 us against 16 us.
_ASKED_PER_COLLECTED = 0.05


def _pg_collects(connection: Any, terms: tuple[Term, ...], page: int) -> tuple[Term, bool]:
    """PostgreSQL: the rarest sought term, and whether a page of matches is cheaper
    collected from its rows (all of them, then sorted) than walked for in the page's
    order. The walk asks each case it passes for every term, and passes about `page`
    divided by the share of cases that hold them all (taken as independent) before
    the page is full: two common words co-occur often and fill it at once, two
    middling ones seldom and walk thousands of cases."""
    sought = [t for t in terms if not t.negated]
    rare, count = _rarest(connection, sought)
    statistics = _statistics(connection)
    if statistics is None or statistics.cases <= 0:  # counted: rare or not
        return rare, count < RARE_ENOUGH
    together = 1.0
    for t in sought:
        together *= min(1.0, _share(statistics, t) * statistics.rows / statistics.cases)
    walked = min(statistics.cases, page / max(together, 1e-9))
    asked = walked * len(terms) * _ASKED_PER_COLLECTED
    return rare, count < asked


_FTS = table("search_text", column("rowid", Integer), column("search_text", String))
# How many rows of a term are counted, at most, to find the rarest term of a query.
RARE_ENOUGH = 2_000


def matching(terms: tuple[Term, ...], column: Any = cases.c.id) -> ColumnElement[bool]:
    return _Matching(column, terms)


def _rarest(connection: Any, terms: list[Term]) -> tuple[Term, int]:
    """The term with the fewest matching rows (counted up to RARE_ENOUGH), and its
    count: the one to walk, the others looked up case by case. PostgreSQL: estimated
    from the planner's statistics of the index when it has them (`_estimated`)."""
    if connection.dialect.name != "sqlite":
        estimated = _estimated(connection, terms)
        if estimated is not None:
            return estimated
    counted = []
    sqlite = connection.dialect.name == "sqlite"
    matched = "search_text MATCH :t" if sqlite else "document @@ CAST(:t AS tsquery)"
    for t in terms:
        found = connection.execute(
            text(
                f"SELECT count(*) FROM (SELECT 1 FROM search_text WHERE {matched} "
                f"LIMIT {RARE_ENOUGH}) AS counted"
            ),
            {"t": search_query.fts5_term(t) if sqlite else search_query.ts_term(t)},
        ).scalar_one()
        counted.append((found, t))
        if found < RARE_ENOUGH // 10:
            break  # rare enough: walking it is cheap
    found, rare = min(counted, key=lambda pair: pair[0])
    return rare, found


# --- how common a word is, on PostgreSQL: the statistics ANALYZE keeps -------------------

# PostgreSQL has no ordered walk of a GIN index: counting a term's rows, even up to
# RARE_ENOUGH, builds its whole bitmap or scans the table until enough are found
# (tens of ms a common word). ANALYZE (autovacuum's, the demo's) keeps the most common
# lexemes of `search_text.document` with their share of the rows, the figures the
# planner itself estimates a tsquery from: read once in a while, they say which term
# is rarest at no cost per query. The choice only sets the order of work, never the
# result, so statistics a few minutes old do no harm.
STATISTICS_KEPT = 300.0  # seconds before the statistics are read again
# A lexeme not among the most common: at most this share of the rows, as the planner
# takes it (its DEFAULT_TS_MATCH_SEL, or half the least common one's share).
_DEFAULT_SHARE = 0.005


@dataclass(frozen=True)
class _Statistics:
    rows: float  # rows of search_text
    cases: float  # rows of cases
    shares: dict[str, float]  # each most common lexeme's share of the rows
    floor: float  # the share assumed of any other lexeme


# Per engine: when its statistics were read, and what was found (None: none yet).
_STATISTICS: weakref.WeakKeyDictionary[Any, tuple[float, _Statistics | None]] = (
    weakref.WeakKeyDictionary()
)
_statistics_lock = threading.Lock()


def _statistics(connection: Any) -> _Statistics | None:
    """The index's statistics (read again after STATISTICS_KEPT); None while ANALYZE
    has not run."""
    key = connection.engine
    with _statistics_lock:
        known = _STATISTICS.get(key)
    now = time.monotonic()
    if known is not None and now - known[0] < STATISTICS_KEPT:
        return known[1]
    row = connection.execute(
        text(
            "SELECT c.reltuples, (SELECT k.reltuples FROM pg_class k "
            "WHERE k.oid = to_regclass('cases')) AS cases, "
            "s.most_common_elems::text::text[] AS lexemes, "
            "s.most_common_elem_freqs AS shares FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname "
            "AND s.attname = 'document' WHERE c.oid = to_regclass('search_text')"
        )
    ).first()
    found = None
    if row is not None and row.reltuples > 0 and row.lexemes and row.shares:
        # The shares end with three figures of their own: the least and the most
        # common lexeme's share, and the share of empty documents.
        least = row.shares[len(row.lexemes)]
        found = _Statistics(
            rows=float(row.reltuples),
            cases=float(row.cases),
            shares=dict(zip(row.lexemes, row.shares, strict=False)),
            floor=min(_DEFAULT_SHARE, least / 2),
        )
    with _statistics_lock:
        _STATISTICS[key] = (now, found)
    return found


def _share(statistics: _Statistics, t: Term) -> float:
    """About which share of the index's rows `t` matches (a phrase: its rarest word)."""

    def of_word(word: str, prefix: bool) -> float:
        if not prefix:
            return statistics.shares.get(word, statistics.floor)
        begun = sum(s for lexeme, s in statistics.shares.items() if lexeme.startswith(word))
        return min(1.0, begun + statistics.floor)

    last = len(t.words) - 1
    share = min(of_word(word, t.prefix and n == last) for n, word in enumerate(t.words))
    if t.phone is not None and t.phone != "".join(t.words):
        share = min(1.0, share + statistics.shares.get(t.phone, statistics.floor))
    return share


def _estimated(connection: Any, terms: list[Term]) -> tuple[Term, int] | None:
    """PostgreSQL: `_rarest` from the statistics, without touching the index; None
    without statistics."""
    statistics = _statistics(connection)
    if statistics is None:
        return None
    share, rare = min(((_share(statistics, t), t) for t in terms), key=lambda pair: pair[0])
    return rare, int(share * statistics.rows)


# --- relevance: the order a user may ask for instead of the deadline's --------------------

# FTS5's bm25 weight of each field (subject, contact, author, body), as PostgreSQL's
# ts_rank weighs its labels A-D (1.0, 0.4, 0.2, 0.1): a word in the subject counts most.
_BM25_WEIGHTS = "10.0, 4.0, 2.0, 1.0"


# The newest this many matching texts are scored for relevance, at most: a common word
# is in a large part of the desk, and scoring every text of it would cost seconds. A
# case none of whose texts is among them comes after the scored ones, by deadline.
SCORED = 20_000


def relevance(terms: tuple[Term, ...], dialect: str, found: frozenset[int] | None = None) -> Any:
    """(case_id, score) of the cases with a text matching one of the sought `terms`:
    its best-matching text's score, smaller first (FTS5's bm25 is negative, ts_rank is
    negated to match), over the newest SCORED matching texts (of the cases `found`,
    when the search's few cases are known). Asked only when the user orders so."""
    sought = [t for t in terms if not t.negated]
    binds: dict[str, Any] = {}
    if dialect == "sqlite":
        binds["relevance"] = " OR ".join(f"({search_query.fts5_term(t)})" for t in sought)
        among = ""
        if found is not None:
            among = f"AND rowid >> {CASE_SHIFT} IN (SELECT value FROM json_each(:among)) "
            binds["among"] = json.dumps(sorted(found))
        # bm25 cannot be called inside an aggregate: each text's score is taken first,
        # in a subquery (its LIMIT keeps SQLite from folding it into this one). FTS5
        # walks the texts newest first and scores only those it returns.
        statement = text(
            "SELECT case_id, min(score) AS score FROM ("
            f"SELECT rowid >> {CASE_SHIFT} AS case_id, bm25(search_text, {_BM25_WEIGHTS}) "
            f"AS score FROM search_text WHERE search_text MATCH :relevance {among}"
            f"ORDER BY rowid DESC LIMIT {SCORED}) GROUP BY case_id"
        )
    else:
        binds["relevance"] = " | ".join(f"({search_query.ts_term(t)})" for t in sought)
        # ts_rank reads each document: only for the texts kept.
        statement = text(
            "SELECT case_id, -max(ts_rank(document, CAST(:relevance AS tsquery))) AS score "
            "FROM (SELECT case_id, document FROM search_text "
            "WHERE document @@ CAST(:relevance AS tsquery) "
            f"ORDER BY id DESC LIMIT {SCORED}) AS newest GROUP BY case_id"
        )
    return (
        statement.bindparams(**binds)
        .columns(column("case_id", Integer), column("score", Float))
        .subquery("relevance")
    )


# --- the queue's search: the matching cases, found once per search -----------------------

# A search matching at most this many cases: the queue starts from them (a lookup each,
# then the sort); more: it walks its own order and asks of each row whether it matched.
FEW = 5_000
# More cases written than this since the cases matching a search were found: found
# again whole, instead of asking each of those cases again.
RECHECKED = 2_000
HELD = 2  # searches whose matching cases are kept (the one typed, and the one before)

# The matching cases of each held search, by token, for `deskterm_matched(token, id)`
# (a function SQLite calls back: every connection of the pool knows it).
_MATCHED: dict[int, frozenset[int]] = {}
_tokens = itertools.count(1)


# The relevance of each case of a search ordered so, by token, for
# `deskterm_score(token, id)` (SQLite: joined to its subquery, the planner scanned the
# scores once per case).
_SCORES: dict[int, dict[int, float]] = {}


def _score(token: int, case_id: int) -> float:
    found = _SCORES.get(token)
    return found.get(case_id, 0.0) if found is not None else 0.0


def _matched(token: int, case_id: int) -> int:
    found = _MATCHED.get(token)
    return 1 if found is not None and case_id in found else 0


@dataclass
class _Held:
    token: int
    cases: frozenset[int]
    events_upto: int  # the newest event when they were found: later ones are checked
    _bitmap: bytes | None = None

    def bitmap(self, before: _Held | None = None, touched: Iterable[int] = ()) -> bytes:
        """PostgreSQL: the cases as a bitmap, case `id` the bit `id % 8` of byte
        `id // 8` (as get_bit reads a bytea), built once: from `before`'s, where these
        cases are its own with only those `touched` looked at again."""
        if self._bitmap is not None:
            return self._bitmap
        if before is not None and before._bitmap is not None:
            bits = bytearray(before._bitmap)
            bits.extend(bytes(max(0, max(self.cases, default=0) // 8 + 1 - len(bits))))
            changed = set(touched)
        else:
            bits = bytearray(max(self.cases, default=0) // 8 + 1)
            changed = set(self.cases)
        for case in changed:
            if case in self.cases:
                bits[case >> 3] |= 1 << (case & 7)
            elif case >> 3 < len(bits):
                bits[case >> 3] &= ~(1 << (case & 7)) & 0xFF
        self._bitmap = bytes(bits)
        return self._bitmap


class _MatchedIn(ColumnElement[bool]):
    """`column` is one of the cases held under `token`."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, column: Any, held: _Held) -> None:
        self.column = column
        self.held = held


@compiles(_MatchedIn, "sqlite")
def _sqlite_matched_in(element: _MatchedIn, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    if len(element.held.cases) <= FEW:
        ids = bindparam("matched", json.dumps(sorted(element.held.cases)), String, unique=True)
        return f"{column} IN (SELECT value FROM json_each({compiler.process(ids, **kw)}))"
    # `+`: not a use of the primary key, so the database walks the queue's order.
    return f"deskterm_matched({element.held.token}, +{column})"


@compiles(_MatchedIn, "postgresql")
def _pg_matched_in(element: _MatchedIn, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    if len(element.held.cases) <= FEW:
        # An array: PostgreSQL looks a few up by key.
        ids = bindparam("matched", sorted(element.held.cases), ARRAY(Integer), unique=True)
        return f"{column} = ANY({compiler.process(ids, **kw)})"
    # Many: a bitmap, a bit per case, tested row by row as the queue's order is walked.
    # An array of them would be built and bound in this process at every keystroke
    # (28 ms of CPU for 40,000 ids) and read by the planner id by id (26 ms to plan
    # 100,000); asking each row walked of the index instead costs 10-80 us a row
    # ("timeout error sev:1", 100k demo desk: 2,700 rows walked, 79 ms).
    # A case newer than the bitmap is past its end: not held (get_bit would fail).
    bitmap = element.held.bitmap()
    bits = compiler.process(bindparam("matched", bitmap, LargeBinary, unique=True), **kw)
    return (
        f"(CASE WHEN {column} < {len(bitmap) * 8} "
        f"THEN get_bit({bits}, {column}) = 1 ELSE false END)"
    )


class Matches:
    """The cases matching the queue's searches, found once per search and kept in step
    with the events written since (each change writes one): a filter keystroke with a
    search active then costs what it costs without. A change that writes no event
    (a directory change, told as `everything` by the desk's watcher) calls `forget`."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._held: dict[tuple[Term, ...], _Held] = {}
        # Per search ordered by relevance: (the newest event then, the scores' token).
        self._scored: dict[tuple[Term, ...], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def condition(
        self, terms: tuple[Term, ...], column: Any = cases.c.id, whole: bool = False
    ) -> ColumnElement[bool]:
        """The condition on `column` that it matches `terms`. Every term found in many
        rows: each row is asked (a seek per term in its case's keys), since a first page
        walks few rows before it is full; unless `whole` (a count: every row is asked
        of, so the matching cases are found once)."""
        held = self._current(terms, whole)
        if held is not None:
            return _MatchedIn(column, held)
        if self.engine.dialect.name != "sqlite":
            with self.engine.connect() as connection:
                return _pg_condition(connection, terms, column)
        return and_(*(_InCase(column, t) for t in terms))

    def few(self, terms: tuple[Term, ...], whole: bool = False) -> frozenset[int] | None:
        """SQLite: the cases matching `terms` when they are few enough (FEW) to start a
        query from, each looked up by id; None otherwise (or on PostgreSQL)."""
        if self.engine.dialect.name != "sqlite" or not terms:
            return None
        held = self._current(terms, whole)
        return held.cases if held is not None and len(held.cases) <= FEW else None

    def forget(self) -> None:
        with self._lock:
            for held in self._held.values():
                _MATCHED.pop(held.token, None)
            self._held.clear()

    @staticmethod
    def prepare(connection: Any) -> None:
        """Teach `connection` (SQLite) the function the conditions call."""
        raw = connection.connection.dbapi_connection
        if hasattr(raw, "create_function"):
            raw.create_function("deskterm_matched", 2, _matched, deterministic=True)
            raw.create_function("deskterm_score", 2, _score, deterministic=True)

    def score(self, terms: tuple[Term, ...], column: Any = cases.c.id) -> Any:
        """SQLite: each case's relevance to `terms` (`relevance`; 0: unscored), scored
        once per search and state of the desk, as an expression on `column`."""
        with self.engine.connect() as connection:
            newest = connection.execute(
                text("SELECT coalesce(max(id), 0) FROM events")
            ).scalar_one()
        with self._lock:
            known = self._scored.get(terms)
        if known is None or known[0] != newest:
            scores = relevance(terms, "sqlite", self.few(terms))
            with self.engine.connect() as connection:
                found = dict(connection.execute(select(scores.c.case_id, scores.c.score)).all())
            token = next(_tokens)
            with self._lock:
                old = self._scored.pop(terms, None)
                if old is not None:
                    _SCORES.pop(old[1], None)
                while len(self._scored) >= HELD:
                    _SCORES.pop(self._scored.pop(next(iter(self._scored)))[1], None)
                self._scored[terms] = known = (newest, token)
                _SCORES[token] = found
        return func.deskterm_score(known[1], column)

    def _current(self, terms: tuple[Term, ...], whole: bool) -> _Held | None:
        with self.engine.connect() as connection:
            newest = connection.execute(
                text("SELECT coalesce(max(id), 0) FROM events")
            ).scalar_one()
            with self._lock:
                held = self._held.get(terms)
            if held is not None and held.events_upto == newest:
                return held
            touched: list[int] = []
            rechecked: _Held | None = None
            if held is not None:
                written = connection.execute(
                    text(
                        "SELECT DISTINCT case_id FROM events WHERE id > :a AND id <= :b "
                        f"LIMIT {RECHECKED + 1}"
                    ),
                    {"a": held.events_upto, "b": newest},
                ).scalars()
                touched = list(written)
            if held is None or len(touched) > RECHECKED:
                sqlite = connection.dialect.name == "sqlite"
                rare, count = _rarest(connection, [t for t in terms if not t.negated])
                if count < RARE_ENOUGH:
                    statement = _walking(rare, terms) if sqlite else _pg_walking(rare, terms)
                elif whole:
                    statement = (
                        _sqlite_cases_matching(terms)
                        if sqlite
                        else select(cases.c.id).where(matching(terms))
                    )
                else:
                    return None
                found = frozenset(connection.execute(statement).scalars())
            else:
                still = select(cases.c.id).where(
                    cases.c.id.in_(touched), *(_InCase(cases.c.id, t) for t in terms)
                )
                now_matching = set(connection.execute(still).scalars())
                found = (held.cases - set(touched)) | now_matching
                rechecked = held
        fresh = _Held(next(_tokens), found, newest)
        if self.engine.dialect.name != "sqlite" and len(found) > FEW:
            # Made here, where a count finds them (in the background), not at the next
            # keystroke: 80 ms of CPU for 540,000 cases; after a change, the cases it
            # touched are set again in the bitmap held before.
            fresh.bitmap(rechecked, touched)
        with self._lock:
            old = self._held.pop(terms, None)
            if old is not None:
                _MATCHED.pop(old.token, None)
            while len(self._held) >= HELD:
                _MATCHED.pop(self._held.pop(next(iter(self._held))).token, None)
            self._held[terms] = fresh
            _MATCHED[fresh.token] = found
        return fresh


class _CrossJoin(Join):
    """SQLite's CROSS JOIN: the planner keeps its left side as the outer loop."""

    __visit_name__ = "cross_join"
    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _sqlite_cross_join(element: _CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    return (
        f"{compiler.process(element.left, **kw)} CROSS JOIN "
        f"{compiler.process(element.right, **kw)} ON {compiler.process(element.onclause, **kw)}"
    )


def from_few(found: frozenset[int]) -> Any:
    """The cases table reached from the ids in `found`, each looked up by its key: a query of a rare word's few cases costs in proportion to them,
    where SQLite would rather walk an index of the whole queue in the order asked (or of
    a status, with `status:`) and test each row against the list."""
    ids = bindparam("found", json.dumps(sorted(found)), String, unique=True)
    matched = func.json_each(ids).table_valued("value").alias("matched")
    return _CrossJoin(matched, cases, cases.c.id == matched.c.value)


# --- the command line's search ------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    number: int
    subject: str
    status: str
    where: str  # "subject", "note by alice", "contact", ...
    snippet: str  # one line, sanitized, matched words between ⟦ ⟧

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "subject": self.subject,
            "status": self.status,
            "where": self.where,
            "snippet": self.snippet,
        }


def search(desk: Desk, query: str, *, statuses: Sequence[str] = (), limit: int = 20) -> list[Hit]:
    """Cases matching `query` (the search language with the queue's filter tokens),
    open or closed, newest first. Refuses, in one line, a query that finds nothing to
    search for."""
    from deskterm.desk.filters import match_status, parse_filter
    from deskterm.desk.queue import QueueQuery, filter_conditions

    parsed = parse_filter(query, desk.actor, desk.severity_levels())
    if parsed.problems:
        raise DeskError(parsed.problems[0])
    if not parsed.terms:
        raise DeskError(
            'nothing to search for: give a word (saml), a "phrase", a prefix* or a field '
            "(subject:login)"
        )
    wanted = {match_status(name).value for name in statuses}  # names or prefixes
    others = replace(parsed, terms=())
    conditions = filter_conditions(QueueQuery(view="any", filter=others, me=desk.actor), desk.now())
    if wanted:
        conditions.append(cases.c.status.in_(sorted(wanted)))
    columns = (cases.c.id, cases.c.number, cases.c.subject, cases.c.status)
    with desk.engine.connect() as connection:
        if desk.engine.dialect.name == "sqlite":
            rows = _newest_sqlite(connection, parsed.terms, conditions, limit)
        else:
            # A page stops after `limit` rows: workers started for a walk of the number
            # index cost more than they save, and on a busy machine they wait for a
            # core ("login failed", 100k demo desk, load 14 on 2 cores: 620-790 ms
            # with two workers, 100-195 ms without). Undone when the read ends.
            connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
            rare, collect = _pg_collects(connection, parsed.terms, limit)
            if collect:
                # `+ 0`: no index holds this order, so PostgreSQL collects the rare
                # term's cases and sorts them, instead of walking the number index
                # asking each case (it takes the matches as spread evenly: for "login
                # failed" on the 100k demo desk it walked 18,177 cases where the word
                # has 1,973 rows).
                asked = [_InCase(cases.c.id, t) for t in parsed.terms if t is not rare]
                matched = and_(_Matching(cases.c.id, (rare,)), *asked)
                order = (cases.c.number + 0).desc()
            else:
                matched = and_(*(_InCase(cases.c.id, t) for t in parsed.terms))
                order = cases.c.number.desc()
            statement = select(*columns).where(*conditions, matched).order_by(order).limit(limit)
            rows = list(connection.execute(statement).all())
        # The snippets on the same connection: one checkout (and its ping) a search.
        found = places(desk, [row.id for row in rows], parsed.terms, connection)
    return [Hit(row.number, row.subject, row.status, *found.get(row.id, ("", ""))) for row in rows]


def _newest_sqlite(
    connection: Any, terms: tuple[Term, ...], conditions: list[Any], limit: int
) -> list[Any]:
    """Newest first straight from the index: FTS5 walks the rarest term's rows by key
    (case id, in case-number order) from the top, each row's case is looked up and its
    other terms sought in its range of keys, and the walk stops at the limit, where
    `id IN (matches) ORDER BY number` would first collect every match."""
    sought = [t for t in terms if not t.negated]
    walked, _ = _rarest(connection, sought)
    others = [t for t in terms if t is not walked]
    statement = (
        select(cases.c.id, cases.c.number, cases.c.subject, cases.c.status)
        .select_from(_FTS.join(cases, cases.c.id == _FTS.c.rowid.op(">>")(CASE_SHIFT)))
        .where(_FTS.c.search_text.op("MATCH")(search_query.fts5_term(walked)))
        .where(*(_InCase(cases.c.id, t) for t in others), *conditions)
        .order_by(_FTS.c.rowid.desc())
    )
    rows, seen = [], set()
    for row in connection.execute(statement):
        if row.id in seen:
            continue  # another row of a case already found
        seen.add(row.id)
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows


# --- where a case matched -----------------------------------------------------------------

_INTAKE = (
    ("description", "description"),
    ("inquirer", "inquirer"),
    ("product", "product"),
    ("product_version", "product version"),
    ("error_messages", "error messages"),
    ("steps_to_reproduce", "steps to reproduce"),
    ("actions_before", "actions before"),
    ("changes_made", "changes made"),
    ("persisted_for", "persisted for"),
    ("operating_system", "operating system"),
    ("server_roles", "server roles"),
)
_KIND_NAMES = {
    "reply": "reply",
    "note": "note",
    "call": "call",
    "customer-reply": "customer message",
    "opened": "opened",
}


def places(
    desk: Desk, case_ids: Sequence[int], terms: tuple[Term, ...], connection: Any = None
) -> dict[int, tuple[str, str]]:
    """For each case: where its first match is (newest timeline entry first) and a
    snippet of it. Computed only for the rows shown (a page), never for all matches."""
    if not case_ids:
        return {}
    wanted = [t for t in terms if not t.negated]
    if connection is None:
        with desk.engine.connect() as connection:
            fields = _fields(connection, case_ids)
    else:
        fields = _fields(connection, case_ids)
    found: dict[int, tuple[str, str]] = {}
    for case_id in case_ids:
        for where, field, words in fields.get(case_id, ()):
            applicable = [t for t in wanted if t.field in (None, field)]
            snippet = snippet_of(words, applicable)
            if snippet is not None:
                found[case_id] = (where, snippet)
                break
    return found


def places_of_numbers(
    desk: Desk, numbers: Sequence[int], terms: tuple[Term, ...]
) -> dict[int, tuple[str, str]]:
    """`places`, by case number (the queue's rows know their numbers)."""
    if not numbers:
        return {}
    wanted: BindParameter[list[int]] = bindparam("numbers", list(numbers), expanding=True)
    with desk.engine.connect() as connection:
        ids: dict[int, int] = dict(
            connection.execute(
                text("SELECT id, number FROM cases WHERE number IN :numbers").bindparams(wanted)
            ).all()
        )
        found = places(desk, list(ids), terms, connection)
    return {ids[case_id]: where for case_id, where in found.items()}


def _fields(connection: Any, case_ids: Sequence[int]) -> dict[int, list[tuple[str, str, str]]]:
    """(where, index field, text) of each case, in the order a match is reported."""
    ids: BindParameter[list[int]] = bindparam("ids", list(case_ids), expanding=True)
    intake = ", ".join(f"c.{column}" for column, _ in _INTAKE)
    fields: dict[int, list[tuple[str, str, str]]] = {case_id: [] for case_id in case_ids}
    later: dict[int, list[tuple[str, str, str]]] = {case_id: [] for case_id in case_ids}
    for row in connection.execute(
        text(
            f"SELECT c.id, c.subject, p.name, p.email, p.phone, o.name, {intake} "
            "FROM cases c JOIN organizations o ON o.id = c.organization_id "
            "LEFT JOIN contacts p ON p.id = c.contact_id WHERE c.id IN :ids"
        ).bindparams(ids)
    ):
        case_id, subject, name, email, phone, organization, *answers = row
        fields[case_id].append(("subject", "subject", subject))
        contact = " ".join(part for part in (name, email, phone) if part)
        fields[case_id].append(("contact", "contact", contact))
        for (_, label), answer in zip(_INTAKE, answers, strict=True):
            later[case_id].append((label, "body", answer))
        later[case_id].append(("organization", "body", organization))
    # The timeline, newest first, then the text attachments (kind NULL): one query.
    events = connection.execute(
        text(
            "SELECT case_id, kind, actor, at, text, new_value FROM ("
            "SELECT e.case_id, e.kind, e.actor, e.at, e.text, e.new_value, 0 AS part, "
            "e.id AS n FROM events e WHERE e.case_id IN :ids "
            "UNION ALL SELECT t.case_id, NULL, NULL, NULL, t.text, a.name, 1, t.attachment_id "
            "FROM attachment_texts t JOIN attachments a ON a.id = t.attachment_id "
            "WHERE t.case_id IN :ids) AS found "
            "ORDER BY part, CASE WHEN part = 0 THEN n END DESC, n"
        ).bindparams(ids)
    )
    for case_id, kind, actor, at, words, new_value in events:
        if kind is None:  # a text attachment's words (its name in `new_value`)
            later[case_id].append((f"in {new_value}", "body", words[:ATTACHMENT_INDEXED]))
            continue
        when = _day(at)
        if kind == "attach":
            fields[case_id].append((f"attachment {new_value}", "body", new_value or ""))
        elif words:
            label = _KIND_NAMES.get(kind, kind)
            where = f"{label} by {actor}" + (f", {when}" if when else "")
            fields[case_id].append((where, "body", words[:TEXT_INDEXED]))
        fields[case_id].append((f"from {actor}", "author", actor))
    for case_id in case_ids:
        fields[case_id] += later[case_id]
    return fields


def _day(at: Any) -> str:
    if isinstance(at, datetime):
        return f"{at:%Y-%m-%d}"
    return str(at)[:10] if at else ""


# --- snippets ------------------------------------------------------------------------------


def snippet_of(words: str, terms: Iterable[Term]) -> str | None:
    """A line of `words` around the first place one of `terms` matches, the matched words
    between ⟦ ⟧ and every control character shown, not acted on; None: no match."""
    terms = list(terms)
    if not words or not terms:
        return None
    folded = fold(words)
    if len(folded) != len(words):  # a rare case change of length: match on the original
        folded = words.lower()
    if not _may_match(folded, terms):
        return None
    spans = [(m.start(), m.end(), m.group()) for m in search_query._WORD.finditer(folded)]
    marked: list[tuple[int, int]] = []
    for term in terms:
        marked += _term_spans(spans, term)
    if not marked:
        return None
    marked.sort()
    first = marked[0][0]
    start = max(0, first - SNIPPET // 6)  # a narrow column still shows the match
    if start:
        # Start at a word's beginning, not in the middle of one.
        space = words.rfind(" ", 0, first)
        start = space + 1 if space >= start else start
    end = min(len(words), start + SNIPPET)
    pieces, position = [], start
    for a, b in marked:
        if a < position or b > end:
            continue
        pieces.append(safe_line(words[position:a]))
        pieces.append(MARK_OPEN + safe_line(words[a:b]) + MARK_CLOSE)
        position = b
    pieces.append(safe_line(words[position:end]))
    line = "".join(pieces).strip()
    return ("…" if start else "") + line + ("…" if end < len(words) else "")


def matched_spans(words: str, terms: Iterable[Term]) -> list[tuple[int, int]]:
    """Where in `words` the sought `terms` match, as (start, end) spans of its words
    (phrases: each of their words), in order; empty: no match."""
    sought = [t for t in terms if not t.negated]
    if not words or not sought:
        return []
    folded = fold(words)
    if len(folded) != len(words):  # a rare case change of length: match on the original
        folded = words.lower()
    spans = [(m.start(), m.end(), m.group()) for m in search_query._WORD.finditer(folded)]
    found: set[tuple[int, int]] = set()
    for term in sought:
        found.update(_term_spans(spans, term))
    return sorted(found)


def _may_match(folded: str, terms: list[Term]) -> bool:
    """Whether one of `terms` can match `folded` text at all: its first word is in it
    somewhere (a phone number's digits may be split, so it always can). A case's many
    texts are looked at newest first until one matches: most are passed over here,
    without splitting them into words."""
    return any(t.phone is not None or t.words[0] in folded for t in terms)


def _term_spans(spans: list[tuple[int, int, str]], term: Term) -> list[tuple[int, int]]:
    found = []
    size = len(term.words)
    for n in range(len(spans) - size + 1):
        window = spans[n : n + size]
        if all(
            word == expected or (term.prefix and k == size - 1 and word.startswith(expected))
            for k, ((_, _, word), expected) in enumerate(zip(window, term.words, strict=True))
        ):
            found += [(a, b) for a, b, _ in window]
    if not found and term.phone is not None:
        digits = "".join(word for _, _, word in spans if word.isdigit())
        if term.phone in digits:
            found += [(a, b) for a, b, word in spans if word.isdigit()]
    return found


def count_hint(terms: tuple[Term, ...]) -> str:
    """The words searched for, as the screens show them."""
    return " ".join(" ".join(t.words) for t in terms if not t.negated)


__all__ = [
    "Hit",
    "Matches",
    "count_hint",
    "from_few",
    "matched_spans",
    "matching",
    "places",
    "places_of_numbers",
    "relevance",
    "search",
    "snippet_of",
    "words_of",
]
