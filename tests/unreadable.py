"""Making a file unreadable to the test itself, also when the suite runs as root.

chmod 000 stops a normal user; root reads through it (CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH bypass file modes). As root, those two capabilities are
dropped from the effective set of the calling thread for the block (they stay
permitted, so they come back after): the file modes then hold for root as for
anyone, and root still owns the test's own files and directories. Threads started
inside the block (a console's workers) inherit the reduced set.

Where neither works (a kernel without capabilities, say), `denied` skips the test
and says why.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

_CAPABILITY_VERSION_3 = 0x20080522
_DAC_CAPABILITIES = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _capabilities(change: int | None) -> int:
    """The effective set's low word; with `change`, set it to that first."""
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _Header(_CAPABILITY_VERSION_3, 0), (_Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    before = int(data[0].effective)
    if change is not None:
        data[0].effective = change
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset")
    return before


@contextmanager
def modes_hold() -> Iterator[None]:
    """File modes bind this thread for the block, root or not."""
    if os.geteuid() != 0:
        yield
        return
    try:
        saved = _capabilities(None)
        _capabilities(saved & ~_DAC_CAPABILITIES)
    except (OSError, AttributeError) as error:
        pytest.skip(
            f"running as root and cannot drop CAP_DAC_OVERRIDE ({error}): "
            "chmod 000 would not stop root reading the file"
        )
    try:
        yield
    finally:
        _capabilities(saved)


@contextmanager
def denied(path: Path, mode: int = 0) -> Iterator[Path]:
    """`path` (a file or directory) with `mode` (000: unreadable) for the block, and
    file modes binding this thread; checked to really refuse, else the test is skipped."""
    before = path.stat().st_mode & 0o7777
    path.chmod(mode)
    try:
        with modes_hold():
            if not _refuses(path, mode):
                pytest.skip(f"{path} at mode {mode:o} does not refuse this process here")
            yield path
    finally:
        path.chmod(before)


def _refuses(path: Path, mode: int) -> bool:
    """Whether `path` at `mode` refuses what the mode takes away (reading, or writing in
    a directory)."""
    try:
        if mode & 0o444 == 0:
            os.close(os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)))
        elif path.is_dir() and mode & 0o222 == 0:
            probe = path / ".probe"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            probe.unlink()
        else:
            return True
    except PermissionError:
        return True
    return False


@contextmanager
def fresh_worker_threads() -> Iterator[None]:
    """For a console test: the event loop's thread workers (run_in_executor) are threads
    it started earlier, with every capability; a new default executor starts its
    threads from here on, so a `denied` block around this one binds them too. (They
    keep the reduced set afterwards: harmless, the test's files are its own.)"""
    loop = asyncio.get_running_loop()
    old = getattr(loop, "_default_executor", None)
    loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="modes-hold"))
    if old is not None:
        old.shutdown(wait=False)
    yield
