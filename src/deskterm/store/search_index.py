"""The full-text index of every case: what it holds, how the database keeps it in step.

One document per case, in four fields a query can name:

    subject   the case's subject
    contact   the contact's name, e-mail address and phone number (and the phone's
              digits as one word, whole and its last 7 to 15 digits, so `5550100`
              finds `+1 (555) 0100`), and who asked (intake)
    author    who wrote each entry of the timeline (`from:`)
    body      the case number, description and intake answers, the organization's name, every
              timeline text (replies, notes, calls, customer messages, reasons),
              attachment names and the text of text attachments

Triggers keep the index in step in the transaction of every change, whichever
program writes (triggers on `events` are AFTER INSERT only and write nothing to
`events`: it is append-only).

SQLite: an FTS5 table whose content is the view `search_documents` (external
content: no second copy of the text); tokenizer unicode61 with diacritics removed.
A change deletes the case's old document from the index (computed as it was before
the change: the view without the new event, or from the BEFORE UPDATE row) and adds
the new one. PostgreSQL: a `tsvector` per case in `case_search`, GIN-indexed,
recomputed by a trigger function; subject weighs A, contact B, author C, body D.

An existing desk gets its index in batches (`build`): `search_backlog` says which
case ids are still to do, so an interrupted build resumes; meanwhile the triggers
leave those cases alone (deleting a document never added would corrupt FTS5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

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
BATCH = 5_000  # cases per transaction while building the index of an existing desk

TABLES = ("case_search", "search_backlog", "attachment_texts")
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


# --- the document of one case, in each dialect ------------------------------------------


def _sqlite_digits(value: str) -> str:
    for separator in (" ", "-", "(", ")", "+", ".", "/"):
        value = f"replace({value}, '{separator}', '')"
    return value


def _sqlite_phone_words(phone: str) -> str:
    digits = _sqlite_digits(phone)
    suffixes = " || ' ' || ".join(
        f"(CASE WHEN length({digits}) >= {n} THEN substr({digits}, -{n}) ELSE '' END)"
        for n in range(7, 16)
    )
    return f"(CASE WHEN {phone} IS NULL THEN '' ELSE {digits} || ' ' || {suffixes} END)"


def _sqlite_document(case: str, skipped_event: str) -> str:
    """SELECT case_id, subject, contact, author, body for case `case` (SQL expression), its
    timeline without event `skipped_event` (the one being added: its old document)."""
    timeline = (
        # Cut as bytes: substr() on text stops at a NUL, and the words after it would
        # be lost (a cut inside a character only drops that character).
        "SELECT e.actor AS actor, CAST(substr(CAST(CASE WHEN e.kind = 'attach' THEN "
        f"e.new_value ELSE e.text END AS BLOB), 1, {TEXT_INDEXED}) AS TEXT) AS words "
        "FROM events e "
        f"WHERE e.case_id = c.id AND e.id IS NOT {skipped_event} ORDER BY e.id"
    )
    attachments = (
        f"SELECT substr(t.text, 1, {ATTACHMENT_INDEXED}) AS words FROM attachment_texts t "
        "WHERE t.case_id = c.id ORDER BY t.attachment_id"
    )
    intake = " || ' ' || ".join(f"c.{column}" for column in _INTAKE)
    return f"""SELECT c.id AS case_id, c.subject AS subject,
    coalesce(p.name, '') || ' ' || coalesce(p.email, '') || ' ' || coalesce(p.phone, '')
        || ' ' || {_sqlite_phone_words("p.phone")} || ' ' || c.inquirer AS contact,
    coalesce((SELECT group_concat(actor, ' ') FROM ({timeline})), '') AS author,
    c.number || ' ' || {intake} || ' ' || o.name
        || ' ' || coalesce((SELECT group_concat(words, ' ') FROM ({timeline})), '')
        || ' ' || coalesce((SELECT group_concat(words, ' ') FROM ({attachments})), '') AS body
