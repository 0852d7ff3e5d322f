"""Any subtitle input we review (.srt, .vtt, our .json) as plain cues with speakers and flags."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

from aligner.errors import AlignerError
from aligner.model import Cue, Subtitles
from aligner.review.parse import ERROR, parse_file
from aligner.review.text import cue_language, split_label, visible_lines, voice_of
from aligner.timecode import format_ms
from aligner.writers import WriteOptions
from aligner.writers._text import mark_rtl_lines
from aligner.writers.vtt import annotation, escape_text


class SubtitleFileError(AlignerError):
    """A subtitle file cannot be read for review; the message names the file."""


@dataclass(frozen=True, slots=True)
class ReviewCue:
    """One cue to show.

    Attributes:
        index: 1-based position, in start order (the WebVTT track's cue id).
        start_ms: Start.
        end_ms: End.
        speaker: Who speaks, ``""`` when unknown.
        label: The visible label the cue starts with (``"Li Xiaojun: "``), or ``""``.
        lines: The display lines after the label.
        confidence: The aligner's confidence 0-1, when the input has it.
        needs_review: The aligner's flag, when the input has it.
        language: The cue's language (our JSON's ``language``, a WebVTT ``<lang>`` span), or
            None when the input does not say: the document's.
    """

    index: int
    start_ms: int
    end_ms: int
    speaker: str
    label: str
    lines: tuple[str, ...]
    confidence: float | None = None
    needs_review: bool | None = None
    language: str | None = None

    @property
    def shown(self) -> str:
        """The text as a player shows it: label and lines."""
        return self.label + "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class ReviewDoc:
    """The cues of one file in start order, and its speakers in order of appearance."""

    cues: tuple[ReviewCue, ...]
    speakers: tuple[str, ...]
    language: str = "en"
    source: str = ""

    @property
    def flagged(self) -> int:
        return sum(1 for c in self.cues if c.needs_review)

    def language_of(self, cue: ReviewCue) -> str:
        """The language of ``cue``: its own, else the document's."""
        return cue.language or self.language


def load_subtitles(path: Path) -> ReviewDoc:
    """Read ``path`` (.srt, .vtt/.webvtt or our .json) for review.

    SRT and WebVTT go through the strict reader, but only a cue that cannot be timed is left
    out: a preview shows what is there. The speaker is the WebVTT voice, else the visible label
    (``Name:``), which later cues without a label inherit (our writers label a turn's first cue).

    Raises:
        SubtitleFileError: The file is missing, unreadable, or holds no cue that can be shown.
    """
    try:
        doc = _from_json(path) if path.suffix.lower() == ".json" else _from_subtitles(path)
    except OSError as err:
        raise SubtitleFileError(f"{path}: cannot read: {err.strerror}") from err
    if not doc.cues:
        raise SubtitleFileError(f"{path}: no cue to show")
    return doc


def _from_json(path: Path) -> ReviewDoc:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cues: list[_Row] = []
        language = str(data.get("language") or "en")
        for raw in data["cues"]:
            label = f"{raw['speaker']}: " if raw.get("first_of_turn") and raw["speaker"] else ""
            confidence = raw.get("confidence")
            review = raw.get("needs_review")
            cues.append(
                (
                    int(raw["start_ms"]),
                    int(raw["end_ms"]),
                    str(raw["speaker"]),
                    label,
                    tuple(str(line) for line in raw["lines"]),
                    float(confidence) if confidence is not None else None,
                    bool(review) if review is not None else None,
                    str(raw.get("language") or language),
                )
            )
    except (ValueError, KeyError, TypeError) as err:
        raise SubtitleFileError(f"{path}: not aligner JSON ({err})") from err
    roster = [str(s["name"]) for s in data.get("speakers", []) if isinstance(s, dict)]
    return _doc(cues, roster, language, path.name)


_Row = tuple[int, int, str, str, tuple[str, ...], float | None, bool | None, str | None]


