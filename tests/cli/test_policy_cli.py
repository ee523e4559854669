"""`deskterm policy ...` as administrators and scripts use it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import holidays
import pytest
from typer.testing import CliRunner

from deskterm.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_names_every_preset_with_its_levels() -> None:
    code, out, _ = run("policy", "list")
    assert code == 0
    for name in (
        "business-hours-3",
        "initial-response-3",
        "p1-p6",
        "premium-tier",
        "standard-tier",
    ):
        assert name in out
    assert "P1-P6" in out and "Sev 1-3" in out


def test_show_prints_the_target_matrix() -> None:
    code, out, _ = run("policy", "show", "p1-p6")
    assert code == 0
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert "30m" in rows["P2"] and "always" in rows["P2"]
    assert "3bd" in rows["P4"] and "office" in rows["P4"]
    assert "scheduled" in rows["P6"]


def test_an_administrators_policy_dir_adds_and_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "night.toml").write_text(
        'name = "night-desk"\ntimezone = "Europe/Berlin"\n'
        '[calendars.night]\nhours = { mon = "22:00-24:00" }\n'
        '[severity.1]\ncalendar = "night"\nfirst_response = "1h"\n'
    )
    monkeypatch.setenv("DESKTERM_POLICIES", str(tmp_path))
    code, out, _ = run("policy", "list")
    assert code == 0 and "night-desk" in out and str(tmp_path / "night.toml") in out


def test_check_accepts_a_valid_file_with_a_one_line_summary() -> None:
    preset = Path(__file__).resolve().parents[2] / "data" / "policies" / "standard-tier.toml"
    code, out, _ = run("policy", "check", str(preset))
    assert code == 0
    assert out.count("\n") == 1 and "ok" in out and "standard-tier" in out


def test_check_reports_every_problem_with_its_key_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\ntimezone = "America/Denver"\n'
        '[calendars.office]\nhours = { mon = "09:00-17:00" }\n'
        '[severity.2]\ncalendar = "ofice"\nfirst_response = "8x"\n'
    )
    code, _, err = run("policy", "check", str(bad))
    assert code == 2
    lines = err.strip().splitlines()
    assert f"{bad}: severity.2.calendar: no calendar named 'ofice' (calendars: office)" in lines
    assert any(line.startswith(f"{bad}: severity.2.first_response: '8x'") for line in lines)
    assert len(lines) == 2


def test_check_names_the_line_of_a_toml_syntax_error(tmp_path: Path) -> None:
    bad = tmp_path / "syntax.toml"
    bad.write_text('name = "x"\ntimezone = = "UTC"\n')
    code, _, err = run("policy", "check", str(bad))
    assert code == 2
    assert str(bad) in err and "line 2" in err


def test_check_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run("policy", "check", str(tmp_path / "nope.toml"))
    assert code == 2 and "cannot read" in err


def test_due_json_gives_the_clock_start_and_the_deadline_with_offsets() -> None:
    code, out, _ = run(
        "policy",
        "due",
        "--policy",
        "standard-tier",
        "--severity",
        "2",
        "--received",
        "2026-11-25T16:00:00-07:00",
        "--json",
    )
    assert code == 0
    due = json.loads(out)
    # 1h left on Wednesday, Thanksgiving closed, 7h on Friday.
    assert due["clock_starts"] == "2026-11-25T23:00:00+00:00"
    assert due["first_response_due"] == "2026-11-27T23:00:00+00:00"
    assert "Thanksgiving" in due["explanation"]


def test_due_out_of_hours_starts_the_clock_at_the_next_opening() -> None:
    code, out, _ = run(
        "policy",
        "due",
        "--policy",
        "business-hours-3",
        "--severity",
        "1",
        "--received",
        "2026-11-21T03:00:00Z",
        "--json",
    )
    assert code == 0
    due = json.loads(out)
    assert due["clock_starts"] == "2026-11-23T13:00:00+00:00"  # Mon 08:00 New York
    assert due["first_response_due"] == "2026-11-23T13:30:00+00:00"


def test_due_for_a_scheduled_level_has_no_clock() -> None:
    code, out, _ = run(
        "policy",
        "due",
        "--policy",
        "p1-p6",
        "--severity",
        "6",
        "--received",
        "2026-11-23T10:00Z",
        "--json",
    )
    assert code == 0
    due = json.loads(out)
    assert due["first_response_due"] is None and due["clock_starts"] is None


def test_due_in_words_names_the_zone() -> None:
    code, out, _ = run(
        "policy",
        "due",
        "--policy",
        "standard-tier",
        "--severity",
        "3",
        "--received",
        "2026-11-25T16:00-07:00",
    )
    assert code == 0 and "Fri 27 Nov 2026 17:00 MST" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--policy", "nope", "--severity", "1", "--received", "2026-11-25T16:00Z"],
            "no policy named 'nope'",
        ),
        (
            ["--policy", "p1-p6", "--severity", "7", "--received", "2026-11-25T16:00Z"],
            "--severity: policy 'p1-p6' has no severity 7 (levels: 1, 2, 3, 4, 5, 6)",
        ),
        (
            ["--policy", "p1-p6", "--severity", "x", "--received", "2026-11-25T16:00Z"],
            "--severity: 'x' is not a severity level",
        ),
        (
            ["--policy", "p1-p6", "--severity", "1", "--received", "yesterday"],
            "not an ISO 8601 instant",
        ),
        (
            ["--policy", "p1-p6", "--severity", "1", "--received", "2026-11-25T16:00"],
            "has no UTC offset",
        ),
    ],
)
def test_due_refuses_bad_input_with_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out, err = run("policy", "due", *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_check_warns_that_holidays_stop_at_the_packages_last_year() -> None:
    # Issue 22: Christmas 2201 would count as a business day without a word.
    preset = Path(__file__).resolve().parents[2] / "data" / "policies" / "business-hours-3.toml"
    code, out, err = run("policy", "check", str(preset))
    assert code == 0 and out.count("\n") == 1
    assert "warning: " in err
    assert "holidays package knows US holidays from 1777 to 2100 only" in err


def test_due_in_a_year_the_package_has_in_part_says_so_in_deskterms_words(
    tmp_path: Path,
) -> None:
    # The package's own UserWarning for India in 2040 (holidays 0.109) came out as
    # Python's text, with a source path, once per machine (the answer is then cached),
    # and `policy check` said the holidays were known up to 2100.
    preset = Path(__file__).resolve().parents[2] / "data" / "policies" / "standard-tier.toml"
    text = preset.read_text(encoding="utf-8").replace('holidays = "US-CO"', 'holidays = "IN"')
    policy = tmp_path / "india-tier.toml"
    policy.write_text(text, encoding="utf-8")
    year = holidays.country_holidays("IN").end_year - 1  # in its rules, not whole
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, out, err = run(
            "policy", "due", "--policy", str(policy), "--severity", "1",
            "--received", f"{year}-01-05T10:00:00+00:00",
        )  # fmt: skip
        assert code == 0, err
        assert f"only: none is counted in {year}" in out
        code, _, err = run("policy", "check", str(policy))
    assert code == 0
    assert "knows IN holidays from" in err
    assert f"to {year + 1} only" not in err


# -- versions: diff, apply, list (issue 22) --------------------------------------------


@pytest.fixture
def versioned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path, list[int]]:
    """A desk with three open business-hours-3 cases (version 1 stored), and the policy's
    file copied into an administrator's directory, edited: Sev 2 halved, a day closed."""
    from deskterm import settings
    from deskterm.desk import cases, directory
    from deskterm.desk.context import Desk
    from deskterm.sla.catalog import PolicyCatalog
    from deskterm.store.engine import database_url, make_engine
    from deskterm.store.migrate import upgrade
    from tests.desk.conftest import MONDAY

    monkeypatch.setenv("DESKTERM_NOW", "2026-11-23T16:00:00Z")
    policies = tmp_path / "policies"
    policies.mkdir()
    monkeypatch.setenv("DESKTERM_POLICIES", str(policies))
    url = database_url(str(tmp_path / "desk.db"))
    engine = make_engine(url)
    upgrade(engine, MONDAY)
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY)
    directory.add_organization(desk, "Acme", "business-hours-3", tier="standard")
    numbers = [
        cases.open_case(desk, organization="Acme", contact=None, severity=level, subject="x").number
        for level in (1, 2, 3)
    ]
    engine.dispose()
    preset = settings.packaged_policy_dir() / "business-hours-3.toml"
    body = preset.read_text(encoding="utf-8").replace(
        'holidays = "US"', 'holidays = "US"\nclosed = ["2026-11-24"]', 1
    )
    head, _, tail = body.partition("[severity.2]")
    edited = policies / "business-hours-3.toml"
    edited.write_text(head + "[severity.2]" + tail.replace('"24h"', '"12h"', 1), encoding="utf-8")
    return url, edited, numbers


