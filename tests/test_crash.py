"""The last resort (deskterm/crash.py): a bug is one line on the terminal, inert."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskterm import crash


def test_a_bugs_one_line_carries_no_control_sequence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # An error's message may quote customer text (a subject, a mail header): what
    # reaches the terminal must not retitle it, clear it or write to the clipboard.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    code = crash.report(RuntimeError("bad subject \x1b]0;pwned\x07 \x1b[2J\x9b31m end\nsecond"))
    said = capsys.readouterr().err
    assert code == crash.EX_SOFTWARE
    assert "bad subject" in said and "end" in said and "second" not in said
    assert not any(ch in said for ch in "\x1b\x07\x9b"), repr(said)
    assert "\x1b]0;pwned" in (tmp_path / "deskterm" / "last-crash.txt").read_text()
