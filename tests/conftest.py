"""Shared fixtures: a frozen clock and an isolated environment for every test."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from typing import Any

import pytest


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: three workers a core (PYTEST_XDIST_AUTO_NUM_WORKERS still decides).

    Much of a test's time is spent waiting, not computing: a pilot's key press waits for
    the app to go idle (at least 40 ms, textual/pilot.py), a console in a pseudo-terminal
    or a crash test's writers run in processes of their own, PostgreSQL works in its
    server. With one worker a core the cores idled about half of `make test`; with two,
    and each file whole on one worker, they still idled 50-65 s of a 4-5 minute run;
    with three, 8-21 s, and the run took 10-30 s less (paired runs, this machine).
    """
    named = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if named:
        return int(named)
    return 3 * (os.cpu_count() or 1)


def pytest_configure(config: pytest.Config) -> None:
    _recording_engines()
    # A worker's heap is large (Textual, SQLAlchemy, Hypothesis, every test module) and
    # lives for the whole run; with Python's default thresholds the collector walked
    # it thousands of times a file, a quarter of a screen test's CPU. Fewer, larger
    # young collections; what is there once the tests are collected is frozen below.
    gc.set_threshold(50_000, 20, 10)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.freeze()  # the modules and collected items: never garbage, never walked again


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test files in the order pytest-xdist hands them out: those with a test marked
    slow first, then the others by their number of tests, the most first; each file's
    tests in their usual order.

    Each file goes whole to one worker (`--dist loadfile`, pyproject.toml), so its
    module-scoped desks and consoles are made once, not once in each worker that took
    some of its tests. A file is handed out when a worker is nearly done with the last
    one, so the long files start first and no long one is left running alone at the end.
    """
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def first_long(tests: list[pytest.Item]) -> tuple[bool, int]:
        slow = any(test.get_closest_marker("slow") is not None for test in tests)
        return not slow, -len(tests)

    items[:] = [item for tests in sorted(files.values(), key=first_long) for item in tests]


_OPEN_ENGINES: list[Any] = []


def _recording_engines() -> None:
    """Every engine deskterm makes during the tests on a server or a file is
    remembered, so that `connections_closed` can close its pool when the test ends. A
    command run in-process (tests/cli/runner.py) never exits, so its pooled connections
    stayed open until the garbage collector found the engine: one a test, and four
    workers ran the shared server out of its 100 connections ("too many clients
    already"). An SQLite file's connections hold three descriptors each (the desk, its
    -wal and -shm); after the command-line tests a worker had over a thousand open, and
    `select()`, which takes none numbered 1024 or more, failed every pseudo-terminal
    test the worker ran after (bench/ptyterm.py). An in-memory SQLite database lives
    only in its pool: that one is left alone."""
    from deskterm.store import engine as store_engine

    made = store_engine.create_engine

    def recording(*args: Any, **kwargs: Any) -> Any:
        engine = made(*args, **kwargs)
        if engine.dialect.name != "sqlite" or engine.url.database not in (None, "", ":memory:"):
            _OPEN_ENGINES.append(engine)
        return engine

    store_engine.create_engine = recording  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def connections_closed() -> Iterator[None]:
    yield
    while _OPEN_ENGINES:
        _OPEN_ENGINES.pop().dispose()


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
