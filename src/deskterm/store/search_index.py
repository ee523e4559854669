"""The full-text index of the desk: a row per text, written once with the text.

Each case has rows of four fields a query can name:

    subject   the case's subject
    contact   the contact's name, e-mail address and phone number (and the phone's
              digits as one word, whole and its last 7 to 15 digits, so `5550100`
              finds `+1 (555) 0100`), and who asked (intake)
    author    who wrote a timeline entry (`from:`)
    body      the case number, description and intake answers, the organization's
              name; a timeline text (replies, notes, calls, customer messages,
              reasons); an attachment's name; a text attachment's words

and the rows are:

    the case's row        subject, contact and body from `cases`, `contacts`, `organizations`
    one row per event     author and body (an `attach` event: the file's name)
    one per text file     body: the attachment's first words (`attachment_texts`)

A row's key says whose it is: case id * 2^32, plus the event's id for an event,
plus 2^31 and the attachment's id for a text file (ids stay below 2^31). So a
match gives its case (key >> 32) from the index alone, and a case's rows are one
key range. A case matches a query when every searched term is in one of its rows
and no excluded term is in any (deskterm.desk.search).

Triggers keep the index in step in the transaction of every change, whichever
program writes. An event or a text file is indexed once, when it is written, at a
cost in proportion to its own text (`events` is append-only: its rows are never
indexed again). Only the case's row is replaced, when a field of it changes
(subject, intake answers, the contact's or the organization's name).

SQLite: an FTS5 table whose content is the view `search_rows` (external content:
no second copy of the text); tokenizer unicode61 with diacritics removed.
PostgreSQL: a `tsvector` per row in `search_text`, GIN-indexed; subject weighs A,
contact B, author C, body D.

An existing desk gets its index by one INSERT ... SELECT per source, cut in
ranges of ids, a transaction each (`build`): `search_backlog` says, per source,
which ids are still to do, so an interrupted build resumes; meanwhile the triggers
leave those rows alone (replacing a case's row never added would corrupt FTS5), but
on PostgreSQL, where a change can commit while a build's range is being indexed, a
changed case's row is written at once (`pg_case_functions`).

SQLite: FTS5 left to its defaults writes a segment every 1 MiB of text and, as it
goes, merges each page written once more per level of segments (six at 1M cases):
the 1.1 GB index of the 1M demo desk was written about eight times over, and twice
each with the WAL, 18 GB in all with the zeros SQLite writes over freed pages (2.5
to 12 minutes, as fast as the disk is free). So the build keeps its segments whole
and unmerged (BUILD_SETTINGS: a segment a transaction), then merges them all once,
a bounded step a transaction (`MERGE`, the backlog's last row: an interrupted merge
goes on too), into one segment; FTS5's defaults are back when it ends. 5 GB written.

PostgreSQL: a build that fills an empty index (a reindex, a first build) drops the
GIN index of the documents' words and the rows' foreign key to their cases, and
makes them once every text is in (`MERGE` says they are still to make): the GIN index
kept up row by row as it grew past the server's cache made the 1M demo desk's
reindex take 562 s; the key's lookup of the case for each row written, with a lookup
of the row's own key (ON CONFLICT, see `_index_range`), took the events 77-81 s
against 58-60 s without them, where validating the key at the end takes 4 s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from deskterm.store.engine import writer

FIELDS = ("subject", "contact", "author", "body")
# Accents folded the same way in PostgreSQL's documents and in the queries compiled
# for it in Python (desk/search.py); SQLite's unicode61 tokenizer folds by itself.
ACCENTED = "àáâãäåāăąçćĉčďèéêëēĕėęěĝğġģĥìíîïĩīĭįĵķĺļľñńņňòóôõöōŏőŕřśŝşšţťùúûüũūŭůűųŵýÿŷźżž"
PLAIN = "aaaaaaaaaccccdeeeeeeeeegggghiiiiiiiijklllnnnnoooooooorrssssttuuuuuuuuuuwyyyzzz"
assert len(ACCENTED) == len(PLAIN)
# Invisible format characters (bidi controls, zero-width, soft hyphen) that unicode61
# would keep inside a word: separators, as they are to PostgreSQL's [[:alnum:]] and to
# the queries' words (desk/search_query.py).
SEPARATORS = (
    "\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)
# The first this many characters of each timeline text are indexed: a pasted
# megabyte log is found by its head, and PostgreSQL's tsvector (1 MB at most) fits.
TEXT_INDEXED = 65_536
# A text attachment's first this many bytes are indexed (what the viewer shows first).
ATTACHMENT_INDEXED = TEXT_INDEXED
CASE_SHIFT = 32  # a row's key >> CASE_SHIFT is its case's id
CASE_KEY = 2**CASE_SHIFT
FILE_KEY = 2**31  # added to a text file's key: apart from the events' ids
# PostgreSQL: parts of a batch indexed at once, each by a server process of its own.
# The server's CPU is what a build waits for (a case's words: 0.2 ms; an event's:
# 0.01 ms); two parts of 20,000 cases took 4.0 s together against 7.7 s one after the
# other, on two cores.
PG_PARTS = 2
BATCH = 200_000  # ids of a source per transaction while building an existing desk's index
# SQLite: FTS5's settings while a build indexes the texts: no merging as it writes
# (automerge off, and the forced merge of a level only past this many segments), and
# up to this much text held in memory, so that a transaction writes one segment.
BUILD_SETTINGS = {"automerge": 0, "crisismerge": 1000, "hashsize": 64 * 2**20}
# ... and while it merges: every level of two segments or more (FTS5's default: four).
MERGE_SETTINGS = {"usermerge": 2}
# FTS5's own defaults of those settings, put back when the build ends (deskterm keeps
# no other: the sweep and the demo's bulk load only change automerge for a while).
FTS5_DEFAULTS = {"automerge": 4, "crisismerge": 16, "hashsize": 2**20, "usermerge": 4}
MERGE_PAGES = 16_000  # pages of the index (4 KB) a merge step writes, a transaction each
# SQLite: the build's connection's settings (`_building`): no zeros over freed pages, a
# page cache of 256 MiB (a negative cache_size: KiB).
BUILD_PRAGMAS = {"secure_delete": 0, "cache_size": -256 * 1024}
# The backlog's row for the build's last step (0 of 1 done: due): SQLite merges the
# index's segments, PostgreSQL makes its words index and its rows' foreign key.
MERGE = "merge"

TABLES = ("search_text", "search_backlog", "attachment_texts")
SHADOW_PREFIX = "search_text_"  # FTS5's own tables: search_text_data, _idx, ...
# What is indexed, in the order a build takes it.
SOURCES = ("cases", "events", "attachment_texts")
_ID_COLUMN = {"cases": "id", "events": "id", "attachment_texts": "attachment_id"}
_ID = {"cases": "c.id", "events": "e.id", "attachment_texts": "t.attachment_id"}  # in _rows
_INTAKE = (
    "description",
    "inquirer",
    "product",
    "product_version",
    "error_messages",
    "steps_to_reproduce",
    "actions_before",
    "changes_made",
    "persisted_for",
    "operating_system",
    "server_roles",
)
_CASE_COLUMNS = ("subject", "contact_id", "organization_id", *_INTAKE)


# --- the rows, in each dialect: SELECT row_key, case_id, subject, contact, author, body ---


def _sqlite_digits(value: str) -> str:
    for separator in (" ", "-", "(", ")", "+", ".", "/"):
        value = f"replace({value}, '{separator}', '')"
    return value


def _sqlite_phone_words(phone: str, digits: str | None = None) -> str:
    """The phone's words: its digits and their last 7 to 15 (`digits`: an expression
    of them already made, else they are written in place)."""
    digits = digits or _sqlite_digits(phone)
    suffixes = " || ' ' || ".join(
        f"(CASE WHEN length({digits}) >= {n} THEN substr({digits}, -{n}) ELSE '' END)"
        for n in range(7, 16)
    )
    return f"(CASE WHEN {phone} IS NULL THEN '' ELSE {digits} || ' ' || {suffixes} END)"


def _sqlite_phone_words_once(phone: str) -> str:
    """`_sqlite_phone_words`, the same text, with the digits made once per row: written
    in place, the chain of replace() ran nineteen times for each case with a phone, two
    thirds of the cost of reading the cases' rows for a build or a load (a correlated
    subquery with a LIMIT, which SQLite does not fold into the expressions reading it).
    For statements run now; the view and triggers the migrations stored keep their text."""
    return (
        f"(SELECT {_sqlite_phone_words('ph.phone', 'ph.d')} "
        f"FROM (SELECT {phone} AS phone, {_sqlite_digits(phone)} AS d LIMIT 1) ph)"
    )


# PostgreSQL: a contact's phone as digits only, made once per case row (a subquery
# PostgreSQL does not fold into the expressions that read it: written in place, the
# regular expression ran once for each suffix, 13% of the cost of a case's document).
_PG_PHONE_DIGITS = (
    "LEFT JOIN LATERAL (SELECT regexp_replace(p.phone, '[^0-9]', '', 'g') AS digits "
    "OFFSET 0) ph ON true"
)


def _pg_phone_words(digits: str) -> str:
    suffixes = " || ".join(
        f"CASE WHEN length({digits}) >= {n} THEN ' ' || right({digits}, {n}) ELSE '' END"
        for n in range(7, 16)
    )
    return f"coalesce({digits} || {suffixes}, '')"


def _rows(dialect: str, source: str, where: str, *, now: bool = False) -> str:
    """The index rows of `source` (cases, events, attachment_texts) WHERE `where`;
    `now`: for a statement run now over many rows (a build, a load), not one the
    migrations store in the schema (the same rows)."""
    sqlite = dialect == "sqlite"
    if source == "cases":
        intake = " || ' ' || ".join(f"c.{column}" for column in _INTAKE)
        if sqlite:
            phone_words = (_sqlite_phone_words_once if now else _sqlite_phone_words)("p.phone")
        else:
            phone_words = _pg_phone_words("ph.digits")
        digits = "" if sqlite else f"\n{_PG_PHONE_DIGITS}"
        number = "c.number" if sqlite else "c.number::text"
        return f"""SELECT c.id * {CASE_KEY} AS row_key, c.id AS case_id, c.subject AS subject,
    coalesce(p.name, '') || ' ' || coalesce(p.email, '') || ' ' || coalesce(p.phone, '')
        || ' ' || {phone_words} || ' ' || c.inquirer AS contact,
    NULL AS author, {number} || ' ' || {intake} || ' ' || o.name AS body
