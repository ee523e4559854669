"""Bad input everywhere on the command line (issue 10).

Every command and every parameter that takes a value is given wrong types,
out-of-range values, unknown names, malformed instants, huge and empty values,
directories, missing and unreadable paths. Each must exit 2 with one line on
stderr (no traceback, nothing on stdout), and leave the desk as it was: the
checksum of every row of every table (the search index's, the mail tables and the
counters too), of the attachment store and of every file beside the desk is the
same before and after.

The command tree is walked (`deskterm.cli.commands.app`): a command or a
parameter added later without a bad-input case here fails
`test_every_parameter_that_takes_a_value_has_bad_input_cases`.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer

from deskterm.cli import params
from deskterm.cli.commands import app
from deskterm.store.engine import make_engine
from tests.cli.runner import invoke
from tests.unreadable import denied

NOW = "2026-11-23T16:00:00Z"  # Mon 09:00 in Denver: standard-tier's office is open
HUGE = "x" * 10**6  # a million-character name
TEN_MB = "y" * (10 * 2**20)  # a ten-megabyte text
# A new case for an organization whose contract has ended: it needs an override.
LAPSED_CASE = ("--org", "Lapsed", "--contact", "Lena", "--severity", "2", "--subject", "x")
BIG = "1" + "0" * 30  # 10**30: no database integer holds it
DIGITS = "9" * 5000  # past the 4300 digits Python's int() takes from a string
NUMBER = 40100  # the template's case
BUSY: list[socket.socket] = []  # sockets kept listening for the module

STRANGER_MAIL = b"""From: Stranger <someone@elsewhere.example>
To: support@desk.test
Subject: Do you sell licences?
Message-ID: <stranger-1@elsewhere.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset=utf-8

How much is a licence?
--XYZ
Content-Type: text/plain; name="quote.txt"
Content-Disposition: attachment; filename="quote.txt"

please quote
--XYZ--
"""
HUGE_MAIL = (
    b"From: Bob <bob@acme.example>\nSubject: Incident# 40100 logs\n"
    b"Message-ID: <huge-1@acme.example>\n\n" + b"z" * (10 * 2**20)
)
_RANDOM = random.Random(10)
GARBAGE_MAIL = bytes(_RANDOM.randrange(256) for _ in range(4096))


# --- the table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One bad invocation: `args` after the root options, `{name}` a scratch path."""

    command: str  # "case show"; "" is the root command (--db, --as)
    param: str  # the parameter given the bad value (its Python name); "stdin" for a pipe
    args: tuple[str, ...]
    says: str  # a fragment of the one line on stderr
    root: tuple[str, ...] = ("--db", "{desk}", "--as", "alice")
    stdin: bytes | None = None
    env: tuple[tuple[str, str], ...] = ()
    denied: tuple[str, int] | None = None  # a scratch path given this mode for the run
    every_line_names: str | None = None  # `policy check`: one problem a line, each naming it
    pg: bool = False  # also run against PostgreSQL (when DESKTERM_TEST_PG is set)

    @property
    def id(self) -> str:
        shown = " ".join(a if len(a) <= 24 else f"{a[:12]}…{len(a)}" for a in self.args)
        return f"{self.command or 'deskterm'}:{self.param}:{shown}"


def bad(command: str, param: str, *rest: str, says: str, **options: Any) -> Bad:
    return Bad(command, param, (*command.split(), *rest), says, **options)


def root(param: str, options: tuple[str, ...], says: str, **more: Any) -> Bad:
    """A bad root option (--db, --as), on a command that opens the desk."""
    return Bad("", param, ("case", "list"), says, root=options, **more)


def case_numbers(command: str, *after: str, every: bool = False, pg: bool = False) -> list[Bad]:
    """Bad case numbers for a command whose first argument is N: a word, a case that is
    not there, a number no database holds; with `every`, all the spellings. (Every N is
    parsed by the one parser, which test_every_typed_parameter... checks.)"""
    cases = [
        bad(command, "number", "abc", *after, says="'abc' is not a case number"),
        bad(command, "number", "99999", *after, says="no case 99999", pg=pg),
        bad(command, "number", BIG, *after, says=f"no case {BIG}"),
    ]
    if every:
        cases += [
            bad(command, "number", "", *after, says="'' is not a case number"),
            bad(command, "number", "0", *after, says="no case 0 (case numbers start at 40100"),
            bad(command, "number", DIGITS, *after, says="(5,000 characters)"),
            bad(command, "number", "-1", *after, says="no such option: -1"),
            bad(command, "number", "#", *after, says="'#' is not a case number"),
            bad(command, "number", "4O1OO", *after, says="is not a case number"),
        ]
    return cases


def versions(command: str, *rest: str, every: bool = False) -> list[Bad]:
    """Bad --if-version values of a write command (`rest`: the rest of a good call): a
    word, and a version the case is not at (each command checks it itself)."""
    cases = [
        bad(command, "if_version", *rest, "--if-version", "abc", says="not a whole number"),
        bad(command, "if_version", *rest, "--if-version", "7", says="changed since", pg=True),
    ]
    if every:
        cases += [
            bad(command, "if_version", *rest, "--if-version", "0", says="too small: 1 or more"),
            bad(command, "if_version", *rest, "--if-version", "-5", says="too small"),
            bad(command, "if_version", *rest, "--if-version", BIG, says="too large"),
        ]
    return cases


N = str(NUMBER)
INSTANTS = [
    ("2026-13-45", "is not an ISO 8601 instant"),
    ("yesterday", "is not an ISO 8601 instant"),
    ("2026-11-23T10:00", "has no UTC offset"),
    ("", "is not an ISO 8601 instant"),
    ("0001-01-01T00:00Z", "out of range: deskterm takes instants from 1970 to 2999"),
    ("9999-12-31T23:59Z", "out of range"),
]
NEW = ("--org", "Acme", "--contact", "Bob", "--severity", "2", "--subject", "Slow")
INTAKE_OPTIONS = {
    "inquirer": "--inquirer",
    "product": "--product",
    "product_version": "--version",
    "error_messages": "--error-messages",
    "steps": "--steps",
    "actions_before": "--actions-before",
    "changes_made": "--changes-made",
    "persisted_for": "--persisted-for",
    "operating_system": "--os",
    "server_roles": "--server-roles",
}


def new_case(param: str, flag: str, value: str, says: str, **options: Any) -> Bad:
    """`case new` with one option's value replaced (or added)."""
    rest = list(NEW)
    if flag in rest:
        rest[rest.index(flag) + 1] = value
    else:
        rest += [flag, value]
    return bad("case new", param, *rest, says=says, **options)


