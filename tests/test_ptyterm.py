"""bench/ptyterm.py: a program in a pseudo-terminal, seen through a terminal emulator.

The end-to-end tests and the queue benchmark rely on it to start a program the way a
terminal does and to see what a user would see; these tests use tiny Python programs.
"""

from __future__ import annotations

import os
import resource
import sys
import textwrap
import time

import pyte
import pytest
from bench.ptyterm import Terminal, TerminalError, _Screen
from hypothesis import example, given, settings
from hypothesis import strategies as st


def python(source: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(source)]


def test_the_program_gets_a_terminal_of_the_given_size() -> None:
    program = python(
        """
        import os, sys
        size = os.get_terminal_size(sys.stdout.fileno())
        print(f"tty={sys.stdin.isatty() and sys.stdout.isatty() and sys.stderr.isatty()}")
        print(f"size={size.columns}x{size.lines} env={os.environ['COLUMNS']}x{os.environ['LINES']}")
        """
    )
    with Terminal(program, cols=57, rows=13) as term:
        term.read_until_text("size=", timeout=10)
        assert term.wait(10) == 0
        assert term.text()[:2] == ["tty=True", "size=57x13 env=57x13"]
        assert len(term.text()) == 13


def test_typed_keys_reach_the_program_and_its_answer_shows() -> None:
    program = python(
        """
        line = input("name? ")
        print("hello " + line.upper())
        input()
        """
    )
    with Terminal(program, cols=40, rows=5) as term:
        term.read_until_text("name?", timeout=10)
        term.send("ada")
        term.send("enter")
        term.read_until_text("hello ADA", timeout=10)
        assert term.text()[:2] == ["name? ada", "hello ADA"]


