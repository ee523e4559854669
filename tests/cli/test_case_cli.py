"""`deskterm case ...` and `deskterm sweep`: the command-line contract of issue 3.

Every test runs against its own SQLite file with the clock frozen on a Monday
morning in Denver (the standard-tier office: 9-17 Mountain Time, weekdays). The
starting desks are built once per module through the command line and copied
for each test, which keeps the suite fast.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli.runner import invoke

NOW = "2026-11-23T16:00:00Z"  # Mon 23 Nov 2026, 09:00 MST: the office has just opened
LAST_FRIDAY = "2026-11-20T16:00:00Z"  # Fri 09:00 MST: a Sev 1 from then is long breached
CLOCKS = {"first_response", "customer_response", "update", "auto_close"}


def dump(db: Path) -> list[str]:
    """Every row of every table, straight from the file."""
    with closing(sqlite3.connect(db)) as connection:
        return list(connection.iterdump())


class Desk:
    """The command line against one database file, acting as `alice` unless told."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def run(self, *args: str, user: str = "alice") -> tuple[int, str, str]:
        return invoke(["--db", str(self.db), "--as", user, *args])

    def ok(self, *args: str, user: str = "alice") -> str:
        code, out, err = self.run(*args, user=user)
        assert code == 0, (out, err)
        return out

    def json(self, *args: str, user: str = "alice") -> Any:
        return json.loads(self.ok(*args, "--json", user=user))

    def bad(self, *args: str, user: str = "alice") -> str:
        """Bad input: exit 2, nothing on stdout, exactly one line on stderr."""
        code, out, err = self.run(*args, user=user)
        assert code == 2, (out, err)
        assert out == ""
        lines = err.splitlines()
        assert len(lines) == 1, err
        return lines[0]

    def new(self, *extra: str, severity: str = "1", subject: str = "Server down") -> dict[str, Any]:
        return self.json(
            "case",
            "new",
            "--org",
            "Acme",
            "--contact",
            "Bob",
            "--severity",
            severity,
            "--subject",
            subject,
            *extra,
        )

    def show(self, number: int) -> dict[str, Any]:
        return self.json("case", "show", str(number))


def directory(desk: Desk) -> None:
    desk.ok("org", "add", "Acme", "--policy", "standard-tier")
    desk.ok("org", "add", "Lapsed", "--policy", "standard-tier", "--contract-until", "2026-06-30")
    desk.ok("contact", "add", "Bob", "--org", "Acme", "--email", "bob@acme.example")
    desk.ok("contact", "add", "Lena", "--org", "Lapsed")


def one_case(desk: Desk) -> None:
    directory(desk)
    desk.new()  # Incident# 40100, Sev 1, received now


# Five cases whose deadlines come in a different order from their numbers.
QUEUE = {"nbd": 40100, "sev1": 40101, "sev2": 40102, "closed": 40103, "late": 40104}


def queue_of_cases(desk: Desk) -> None:
    directory(desk)
    desk.new(severity="3", subject="cosmetic")  # due Tue 17:00 MST
    desk.new(severity="1", subject="down")  # due Mon 13:00 MST
    desk.new(severity="2", subject="slow")  # due Mon 17:00 MST
    desk.new(severity="1", subject="done")  # closed below: no deadline
    desk.new("--received", LAST_FRIDAY, severity="1", subject="late")  # breached on Friday
    desk.ok("case", "move", str(QUEUE["closed"]), "closed")
    desk.ok("case", "assign", str(QUEUE["sev1"]), "bob")
    desk.ok("case", "take", str(QUEUE["sev2"]))


Build = Callable[[Desk], None]
Templates = Callable[[Build], Path]


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    built: dict[Build, Path] = {}

    def template(build: Build) -> Path:
        if build not in built:
            with pytest.MonkeyPatch.context() as env:
                env.setenv("DESKTERM_NOW", NOW)
                desk = Desk(tmp_path_factory.mktemp(build.__name__) / "desk.db")
                build(desk)
            built[build] = desk.db
        return built[build]

    return template