FROM cases c JOIN organizations o ON o.id = c.organization_id
LEFT JOIN contacts p ON p.id = c.contact_id{digits}
WHERE {where}"""
    if source == "events":
        words = "CASE WHEN e.kind = 'attach' THEN e.new_value ELSE e.text END"
        # SQLite: cut as bytes, since substr() on text stops at a NUL and the words
        # after it would be lost (a cut inside a character only drops that character).
        cut = (
            f"CAST(substr(CAST({words} AS BLOB), 1, {TEXT_INDEXED}) AS TEXT)"
            if sqlite
            else f"left({words}, {TEXT_INDEXED})"
        )
        return f"""SELECT e.case_id * {CASE_KEY} + e.id AS row_key, e.case_id AS case_id,
    NULL AS subject, NULL AS contact, e.actor AS author, {cut} AS body
FROM events e WHERE {where}"""
    assert source == "attachment_texts", source
    return f"""SELECT t.case_id * {CASE_KEY} + {FILE_KEY} + t.attachment_id AS row_key,
    t.case_id AS case_id, NULL AS subject, NULL AS contact, NULL AS author,
    substr(t.text, 1, {ATTACHMENT_INDEXED}) AS body
FROM attachment_texts t WHERE {where}"""


def _all_rows(dialect: str) -> str:
    return "\nUNION ALL\n".join(_rows(dialect, source, "1 = 1") for source in SOURCES)


def _pending(source: str, row_id: str) -> str:
    """Whether row `row_id` of `source` waits for the build (the triggers leave it)."""
    return (
        f"EXISTS (SELECT 1 FROM search_backlog b WHERE b.source = '{source}' "
        f"AND {row_id} > b.done_upto AND {row_id} <= b.last)"
    )


# Both databases: what is still to index, per source. (`attachment_texts`, the words
# of text attachments that deskterm.desk.attachments reads, is migration 0006's.)
_BACKLOG = (
    "CREATE TABLE search_backlog (source VARCHAR(20) PRIMARY KEY, "
    "done_upto BIGINT NOT NULL, last BIGINT NOT NULL)"
)


# --- SQLite -----------------------------------------------------------------------------

_SQLITE_COLUMNS = "rowid, subject, contact, author, body"


def _sqlite_add(source: str, where: str, *, now: bool = False) -> str:
    return (
        f"INSERT INTO search_text({_SQLITE_COLUMNS}) SELECT d.row_key, d.subject, d.contact, "
        f"d.author, d.body FROM ({_rows('sqlite', source, where, now=now)}) d"
    )


def _sqlite_remove(where: str) -> str:
    """Out with case rows as they are now (FTS5 needs the words it indexed)."""
    return (
        f"INSERT INTO search_text(search_text, {_SQLITE_COLUMNS}) SELECT 'delete', d.row_key, "
        f"d.subject, d.contact, d.author, d.body FROM ({_rows('sqlite', 'cases', where)}) d"
    )


def _changed(columns: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns) + ")"


def sqlite_statements() -> list[str]:
    case_changed = _changed(_CASE_COLUMNS)
    contact_changed = _changed(("name", "email", "phone"))
    of_case = ", ".join(_CASE_COLUMNS)
    indexed = "NOT " + _pending("cases", "c.id")
    return [
        _BACKLOG,
        f"CREATE VIEW search_rows AS {_all_rows('sqlite')}",
        "CREATE VIRTUAL TABLE search_text USING fts5(subject, contact, author, body, "
        "content='search_rows', content_rowid='row_key', "
        f"tokenize=\"unicode61 remove_diacritics 2 separators '{SEPARATORS}'\")",
        # New rows: each indexed once, as written.
        f"CREATE TRIGGER search_case_added AFTER INSERT ON cases "
        f"WHEN NOT {_pending('cases', 'NEW.id')} BEGIN "
        f"{_sqlite_add('cases', 'c.id = NEW.id')}; END",
        f"CREATE TRIGGER search_event_added AFTER INSERT ON events "
        f"WHEN NOT {_pending('events', 'NEW.id')} BEGIN "
        f"{_sqlite_add('events', 'e.id = NEW.id')}; END",
        f"CREATE TRIGGER search_attachment_text_added AFTER INSERT ON attachment_texts "
        f"WHEN NOT {_pending('attachment_texts', 'NEW.attachment_id')} BEGIN "
        f"{_sqlite_add('attachment_texts', 't.attachment_id = NEW.attachment_id')}; END",
        # A case's row changes: out with it as it was (before), in with it as it is (after).
        f"CREATE TRIGGER search_case_changing BEFORE UPDATE OF {of_case} ON cases "
        f"WHEN {case_changed} AND NOT {_pending('cases', 'OLD.id')} BEGIN "
        f"{_sqlite_remove('c.id = OLD.id')}; END",
        f"CREATE TRIGGER search_case_changed AFTER UPDATE OF {of_case} ON cases "
        f"WHEN {case_changed} AND NOT {_pending('cases', 'NEW.id')} BEGIN "
        f"{_sqlite_add('cases', 'c.id = NEW.id')}; END",
        "CREATE TRIGGER search_contact_changing BEFORE UPDATE OF name, email, phone "
        f"ON contacts WHEN {contact_changed} BEGIN "
        f"{_sqlite_remove(f'c.contact_id = OLD.id AND {indexed}')}; END",
        "CREATE TRIGGER search_contact_changed AFTER UPDATE OF name, email, phone "
        f"ON contacts WHEN {contact_changed} BEGIN "
        f"{_sqlite_add('cases', f'c.contact_id = NEW.id AND {indexed}')}; END",
        "CREATE TRIGGER search_organization_renaming BEFORE UPDATE OF name ON organizations "
        f"WHEN OLD.name IS NOT NEW.name BEGIN "
        f"{_sqlite_remove(f'c.organization_id = OLD.id AND {indexed}')}; END",
        "CREATE TRIGGER search_organization_renamed AFTER UPDATE OF name ON organizations "
        f"WHEN OLD.name IS NOT NEW.name BEGIN "
        f"{_sqlite_add('cases', f'c.organization_id = NEW.id AND {indexed}')}; END",
    ]


SQLITE_TRIGGERS = (
    "search_case_added",
    "search_event_added",
    "search_attachment_text_added",
    "search_case_changing",
    "search_case_changed",
    "search_contact_changing",
    "search_contact_changed",
    "search_organization_renaming",
    "search_organization_renamed",
)
SQLITE_DROP = [
    *(f"DROP TRIGGER {name}" for name in SQLITE_TRIGGERS),
    "DROP TABLE search_text",
    "DROP VIEW search_rows",
    "DROP TABLE search_backlog",
]


# --- PostgreSQL -------------------------------------------------------------------------


def _pg_vector(field: str, weight: str, value: str = "") -> str:
    value = value or f"d.{field}"
    raw = f"coalesce({value}, '')"
    # ExactText stores a NUL as U+FFFF "0" here (deskterm.models.types): a separator.
    words = (
        f"regexp_replace(lower(replace({raw}, chr(65535) || '0', ' ')), '[^[:alnum:]]+', ' ', 'g')"
    )
    # translate() looks each character up in ACCENTED, one by one: on a case's intake
    # text it cost more than all the rest together. A text with as many bytes as
    # characters is ASCII, with no accent to fold (lower() of ASCII gives none of
    # ACCENTED in any locale): the same words without it (tests/desk/test_search_pg_words.py).
    folded = (
        f"CASE WHEN octet_length({raw}) = length({raw}) THEN {words} "
        f"ELSE translate({words}, '{ACCENTED}', '{PLAIN}') END"
    )
    return f"setweight(to_tsvector('simple', {folded}), '{weight}')"


def pg_vector_sql(body: str = "") -> str:
    """The tsvector of row `d` (`body`: an expression in place of d.body)."""
    return " || ".join(
        _pg_vector(field, weight, body if field == "body" else "")
        for field, weight in zip(FIELDS, "ABCD", strict=True)
    )


def _pg_documents(source: str, where: str, body: str = "") -> str:
    """SELECT row_key, case_id, document of the rows of `source` WHERE `where`."""
    # pg_vector_sql reads each column of `d` three times. A case's row is joins and a
    # subquery (the phone's digits), which PostgreSQL computed again at each reading:
    # OFFSET 0 has it make the row once. Not for the other sources, whose NULL columns
    # it would no longer fold into constants.
    fence = " OFFSET 0" if source == "cases" else ""
    rows = _rows("postgresql", source, where)
    return f"SELECT d.row_key, d.case_id, {pg_vector_sql(body)} FROM ({rows}{fence}) d"


def _pg_add(source: str, where: str, body: str = "") -> str:
    return f"INSERT INTO search_text (id, case_id, document) {_pg_documents(source, where, body)}"


# PostgreSQL: the documents' words (GIN). A build that fills an empty index goes
# without it and makes it once at its end (`build`): kept up row by row, the 1M demo
# desk's 8.7 million texts took 562 s to index, the GIN index growing past the
# server's cache; made from them all at once, 81 s (CONCURRENTLY, 256 MB).
_PG_WORDS = "ix_search_text_document"
_PG_WORDS_INDEX = f"CREATE INDEX {_PG_WORDS} ON search_text USING gin (document)"
_PG_WORDS_MEMORY = "256MB"
# ... and the rows' foreign key to their cases (its name as pg_statements makes it).
_PG_LINK = "search_text_case_id_fkey"
_PG_LINK_ADD = (
    f"ALTER TABLE search_text ADD CONSTRAINT {_PG_LINK} "
    "FOREIGN KEY (case_id) REFERENCES cases(id) NOT VALID"
)
_UNIQUE_VIOLATION = "23505"


def pg_statements() -> list[str]:
    case_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _CASE_COLUMNS)
    contact_changed = " OR ".join(
        f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("name", "email", "phone")
    )

    def adding(name: str, source: str, row_id: str) -> str:
        # A text past tsvector's limits (1 MB) keeps its first 200,000 characters
        # rather than failing the change.
        where = f"{_ID[source]} = {row_id}"
        return f"""CREATE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    IF {_pending(source, row_id)} THEN
        RETURN NULL;
    END IF;
    BEGIN
        {_pg_add(source, where)};
    EXCEPTION WHEN program_limit_exceeded THEN
        {_pg_add(source, where, "left(d.body, 200000)")};
    END;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql"""

    return [
        _BACKLOG,
        "CREATE TABLE search_text (id BIGINT PRIMARY KEY, "
        "case_id INTEGER NOT NULL REFERENCES cases(id), document tsvector NOT NULL)",
        _PG_WORDS_INDEX,
        # A case's rows, for a term sought case by case (deskterm.desk.search).
        "CREATE INDEX ix_search_text_case_id ON search_text (case_id)",
        f"CREATE VIEW search_rows AS {_all_rows('postgresql')}",
        *pg_case_functions(),
        adding("deskterm_search_event", "events", "NEW.id"),
        adding("deskterm_search_attachment_text", "attachment_texts", "NEW.attachment_id"),
        """CREATE FUNCTION deskterm_search_contact() RETURNS trigger AS $$