def test_a_terminal_works_when_its_descriptor_is_numbered_past_1024() -> None:
    """select() takes no descriptor numbered 1024 or more, and a test process that has
    opened many files (a thousand SQLite connections, once) gets such numbers: the
    reader then saw an end of output at once and every screen was empty."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this process may open no more than {hard} files")
    # Many machines allow 1024 open files unless asked: then no number reaches 1024.
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    low: list[int] = []
    try:
        while not low or low[-1] < 1100:
            low.append(os.open(os.devnull, os.O_RDONLY))
        with Terminal(python("print(input().upper())"), cols=40, rows=5) as term:
            assert term.fd >= 1024
            term.send("typed\r")
            term.read_until_text("TYPED", timeout=10)
            assert term.wait(10) == 0
    finally:
        for fd in low:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_escape_sequences_are_interpreted_not_shown() -> None:
    program = python(
        r"""
        import sys, time
        sys.stdout.write("junk\x1b[2J\x1b[3;5H\x1b[1mbold\x1b[0m\x1b]0;title\x07")
        sys.stdout.flush()
        time.sleep(30)
        """
    )
    with Terminal(program, cols=20, rows=4) as term:
        term.read_until_text("bold", timeout=10)
        assert term.text() == ["", "", "    bold", ""]
        assert term.screen.buffer[2][4].bold
        assert not term.screen.buffer[2][8].bold


def test_a_zero_width_character_is_drawn_as_nothing_and_the_line_goes_on() -> None:
    # pyte itself stops drawing at U+200B and drops the rest of the text.
    program = python(
        r"""
        import sys, time
        sys.stdout.write("a\u200bb\ufeffc e\u0301 d\n"); sys.stdout.flush()
        time.sleep(30)
        """
    )
    with Terminal(program, cols=20, rows=2) as term:
        term.read_until_text("d", timeout=10)
        assert term.text()[0] == "abc \u00e9 d"


def test_a_program_that_exits_first_fails_the_wait_with_its_last_screen() -> None:
    with Terminal(python('print("something else")'), cols=30, rows=3) as term:
        with pytest.raises(TerminalError, match="exited") as raised:
            term.read_until_text("the awaited", timeout=10)
        assert "|something else" in str(raised.value)


def test_a_screen_that_never_comes_fails_the_wait_after_the_timeout() -> None:
    with Terminal(python('print("waiting"); input()'), cols=30, rows=3) as term:
        started = time.monotonic()
        with pytest.raises(TerminalError, match="no awaited screen after 0.5 s"):
            term.read_until_text("never", timeout=0.5)
        assert 0.5 <= time.monotonic() - started < 5
        assert term.alive


def test_read_until_returns_when_the_output_that_satisfied_it_arrived() -> None:
    program = python(
        """
        import time
        print("first", flush=True)
        time.sleep(0.3)
        print("second", flush=True)
        input()
        """
    )
    with Terminal(program, cols=30, rows=3) as term:
        first = term.read_until_text("first", timeout=10)
        second = term.read_until_text("second", timeout=10)
        assert 0.25 <= second - first < 3
        assert term.started_at < first


def test_wait_quiet_tells_a_program_that_stopped_writing_from_one_that_keeps_on() -> None:
    writes_once = python('print("done", flush=True); input()')
    with Terminal(writes_once, cols=30, rows=3) as term:
        term.read_until_text("done", timeout=10)
        assert term.wait_quiet(50, timeout=5)

    keeps_writing = python(
        """
        import time
        while True:
            print(time.monotonic(), flush=True)
            time.sleep(0.005)
        """
    )
    with Terminal(keeps_writing, cols=30, rows=3) as term:
        term.read_until(lambda t: any(t.text()), timeout=10)
        assert not term.wait_quiet(100, timeout=0.5)
        assert term.bytes_read > 0


def test_the_snapshot_sees_a_change_of_attributes_alone() -> None:
    program = python(
        r"""
        import sys
        sys.stdout.write("row"); sys.stdout.flush()
        sys.stdin.readline()
        sys.stdout.write("\x1b[1;1H\x1b[7mrow\x1b[0m"); sys.stdout.flush()
        sys.stdin.readline()
        """
    )
    with Terminal(program, cols=10, rows=2) as term:
        term.read_until_text("row", timeout=10)
        term.wait_quiet(50)
        before, text = term.snapshot(), term.text()
        term.send("\r")
        term.read_until(lambda t: t.screen.buffer[0][0].reverse, timeout=10)
        assert term.text()[0] == text[0]
        assert term.snapshot() != before


def test_ctrl_c_interrupts_the_program_as_in_a_real_terminal() -> None:
    program = python(
        """
        import signal, sys, time
        def interrupted(*_):
            print("interrupted", flush=True)
            sys.exit(0)
        signal.signal(signal.SIGINT, interrupted)
        print("ready", flush=True)
        while True:
            time.sleep(1)
        """
    )
    with Terminal(program, cols=30, rows=3) as term:
        term.read_until_text("ready", timeout=10)
        term.send("ctrl+c")
        term.read_until_text("interrupted", timeout=10)
        assert term.wait(10) == 0


def test_resize_tells_the_program_the_new_size() -> None:
    program = python(
        """
        import os, signal, sys
        def show(*_):
            size = os.get_terminal_size(sys.stdout.fileno())
            print(f"size={size.columns}x{size.lines}", flush=True)
        signal.signal(signal.SIGWINCH, show)
        show()
        while True:
            signal.pause()
        """
    )
    with Terminal(program, cols=40, rows=6) as term:
        term.read_until_text("size=40x6", timeout=10)
        term.resize(60, 8)
        term.read_until_text("size=60x8", timeout=10)
        assert len(term.text()) == 8


def test_the_emulator_answers_a_cursor_position_query() -> None:
    program = python(
        r"""
        import sys, termios, tty
        tty.setcbreak(sys.stdin.fileno())
        sys.stdout.write("\x1b[3;7H\x1b[6n"); sys.stdout.flush()
        answer = ""
        while not answer.endswith("R"):
            answer += sys.stdin.read(1)
        print("\r\nanswer=" + answer[1:], flush=True)
        """
    )
    with Terminal(program, cols=30, rows=6) as term:
        term.read_until_text("answer=", timeout=10)
        assert "answer=[3;7R" in term.screen_text()


def test_close_ends_a_program_that_would_run_forever() -> None:
    term = Terminal(python('print("up", flush=True)\nwhile True: pass'), cols=20, rows=2)
    term.read_until_text("up", timeout=10)
    pid = term.pid
    assert term.alive
    assert term.close() is not None
    assert not term.alive
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_screen_text_read_line_by_line_as_it_changes_equals_the_whole_screen() -> None:
    """text() reads again only the lines pyte marked changed: after every chunk of a
    program that scrolls, erases, inserts and deletes lines and characters, writes wide
    characters and a combining mark at a line's start (which changes the line above),
    it equals the whole screen read afresh."""
    program = python(
        r"""
        import sys, time
        def out(text):
            sys.stdout.write(text)
            sys.stdout.flush()
            time.sleep(0.01)
        out("\x1b[2J\x1b[Hfirst line\r\nsecond line\r\nthird")
        out("\x1b[2;1H\u0301")  # a combining mark at column 0: joins the line above
        out("\x1b[1;3H\x1b[2P")  # two characters deleted
        out("\x1b[2;1H\x1b[L")  # a line inserted
        out("\x1b[3;1H\x1b[M")  # a line deleted
        out("\x1b[4;1H" + "\u4e16\u754c" * 12)  # wide characters, wrapping
        out("\x1b[1;5H\x1b[K")  # the end of a line erased
        out("\x1b[6;1H" + "\r\n".join(f"row {n}" for n in range(12)))  # scrolls
        out("\x1b[3;3H\x1b[4@x")  # characters inserted
        out("\x1b[1J")  # the screen erased up to the cursor
        out("\x1b[8;1Hdone")
        time.sleep(30)
        """
    )
    with Terminal(program, cols=16, rows=8) as term:
        seen: list[list[str]] = []

        def same_as_afresh(t: Terminal) -> bool:
            text = t.text()
            assert text == [line.rstrip() for line in t.screen.display], seen
            seen.append(text)
            return "done" in text[-1]

        term.read_until(same_as_afresh, timeout=10)
        assert len(seen) > 1


# -- the emulator's own drawing, beside pyte's ------------------------------------------

_PIECES = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=90),
    st.text(max_size=12),  # anything: accents, wide and zero-width characters, controls
    st.sampled_from(
        [
            "\r\n", "\n", "\r", "\b", "\t", "\x7f",
            "\x1b[1;31m", "\x1b[0m", "\x1b[38;2;1;2;3;48;5;17m", "\x1b[7m",  # attributes
            "\x1b[5;70H", "\x1b[1;1H", "\x1b[2J", "\x1b[K", "\x1b[3@",  # moves, erasing
            "\x1b(0", "\x1b(B", "\x0e", "\x0f", "\x1b)0",  # line drawing, shift out and in
            "\x1b[4h", "\x1b[4l", "\x1b[?7l", "\x1b[?7h",  # insert mode, no wrap
        ]
    ),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40))
@example(["\u2e80", "\r", "\xa0"])  # a two-cell character half overwritten
@example(["\x9b\xb2:"])  # pyte fails on its own: a C1 CSI, a superscript digit
@example(["\x9b", "?@"])  # ... and a private insert, which its Screen does not take
def test_the_screen_draws_every_stream_as_pyte_does(pieces: list[str]) -> None:
    """bench/ptyterm.py draws printable ASCII itself (`_Screen._draw_ascii`): each cell,
    the cursor and the lines marked for redrawing are pyte's own. Where pyte itself
    fails on a stream (its parser and its Screen's methods, shared by both screens),
    both stop at the same point with the same error."""
    ours = _Screen(80, 6, lambda _reply: None)
    plain = _PlainScreen(80, 6, lambda _reply: None)
    assert _fed(ours, pieces) == _fed(plain, pieces)
    assert (ours.cursor.x, ours.cursor.y) == (plain.cursor.x, plain.cursor.y)
    assert ours.dirty == plain.dirty
    for y in range(6):
        assert [ours.buffer[y][x] for x in range(80)] == [plain.buffer[y][x] for x in range(80)]
        assert ours.line_text(y) == plain.line_text(y)


def _fed(screen: pyte.Screen, pieces: list[str]) -> str | None:
    """Feed `pieces` to `screen`; the error, if it fails. pyte 0.8.2 fails on its own on
    some streams a terminal ignores: int() of a digit such as '²' in a CSI's
    parameters (ValueError), a private mark its Screen's method does not take
    (TypeError)."""
    stream = pyte.Stream(screen)
    try:
        for piece in pieces:
            stream.feed(piece)
    except Exception as error:  # noqa: BLE001 - compared with the other screen's
        return f"{type(error).__name__}: {error}"
    return None


class _PlainScreen(_Screen):
    """bench/ptyterm.py's screen with every character drawn by pyte."""

    def _draw_ascii(self, data: str) -> str:
        return data