def _from_subtitles(path: Path) -> ReviewDoc:
    parsed = parse_file(path)
    fatal = [
        f for f in parsed.findings if f.code in ("encoding", "vtt-header") and f.severity == ERROR
    ]
    if fatal and not parsed.cues:
        raise SubtitleFileError(f"{path}: {fatal[0].message}")
    rows: list[_Row] = []
    speaker = ""
    for cue in parsed.cues:
        if cue.start_ms is None or cue.end_ms is None or cue.end_ms <= cue.start_ms:
            continue
        lines = [line for line in visible_lines(cue.lines, parsed.fmt) if line]
        if not lines:
            continue
        label = ""
        found = split_label(lines[0])
        if found is not None and found[1]:
            label = lines[0][: len(lines[0]) - len(found[1])]
            lines[0] = found[1]
            speaker = found[0]
        voice = voice_of(cue.lines) if parsed.fmt == "vtt" else None
        if voice is not None:
            speaker = voice
        # the language of a <lang> span that holds the whole text; SRT says none
        language = cue_language(cue.lines, parsed.fmt, "") or None
        rows.append((cue.start_ms, cue.end_ms, speaker, label, tuple(lines), None, None, language))
    return _doc(rows, [], "en", path.name)


def _doc(rows: list[_Row], roster: list[str], language: str, source: str) -> ReviewDoc:
    rows = sorted(rows, key=lambda r: r[0])
    cues = tuple(ReviewCue(k, *row) for k, row in enumerate(rows, 1))
    speaking = [c.speaker for c in cues if c.speaker]
    order = [n for n in dict.fromkeys([*roster, *speaking]) if n in set(speaking)]
    return ReviewDoc(cues, tuple(order), language, source)


def to_vtt(doc: ReviewDoc) -> str:
    """``doc`` as WebVTT, through our writer (voice spans, escaping) when the cues allow it.

    Cue ids are the cues' ``index``. Cues that overlap cannot form a ``Subtitles`` document; they
    are written here with the writer's escaping.
    """
    from aligner.writers.vtt import write

    cues = [
        Cue(c.start_ms, c.end_ms, c.speaker, c.shown, doc.language_of(c), c.index) for c in doc.cues
    ]
    try:
        subtitles = Subtitles(cues=tuple(cues), language=doc.language)
    except ValueError:
        return _plain_vtt(doc)
    stream = io.StringIO()
    write(subtitles, stream, WriteOptions(speaker_labels="none", vtt_notes=False))
    return stream.getvalue()


def _plain_vtt(doc: ReviewDoc) -> str:
    blocks = ["WEBVTT"]
    for c in doc.cues:
        lines = mark_rtl_lines(c.shown.split("\n"), doc.language_of(c))
        text = "\n".join(escape_text(line) for line in lines)
        if doc.language_of(c) != doc.language:
            text = f"<lang {annotation(doc.language_of(c))}>{text}</lang>"
        if c.speaker:
            text = f"<v {annotation(c.speaker)}>{text}"
        timing = f"{format_ms(c.start_ms, decimal='.')} --> {format_ms(c.end_ms, decimal='.')}"
        blocks.append(f"{c.index}\n{timing}\n{text}")
    return "\n\n".join(blocks) + "\n"


def to_srt(doc: ReviewDoc) -> str:
    """``doc`` as SRT (labels as shown), for ffmpeg: overlapping cues are kept as they are."""
    from aligner.writers.srt import srt_safe

    blocks = []
    for c in doc.cues:
        lines = mark_rtl_lines(c.shown.split("\n"), doc.language_of(c))
        text = "\n".join(srt_safe(line) for line in lines)
        blocks.append(f"{c.index}\n{format_ms(c.start_ms)} --> {format_ms(c.end_ms)}\n{text}")
    return "\n\n".join(blocks) + "\n"
