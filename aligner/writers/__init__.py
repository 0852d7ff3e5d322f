"""Writer registry: format name and file extension to the function that writes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from aligner.errors import OutputError
from aligner.model import Subtitles

LABEL_STYLES = ("name", "upper", "bracket", "none")


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """How writers render what is not in the cues themselves.

    Attributes:
        speaker_labels: Visible label on the first cue of each turn: ``"name"`` (``Li Xiaojun:``),
            ``"upper"`` (``LI XIAOJUN:``), ``"bracket"`` (``[Li Xiaojun]``) or ``"none"``.
        vtt_colors: Write a WebVTT ``STYLE`` block with one colour per speaker.
        vtt_notes: Write a WebVTT ``NOTE`` block with the speakers and their roles.
    """

    speaker_labels: str = "name"
    vtt_colors: bool = False
    vtt_notes: bool = True

    def __post_init__(self) -> None:
        if self.speaker_labels not in LABEL_STYLES:
            raise ValueError(
                f"unknown speaker label style {self.speaker_labels!r}; "
                f"choose one of {', '.join(LABEL_STYLES)}"
            )


WriteFn = Callable[[Subtitles, TextIO, WriteOptions], None]


def speaker_label(name: str, style: str, language: str = "en") -> str:
    """The visible label for ``name`` in ``style``, with its trailing space; ``""`` for none.

    In a document whose language counts characters by width (Chinese, Japanese) the colon is
    the full-width ``：`` with no space after it, as those languages write it (the same width
    as ``: ``).

    Example:
        >>> speaker_label("Li Xiaojun", "upper")
        'LI XIAOJUN: '
        >>> speaker_label("CGTN", "bracket")
        '[CGTN] '
        >>> speaker_label("寿小丽", "name", "zh-Hans")
        '寿小丽：'
    """
    if not name or style == "none":
        return ""
    if style == "bracket":
        return f"[{name}] "
    shown = name.upper() if style == "upper" else name
    from aligner.languages import profile_for

    if profile_for(language).counting == "cjk":
        return f"{shown}："
    return f"{shown}: "


def _srt(doc: Subtitles, stream: TextIO, options: WriteOptions) -> None:
    from aligner.writers.srt import write

    write(doc, stream, options)


def _vtt(doc: Subtitles, stream: TextIO, options: WriteOptions) -> None:
    from aligner.writers.vtt import write

    write(doc, stream, options)


def _json(doc: Subtitles, stream: TextIO, options: WriteOptions) -> None:
    from aligner.writers.jsonfmt import write

    write(doc, stream, options)


# Formats by name; each module is imported only when its format is written.
WRITERS: dict[str, WriteFn] = {"srt": _srt, "vtt": _vtt, "json": _json}
EXTENSIONS: dict[str, str] = {".srt": "srt", ".vtt": "vtt", ".webvtt": "vtt", ".json": "json"}


def format_for_path(path: Path) -> str:
    """The format a file name asks for, from its extension.

    Raises:
        OutputError: The extension names no known format.
    """
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise OutputError(f"{path}: cannot tell the format from the extension (known: {known})")
    return fmt


def write(doc: Subtitles, stream: TextIO, fmt: str, options: WriteOptions | None = None) -> None:
    """Write ``doc`` to ``stream`` in format ``fmt`` (``"srt"``, ``"vtt"`` or ``"json"``)."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise OutputError(f"unknown format {fmt!r}; choose one of {', '.join(WRITERS)}") from None
    writer(doc, stream, options or WriteOptions())
