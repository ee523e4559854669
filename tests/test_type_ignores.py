"""Every `type: ignore` in the package names its error code and says why.

mypy runs strict on all of `src/deskterm` (docs/architecture.md, "Types"): an
ignore switches that off for one line, so a reader must see which check is
silenced and why the code is right anyway; a bare one hides the next real error
on the same line. mypy itself refuses an ignore without a code
(`ignore-without-code` in pyproject.toml); this test asks for the reason too.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "deskterm"

# `# type: ignore[code, code]  # a reason with at least one word`.
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s*#\s*\S.*\w")
IGNORE = re.compile(r"#\s*type:\s*ignore\b")


def unexplained(source: str) -> list[tuple[int, str]]:
    """The comments of `source` that silence mypy without a code and a reason."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT or not IGNORE.search(token.string):
            continue
        if not EXPLAINED.search(token.string):
            found.append((token.start[0], token.string))
    return found


def test_the_check_tells_an_explained_ignore_from_a_bare_one() -> None:
    source = (
        "a = 1  # type: ignore\n"
        "b = 2  # type: ignore[attr-defined]\n"
        "c = 3  # type: ignore[attr-defined]  #\n"
        "d = 4  # type: ignore[arg-type]  # Textual's kwargs are untyped\n"
        "e = 5  # type: ignore[misc, override]  # the base class is untyped\n"
        "f = '# type: ignore'\n"
    )
    assert [line for line, _ in unexplained(source)] == [1, 2, 3]


def test_every_type_ignore_in_the_package_names_its_code_and_why() -> None:
    found = [
        f"{path.relative_to(SRC.parent)}:{line}: {comment}"
        for path in sorted(SRC.rglob("*.py"))
        for line, comment in unexplained(path.read_text(encoding="utf-8"))
    ]
    assert found == []
