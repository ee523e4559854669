"""The `[mail]` table of the config files: the SMTP relay and the From address.

    [mail]
    host = "smtp.example.com"
    port = 587                        # default: 587 starttls, 465 tls, 25 none
    security = "starttls"             # "starttls" | "tls" | "none"
    user = "support@example.com"      # optional: no login without it
    password_env = "DESKTERM_MAIL_PASSWORD"   # or:
    password_file = "~/.config/deskterm/mail-password"  # readable only by its owner
    from = "Example Support <support@example.com>"

No `host`: no relay is configured, and mail to customers is recorded as not sent.
The password is never in the file itself nor on a command line: it is read when
a message is sent, from the environment or from a file nobody else may read.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from deskterm.settings import Config, SettingError, load_config

SECURITY = {"starttls": 587, "tls": 465, "none": 25}
KEYS = {"host", "port", "security", "user", "password_env", "password_file", "from"}


@dataclass(frozen=True)
class MailConfig:
    host: str | None  # None: no relay configured
    port: int
    security: str
    user: str | None
    password_env: str | None
    password_file: Path | None
    from_address: str  # "Name <address>" or a bare address

    @property
    def relay(self) -> bool:
        return self.host is not None

    @property
    def domain(self) -> str:
        """The domain of the From address: the right-hand side of our Message-IDs."""
        address = parseaddr(self.from_address)[1]
        return address.rpartition("@")[2] or "deskterm.invalid"

    def password(self) -> str | None:
        """The relay's password, from `password_env` or `password_file`; None without `user`."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if not value:
                raise SettingError(
                    f"[mail] password_env names {self.password_env}, which is not set"
                )
            return value
        if self.password_file:
            return read_password_file(self.password_file)
        return None


NO_RELAY = MailConfig(None, 25, "none", None, None, None, "deskterm@deskterm.invalid")


def read_password_file(path: Path) -> str:
    """The first line of `path`, refused unless the file is its owner's alone."""
    try:
        info = path.stat()
    except OSError as error:
        raise SettingError(f"[mail] password_file {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SettingError(f"[mail] password_file {path} is not a regular file")
    if info.st_uid != os.getuid():
        raise SettingError(f"[mail] password_file {path} belongs to another user: refused")
    if info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise SettingError(
            f"[mail] password_file {path} may be read by others (mode {mode:o}): "
            f"refused; run chmod 600 {path}"
        )
    text = path.read_text(encoding="utf-8")
    return text.splitlines()[0] if text else ""


def mail_config(config: Config | None = None) -> MailConfig:
    """The `[mail]` table, checked; NO_RELAY when there is none or it names no host."""
    config = load_config() if config is None else config
    table = config.values.get("mail")
    if table is None:
        return NO_RELAY
    if not isinstance(table, dict):
        raise SettingError(f"{config.where('mail')}: mail must be a table ([mail])")
    where = config.where

    def text(key: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise SettingError(f"{where('mail.' + key)}: mail.{key} must be a non-empty string")
        if "\r" in value or "\n" in value:
            raise SettingError(f"{where('mail.' + key)}: mail.{key} must be one line")
        return value.strip()

    if "password" in table:
        raise SettingError(
            f"{where('mail.password')}: [mail] takes no password itself: "
            "use password_env or password_file (a file only you may read)"
        )
    unknown = set(table) - KEYS
    if unknown:
        raise SettingError(
            f"{where('mail')}: unknown key(s) in [mail]: {', '.join(sorted(unknown))} "
            f"(keys: {', '.join(sorted(KEYS))})"
        )
    host = text("host")
    security = text("security") or "starttls"
    if security not in SECURITY:
        raise SettingError(
            f"{where('mail.security')}: mail.security is {security!r}; use starttls, tls or none"
        )
    port = table.get("port", SECURITY[security])
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise SettingError(f"{where('mail.port')}: mail.port must be a number from 1 to 65535")
    password_env, password_file = text("password_env"), text("password_file")
    if password_env and password_file:
        raise SettingError("[mail]: give password_env or password_file, not both")
    from_address = text("from")
    if host and not from_address:
        raise SettingError(
            f"{where('mail.host')}: [mail] names a relay but no From address "
            '(from = "Support <support@example.com>")'
        )
    if from_address and "@" not in parseaddr(from_address)[1]:
        raise SettingError(f"{where('mail.from')}: mail.from {from_address!r} is not an address")
    return MailConfig(
        host=host,
        port=port,
        security=security,
        user=text("user"),
        password_env=password_env,
        password_file=Path(password_file).expanduser() if password_file else None,
        from_address=from_address or NO_RELAY.from_address,
    )
