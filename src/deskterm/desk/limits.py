"""How much the desk takes: required text that is not blank, nothing huge, numbers
a database column can hold, and user input quoted back at a readable length.

Pure checks, used by the use cases (so the command line and the console refuse the
same things) and by the console's forms, which name the bad field before submitting.
"""

from __future__ import annotations

from deskterm.desk.errors import DeskError, NotFound

# Read when a check runs (never bound elsewhere at import), so one place decides.
LINE_LIMIT = 1_000  # characters of a one-line value: a subject, a product, a phone number
# A name (an organization, a contact, a user) is a label, and an indexed column:
# PostgreSQL refuses an index key over about 2.7 KB, which a longer name in
# four-byte characters would pass, failing the transaction instead of refusing it.
NAME_LIMIT = 200
TEXT_LIMIT = (
    2_000_000  # characters of a text: a reply, a note (a pasted log of a megabyte), a reason
)
MAX_INTEGER = 2**63 - 1  # the largest integer column value (BIGINT) on either backend
QUOTE_WIDTH = 60  # characters of user input repeated in a message
SEVERITY_DIGITS = 6  # a level is a small number; more digits are a typo, not a level


def quoted(value: str) -> str:
    """`value` as a message quotes it: in quotes, cut with its length past QUOTE_WIDTH."""
    if len(value) <= QUOTE_WIDTH:
        return repr(value)
    return f"{value[:QUOTE_WIDTH]!r}… ({len(value):,} characters)"


def check_length(value: str, what: str, limit: int | None = None) -> str:
    """`value`, refused when over `limit` characters (default: TEXT_LIMIT)."""
    limit = TEXT_LIMIT if limit is None else limit
    if len(value) > limit:
        hint = "; attach a long text as a file" if limit == TEXT_LIMIT else ""
        raise DeskError(f"{what} is {len(value):,} characters long: at most {limit:,}{hint}")
    return value


def required(value: str | None, what: str, limit: int | None = None) -> str:
    """Text that must be there: not empty, not only blanks, not over `limit`."""
    if value is None or not value.strip():
        raise DeskError(f"{what} is empty: write something")
    return check_length(value, what, limit)


def optional(value: str | None, what: str, limit: int | None = None) -> str | None:
    """Text that may be left out (None or empty), but not over `limit`."""
    return None if value is None else check_length(value, what, limit)


def optional_line(value: str | None, what: str) -> str | None:
    """One line that may be left out (None or empty), but not over LINE_LIMIT."""
    return optional(value, what, LINE_LIMIT)


def name(value: str | None, what: str) -> str:
    """A one-line name (an organization, a contact, a user), without its outer blanks."""
    if value is None or not value.strip():
        raise DeskError(f"{what} is empty")
    return check_length(value.strip(), what, NAME_LIMIT)


def optional_name(value: str | None, what: str) -> str | None:
    """A name that may be left out (None); given, it must not be blank."""
    return None if value is None else name(value, what)


def check_email(value: str | None) -> str | None:
    """An e-mail address that may be left out (None); given, it must look like one."""
    address = optional_name(value, "the e-mail address")
    if address is None:
        return None
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(char.isspace() for char in address):
        raise DeskError(f"{quoted(address)} is not an e-mail address (e.g. bob@example.com)")
    return address


def case_number(text: str) -> int:
    """`40100`, `#40100` or `Incident# 40100`, as a user writes a case number."""
    cleaned = text.strip().lower().removeprefix("incident").strip().removeprefix("#").strip()
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise DeskError(f"{quoted(text)} is not a case number (e.g. 40100 or 'Incident# 40100')")
    digits = cleaned.lstrip("0") or "0"
    if len(digits) > len(str(MAX_INTEGER)) or int(digits) > MAX_INTEGER:
        shown = digits if len(digits) <= QUOTE_WIDTH else quoted(digits)
        raise NotFound(f"no case {shown} (case numbers start at 40100; see deskterm case list)")
    return int(digits)


def parse_severity(text: str) -> int:
    """A severity level as typed: `1`, `Sev 1` or `P1` (which levels exist is the policy's say)."""
    cleaned = text.strip().lower().removeprefix("sev").removeprefix("p").strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > SEVERITY_DIGITS:
        raise DeskError(f"{quoted(text)} is not a severity level (a number such as 1, 2, 3)")
    return int(cleaned)
