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
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

if TYPE_CHECKING:
    from deskterm.sla.catalog import PolicyCatalog

APP = "deskterm"
CONFIG_FILE = "config.toml"
USER_NAME_LIMIT = 200  # characters: the desk's limit for a name (deskterm.desk.limits.NAME_LIMIT)


class SettingError(ValueError):
    """A setting (an environment variable, a config file) has a value deskterm cannot
    use; says which."""


# --- config files -------------------------------------------------------------------


def config_files() -> list[Path]:
    """The config files deskterm reads, lowest precedence first (present or not)."""
    files = [
        site_config_file(),
        platformdirs.user_config_path(APP) / CONFIG_FILE,
    ]
    named = os.environ.get("DESKTERM_CONFIG", "").strip()
    if named:
        files.append(Path(named).expanduser())
    return files


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
    named = os.environ.get("DESKTERM_CONFIG", "").strip()
    for path in config_files():
        explicit = bool(named) and path == Path(named).expanduser()
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
    """Where canned replies are found, lowest precedence first (see the module's doc)."""
    return [
        packaged_template_dir(),
        site_config_file().parent / "templates",
        platformdirs.user_config_path(APP) / "templates",
        *named_template_dirs(),
    ]


def policy_catalog() -> PolicyCatalog:
    """The policies of `policy_dirs()`, their holiday dates remembered in the user's cache."""
    from deskterm.sla import holiday_dates
    from deskterm.sla.catalog import PolicyCatalog

    holiday_dates.use_cache_dir(platformdirs.user_cache_path(APP))
    return PolicyCatalog(policy_dirs())


def default_database() -> Path:
    return platformdirs.user_data_path(APP) / "deskterm.db"


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


def site_config_file() -> Path:
    return platformdirs.site_config_path(APP) / CONFIG_FILE


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

DEFAULT_ATTACHMENT_LIMIT = 20 * 1024 * 1024  # 20 MB
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


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