BEGIN
    PERFORM deskterm_search_case_row(c.id) FROM cases c WHERE c.contact_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
        """CREATE FUNCTION deskterm_search_organization() RETURNS trigger AS $$
BEGIN
    PERFORM deskterm_search_case_row(c.id) FROM cases c WHERE c.organization_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
        "CREATE TRIGGER search_case_added AFTER INSERT ON cases "
        "FOR EACH ROW EXECUTE FUNCTION deskterm_search_case()",
        f"CREATE TRIGGER search_case_changed AFTER UPDATE ON cases FOR EACH ROW "
        f"WHEN ({case_changed}) EXECUTE FUNCTION deskterm_search_case()",
        "CREATE TRIGGER search_event_added AFTER INSERT ON events "
        "FOR EACH ROW EXECUTE FUNCTION deskterm_search_event()",
        "CREATE TRIGGER search_attachment_text_added AFTER INSERT ON attachment_texts "
        "FOR EACH ROW EXECUTE FUNCTION deskterm_search_attachment_text()",
        f"CREATE TRIGGER search_contact_changed AFTER UPDATE ON contacts FOR EACH ROW "
        f"WHEN ({contact_changed}) EXECUTE FUNCTION deskterm_search_contact()",
        "CREATE TRIGGER search_organization_renamed AFTER UPDATE ON organizations "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) "
        "EXECUTE FUNCTION deskterm_search_organization()",
    ]


def pg_case_functions() -> list[str]:
    """PostgreSQL: a case's row written as the case is now (its other rows never change).

    Whatever the backlog says: a build reads a range of cases and records it done in
    one transaction, and a change committed in between would otherwise be left to
    the build, which had read the case before it (the index would keep its old
    words). So the change writes the row, or replaces the build's (waiting for the
    build's transaction where it has written it first), and the build leaves a row
    it finds there (`_index_range`). Only a new case in the backlog is left to the
    build or bulk load that put it there (store/bulk_load.py)."""
    replace = "ON CONFLICT (id) DO UPDATE SET document = excluded.document"
    return [
        f"""CREATE OR REPLACE FUNCTION deskterm_search_case_row(target integer) RETURNS void AS $$