BAD: list[Bad] = [
    # -- the root: the database and who acts --------------------------------------------
    root("db", ("--db", "{folder}"), "is a directory"),
    root("db", ("--db", ""), "--db is empty"),
    root("db", ("--db", "  "), "--db is empty"),
    root("db", ("--db", "{notes}"), "is not an SQLite database"),
    root("db", ("--db", "{other_db}"), "an SQLite database but not a deskterm desk"),
    root("db", ("--db", "{nowhere}/desk.db"), "does not exist"),
    root("db", ("--db", "nosuch://host/desk"), "SQLite or PostgreSQL"),
    root("db", ("--db", "postgresql+psycopg://nobody@127.0.0.1:1/desk"), "Connection refused"),
    root("db", ("--db", "{locked_db}"), "cannot be opened", denied=("locked_db", 0)),
    root("as_user", ("--db", "{desk}", "--as", ""), "--as: '' is not a user name"),
    root("as_user", ("--db", "{desk}", "--as", " bob"), "is not a user name"),
    root("as_user", ("--db", "{desk}", "--as", HUGE), "is not a user name"),
    # ... and the environment, which the root reads as it opens the desk.
    *(
        Bad("", f"${name}", ("case", "list"), says, ("--db", "{desk}"), env=((name, value),))
        for name, value, says in (
            ("DESKTERM_NOW", "yesterday", "'yesterday' is not an ISO 8601 instant"),
            ("DESKTERM_NOW", "9999-12-31T00:00Z", "out of range"),
            ("DESKTERM_USER", " x", "DESKTERM_USER: ' x' is not a user name"),
            ("DESKTERM_ATTACHMENT_LIMIT", "lots", "'lots' is not a size"),
            ("DESKTERM_CONFIG", "{folder}", "is a directory"),
            ("DESKTERM_CONFIG", "{notes}", "not valid TOML"),
            ("DESKTERM_CONFIG", "{garbage}", "is not UTF-8 text"),
            ("DESKTERM_CONFIG", "{missing}", "which does not exist"),
        )
    ),
    Bad(
        "",
        "$DESKTERM_CONFIG",
        ("case", "list"),
        "cannot read the config file",
        denied=("secret", 0),
        env=(("DESKTERM_CONFIG", "{secret}"),),
    ),  # fmt: skip
    # -- case new -----------------------------------------------------------------------
    bad(
        "case new",
        "org",
        "--contact",
        "Bob",
        "--severity",
        "2",
        "--subject",
        "x",
        says="--org is required",
    ),  # fmt: skip
    new_case("org", "--org", "Nope", "no organization named 'Nope'", pg=True),
    new_case("org", "--org", "", "the organization is empty"),
    new_case("org", "--org", HUGE, "no organization named 'xxxx"),
    new_case("contact", "--contact", "Nobody", "no contact named 'Nobody' at Acme", pg=True),
    new_case("contact", "--contact", " ", "--contact is empty"),
    new_case("severity", "--severity", "9", "has no severity 9", pg=True),
    new_case("severity", "--severity", "abc", "'abc' is not a severity level"),
    new_case("severity", "--severity", BIG, "is not a severity level"),
    new_case("severity", "--severity", "", "'' is not a severity level"),
    new_case("subject", "--subject", "", "the subject is empty"),
    new_case("subject", "--subject", "   ", "the subject is empty", pg=True),
    new_case("subject", "--subject", HUGE, "the subject is 1,000,000 characters long: at most"),
    new_case(
        "description", "--description", TEN_MB, "the description is 10,485,760 characters", pg=True
    ),  # fmt: skip
    *(new_case("received", "--received", v, says) for v, says in INSTANTS),
    new_case("received", "--received", "2999-12-31T00:00Z", "is in the future"),
    bad(
        "case new",
        "override",
        *LAPSED_CASE,
        "--override",
        TEN_MB,
        says="the override's reason is 10,485,760",
    ),
    bad("case new", "override", *LAPSED_CASE, "--override", " ", says="maintenance contract ended"),
    *(
        new_case(param, flag, TEN_MB, "characters long: at most")
        for param, flag in INTAKE_OPTIONS.items()
    ),
    # -- case list ----------------------------------------------------------------------
    bad("case list", "status", "--status", "nope", says="unknown status 'nope'"),
    bad("case list", "status", "--status", "", says="unknown status ''"),
    bad("case list", "severity", "--severity", "9", says="no policy has severity 9", pg=True),
    bad("case list", "severity", "--severity", "abc", says="is not a severity level"),
    bad("case list", "assignee", "--assignee", "", says="the assignee is empty"),
    bad("case list", "assignee", "--assignee", HUGE, says="the assignee is 1,000,000 characters"),
    bad("case list", "limit", "--limit", "abc", says="--limit: 'abc' is not a whole number"),
    bad("case list", "limit", "--limit", "0", says="--limit: 0 is too small: 1 or more"),
    bad("case list", "limit", "--limit", "-1", says="too small"),
    bad("case list", "limit", "--limit", BIG, says="too large"),
    bad("case list", "limit", "--limit", "1.5", says="not a whole number"),
    # -- case reading commands ----------------------------------------------------------
    *case_numbers("case show", every=True, pg=True),
    *case_numbers("case why"),
    *case_numbers("case attachments"),
    *case_numbers("open"),
    # -- writes -------------------------------------------------------------------------
    *case_numbers("case reply", "hello", pg=True),
    bad("case reply", "text", N, "", says="the reply is empty", pg=True),
    bad("case reply", "template", N, "--template", "nope", says="no template named 'nope'"),
    bad("case reply", "template", N, "hi", "--template", "auto-close-notice", says="TEXT or"),
    bad(
        "case reply",
        "values",
        N,
        "--template",
        "auto-close-notice",
        "--set",
        "x",
        says="NAME=VALUE",
    ),
    bad(
        "case reply",
        "values",
        N,
        "--template",
        "auto-close-notice",
        "--set",
        "nope=1",
        says="NAME one of",
    ),
    bad("template show", "name", "nope", says="no template named 'nope'"),
    bad("contact list", "org", "--org", "Nope", says="no organization named 'Nope'"),
    bad(
        "case new",
        "supervisor",
        *LAPSED_CASE,
        "--override",
        "r",
        "--supervisor",
        " ",
        says="the supervisor's name is empty",
    ),
    bad("case reply", "text", N, " \n\t ", says="the reply is empty"),
    bad("case reply", "text", N, TEN_MB, says="the reply is 10,485,760 characters long", pg=True),
    *versions("case reply", N, "hello", every=True),
    *case_numbers("case note", "hello"),
    bad("case note", "text", N, "", says="the note is empty"),
    bad("case note", "text", N, TEN_MB, says="the note is 10,485,760 characters long"),
    *versions("case note", N, "hello"),
    *case_numbers("case call", "--summary", "called"),
    bad("case call", "summary", N, says="missing option '--summary'"),
    bad("case call", "summary", N, "--summary", "", says="the call summary is empty"),
    bad("case call", "summary", N, "--summary", TEN_MB, says="call summary is 10,485,760"),
    bad(
        "case call",
        "who",
        N,
        "--summary",
        "ok",
        "--with",
        HUGE,
        says="who was on the call is 1,000,000 characters",
    ),  # fmt: skip
    bad(
        "case call",
        "outcome",
        N,
        "--summary",
        "ok",
        "--outcome",
        HUGE,
        says="the outcome is 1,000,000 characters",
    ),  # fmt: skip
    *versions("case call", N, "--summary", "called"),
    *case_numbers("case move", "open"),
    bad("case move", "status", N, "nope", says="unknown status 'nope'"),
    bad("case move", "status", N, "", says="unknown status ''"),
    bad("case move", "status", N, "new", says="new", pg=True),  # not a move from open
    bad(
        "case move",
        "note_text",
        N,
        "waiting-on-customer",
        "--note",
        TEN_MB,
        says="the note is 10,485,760 characters",
    ),  # fmt: skip
    *versions("case move", N, "waiting-on-customer"),
    *case_numbers("case severity", "2", "--reason", "r"),
    bad("case severity", "level", N, "9", "--reason", "r", says="has no severity 9", pg=True),
    bad("case severity", "level", N, "1", "--reason", "r", says="already Sev 1"),
    bad("case severity", "level", N, "abc", "--reason", "r", says="not a severity level"),
    bad("case severity", "level", N, "", "--reason", "r", says="not a severity level"),
    bad(
        "case severity",
        "reason",
        N,
        "2",
        "--reason",
        "",
        says="reason for the severity change is empty",
    ),
    bad("case severity", "reason", N, "2", "--reason", TEN_MB, says="10,485,760 characters"),
    *versions("case severity", N, "2", "--reason", "r"),
    *case_numbers("case assign", "bob"),
    bad("case assign", "user", N, "", says="the assignee is empty", pg=True),
    bad("case assign", "user", N, "   ", says="the assignee is empty"),
    bad("case assign", "user", N, HUGE, says="the assignee is 1,000,000 characters"),
    *versions("case assign", N, "bob"),
    *case_numbers("case take"),
    *versions("case take", N),
    *case_numbers("case release"),
    bad("case release", "number", N, says="already unassigned", pg=True),
    *versions("case release", N),
    *case_numbers("case escalate", "--reason", "r"),
    bad("case escalate", "reason", N, "--reason", " ", says="reason for the escalation is empty"),
    bad("case escalate", "reason", N, "--reason", TEN_MB, says="10,485,760 characters"),
    *versions("case escalate", N, "--reason", "r"),
    *case_numbers("case split", "--subject", "s"),
    bad("case split", "subject", N, "--subject", "", says="subject of the new case is empty"),
    bad("case split", "subject", N, "--subject", HUGE, says="1,000,000 characters", pg=True),
    bad(
        "case split",
        "description",
        N,
        "--subject",
        "s",
        "--description",
        TEN_MB,
        says="description of the new case is 10,485,760",
    ),  # fmt: skip
    *versions("case split", N, "--subject", "s"),
    *case_numbers("case customer-reply", "thanks"),
    bad("case customer-reply", "text", N, "", says="the customer's reply is empty"),
    bad("case customer-reply", "text", N, TEN_MB, says="10,485,760 characters"),
    *versions("case customer-reply", N, "thanks"),
    # -- attachments --------------------------------------------------------------------
    *case_numbers("case attach", "{notes}"),
    bad("case attach", "path", N, "", says="the file to attach is empty"),
    bad("case attach", "path", N, "{folder}", says="it is a directory", pg=True),
    bad("case attach", "path", N, "{missing}", says="no such file"),
    bad("case attach", "path", N, "{nowhere}/x.log", says="no such file"),
    bad("case attach", "path", N, "{secret}", says="permission denied", denied=("secret", 0)),
    bad(
        "case attach",
        "path",
        N,
        "{garbage}",
        says="over the 1 KB limit",
        env=(("DESKTERM_ATTACHMENT_LIMIT", "1KB"),),
    ),  # fmt: skip
    bad("case attach", "path", N, "/dev/null", says="it is a character device"),
    bad("case attach", "name", N, "{notes}", "--name", "", says="the attachment name is empty"),
    bad("case attach", "name", N, "{notes}", "--name", "a/b", says="is a path"),
    bad("case attach", "name", N, "{notes}", "--name", HUGE, says="1,000,000 characters"),
    *versions("case attach", N, "{notes}"),
    # -- the directory ------------------------------------------------------------------
    bad("org add", "name", "", "--policy", "standard-tier", says="the organization name is empty"),
    bad("org add", "name", "  ", "--policy", "standard-tier", says="organization name is empty"),
    bad("org add", "name", HUGE, "--policy", "standard-tier", says="1,000,000 characters"),
    bad("org add", "name", "Acme", "--policy", "standard-tier", says="exists already", pg=True),
    bad("org add", "policy", "Initech", "--policy", "nope", says="no policy named 'nope'"),
    bad("org add", "policy", "Initech", "--policy", "", says="no policy named ''"),
    bad(
        "org add",
        "policy",
        "Initech",
        "--policy",
        "broken",
        says="policy 'broken' has problems",
        env=(("DESKTERM_POLICIES", "{policies}"),),
    ),  # fmt: skip
    bad("org add", "policy", "Initech", "--policy", "{policies}/broken.toml", says="has problems"),
    bad(
        "org add",
        "tier",
        "Initech",
        "--policy",
        "standard-tier",
        "--tier",
        "",
        says="the tier is empty",
    ),  # fmt: skip
    bad(
        "org add",
        "tier",
        "Initech",
        "--policy",
        "standard-tier",
        "--tier",
        HUGE,
        says="the tier is 1,000,000 characters",
    ),  # fmt: skip
    bad(
        "org add",
        "contract_until",
        "Initech",
        "--policy",
        "standard-tier",
        "--contract-until",
        "2026-13-45",
        says="'2026-13-45' is not a date",
    ),  # fmt: skip
    bad(
        "org add",
        "contract_until",
        "Initech",
        "--policy",
        "standard-tier",
        "--contract-until",
        "",
        says="'' is not a date",
    ),  # fmt: skip
    bad("contact add", "name", "", "--org", "Acme", says="the contact name is empty"),
    bad("contact add", "name", HUGE, "--org", "Acme", says="1,000,000 characters"),
    bad("contact add", "name", "Bob", "--org", "Acme", says="has a contact named 'Bob'", pg=True),
    bad("contact add", "org", "Zed", "--org", "Nope", says="no organization named 'Nope'"),
    bad("contact add", "org", "Zed", "--org", "", says="the organization is empty"),
    bad("contact add", "email", "Zed", "--org", "Acme", "--email", "zed", says="not an e-mail"),
    bad(
        "contact add",
        "email",
        "Zed",
        "--org",
        "Acme",
        "--email",
        "",
        says="e-mail address is empty",
    ),
    bad(
        "contact add",
        "email",
        "Zed",
        "--org",
        "Acme",
        "--email",
        "z d@x.example",
        says="not an e-mail address",
        pg=True,
    ),  # fmt: skip
    bad(
        "contact add", "phone", "Zed", "--org", "Acme", "--phone", " ", says="phone number is empty"
    ),
    bad(
        "contact add", "phone", "Zed", "--org", "Acme", "--phone", HUGE, says="1,000,000 characters"
    ),
    # -- moving the desk ----------------------------------------------------------------
    bad("export", "file", "", says="the path is empty"),
    bad("export", "file", "{folder}", says="exists: name a new file"),
    bad("export", "file", "{notes}", says="exists: name a new file"),
    bad("export", "file", "{nowhere}/desk.jsonl", says="No such file or directory"),
    bad(
        "export", "file", "{locked}/desk.jsonl", says="Permission denied", denied=("locked", 0o500)
    ),
    bad("import", "file", "", says="the path is empty"),
    bad("import", "file", "{folder}", says="Is a directory; nothing imported"),
    bad("import", "file", "{missing}", says="No such file or directory; nothing imported"),
    bad("import", "file", "{secret}", says="Permission denied", denied=("secret", 0)),
    bad("import", "file", "{notes}", says="line 1: not JSON"),
    bad("import", "file", "{garbage}", says="not UTF-8 text"),
    bad("import", "file", "{empty}", says="is empty: not a deskterm export"),
    bad("import", "file", "{export}", says="the desk is not empty", pg=True),
    bad("backup", "file", "", says="the path is empty"),
    bad("backup", "file", "{folder}", says="is a directory"),
    bad("backup", "file", "{notes}", says="--force"),
    bad("backup", "file", "{nowhere}/copy.db", says="does not exist"),
    bad("restore", "file", "", says="the path is empty"),
    bad("restore", "file", "{folder}", says="is not a file"),
    bad("restore", "file", "{missing}", says="does not exist"),
    bad("restore", "file", "{notes}", "--force", says="is not an SQLite database"),
    bad("restore", "file", "{garbage}", "--force", says="is not an SQLite database"),
    bad("restore", "file", "{empty}", "--force", says="is not an SQLite database"),
    bad("restore", "file", "{other_db}", "--force", says="not a deskterm desk"),
    bad("restore", "file", "{secret}", "--force", says="cannot read", denied=("secret", 0)),
    bad("demo", "cases", "--cases", "abc", says="--cases: 'abc' is not a whole number"),
    bad("demo", "cases", "--cases", "0", says="--cases: 0 is not a number from 1 to 1000000"),
    bad("demo", "cases", "--cases", "-1", says="not a number from 1 to 1000000"),
    bad("demo", "cases", "--cases", BIG, says="not a number from 1 to 1000000"),
    bad("demo", "seed", "--seed", "abc", says="--seed: 'abc' is not a whole number"),
    bad("demo", "seed", "--seed", BIG, says="too large"),
    # -- search --------------------------------------------------------------------------
    bad("search", "query", "", says="nothing to search for", pg=True),
    bad("search", "query", "   ", says="nothing to search for"),
    bad("search", "query", "sev:1", says="nothing to search for"),
    bad("search", "query", "--", "-saml", says="not only what to leave out", pg=True),
    bad("search", "query", "-saml", says="no such option: -s"),
    bad("search", "query", "sev:x saml", says="a severity is a number"),
    bad("search", "query", "due<2w saml", says="write due<30m"),
    bad("search", "query", "x" * 300, says="at most 200 characters", pg=True),
    bad("search", "query", HUGE, says="at most 200 characters"),
    bad("search", "query", " ".join(["w"] * 40), says="at most 32 search words"),
    bad("search", "query", '"!!!" -', says="nothing to search for"),
    bad("search", "status", "saml", "--status", "zzz", says="status:zzz matches no statuses"),
    bad("search", "status", "saml", "--status", "", says="matches several statuses"),
    bad("search", "limit", "saml", "--limit", "0", says="not a number from 1 to 1000"),
    bad("search", "limit", "saml", "--limit", "abc", says="'abc' is not a whole number"),
    bad("search", "limit", "saml", "--limit", BIG, says="not a number from 1 to 1000"),
    # -- the shift lead's commands ------------------------------------------------------
    bad("handoff", "since", "--since", "abc", says="'abc' is not a period such as 8h"),
    bad("handoff", "since", "--since", "0h", says="is not a period"),
    bad("handoff", "since", "--since", "-1h", says="is not a period"),
    bad("handoff", "since", "--since", "", says="is not a period"),
    bad("handoff", "since", "--since", "99999999h", says="longer than a year"),
    bad("handoff", "since", "--since", DIGITS + "h", says="is not a period"),
    bad("handoff", "format", "--format", "pdf", says="--format must be one of markdown, json"),
    bad(
        "report",
        "start",
        "--from",
        "2026-13-45",
        "--to",
        "2026-11-30",
        says="--from: '2026-13-45' is not a date",
    ),
    bad("report", "start", "--from", "yesterday", "--to", "2026-11-30", says="is not a date"),
    bad("report", "start", "--from", "2026-11-01T08:00", "--to", "2026-11-30", says="not a date"),
    bad("report", "start", "--from", "", "--to", "2026-11-30", says="is not a date"),
    bad("report", "start", "--from", "0001-01-01", "--to", "2026-11-30", says="out of range"),
    bad(
        "report",
        "end",
        "--from",
        "2026-11-01",
        "--to",
        "9999-12-31",
        says="--to: '9999-12-31' is out of range",
    ),
    bad(
        "report",
        "end",
        "--from",
        "2026-11-30",
        "--to",
        "2026-11-01",
        says="--to must come after",
        pg=True,
    ),  # fmt: skip
    bad(
        "report",
        "by",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--by",
        "team",
        says="--by must be one of",
    ),
    bad(
        "report",
        "format",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "pdf",
        says="--format must be one of table, csv, json",
    ),  # fmt: skip
    bad("serve", "port", "--port", "abc", says="--port: 'abc' is not a whole number"),
    bad("serve", "port", "--port", "0", says="0 is not a number from 1 to 65535"),
    bad("serve", "port", "--port", "65536", says="not a number from 1 to 65535"),
    bad("serve", "port", "--port", BIG, says="not a number from 1 to 65535"),
    bad("serve", "host", "--host", "", says="--host is empty"),
    bad("serve", "host", "--host", "256.0.0.1", "--port", "{busy_port}", says="cannot listen on"),
    bad("serve", "port", "--port", "{busy_port}", says="Address already in use"),
    # -- policies -----------------------------------------------------------------------
    bad("policy show", "name", "nope", says="no policy named 'nope'"),
    bad("policy show", "name", "", says="no policy named ''"),
    bad("policy show", "name", "{policies}/broken.toml", says="has problems"),
    bad("policy check", "file", "", says="the path is empty"),
    bad("policy check", "file", "{folder}", says="it is a directory", every_line_names="{folder}"),
    bad("policy check", "file", "{missing}", says="No such file", every_line_names="{missing}"),
    bad("policy check", "file", "{notes}", says="TOML syntax", every_line_names="{notes}"),
    bad("policy check", "file", "{garbage}", says="not UTF-8 text", every_line_names="{garbage}"),
    bad(
        "policy check", "file", "{backup_db}", says="not UTF-8 text", every_line_names="{backup_db}"
    ),
    bad(
        "policy check",
        "file",
        "{secret}",
        says="Permission denied",
        denied=("secret", 0),
        every_line_names="{secret}",
    ),  # fmt: skip
    bad(
        "policy check",
        "file",
        "{policies}/broken.toml",
        says="title: must be a non-empty",
        every_line_names="{policies}/broken.toml",
    ),  # fmt: skip
    bad("policy diff", "name", "nope", "{missing}", says="no policy named 'nope'"),
    bad(
        "policy diff",
        "file",
        "business-hours-3",
        "{missing}",
        says="No such file",
        every_line_names="{missing}",
    ),  # fmt: skip
    bad("policy diff", "file", "business-hours-3", "", says="the path is empty"),
    bad("policy apply", "name", "nope", says="no policy named 'nope'"),
    bad(
        "policy apply",
        "file",
        "business-hours-3",
        "{missing}",
        says="No such file",
        every_line_names="{missing}",
    ),  # fmt: skip
    bad("policy apply", "file", "business-hours-3", "", says="the path is empty"),
    bad(
        "policy apply",
        "if_impact_hash",
        "business-hours-3",
        "--if-impact-hash",
        "zzz",
        says="not the one the diff printed",
    ),  # fmt: skip
    bad(
        "policy diff",
        "file",
        "standard-tier",
        "{policies}/broken.toml",
        says="title: must be a non-empty",
        every_line_names="{policies}/broken.toml",
    ),  # fmt: skip
    bad(
        "policy due",
        "policy_name",
        "--policy",
        "nope",
        "--severity",
        "1",
        "--received",
        "2026-11-23T16:00Z",
        says="no policy named 'nope'",
    ),  # fmt: skip
    bad(
        "policy due",
        "policy_name",
        "--policy",
        "{policies}/broken.toml",
        "--severity",
        "1",
        "--received",
        "2026-11-23T16:00Z",
        says="has problems",
    ),  # fmt: skip
    bad(
        "policy due",
        "severity",
        "--policy",
        "standard-tier",
        "--severity",
        "9",
        "--received",
        "2026-11-23T16:00Z",
        says="has no severity 9 (levels: 1, 2, 3)",
    ),  # fmt: skip
    bad(
        "policy due",
        "severity",
        "--policy",
        "standard-tier",
        "--severity",
        "abc",
        "--received",
        "2026-11-23T16:00Z",
        says="'abc' is not a severity level",
    ),  # fmt: skip
    *(
        bad(
            "policy due",
            "received",
            "--policy",
            "standard-tier",
            "--severity",
            "1",
            "--received",
            value,
            says=says,
        )  # fmt: skip
        for value, says in INSTANTS
    ),
    # -- mail ---------------------------------------------------------------------------
    bad("mail ingest", "stdin", says="not a mail message", stdin=GARBAGE_MAIL, pg=True),
    bad("mail ingest", "stdin", says="the message is empty", stdin=b""),
    bad("mail ingest", "stdin", says="its text is 10,485,760 characters long", stdin=HUGE_MAIL),
    bad("mail ingest", "maildir", "--maildir", "", says="the path is empty"),
    bad("mail ingest", "maildir", "--maildir", "{folder}", says="is not a Maildir"),
    bad("mail ingest", "maildir", "--maildir", "{missing}", says="is not a Maildir"),
    bad("mail retry", "message", "abc", says="'abc' is not a whole number"),
    bad("mail retry", "message", "0", says="too small"),
    bad("mail retry", "message", BIG, says="too large"),
    bad("mail retry", "message", "999", says="no message 999 in the outbox", pg=True),
    bad("mail outbox", "case", "--case", "abc", says="'abc' is not a case number"),
    bad("mail outbox", "case", "--case", "99999", says="no case 99999", pg=True),
    bad("mail outbox", "case", "--case", BIG, says="no case"),
    bad("mail take", "triage_id", "abc", "--case", N, says="not a whole number"),
    bad("mail take", "triage_id", "0", "--case", N, says="too small"),
    bad("mail take", "triage_id", BIG, "--case", N, says="too large"),
    bad("mail take", "triage_id", "999", "--case", N, says="no mail #999 in triage", pg=True),
    bad("mail take", "triage_id", "1", says="onto a case (--case N) or into a new case"),
    bad("mail show", "triage_id", "abc", says="not a whole number"),
    bad("mail show", "triage_id", "0", says="too small"),
    bad("mail show", "triage_id", "999", says="no mail #999 in triage", pg=True),
    bad("mail take", "case", "1", "--case", "99999", says="no case 99999", pg=True),
    bad("mail take", "case", "1", "--case", "abc", says="not a case number"),
    bad("mail take", "org", "1", "--org", "Nope", says="no organization named 'Nope'", pg=True),
    bad("mail take", "org", "1", "--org", "", says="the organization is empty"),
    bad(
        "mail take",
        "contact",
        "1",
        "--org",
        "Acme",
        "--contact",
        "Nobody",
        says="no contact named 'Nobody'",
    ),  # fmt: skip
    bad("mail take", "severity", "1", "--org", "Acme", "--severity", "9", says="has no severity 9"),
    bad("mail take", "severity", "1", "--org", "Acme", "--severity", "x", says="not a severity"),
    # -- a parser's complaints, one line each -------------------------------------------
    bad("case list", "as_json", "--jsn", says="no such option: --jsn"),
    bad("case", "command", "nope", says="no such command 'nope'"),
    bad("case show", "number", says="missing argument 'N'"),
    bad("case show", "number", N, "extra", says="unexpected extra argument"),
]

