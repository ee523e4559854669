"""Where deskterm finds things and who is acting: policies, the database, the user.

Policies: later sources override earlier ones: the presets inside the package,
then the host's site config (`/etc/xdg/deskterm/policies` on Linux), then the
user's own config, then the directories named in `DESKTERM_POLICIES`
(os.pathsep-separated).
"""

from __future__ import annotations

import getpass
import os
from importlib import resources
from pathlib import Path

import platformdirs

APP = "deskterm"


def packaged_policy_dir() -> Path:
    installed = Path(str(resources.files(APP))) / "data" / "policies"
    if installed.is_dir():
        return installed
    # An editable install runs from the source tree, where the presets sit at the
    # repository's top (the wheel copies them into the package).
    return Path(__file__).resolve().parents[2] / "data" / "policies"


def policy_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("DESKTERM_POLICIES", "").split(os.pathsep) if p]
    return [
        packaged_policy_dir(),
        platformdirs.site_config_path(APP) / "policies",
        platformdirs.user_config_path(APP) / "policies",
        *extra,
    ]


def default_database() -> Path:
    return platformdirs.user_data_path(APP) / "deskterm.db"


def database_location(option: str | None) -> str:
    """`--db`, else `DESKTERM_DB`, else the user's data directory."""
    return option or os.environ.get("DESKTERM_DB") or str(default_database())


def actor(option: str | None) -> str:
    """`--as`, else `DESKTERM_USER`, else the login name."""
    return option or os.environ.get("DESKTERM_USER") or getpass.getuser()


# --- attachments ------------------------------------------------------------------

DEFAULT_ATTACHMENT_LIMIT = 20 * 1024 * 1024  # 20 MB
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


class SettingError(ValueError):
    """A setting (an environment variable) has a value deskterm cannot use; says which."""


def human_size(size: int) -> str:
    """`512 bytes`, `1.2 KB`, `20 MB`: powers of 1024, as the size settings count."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if round(value, 1) < 1024 or unit == "TB":
            break
    shown = f"{value:.1f}".removesuffix(".0")
    return f"{shown} {unit}"


def parse_size(text: str) -> int:
    """`20MB`, `500 KB`, `1.5GB`, `1G`, `20MiB` or a plain number of bytes (1 KB = 1024 bytes)."""
    cleaned = text.strip().upper().replace(" ", "").replace("_", "")
    unit = cleaned.lstrip("0123456789.")
    number = cleaned[: len(cleaned) - len(unit)]
    unit = unit.removesuffix("IB").removesuffix("B") if unit not in ("", "B") else unit
    try:
        scale = _UNITS[unit]
        amount = float(number) if "." in number else int(number)
    except (KeyError, ValueError):
        raise SettingError(
            f"{text!r} is not a size (e.g. 20MB, 500KB, 1GB or a number of bytes)"
        ) from None
    size = int(amount * scale)
    if size < 1:
        raise SettingError(f"{text!r} is not a size above zero (e.g. 20MB)")
    return size


def attachment_limit() -> int:
    """The largest file `attach` takes: `DESKTERM_ATTACHMENT_LIMIT`, else 20 MB."""
    value = os.environ.get("DESKTERM_ATTACHMENT_LIMIT", "").strip()
    if not value:
        return DEFAULT_ATTACHMENT_LIMIT
    try:
        return parse_size(value)
    except SettingError as error:
        raise SettingError(f"DESKTERM_ATTACHMENT_LIMIT: {error}") from None


def _sqlite_file(database: str) -> Path | None:
    """The file of an SQLite database given as a path or an SQLAlchemy URL, else None."""
    if "://" not in database:
        return Path(database).expanduser().resolve()
    scheme, _, rest = database.partition("://")
    if scheme.split("+")[0] != "sqlite":
        return None
    path = rest.removeprefix("/").split("?")[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).expanduser().resolve()


def attachments_dir(database: str) -> Path:
    """Where attached files are stored, by SHA-256, for this database (a path or a URL).

    `DESKTERM_ATTACHMENTS` if set; for an SQLite file, `attachments/` beside it, so
    everyone sharing the file (a jump host's desk) sees the same attachments; for
    PostgreSQL, `attachments/` in the user's data directory.
    """
    override = os.environ.get("DESKTERM_ATTACHMENTS", "").strip()
    if override:
        return Path(override).expanduser().resolve()
    file = _sqlite_file(database)
    if file is not None:
        return file.parent / "attachments"
    return platformdirs.user_data_path(APP) / "attachments"


def default_attachments_dir() -> Path:
    """The store of the database deskterm opens without `--db`."""
    return attachments_dir(database_location(None))
