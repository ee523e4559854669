"""HTML mail as readable plain text, with the standard library's html.parser.

Why not a library: html2text is GPL-licensed (deskterm is MIT) and
beautifulsoup4's get_text() loses the paragraph and list structure a reader
needs; what mail clients send (paragraphs, line breaks, lists, links, quotes,
simple tables) is a page of code on html.parser, which never fails on bad HTML.
Scripts, styles and the head are dropped; entities are decoded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "section", "article", "header", "footer", "blockquote", "pre",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "hr", "address",
}  # fmt: skip
_HIDDEN = {"script", "style", "head", "title", "template"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.pre = 0
        self.quote = 0
        self.links: list[str | None] = []

    def _newline(self, count: int = 1) -> None:
        self.parts.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self._newline()
        elif tag == "li":
            self._newline()
            self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append("\t")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag in _BLOCK:
            self._newline(2)
            if tag == "pre":
                self.pre += 1
            elif tag == "blockquote":
                self.quote += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith(("mailto:", "#")) and href not in self.parts[-1:]:
                self.parts.append(f" ({href})")
        elif tag in _BLOCK:
            self._newline(2)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag == "blockquote":
                self.quote = max(0, self.quote - 1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        if self.quote:
            data = data.replace("\n", "\n> ")
            if not self.parts or self.parts[-1].endswith("\n"):
                data = "> " + data.lstrip()
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML document: paragraphs, lists and links kept."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.rstrip() if line.strip() else "" for line in text.split("\n")]
    lines = [line.lstrip(" ") if not line.startswith("> ") else line for line in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