BEGIN
    BEGIN
        {_pg_add("cases", "c.id = target")} {replace};
    EXCEPTION WHEN program_limit_exceeded THEN
        {_pg_add("cases", "c.id = target", "left(d.body, 200000)")} {replace};
    END;
END;
$$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION deskterm_search_case() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND {_pending("cases", "NEW.id")} THEN
        RETURN NULL;
    END IF;
    PERFORM deskterm_search_case_row(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
    ]


PG_DROP = [
    "DROP TRIGGER search_case_added ON cases",
    "DROP TRIGGER search_case_changed ON cases",
    "DROP TRIGGER search_event_added ON events",
    "DROP TRIGGER search_attachment_text_added ON attachment_texts",
    "DROP TRIGGER search_contact_changed ON contacts",
    "DROP TRIGGER search_organization_renamed ON organizations",
    "DROP FUNCTION deskterm_search_case()",
    "DROP FUNCTION deskterm_search_event()",
    "DROP FUNCTION deskterm_search_attachment_text()",
    "DROP FUNCTION deskterm_search_contact()",
    "DROP FUNCTION deskterm_search_organization()",
    "DROP FUNCTION deskterm_search_case_row(integer)",
    "DROP VIEW search_rows",
    "DROP TABLE search_text",
    "DROP TABLE search_backlog",
]