def copy_of(template: Path, tmp_path: Path) -> Desk:
    target = tmp_path / "desk.db"
    # SQLite's backup API: a consistent copy, whatever is still in the WAL file.
    with closing(sqlite3.connect(template)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return Desk(target)


@pytest.fixture
def desk(templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """Two organizations (Acme, and Lapsed whose contract has ended) with a contact each."""
    monkeypatch.setenv("DESKTERM_NOW", NOW)
    return copy_of(templates(directory), tmp_path)


@pytest.fixture
def opened(templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """As `desk`, with Incident# 40100 (Sev 1, 'Server down') received now."""
    monkeypatch.setenv("DESKTERM_NOW", NOW)
    return copy_of(templates(one_case), tmp_path)


@pytest.fixture
def queue(templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """As `desk`, with the five cases of QUEUE."""
    monkeypatch.setenv("DESKTERM_NOW", NOW)
    return copy_of(templates(queue_of_cases), tmp_path)


def assert_refused_and_unchanged(desk: Desk, *args: str, user: str = "alice") -> str:
    before = dump(desk.db)
    message = desk.bad(*args, user=user)
    assert dump(desk.db) == before
    return message


def iso_with_offset(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None
    return parsed


# --- case new --------------------------------------------------------------------


def test_new_case_numbers_start_at_40100_and_increase(desk: Desk) -> None:
    first, second = desk.new(), desk.new(severity="2", subject="Slow reports")
    assert (first["number"], second["number"]) == (40100, 40101)
    out = desk.ok(
        "case", "new", "--org", "Acme", "--contact", "Bob", "--severity", "3", "--subject", "x"
    )
    assert out.startswith("Incident# 40102 opened: Sev 3 for Acme") and "(version 1)" in out
    assert out.count("\n") == 1


def test_new_case_json_has_the_contract_shape(desk: Desk) -> None:
    case = desk.new()
    for key in (
        "number",
        "subject",
        "organization",
        "severity",
        "status",
        "assignee",
        "version",
        "next_due",
        "clocks",
        "events",
    ):
        assert key in case
    assert case["organization"] == "Acme" and case["severity"] == 1 and case["status"] == "new"
    assert case["assignee"] is None and case["version"] == 1
    assert set(case["clocks"]) == CLOCKS
    assert all({"state", "due"} <= set(clock) for clock in case["clocks"].values())
    first = case["clocks"]["first_response"]
    assert first["state"] == "running"
    # 4h of office hours from Mon 09:00 MST
    assert iso_with_offset(first["due"]) == iso_with_offset("2026-11-23T20:00:00+00:00")
    assert iso_with_offset(case["next_due"]) == iso_with_offset(first["due"])
    # A Sev 1 from the command line: the phone checklist recorded as not run (issue 20).
    assert [e["kind"] for e in case["events"]] == ["opened", "checklist"]
    event = case["events"][0]
    assert event["actor"] == "alice"
    iso_with_offset(event["at"])


def test_new_case_records_the_intake_fields(desk: Desk) -> None:
    case = desk.new(
        "--description",
        "All users locked out",
        "--product",
        "Vault",
        "--version",
        "7.2",
        "--received",
        "2026-11-23T08:30:00-07:00",
        "--inquirer",
        "Bob's manager",
        "--error-messages",
        "E42",
        "--steps",
        "log in",
        "--actions-before",
        "patched",
        "--changes-made",
        "new cert",
        "--persisted-for",
        "2 days",
        "--os",
        "Windows Server 2022",
        "--server-roles",
        "DC",
    )
    assert case["description"] == "All users locked out"
    assert case["intake"] == {
        "inquirer": "Bob's manager",
        "product": "Vault",
        "product_version": "7.2",
        "error_messages": "E42",
        "steps_to_reproduce": "log in",
        "actions_before": "patched",
        "changes_made": "new cert",
        "persisted_for": "2 days",
        "operating_system": "Windows Server 2022",
        "server_roles": "DC",
    }
    assert iso_with_offset(case["received"]) == iso_with_offset("2026-11-23T15:30:00Z")


@pytest.mark.parametrize("severity", ["1", "Sev 1", "P1", " sev1 "])
def test_severity_accepts_number_and_labels(desk: Desk, severity: str) -> None:
    assert desk.new(severity=severity)["severity"] == 1


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"--org": "Acne"}, "did you mean 'Acme'"),
        ({"--contact": "Rob"}, "no contact named 'Rob' at Acme"),
        ({"--contact": ""}, "--contact is empty"),
        ({"--severity": "9"}, "has no severity 9 (levels: 1, 2, 3)"),
        ({"--severity": "urgent"}, "not a severity level"),
        ({"--severity": "²"}, "not a severity level"),
        ({"--subject": ""}, "subject is empty"),
        ({"--subject": "   "}, "subject is empty"),
        ({"--received": "yesterday"}, "not an ISO 8601 instant"),
        ({"--received": "2026-11-23T09:00"}, "no UTC offset"),
        ({"--org": "Lapsed", "--contact": "Lena"}, "maintenance contract ended on 2026-06-30"),
    ],
)
def test_new_case_bad_input_changes_nothing(
    opened: Desk, change: dict[str, str], says: str
) -> None:
    options = {"--org": "Acme", "--contact": "Bob", "--severity": "1", "--subject": "s"} | change
    args = [part for pair in options.items() for part in pair]
    message = assert_refused_and_unchanged(opened, "case", "new", *args)
    assert says in message
    assert message.startswith("deskterm: ")
    assert opened.new()["number"] == 40101  # no number was used up either


@pytest.mark.parametrize("missing", ["--org", "--contact", "--severity", "--subject"])
def test_new_case_off_a_terminal_needs_its_four_options(opened: Desk, missing: str) -> None:
    # No terminal (a script, a pipe): no form to open, so each option is asked for.
    options = {"--org": "Acme", "--contact": "Bob", "--severity": "2", "--subject": "s"}
    del options[missing]
    args = [part for pair in options.items() for part in pair]
    message = assert_refused_and_unchanged(opened, "case", "new", *args)
    assert f"{missing} is required" in message


def test_expired_contract_opens_with_an_override_and_says_why(desk: Desk) -> None:
    case = desk.json(
        "case",
        "new",
        "--org",
        "Lapsed",
        "--contact",
        "Lena",
        "--severity",
        "2",
        "--subject",
        "help",
        "--override",
        "renewal signed, paperwork pending",
    )
    assert case["contract_current"] is False
    assert "entitlement override: renewal signed, paperwork pending" in case["events"][0]["text"]


# --- case list ---------------------------------------------------------------------


def test_list_sorts_by_next_deadline_with_undated_cases_last(queue: Desk) -> None:
    listed = queue.json("case", "list", "--all")
    assert [case["number"] for case in listed] == [
        QUEUE["late"],
        QUEUE["sev1"],
        QUEUE["sev2"],
        QUEUE["nbd"],
        QUEUE["closed"],
    ]
    dues = [iso_with_offset(case["next_due"]) for case in listed[:-1]]
    assert dues == sorted(dues) and listed[-1]["next_due"] is None
    for case in listed:
        assert {
            "number",
            "subject",
            "organization",
            "severity",
            "status",
            "assignee",
            "version",
            "next_due",
            "clocks",
        } <= set(case)
        assert set(case["clocks"]) == CLOCKS


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--status", "closed"], ["closed"]),
        (["--status", "new"], ["late", "sev1", "sev2", "nbd"]),
        (["--severity", "1"], ["late", "sev1"]),
        (["--severity", "1", "--all"], ["late", "sev1", "closed"]),
        (["--severity", "Sev 3"], ["nbd"]),
        (["--assignee", "bob"], ["sev1"]),
        (["--assignee", "alice"], ["sev2"]),
        (["--assignee", "none"], ["late", "nbd"]),
        ([], ["late", "sev1", "sev2", "nbd"]),  # the console's "All open" view
        (["--breached"], ["late"]),
        (["--limit", "2"], ["late", "sev1"]),
        (["--status", "new", "--severity", "1", "--assignee", "none"], ["late"]),
    ],
)
def test_list_filters(queue: Desk, options: list[str], expected: list[str]) -> None:
    listed = queue.json("case", "list", *options)
    assert [case["number"] for case in listed] == [QUEUE[name] for name in expected]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (
            ["--status", "pending"],
            "unknown status 'pending' (statuses: new, open, waiting-on-customer",
        ),
        (["--severity", "high"], "not a severity level"),
        (["--limit", "0"], "--limit"),
    ],
)
def test_list_refuses_bad_filters(desk: Desk, options: list[str], says: str) -> None:
    assert says in desk.bad("case", "list", *options)


