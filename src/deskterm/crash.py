"""The last resort of the `deskterm` command: an error deskterm did not foresee (a
bug) is said in one line, and its traceback goes to a private file to report,
never onto the user's terminal. Bad input never gets here: it is refused in words
with exit code 2 (deskterm.cli.output).
"""

from __future__ import annotations

import os
import sys
import traceback

from deskterm.locations import CRASH_FILE, crash_file
from deskterm.safe_text import safe_line

__all__ = ["CRASH_FILE", "crash_file"]  # where: deskterm.locations
EX_SOFTWARE = 70  # sysexits.h: an internal software error


def report(error: BaseException) -> int:
    """Write `error`'s traceback to the crash file; say so in one line; the exit code."""
    path = crash_file()
    where = f"; the details are in {path}"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(error)))
    except OSError:
        where = ""
    # The message may quote customer text: its first line only, made inert.
    said = safe_line((str(error).splitlines() or [""])[0], 200)
    print(
        f"deskterm: internal error (a bug, please report it): {type(error).__name__}"
        f"{': ' + said if said else ''}{where}",
        file=sys.stderr,
        flush=True,
    )
    return EX_SOFTWARE
