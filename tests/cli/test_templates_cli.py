"""Canned replies from the command line: `deskterm template list|show` and
`deskterm case reply N --template NAME` (issue 20).

The shipped templates are the standard messages of the seeds (001, 002): the
request for information that starts the customer response clock, resolved
pending confirmation, and the notice sent before a case closes automatically.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli.test_case_cli import Desk, assert_refused_and_unchanged, opened, templates
from tests.unreadable import denied

__all__ = ["opened", "templates"]  # fixtures, used by name

HOSTILE = "\x1b]0;owned\x07\x1b[31m[bold red]X[/] \u202e{{not}}"


def outbox_bodies(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as connection:
        return [row[0] for row in connection.execute("SELECT body FROM outbox ORDER BY id")]


def own_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **files: str) -> Path:
    directory = tmp_path / "templates"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("DESKTERM_TEMPLATES", str(directory))
    return directory


def test_the_seeds_standard_messages_are_shipped(opened: Desk) -> None:
    listed = {row["name"]: row for row in json.loads(opened.ok("template", "list", "--json"))}
    assert listed["information-request"]["move"] == "waiting-on-customer"
    assert listed["resolved-pending-confirmation"]["move"] == "resolved-pending-confirmation"
    assert listed["auto-close-notice"]["move"] is None
    assert all(row["problem"] is None for row in listed.values())
    out = opened.ok("template", "list")
    assert "information-request" in out and "waiting-on-customer" in out
    shown = opened.ok("template", "show", "resolved-pending-confirmation")
    assert "move: resolved-pending-confirmation" in shown and "{contact}" in shown


def test_information_request_fills_in_replies_and_starts_the_customer_clock(
    opened: Desk,
) -> None:
    out = opened.ok("case", "reply", "40100", "--template", "information-request")
    assert out.startswith(
        "Incident# 40100: reply recorded, not mailed: no mail relay configured, "
        "status waiting-on-customer"
    )
    case = opened.show(40100)
    assert case["status"] == "waiting-on-customer"
    # The move is in the same change as the reply (standard-tier has no customer
    # response target, so the waiting case's auto-close clock is what runs).
    assert [event["kind"] for event in case["events"][-2:]] == ["reply", "status"]
    assert case["events"][-1]["version"] == case["events"][-2]["version"]
    assert case["clocks"]["auto_close"]["state"] == "running"
    reply = [event for event in case["events"] if event["kind"] == "reply"][-1]
    assert reply["text"].startswith("Hello Bob,\n\nTo continue working on Incident# 40100 (Server")
    assert reply["text"].rstrip().endswith("Regards,\nalice")
    assert "{" not in reply["text"]
    # One mail to the customer: the reply, not a second "information requested".
    assert len(outbox_bodies(opened.db)) == 1


def test_the_move_can_be_left_out(opened: Desk) -> None:
    opened.ok("case", "reply", "40100", "--template", "information-request", "--no-move")
    assert opened.show(40100)["status"] == "new"


def test_every_placeholder_is_filled(
    opened: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskterm.desk.templates import PLACEHOLDERS

    body = "\n".join(f"{name}={{{name}}}" for name in PLACEHOLDERS) + "\nbrace={{x}}\n"
    own_templates(tmp_path, monkeypatch, **{"all.txt": body})
    sets = [
        arg
        for name in PLACEHOLDERS
        if name not in ("contact", "case", "subject", "organization", "engineer", "due", "inquirer")
        for arg in ("--set", f"{name}=v-{name}")
    ]
    opened.ok("case", "reply", "40100", "--template", "all", *sets)
    text = opened.show(40100)["events"][-1]["text"]
    lines = dict(line.split("=", 1) for line in text.splitlines())
    assert lines["contact"] == "Bob" and lines["case"] == "Incident# 40100"
    assert lines["subject"] == "Server down" and lines["organization"] == "Acme"
    assert lines["engineer"] == "alice"
    # Sev 1 received Mon 09:00 MST under standard-tier: first response due in business
    # hours, written in the calendar's own zone with the business time left.
    assert lines["due"].startswith("Mon 23 Nov 2026 13:00 MST, 4h 00m of business hours")
    assert lines["inquirer"] == "Bob"  # the contact, as the intake records it
    assert lines["product_version"] == "v-product_version"
    assert lines["brace"] == "{x}"


def test_a_placeholder_without_a_value_is_named_and_nothing_is_sent(
    opened: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_templates(tmp_path, monkeypatch, **{"ver.md": "Which {product} {product_version}?\n"})
    said = assert_refused_and_unchanged(opened, "case", "reply", "40100", "--template", "ver")
    assert "{product}" in said and "{product_version}" in said
    said = assert_refused_and_unchanged(
        opened,
        "case",
        "reply",
        "40100",
        "--template",
        "ver",
        "--set",
        "product=X",
        "--set",
        "product_version=  ",
    )
    assert "{product_version}" in said and "{product}," not in said


def test_hostile_text_is_inert_on_screen_and_mailed_as_written(
    opened: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_templates(
        tmp_path,
        monkeypatch,
        **{"evil.md": f"---\ntitle: {HOSTILE}\n---\n{HOSTILE} {{product}}\n"},
    )
    for args in (("template", "show", "evil"), ("template", "list")):
        out = opened.ok(*args)
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "␛" in out
    assert "[bold red]X[/]" in opened.ok("template", "show", "evil")
    value = "\x1b[2J{contact} [link=http://x]y[/link]"
    opened.ok("case", "reply", "40100", "--template", "evil", "--set", f"product={value}")
    written = f"{HOSTILE.replace('{{', '{').replace('}}', '}')} {value}"
    assert outbox_bodies(opened.db)[-1].startswith(written + "\n")
    assert opened.show(40100)["events"][-1]["text"] == written + "\n"
    shown = opened.ok("case", "show", "40100")
    assert "\x1b" not in shown


def test_a_broken_template_is_named_with_its_problem(
    opened: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_templates(
        tmp_path,
        monkeypatch,
        **{"typo.md": "Hello {contcat}\n", "badmove.md": "---\nmove: nowhere\n---\nhi\n"},
    )
    assert "PROBLEM" in opened.ok("template", "list")
    said = opened.bad("template", "show", "typo")
    assert "{contcat}" in said
    said = assert_refused_and_unchanged(opened, "case", "reply", "40100", "--template", "badmove")
    assert "'nowhere' is not a status" in said
    said = assert_refused_and_unchanged(opened, "case", "reply", "40100", "--template", "nope")
    assert "no template named 'nope'" in said and "information-request" in said


def test_a_missing_or_unreadable_template_dir_is_one_line(
    opened: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_TEMPLATES", str(tmp_path / "absent"))
    assert "does not exist" in opened.bad("template", "list")
    assert "does not exist" in assert_refused_and_unchanged(
        opened, "case", "reply", "40100", "--template", "information-request"
    )
    directory = own_templates(tmp_path, monkeypatch, **{"mine.md": "hi {contact}\n"})
    with denied(directory):
        said = opened.bad("template", "list")
    assert said.startswith("deskterm: cannot read the template directory")
    assert "Permission denied" in said


def test_a_site_template_overrides_the_shipped_one(
    opened: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Path(__import__("os").environ["XDG_CONFIG_DIRS"]) / "deskterm" / "templates"
    site.mkdir(parents=True)
    (site / "auto-close-notice.txt").write_text("Site notice for {contact}\n", encoding="utf-8")
    user = Path(__import__("os").environ["XDG_CONFIG_HOME"]) / "deskterm" / "templates"
    user.mkdir(parents=True)
    (user / "mine.md").write_text("Mine for {case}\n", encoding="utf-8")
    listed = {row["name"]: row for row in json.loads(opened.ok("template", "list", "--json"))}
    assert listed["auto-close-notice"]["text"] == "Site notice for {contact}\n"
    assert listed["mine"]["text"] == "Mine for {case}\n"


def test_reply_needs_text_or_a_template(opened: Desk) -> None:
    assert "TEXT or --template" in assert_refused_and_unchanged(opened, "case", "reply", "40100")
    assert "TEXT or --template" in assert_refused_and_unchanged(
        opened, "case", "reply", "40100", "hi", "--template", "information-request"
    )


def test_a_reply_says_where_it_was_mailed(
    opened: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "mail.toml"
    config.write_text('[mail]\nhost = "127.0.0.1"\nfrom = "desk@example.com"\n')
    monkeypatch.setenv("DESKTERM_CONFIG", str(config))
    out = opened.ok("case", "reply", "40100", "On it.")
    assert out == "Incident# 40100: reply mailed to bob@acme.example (version 2)\n"
