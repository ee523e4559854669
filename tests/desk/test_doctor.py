"""The doctor's judgements that depend on the host: file systems, SQLite versions, zones."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskterm.desk import doctor


def mounts(tmp_path: Path, *lines: str) -> Path:
    table = tmp_path / "mounts"
    table.write_text("".join(f"{line}\n" for line in lines))
    return table


@pytest.mark.parametrize("fs_type", ["nfs", "nfs4", "cifs", "smb3", "fuse.sshfs", "9p"])
def test_a_database_on_a_network_file_system_is_warned_about(tmp_path: Path, fs_type: str) -> None:
    desk = tmp_path / "shared"
    desk.mkdir()
    table = mounts(
        tmp_path,
        "/dev/vda / ext4 rw,relatime 0 0",
        f"server:/export {desk} {fs_type} rw,relatime 0 0",
    )
    check = doctor.location_check(desk / "deskterm.db", table)
    assert check.status == "warn"
    assert fs_type in check.message and "locking" in check.message
    assert "local disk" in check.advice


def test_the_innermost_mount_decides_and_a_local_disk_is_fine(tmp_path: Path) -> None:
    desk = tmp_path / "local" / "desk"
    desk.mkdir(parents=True)
    table = mounts(
        tmp_path,
        f"server:/export {tmp_path} nfs4 rw 0 0",
        f"/dev/vdb {tmp_path / 'local'} ext4 rw 0 0",
    )
    assert doctor.file_system_of(desk, table) == ("ext4", str(tmp_path / "local"))
    assert doctor.location_check(desk / "deskterm.db", table).status == "ok"


def test_a_mount_point_with_a_space_is_read_as_proc_mounts_writes_it(tmp_path: Path) -> None:
    desk = tmp_path / "team desk"
    desk.mkdir()
    escaped = str(desk).replace(" ", "\\040")
    table = mounts(tmp_path, f"server:/x {escaped} cifs rw 0 0")
    assert doctor.file_system_of(desk, table)[0] == "cifs"


@pytest.mark.parametrize(
    ("version", "status"),
    [("3.40.1", "warn"), ("3.51.2", "warn"), ("3.51.3", "ok"), ("3.52.0", "ok"), ("4.0", "ok")],
)
def test_sqlite_before_3_51_3_is_warned_about_for_the_wal_reset_bug(
    version: str, status: str
) -> None:
    check = doctor.version_check(version)
    assert check.status == status
    if status == "warn":
        assert "WAL reset" in check.message and "3.51.3" in check.advice


def test_a_zone_the_tz_database_lacks_fails_and_says_what_to_install() -> None:
    check = doctor.zone_check(["America/Denver", "Mars/Olympus_Mons"])
    assert check.status == "fail"
    assert "Mars/Olympus_Mons" in check.message and "America/Denver" not in check.message
    assert "tzdata" in check.advice


def test_the_tz_database_names_its_release() -> None:
    described = doctor.tz_database()
    assert described.startswith("tz database ")
    assert doctor.zone_check(["Europe/Berlin"]).status == "ok"
