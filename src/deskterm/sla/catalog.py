"""Finding policies by name across directories, later directories overriding.

Lookups are on every hot path (each listed case names its policy, each ticking
row of the queue asks for it every second), so a policy found by name is kept
and looked at again at most once a second (`recheck_seconds`): then the
directory listing is rescanned if a directory changed (a file added, removed or
renamed) and the file parsed again if its mtime changed. A policy edited in
place takes effect within a second without a restart, and a lookup in between
costs a dictionary read instead of a dozen system calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from deskterm.errors import UserError
from deskterm.sla.policy import Policy, PolicyError
from deskterm.sla.policy_toml import load_policy


class UnknownPolicy(UserError, LookupError):
    pass


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    policy: Policy | None  # None when the file has problems
    problems: tuple[str, ...] = ()


class PolicyCatalog:
    def __init__(
        self,
        dirs: Sequence[Path],
        *,
        recheck_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dirs = list(dirs)
        # By file and mtime, with the mtimes of the files the policy read (an .ics).
        self._loaded: dict[tuple[Path, float], tuple[Policy, tuple[float, ...]]] = {}
        self._listing: tuple[tuple[float, ...], dict[str, Path]] | None = None
        # Policies handed out since the last look at the files (a timer for the cache,
        # not the business clock: nothing computed depends on it).
        self._recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._found: dict[str, Policy] = {}
        self._found_at = 0.0

    def load_file(self, path: Path) -> Policy:
        """Load one policy file, cached while it and the files it reads are unchanged."""
        try:
            key = (path.resolve(), path.stat().st_mtime)
        except OSError as error:
            raise PolicyError([f"{path}: cannot read: {error.strerror or error}"]) from None
        cached = self._loaded.get(key)
        if cached is not None and cached[1] == _stamps(path, cached[0]):
            return cached[0]
        policy = load_policy(path)
        self._loaded[key] = (policy, _stamps(path, policy))
        return policy

    def _entry(self, name: str, path: Path) -> Entry:
        try:
            return Entry(name, path, self.load_file(path))
        except PolicyError as error:
            return Entry(name, path, None, tuple(error.problems))

    def _paths(self) -> dict[str, Path]:
        """Policy name -> file, rescanned only when a directory has changed."""
        stamp = tuple(_mtime(directory) for directory in self.dirs)
        if self._listing is not None and self._listing[0] == stamp:
            return self._listing[1]
        found: dict[str, Path] = {}
        for directory in self.dirs:
            if not directory.is_dir():
                continue
            for path in sorted(directory.glob("*.toml")):
                entry = self._entry(path.stem, path)
                found[entry.policy.name if entry.policy else path.stem] = path
        listing = dict(sorted(found.items()))
        self._listing = (stamp, listing)
        return listing

    def entries(self) -> dict[str, Entry]:
        return {name: self._entry(name, path) for name, path in self._paths().items()}

    def get(self, name_or_file: str) -> Policy:
        """A policy by name, or by the path of a .toml file."""
        now = self._monotonic()
        if now - self._found_at >= self._recheck_seconds:
            self._found.clear()
            self._found_at = now
        policy = self._found.get(name_or_file)
        if policy is None:
            policy = self._find(name_or_file)
            self._found[name_or_file] = policy
        return policy

    def _find(self, name_or_file: str) -> Policy:
        path = Path(name_or_file)
        if name_or_file.endswith(".toml") or path.is_file():
            return self.load_file(path)
        paths = self._paths()
        if name_or_file not in paths:
            known = ", ".join(paths) or "none"
            raise UnknownPolicy(f"no policy named {name_or_file!r} (policies: {known})")
        entry = self._entry(name_or_file, paths[name_or_file])
        if entry.policy is None:
            raise PolicyError(list(entry.problems))
        return entry.policy


def _stamps(path: Path, policy: Policy) -> tuple[float, ...]:
    """The modification times of the files `policy` read (`holidays_file`), as its reader
    finds them beside `path`."""
    found = []
    for name in policy.files:
        file = Path(name).expanduser()
        found.append(_mtime(file if file.is_absolute() else path.parent / file))
    return tuple(found)


def _mtime(directory: Path) -> float:
    try:
        return directory.stat().st_mtime
    except OSError:
        return -1.0