def test_list_table_prints_customer_text_literally_and_marks_breaches(queue: Desk) -> None:
    queue.new(subject="[bold]x[/] and [link=http://evil.example]y[/link]\x1b[2J")
    out = queue.ok("case", "list")
    header, *rows = out.splitlines()
    for column in ("sev", "case", "organization", "subject", "status", "assignee", "due", "state"):
        assert column in header
    assert "[bold]x[/] and [link=http://evil.example]y[/link]␛[2J" in out
    assert "\x1b" not in out
    late = next(row for row in rows if str(QUEUE["late"]) in row)
    assert "BREACHED" in late and "Sev 1" in late and "Acme" in late
    assert "BREACHED" not in next(row for row in rows if str(QUEUE["nbd"]) in row)
    assert "bob" in next(row for row in rows if str(QUEUE["sev1"]) in row)


def test_list_of_an_empty_desk(desk: Desk) -> None:
    assert desk.json("case", "list") == []
    assert "no open cases" in desk.ok("case", "list")


def test_list_says_it_is_the_all_open_view_and_how_to_see_closed_ones(queue: Desk) -> None:
    out = queue.ok("case", "list")
    assert "4 open cases (the console's All open view); closed ones with --status closed" in out
    assert str(QUEUE["closed"]) not in out
    assert str(QUEUE["closed"]) in queue.ok("case", "list", "--all")


