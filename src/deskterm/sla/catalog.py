"""Finding policies by name across directories, later directories overriding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from deskterm.sla.policy import Policy, PolicyError, load_policy


class UnknownPolicy(LookupError):
    pass


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    policy: Policy | None  # None when the file has problems
    problems: tuple[str, ...] = ()


class PolicyCatalog:
    def __init__(self, dirs: Sequence[Path]) -> None:
        self.dirs = list(dirs)
        self._loaded: dict[tuple[Path, float], Policy] = {}

    def load_file(self, path: Path) -> Policy:
        """Load one policy file, cached while the file is unchanged."""
        try:
            key = (path.resolve(), path.stat().st_mtime)
        except OSError as error:
            raise PolicyError([f"{path}: cannot read: {error.strerror or error}"]) from None
        policy = self._loaded.get(key)
        if policy is None:
            policy = load_policy(path)
            self._loaded[key] = policy
        return policy

    def entries(self) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        for directory in self.dirs:
            if not directory.is_dir():
                continue
            for path in sorted(directory.glob("*.toml")):
                try:
                    policy = self.load_file(path)
                except PolicyError as error:
                    found[path.stem] = Entry(path.stem, path, None, tuple(error.problems))
                else:
                    found[policy.name] = Entry(policy.name, path, policy)
        return dict(sorted(found.items()))

    def get(self, name_or_file: str) -> Policy:
        """A policy by name, or by the path of a .toml file."""
        path = Path(name_or_file)
        if name_or_file.endswith(".toml") or path.is_file():
            return self.load_file(path)
        entries = self.entries()
        entry = entries.get(name_or_file)
        if entry is None:
            known = ", ".join(entries) or "none"
            raise UnknownPolicy(f"no policy named {name_or_file!r} (policies: {known})")
        if entry.policy is None:
            raise PolicyError(list(entry.problems))
        return entry.policy
