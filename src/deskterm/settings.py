"""Where deskterm finds things and who is acting: config, policies, the database, the user.

Config files: the host's site config (`/etc/xdg/deskterm/config.toml` on Linux,
where an administrator names a jump host's shared database), then the user's own
(`~/.config/deskterm/config.toml`), then the file named by `DESKTERM_CONFIG`;
later files override earlier ones key by key, tables merged.

Policies: later sources override earlier ones: the presets inside the package,
then the host's site config (`/etc/xdg/deskterm/policies` on Linux), then the
user's own config, then the directories named in `DESKTERM_POLICIES`
(os.pathsep-separated).

Templates (canned replies) are found the same way: the package's, then `templates/`
beside the site config, then the user's `~/.config/deskterm/templates/`, then the
directories named in `DESKTERM_TEMPLATES` (which must exist).
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskterm.errors import UserError
from deskterm.locations import (
    APP,
    CONFIG_FILE,
    attachments_dir,
    default_database,
    holiday_cache_dir,
    named_config_file,
    named_template_dirs,
    packaged_policy_dir,
    packaged_template_dir,
    policy_dirs,
    site_config_file,
    template_dirs,
    user_config_file,
)
from deskterm.units import MB, SizeError, human_size, parse_size

if TYPE_CHECKING:
    from deskterm.mail.config import MailConfig
    from deskterm.sla.catalog import PolicyCatalog

USER_NAME_LIMIT = 200  # characters: the desk's limit for a name (deskterm.desk.limits.NAME_LIMIT)


# Sizes are deskterm.units', places deskterm.locations': their names stay here for callers.
__all__ = [
    "APP",
    "CONFIG_FILE",
    "attachments_dir",
    "default_database",
    "human_size",
    "packaged_policy_dir",
    "parse_size",
    "policy_dirs",
    "site_config_file",
    "named_template_dirs",
    "packaged_template_dir",
    "template_dirs",
]


class SettingError(UserError, ValueError):
    """A setting (an environment variable, a config file) has a value deskterm cannot
    use; says which."""


# --- config files -------------------------------------------------------------------


def config_files() -> list[Path]:
    """The config files deskterm reads, lowest precedence first (present or not)."""
    named = named_config_file()
    return [site_config_file(), user_config_file(), *([named] if named else [])]


@dataclass(frozen=True)
class Config:
    """The merged config, and the files it came from (lowest precedence first)."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: tuple[Path, ...] = ()
    # Which file set each top-level key or `section.key`, for messages that say where.
    origin: dict[str, Path] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """`"database"` or `"mail.host"`: a top-level key or one inside a table."""
        section, _, name = key.rpartition(".")
        table = self.values.get(section, {}) if section else self.values
        if not isinstance(table, dict):
            return default
        return table.get(name, default)

    def where(self, key: str) -> str:
        """The file that set `key`, for an error message."""
        path = self.origin.get(key)
        return str(path) if path else "the config"


def _merge(
    into: dict[str, Any], update: dict[str, Any], origin: dict[str, Path], path: Path
) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            for name, inner in value.items():
                into[key][name] = inner
                origin[f"{key}.{name}"] = path
        else:
            into[key] = dict(value) if isinstance(value, dict) else value
            if isinstance(value, dict):
                for name in value:
                    origin[f"{key}.{name}"] = path
        origin[key] = path


def load_config() -> Config:
    """Read and merge every config file; a broken one is refused with its path and line.

    The site and user files are optional; a file named by `DESKTERM_CONFIG` must exist.
    """
    values: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    sources: list[Path] = []
    named = named_config_file()
    for path in config_files():
        explicit = path == named
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if explicit:
                raise SettingError(f"DESKTERM_CONFIG names {path}, which does not exist") from None
            continue
        except IsADirectoryError:
            raise SettingError(f"the config file {path} is a directory") from None
        except OSError as error:
            raise SettingError(
                f"cannot read the config file {path}: {error.strerror or error}"
            ) from None
        except UnicodeDecodeError:
            raise SettingError(f"the config file {path} is not UTF-8 text") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise SettingError(f"{path}: not valid TOML: {error}") from None
        _merge(values, data, origin, path)
        sources.append(path)
    return Config(values, tuple(sources), origin)


def policy_catalog(dirs: Sequence[Path] | None = None) -> PolicyCatalog:
    """The policies of `dirs` (`policy_dirs()`), their holiday dates remembered in the
    user's cache."""
    from deskterm.sla import holiday_dates
    from deskterm.sla.catalog import PolicyCatalog

    holiday_dates.use_cache_dir(holiday_cache_dir())
    return PolicyCatalog(list(policy_dirs() if dirs is None else dirs))