def create(connection: Connection) -> None:
    """The index's tables and triggers, every existing row in the backlog (the
    migrations; `attachment_texts` must exist)."""
    statements = sqlite_statements() if connection.dialect.name == "sqlite" else pg_statements()
    for statement in statements:
        connection.exec_driver_sql(statement)
    for source in SOURCES:
        connection.execute(
            text(
                "INSERT INTO search_backlog (source, done_upto, last) "
                f"SELECT :source, 0, coalesce(max({_ID_COLUMN[source]}), 0) FROM {source}"
            ),
            {"source": source},
        )


def drop(connection: Connection) -> None:
    """Everything but `attachment_texts` (words read from files: not to be lost)."""
    statements = SQLITE_DROP if connection.dialect.name == "sqlite" else PG_DROP
    for statement in statements:
        connection.exec_driver_sql(statement)


# --- building and checking --------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    left: int  # ids still to index, over every source (about as many rows)
    # Every text is in, the index still to finish: SQLite, its segments to merge;
    # PostgreSQL, its words index and its rows' foreign key to make (`build`).
    merging: bool = False

    @property
    def empty(self) -> bool:
        return self.left <= 0 and not self.merging


def backlog(connection: Connection) -> Backlog | None:
    """What is still to index; None where the desk has no index (an older schema)."""
    rows = connection.execute(text("SELECT source, done_upto, last FROM search_backlog")).all()
    if not rows:
        return None
    left = sum(max(0, last - done) for source, done, last in rows if source != MERGE)
    return Backlog(left, any(source == MERGE and done < last for source, done, last in rows))


