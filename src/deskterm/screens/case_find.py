"""The case screen's `/`: find words in the timeline and step between the entries
that hold them (`n` next, `N` previous), as the queue's search finds cases.

Words are the search language's (deskterm.desk.search_query): without case or
accents, "phrases", prefix*; an -excluded word or a field prefix finds nothing
more here, since every entry of one case is shown anyway. A hit is a timeline
entry (its heading or its text) holding one of the words; the matched words are
marked on screen by the timeline (widgets/document.py), in reverse video, which
reads without colour too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deskterm.desk.search import matched_spans
from deskterm.desk.search_query import Term, term, tokens
from deskterm.widgets.document import Block, Document, Marker

TYPED_SHOWN = 40  # chars of what was typed repeated in the status


def terms_of(typed: str) -> tuple[Term, ...]:
    """The words to find in what was typed (an excluded word finds nothing)."""
    found = (term(token) for token in tokens(typed))
    return tuple(t for t in found if t is not None and not t.negated)


def _text_of(document: Document, index: int, block: Block) -> tuple[str, str]:
    head = "".join(piece for piece, _ in document.head_of(index))
    return head, block.body


def hits(document: Document, terms: Sequence[Term]) -> list[int]:
    """The blocks of `document` where one of `terms` matches, in order."""
    if not terms:
        return []
    found = []
    for index, block in enumerate(document.blocks):
        if any(matched_spans(text, terms) for text in _text_of(document, index, block)):
            found.append(index)
    return found


@dataclass
class Found:
    """A search of the timeline: what was typed, its words, its hits, the one shown."""

    typed: str
    terms: tuple[Term, ...]
    blocks: list[int]
    current: int = 0

    @property
    def block(self) -> int | None:
        return self.blocks[self.current] if self.blocks else None

    def step(self, direction: int) -> bool:
        """To the next (1) or previous (-1) hit; whether it went round the end."""
        if not self.blocks:
            return False
        moved = self.current + direction
        self.current = moved % len(self.blocks)
        return not 0 <= moved < len(self.blocks)

    def start_at(self, block: int) -> None:
        """The first hit at or below `block` (the top of the view), else the last one."""
        below = [n for n, index in enumerate(self.blocks) if index >= block]
        self.current = below[0] if below else max(len(self.blocks) - 1, 0)

    def status(self) -> str:
        """`hit 2 of 5`, or `no match: saml` (what was typed, as typed, in one line)."""
        if not self.terms:
            return "no words to find"
        if not self.blocks:
            shown = self.typed if len(self.typed) <= TYPED_SHOWN else self.typed[:39] + "…"
            return f"no match: {shown}"
        return f"hit {self.current + 1} of {len(self.blocks)}"


def find(document: Document, typed: str) -> Found:
    terms = terms_of(typed)
    found = Found(typed, terms, hits(document, terms))
    found.start_at(document.top_block)
    return found


def marker(terms: Sequence[Term]) -> Marker:
    """What the timeline marks: the matched words of `terms` in each line shown."""
    return lambda text: matched_spans(text, terms)