@pytest.mark.parametrize(
    "name",
    ["waiting", "waiting-on-customer", "Customer Information Requested", "WAITING_ON_CUSTOMER"],
)
def test_every_name_of_a_status_is_accepted(opened: Desk, name: str) -> None:
    assert opened.json("case", "list", "--status", name) == []
    moved = opened.json("case", "move", "40100", name)
    assert moved["status"] == "waiting-on-customer"
    assert [c["number"] for c in opened.json("case", "list", "--status", name)] == [40100]


def test_the_queue_short_forms_are_accepted(opened: Desk) -> None:
    assert opened.json("case", "move", "40100", "sw change")["status"] == "software-change-required"
    assert opened.json("case", "move", "40100", "resolved")["status"] == (
        "resolved-pending-confirmation"
    )


# --- case show and why -----------------------------------------------------------


def test_show_page_has_header_fields_intake_clocks_and_timeline(desk: Desk) -> None:
    desk.new("--product", "Vault", subject="Login fails")
    desk.ok("case", "note", "40100", "checked the logs")
    out = desk.ok("case", "show", "40100")
    assert out.splitlines()[0] == "Incident# 40100 - Login fails"
    for text in (
        "Acme",
        "standard-tier",
        "Sev 1 Critical",
        "Bob <bob@acme.example>",
        "Vault",
        "first response",
        "4h of office hours",
        "alice opened the case",
        "alice added an internal note",
        "checked the logs",
    ):
        assert text in out
    intake = out.split("Intake")[1].split("Clocks")[0]
    assert any(
        line.split()[:2] == ["server", "roles"] and line.split()[-1] == "-"
        for line in intake.splitlines()
    )


