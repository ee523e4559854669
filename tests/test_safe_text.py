"""Untrusted text never reaches the terminal as a control sequence or as markup."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.errors import MarkupError as RichMarkupError
from rich.text import Text
from textual.markup import MarkupError
from textual.visual import visualize
from textual.widgets import Static

from deskterm.safe_text import UNSAFE, safe_line, safe_text
from deskterm.widgets.document import wrap
from deskterm.widgets.text_viewer import prepare
from tests.hostile import (
    CONTROLS,
    PAYLOADS,
    SHORT,
    assert_inert_segments,
    foreign_sequences,
    has_control,
)


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


# -- fuzzing ---------------------------------------------------------------------------

# Any text; and text made of the corpus's payloads, every control character, lone
# surrogates, markup brackets and zero-width marks, which plain st.text() rarely hits.
HOSTILE_PIECES = st.one_of(
    st.text(max_size=6),
    st.sampled_from([payload.text for payload in SHORT.values()]),
    st.sampled_from([chr(code) for code in sorted(CONTROLS)] + ["\ud800", "\udcff", "\udfff"]),
    st.sampled_from(
        ["[", "]", "[/]", "[/bold]", "[link=x]", "[@click=app.quit]", "\\", "\t", "\n"]
    ),
    st.sampled_from(["\u200b", "\u200d", "\ufeff", "\u0301", "日本", "🙂"]),
)
TEXTS = st.one_of(st.text(), st.lists(HOSTILE_PIECES, max_size=24).map("".join))


@given(TEXTS)
def test_fuzz_sanitized_text_holds_no_controls_but_newline_and_tab(text: str) -> None:
    assert not has_control(safe_text(text), allowed="\n\t")
    assert not has_control(safe_line(text))
    safe_line(text).encode("utf-8")  # a lone surrogate would fail the terminal's write
    safe_text(text).encode("utf-8")


@given(TEXTS)
def test_fuzz_only_a_newline_breaks_a_line_and_lines_stay_aligned(text: str) -> None:
    shown = safe_text(text)
    breaks = {char for char in shown if len(f"x{char}x".splitlines()) > 1}  # str.splitlines'
    assert breaks <= {"\n"}
    assert shown.split("\n") == [safe_text(line) for line in text.split("\n")]
    assert len(safe_line(text).splitlines()) <= 1


@given(TEXTS)
def test_fuzz_unsafe_finds_exactly_what_the_sanitizer_changes(text: str) -> None:
    # The dialogs check typed text with UNSAFE and sanitize only then.
    assert (UNSAFE.search(text) is None) == (safe_text(text) == text)


@given(TEXTS, st.integers(0, 60))
def test_fuzz_a_line_is_cut_at_its_limit_and_only_then(text: str, limit: int) -> None:
    whole = safe_line(text)
    cut = safe_line(text, limit)
    assert len(cut) <= limit
    if len(whole) <= limit:
        assert cut == whole
    elif limit:
        assert cut == whole[: limit - 1] + "…"


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cc", "Cs"]).filter(
            lambda c: ord(c) not in CONTROLS
        )
    )
)
def test_fuzz_harmless_text_passes_unchanged(text: str) -> None:
    assert safe_text(text) == text


def rich_output(renderable: Text) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=10_000)
    console.print(renderable, soft_wrap=True, end="")
    return out.getvalue()


@given(TEXTS, st.sampled_from(["", "bold", "reverse", "red on white"]))
def test_fuzz_text_rendered_as_rich_text_is_styled_never_acted_on(text: str, style: str) -> None:
    # Most screens: safe_line into rich Text(...), never markup.
    rendered = rich_output(Text(safe_line(text), style=style))
    assert foreign_sequences(rendered) == []  # only SGR: no OSC 8 link, no cursor move
    assert re.sub("\x1b\\[[0-9;]*m", "", rendered) == safe_line(text)  # all of it, as shown


@given(TEXTS)
def test_fuzz_text_in_a_static_without_markup_is_shown_as_written(text: str) -> None:
    # Static(markup=False) and Static.update(str): Textual's Content, never parsed.
    visual = visualize(Static(), safe_line(text), markup=False)
    segments = list(visual.render_segments())  # type: ignore[attr-defined]
    assert_inert_segments(segments)
    assert "".join(segment.text for segment in segments) == safe_line(text)


@given(TEXTS, st.integers(1, 120))
def test_fuzz_the_line_api_widgets_paint_sanitized_lines_that_fit(text: str, width: int) -> None:
    # The timeline and intake (Document) wrap a body; the log viewer prepares each line.
    for line in wrap(text, width):
        assert not has_control(line), line
        assert cell_len(line) <= max(width, 2)
    for raw in text.split("\n"):
        prepared = prepare(raw)
        assert not has_control(prepared.shown)
        assert prepared.cells == cell_len(prepared.shown)


def test_markup_would_act_without_markup_false() -> None:
    # Why every widget renders untrusted text as Text(...) or without markup: parsed,
    # the corpus's markup crashes a widget, makes a hyperlink or a click action.
    for name in ("markup close", "markup link"):
        with pytest.raises(MarkupError):
            visualize(Static(), PAYLOADS[name].text, markup=True)
    action = visualize(Static(), PAYLOADS["markup action"].text, markup=True)
    assert any("@click" in s.style.meta for s in action.render_segments() if s.style)  # type: ignore[attr-defined]
    with pytest.raises(RichMarkupError):
        Text.from_markup(PAYLOADS["markup close"].text)
    assert "\x1b]8;" in rich_output(Text.from_markup(PAYLOADS["markup link"].text))
