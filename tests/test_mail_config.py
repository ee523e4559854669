"""The [mail] table: a relay named in the config, its password never in it, nor on a command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deskterm.mail.config import NO_RELAY, mail_config
from deskterm.settings import SettingError


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "deskterm.toml"
    monkeypatch.setenv("DESKTERM_CONFIG", str(path))
    return path


def test_without_a_mail_table_there_is_no_relay(config: Path) -> None:
    config.write_text('database = "x.db"\n')
    assert mail_config() == NO_RELAY and not NO_RELAY.relay


def test_a_relay_with_starttls_on_587_by_default(config: Path) -> None:
    config.write_text('[mail]\nhost = "smtp.example.com"\nfrom = "Support <help@example.com>"\n')
    mail = mail_config()
    assert (mail.host, mail.port, mail.security, mail.domain) == (
        "smtp.example.com", 587, "starttls", "example.com",
    )  # fmt: skip
    assert mail.password() is None  # no user, no login


def test_the_password_comes_from_the_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.write_text(
        '[mail]\nhost = "h"\nsecurity = "tls"\nuser = "u"\npassword_env = "RELAY_PW"\n'
        'from = "a@b.test"\n'
    )
    mail = mail_config()
    assert mail.port == 465
    with pytest.raises(SettingError, match="password_env names RELAY_PW, which is not set"):
        mail.password()
    monkeypatch.setenv("RELAY_PW", "s3cret")
    assert mail.password() == "s3cret"


def test_a_password_file_others_may_read_is_refused(config: Path, tmp_path: Path) -> None:
    secret = tmp_path / "relay-password"
    secret.write_text("s3cret\n")
    config.write_text(f'[mail]\nhost = "h"\npassword_file = "{secret}"\nfrom = "a@b.test"\n')
    os.chmod(secret, 0o644)
    with pytest.raises(SettingError, match=r"may be read by others \(mode 644\).*chmod 600"):
        mail_config().password()
    os.chmod(secret, 0o600)
    assert mail_config().password() == "s3cret"


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('host = "h"\npassword = "x"\nfrom = "a@b.test"', "takes no password itself"),
        ('host = "h"', "no From address"),
        ('host = "h"\nfrom = "a@b.test"\nsecurity = "ssl"', "use starttls, tls or none"),
        ('host = "h"\nfrom = "a@b.test"\nport = 0', "mail.port must be a number"),
        ('host = "h"\nfrom = "nobody"', "is not an address"),
        ('host = "h"\nfrom = "a@b.test"\nhots = 1', "unknown key(s) in [mail]: hots"),
    ],
)
def test_a_broken_mail_table_is_refused_with_what_to_fix(
    config: Path, table: str, says: str
) -> None:
    config.write_text(f"[mail]\n{table}\n")
    with pytest.raises(SettingError) as error:
        mail_config()
    assert says in str(error.value)