# Parameters that take a value but no value of theirs is refused, and why.
TAKES_ANYTHING: dict[tuple[str, str], str] = {}
# Commands whose only input is flags (and the root's --db and --as, tested for each below).
FLAGS_ONLY = {
    "sweep",
    "doctor",
    "board",
    "sev1",
    "policy list",
    "org list",
    "template list",
    "db status",
    "db upgrade",
    "db reindex",
    "db recount",
    "mail send",
    "mail triage",
}


# --- the command tree ----------------------------------------------------------------


def commands() -> dict[str, Any]:
    """Every command of the tree by its path ("case show"), the root as ""."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: str) -> None:
        found[path] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    return found


def inventory() -> dict[tuple[str, str], Any]:
    """(command, parameter) for every parameter that takes a value (flags take none)."""
    return {
        (path, param.name): param
        for path, command in commands().items()
        for param in command.params
        if not getattr(param, "is_flag", False)
    }


def leaves() -> list[str]:
    return [path for path, command in commands().items() if not hasattr(command, "commands")]


def test_every_parameter_that_takes_a_value_has_bad_input_cases() -> None:
    covered = {(case.command, case.param) for case in BAD}
    parameters = inventory()
    missing = set(parameters) - covered - set(TAKES_ANYTHING)
    assert not missing, f"no bad-input case for {sorted(missing)}"
    for path in leaves():
        takes = [p for (c, p) in parameters if c == path]
        assert takes or path in FLAGS_ONLY, f"{path!r} takes no value: list it in FLAGS_ONLY"
    assert set(leaves()) >= FLAGS_ONLY


def test_every_typed_parameter_is_parsed_by_the_cli_parsers() -> None:
    """An int (or a path, an instant) straight from typer would overflow the database's
    integers or turn '' into '.': each goes through one of cli/params.py's parsers."""
    for (path, name), param in inventory().items():
        descriptor = param.type_descriptor
        if descriptor.annotation is str:
            continue
        parser = descriptor.parameter_info.parser
        assert parser in params.PARSERS, f"{path} {name}: {descriptor.annotation} without a parser"


