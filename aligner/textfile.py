"""Transcript bytes to text: byte-order marks, strict UTF-8, and no guessing of encodings."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

from aligner.errors import TranscriptError

# UTF-32 LE must be tried before UTF-16 LE: its mark starts with the same two bytes.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Explicit encodings (codecs.lookup names) that agree with each byte-order mark.
_BOM_AGREES = {
    "utf-32-le": {"utf-32", "utf-32-le"},
    "utf-32-be": {"utf-32", "utf-32-be"},
    "utf-8-sig": {"utf-8", "utf-8-sig"},
    "utf-16-le": {"utf-16", "utf-16-le"},
    "utf-16-be": {"utf-16", "utf-16-be"},
}
# Western single-byte encodings named first in the "cannot tell" hint when charset-normalizer
# finds them plausible; its own ranking puts e.g. cp775 first for English with one "é".
_WESTERN = ("cp1252", "latin-1")
LINE_BREAK_RE = re.compile(r"\r\n?")


def decode(
    data: bytes, *, path: Path | None = None, encoding: str | None = None
) -> tuple[str, str]:
    """Turn a transcript's bytes into text with ``"\\n"`` line ends; never guess an encoding.

    Without ``encoding``: a UTF-8, UTF-16 or UTF-32 byte-order mark decides; otherwise the bytes
    must be valid UTF-8 (ASCII included), or be Chinese text in GB18030 (GBK, GB2312) or Big5
    that :func:`certain_cjk_encoding` can tell with certainty. Anything else is refused, with
    likely encodings named, because single-byte encodings (cp1252, latin-1, cp1250, ...) all
    decode any bytes and cannot be told apart with certainty. With ``encoding``: decode
    strictly with it.

    Args:
        data: The file's bytes.
        path: Where they came from, for error messages.
        encoding: A Python codec name to use instead of detection.

    Returns:
        The text (no byte-order mark, CRLF and CR made LF) and the encoding used (codec name;
        ``"utf-8-sig"``/``"utf-16-le"``/... when a byte-order mark decided).

    Raises:
        TranscriptError: Unknown codec, undecodable bytes, binary data or an unknown encoding.

    Example:
        >>> decode(b"\\xef\\xbb\\xbfA:\\r\\nHi\\r")
        ('A:\\nHi\\n', 'utf-8-sig')
    """
    bom = next(((mark, name) for mark, name in _BOMS if data.startswith(mark)), None)
    if encoding is not None:
        name = _codec_name(encoding, path)
        return _decode_explicit(data, name, bom[1] if bom else None, path), name
    if bom is not None:
        mark, name = bom
        try:
            text = data[len(mark) :].decode(name)
        except UnicodeDecodeError as err:
            line = _line_of(data, len(mark) + err.start, name)
            raise TranscriptError(
                f"starts with a {name} byte-order mark but is not valid {name} "
                f"(byte offset {len(mark) + err.start}); set the encoding with --encoding",
                path=path,
                line=line,
            ) from err
        return _finish(text, path), name
    if b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is not None:
            raise TranscriptError(
                f"cannot tell the text encoding (it looks like {utf16} without a byte-order "
                f"mark); set it with --encoding {utf16}",
                path=path,
            )
        raise TranscriptError("not a text file (it contains NUL bytes)", path=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        certain = certain_cjk_encoding(data)
        if certain is not None:
            codec, decoded = certain
            return _finish(decoded, path), codec
        line = data.count(b"\n", 0, err.start) + 1
        hint = _encoding_hint(data)
        raise TranscriptError(
            f"cannot tell the text encoding (not UTF-8: byte 0x{data[err.start]:02x} on line "
            f"{line}{hint}); set it with --encoding",
            path=path,
        ) from err
    return _finish(text, path), "utf-8"


def _codec_name(encoding: str, path: Path | None) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError as err:
        raise TranscriptError(
            f"unknown text encoding {encoding!r} (--encoding takes a Python codec name such as "
            "utf-8, cp1252 or latin-1)",
            path=path,
        ) from err


def _decode_explicit(data: bytes, name: str, bom: str | None, path: Path | None) -> str:
    if bom is not None and name not in _BOM_AGREES[bom]:
        raise TranscriptError(
            f"the file starts with a {bom} byte-order mark but the encoding given is {name}",
            path=path,
        )
    try:
        text = data.decode(name)
    except LookupError as err:  # a codec that exists but is not bytes -> str, like "base64"
        raise TranscriptError(f"{name!r} is not a text encoding", path=path) from err
    except UnicodeDecodeError as err:
        raise TranscriptError(
            f"cannot decode the text as {name}: byte 0x{data[err.start]:02x} at offset "
            f"{err.start} is invalid ({err.reason}); check --encoding",
            path=path,
            line=_line_of(data, err.start, name),
        ) from err
    return _finish(text, path)


def _line_of(data: bytes, offset: int, codec: str) -> int:
    """1-based line of byte ``offset``, counting line ends the way :func:`decode` does."""
    before = data[:offset].decode(codec, errors="replace")
    return LINE_BREAK_RE.sub("\n", before).count("\n") + 1


def _finish(text: str, path: Path | None) -> str:
    if "\x00" in text:
        raise TranscriptError("not a text file (it contains NUL characters)", path=path)
    return LINE_BREAK_RE.sub("\n", text.removeprefix("\ufeff"))


def _bomless_utf16(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when NULs fill one byte of most pairs, as in UTF-16 text."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.4 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.4 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def _encoding_hint(data: bytes) -> str:
    """``"; it may be cp1252 or latin-1"`` from charset-normalizer, only to word the refusal."""
    from charset_normalizer import from_bytes  # lazy: only failing files pay for the import

    plausible: list[str] = []
    for match in from_bytes(data):
        for name in [match.encoding, *match.could_be_from_charset]:
            shown = name.replace("_", "-")
            if shown not in plausible:
                plausible.append(shown)
    if not plausible:
        return "; it may not be text at all"
    western = [name for name in _WESTERN if name in plausible]
    return "; it may be " + " or ".join(western or plausible[:2])


# --- Chinese multi-byte encodings ---------------------------------------------------------

# What "overwhelmingly CJK" means for certain_cjk_encoding: CJK characters (Han, kana,
# full-width punctuation and forms) among the letters and the non-ASCII characters, how many
# there must be at least, and how many of the Han characters must be common ones.
CJK_SHARE = 0.6
MIN_CJK_CHARS = 20
COMMON_SHARE = 0.9


def certain_cjk_encoding(data: bytes) -> tuple[str, str] | None:
    """``(codec, text)`` when ``data`` is Chinese text in exactly one of GB18030 and Big5.

    Called only when the bytes are not UTF-8 (and have no byte-order mark or NUL). Both
    multi-byte encodings reject most byte sequences that are not theirs, and real Chinese text
    uses mostly common characters, so a decoding is taken as certain when all of these hold:

    1. the bytes decode strictly (every byte pair valid);
    2. the text is overwhelmingly CJK: Han, kana and full-width characters make up 60 % or more
       of its letters and of its non-ASCII characters, and there are 20 or more of them;
    3. 90 % or more of its Han characters are common ones: GB2312 level 1 (the 3,755 most
       frequent hanzi, rows 0xB0-0xD7) for GB18030, Big5's frequently used block
       (0xA440-0xC67E, 5,401 characters) for Big5;
    4. the other encoding does not also pass 1-3.

    Big5 text read as GB18030 decodes, but half of its characters land outside GB2312 level 1
    (trail bytes below 0xA1) and GB text read as Big5 falls into Big5's unassigned or rare
    rows, so rule 3 tells them apart; single-byte text (cp1252 ...) fails rule 2.

    Example:
        >>> text = "发言人：女士们、先生们，下午好。欢迎出席国务院新闻办公室新闻发布会。"
        >>> certain_cjk_encoding(text.encode("gb18030"))[0]
        'gb18030'
        >>> hant = "發言人：女士們、先生們，下午好。歡迎出席國務院新聞辦公室新聞發布會。"
        >>> certain_cjk_encoding(hant.encode("big5"))[0]
        'big5'
        >>> certain_cjk_encoding(("Café, crème brûlée. " * 50).encode("cp1252")) is None
        True
    """
    passed = [
        (codec, text)
        for codec, common in (("gb18030", _common_gb), ("big5", _common_big5))
        if (text := _strict(data, codec)) is not None and _looks_chinese(text, common)
    ]
    return passed[0] if len(passed) == 1 else None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF  # CJK punctuation, kana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or char in "…“”‘’—·"
    )


def _is_han(char: str) -> bool:
    return 0x4E00 <= ord(char) <= 0x9FFF


def _common_gb(char: str) -> bool:
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xB0 <= encoded[0] <= 0xD7


def _common_big5(char: str) -> bool:
    try:
        encoded = char.encode("big5")
    except UnicodeEncodeError:
        return False
    return 0xA440 <= int.from_bytes(encoded, "big") <= 0xC67E


def _looks_chinese(text: str, common: Callable[[str], bool]) -> bool:
    cjk = [ch for ch in text if _is_cjk(ch)]
    if len(cjk) < MIN_CJK_CHARS:
        return False
    letters = sum(1 for ch in text if ch.isalpha())
    non_ascii = sum(1 for ch in text if not ch.isascii())
    if len(cjk) < CJK_SHARE * max(letters, 1) or len(cjk) < CJK_SHARE * non_ascii:
        return False
    han = [ch for ch in cjk if _is_han(ch)]
    return bool(han) and sum(map(common, han)) >= COMMON_SHARE * len(han)
