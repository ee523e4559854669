"""Config files: the site file names a jump host's desk, the user's file and
DESKTERM_CONFIG override it, and a broken file is refused with its path. On a
shared host the login name acts (`--as` only where the site file allows it), and
the desk's SQLite files are group read/write, never world-readable."""

from __future__ import annotations

import getpass
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm import settings
from deskterm.cli import app
from deskterm.store.engine import create_database_folder, database_url, make_engine
from deskterm.store.migrate import backup_sqlite, upgrade
from tests.desk.conftest import MONDAY

LOGIN = getpass.getuser()


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


# --- a shared host: identity and file modes --------------------------------------


def test_without_as_the_actor_is_the_login_name(site: Path, user: Path) -> None:
    write(site, 'database = "/srv/deskterm/desk.db"\n')
    assert settings.actor(None) == LOGIN


def test_on_a_shared_host_as_is_refused_naming_the_login_and_the_site_file(
    site: Path, user: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(site, 'database = "/srv/deskterm/desk.db"\n')
    with pytest.raises(settings.SettingError, match=f"you act as {LOGIN}, not mallory"):
        settings.actor("mallory")
    monkeypatch.setenv("DESKTERM_USER", "mallory")
    with pytest.raises(settings.SettingError, match="DESKTERM_USER needs .identity. allow_as"):
        settings.actor(None)
    # Naming oneself is no impersonation.
    assert settings.actor(LOGIN) == LOGIN


def test_the_site_file_may_allow_as(site: Path, user: Path) -> None:
    write(site, "[identity]\nallow_as = true\n")
    assert settings.actor("alice") == "alice"


def test_a_users_own_config_cannot_grant_itself_as_on_a_shared_host(
    site: Path, user: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(site, "[identity]\nallow_as = false\n")
    write(user, "[identity]\nallow_as = true\n")
    with pytest.raises(settings.SettingError, match="shared host"):
        settings.actor("alice")
    # Silence in the site file is a no, too; DESKTERM_CONFIG is the user's as well.
    write(site, 'database = "/srv/deskterm/desk.db"\n')
    named = write(tmp_path / "mine.toml", "[identity]\nallow_as = true\n")
    monkeypatch.setenv("DESKTERM_CONFIG", str(named))
    with pytest.raises(settings.SettingError, match="shared host"):
        settings.actor("alice")


def test_when_the_site_allows_as_a_user_config_saying_true_changes_nothing(
    site: Path, user: Path
) -> None:
    write(site, "[identity]\nallow_as = true\n")
    write(user, "[identity]\nallow_as = true\n")
    assert settings.actor("alice") == "alice"


def test_on_ones_own_machine_as_is_allowed_unless_ones_config_says_no(
    site: Path, user: Path
) -> None:
    assert settings.actor("alice") == "alice"
    write(user, "[identity]\nallow_as = false\n")
    with pytest.raises(settings.SettingError, match="allow_as = false"):
        settings.actor("alice")


def test_the_cli_refuses_as_on_a_shared_host_with_exit_2_and_nothing_written(
    site: Path, user: Path, tmp_path: Path
) -> None:
    db = tmp_path / "desk.db"
    write(site, f'database = "{db}"\n')
    result = CliRunner().invoke(app, ["--as", "mallory", "org", "add", "Acme", "--policy", "x"])
    assert result.exit_code == 2
    assert "shared host" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not db.exists()


def test_the_console_refuses_as_on_a_shared_host(
    site: Path, user: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from deskterm.console import run_console

    write(site, f'database = "{tmp_path / "desk.db"}"\n')
    assert run_console(as_user="mallory") == 2
    assert "shared host" in capsys.readouterr().err


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_wal_and_shm_files_are_group_writable_never_world_readable(
    tmp_path: Path,
) -> None:
    old = os.umask(0o022)  # the usual umask, which would make the files 0644
    try:
        path = tmp_path / "shared" / "desk.db"
        create_database_folder(path)  # a new desk's folder (deskterm.opening)
        engine = make_engine(database_url(str(path)))
        upgrade(engine, MONDAY)
        with engine.connect() as connection:  # the WAL and SHM exist while one is open
            connection.exec_driver_sql("SELECT count(*) FROM cases").scalar()
            wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
            assert wal.exists() and shm.exists()
            for file in (path, wal, shm):
                assert _mode(file) == 0o660, file
        backup = backup_sqlite(engine, MONDAY)
        assert backup is not None and _mode(backup) == 0o660
        assert not _mode(path.parent) & 0o007
        engine.dispose()
    finally:
        os.umask(old)


def test_an_existing_database_keeps_the_mode_its_administrator_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    path.touch()
    path.chmod(0o600)
    engine = make_engine(database_url(str(path)))
    upgrade(engine, MONDAY)
    engine.dispose()
    assert _mode(path) == 0o600