FROM cases c JOIN organizations o ON o.id = c.organization_id
LEFT JOIN contacts p ON p.id = c.contact_id
WHERE {case}"""


def _pg_document(case: str) -> str:
    timeline = "FROM events e WHERE e.case_id = c.id"
    words = f"left(CASE WHEN e.kind = 'attach' THEN e.new_value ELSE e.text END, {TEXT_INDEXED})"
    intake = " || ' ' || ".join(f"c.{column}" for column in _INTAKE)
    phone_digits = "regexp_replace(p.phone, '[^0-9]', '', 'g')"
    suffixes = (
        f"(SELECT string_agg(right({phone_digits}, n), ' ' ORDER BY n) "
        f"FROM generate_series(7, least(15, length({phone_digits}))) AS n)"
    )
    return f"""SELECT c.id AS case_id, c.subject AS subject,
    coalesce(p.name, '') || ' ' || coalesce(p.email, '') || ' ' || coalesce(p.phone, '')
        || ' ' || coalesce({phone_digits} || ' ' || coalesce({suffixes}, ''), '')
        || ' ' || c.inquirer AS contact,
    coalesce((SELECT string_agg(e.actor, ' ' ORDER BY e.id) {timeline}), '') AS author,
    c.number::text || ' ' || {intake} || ' ' || o.name
        || ' ' || coalesce((SELECT string_agg({words}, ' ' ORDER BY e.id) {timeline}), '')
        || ' ' || coalesce((SELECT string_agg(left(t.text, {ATTACHMENT_INDEXED}), ' '
            ORDER BY t.attachment_id) FROM attachment_texts t WHERE t.case_id = c.id), '')
        AS body
