"""`deskterm doctor` tells apart a full disk, a read-only file, a damaged header and a
damaged database, and its advice works for each: the advice is followed in the test."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from deskterm import settings
from deskterm.desk import doctor
from deskterm.store.engine import database_url
from tests.cli.runner import invoke
from tests.desk.test_faults import fill, new_desk, small_disk  # noqa: F401  (a fixture)

HEADER = b"SQLite format 3\x00"


def checks(path: Path) -> dict[str, doctor.Check]:
    return {
        check.name: check
        for check in doctor.examine(database_url(str(path)), settings.policy_dirs())
    }


def failing(path: Path) -> list[doctor.Check]:
    return [check for check in checks(path).values() if check.status == "fail"]


def test_a_full_disk_is_said_as_such_and_not_as_a_damaged_database(small_disk: Path) -> None:  # noqa: F811
    path = small_disk / "desk.db"
    new_desk(path).engine.dispose()
    filler = fill(small_disk)
    problems = failing(path)
    assert [check.name for check in problems] == ["free space"], problems
    assert "is full" in problems[0].message
    assert "restore" not in problems[0].advice and "free" in problems[0].advice
    filler.unlink()  # the advice: free space
    assert failing(path) == []


def test_a_read_only_file_is_said_as_such(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    new_desk(path).engine.dispose()
    path.chmod(0o440)
    problems = failing(path)
    assert [check.name for check in problems] == ["database file"], problems
    assert "read-only" in problems[0].message and "restore" not in problems[0].advice
    assert f"chmod ug+w {path}" in problems[0].advice
    subprocess.run(["chmod", "ug+w", str(path)], check=True)  # the advice
    assert failing(path) == []


def test_a_damaged_header_is_said_as_such_and_its_advice_restores(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    new_desk(path).engine.dispose()
    code, _, err = invoke(["--db", str(path), "backup", str(tmp_path / "backup.db")])
    assert code == 0, err
    with path.open("r+b") as file:
        file.write(b"\0" * 16)
    problems = failing(path)
    assert [check.name for check in problems] == ["integrity"], problems
    assert "header" in problems[0].message
    advice = problems[0].advice
    assert f"mv {path} {path}.damaged" in advice and "deskterm restore" in advice
    os.replace(path, f"{path}.damaged")  # the advice, step by step
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    code, _, err = invoke(["--db", str(path), "restore", str(tmp_path / "backup.db")])
    assert code == 0, err
    assert failing(path) == []


def test_real_corruption_is_said_as_such_and_restore_force_repairs_it(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    new_desk(path).engine.dispose()
    code, _, err = invoke(["--db", str(path), "backup", str(tmp_path / "backup.db")])
    assert code == 0, err
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for at in range(page * 2, min(len(data), page * 4), 7):  # pages 3 and 4: a table's b-tree
        data[at] = 0xFF
    path.write_bytes(bytes(data))
    assert data[:16] == HEADER
    problems = failing(path)
    assert problems and problems[0].name == "integrity", problems
    assert "deskterm restore" in problems[0].advice and "--force" in problems[0].advice
    code, _, err = invoke(["--db", str(path), "restore", str(tmp_path / "backup.db"), "--force"])
    assert code == 0, err
    assert failing(path) == []
    assert stat.S_IMODE(path.stat().st_mode) & 0o600 == 0o600
