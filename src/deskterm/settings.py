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
