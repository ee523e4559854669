"""Every place on disk deskterm reads or writes, and the variables that move them.

| what | where (Linux) | moved by |
|---|---|---|
| site config (the administrator's) | /etc/xdg/deskterm/config.toml | XDG_CONFIG_DIRS |
| user config | ~/.config/deskterm/config.toml | XDG_CONFIG_HOME |
| one more config file | - | DESKTERM_CONFIG |
| policies | the package's presets, /etc/xdg/deskterm/policies, ~/.config/deskterm/policies | DESKTERM_POLICIES (more directories) |
| templates (canned replies) | the package's, /etc/xdg/deskterm/templates, ~/.config/deskterm/templates | DESKTERM_TEMPLATES (more directories) |
| the database | ~/.local/share/deskterm/deskterm.db | --db, DESKTERM_DB, `database` in a config |
| attached files | attachments/ beside an SQLite file, else ~/.local/share/deskterm/attachments | DESKTERM_ATTACHMENTS |
| drafts of text being written, calls in progress | ~/.local/state/deskterm/drafts | DESKTERM_DRAFTS |
| the last crash's report | ~/.local/state/deskterm/last-crash.txt | XDG_STATE_HOME |
| holiday dates remembered | ~/.cache/deskterm/holidays.json | XDG_CACHE_HOME |

Nothing else in deskterm names a directory: ask here.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP = "deskterm"
CONFIG_FILE = "config.toml"
CRASH_FILE = "last-crash.txt"


def site_config_file() -> Path:
    return platformdirs.site_config_path(APP) / CONFIG_FILE


def user_config_file() -> Path:
    return platformdirs.user_config_path(APP) / CONFIG_FILE


def named_config_file() -> Path | None:
    """The file DESKTERM_CONFIG names, if it names one."""
    named = os.environ.get("DESKTERM_CONFIG", "").strip()
    return Path(named).expanduser() if named else None


def packaged_policy_dir() -> Path:
    installed = Path(str(resources.files(APP))) / "data" / "policies"
    if installed.is_dir():
        return installed
    # An editable install runs from the source tree, where the presets sit at the
    # repository's top (the wheel copies them into the package).
    return Path(__file__).resolve().parents[2] / "data" / "policies"


def policy_dirs() -> list[Path]:
    """Where policies are read, later ones overriding earlier ones."""
    extra = [Path(p) for p in os.environ.get("DESKTERM_POLICIES", "").split(os.pathsep) if p]
    return [
        packaged_policy_dir(),
        platformdirs.site_config_path(APP) / "policies",
        platformdirs.user_config_path(APP) / "policies",
        *extra,
    ]


def packaged_template_dir() -> Path:
    installed = Path(str(resources.files(APP))) / "data" / "templates"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "data" / "templates"


def named_template_dirs() -> list[Path]:
    """The directories named in DESKTERM_TEMPLATES: a missing one is a mistake to report."""
    named = os.environ.get("DESKTERM_TEMPLATES", "")
    return [Path(part).expanduser() for part in named.split(os.pathsep) if part]


def template_dirs() -> list[Path]:
    """Where canned replies are found, lowest precedence first (deskterm.desk.templates)."""
    return [
        packaged_template_dir(),
        site_config_file().parent / "templates",
        platformdirs.user_config_path(APP) / "templates",
        *named_template_dirs(),
    ]


def default_database() -> Path:
    return platformdirs.user_data_path(APP) / "deskterm.db"


def sqlite_file(database: str) -> Path | None:
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
    file = sqlite_file(database)
    if file is not None:
        return file.parent / "attachments"
    return platformdirs.user_data_path(APP) / "attachments"


def drafts_root() -> Path:
    """Where text being written is kept until the write that uses it succeeds."""
    override = os.environ.get("DESKTERM_DRAFTS")
    return Path(override) if override else platformdirs.user_state_path(APP) / "drafts"


def crash_file() -> Path:
    return platformdirs.user_state_path(APP) / CRASH_FILE


def holiday_cache_dir() -> Path:
    return platformdirs.user_cache_path(APP)
