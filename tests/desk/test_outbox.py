"""Mail out, against a real SMTP server on 127.0.0.1 (aiosmtpd) started by each test.

The outbox row is written with the event; the sender claims it, hands it to the
relay, and records the outcome. A relay that is down gets the message later
(back-off), once; two senders at the same moment send each message once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from deskterm.desk import cases, inbound, outbox
from deskterm.desk.case_file import load
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from deskterm.mail.config import MailConfig
from deskterm.models import Case, Outbox, OutboxStatus
from deskterm.sla import Status
from tests.desk.heard import HEARD, within
from tests.desk.test_inbound import eml
from tests.frozen import FrozenClock


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        if self.delay:
            time.sleep(self.delay)  # a slow relay: widens the window two senders could share
        message = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
        return "250 OK"


def text_of(message: EmailMessage) -> str:
    return str(message.get_content()).replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Relay:
    def __init__(self, port: int, delay: float = 0.0) -> None:
        self.port = port
        self.inbox = Inbox(delay)
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[tuple[list[str], EmailMessage]]:
        return self.inbox.received


@pytest.fixture
def relay() -> Iterator[Relay]:
    relay = Relay(free_port())
    yield relay
    relay.stop()


def relayed(desk: Desk, relay: Relay) -> Desk:
    config = MailConfig(
        host="127.0.0.1",
        port=relay.port,
        security="none",
        user=None,
        password_env=None,
        password_file=None,
        from_address="Acme Support <support@desk.test>",
    )
    return replace(desk, mail=config)


@pytest.fixture
def case(desk: Desk) -> Case:
    return cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="Server down"
    )


def rows(desk: Desk) -> list[Outbox]:
    with Session(desk.engine) as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


def test_a_reply_arrives_with_subject_headers_and_threading(
    desk: Desk, case: Case, relay: Relay
) -> None:
    relay.start()
    mailing = relayed(desk, relay)
    cases.reply(mailing, case.number, "Please restart the server.")
    cases.move(mailing, case.number, Status.WAITING, "Which version do you run?")
    assert outbox.send_due(mailing).sent == 2
    (to1, first), (to2, second) = relay.received
    assert to1 == to2 == ["bob@acme.test"]
    assert first["Subject"] == second["Subject"] == "Incident# 40100: Server down"
    assert first["From"] == "Acme Support <support@desk.test>"
    assert first["To"] == "Bob Admin <bob@acme.test>"
    assert first["Message-ID"].endswith("@desk.test>")
    assert first["In-Reply-To"] is None
    assert second["In-Reply-To"] == first["Message-ID"] == second["References"]
    assert text_of(first).startswith("Please restart the server.\n")
    assert "Which version do you run?" in text_of(second)
    assert [r.status for r in rows(desk)] == ["sent", "sent"]
    # The customer answers the second message: it threads back onto the case, and
    # our next reply names both earlier messages and theirs.
    answer = eml("new_case.eml").replace(
        b"Message-ID: <new-1@acme.test>",
        f"In-Reply-To: {second['Message-ID']}\r\nMessage-ID: <answer-1@acme.test>".encode(),
    )
    assert inbound.ingest(mailing, answer).case == 40100
    cases.reply(mailing, case.number, "Thanks, noted.")
    outbox.send_due(mailing)
    third = relay.received[2][1]
    assert third["In-Reply-To"] == "<answer-1@acme.test>"
    assert third["References"].split() == [
        first["Message-ID"],
        second["Message-ID"],
        "<answer-1@acme.test>",
    ]


def test_a_call_summary_is_mailed_only_when_marked_for_the_customer(
    desk: Desk, case: Case, relay: Relay
) -> None:
    relay.start()
    mailing = relayed(desk, relay)
    cases.log_call(mailing, case.number, "Internal: talked it through", who="Bob Admin")
    cases.log_call(mailing, case.number, "Restart agreed", outcome="he restarts at 17:00",
                   to_customer=True)  # fmt: skip
    outbox.send_due(mailing)
    ((_, message),) = relay.received
    assert "Restart agreed\nOutcome: he restarts at 17:00" in text_of(message)


def test_the_auto_close_notice_is_mailed_by_the_sweep(
    desk: Desk, case: Case, relay: Relay, clock: FrozenClock
) -> None:
    relay.start()
    mailing = relayed(desk, relay)
    cases.reply(mailing, case.number, "Fixed in 4.2.")
    cases.move(mailing, case.number, Status.RESOLVED, "fixed")
    clock.advance(days=30)
    assert sweep(mailing).notices == 1
    outbox.send_due(mailing)
    kinds = [row.kind for row in rows(desk)]
    assert kinds == ["reply", "auto-close-notice"]
    notice = relay.received[-1][1]
    assert notice["Auto-Submitted"] == "auto-generated"
    assert "will be closed automatically on" in text_of(notice)


def test_relay_down_then_up_the_message_is_retried_and_sent_once(
    desk: Desk, case: Case, relay: Relay, clock: FrozenClock
) -> None:
    mailing = relayed(desk, relay)  # nothing listens on the port yet
    cases.reply(mailing, case.number, "Please restart the server.")
    report = outbox.send_due(mailing)
    assert (report.sent, report.retrying) == (0, 1)
    (row,) = rows(desk)
    assert row.status == "pending" and row.attempts == 1
    assert row.reason is not None and row.reason.startswith("attempt 1 failed:")
    assert row.next_attempt_at == clock() + outbox.FIRST_RETRY
    line = outbox.outbox(desk)[0]
    assert line.state.startswith("pending (attempt 1 failed:")
    relay.start()
    assert outbox.send_due(mailing).sent == 0  # not before its back-off
    clock.advance(seconds=61)
    assert outbox.send_due(mailing).sent == 1
    assert outbox.send_due(mailing).sent == 0
    clock.advance(hours=3)
    assert outbox.send_due(mailing).sent == 0
    assert len(relay.received) == 1
    (row,) = rows(desk)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, clock() - timedelta(hours=3))


def test_the_back_off_doubles_up_to_two_hours() -> None:
    waits = [outbox.backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 120, 120]


def test_two_senders_at_once_send_each_message_once(desk: Desk, case: Case) -> None:
    relay = Relay(free_port(), delay=0.05)
    relay.start()
    try:
        mailing = relayed(desk, relay)
        for n in range(6):
            cases.reply(mailing, case.number, f"Reply {n}")
        reports: list[outbox.SendReport] = []
        workers = [
            threading.Thread(target=lambda: reports.append(outbox.send_due(mailing)))
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        ids = [message["Message-ID"] for _, message in relay.received]
        assert len(ids) == 6 == len(set(ids))
        assert sum(report.sent for report in reports) == 6
        assert all(row.status == "sent" for row in rows(desk))
    finally:
        relay.stop()


def test_without_a_relay_the_reply_is_recorded_and_marked_not_sent(desk: Desk, case: Case) -> None:
    cases.reply(desk, case.number, "Please restart the server.")
    (row,) = rows(desk)
    assert row.status == OutboxStatus.HELD.value
    assert row.reason == "not sent: no mail relay configured"
    assert outbox.outbox(desk)[0].state == "not sent: no mail relay configured"
    assert outbox.send_due(desk).sent == 0
    assert [e.kind for e in load(desk, case.number).events][-1] == "reply"


def test_a_contact_without_an_address_is_said_so(desk: Desk, relay: Relay) -> None:
    mailing = relayed(desk, relay)
    no_mail = cases.open_case(mailing, organization="Acme", contact=None, severity=2, subject="x")
    cases.reply(mailing, no_mail.number, "Hello")
    assert rows(desk)[0].reason == "not sent: the case has no contact"


def test_a_subject_with_cr_lf_cannot_inject_headers(desk: Desk, relay: Relay) -> None:
    relay.start()
    mailing = relayed(desk, relay)
    opened = inbound.ingest(mailing, eml("header_injection.eml"))
    cases.reply(mailing, opened.case, "We are on it.")  # type: ignore[arg-type]
    outbox.send_due(mailing)
    ((recipients, message),) = relay.received
    assert recipients == ["bob@acme.test"]
    assert message["Bcc"] is None
    assert message["Subject"] == "Incident# 40100: Help Bcc: evil@attacker.test [31mred"


def test_a_reply_rolled_back_queues_no_mail(desk: Desk, case: Case) -> None:
    with pytest.raises(cases.Conflict):
        cases.reply(desk, case.number, "late", expected_version=case.version - 1)
    assert rows(desk) == []


def test_the_case_file_says_what_became_of_each_mail(desk: Desk, case: Case, relay: Relay) -> None:
    from deskterm.widgets.timeline import timeline_blocks

    cases.reply(desk, case.number, "Before the relay was set up.")
    relay.start()
    mailing = relayed(desk, relay)
    cases.reply(mailing, case.number, "After.")
    outbox.send_due(mailing)
    file = load(desk, case.number)
    replies = [e for e in file.events if e.kind == "reply"]
    assert [file.mail[e.id] for e in replies] == [
        "not sent: no mail relay configured",
        "mail sent",
    ]
    heads = [block.pieces() for block in timeline_blocks(file.events, str, file.mail)]
    marks = [piece for head in heads for piece, _ in head if piece.startswith("[")]
    assert marks == ["[not sent: no mail relay configured]", "[mail sent]"]


def test_a_not_sent_reply_is_sent_once_retried_after_the_relay_is_set_up(
    desk: Desk, case: Case, relay: Relay
) -> None:
    cases.reply(desk, case.number, "Written before the relay existed.")
    (row,) = rows(desk)
    with pytest.raises(outbox.DeskError, match="no mail relay configured"):
        outbox.retry(desk, row.id)  # type: ignore[arg-type]
    relay.start()
    mailing = relayed(desk, relay)
    assert outbox.send_due(mailing).sent == 0  # held rows are not sent by themselves
    said = outbox.retry(mailing, row.id)  # type: ignore[arg-type]
    assert said == f'message {row.id} to "Bob Admin" <bob@acme.test>: queued to be sent again'
    assert outbox.send_due(mailing).sent == 1
    with pytest.raises(outbox.DeskError, match="was sent on"):
        outbox.retry(mailing, row.id)  # type: ignore[arg-type]
    with pytest.raises(outbox.NotFound, match="no message 99 in the outbox"):
        outbox.retry(mailing, 99)
    assert len(relay.received) == 1


def test_a_relay_refusing_the_recipient_fails_the_message_at_once(
    desk: Desk, case: Case, relay: Relay
) -> None:
    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
            return "550 no such user here"

    relay.inbox = Refusing()
    relay.start()
    mailing = relayed(desk, relay)
    cases.reply(mailing, case.number, "Hello")
    assert outbox.send_due(mailing).failed == 1
    (row,) = rows(desk)
    assert row.status == "failed" and row.attempts == 1
    assert row.reason is not None and "550 no such user here" in row.reason
    assert outbox.outbox(desk)[0].state.startswith("failed: the relay refused the recipient")


def test_watching_consoles_see_a_mail_sent_which_writes_no_event(
    desk: Desk, case: Case, relay: Relay
) -> None:
    from deskterm.store.changes import ChangeWatcher

    relay.start()
    mailing = relayed(desk, relay)
    cases.reply(mailing, case.number, "Hello")
    watcher = ChangeWatcher(desk.engine)
    try:
        assert not watcher.changed()  # the first call only takes the token
        assert not watcher.changed()
        assert outbox.send_due(mailing).sent == 1
        # the case screen reloads: its mark says "mail sent"
        assert within(HEARD, watcher.changed)
    finally:
        watcher.close()