# --- a desk to refuse things on ----------------------------------------------------------


def build(db: str, scratch: Path) -> None:
    def ok(*args: str, stdin: bytes | None = None) -> None:
        code, out, err = invoke(["--db", db, "--as", "alice", *args], stdin)
        assert code == 0, (args, out, err)

    ok("org", "add", "Acme", "--policy", "standard-tier")
    ok("org", "add", "Lapsed", "--policy", "standard-tier", "--contract-until", "2026-06-30")
    ok("contact", "add", "Bob", "--org", "Acme", "--email", "bob@acme.example", "--admin")
    ok("contact", "add", "Lena", "--org", "Lapsed")
    ok("case", "new", "--org", "Acme", "--contact", "Bob", "--severity", "1", "--subject", "Down")
    ok("case", "reply", N, "We are on it")  # an outbox row (not sent: no relay)
    log = scratch / "server.log"
    log.write_text("09:00 ERROR disk full\n")
    ok("case", "attach", N, str(log))  # a file in the attachment store
    ok("mail", "ingest", stdin=STRANGER_MAIL)  # triage #1, with an attachment


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input-template")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DESKTERM_NOW", NOW)
        build(str(folder / "desk.db"), folder)
    return folder


def copy_desk(template: Path, target: Path) -> Path:
    target.mkdir()
    db = target / "desk.db"
    with closing(sqlite3.connect(template / "desk.db")) as src, closing(sqlite3.connect(db)) as dst:
        src.backup(dst)
    shutil.copytree(template / "attachments", target / "attachments")
    return db


