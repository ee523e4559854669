"""Run a command in a pseudo-terminal and read its screen the way a user would see it.

    with Terminal([".venv/bin/deskterm", "--db", path], cols=120, rows=40, env=env) as term:
        term.read_until(lambda t: "Queue" in t.screen_text(), timeout=10)
        term.send("j")
        term.wait_quiet(50)
        assert "40101" in term.text()[3]

The child gets the pty as stdin, stdout and stderr (Textual draws on stderr), as its
controlling terminal, and a session and process group of its own, with the window
size set before it starts. A reader thread drains the pty continuously, so the child
never blocks on a full pty buffer while the test or benchmark is busy, and stamps each
chunk with `time.perf_counter()` when it arrived. The main thread feeds the chunks to
a pyte screen when it asks for them (`poll`, `read_until`, `wait_quiet`, `text`), so
timings taken from `last_output_at` do not include pyte's parsing time.

Replies the emulator owes the program (device attributes, cursor position reports)
are written back to the pty, as a real terminal would.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pyte
from wcwidth import wcwidth

# Bytes a terminal sends for common keys (xterm, normal cursor mode).
KEYS: dict[str, str] = {
    "enter": "\r",
    "tab": "\t",
    "backspace": "\x7f",
    "esc": "\x1b",
    "up": "\x1b[A",
    "down": "\x1b[B",
    "right": "\x1b[C",
    "left": "\x1b[D",
    "home": "\x1b[H",
    "end": "\x1b[F",
    "pgup": "\x1b[5~",
    "pgdn": "\x1b[6~",
    "ctrl+c": "\x03",
    "ctrl+p": "\x10",
}


class TerminalError(RuntimeError):
    """The program did not show what was awaited; the message ends with the last screen."""


# Distinct attributes whose cells `_Screen._draw_ascii` keeps (about 95 cells each).
_CELLS_KEPT = 2000


class _Screen(pyte.Screen):
    """A pyte screen that answers the program's queries through the pty."""

    def __init__(self, columns: int, lines: int, reply: Callable[[str], None]) -> None:
        super().__init__(columns, lines)
        self._reply = reply
        # The cells `_draw_ascii` made, by attributes and character (cells never change).
        self._cells: dict[Any, dict[str, Any]] = {}

    def write_process_input(self, data: str) -> None:
        self._reply(data)

    def draw(self, data: str) -> None:
        if data.isascii():
            data = self._draw_ascii(data)
            if not data:
                return
        # pyte stops drawing at a zero-width character that does not combine (U+200B,
        # U+FEFF ...) and loses the rest of the text; a terminal shows nothing for it
        # and goes on.
        else:
            data = "".join(c for c in data if wcwidth(c) != 0 or unicodedata.combining(c))
            # A combining mark at the start of a line joins the last character of the
            # line above, which pyte changes without marking that line dirty.
            if self.cursor.y:
                self.dirty.add(self.cursor.y - 1)
        super().draw(data)

    def _draw_ascii(self, data: str) -> str:
        """Draw what fits on the cursor's line of printable ASCII text, as pyte's `draw`
        would, and return the rest for it (a wrap, a scroll). pyte checks each
        character's width, the wrap and insert modes, and makes a new cell for each
        (3 million cells in a test of the console in a pseudo-terminal,
        tests/test_hostile_console.py); here a cell is made once for its character
        and attributes (a 160x45 stream of 40 frames: 1.72 s of CPU through pyte,
        0.77 s here). The whole text goes to pyte in another character set (line
        drawing) or insert mode. tests/test_ptyterm.py compares the screens."""
        charset = self.g1_charset if self.charset else self.g0_charset
        cursor = self.cursor
        room = self.columns - cursor.x
        if (
            room <= 0
            or charset is not pyte.charsets.LAT1_MAP
            or pyte.modes.IRM in self.mode
            or not data.isprintable()
        ):
            return data
        attrs = cursor.attrs
        cells = self._cells.get(attrs)
        if cells is None:
            if len(self._cells) > _CELLS_KEPT:
                self._cells.clear()
            cells = self._cells[attrs] = {}
        line = self.buffer[cursor.y]
        x = cursor.x
        for char in data[:room]:
            cell = cells.get(char)
            if cell is None:
                cell = cells[char] = attrs._replace(data=char)
            line[x] = cell
            x += 1
        cursor.x = x
        self.dirty.add(cursor.y)
        return data[room:]

    def line_text(self, y: int) -> str:
        """Line `y` as pyte's `display` gives it, trailing spaces removed."""
        line = self.buffer[y]
        text = "".join([line[x].data for x in range(self.columns)])
        if text.isascii():  # no two-cell character, no stub after one
            return text.rstrip()
        chars = []
        wide = False
        for x in range(self.columns):
            if wide:  # the stub after a two-cell character
                wide = False
                continue
            char = line[x].data
            # (a cell emptied when a two-cell character was partly overwritten: "")
            wide = bool(char) and wcwidth(char[0]) == 2
            chars.append(char)
        return "".join(chars).rstrip()


