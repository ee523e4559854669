"""Config files: the site file names a jump host's desk, the user's file and
DESKTERM_CONFIG override it, and a broken file is refused with its path."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm import settings
from deskterm.cli import app


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The host's site config directory (XDG_CONFIG_DIRS), as an administrator sets it."""
    root = tmp_path / "etc-xdg"
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(root))
    return root / "deskterm" / "config.toml"


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "user-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(root))
    return root / "deskterm" / "config.toml"


def test_without_any_config_file_the_database_is_in_the_users_data_directory(
    site: Path, user: Path
) -> None:
    assert settings.load_config().sources == ()
    assert settings.database_location(None) == str(settings.default_database())


def test_the_site_config_names_the_shared_database(site: Path, user: Path) -> None:
    write(site, 'database = "/srv/deskterm/desk.db"\n')
    assert settings.database_location(None) == "/srv/deskterm/desk.db"


def test_the_users_file_overrides_the_site_and_DESKTERM_CONFIG_overrides_both(
    site: Path, user: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(site, 'database = "/srv/site.db"\n[mail]\nhost = "relay.site"\nport = 25\n')
    write(user, 'database = "/home/me/mine.db"\n[mail]\nport = 587\n')
    config = settings.load_config()
    assert settings.database_location(None, config) == "/home/me/mine.db"
    # Tables merge key by key: the site's relay stays, the user's port wins.
    assert config.get("mail.host") == "relay.site"
    assert config.get("mail.port") == 587
    assert config.where("mail.port") == str(user)
    named = write(tmp_path / "other.toml", 'database = "postgresql+psycopg://db/desk"\n')
    monkeypatch.setenv("DESKTERM_CONFIG", str(named))
    config = settings.load_config()
    assert config.sources == (site, user, named)
    assert settings.database_location(None, config) == "postgresql+psycopg://db/desk"


def test_the_command_line_and_the_environment_come_before_any_config_file(
    site: Path, user: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(site, 'database = "/srv/site.db"\n')
    assert settings.database_location("/tmp/option.db") == "/tmp/option.db"
    monkeypatch.setenv("DESKTERM_DB", "/tmp/env.db")
    assert settings.database_location(None) == "/tmp/env.db"


def test_a_missing_DESKTERM_CONFIG_file_is_refused(
    site: Path, user: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_CONFIG", str(tmp_path / "nowhere.toml"))
    with pytest.raises(settings.SettingError, match="nowhere.toml, which does not exist"):
        settings.load_config()


def test_a_broken_config_file_stops_a_command_with_one_line_naming_it(
    site: Path, user: Path
) -> None:
    write(site, 'database = "/srv/site.db\n')  # unterminated string
    result = CliRunner().invoke(app, ["case", "list"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(site) in lines[0] and "not valid TOML" in lines[0]


def test_a_database_that_is_not_a_string_is_refused_naming_the_file(site: Path, user: Path) -> None:
    write(user, "database = 42\n")
    with pytest.raises(settings.SettingError, match=str(user)):
        settings.database_location(None)


def test_the_console_refuses_a_broken_config_with_exit_2(
    site: Path, user: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from deskterm.console import run_console

    write(user, "[mail\n")
    assert run_console() == 2
    assert "not valid TOML" in capsys.readouterr().err
