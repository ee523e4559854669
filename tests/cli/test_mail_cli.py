"""`deskterm mail ...`: the mail gateway's command-line contract.

`mail ingest` reads one message on stdin (a mail server's pipe alias) or takes a
Maildir; refusals exit 2 with one line and change nothing; `mail outbox` and
`mail triage` show untrusted text made inert for the terminal.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli.runner import invoke
from tests.cli.test_case_cli import NOW, Desk, copy_of, dump

MAIL = Path(__file__).parents[1] / "desk" / "mail"


def run(desk: Desk, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    return invoke(["--db", str(desk.db), "--as", "mailer", *args], stdin)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DESKTERM_NOW", NOW)
        desk = Desk(tmp_path_factory.mktemp("mail") / "desk.db")
        desk.ok("org", "add", "Acme", "--policy", "business-hours-3")
        desk.ok("contact", "add", "Bob Admin", "--org", "Acme", "--email", "bob@acme.test")
        desk.ok("case", "new", "--org", "Acme", "--contact", "Bob Admin", "--severity", "2",
                "--subject", "Server down")  # fmt: skip
    return desk.db


@pytest.fixture
def desk(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setenv("DESKTERM_NOW", NOW)
    monkeypatch.delenv("DESKTERM_ATTACHMENTS", raising=False)
    return copy_of(template, tmp_path)


def test_ingest_on_stdin_adds_the_reply_to_its_case(desk: Desk) -> None:
    code, out, err = run(desk, "mail", "ingest", stdin=(MAIL / "plain.eml").read_bytes())
    assert (code, err) == (0, "")
    assert out == "<plain-1@acme.test>: customer reply added to Incident# 40100\n"
    events = desk.show(40100)["events"]
    assert events[-1]["kind"] == "customer-reply"


def test_ingest_twice_takes_the_message_once(desk: Desk) -> None:
    raw = (MAIL / "plain.eml").read_bytes()
    run(desk, "mail", "ingest", stdin=raw)
    before = dump(desk.db)
    code, out, _ = run(desk, "mail", "ingest", stdin=raw)
    assert code == 0 and "already taken (the same Message-ID was taken on" in out
    assert dump(desk.db) == before


def test_a_refused_message_exits_2_with_one_line_and_nothing_changed(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", "10")  # the 50-byte log is too large
    before = dump(desk.db)
    code, out, err = run(
        desk, "mail", "ingest", stdin=(MAIL / "multipart_attachment.eml").read_bytes()
    )
    assert (code, out) == (2, "")
    assert err == (
        "deskterm: <multipart-1@acme.test>: refused: the attachment 'server.log' is 50 bytes, "
        "over the 10 bytes limit (DESKTERM_ATTACHMENT_LIMIT); nothing was taken\n"
    )
    assert dump(desk.db) == before


def maildir(tmp_path: Path, *names: str) -> Path:
    box = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for number, name in enumerate(names):
        shutil.copy(MAIL / name, box / "new" / f"17000000{number}.M1P1.host")
    return box


def test_a_maildir_is_taken_and_what_was_taken_is_marked_seen(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_ATTACHMENT_LIMIT", "10")
    box = maildir(tmp_path, "plain.eml", "unknown_sender.eml", "multipart_attachment.eml")
    code, out, err = run(desk, "mail", "ingest", "--maildir", str(box))
    assert code == 2  # one refused: said on stderr, the others taken
    assert out.splitlines() == [
        "<plain-1@acme.test>: customer reply added to Incident# 40100",
        "<unknown-1@example.org>: to triage as #1 (stranger@example.org: not a known contact)",
    ]
    assert "refused: the attachment 'server.log'" in err
    assert list((box / "new").iterdir()) == []
    flags = sorted(path.name.rpartition(":2,")[2] for path in (box / "cur").iterdir())
    assert flags == ["F", "S", "S"]  # taken: seen; refused: flagged for a person
    code, out, _ = run(desk, "mail", "ingest", "--maildir", str(box))
    assert (code, out) == (0, "")  # nothing new: nothing taken twice


def test_not_a_maildir_is_refused(desk: Desk, tmp_path: Path) -> None:
    code, _, err = run(desk, "mail", "ingest", "--maildir", str(tmp_path))
    assert code == 2 and "is not a Maildir (it needs new/ and cur/ directories)" in err


def test_outbox_shows_replies_not_sent_without_a_relay(desk: Desk) -> None:
    desk.ok("case", "reply", "40100", "Please restart the server.")
    code, out, _ = run(desk, "mail", "outbox")
    assert code == 0
    assert "not sent: no mail relay configured" in out and "40100" in out
    (line,) = json.loads(run(desk, "mail", "outbox", "--json")[1])
    assert (line["case"], line["kind"], line["status"]) == (40100, "reply", "not-sent")
    assert line["to"] == '"Bob Admin" <bob@acme.test>'
    code, _, err = run(desk, "mail", "send")
    assert code == 2 and "no mail relay configured" in err


def test_triage_lists_strangers_mail_made_safe_and_take_opens_a_case(desk: Desk) -> None:
    raw = (
        (MAIL / "unknown_sender.eml")
        .read_bytes()
        .replace(b"Subject: Do you sell licences?", b"Subject: =?utf-8?q?licences=1B]0;pwned=07?=")
    )
    run(desk, "mail", "ingest", stdin=raw)
    code, out, _ = run(desk, "mail", "triage")
    assert code == 0 and "stranger@example.org" in out and "licences" in out
    assert "\x1b" not in out and "\x07" not in out
    code, out, err = run(desk, "mail", "take", "1", "--org", "Acme")
    assert (code, out) == (0, "mail #1 taken into Incident# 40101\n"), err
    assert desk.show(40101)["severity"] == 3
    assert run(desk, "mail", "triage")[1] == "no mail in triage\n"
    code, _, err = run(desk, "mail", "take", "1", "--case", "40100")
    assert code == 2 and "was taken into Incident# 40101 by mailer" in err


def test_take_needs_a_case_or_an_organization(desk: Desk) -> None:
    run(desk, "mail", "ingest", stdin=(MAIL / "unknown_sender.eml").read_bytes())
    code, _, err = run(desk, "mail", "take", "1")
    assert code == 2 and "onto a case (--case N) or into a new case (--org NAME)" in err


def test_call_to_customer_queues_the_summary(desk: Desk) -> None:
    desk.ok("case", "call", "40100", "--summary", "Restart agreed", "--to-customer")
    desk.ok("case", "call", "40100", "--summary", "Internal only")
    lines = json.loads(run(desk, "mail", "outbox", "--json")[1])
    assert [line["kind"] for line in lines] == ["call"]


def test_ingest_when_the_database_is_unreachable_is_a_temporary_failure(desk: Desk) -> None:
    code, _, said = invoke(
        ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "mail", "ingest"],
        (MAIL / "plain.eml").read_bytes(),
    )
    assert code == 75  # EX_TEMPFAIL: the mail server keeps the message and retries
    assert said.startswith("deskterm: temporary failure:")


def test_triage_holds_a_130000_character_subject_on_one_row_and_show_has_it_whole(
    desk: Desk,
) -> None:
    # RFC 2822's first example (tests/mail_corpus, from mikel/mail) with the subject a
    # broken mailer wrote: `mail triage` printed it whole, 6,605 terminal lines.
    raw = (Path(__file__).parents[1] / "mail_corpus/mikel-mail/rfc2822_example01.eml").read_bytes()
    subject = "Saying Hello " + "x" * 130_000
    raw = raw.replace(b"Subject: Saying Hello", b"Subject: " + subject.encode())
    assert run(desk, "mail", "ingest", stdin=raw)[0] == 0
    code, out, _ = run(desk, "mail", "triage")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2, out  # the heading and one row
    assert "Saying Hello xxx" in lines[1] and "…" in lines[1]
    assert max(len(line) for line in lines) <= 1000  # a pipe's width; a terminal's its own
    code, out, _ = run(desk, "mail", "show", "1")
    assert code == 0 and subject in out.replace("\n", "")
    assert "This is a message just to say hello." in out
    code, _, err = run(desk, "mail", "show", "2")
    assert code == 2 and "no mail #2 in triage" in err


def test_a_bounce_of_the_desks_reply_is_flagged_on_the_case_and_moves_nothing(
    desk: Desk,
) -> None:
    # sendmail's DSN from sisimai's set (tests/mail_corpus), returning the desk's reply.
    desk.ok("contact", "add", "Kijitora", "--org", "Acme", "--email", "userunknown@bouncehammer.jp")
    desk.ok("case", "new", "--org", "Acme", "--contact", "Kijitora", "--severity", "2",
            "--subject", "Printer")  # fmt: skip
    desk.ok("case", "reply", "40101", "Which model is it?")
    desk.ok("case", "move", "40101", "waiting-on-customer", "--note", "asked the model")
    with closing(sqlite3.connect(desk.db)) as db:
        (ours,) = db.execute("SELECT message_id FROM outbox ORDER BY id LIMIT 1").fetchone()
    corpus = Path(__file__).parents[1] / "mail_corpus/sisimai-set-of-emails"
    raw = (corpus / "bsd_lhost-sendmail-01.eml").read_bytes()
    raw = raw.replace(b"<E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org>", ours.encode())
    code, out, err = run(desk, "mail", "ingest", stdin=raw)
    assert code == 0, err
    assert "automatic message (a report (delivery-status)) added to Incident# 40101" in out
    shown = desk.ok("case", "show", "40101")
    assert "LAST REPLY BOUNCED: 5.1.1 User Unknown (phone instead)" in shown
    detail = desk.show(40101)
    assert detail["status"] == "waiting-on-customer"
    kinds = [event["kind"] for event in detail["events"]]
    assert "automatic-mail" in kinds and "customer-reply" not in kinds