@pytest.mark.parametrize("spelling", ["40100", "#40100", "Incident# 40100"])
def test_case_numbers_as_email_subjects_write_them(opened: Desk, spelling: str) -> None:
    assert opened.json("case", "show", spelling)["number"] == 40100


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["case", "show", "40999"], "no case 40999"),
        (["case", "show", "forty"], "not a case number"),
        (["case", "why", "40999"], "no case 40999"),
        (["case", "reply", "40999", "hello"], "no case 40999"),
        (["case", "note", "40999", "hello"], "no case 40999"),
        (["case", "move", "40999", "open"], "no case 40999"),
        (["case", "take", "40999"], "no case 40999"),
    ],
)
def test_unknown_cases_are_refused(opened: Desk, args: list[str], says: str) -> None:
    assert says in assert_refused_and_unchanged(opened, *args)


def test_why_explains_each_clock(desk: Desk) -> None:
    desk.new("--received", LAST_FRIDAY)
    out = desk.ok("case", "why", "40100")
    assert out.startswith("Incident# 40100 - Server down")
    for kind in ("first response:", "customer response:", "update:", "auto-close:"):
        assert kind in out
    assert (
        "BREACHED" in out and "overdue" in out and "4h of office hours from Fri 20 Nov 09:00" in out
    )
    explained = desk.json("case", "why", "40100")
    assert set(explained["clocks"]) == CLOCKS
    first = explained["clocks"]["first_response"]
    assert first["state"] == "breached" and first["left_seconds"] < 0 and first["explanation"]


# --- the write commands -------------------------------------------------------------


def test_reply_is_a_response_and_prints_one_line(opened: Desk) -> None:
    out = opened.ok("case", "reply", "40100", "We are on it.")
    assert out == (
        "Incident# 40100: reply recorded, not mailed: no mail relay configured (version 2)\n"
    )
    case = opened.show(40100)
    assert case["clocks"]["first_response"]["state"] == "met"
    assert case["events"][-1]["kind"] == "reply" and case["events"][-1]["text"] == "We are on it."


def test_write_commands_print_the_case_with_json(opened: Desk) -> None:
    case = opened.json("case", "note", "40100", "internal")
    assert case["number"] == 40100 and case["version"] == 2
    assert case["events"][-1]["kind"] == "note" and set(case["clocks"]) == CLOCKS


def test_text_is_stored_exactly_and_shown_inert(opened: Desk) -> None:
    hostile = "\x1b[31m[bold]x[/bold]\x07"
    opened.ok("case", "note", "40100", hostile)
    assert opened.show(40100)["events"][-1]["text"] == hostile
    out = opened.ok("case", "show", "40100")
    assert "␛[31m[bold]x[/bold]␇" in out and "\x1b" not in out and "\x07" not in out
    unicode = "Grüße — 日本語 🙂\nzweite Zeile\x85"
    opened.ok("case", "customer-reply", "40100", unicode)
    assert opened.show(40100)["events"][-1]["text"] == unicode


def test_bytes_that_are_not_utf8_are_stored_as_replacement_characters(
    opened: Desk, tmp_path: Path
) -> None:
    # From a Latin-1 terminal, or a file's name on disk, Python gets lone surrogates
    # (surrogateescape). Neither database can store them: they were a traceback. Now
    # each becomes U+FFFD, as in mail, and the rest of the text is kept.
    latin1 = os.fsdecode(b"caf\xe9 cr\xe8me")
    assert latin1 == "caf\udce9 cr\udce8me"
    opened.ok("case", "note", "40100", latin1, user=latin1)
    opened.ok("case", "assign", "40100", latin1)
    log = tmp_path / os.fsdecode(b"r\xe9sum\xe9.log")
    log.write_text("ok\n")
    opened.ok("case", "attach", "40100", str(log), user=latin1)
    case = opened.show(40100)
    note, assign, attach = case["events"][-3:]
    assert note["text"] == "caf\ufffd cr\ufffdme" and note["actor"] == "caf\ufffd cr\ufffdme"
    assert case["assignee"] == assign["new"] == "caf\ufffd cr\ufffdme"
    assert case["attachments"][0]["name"] == attach["new"] == "r\ufffdsum\ufffd.log"
    assert case["attachments"][0]["added_by"] == "caf\ufffd cr\ufffdme"


