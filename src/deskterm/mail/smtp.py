"""Handing one composed message to the SMTP relay (smtplib), and telling retry from refusal."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from deskterm.errors import SystemFailure
from deskterm.mail.config import MailConfig

TIMEOUT = 30  # seconds: a relay that hangs must not hold the outbox forever


class Permanent(SystemFailure):
    """The relay refused the message for good (a 5xx answer): retrying will not help."""


def deliver(config: MailConfig, message: EmailMessage) -> None:
    """Send `message`; raises Permanent, or OSError/SMTPException for a retry."""
    assert config.host is not None
    context = ssl.create_default_context()
    try:
        if config.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=TIMEOUT, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT)
        with client:
            if config.security == "starttls":
                client.starttls(context=context)
            if config.user:
                client.login(config.user, config.password() or "")
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise Permanent(f"the relay refused the recipient: {_answer(error.recipients)}") from None
    except smtplib.SMTPAuthenticationError:
        raise  # the config's to fix, then the retry goes through
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            said = error.smtp_error
            reason = said.decode("utf-8", "replace") if isinstance(said, bytes) else said
            raise Permanent(f"the relay refused the message: {error.smtp_code} {reason}") from None
        raise


def _answer(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address}: {code} {text.decode('utf-8', 'replace')}"
        for address, (code, text) in recipients.items()
    )
