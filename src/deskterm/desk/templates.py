"""Canned replies: one file per template, found like policies, filled from the case.

A template is `NAME.md` or `NAME.txt`. It may begin with a front matter block
that gives its title and the status move that goes with it:

    ---
    title: Request for information
    move: waiting-on-customer
    ---
    Hello {contact},
    ...

Placeholders are `{name}` for the names in PLACEHOLDERS; `{{` and `}}` write a
brace. A placeholder no case can fill (a typo such as `{contcat}`) makes the
template unusable, with the reason, rather than reaching a customer as written.

Filling is one pass over the template (never `str.format`, never a second pass):
a value that itself contains `{contact}` or markup is written as it is, and a
template's text is never interpreted beyond its placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.desk.errors import DeskError, NotFound

if TYPE_CHECKING:
    from deskterm.desk.case_file import CaseFile
    from deskterm.sla import Policy
from deskterm.desk.limits import quoted
from deskterm.models import INTAKE_FIELDS
from deskterm.sla import Status

SUFFIXES = (".md", ".txt")
CASE_PLACEHOLDERS = ("contact", "case", "subject", "organization", "engineer", "due")
PLACEHOLDERS = (*CASE_PLACEHOLDERS, *INTAKE_FIELDS)
FRONT_KEYS = ("title", "move")
# `{{`, `}}` or `{name}`; anything else with braces is text.
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


class TemplateError(DeskError):
    """A template, or a directory of them, that cannot be used; says which and why."""


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    title: str
    body: str
    move: Status | None = None
    problem: str | None = None  # set when the file cannot be used

    @property
    def placeholders(self) -> list[str]:
        return placeholders_in(self.body)


@dataclass(frozen=True)
class Filled:
    """A template's text for one case, and the placeholders that had no value."""

    text: str
    missing: tuple[str, ...]


def placeholders_in(text: str) -> list[str]:
    """The `{name}` placeholders of `text`, each once, in order of appearance."""
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        name = match.group(1)
        if name and name not in found:
            found.append(name)
    return found


def unfilled(text: str) -> list[str]:
    """Known placeholders still in a text about to be sent (never sent as `{...}`)."""
    return [name for name in placeholders_in(text) if name in PLACEHOLDERS]


def fill(body: str, values: Mapping[str, str | None]) -> Filled:
    """`body` with each placeholder replaced by its value, in one pass.

    A placeholder whose value is missing or blank stays as `{name}` and is named in
    `missing`, for the engineer to fill in before saving.
    """
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        value = values.get(name)
        if value is None or not str(value).strip():
            if name not in missing:
                missing.append(name)
            return token
        return str(value)

    return Filled(_TOKEN.sub(replace, body), tuple(missing))


def missing_line(name: str, missing: Sequence[str]) -> str:
    """One line naming the placeholders that have no value."""
    named = ", ".join(f"{{{item}}}" for item in missing)
    return (
        f"the template {name!r} needs a value for {named}: give it (--set NAME=VALUE) "
        "or write the reply yourself"
    )


# --- files --------------------------------------------------------------------------


def parse_template(name: str, path: Path, text: str) -> Template:
    """A template from its file's text; a problem is kept on the template, not raised."""
    title, move, body, problems = name, None, text, []
    lines = text.splitlines(keepends=True)
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
        if end is None:
            problems.append("its front matter (from the first '---') has no closing '---'")
        else:
            for number, line in enumerate(lines[1:end], 2):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                key, colon, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if not colon or key not in FRONT_KEYS:
                    problems.append(
                        f"line {number}: {quoted(line.strip())} is not one of "
                        f"{', '.join(k + ': ...' for k in FRONT_KEYS)}"
                    )
                elif key == "title":
                    title = value or name
                elif value:
                    try:
                        move = Status(value.lower())
                    except ValueError:
                        problems.append(
                            f"line {number}: move {quoted(value)} is not a status "
                            f"({', '.join(status.value for status in Status)})"
                        )
            body = "".join(lines[end + 1 :])
    unknown = [item for item in placeholders_in(body) if item not in PLACEHOLDERS]
    if unknown:
        problems.append(
            f"unknown placeholder {', '.join('{' + item + '}' for item in unknown)} "
            f"(placeholders: {', '.join(PLACEHOLDERS)}; write {{{{ for a brace)"
        )
    if not body.strip():
        problems.append("it has no text")
    return Template(name, path, title, body.strip("\n") + "\n", move, "; ".join(problems) or None)


def read_template(name: str, path: Path) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return Template(name, path, name, "", problem=f"{path} is not UTF-8 text")
    except OSError as error:
        return Template(
            name, path, name, "", problem=f"cannot read {path}: {error.strerror or error}"
        )
    return parse_template(name, path, text)