FROM cases c JOIN organizations o ON o.id = c.organization_id
LEFT JOIN contacts p ON p.id = c.contact_id
WHERE {case}"""


# --- SQLite -----------------------------------------------------------------------------

_PENDING = "(SELECT count(*) FROM search_backlog b WHERE {case} > b.done_upto AND {case} <= b.last)"


def _sqlite_when(case: str) -> str:
    return _PENDING.format(case=case) + " = 0"


def _sqlite_delete(case: str, skipped_event: str = "NULL") -> str:
    return (
        "INSERT INTO case_search(case_search, rowid, subject, contact, author, body) "
        f"SELECT 'delete', d.* FROM ({_sqlite_document(case, skipped_event)}) d;"
    )


def _sqlite_insert(case: str) -> str:
    return (
        "INSERT INTO case_search(rowid, subject, contact, author, body) "
        f"SELECT d.* FROM ({_sqlite_document(case, 'NULL')}) d;"
    )


def _changed(columns: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns) + ")"


# Both databases: what is still to index, and the words of text attachments (the
# database cannot read the files; deskterm.desk.attachments writes them).
_TABLES = (
    "CREATE TABLE search_backlog (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "done_upto INTEGER NOT NULL, last INTEGER NOT NULL)",
    "CREATE TABLE attachment_texts (attachment_id INTEGER PRIMARY KEY "
    "REFERENCES attachments(id), case_id INTEGER NOT NULL REFERENCES cases(id), "
    "text TEXT NOT NULL)",
    "CREATE INDEX ix_attachment_texts_case_id ON attachment_texts (case_id)",
)


def sqlite_statements() -> list[str]:
    case_changed = _changed(_CASE_COLUMNS)
    contact_changed = _changed(("name", "email", "phone"))
    of_case = ", ".join(_CASE_COLUMNS)
    return [
        *_TABLES,
        f"CREATE VIEW search_documents AS {_sqlite_document('1', 'NULL')}",
        "CREATE VIRTUAL TABLE case_search USING fts5(subject, contact, author, body, "
        "content='search_documents', content_rowid='case_id', "
        f"tokenize=\"unicode61 remove_diacritics 2 separators '{SEPARATORS}'\")",
        # A new case: its document as first written.
        f"CREATE TRIGGER search_case_added AFTER INSERT ON cases "
        f"WHEN {_sqlite_when('NEW.id')} BEGIN {_sqlite_insert('c.id = NEW.id')} END",
        # A new event: out with the document as it was without it, in with the new one.
        f"CREATE TRIGGER search_event_added AFTER INSERT ON events "
        f"WHEN {_sqlite_when('NEW.case_id')} BEGIN "
        f"{_sqlite_delete('c.id = NEW.case_id', 'NEW.id')} "
        f"{_sqlite_insert('c.id = NEW.case_id')} END",
        f"CREATE TRIGGER search_attachment_text_added AFTER INSERT ON attachment_texts "
        f"WHEN {_sqlite_when('NEW.case_id')} BEGIN "
        # The old document did not have this text: delete it as computed without.
        "INSERT INTO case_search(case_search, rowid, subject, contact, author, body) "
        "SELECT 'delete', d.case_id, d.subject, d.contact, d.author, "
        "substr(d.body, 1, length(d.body) - length(' ' || "
        f"substr(NEW.text, 1, {ATTACHMENT_INDEXED}))) "
        "FROM search_documents d WHERE d.case_id = NEW.case_id; "
        f"{_sqlite_insert('c.id = NEW.case_id')} END",
        f"CREATE TRIGGER search_case_changing BEFORE UPDATE OF {of_case} ON cases "
        f"WHEN {case_changed} AND {_sqlite_when('OLD.id')} BEGIN "
        f"{_sqlite_delete('c.id = OLD.id')} END",
        f"CREATE TRIGGER search_case_changed AFTER UPDATE OF {of_case} ON cases "
        f"WHEN {case_changed} AND {_sqlite_when('NEW.id')} BEGIN "
        f"{_sqlite_insert('c.id = NEW.id')} END",
        "CREATE TRIGGER search_contact_changing BEFORE UPDATE OF name, email, phone "
        f"ON contacts WHEN {contact_changed} BEGIN "
        f"{_sqlite_delete('c.contact_id = OLD.id AND ' + _sqlite_when('c.id'))} END",
        "CREATE TRIGGER search_contact_changed AFTER UPDATE OF name, email, phone "
        f"ON contacts WHEN {contact_changed} BEGIN "
        f"{_sqlite_insert('c.contact_id = NEW.id AND ' + _sqlite_when('c.id'))} END",
        "CREATE TRIGGER search_organization_renaming BEFORE UPDATE OF name ON organizations "
        f"WHEN OLD.name IS NOT NEW.name BEGIN "
        f"{_sqlite_delete('c.organization_id = OLD.id AND ' + _sqlite_when('c.id'))} END",
        "CREATE TRIGGER search_organization_renamed AFTER UPDATE OF name ON organizations "
        f"WHEN OLD.name IS NOT NEW.name BEGIN "
        f"{_sqlite_insert('c.organization_id = NEW.id AND ' + _sqlite_when('c.id'))} END",
    ]


SQLITE_DROP = [
    "DROP TRIGGER search_case_added",
    "DROP TRIGGER search_event_added",
    "DROP TRIGGER search_attachment_text_added",
    "DROP TRIGGER search_case_changing",
    "DROP TRIGGER search_case_changed",
    "DROP TRIGGER search_contact_changing",
    "DROP TRIGGER search_contact_changed",
    "DROP TRIGGER search_organization_renaming",
    "DROP TRIGGER search_organization_renamed",
    "DROP TABLE case_search",
    "DROP VIEW search_documents",
    "DROP TABLE attachment_texts",
    "DROP TABLE search_backlog",
]


# --- PostgreSQL -------------------------------------------------------------------------


def _pg_vector(field: str, weight: str) -> str:
    # ExactText stores a NUL as U+FFFF "0" here (deskterm.models.types): a separator.
    folded = (
        f"translate(regexp_replace(lower(replace(d.{field}, chr(65535) || '0', ' ')), "
        f"'[^[:alnum:]]+', ' ', 'g'), '{ACCENTED}', '{PLAIN}')"
    )
    return f"setweight(to_tsvector('simple', {folded}), '{weight}')"


def pg_vector_sql() -> str:
    return " || ".join(
        _pg_vector(field, weight) for field, weight in zip(FIELDS, "ABCD", strict=True)
    )


def pg_statements() -> list[str]:
    case_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _CASE_COLUMNS)
    contact_changed = " OR ".join(
        f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("name", "email", "phone")
    )
    pending = (
        "EXISTS (SELECT 1 FROM search_backlog b WHERE target > b.done_upto AND target <= b.last)"
    )
    return [
        *_TABLES,
        "CREATE TABLE case_search (case_id INTEGER PRIMARY KEY REFERENCES cases(id), "
        "document tsvector NOT NULL)",
        "CREATE INDEX ix_case_search_document ON case_search USING gin (document)",
        f"CREATE VIEW search_documents AS {_pg_document('true')}",
        # One case's document, recomputed; a document past tsvector's limits (1 MB)
        # keeps its first 200,000 characters of body rather than failing the change.
        f"""CREATE FUNCTION deskterm_search_refresh(target integer) RETURNS void AS $$
