"""Horizontal bar charts in block characters: readable at 80x24 and without colour.

Hand-made rather than plotext: a chart of a dozen labelled bars needs no axes or
canvas, renders the same in a snapshot, a pipe or NO_COLOR, and costs nothing
to repaint every half minute on a wall screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"


def bar(value: float, most: float, cells: int) -> str:
    """`value` as a bar of `cells` at most (the largest value fills them all), in eighths."""
    if most <= 0 or value <= 0 or cells <= 0:
        return ""
    eighths = max(1, round(value / most * cells * 8))  # a non-zero value is always seen
    whole, part = divmod(eighths, 8)
    return FULL * whole + (EIGHTHS[part] if part else "")


def bar_chart(
    items: Sequence[tuple[str, float]],
    width: int,
    *,
    value_text: Sequence[str] | None = None,
    style: str = "",
    most: float | None = None,
) -> Text:
    """One line per item: label, bar, value; the bars share one scale (`most` fills a line)."""
    texts = list(value_text) if value_text is not None else [f"{v:g}" for _, v in items]
    label_width = max((len(label) for label, _ in items), default=0)
    value_width = max((len(t) for t in texts), default=0)
    cells = max(1, width - label_width - value_width - 3)
    if most is None:
        most = max((v for _, v in items), default=0)
    text = Text(no_wrap=True, overflow="crop")
    for i, ((label, value), shown) in enumerate(zip(items, texts, strict=True)):
        text.append(f"{label:<{label_width}} ")
        drawn = bar(value, most, cells)
        text.append(drawn, style)
        text.append(" " * (cells - len(drawn)) + f" {shown:>{value_width}}")
        if i < len(items) - 1:
            text.append("\n")
    return text
