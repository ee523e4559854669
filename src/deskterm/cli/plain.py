"""What `case show` and `case list` print, described once and printed by Rich, or,
into a pipe or a file, without loading Rich when the result is the same.

Rich costs a tenth of `deskterm case list`'s start-up (importing it and laying out
the table; bench/cli_bench.py). Into a pipe or a file it prints no style, at 1000
columns (deskterm.cli.output.console), and what it prints there is simple: cells
padded to the widest in their column, two spaces between columns, every line of a
cell on a line of its own. `plain_text` writes exactly that for the pages it can,
and says None for anything else (a terminal or FORCE_COLOR/TTY_COMPATIBLE, a tab
or a control character, a line wider than 1000 columns, an encoding other than
UTF-8, our own words that Rich would read as markup), which Rich then prints.
tests/cli/test_plain.py checks that both print the same.
"""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

# Where deskterm.cli.output.console prints to a pipe or a file.
PIPE_WIDTH = 1000


class Said(NamedTuple):
    """Text printed as it is (rich.text.Text: never read as markup), in a style that
    shows on a terminal only."""

    text: str
    style: str = ""


# A cell or a line: Said, or a str of deskterm's own words, which Rich reads as
# console markup (as `Console.print` and `Table.add_row` read a str).
Cell = Said | str


class Column(NamedTuple):
    header: str = ""
    style: str = ""
    no_wrap: bool = False


class Grid(NamedTuple):
    """A table without borders (`rich.table.Table(box=None, pad_edge=False)`)."""

    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]
    show_header: bool = True


Item = Cell | Grid
Page = Sequence[Item]


def print_page(page: Page, console: Console | None = None) -> None:
    """Print the page: as plain text when that is what Rich would print, else by Rich."""
    if console is None:
        text = plain_text(page) if _plain_output() else None
        if text is not None:
            _write(text)
            return
        from deskterm.cli.output import console as make_console

        console = make_console()
    for item in page:
        console.print(_rich(item))


def _rich(item: Item) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    if isinstance(item, Said):
        return Text(item.text, style=item.style)
    if isinstance(item, str):
        return item
    table = Table(box=None, pad_edge=False, show_header=item.show_header)
    for column in item.columns:
        table.add_column(column.header, style=column.style or None, no_wrap=column.no_wrap)
    for row in item.rows:
        table.add_row(*(_rich(cell) for cell in row))
    return table


def _plain_output() -> bool:
    """Rich would see no terminal (rich.console.Console.is_terminal) and can print
    to the stream as it is (UTF-8, which holds every character)."""
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    if sys.platform == "win32":  # Rich may write through the Windows console API there
        return False
    if hasattr(builtins, "get_ipython"):  # Jupyter: Rich's own output there
        return False
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except ValueError:  # closed: Rich takes that for "no terminal" and so do we
        return True


def _write(text: str) -> None:
    """Written and flushed at once, as Rich does. A reader gone (`| head`) ends the
    command with exit code 1 and nothing said: the parser's main loop (click's, in
    typer) takes the broken pipe so (tests/cli/test_start_up.py)."""
    sys.stdout.write(text)
    sys.stdout.flush()


# --- plain text ------------------------------------------------------------------


def plain_text(page: Page) -> str | None:
    """What Rich prints for the page into a pipe or a file, or None where this module
    cannot be sure of it."""
    out: list[str] = []
    for item in page:
        if isinstance(item, Grid):
            lines = _grid_lines(item)
        else:
            lines = _cell_lines(item)
            if lines is not None and any(_width(line) > PIPE_WIDTH for line in lines):
                lines = None
        if lines is None:
            return None
        out.extend(f"{line}\n" for line in lines)
    return "".join(out)


def _cell_lines(cell: Cell) -> list[str] | None:
    """The cell's lines as Rich prints them, or None when unsure."""
    if isinstance(cell, Said):
        text = cell.text
        if not _inert(text.replace("\n", "")):
            return None
        return text.split("\n")
    # A str is markup to Rich: only words with no tag ([). Emoji codes (:name:) it
    # leaves as written (deskterm.cli.output.console).
    if "[" in cell or not _inert(cell):
        return None
    return [cell]


def _inert(text: str) -> bool:
    """No character Rich would drop, expand or measure otherwise: controls (Rich
    strips some), tabs (it expands them)."""
    return text.isprintable()


def _width(line: str) -> int:
    if line.isascii():
        return len(line)
    from rich.cells import cell_len  # wide and zero-width characters, as Rich counts them

    return cell_len(line)


def _grid_lines(grid: Grid) -> list[str] | None:
    count = len(grid.columns)
    if not grid.rows:
        return None  # Rich's empty table: not worth knowing by heart
    given: list[Sequence[Cell]] = list(grid.rows)
    if grid.show_header:
        given.insert(0, [column.header for column in grid.columns])
    rows: list[list[list[str]]] = []  # each row's cells, each cell's lines
    for row in given:
        if len(row) != count:
            return None
        cells: list[list[str]] = []
        for cell in row:
            cell_lines = _cell_lines(cell)
            if cell_lines is None:
                return None
            cells.append(cell_lines)
        rows.append(cells)
    widths = [
        max((_width(line) for row in rows for line in row[i]), default=0) for i in range(count)
    ]
    # Padding (0, 1) but not at the table's edges (pad_edge=False).
    left = [0 if i == 0 else 1 for i in range(count)]
    right = [0 if i == count - 1 else 1 for i in range(count)]
    if sum(widths) + sum(left) + sum(right) > PIPE_WIDTH:
        return None  # Rich would shrink or wrap columns
    for i in range(count):
        if widths[i] + left[i] + right[i] == 0:
            return None  # Rich gives such a column a width of 1
        if widths[i] == 0 and any(line for row in rows for line in row[i]):
            return None  # only zero-width characters: Rich crops them to the width, 0
        if widths[i] == 0 and any(len(row[i]) > 1 for row in rows):
            return None  # blank lines in a column of width 0: Rich prints fewer rows
    printed: list[str] = []
    for cells in rows:
        for n in range(max(len(lines) for lines in cells)):  # a short cell: blank below
            parts = []
            for i, lines in enumerate(cells):
                line = lines[n] if n < len(lines) else ""
                pad = widths[i] - _width(line)
                parts.append(" " * left[i] + line + " " * pad + " " * right[i])
            printed.append("".join(parts))
    return printed
