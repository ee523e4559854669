"""Untrusted text never reaches the terminal as a control sequence or as markup."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from deskterm.safe_text import safe_line, safe_text
from tests.hostile import CONTROLS, PAYLOADS, has_control


def test_every_payload_is_shown_not_acted_on() -> None:
    for name, payload in PAYLOADS.items():
        shown = safe_text(payload.text)
        assert shown == payload.shown, name  # still visible, in its safe form
        assert not has_control(shown, allowed="\n\t"), name
        assert not has_control(safe_line(payload.text)), name


def test_placeholders_are_readable() -> None:
    assert safe_text("\x1b[2J") == "␛[2J"
    assert safe_text("a\x00b\x7fc\x07") == "a␀b␡c␇"
    assert safe_text("\x9b2J") == "⟨9B⟩2J"
    assert safe_text("invoice\u202egpj.exe") == "invoice⟨202E⟩gpj.exe"
    assert safe_text("line one\n\tline two") == "line one\n\tline two"


def test_a_line_shows_breaks_and_is_cut_with_an_ellipsis() -> None:
    assert safe_line("one\ntwo\tthree") == "one ⏎ two three"
    assert safe_line("x" * 1_000_000, limit=20) == "x" * 19 + "…"
    assert safe_line("short", limit=20) == "short"
    assert safe_line("no room", limit=0) == ""


def test_only_a_newline_breaks_a_line() -> None:
    # U+2028 and U+2029 break lines for str.splitlines and JavaScript, not for Rich
    # or a terminal: shown, so that every reader sees the same lines.
    text = "one\u2028two\u2029three\x85four\x0bfive\nsix"
    assert safe_text(text) == "one⟨2028⟩two⟨2029⟩three⟨85⟩four␋five\nsix"
    assert safe_text(text).splitlines() == safe_text(text).split("\n")
    assert safe_line(text) == "one⟨2028⟩two⟨2029⟩three⟨85⟩four␋five ⏎ six"


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    # Bytes that were not UTF-8 (surrogateescape) cannot be written to a terminal at
    # all: the write would fail. One char for one, so lines stay where they were.
    assert safe_text("bad\udcffbyte\ud800") == "bad\ufffdbyte\ufffd"
    assert safe_line("\udcff" * 30, limit=5) == "\ufffd" * 4 + "…"
    safe_text("x\udcff").encode("utf-8")  # writable


def test_markup_looking_text_renders_literally_through_rich() -> None:
    subject = "[bold]x[/bold] [link=http://evil.test]y[/link] [@click=app.quit]z[/] [/bold]"
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="truecolor", width=200).print(
        Text(safe_line(subject))
    )
    assert out.getvalue().rstrip("\n").endswith(subject) or subject in out.getvalue()
    assert "\x1b]8;" not in out.getvalue()  # no hyperlink was made


@given(st.text())
def test_fuzz_sanitized_text_holds_no_controls_but_newline_and_tab(text: str) -> None:
    assert not has_control(safe_text(text), allowed="\n\t")
    assert not has_control(safe_line(text))


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cc", "Cs"]).filter(
            lambda c: ord(c) not in CONTROLS
        )
    )
)
def test_fuzz_harmless_text_passes_unchanged(text: str) -> None:
    assert safe_text(text) == text


@given(st.text())
def test_fuzz_rendering_sanitized_text_emits_only_style_sequences(text: str) -> None:
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="standard", width=80).print(
        Text(safe_line(text))
    )
    rendered = out.getvalue()
    # Any ESC in the output must be Rich's own SGR (style) sequence, nothing else.
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", rendered)
    assert not has_control(stripped, allowed="\n")