def test_call_counts_as_a_response(opened: Desk) -> None:
    case = opened.json(
        "case",
        "call",
        "40100",
        "--summary",
        "walked through a restart",
        "--with",
        "Bob",
        "--outcome",
        "service back",
    )
    event = case["events"][-1]
    assert event["kind"] == "call"
    assert event["text"] == "walked through a restart\nOutcome: service back"
    assert event["new"] == "Bob" and event["description"].endswith("logged a phone call with Bob")
    assert case["clocks"]["first_response"]["state"] == "met"
    assert "call summary is empty" in assert_refused_and_unchanged(
        opened, "case", "call", "40100", "--summary", " "
    )


def test_move_prints_the_new_status_and_version(opened: Desk) -> None:
    out = opened.ok("case", "move", "40100", "waiting-on-customer", "--note", "asked for logs")
    assert out == "Incident# 40100 moved to waiting-on-customer (version 2)\n"
    event = opened.show(40100)["events"][-1]
    assert (event["kind"], event["old"], event["new"], event["text"]) == (
        "status",
        "new",
        "waiting-on-customer",
        "asked for logs",
    )


def test_refused_move_names_the_allowed_moves(opened: Desk) -> None:
    opened.ok("case", "move", "40100", "closed")
    message = assert_refused_and_unchanged(
        opened, "case", "move", "40100", "resolved-pending-confirmation"
    )
    assert "cannot move a closed case to resolved-pending-confirmation (allowed: open)" in message
    assert opened.json("case", "move", "40100", "open")["status"] == "open"  # re-open


def test_unknown_status_names_the_statuses(opened: Desk) -> None:
    message = assert_refused_and_unchanged(opened, "case", "move", "40100", "waitin")
    assert "unknown status 'waitin'" in message and "waiting-on-customer" in message


def test_customer_reply_reopens_a_waiting_case(opened: Desk) -> None:
    opened.ok("case", "move", "40100", "waiting-on-customer")
    out = opened.ok("case", "customer-reply", "40100", "here are the logs")
    assert out.startswith("Incident# 40100: customer reply recorded, status open")
    kinds = [e["kind"] for e in opened.show(40100)["events"]]
    assert kinds[-2:] == ["customer-reply", "status"]


def test_severity_change_needs_a_reason_and_a_real_level(opened: Desk) -> None:
    out = opened.ok("case", "severity", "40100", "P2", "--reason", "workaround found")
    assert out == "Incident# 40100 is now Sev 2 (version 2)\n"
    event = opened.show(40100)["events"][-1]
    assert (event["kind"], event["old"], event["new"], event["text"]) == (
        "severity",
        "1",
        "2",
        "workaround found",
    )
    for args, says in (
        (["9", "--reason", "x"], "has no severity 9"),
        (["two", "--reason", "x"], "not a severity level"),
        (["2", "--reason", "x"], "already Sev 2"),
        (["3", "--reason", "  "], "reason for the severity change is empty"),
    ):
        assert says in assert_refused_and_unchanged(opened, "case", "severity", "40100", *args)