DECLARE
    vector tsvector;
BEGIN
    IF {pending} THEN
        RETURN;
    END IF;
    BEGIN
        SELECT {pg_vector_sql()} INTO vector FROM search_documents d WHERE d.case_id = target;
    EXCEPTION WHEN program_limit_exceeded THEN
        SELECT {pg_vector_sql().replace("d.body", "left(d.body, 200000)")} INTO vector
        FROM search_documents d WHERE d.case_id = target;
    END;
    INSERT INTO case_search (case_id, document) VALUES (target, vector)
    ON CONFLICT (case_id) DO UPDATE SET document = EXCLUDED.document;
END;
$$ LANGUAGE plpgsql""",
        """CREATE FUNCTION deskterm_search_case() RETURNS trigger AS $$
BEGIN
    PERFORM deskterm_search_refresh(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
        """CREATE FUNCTION deskterm_search_event() RETURNS trigger AS $$
BEGIN
    PERFORM deskterm_search_refresh(NEW.case_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
        """CREATE FUNCTION deskterm_search_contact() RETURNS trigger AS $$
BEGIN
    PERFORM deskterm_search_refresh(c.id) FROM cases c WHERE c.contact_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
        """CREATE FUNCTION deskterm_search_organization() RETURNS trigger AS $$
BEGIN
    PERFORM deskterm_search_refresh(c.id) FROM cases c WHERE c.organization_id = NEW.id;
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
        "FOR EACH ROW EXECUTE FUNCTION deskterm_search_event()",
        f"CREATE TRIGGER search_contact_changed AFTER UPDATE ON contacts FOR EACH ROW "
        f"WHEN ({contact_changed}) EXECUTE FUNCTION deskterm_search_contact()",
        "CREATE TRIGGER search_organization_renamed AFTER UPDATE ON organizations "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) "
        "EXECUTE FUNCTION deskterm_search_organization()",
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
    "DROP FUNCTION deskterm_search_contact()",
    "DROP FUNCTION deskterm_search_organization()",
    "DROP FUNCTION deskterm_search_refresh(integer)",
    "DROP VIEW search_documents",
    "DROP TABLE case_search",
    "DROP TABLE attachment_texts",
    "DROP TABLE search_backlog",
]


def create(connection: Connection) -> None:
    """The index's tables and triggers, every existing case in the backlog (migration 0003)."""
    statements = sqlite_statements() if connection.dialect.name == "sqlite" else pg_statements()
    for statement in statements:
        connection.exec_driver_sql(statement)
    last = connection.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar_one()
    connection.execute(
        text("INSERT INTO search_backlog (id, done_upto, last) VALUES (1, 0, :last)"),
        {"last": last},
    )


def drop(connection: Connection) -> None:
    statements = SQLITE_DROP if connection.dialect.name == "sqlite" else PG_DROP
    for statement in statements:
        connection.exec_driver_sql(statement)


# --- building and checking --------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    done_upto: int
    last: int
    cases_left: int

    @property
    def empty(self) -> bool:
        return self.done_upto >= self.last


def backlog(connection: Connection) -> Backlog | None:
    """What is still to index; None where the desk has no index (an older schema)."""
    row = connection.execute(
        text(
            "SELECT done_upto, last, (SELECT count(*) FROM cases c "
            "WHERE c.id > b.done_upto AND c.id <= b.last) FROM search_backlog b"
        )
    ).one_or_none()
    if row is None:
        return None
    return Backlog(row[0], row[1], row[2])


def has_index(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM search_backlog")).all()
        return True
    except Exception:  # noqa: BLE001 - no such table: an older schema
        return False


Progress = Callable[[int, int], None]  # cases done, cases in all


def build(engine: Engine, progress: Progress | None = None, batch: int = BATCH) -> int:
    """Index the backlog's cases, a batch per transaction (resumable); cases indexed."""
    done = 0
    with engine.connect() as connection:
        state = backlog(connection)
    if state is None or state.empty:
        return 0
    total = state.cases_left
    while True:
        with engine.begin() as connection:
            row = connection.execute(text("SELECT done_upto, last FROM search_backlog")).one()
            start, last = row
            if start >= last:
                break
            end = min(last, start + batch)
            _index_range(connection, start, end)
            done += connection.execute(
                text("SELECT count(*) FROM cases WHERE id > :a AND id <= :b"),
                {"a": start, "b": end},
            ).scalar_one()
            connection.execute(text("UPDATE search_backlog SET done_upto = :end"), {"end": end})
        if progress is not None:
            progress(done, total)
    return done


def _index_range(connection: Connection, start: int, end: int) -> None:
    where = {"a": start, "b": end}
    if connection.dialect.name == "sqlite":
        connection.execute(
            text(
                "INSERT INTO case_search(rowid, subject, contact, author, body) "
                "SELECT d.* FROM search_documents d WHERE d.case_id > :a AND d.case_id <= :b"
            ),
            where,
        )
    else:
        connection.execute(
            text(
                f"INSERT INTO case_search (case_id, document) SELECT d.case_id, "
                f"{pg_vector_sql()} FROM search_documents d "
                "WHERE d.case_id > :a AND d.case_id <= :b "
                "ON CONFLICT (case_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            where,
        )


def reset(engine: Engine) -> None:
    """Empty the index and put every case back in the backlog (`deskterm db reindex`)."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("INSERT INTO case_search(case_search) VALUES ('delete-all')")
        else:
            connection.exec_driver_sql("DELETE FROM case_search")
        last = connection.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar_one()
        connection.execute(
            text("UPDATE search_backlog SET done_upto = 0, last = :last"), {"last": last}
        )


def problems(engine: Engine) -> list[str]:
    """What is wrong with the index against its tables (empty: it matches)."""
    found = []
    with engine.connect() as connection:
        state = backlog(connection)
        if state is None:
            return ["the desk has no search index (run deskterm db upgrade)"]
        if not state.empty:
            found.append(f"{state.cases_left} case(s) not indexed yet (run deskterm db reindex)")
        if connection.dialect.name == "sqlite":
            try:
                connection.exec_driver_sql(
                    "INSERT INTO case_search(case_search, rank) VALUES ('integrity-check', 1)"
                )
            except Exception as error:  # noqa: BLE001 - the check's own words are the answer
                found.append(f"the index does not match the cases: {_first_line(error)}")
            connection.rollback()
        else:
            found += _pg_problems(connection, state)
    return found


def _pg_problems(connection: Connection, state: Backlog) -> list[str]:
    indexed = "(c.id <= b.done_upto OR c.id > b.last)"
    missing = connection.execute(
        text(
            f"SELECT count(*) FROM cases c, search_backlog b WHERE {indexed} AND NOT EXISTS "
            "(SELECT 1 FROM case_search s WHERE s.case_id = c.id)"
        )
    ).scalar_one()
    stale = connection.execute(
        text(
            f"SELECT count(*) FROM case_search s JOIN search_documents d USING (case_id) "
            f"WHERE s.document IS DISTINCT FROM ({pg_vector_sql()})"
        )
    ).scalar_one()
    found = []
    if missing:
        found.append(f"{missing} case(s) missing from the index (run deskterm db reindex)")
    if stale:
        found.append(f"{stale} case(s) indexed with old text (run deskterm db reindex)")
    return found


def _first_line(error: Any) -> str:
    message = str(getattr(error, "orig", None) or error)
    return message.splitlines()[0] if message else type(error).__name__