def make_scratch(folder: Path, desk: str) -> dict[str, str]:
    """The files bad input names: a directory, a text, bytes, an empty file ...; made
    once a module (each test checks that none of them changed)."""
    folder.mkdir()
    (folder / "folder").mkdir()
    (folder / "locked").mkdir()
    (folder / "notes.txt").write_text("just some notes, not a desk\n")
    (folder / "secret.txt").write_text("nobody may read this\n")
    (folder / "empty").write_bytes(b"")
    (folder / "garbage.bin").write_bytes(GARBAGE_MAIL)
    (folder / "policies").mkdir()
    (folder / "policies" / "broken.toml").write_text('name = "broken"\ntitle = 3\n')
    with closing(sqlite3.connect(folder / "other.db")) as other:
        other.execute("CREATE TABLE notes (line TEXT)")
        other.commit()
    for copy in ("locked.db", "backup.db"):  # whole desks, what is in the WAL too
        with closing(sqlite3.connect(desk)) as src, closing(sqlite3.connect(folder / copy)) as dst:
            src.backup(dst)
    code, _, err = invoke(["--db", desk, "export", str(folder / "desk.jsonl")])
    assert code == 0, err
    paths = {
        "folder": folder / "folder",
        "locked": folder / "locked",
        "notes": folder / "notes.txt",
        "secret": folder / "secret.txt",
        "empty": folder / "empty",
        "garbage": folder / "garbage.bin",
        "policies": folder / "policies",
        "other_db": folder / "other.db",
        "locked_db": folder / "locked.db",
        "backup_db": folder / "backup.db",
        "export": folder / "desk.jsonl",
        "missing": folder / "missing.txt",
        "nowhere": folder / "no-such-directory",
    }
    # A port someone already listens on (the module's own socket, open until its end).
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    BUSY.append(busy)
    return {
        **{name: str(path) for name, path in paths.items()},
        "busy_port": str(busy.getsockname()[1]),
    }