def has_index(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM search_backlog")).all()
        return True
    except Exception:  # noqa: BLE001 - no such table: an older schema
        return False


Progress = Callable[[int, int], None]  # rows done, rows in all


def build(
    engine: Engine,
    progress: Progress | None = None,
    batch: int = BATCH,
    merging: Progress | None = None,
    words: Callable[[], None] | None = None,
) -> int:
    """Index the backlog, a range of ids of one source per transaction, then (SQLite)
    merge the index's segments, a step per transaction (`merging`: pages of it
    merged, pages in all), or (PostgreSQL) make the words index and the rows' foreign
    key if they are missing (`words`: called before the index); resumable at any point. Returns the number of ids
    covered (about the rows indexed)."""
    with engine.connect() as connection:
        state = backlog(connection)
    if state is None or state.empty:
        return 0
    sqlite = engine.dialect.name == "sqlite"
    with writer(engine).connect() as connection, _building(connection):
        done = 0
        if state.left > 0:
            with connection.begin():
                if sqlite:
                    _upsert_backlog(connection, MERGE, 0, 1)  # (a build of an older version's)
                    fts5_settings(connection, BUILD_SETTINGS)
                elif connection.execute(text(_EMPTY)).scalar_one():
                    _leave_words_index_and_link(connection)
            done = _index_texts(connection, state.left, progress, batch)
        if sqlite:
            _merge_segments(connection, merging)
    if not sqlite:
        _make_words_index_and_link(engine, words)
    return done


_EMPTY = "SELECT NOT EXISTS (SELECT 1 FROM search_text)"


def _leave_words_index_and_link(connection: Connection) -> None:
    """PostgreSQL: the build about to fill an empty index goes without its words index
    and its rows' foreign key; the backlog's last row (`MERGE`) says they are still to
    make. (Cases are never deleted: no row can lose its case meanwhile.)"""
    connection.exec_driver_sql(f"DROP INDEX IF EXISTS {_PG_WORDS}")
    connection.exec_driver_sql(f"ALTER TABLE search_text DROP CONSTRAINT IF EXISTS {_PG_LINK}")
    _upsert_backlog(connection, MERGE, 0, 1)


def _make_words_index_and_link(engine: Engine, words: Callable[[], None] | None) -> None:
    """PostgreSQL: make the words index and the foreign key if the backlog says they
    are still to make (over again where a build stopped while making them left them
    invalid), then mark them made. Each lets the engineers' changes go on: the index
    CONCURRENTLY (81 s at a million cases), the key added unchecked and then checked
    in one pass (4 s), outside any transaction of this process, which they would wait
    for."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        if not _merge_due(connection):
            return
        _make_link(connection)
        valid = connection.execute(
            text("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)"),
            {"name": _PG_WORDS},
        ).scalar()
        if not valid:
            if valid is not None:
                connection.exec_driver_sql(f"DROP INDEX CONCURRENTLY {_PG_WORDS}")
            if words is not None:
                words()
            connection.exec_driver_sql(f"SET maintenance_work_mem = '{_PG_WORDS_MEMORY}'")
            try:
                connection.exec_driver_sql(
                    _PG_WORDS_INDEX.replace("INDEX", "INDEX CONCURRENTLY", 1)
                )
            finally:
                connection.exec_driver_sql("RESET maintenance_work_mem")
        _upsert_backlog(connection, MERGE, 1, 1)


@contextmanager
def _building(connection: Connection) -> Iterator[None]:
    """SQLite: the connection's settings for a build, put back after it (the connection
    goes back to the pool). Freed pages are not overwritten with zeros: SQLite built
    with SECURE_DELETE (Debian's) writes each page the reset and the merge free once
    more, 2.5 GB at 1M cases. What they free is the index's own copy of words, which
    FTS5 keeps past a text's change until a merge anyway; the build deletes no row of
    the desk. A larger page cache spares reading the same pages again (a tenth of
    the CPU)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection  # outside any transaction
    assert raw is not None
    before = {name: int(raw.execute(f"PRAGMA {name}").fetchone()[0]) for name in BUILD_PRAGMAS}
    for name, value in BUILD_PRAGMAS.items():
        raw.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        for name, value in before.items():
            raw.execute(f"PRAGMA {name} = {value}")


def _index_texts(connection: Connection, total: int, progress: Progress | None, batch: int) -> int:
    done = 0
    for source in SOURCES:
        while True:
            with connection.begin():
                row = connection.execute(
                    text("SELECT done_upto, last FROM search_backlog WHERE source = :source"),
                    {"source": source},
                ).one()
                start, last = row
                if start >= last:
                    break
                end = min(last, start + batch)
                if connection.dialect.name == "sqlite":
                    _index_range(connection, source, start, end)
                else:
                    _index_range_in_parts(connection, source, start, end)
                connection.execute(
                    text("UPDATE search_backlog SET done_upto = :end WHERE source = :source"),
                    {"end": end, "source": source},
                )
            done += end - start
            if progress is not None:
                progress(min(done, total), total)
    if progress is not None and done < total:
        progress(total, total)
    return done


def _make_link(connection: Connection) -> None:
    validated = connection.execute(
        text(
            "SELECT convalidated FROM pg_constraint "
            "WHERE conrelid = 'search_text'::regclass AND conname = :name"
        ),
        {"name": _PG_LINK},
    ).scalar()
    if validated is None:
        connection.exec_driver_sql(_PG_LINK_ADD)
    if not validated:
        connection.exec_driver_sql(f"ALTER TABLE search_text VALIDATE CONSTRAINT {_PG_LINK}")


def _index_range_in_parts(connection: Connection, source: str, start: int, end: int) -> None:
    """PostgreSQL: index ids `start` to `end` of `source` in PG_PARTS parts at once, the
    first in `connection`'s transaction, the others each in a transaction of its own on
    a connection of its own, committed before the caller's records the range done (a
    build stopped in between finds their rows there: `_index_range`)."""
    step = -(-(end - start) // PG_PARTS)
    bounds = [(a, min(end, a + step)) for a in range(start, end, step)]

    def apart(a: int, b: int) -> None:
        with connection.engine.begin() as other:
            _index_range(other, source, a, b)

    with ThreadPoolExecutor(max_workers=len(bounds) - 1 or 1) as pool:
        others = [pool.submit(apart, a, b) for a, b in bounds[1:]]
        _index_range(connection, source, *bounds[0])
        for other in others:
            other.result()


def _merge_segments(connection: Connection, progress: Progress | None) -> None:
    """Merge the segments the build wrote (one per transaction) into one, MERGE_PAGES
    at a time, each step in a transaction of its own: FTS5 keeps a merge under way in
    its structure record, so the next step (or the next build, after an interruption)
    goes on with it. Segments other writers add meanwhile are small and merged along;
    FTS5's defaults are put back in the transaction of the last step."""
    with connection.begin():
        if not _merge_due(connection):
            return
        fts5_settings(connection, MERGE_SETTINGS)
        total = max(1, sum(pages for _merging, level in _structure(connection) for pages in level))
    raw = connection.connection.dbapi_connection
    assert raw is not None
    done = 0
    while True:
        with connection.begin():
            before = raw.total_changes
            if any(
                merging or len(level) >= MERGE_SETTINGS["usermerge"]
                for merging, level in _structure(connection)
            ):
                connection.exec_driver_sql(
                    f"INSERT INTO search_text(search_text, rank) VALUES ('merge', {MERGE_PAGES})"
                )
            if raw.total_changes - before <= 1:  # nothing (more) to merge: it is one segment
                _merged(connection)
                break
        done = min(total, done + MERGE_PAGES)
        if progress is not None:
            progress(done, total)
    if progress is not None and done < total:
        progress(total, total)


def _merged(connection: Connection) -> None:
    """The build is over: FTS5's own defaults back (as if never set, as the sweep
    expects), the merge's row of the backlog done."""
    for name, value in FTS5_DEFAULTS.items():
        fts5_set(connection, name, value)  # so read by every connection
    names = ", ".join(f"'{name}'" for name in FTS5_DEFAULTS)
    connection.exec_driver_sql(f"DELETE FROM search_text_config WHERE k IN ({names})")
    _upsert_backlog(connection, MERGE, 1, 1)


def _merge_due(connection: Connection) -> bool:
    due = connection.execute(
        text("SELECT done_upto < last FROM search_backlog WHERE source = :source"),
        {"source": MERGE},
    ).scalar_one_or_none()
    return bool(due)


def fts5_settings(connection: Connection, settings: dict[str, int]) -> None:
    for name, value in settings.items():
        fts5_set(connection, name, value)


def fts5_set(connection: Connection, name: str, value: int) -> None:
    """One of FTS5's settings: kept in search_text_config, and read by every connection
    from its next transaction on (FTS5 marks the index's structure as changed)."""
    connection.exec_driver_sql(
        "INSERT INTO search_text(search_text, rank) VALUES (?, ?)", (name, int(value))
    )


def optimize(connection: Connection) -> None:
    """FTS5's index merged into one segment (SQLite; store/bulk_load.py says when)."""
    connection.exec_driver_sql("INSERT INTO search_text(search_text) VALUES ('optimize')")


def _structure(connection: Connection) -> list[tuple[int, list[int]]]:
    block = connection.exec_driver_sql(
        "SELECT block FROM search_text_data WHERE id = 10"
    ).scalar_one_or_none()
    return [] if block is None else segment_levels(bytes(block))


def segment_levels(block: bytes) -> list[tuple[int, list[int]]]:
    """Each level of an FTS5 structure record (the row of id 10 in search_text_data):
    the segments its merge in progress takes (0: none), and the pages of each of its
    segments. Its format: FTS5's fts5_index.c, fts5StructureDecode."""
    at = 8 if block[4:8] == b"\xff\x00\x00\x01" else 4  # a cookie, a version mark
    extra = 5 if at == 8 else 0  # five more numbers a segment in version 2

    def number() -> int:
        nonlocal at
        value = 0
        for _ in range(8):
            byte = block[at]
            at += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                return value
        at += 1
        return (value << 8) | block[at - 1]

    count, _segments, _written = number(), number(), number()
    levels = []
    for _ in range(count):
        merging, segments = number(), number()
        pages = []
        for _ in range(segments):
            _id, first, last = number(), number(), number()
            for _ in range(extra):
                number()
            pages.append(last - first + 1)
        levels.append((merging, pages))
    return levels


def _upsert_backlog(connection: Connection, source: str, done: int, last: int) -> None:
    connection.execute(
        text(
            "INSERT INTO search_backlog (source, done_upto, last) VALUES (:source, :done, :last) "
            "ON CONFLICT (source) DO UPDATE SET done_upto = excluded.done_upto, "
            "last = excluded.last"
        ),
        {"source": source, "done": done, "last": last},
    )


# Past any id: the end of the backlog while a bulk load is under way (`deferred`).
_FAR = 2**62
BULK_SOURCES = ("cases", "events")


class Deferred:
    """The cases and events of a bulk load not indexed yet (see `deferred`)."""

    def __init__(self, connection: Connection, upto: dict[str, int]) -> None:
        self.connection = connection
        self.upto = upto  # per source: the highest id indexed, or there before the load

    def catch_up(self) -> None:
        """Index the rows written since the last call: the cases' rows and the events'
        merged in key order, so that FTS5 appends to its pending terms rather than
        starting a segment at every step back in row keys."""
        connection = self.connection
        end = {source: _highest(connection, source) for source in BULK_SOURCES}
        wheres = [
            (source, f"{_ID[source]} > {int(self.upto[source])} AND {_ID[source]} <= {end[source]}")
            for source in BULK_SOURCES
            if end[source] > self.upto[source]
        ]
        if not wheres:
            return
        if connection.dialect.name == "sqlite":
            rows = "\nUNION ALL\n".join(
                _rows("sqlite", source, where, now=True) for source, where in wheres
            )
            statement = (
                f"INSERT INTO search_text({_SQLITE_COLUMNS}) SELECT d.row_key, d.subject, "
                f"d.contact, d.author, d.body FROM ({rows}) d ORDER BY d.row_key"
            )
        else:
            documents = "\nUNION ALL\n".join(_pg_documents(s, where) for s, where in wheres)
            statement = (
                f"INSERT INTO search_text (id, case_id, document) {documents} "
                "ON CONFLICT (id) DO NOTHING"
            )
        connection.exec_driver_sql(statement)
        self.upto = end


@contextmanager
def deferred(connection: Connection) -> Iterator[Deferred | None]:
    """Index the cases and events written in the block set-based, in the caller's
    transaction, instead of a trigger call per row: as the block goes
    (`Deferred.catch_up`) and at its end.

    For a bulk load (deskterm.desk.demo) that appends cases and their events: the
    new ids are put in the backlog, so the triggers leave them, and the backlog is
    put back as it was at the end. Where the backlog is not empty (a build is
    pending), the triggers index each row as usual and the block gets None.
    """
    found = {
        source: (int(done), int(last))
        for source, done, last in connection.execute(
            text("SELECT source, done_upto, last FROM search_backlog")
        )
    }
    if any(source not in found for source in BULK_SOURCES) or any(
        done < last for source, (done, last) in found.items() if source in SOURCES
    ):
        yield None
        return
    highest = {source: _highest(connection, source) for source in BULK_SOURCES}
    for source in BULK_SOURCES:
        _set_backlog(connection, source, highest[source], _FAR)
    pending = Deferred(connection, highest)
    yield pending
    pending.catch_up()
    for source in BULK_SOURCES:
        _set_backlog(connection, source, *found[source])


def _highest(connection: Connection, source: str) -> int:
    column = _ID_COLUMN[source]
    statement = text(f"SELECT coalesce(max({column}), 0) FROM {source}")
    return int(connection.execute(statement).scalar_one())


def _set_backlog(connection: Connection, source: str, done: int, last: int) -> None:
    connection.execute(
        text("UPDATE search_backlog SET done_upto = :done, last = :last WHERE source = :source"),
        {"done": done, "last": last, "source": source},
    )


def _index_range(connection: Connection, source: str, start: int, end: int) -> None:
    """Index ids `start` to `end` of `source`. PostgreSQL: where some of their rows are
    in already (a build stopped between the parts of a range), the range goes again
    without them: ON CONFLICT DO NOTHING on every range would cost each row a lookup
    of its key before it is written (11 s in the 62 s of the 1M demo desk's events)."""
    where = f"{_ID[source]} > :a AND {_ID[source]} <= :b"
    bounds = {"a": start, "b": end}
    if connection.dialect.name == "sqlite":
        connection.execute(text(_sqlite_add(source, where, now=True)), bounds)
        return
    adding = _pg_add(source, where)
    leaving_rows_there = text(f"{adding} ON CONFLICT (id) DO NOTHING")
    if source == "cases":  # a change may have written a case's row first (pg_case_functions)
        connection.execute(leaving_rows_there, bounds)
        return
    try:
        with connection.begin_nested():
            connection.execute(text(adding), bounds)
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != _UNIQUE_VIOLATION:
            raise
        connection.execute(leaving_rows_there, bounds)


def reset(engine: Engine) -> None:
    """Empty the index and put every row back in the backlog (`deskterm db reindex`)."""
    with writer(engine).connect() as connection, _building(connection), connection.begin():
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("INSERT INTO search_text(search_text) VALUES ('delete-all')")
        else:
            connection.exec_driver_sql("TRUNCATE search_text")
            _leave_words_index_and_link(connection)
        for source in SOURCES:
            column = _ID_COLUMN[source]
            connection.execute(
                text(
                    "UPDATE search_backlog SET done_upto = 0, "
                    f"last = (SELECT coalesce(max({column}), 0) FROM {source}) "
                    "WHERE source = :source"
                ),
                {"source": source},
            )
        if connection.dialect.name == "sqlite":
            _upsert_backlog(connection, MERGE, 0, 1)


def problems(engine: Engine) -> list[str]:
    """What is wrong with the index against its tables (empty: it matches)."""
    with engine.connect() as connection:
        state = backlog(connection)
        if state is None:
            return ["the desk has no search index (run deskterm db upgrade)"]
        if state.left > 0:  # (every text in, its segments still to merge: searchable)
            return [f"{state.left:,} text(s) not indexed yet (run deskterm db reindex)"]
        if connection.dialect.name == "sqlite":
            try:
                connection.exec_driver_sql(
                    "INSERT INTO search_text(search_text, rank) VALUES ('integrity-check', 1)"
                )
            except Exception as error:  # noqa: BLE001 - the check's own words are the answer
                connection.rollback()
                return [f"the index does not match the cases: {_first_line(error)}"]
            connection.rollback()
            return []
        return _pg_problems(connection)


def _pg_problems(connection: Connection) -> list[str]:
    missing = connection.execute(
        text(
            "SELECT count(*) FROM search_rows d WHERE NOT EXISTS "
            "(SELECT 1 FROM search_text s WHERE s.id = d.row_key)"
        )
    ).scalar_one()
    extra = connection.execute(
        text(
            "SELECT count(*) FROM search_text s WHERE NOT EXISTS "
            "(SELECT 1 FROM search_rows d WHERE d.row_key = s.id)"
        )
    ).scalar_one()
    stale = connection.execute(
        text(
            "SELECT count(*) FROM search_text s JOIN search_rows d ON d.row_key = s.id "
            f"WHERE s.document IS DISTINCT FROM ({pg_vector_sql()})"
        )
    ).scalar_one()
    found = []
    if missing:
        found.append(f"{missing} text(s) missing from the index (run deskterm db reindex)")
    if extra:
        found.append(f"{extra} indexed text(s) no longer on the desk (run deskterm db reindex)")
    if stale:
        found.append(f"{stale} text(s) indexed with old words (run deskterm db reindex)")
    return found


def _first_line(error: Any) -> str:
    message = str(getattr(error, "orig", None) or error)
    return message.splitlines()[0] if message else type(error).__name__