def test_diff_apply_and_list_the_version_in_use(versioned: tuple[str, Path, list[int]]) -> None:
    url, edited, numbers = versioned
    code, out, _ = run("--db", url, "policy", "list")
    assert code == 0
    [row] = [line for line in out.splitlines() if line.startswith("business-hours-3")]
    assert "v1 (file differs)" in row
    # The diff against version 1, by name alone (the edited file is the policy's now).
    code, out, err = run("--db", url, "policy", "diff", "business-hours-3", "--json")
    assert code == 0, err
    impact = json.loads(out)
    assert impact["version_in_use"] == 1 and impact["open_cases"] == 3
    before = {n: json.loads(run("--db", url, "case", "show", str(n), "--json")[1]) for n in numbers}

    code, out, err = run(
        "--db", url, "policy", "apply", "business-hours-3", "--if-impact-hash", "0" * 16
    )
    assert code == 2 and err.count("\n") == 1 and "nothing applied" in err
    code, out, err = run(
        "--db",
        url,
        "policy",
        "apply",
        "business-hours-3",
        str(edited),
        "--if-impact-hash",
        impact["impact_hash"],
    )
    assert code == 0, err
    assert "stored as version 2; 3 open case(s) moved to it, 2 with a new deadline" in out
    after = {n: json.loads(run("--db", url, "case", "show", str(n), "--json")[1]) for n in numbers}
    # The recount from case show: every figure the diff printed.
    moved = {m["number"]: m for m in impact["moves"]}
    earlier = later = 0
    for number in numbers:
        old, new = before[number]["next_due"], after[number]["next_due"]
        assert after[number]["policy_version"] == 2
        if old == new:
            assert number not in moved
            continue
        assert moved[number]["new_due"] == new and moved[number]["old_due"] == old
        earlier, later = earlier + (new < old), later + (new > old)
    assert (earlier, later) == (impact["earlier"], impact["later"])
    code, out, _ = run("--db", url, "policy", "list")
    [row] = [line for line in out.splitlines() if line.startswith("business-hours-3")]
    assert "v2" in row and "differs" not in row