@dataclass
class Where:
    """A desk under test: its --db, and the folders whose files must not change.

    One desk serves a module's bad input (none of it may write); `last` is its
    fingerprint after the previous case, so each case is checked against the desk
    as it was just before it, at the cost of one read of every table.
    """

    db: str
    attachments: Path
    folders: list[Path]
    scratch: dict[str, str] = field(default_factory=dict)
    last: dict[str, Any] | None = None


def tree(folders: list[Path]) -> list[tuple[str, int, str]]:
    """Every file under `folders` with its size and content hash; the SQLite file's own
    bytes are left out (a read may fold its WAL in), its rows are in `every_row`."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            name = str(path.relative_to(folder.parent))
            if path.name.endswith(("-wal", "-shm", "-journal")):
                continue
            if path.is_dir() or path.suffix == ".db":
                found.append((name, 0, ""))
                continue
            found.append((name, path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()))
    return found


def fingerprint(where: Where) -> dict[str, Any]:
    """What must be the same after bad input: every table's rows, and the files."""
    return {"rows": every_row(where.db), "files": tree([where.attachments, *where.folders])}


def every_row(db: str) -> dict[str, str]:
    """The checksum of each table's rows (an FTS5 index by its own tables), in no
    particular order: `deskterm export` in-process took three quarters of this test's
    CPU, and it leaves out the mail tables, the counters and the search index."""
    if db.startswith("postgresql"):
        engine = make_engine(db)  # its URL names the test's schema
        try:
            with engine.connect() as connection:
                tables = connection.exec_driver_sql(
                    "SELECT table_name FROM information_schema.tables WHERE "
                    "table_schema = current_schema() AND table_type = 'BASE TABLE'"
                ).scalars()
                return {
                    name: _checksum(connection.exec_driver_sql(f'SELECT * FROM "{name}"'))
                    for name in sorted(tables)
                }
        finally:
            engine.dispose()
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as raw:
        tables = raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
        ).fetchall()
        return {name: _checksum(raw.execute(f'SELECT * FROM "{name}"')) for (name,) in tables}


