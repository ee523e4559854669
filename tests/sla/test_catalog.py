"""Finding policies by name: later directories override earlier ones, an edited file
takes effect within a second, and lookups in between touch no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskterm import settings
from deskterm.sla.catalog import PolicyCatalog, UnknownPolicy

PRESET = settings.packaged_policy_dir() / "premium-tier.toml"


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def site_copy(directory: Path, first_response: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = PRESET.read_text().replace(
        'first_response = "1h"', f'first_response = "{first_response}"'
    )
    path = directory / "premium-tier.toml"
    path.write_text(text)
    return path


def sev1_target(catalog: PolicyCatalog) -> str:
    return str(catalog.get("premium-tier").level(1).first_response)


def test_a_later_directory_overrides_the_shipped_preset(tmp_path: Path) -> None:
    site_copy(tmp_path / "site", "45m")
    assert sev1_target(PolicyCatalog([settings.packaged_policy_dir()])) == "1h"
    assert sev1_target(PolicyCatalog([settings.packaged_policy_dir(), tmp_path / "site"])) == "45m"


def test_an_edited_policy_takes_effect_once_the_recheck_interval_has_passed(
    tmp_path: Path,
) -> None:
    path = site_copy(tmp_path / "site", "45m")
    ticks = Ticks()
    catalog = PolicyCatalog([settings.packaged_policy_dir(), tmp_path / "site"], monotonic=ticks)
    assert sev1_target(catalog) == "45m"
    path.write_text(path.read_text().replace('first_response = "45m"', 'first_response = "20m"'))
    ticks.seconds += 0.5
    assert sev1_target(catalog) == "45m"  # within the second: the policy handed out before
    ticks.seconds += 0.6
    assert sev1_target(catalog) == "20m"  # looked again: the edit is in force


def test_lookups_within_the_interval_touch_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = Ticks()
    catalog = PolicyCatalog([settings.packaged_policy_dir()], monotonic=ticks)
    catalog.get("premium-tier")
    stats: list[Path] = []
    real_stat = Path.stat

    def counting_stat(self: Path, *args: object, **kwargs: object) -> object:
        stats.append(self)
        return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", counting_stat)
    for _ in range(100):
        catalog.get("premium-tier")
    assert stats == []
    ticks.seconds += 1.0
    catalog.get("premium-tier")
    assert stats  # the once-a-second look at the files


def test_a_policy_file_added_later_is_found_and_an_unknown_name_is_refused(
    tmp_path: Path,
) -> None:
    ticks = Ticks()
    catalog = PolicyCatalog([tmp_path / "site"], monotonic=ticks)
    with pytest.raises(UnknownPolicy, match="no policy named 'premium-tier'"):
        catalog.get("premium-tier")
    site_copy(tmp_path / "site", "45m")
    assert sev1_target(catalog) == "45m"  # refusals are not kept: found at once