class Terminal:
    """A command running in a pseudo-terminal of `cols` x `rows`, read through pyte."""

    def __init__(
        self,
        cmd: Sequence[str],
        cols: int = 80,
        rows: int = 24,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        record: bool = False,
    ) -> None:
        self.cols = cols
        # Every byte the program wrote, when asked: tests look for escape sequences in it.
        self.raw: bytearray | None = bytearray() if record else None
        self.rows = rows
        self.screen = _Screen(cols, rows, self._reply)
        # text()'s lines, kept up to date through pyte's set of dirty lines.
        self._lines: list[str] = []
        self._lines_columns = cols
        self._stream = pyte.ByteStream(self.screen)
        self._lock = threading.Condition()
        self._chunks: collections.deque[tuple[float, bytes]] = collections.deque()
        self._arrived_at: float | None = None  # newest chunk read by the thread
        self._bytes_arrived = 0
        self._eof = False
        self._closed = False
        self.last_output_at: float | None = None  # newest chunk fed to the screen
        self.bytes_read = 0  # bytes fed to the screen

        master, slave = os.openpty()
        try:
            _set_size(slave, cols, rows)
            full_env = dict(os.environ if env is None else env)
            full_env.setdefault("TERM", "xterm-256color")
            full_env["COLUMNS"] = str(cols)
            full_env["LINES"] = str(rows)
            self.started_at = time.perf_counter()
            self.process = subprocess.Popen(
                list(cmd),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=full_env,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_take_controlling_terminal,  # before the reader thread starts
                close_fds=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.fd = master
        os.set_blocking(master, False)
        self._thread = threading.Thread(target=self._read_loop, name="ptyterm-reader", daemon=True)
        self._thread.start()

    # -- the child --------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once the program has exited, else None."""
        return self.process.poll()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def bytes_arrived(self) -> int:
        """Every byte the program has written so far, fed to the screen or not yet."""
        with self._lock:
            return self._bytes_arrived

    def send(self, keys: str | bytes) -> None:
        """Type `keys` (text, escape sequences, or a name from KEYS such as "pgdn")."""
        if isinstance(keys, str):
            keys = KEYS.get(keys, keys).encode()
        view = memoryview(keys)
        while view:
            try:
                written = os.write(self.fd, view)
            except BlockingIOError:
                _wait_for(self.fd, select.POLLOUT, 1.0)
                continue
            view = view[written:]

    def resize(self, cols: int, rows: int) -> None:
        """Change the window size, as a terminal emulator does (the program gets SIGWINCH)."""
        self._consume()
        _set_size(self.fd, cols, rows)
        self.cols, self.rows = cols, rows
        self.screen.resize(rows, cols)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGWINCH)

    def wait(self, timeout: float) -> int | None:
        """Wait for the program to exit, reading its output meanwhile; its status, or None."""
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                self._consume()
                return code
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.poll(min(remaining, 0.05))

    def close(self, timeout: float = 2.0) -> int | None:
        """End the program (hang-up, then SIGTERM, then SIGKILL) and release the pty."""
        if self._closed:
            return self.process.poll()
        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._thread.join(1.0)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        return self.process.poll()

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the screen -------------------------------------------------------------------------

    def text(self) -> list[str]:
        """The screen now, one string per line, trailing spaces removed.

        Only the lines pyte marked dirty since the last call are read again: tests wait
        for a screen by asking for it after each chunk of output, and reading every
        cell of a 220 x 50 screen each time was most of a console test's own CPU."""
        self._consume()
        screen = self.screen
        if (len(self._lines), self._lines_columns) != (screen.lines, screen.columns):
            self._lines = [""] * screen.lines
            self._lines_columns = screen.columns
            changed: Iterable[int] = range(screen.lines)
        else:
            changed = [y for y in screen.dirty if 0 <= y < screen.lines]
        screen.dirty.clear()
        for y in changed:
            self._lines[y] = screen.line_text(y)
        return list(self._lines)

    def screen_text(self) -> str:
        """The screen now as one string, lines joined by newlines."""
        return "\n".join(self.text())

    def snapshot(self) -> tuple[Any, ...]:
        """Characters, their attributes and the cursor if shown: equal snapshots look the same.

        The first item holds one tuple of pyte characters per line.
        """
        self._consume()
        return self._snapshot()

    def _snapshot(self) -> tuple[Any, ...]:
        buffer = self.screen.buffer
        cols = range(self.screen.columns)
        cells = tuple(tuple(buffer[y][x] for x in cols) for y in range(self.screen.lines))
        cursor = self.screen.cursor
        return cells, None if cursor.hidden else (cursor.x, cursor.y)

    # -- reading ----------------------------------------------------------------------------

    def poll(self, timeout: float = 0.0) -> int:
        """Wait up to `timeout` s for output, feed all that arrived to the screen; bytes fed."""
        with self._lock:
            if not self._chunks and not self._eof:
                self._lock.wait(timeout)
        return self._consume()

    def read_until(self, predicate: Callable[[Terminal], bool], timeout: float) -> float:
        """Read until `predicate(self)` holds; when the output that made it hold arrived.

        The predicate is checked after each chunk of output, so the time returned is that
        of the first chunk after which it held (`time.perf_counter()` clock), or now if it
        held already. Raises TerminalError, with the last screen, on timeout or when the
        program exits first.
        """
        if predicate(self):
            return time.perf_counter()
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                while not self._chunks and not self._eof:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._lock.wait(min(remaining, 0.25))
                chunk = self._chunks.popleft() if self._chunks else None
            if chunk is not None:
                self._feed(*chunk)
                if predicate(self):
                    return chunk[0]
                continue
            if self._eof:
                code = self.process.poll() if self.process.poll() is not None else self.wait(1.0)
                raise TerminalError(
                    f"the program exited (status {code}) before the awaited screen\n{self.dump()}"
                )
            raise TerminalError(f"no awaited screen after {timeout:g} s\n{self.dump()}")

    def read_until_text(self, pattern: str | re.Pattern[str], timeout: float) -> float:
        """Read until the screen contains `pattern` (a substring, or a compiled regex)."""
        if isinstance(pattern, str):
            return self.read_until(lambda term: pattern in term.screen_text(), timeout)
        return self.read_until(lambda term: pattern.search(term.screen_text()) is not None, timeout)

    def wait_quiet(self, ms: float = 50.0, timeout: float = 5.0) -> bool:
        """Read until the program has written nothing for `ms` milliseconds.

        Quiet is counted from the newest output; if nothing came within the last `ms`, it
        is quiet already. Returns False if the program was still writing at `timeout`.
        """
        quiet = ms / 1000.0
        deadline = time.perf_counter() + timeout
        while True:
            with self._lock:
                now = time.perf_counter()
                since = now - self._arrived_at if self._arrived_at is not None else quiet
                if since >= quiet or self._eof:
                    break
                if now >= deadline:
                    break
                self._lock.wait(min(quiet - since, deadline - now))
        self._consume()
        return since >= quiet or self._eof

    def dump(self) -> str:
        """The screen framed for an error message or a log."""
        self._consume()
        lines = [line.rstrip() for line in self.screen.display]
        border = "+" + "-" * self.screen.columns + "+"
        return "\n".join([border, *(f"|{line:<{self.screen.columns}}|" for line in lines), border])

    def _consume(self) -> int:
        # Parse outside the lock, so the reader thread keeps stamping chunks meanwhile.
        with self._lock:
            chunks = list(self._chunks)
            self._chunks.clear()
        for arrived, data in chunks:
            self._feed(arrived, data)
        return sum(len(data) for _, data in chunks)

    def _feed(self, arrived: float, data: bytes) -> None:
        if self.raw is not None:
            self.raw += data
        self._stream.feed(data)
        self.bytes_read += len(data)
        self.last_output_at = arrived

    def _reply(self, data: str) -> None:
        if not self._closed:
            with contextlib.suppress(OSError):
                self.send(data.encode())

    def _read_loop(self) -> None:
        fd = self.fd
        while not self._closed:
            try:
                ready = _wait_for(fd, select.POLLIN, 0.1)
            except (OSError, ValueError):
                break
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError as error:  # EIO: every copy of the slave side is closed
                if error.errno not in (errno.EIO, errno.EBADF):
                    raise
                data = b""
            arrived = time.perf_counter()
            with self._lock:
                if data:
                    self._chunks.append((arrived, data))
                    self._arrived_at = arrived
                    self._bytes_arrived += len(data)
                else:
                    self._eof = True
                self._lock.notify_all()
            if not data:
                break
        with self._lock:
            self._eof = True
            self._lock.notify_all()


def _wait_for(fd: int, events: int, timeout: float) -> bool:
    """Whether `fd` became ready for `events` (or hung up) within `timeout` seconds.
    poll(), not select(): select() takes no descriptor numbered 1024 or more, and a
    test process that has opened many files gets such numbers."""
    poller = select.poll()
    poller.register(fd, events)
    return bool(poller.poll(timeout * 1000))


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _take_controlling_terminal() -> None:
    # Runs in the child after setsid() and after stdin became the pty's slave side.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