def _checksum(rows: Any) -> str:
    return hashlib.sha256(
        repr(sorted(repr(tuple(row)) for row in rows)).encode("utf-8", "surrogatepass")
    ).hexdigest()


@contextmanager
def circumstances(case: Bad, where: Where) -> Iterator[None]:
    """The case's environment and unreadable file, for its run only (not the checksum's)."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in case.env:
            env.setenv(name, value.format(**where.scratch))
        if case.denied is None:
            yield
            return
        name, mode = case.denied
        with denied(Path(where.scratch[name]), mode):
            yield


def refuse(case: Bad, where: Where, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run `case`: exit 2, one line (or one a problem), nothing on stdout, nothing changed."""
    args = [part.format(**where.scratch) for part in (*case.root, *case.args)]
    before = where.last or fingerprint(where)
    with circumstances(case, where):
        code, out, err = invoke(args, case.stdin)
    assert (code, out) == (2, ""), (code, out[:300], err[:300])
    assert "Traceback" not in err
    lines = err.splitlines()
    if case.every_line_names is None:
        assert len(lines) == 1, err[:2000]
        assert lines[0].startswith("deskterm: ")
        assert len(lines[0]) < 700, "a huge value is not repeated whole"
    else:
        named = case.every_line_names.format(**where.scratch)
        assert lines and all(line.startswith(f"{named}: ") for line in lines), err
    assert case.says in err, err[:2000]
    where.last = after = fingerprint(where)
    assert after == before