def test_assign_take_release(opened: Desk) -> None:
    assert (
        opened.ok("case", "assign", "40100", "bob")
        == "Incident# 40100 assigned to bob (version 2)\n"
    )
    said = assert_refused_and_unchanged(opened, "case", "take", "40100", user="carol")
    assert said == (
        "deskterm: case 40100 is held by bob: take it from them with --from-holder "
        "(or ask them to release it)"
    )
    taken = opened.json("case", "take", "40100", "--from-holder", user="carol")
    assert taken["assignee"] == "carol"
    assert (
        opened.ok("case", "release", "40100")
        == "Incident# 40100 released (unassigned) (version 4)\n"
    )
    assert opened.show(40100)["assignee"] is None
    assert "already unassigned" in assert_refused_and_unchanged(opened, "case", "release", "40100")
    assert "assignee is empty" in assert_refused_and_unchanged(
        opened, "case", "assign", "40100", " "
    )


def test_escalate_climbs_to_the_supervisor_and_stops(opened: Desk) -> None:
    out = opened.ok("case", "escalate", "40100", "--reason", "needs a code fix")
    assert out == "Incident# 40100 escalated to product-support-engineer (version 2)\n"
    assert (
        opened.json("case", "escalate", "40100", "--reason", "customer VP called")["escalation"]
        == "supervisor"
    )
    assert "already escalated" in assert_refused_and_unchanged(
        opened, "case", "escalate", "40100", "--reason", "again"
    )
    assert "reason for the escalation is empty" in opened.bad(
        "case", "escalate", "40100", "--reason", ""
    )


def test_split_opens_a_new_case_linked_to_the_old(desk: Desk) -> None:
    desk.new("--product", "Vault")
    child = desk.json("case", "split", "40100", "--subject", "Printer also broken")
    assert child["number"] == 40101 and child["split_from"] == 40100
    assert child["subject"] == "Printer also broken" and child["intake"]["product"] == "Vault"
    assert [e["kind"] for e in child["events"]] == ["opened", "split-from"]
    parent = desk.show(40100)
    assert parent["events"][-1]["kind"] == "split" and parent["events"][-1]["new"] == "40101"
    out = desk.ok("case", "split", "40100", "--subject", "third")
    assert out == "Incident# 40102 split from Incident# 40100 (version 1)\n"
    page = desk.ok("case", "show", "40102")
    assert page.startswith("Incident# 40102 - third\n")
    assert any(
        line.split() == ["split", "from", "Incident#", "40100"] for line in page.splitlines()
    )
    assert "subject of the new case is empty" in assert_refused_and_unchanged(
        desk, "case", "split", "40100", "--subject", ""
    )


@pytest.mark.parametrize(
    "args",
    [
        ["reply", "40100", ""],
        ["note", "40100", " \n "],
        ["customer-reply", "40100", ""],
    ],
)
def test_empty_text_is_refused(opened: Desk, args: list[str]) -> None:
    assert "is empty" in assert_refused_and_unchanged(opened, "case", *args)


# --- --if-version ------------------------------------------------------------------


def test_if_version_passes_when_current(opened: Desk) -> None:
    assert opened.json("case", "note", "40100", "fine", "--if-version", "1")["version"] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["reply", "40100", "late answer"],
        ["note", "40100", "stale note"],
        ["call", "40100", "--summary", "stale call"],
        ["move", "40100", "open"],
        ["severity", "40100", "2", "--reason", "stale"],
        ["assign", "40100", "dave"],
        ["take", "40100"],
        ["escalate", "40100", "--reason", "stale"],
        ["split", "40100", "--subject", "stale"],
        ["customer-reply", "40100", "stale"],
    ],
)
def test_a_stale_write_fails_naming_who_changed_what(opened: Desk, args: list[str]) -> None:
    opened.ok("case", "assign", "40100", "bob", user="bob")
    message = assert_refused_and_unchanged(opened, "case", *args, "--if-version", "1")
    assert "case 40100 changed since you loaded it (version 1, now 2)" in message
    assert "bob assigned it to bob" in message and "not been saved" in message


def test_release_honours_if_version(opened: Desk) -> None:
    opened.ok("case", "take", "40100")
    opened.ok("case", "note", "40100", "n")
    assert "changed since" in assert_refused_and_unchanged(
        opened, "case", "release", "40100", "--if-version", "2"
    )


