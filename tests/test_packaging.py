"""The wheel built from the repository carries the policy presets and finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRESETS = sorted(p.name for p in (ROOT / "data" / "policies").glob("*.toml"))
TEMPLATES = sorted(p.name for p in (ROOT / "data" / "templates").glob("*.md"))


def build_wheel(tmp_path: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path),
        ],
        check=True,
    )
    return next(tmp_path.glob("deskterm-*.whl"))


def test_the_shipped_presets_are_the_five_seed_matrices() -> None:
    assert PRESETS == [
        "business-hours-3.toml",
        "initial-response-3.toml",
        "p1-p6.toml",
        "premium-tier.toml",
        "standard-tier.toml",
    ]


def test_a_wheel_contains_every_preset_and_an_installed_copy_finds_them(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert (
        sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("deskterm/data/policies/"))
        == PRESETS
    )
    # The canned replies travel the same way (issue 20).
    assert TEMPLATES and (
        sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("deskterm/data/templates/"))
        == TEMPLATES
    )
    # The console's stylesheets travel with it (a screen without them draws unstyled).
    stylesheets = sorted(
        "deskterm/" + str(p.relative_to(ROOT / "src" / "deskterm"))
        for p in (ROOT / "src" / "deskterm").rglob("*.tcss")
    )
    assert stylesheets and set(stylesheets) <= set(names)

    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    probe = (
        "import deskterm, deskterm.settings as s;"
        "from deskterm.sla.catalog import PolicyCatalog;"
        "print(deskterm.__file__);"
        "print(s.packaged_policy_dir());"
        "print(','.join(PolicyCatalog([s.packaged_policy_dir()]).entries()));"
        "print(s.packaged_template_dir())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, policy_dir, names_found, template_dir = result.stdout.split("\n")[:4]
    assert template_dir.startswith(str(site))
    assert module_file.startswith(str(site))
    assert policy_dir.startswith(str(site))
    assert names_found.split(",") == [
        "business-hours-3",
        "initial-response-3",
        "p1-p6",
        "premium-tier",
        "standard-tier",
    ]
