"""Bytes of mail as text: the declared charset, read the way mail clients read it.

Labels name the standard, senders write the vendor's superset (GBK bytes labelled
gb2312, Windows-1252 quotes labelled iso-8859-1), so each label is read as its usual
superset, as WHATWG's Encoding standard and every mail client do. A byte the charset
cannot read costs that one character (U+FFFD), never the whole part. Bytes with no
label (raw 8-bit headers) are read as the body's charset, else UTF-8, else Windows-1252.
"""

from __future__ import annotations

import codecs

SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
}
_ASCII = {"us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us", "646"}
FALLBACK = "cp1252"


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _ASCII:
        return None  # 8-bit bytes under an ASCII label: read them as unlabelled
    name = SUPERSETS.get(label, label)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # no such codec; a NUL in the label
        return None


def decode_bytes(data: bytes, label: str | None) -> str:
    """Text of a part in its declared charset, leniently: a byte the charset cannot read
    costs one character, not the part. UTF-8 with stray Windows-1252 bytes (a footer
    pasted by an older gateway) reads both right; a label the bytes plainly do not
    match (most non-ASCII bytes unreadable) is put aside for UTF-8, else Windows-1252."""
    codec = _codec(label)
    for candidate in (codec, "utf-8"):
        if candidate:
            try:
                return data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    if codec == "utf-8":
        return data.decode("utf-8", _STRAY_BYTES)
    if codec:
        text = data.decode(codec, "replace")
        bad = text.count("\ufffd") - data.decode(codec, "ignore").count("\ufffd")
        if bad * 4 <= sum(1 for byte in data if byte >= 0x80):
            return text
    return _windows_1252(data)


def _stray_bytes(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return _windows_1252(error.object[error.start : error.end]), error.end


_STRAY_BYTES = "deskterm-stray-bytes"
codecs.register_error(_STRAY_BYTES, _stray_bytes)


def decode_word(data: bytes, label: str | None) -> str:
    """An RFC 2047 encoded word's bytes: its charset, a bad byte read as U+FFFD."""
    codec = _codec(label) or "utf-8"
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return data.decode(codec, "replace")


def decode_header_bytes(data: bytes, body_label: str | None) -> str:
    """Raw 8-bit header bytes: UTF-8 if they are UTF-8, else the body's charset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = _codec(body_label)
    if codec and codec != "utf-8":
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            return data.decode(codec, "replace")
    return _windows_1252(data)


def _windows_1252(data: bytes) -> str:
    # The five bytes Windows-1252 leaves undefined are read as Latin-1 (C1 controls,
    # which safe_text shows inert): every byte is a character, nothing is refused.
    try:
        return data.decode(FALLBACK)
    except UnicodeDecodeError:
        return "".join(
            bytes([b]).decode(FALLBACK, "strict") if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
            else chr(b)
            for b in data
        )  # fmt: skip
