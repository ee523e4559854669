"""The first search index (migration 0006_search), frozen as it was: one document per case.

Migration 0006 creates it and migration 0008_search_rows drops it for the index
of deskterm.store.search_index (a row per text), which indexes each text once when
it is written instead of a case's whole text on every change. Nothing else uses it.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

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


def create(connection: Connection, keep_attachment_texts: bool = False) -> None:
    """The index's tables and triggers, every existing case in the backlog (migration 0006;
    `keep_attachment_texts`: that table exists already, as 0008's downgrade finds it)."""
    statements = sqlite_statements() if connection.dialect.name == "sqlite" else pg_statements()
    for statement in statements:
        if keep_attachment_texts and "attachment_texts (" in statement:
            continue
        connection.exec_driver_sql(statement)
    last = connection.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar_one()
    connection.execute(
        text("INSERT INTO search_backlog (id, done_upto, last) VALUES (1, 0, :last)"),
        {"last": last},
    )


def drop(connection: Connection, keep_attachment_texts: bool = False) -> None:
    """Drop the index; `keep_attachment_texts`: all but the words read from attachments
    (which the database cannot read again from the files)."""
    statements = SQLITE_DROP if connection.dialect.name == "sqlite" else PG_DROP
    for statement in statements:
        if keep_attachment_texts and statement == "DROP TABLE attachment_texts":
            continue
        connection.exec_driver_sql(statement)
