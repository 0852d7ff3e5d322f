"""Transcript bytes to text: byte-order marks, strict UTF-8, and no guessing of encodings."""

from __future__ import annotations

import codecs
import re
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
    must be valid UTF-8 (ASCII included). Anything else is refused, with likely encodings named,
    because single-byte encodings (cp1252, latin-1, cp1250, ...) all decode any bytes and cannot
    be told apart with certainty. With ``encoding``: decode strictly with it.

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