# --- sweep -------------------------------------------------------------------------


def test_sweep_twice_equals_sweep_once(desk: Desk) -> None:
    desk.new("--received", LAST_FRIDAY)
    desk.new()  # not due yet: nothing to sweep
    first = desk.ok("sweep")
    assert first == (
        "swept 1 case(s): 1 breach(es) recorded, 0 customer timeout(s), "
        "0 auto-close notice(s), 0 closed\n"
    )
    breach = desk.show(40100)["events"][-1]
    assert (breach["kind"], breach["actor"], breach["field"]) == (
        "breach",
        "deskterm",
        "first_response",
    )
    once = dump(desk.db)
    second = desk.ok("sweep")
    assert second.startswith("swept 0 case(s): 0 breach(es) recorded")
    assert desk.json("sweep") == {
        "cases": 0,
        "breaches": 0,
        "customer_timeouts": 0,
        "notices": 0,
        "closed": 0,
    }
    assert dump(desk.db) == once


# --- intake without traps (issue 20) ------------------------------------------------


def test_a_sev1_from_the_command_line_records_that_the_checklist_was_not_run(
    desk: Desk,
) -> None:
    code, out, err = desk.run(
        "case", "new", "--org", "Acme", "--contact", "Bob", "--severity", "1", "--subject", "down"
    )
    assert code == 0 and out.startswith("Incident# 40100 opened")
    assert err == (
        "deskterm: warning: Incident# 40100 is Severity 1 without the phone checklist "
        "(recorded on the case; deskterm sev1 runs it, --checklist-done says it was run)\n"
    )
    [step] = [e for e in desk.show(40100)["events"] if e["kind"] == "checklist"]
    assert step["field"] == "phone-checklist" and step["new"] == "not run"
    assert "Sev 1 checklist  NOT RUN: opened at Severity 1 outside the phone-call wizard" in (
        desk.ok("case", "show", "40100")
    )
    code, _, err = desk.run(
        "case",
        "new",
        "--org",
        "Acme",
        "--contact",
        "Bob",
        "--severity",
        "1",
        "--subject",
        "down",
        "--checklist-done",
    )
    assert code == 0 and err == ""
    [step] = [e for e in desk.show(40101)["events"] if e["kind"] == "checklist"]
    assert step["new"] == "said to be done" and "alice says" in step["text"]
    # A lower severity has no phone checklist: nothing recorded, nothing said.
    code, _, err = desk.run(
        "case", "new", "--org", "Acme", "--contact", "Bob", "--severity", "2", "--subject", "slow"
    )
    assert code == 0 and err == ""
    assert not [e for e in desk.show(40102)["events"] if e["kind"] == "checklist"]
    assert "--checklist-done is for a Severity 1" in assert_refused_and_unchanged(
        desk,
        "case",
        "new",
        "--org",
        "Acme",
        "--contact",
        "Bob",
        "--severity",
        "2",
        "--subject",
        "slow",
        "--checklist-done",
    )


def test_an_override_records_who_authorised_it(desk: Desk) -> None:
    desk.ok(
        "case",
        "new",
        "--org",
        "Lapsed",
        "--contact",
        "Lena",
        "--severity",
        "2",
        "--subject",
        "x",
        "--override",
        "renewal signed",
        "--supervisor",
        "Dana Shift",
    )
    shown = desk.ok("case", "show", "40100")
    fields = shown.split("Description")[0]
    assert "\noverride " in fields
    assert "entitlement override authorised by Dana Shift: renewal signed" in fields
    assert "--supervisor names who authorised an --override" in assert_refused_and_unchanged(
        desk,
        "case",
        "new",
        "--org",
        "Acme",
        "--contact",
        "Bob",
        "--severity",
        "2",
        "--subject",
        "x",
        "--supervisor",
        "Dana",
    )
