"""PostgreSQL: a text's indexed words are the same whichever way the document is made.

deskterm.store.search_index folds accents with translate() only where a text has a
character outside ASCII (translate() was most of the cost of indexing a case). These
texts, written as users and customers write them (tests/hostile.py among them), get
the same tsvector as with translate() applied to every text, as it was before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from deskterm.store import search_index
from deskterm.store.engine import make_engine
from tests.hostile import PAYLOADS

pytestmark = pytest.mark.skipif(
    not os.environ.get("DESKTERM_TEST_PG"), reason="needs DESKTERM_TEST_PG"
)

TEXTS = [
    "",
    "Backup report e-mail has wrong job durations: catalog lock timeout after 600s",
    "jonas.hughes@kestrelhealth.test +1 (212) 555-0123",
    "Crème brûlée at the Café Zoë: naïve façade, São Paulo, Łódź, Đakovo",
    "ÀÉÎÕÜ ÇÑ upper-case accents",
    "Istanbul İSTANBUL ıstanbul dotless and dotted i",
    "Straße ß and ligatures ﬁ ﬂ",
    "日本語のテキスト and Ελληνικά and кириллица",
    "emoji 🚀 in a word: deploy🚀now",
    "a NUL\ufffe0inside" + chr(65535) + "0after",  # ExactText's stored NUL
    "tab\tand\nnewline\r\nand \x1b[31m escape",
    *(payload.text[:4000] for payload in PAYLOADS.values()),
]
# As PostgreSQL is sent them: UTF-8 (a lone surrogate is the store's to escape first).
TEXTS = [
    text for text in TEXTS if text.encode("utf-8", "replace") == text.encode("utf-8", "ignore")
]


def _everywhere(field: str, weight: str, value: str) -> str:
    """The document as made before: translate() on every text."""
    folded = (
        f"translate(regexp_replace(lower(replace(coalesce({value}, ''), chr(65535) || '0', ' ')), "
        f"'[^[:alnum:]]+', ' ', 'g'), '{search_index.ACCENTED}', '{search_index.PLAIN}')"
    )
    return f"setweight(to_tsvector('simple', {folded}), '{weight}')"


@pytest.fixture
def server() -> Iterator[Engine]:
    engine = make_engine(os.environ["DESKTERM_TEST_PG"])
    yield engine
    engine.dispose()


def test_each_text_has_the_words_it_had_with_accents_folded_everywhere(server: Engine) -> None:
    made = search_index._pg_vector("body", "D", "v.t")
    before = _everywhere("body", "D", "v.t")
    with server.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT v.n, ({made})::text, ({before})::text "
            "FROM unnest(%(texts)s::text[]) WITH ORDINALITY AS v(t, n) ORDER BY v.n",
            {"texts": [text.replace("\x00", chr(65535) + "0") for text in TEXTS]},
        ).all()
    assert len(rows) == len(TEXTS)
    differing = [(TEXTS[n - 1][:60], now, then) for n, now, then in rows if now != then]
    assert differing == []
    # Not a comparison of two empty documents: the accented words are folded.
    accented = rows[3][1]
    assert "'creme':1" in accented and "'zoe':6" in accented and "'facade':8" in accented