def database_location(option: str | None, config: Config | None = None) -> str:
    """`--db`, else `DESKTERM_DB`, else `database` in the config files, else the user's
    data directory."""
    if option:
        return option
    if os.environ.get("DESKTERM_DB"):
        return os.environ["DESKTERM_DB"]
    config = load_config() if config is None else config
    configured = config.get("database")
    if configured is not None:
        if not isinstance(configured, str) or not configured.strip():
            raise SettingError(
                f"{config.where('database')}: database must be a file path or a URL in quotes"
            )
        return configured.strip()
    return str(default_database())


def _site_allows_as(config: Config) -> bool | None:
    """`[identity] allow_as` as the site file says it (None: the site file is silent).

    Only the site file counts: it is the administrator's, while a user can write
    their own config and DESKTERM_CONFIG, so those cannot grant `--as`.
    """
    site = site_config_file()
    if config.origin.get("identity.allow_as") == site:
        value = config.get("identity.allow_as")
    elif site in config.sources:
        # A later file overrode the key: read the site's own word.
        try:
            value = tomllib.loads(site.read_text(encoding="utf-8")).get("identity", {})
            value = value.get("allow_as") if isinstance(value, dict) else None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            value = None
    else:
        return None
    if value is None:
        return None
    if not isinstance(value, bool):
        raise SettingError(f"{site}: identity.allow_as must be true or false")
    return value


def actor(option: str | None, config: Config | None = None) -> str:
    """Who acts: the login name; `--as`, else `DESKTERM_USER`, where the host allows it.

    A host with a site config file is a shared host (its administrator set up one
    desk for everyone): there `--as` and `DESKTERM_USER` naming someone other than
    the login name are refused unless the site file says `[identity] allow_as = true`.
    Without a site file (one person's machine) they are allowed unless the user's
    own config says `allow_as = false`.
    """
    login = getpass.getuser()
    wanted = option if option is not None else os.environ.get("DESKTERM_USER") or login
    if wanted.strip() != wanted or not wanted or len(wanted) > USER_NAME_LIMIT:
        shown = repr(wanted) if len(wanted) <= 60 else f"{wanted[:60]!r}…"
        raise SettingError(
            f"{'--as' if option is not None else 'DESKTERM_USER'}: {shown} is not a user name"
        )
    if wanted == login:
        return login
    config = load_config() if config is None else config
    how = "--as" if option else "DESKTERM_USER"
    site = site_config_file()
    if site in config.sources:
        if _site_allows_as(config) is not True:
            raise SettingError(
                f"this is a shared host ({site}): you act as {login}, not {wanted}; "
                f"{how} needs [identity] allow_as = true in that file"
            )
        return wanted
    allowed = config.get("identity.allow_as", True)
    if not isinstance(allowed, bool):
        raise SettingError(
            f"{config.where('identity.allow_as')}: identity.allow_as must be true or false"
        )
    if not allowed:
        raise SettingError(
            f"{config.where('identity.allow_as')} says allow_as = false: you act as {login}, "
            f"not {wanted} ({how})"
        )
    return wanted


# --- attachments ------------------------------------------------------------------

DEFAULT_ATTACHMENT_LIMIT = 20 * MB


def attachment_limit() -> int:
    """The largest file `attach` takes: `DESKTERM_ATTACHMENT_LIMIT`, else 20 MB."""
    value = os.environ.get("DESKTERM_ATTACHMENT_LIMIT", "").strip()
    if not value:
        return DEFAULT_ATTACHMENT_LIMIT
    try:
        return parse_size(value)
    except SizeError as error:
        raise SettingError(f"DESKTERM_ATTACHMENT_LIMIT: {error}") from None


def default_attachments_dir() -> Path:
    """The store of the database deskterm opens without `--db`."""
    return attachments_dir(database_location(None))


# --- all of it, once ------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What a start of deskterm decided from its options, the environment and the
    config files, read once and passed down (the console, the desk it opens)."""

    database: str  # a path or an SQLAlchemy URL
    actor: str
    attachments: Path
    attachment_limit: int
    drafts: Path
    policy_dirs: tuple[Path, ...]
    mail: MailConfig
    bell: bool  # ring the terminal bell on a breach or a new unassigned Sev 1


def load_settings(database: str, as_user: str | None) -> Settings:
    """Every setting for `database` (already located: `database_location`), acting
    as `as_user`; a SettingError names the first one deskterm cannot use."""
    from deskterm.locations import drafts_root
    from deskterm.mail.config import mail_config

    limit = attachment_limit()
    config = load_config()
    who = actor(as_user, config)
    return Settings(
        database=database,
        actor=who,
        attachments=attachments_dir(database),
        attachment_limit=limit,
        drafts=drafts_root(),
        policy_dirs=tuple(policy_dirs()),
        mail=mail_config(config),
        bell=os.environ.get("DESKTERM_BELL") == "1",
    )