def find_templates(dirs: Sequence[Path], required: Sequence[Path] = ()) -> dict[str, Template]:
    """Every template by name, later directories overriding earlier ones.

    A directory that is missing is skipped, unless it is in `required` (named by the
    user, as DESKTERM_TEMPLATES does); one that exists but cannot be listed is refused.
    """
    found: dict[str, Template] = {}
    for directory in dirs:
        try:
            entries = sorted(directory.iterdir())
        except FileNotFoundError:
            if directory in required:
                # What is wrong first: a long path is cut at the end of a one-line field.
                raise TemplateError(f"the template directory does not exist: {directory}") from None
            continue
        except NotADirectoryError:
            raise TemplateError(f"the template directory is not a directory: {directory}") from None
        except OSError as error:
            raise TemplateError(
                f"cannot read the template directory {directory}: {error.strerror or error}"
            ) from None
        for path in entries:
            if path.suffix in SUFFIXES and not path.name.startswith("."):
                found[path.stem] = read_template(path.stem, path)
    return dict(sorted(found.items()))


def get_template(templates: Mapping[str, Template], name: str) -> Template:
    """A usable template by name; one line when there is none or it has a problem."""
    template = templates.get(name.strip())
    if template is None:
        known = ", ".join(templates) or "none"
        raise NotFound(f"no template named {quoted(name)} (templates: {known})")
    if template.problem:
        raise TemplateError(f"the template {template.name!r} cannot be used: {template.problem}")
    return template


# --- values from a case --------------------------------------------------------------


def due_words(due: datetime, left_seconds: float | None, zone_name: str, zone: tzinfo) -> str:
    """A deadline as the customer's business reads it: in the calendar's own zone, with
    the business time left (`Mon 23 Nov 2026 17:00 MST, 1h 00m of business hours from now`)."""
    local = due.astimezone(zone)
    words = f"{local.strftime('%a %d %b %Y %H:%M')} {local.tzname() or zone_name}"
    if left_seconds is not None and left_seconds > 0:
        hours, rest = divmod(int(left_seconds) // 60, 60)
        words += f", {hours}h {rest:02d}m of business hours from now"
    return words


def case_values(
    detail: Mapping[str, object], engineer: str, policy: Policy
) -> dict[str, str | None]:
    """Each placeholder's value for a case, from its `deskterm.desk.queries.show_case` form.

    `{due}` is the case's next deadline (the clock the queue sorts it by), in the zone
    of that clock's calendar; no running deadline leaves it without a value.
    """
    contact = detail.get("contact") or {}
    intake = detail.get("intake") or {}
    assert isinstance(contact, Mapping) and isinstance(intake, Mapping)
    values: dict[str, str | None] = {
        "contact": contact.get("name") or None,
        "case": f"Incident# {detail['number']}",
        "subject": str(detail.get("subject") or "") or None,
        "organization": str(detail.get("organization") or "") or None,
        "engineer": engineer,
        "due": _due(detail, policy),
    }
    for name in INTAKE_FIELDS:
        value = intake.get(name)
        values[name] = str(value) if value else None
    return values


def _due(detail: Mapping[str, object], policy: Policy) -> str | None:
    next_due = detail.get("next_due")
    clocks = detail.get("clocks") or {}
    if not next_due or not isinstance(clocks, Mapping):
        return None
    for clock in clocks.values():
        if clock.get("due") == next_due:
            calendar = policy.calendars.get(clock.get("calendar"))
            zone = calendar.zone if calendar else policy.timezone
            when = datetime.fromisoformat(str(next_due))
            return due_words(when, clock.get("left_seconds"), str(zone), zone)
    return None


def file_values(file: CaseFile, engineer: str, now: datetime) -> dict[str, str | None]:
    """`case_values` for a case the console has loaded (`deskterm.desk.case_file.CaseFile`):
    the same values, without reading the database again."""
    from deskterm.desk.queries import clock_json

    case = file.case
    contact = file.contact
    clocks = file.clocks(now)
    detail = {
        "number": case.number,
        "subject": case.subject,
        "organization": file.organization.name,
        "contact": {"name": contact.name} if contact else None,
        "intake": {name: getattr(case, name) for name in INTAKE_FIELDS},
        "next_due": _iso(case.next_due),
        "clocks": {kind.value: clock_json(clock) for kind, clock in clocks.items()},
    }
    return case_values(detail, engineer, file.policy)


def _iso(value: datetime | None) -> str | None:
    from deskterm.instants import to_iso

    return to_iso(value) if value is not None else None
