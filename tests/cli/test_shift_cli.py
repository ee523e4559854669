"""`deskterm handoff`, `deskterm report` and `deskterm serve` from the command line.

The desk is the small seeded one of the screen tests (tests/screens/conftest.py),
built once and copied per test; the clock is frozen at Monday 23 November 2026
16:00 UTC through DESKTERM_NOW, as a script would see it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from deskterm import settings
from deskterm.sla.catalog import PolicyCatalog
from tests.cli.runner import invoke
from tests.screens.conftest import NOW, build_desk, seed


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shift") / "seeded.db"
    desk = build_desk(path, PolicyCatalog([settings.packaged_policy_dir()]))
    seed(desk)
    desk.engine.dispose()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKTERM_NOW", NOW.isoformat())
    path = tmp_path / "desk.db"
    shutil.copyfile(template, path)
    return path


def dump(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        return list(connection.iterdump())


def test_handoff_markdown_and_json(db: Path) -> None:
    code, out, err = invoke(["--db", str(db), "handoff"])
    assert code == 0, err
    assert out.startswith("# Handoff Mon 23 Nov 08:00 UTC to Mon 23 Nov 16:00 UTC")
    assert "## Came in (7)" in out and "## Falls due next shift (2)" in out
    code, out, _ = invoke(["--db", str(db), "handoff", "--since", "90m", "--format", "json"])
    data = json.loads(out)
    assert data["since"] == "2026-11-23T14:30:00+00:00"
    assert [c["number"] for c in data["sections"]["resolved"]["cases"]] == [40106]
    assert data["sections"]["sev1"]["total"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["handoff", "--since", "8 hours"], "--since: '8 hours' is not a period"),
        (["handoff", "--format", "pdf"], "--format must be one of markdown, json"),
        (["report", "--from", "yesterday", "--to", "2026-11-23"], "not a date"),
        (["report", "--from", "2026-11-23", "--to", "2026-11-01"], "--to must come after"),
        (["report", "--from", "2026-11-23", "--to", "2026-11-23", "--by", "x"], "--by must be"),
        (["report", "--from", "2026-11-23", "--to", "2026-11-23", "--format", "x"], "--format"),
        (["serve", "--port", "0"], "--port: 0 is not a number from 1 to 65535"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    db: Path, args: list[str], message: str
) -> None:
    before = dump(db)
    code, out, err = invoke(["--db", str(db), *args])
    assert code == 2
    assert err.count("\n") == 1 and message in err, err
    assert out == ""
    assert dump(db) == before


def test_report_formats_agree(db: Path) -> None:
    period = ["--from", "2026-11-23", "--to", "2026-11-23"]
    _, out, _ = invoke(["--db", str(db), "report", *period, "--format", "json"])
    data = json.loads(out)
    assert (data["from"], data["to"]) == ("2026-11-23T00:00:00+00:00", "2026-11-24T00:00:00+00:00")
    # Received on Monday: every seeded case. Now (Monday 16:00, the day not over) Login
    # broken (due 15:30) missed its 30 minutes, unanswered; Production down (due 16:30)
    # is still inside its target: neither met nor missed yet.
    total = data["total"]
    assert total["received"] == 7
    sev1 = next(row for row in data["rows"] if row["key"] == "Sev 1")
    assert (sev1["received"], sev1["first_response_missed"]) == (2, 1)
    _, out, _ = invoke(["--db", str(db), "report", *period, "--format", "csv"])
    table = list(csv.DictReader(io.StringIO(out)))
    assert table[-1]["key"] == "all"
    assert int(table[-1]["first_response_missed"]) == total["first_response_missed"]
    assert [row["key"] for row in table[:-1]] == [row["key"] for row in data["rows"]]
    code, out, _ = invoke(["--db", str(db), "report", *period, "--by", "engineer"])
    assert code == 0 and "Engineer" in out and "unassigned" in out and "All" in out


def test_serve_warns_when_bound_beyond_this_machine(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[str, str, int]] = []

    def fake_serve(self: Any, debug: bool = False) -> None:
        served.append((self.command, self.host, self.port))

    monkeypatch.setattr("textual_serve.server.Server.serve", fake_serve)
    code, _, err = invoke(["--db", str(db), "serve", "--host", "0.0.0.0", "--readonly"])
    assert code == 0
    assert "WARNING: serving on 0.0.0.0" in err
    command, host, port = served[0]
    assert (host, port) == ("0.0.0.0", 8000)
    assert command.endswith(f"-m deskterm --db {db} board --readonly")
    _, _, err = invoke(["--db", str(db), "serve"])
    assert "WARNING" not in err and served[1][1] == "127.0.0.1"


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_a_browser_on_localhost(db: Path) -> None:
    port = free_port()
    env = {**os.environ, "DESKTERM_NOW": NOW.isoformat()}
    server = subprocess.Popen(
        [sys.executable, "-m", "deskterm", "--db", str(db), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        page = ""
        # The server's start-up (imports) can take many seconds on a busy machine: the
        # wait ends when it answers or exits, the deadline only catches a hang.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    page = answer.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "<html" in page.lower() and "deskterm" in page
    finally:
        server.terminate()
        server.wait(10)
