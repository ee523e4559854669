"""The console drains the outbox in a worker, as it runs the sweep, when a relay is configured."""

from __future__ import annotations

from deskterm.desk import cases
from deskterm.desk.case_file import load
from tests.desk.test_outbox import Relay, free_port, relayed
from tests.screens.conftest import EXPORT_QUESTION, Seeded, make_app, settle, until


async def test_the_console_sends_a_reply_through_the_relay(seeded: Seeded) -> None:
    relay = Relay(free_port())
    relay.start()
    try:
        desk = relayed(seeded.desk, relay)
        cases.reply(desk, EXPORT_QUESTION, "Version 4.2 has the fix.")
        app = make_app(desk)
        async with app.run_test() as pilot:
            await settle(pilot)
            app._send_mail()
            # The relay has it before the sender records it as sent: wait for the record.
            assert await until(
                pilot, lambda: "mail sent" in load(desk, EXPORT_QUESTION).mail.values()
            )
            assert len(relay.received) == 1
        ((recipients, message),) = relay.received
        assert recipients == ["bob@acme.test"]
        assert message["Subject"] == f"Incident# {EXPORT_QUESTION}: Question about export"
        file = load(desk, EXPORT_QUESTION)
        # The replies from before the relay stay marked as not sent; the new one is sent.
        assert sorted(file.mail.values()) == [
            "mail sent",
            "not sent: no mail relay configured",
            "not sent: no mail relay configured",
        ]
    finally:
        relay.stop()
