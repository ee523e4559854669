"""Shared fixtures: a frozen clock and an isolated environment for every test."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow run first, the rest after in their usual order.

    pytest-xdist hands tests out in this order: a test of minutes started last would
    keep one core busy alone at the end of `make test` while the other idles.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # No test may read the developer's own config, policies or database.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(home / "etc-xdg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))  # drafts
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))  # holiday dates
    for name in (
        "DESKTERM_POLICIES",
        "DESKTERM_DB",
        "DESKTERM_USER",
        "DESKTERM_CLOCK",
        "DESKTERM_NOW",
        "DESKTERM_CONFIG",
        "DESKTERM_DRAFTS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