@pytest.fixture(scope="module")
def scratch(
    template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("bad-input-files") / "scratch"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DESKTERM_NOW", NOW)
        files = make_scratch(folder, str(template / "desk.db"))
    yield folder, files
    while BUSY:
        BUSY.pop().close()


@pytest.fixture(scope="module")
def shared_desk(
    template: Path, scratch: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Where:
    folder = tmp_path_factory.mktemp("bad-input-desk")
    db = copy_desk(template, folder / "desk")
    files_folder, files = scratch
    return Where(str(db), folder / "desk" / "attachments", [files_folder],
                 {"desk": str(db), **files})  # fmt: skip


@pytest.fixture
def sqlite_desk(shared_desk: Where, monkeypatch: pytest.MonkeyPatch) -> Where:
    monkeypatch.setenv("DESKTERM_NOW", NOW)
    return shared_desk


@pytest.mark.parametrize("case", BAD, ids=lambda case: case.id)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    case: Bad, sqlite_desk: Where, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse(case, sqlite_desk, monkeypatch)


# --- every command that opens the desk, on a --db it cannot use ------------------------

# A well-formed call of each command, which only the --db can spoil.
BUSINESS_HOURS_3 = (
    Path(__file__).resolve().parents[2] / "data" / "policies" / "business-hours-3.toml"
)
GOOD: dict[str, tuple[str, ...]] = {
    "sweep": (),
    "demo": ("--cases", "1"),
    "export": ("{folder}/out.jsonl",),
    "import": ("{export}",),
    "backup": ("{folder}/copy.db",),
    "restore": ("{backup_db}", "--force"),
    "handoff": (),
    "search": ("login",),
    "report": ("--from", "2026-11-01", "--to", "2026-11-30"),
    "open": (N,),
    "sev1": (),
    "board": (),
    "case new": NEW,
    "case list": (),
    "case show": (N,),
    "case reply": (N, "hello"),
    "case note": (N, "hello"),
    "case call": (N, "--summary", "called"),
    "case move": (N, "open"),
    "case severity": (N, "2", "--reason", "r"),
    "case assign": (N, "bob"),
    "case take": (N,),
    "case release": (N,),
    "case escalate": (N, "--reason", "r"),
    "case split": (N, "--subject", "s"),
    "case customer-reply": (N, "thanks"),
    "case attach": (N, "{notes}"),
    "case attachments": (N,),
    "case why": (N,),
    "policy diff": ("business-hours-3", str(BUSINESS_HOURS_3)),
    "policy apply": ("business-hours-3", str(BUSINESS_HOURS_3)),
    "org add": ("Initech", "--policy", "standard-tier"),
    "org list": (),
    "contact add": ("Zed", "--org", "Acme"),
    "contact list": (),
    "db status": (),
    "db upgrade": (),
    "db reindex": (),
    "db recount": (),
    "mail ingest": (),
    "mail send": (),
    "mail retry": ("1",),
    "mail outbox": (),
    "mail triage": (),
    "mail show": ("1",),
    "mail take": ("1", "--case", N),
}
# Commands that never open the desk, and why.
NO_DESK = {
    "policy list": "reads policy files only",
    "policy show": "reads policy files only",
    "policy check": "reads the file it is given",
    "policy due": "pure SLA arithmetic",
    "template list": "reads template files only",
    "template show": "reads template files only",
    "serve": "starts a web server that runs the console; each console opens the desk",
    "doctor": "examines a bad database and reports it (FAIL, exit 1): its purpose",
}
# (The root's own cases above take --db "" and a missing directory: those are refused
# before any command's code runs.)
BAD_DATABASES = [
    ("{folder}", "is a directory: name the database file in it"),
    ("{notes}", "is not an SQLite database"),
]
# Commands that read the database file their own way, not through opening the desk:
# an unreadable one is refused in their own words, which name it.
OWN_WAY = ("backup", "restore", "db status", "db upgrade", "mail ingest")
SWEEP = [
    *((command, db, says, None) for command in sorted(GOOD) for db, says in BAD_DATABASES),
    *((command, "{locked_db}", "locked.db", ("locked_db", 0)) for command in OWN_WAY),
    ("case list", "{locked_db}", "the database file cannot be opened", ("locked_db", 0)),
]


def test_every_command_is_in_the_good_calls_or_opens_no_desk() -> None:
    assert set(leaves()) == set(GOOD) | set(NO_DESK)


@pytest.mark.parametrize(
    ("command", "db", "says", "locked"), SWEEP, ids=[f"{c}-{d}" for c, d, _, _ in SWEEP]
)
def test_every_command_refuses_a_database_it_cannot_use(
    command: str,
    db: str,
    says: str,
    locked: tuple[str, int] | None,
    sqlite_desk: Where,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdin = STRANGER_MAIL if command == "mail ingest" else None
    case = Bad(command, "db", (*command.split(), *GOOD[command]), says, ("--db", db), stdin,
               denied=locked)  # fmt: skip
    if command == "mail ingest" and locked:
        # Documented: a database mail ingest cannot reach is a temporary failure (75),
        # so the mail server keeps the message and tries again.
        args = [part.format(**sqlite_desk.scratch) for part in (*case.root, *case.args)]
        with circumstances(case, sqlite_desk):
            code, out, err = invoke(args, stdin)
        assert (code, out, len(err.splitlines())) == (75, "", 1), err
        assert "unable to open database file" in err
        return
    refuse(case, sqlite_desk, monkeypatch)


# --- the same on PostgreSQL ------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Where]]:
    if not os.environ.get("DESKTERM_TEST_PG"):
        pytest.skip("DESKTERM_TEST_PG not set")
    from tests.desk.conftest import drop_pg_schema, pg_engine_in_fresh_schema

    engine, schema, admin = pg_engine_in_fresh_schema()
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    folder = tmp_path_factory.mktemp("bad-input-pg")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DESKTERM_NOW", NOW)
        env.setenv("DESKTERM_ATTACHMENTS", str(folder / "attachments"))
        build(url, folder)
    yield url, folder, Where(url, folder / "attachments", [])
    drop_pg_schema(schema, admin)


@pytest.fixture
def pg_desk(
    pg_template: tuple[str, Path, Where],
    scratch: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> Where:
    url, folder, where = pg_template
    monkeypatch.setenv("DESKTERM_NOW", NOW)
    monkeypatch.setenv("DESKTERM_ATTACHMENTS", str(folder / "attachments"))
    if where.scratch.get("desk") is None:
        files_folder, files = scratch
        where.folders.append(files_folder)
        where.scratch.update({"desk": url, **files})
    return where


@pytest.mark.parametrize("case", [c for c in BAD if c.pg], ids=lambda case: case.id)
def test_bad_input_changes_nothing_on_postgresql(
    case: Bad, pg_desk: Where, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every case of the desk the use cases refuse, one desk for them all: nothing is
    # written, so none can spoil the next (the fingerprint checks it each time).
    refuse(case, pg_desk, monkeypatch)


def test_backup_and_restore_refuse_a_postgresql_desk(
    pg_desk: Where, monkeypatch: pytest.MonkeyPatch
) -> None:
    for command, says in (("backup", "use pg_dump"), ("restore", "use pg_restore")):
        case = Bad(command, "file", (command, "{folder}/copy.db"), says)
        refuse(case, pg_desk, monkeypatch)


# --- the real command, in a process of its own ------------------------------------------


def deskterm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("deskterm")
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["case", "show", BIG], "no case 1000000000000000000000000000000"),
        (["case", "list", "--limit", "x"], "--limit: 'x' is not a whole number"),
        (["--db", "{notes}", "org", "list"], "is not an SQLite database"),
        (["--db", "{folder}"], "is a directory"),  # the console itself
    ],
)
def test_the_installed_command_exits_2_without_a_traceback(
    args: list[str], says: str, sqlite_desk: Where
) -> None:
    args = [part.format(**sqlite_desk.scratch) for part in args]
    if args[0] != "--db":
        args = ["--db", sqlite_desk.db, *args]
    before = fingerprint(sqlite_desk)
    done = deskterm(*args, env={"DESKTERM_NOW": NOW})
    assert (done.returncode, done.stdout) == (2, ""), done
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and says in done.stderr, done.stderr
    assert fingerprint(sqlite_desk) == before


def test_a_bug_is_one_line_and_its_traceback_goes_to_a_file(
    sqlite_desk: Where, tmp_path: Path
) -> None:
    """Not bad input: an error deskterm did not foresee. The user still sees no traceback."""
    program = (
        "import sys\n"
        "from deskterm.cli import main\n"
        "import deskterm.desk.queries as queries\n"
        "def broken(*args, **kwargs):\n"
        "    raise ZeroDivisionError('division by zero')\n"
        "queries.list_cases = broken\n"
        f"sys.argv = ['deskterm', '--db', {sqlite_desk.db!r}, 'case', 'list']\n"
        "main()\n"
    )
    state = tmp_path / "state"
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(state), "DESKTERM_NOW": NOW},
        timeout=60,
    )
    assert done.returncode == 70 and done.stdout == ""
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert "internal error (a bug, please report it): ZeroDivisionError" in done.stderr
    crash = state / "deskterm" / "last-crash.txt"
    assert str(crash) in done.stderr
    assert "Traceback" in crash.read_text() and crash.stat().st_mode & 0o077 == 0
