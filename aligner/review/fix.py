"""Safe repairs of a parsed SRT or WebVTT file: order, overlaps, gaps, durations, long lines.

Only changes a person would make without a second thought: times move by as little as needed
(an end is cut before a start moves), over-long lines are broken again by the segmenter's cost
search (and a cue that cannot hold its text is split, its time shared by length), and the file
is written back in strict form. Text is never reworded; cues with markup other than a voice
span are not re-broken.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aligner.errors import OutputError
from aligner.model import Turn
from aligner.review.check import cue_rules, display_width
from aligner.review.parse import ParsedFile
from aligner.review.text import printed, split_label, visible_lines, voice_of
from aligner.segment import SegmentRules, segment
from aligner.timecode import MAX_MS, format_ms
from aligner.writers._text import mark_rtl_lines
from aligner.writers.vtt import annotation, escape_text

_SIMPLE_VTT = re.compile(r"^(?:<v(?:\.[^\s.<>]+)*[ \t][^<>]+>)?[^<>]*(?:</v>)?$")
_REWRITTEN = ("timestamp", "missing-blank-line", "srt-numbering", "srt-index")


@dataclass(slots=True)
class _Item:
    start_ms: int
    end_ms: int
    ident: str
    settings: str
    lines: list[str]
    number: int  # the cue it came from


@dataclass(slots=True)
class FixResult:
    """The repaired file's text and what was changed, one message per change."""

    text: str
    changes: list[str] = field(default_factory=list)


def fix_parsed(parsed: ParsedFile, rules: SegmentRules) -> FixResult:
    """Apply the safe repairs to ``parsed`` and return the file's new text.

    Lines are measured and broken by each cue's own language's limits, as ``check`` judges
    them (a WebVTT ``<lang>`` span's, else ``rules``).
    """
    changes: list[str] = []
    own = dict(zip((cue.number for cue in parsed.cues), cue_rules(parsed, rules), strict=True))
    items: list[_Item] = []
    for cue in parsed.cues:
        if not cue.timed or not cue.lines:
            why = "its times cannot be read" if not cue.timed else "it has no text"
            changes.append(f"cue {cue.number}: dropped, {why} (readers drop it too)")
            continue
        assert cue.start_ms is not None and cue.end_ms is not None
        end = cue.end_ms
        if end <= cue.start_ms:
            end = cue.start_ms + rules.min_duration_ms
            changes.append(f"cue {cue.number}: end {cue.end_ms} ms before its start, set to {end}")
        items.append(_Item(cue.start_ms, end, cue.ident, cue.settings, list(cue.lines), cue.number))
    ordered = sorted(items, key=lambda item: item.start_ms)
    if ordered != items:
        changes.append("cues sorted by start time")
    items = []
    for item in ordered:
        items.extend(_rebreak(item, parsed.fmt, own[item.number], changes))
    _space(items, rules, changes)
    _lengthen(items, rules, changes)
    if any(f.code in _REWRITTEN for f in parsed.findings):
        changes.append("cue numbers, timestamps and blank lines rewritten in strict form")
    return FixResult(_serialize(parsed, items), changes)


def _rebreak(item: _Item, fmt: str, rules: SegmentRules, changes: list[str]) -> list[_Item]:
    """``item`` with its lines broken again if one is too long or there are too many."""
    shown = visible_lines(item.lines, fmt)
    fits = all(display_width(line, rules) <= rules.max_chars for line in shown)
    if fits and len(shown) <= rules.max_lines:
        return [item]
    simple = all(_SIMPLE_VTT.match(line) for line in item.lines) if fmt == "vtt" else True
    if not simple or (fmt == "srt" and any("<" in line for line in item.lines)):
        changes.append(f"cue {item.number}: lines too long, but it has markup: not re-broken")
        return [item]
    voice = voice_of(item.lines) if fmt == "vtt" else None
    words = " ".join(printed(line) for line in shown)  # right-to-left marks are put back below
    label = ""
    if (found := split_label(words)) is not None:
        label = words[: len(words) - len(found[1])]
        words = found[1]
    pieces = segment([Turn(voice or "", words, rules.language)], rules, label_for=lambda _: label)
    texts = [p.text.split("\n") for p in pieces]
    texts[0][0] = label + texts[0][0]
    weights = [len(" ".join(t)) for t in texts]
    texts = [mark_rtl_lines(t, rules.language) for t in texts]
    spans = _share(item.start_ms, item.end_ms, weights, rules.min_gap_ms)
    out = []
    for k, (lines, (start, end)) in enumerate(zip(texts, spans, strict=True)):
        if fmt == "vtt":
            lines = [escape_text(line) for line in lines]
            if voice:
                lines[0] = f"<v {annotation(voice)}>{lines[0]}"
        ident = item.ident if k == 0 or not item.ident else f"{item.ident}-{k + 1}"
        out.append(_Item(start, end, ident, item.settings, lines, item.number))
    what = f"split into {len(out)} cues" if len(out) > 1 else "lines broken again"
    changes.append(f"cue {item.number}: {what}")
    return out


def _share(start: int, end: int, weights: list[int], gap: int) -> list[tuple[int, int]]:
    """Cut ``start..end`` into spans proportional to ``weights`` with ``gap`` between them.

    Example:
        >>> _share(0, 2084, [1, 1], 84)
        [(0, 1000), (1084, 2084)]
    """
    if len(weights) == 1:
        return [(start, end)]
    usable = max(end - start - gap * (len(weights) - 1), len(weights))
    total = sum(weights) or 1
    spans = []
    at = start
    for k, weight in enumerate(weights):
        length = max(1, round(usable * weight / total))
        stop = end if k == len(weights) - 1 else at + length
        spans.append((at, max(stop, at + 1)))
        at = stop + gap
    return spans


def _space(items: list[_Item], rules: SegmentRules, changes: list[str]) -> None:
    """Remove overlaps and too-small gaps: cut the earlier cue's end, else move the later start."""
    for prev, cur in itertools.pairwise(items):
        if cur.start_ms >= prev.end_ms + rules.min_gap_ms:
            continue
        cut = cur.start_ms - rules.min_gap_ms
        keep = min(rules.min_duration_ms, prev.end_ms - prev.start_ms)
        if cut - prev.start_ms >= keep:
            what = "overlapped" if cur.start_ms < prev.end_ms else "was too close to"
            changes.append(
                f"cue {prev.number}: end {prev.end_ms} -> {cut} ms (it {what} cue {cur.number})"
            )
            prev.end_ms = cut
        else:
            start = prev.end_ms + rules.min_gap_ms
            duration = cur.end_ms - cur.start_ms
            changes.append(
                f"cue {cur.number}: start {cur.start_ms} -> {start} ms (after cue {prev.number})"
            )
            cur.start_ms = start
            cur.end_ms = max(cur.end_ms, start + min(duration, rules.min_duration_ms))


def _lengthen(items: list[_Item], rules: SegmentRules, changes: list[str]) -> None:
    """Stretch cues shorter than the minimum into the free time after them, then before."""
    for k, item in enumerate(items):
        if item.end_ms - item.start_ms >= rules.min_duration_ms:
            continue
        room_end = items[k + 1].start_ms - rules.min_gap_ms if k + 1 < len(items) else MAX_MS
        room_start = items[k - 1].end_ms + rules.min_gap_ms if k else 0
        old = (item.start_ms, item.end_ms)
        item.end_ms = max(item.end_ms, min(item.start_ms + rules.min_duration_ms, room_end))
        item.start_ms = min(item.start_ms, max(item.end_ms - rules.min_duration_ms, room_start))
        # Still short: borrow from a neighbour that is longer than the minimum itself.
        if k + 1 < len(items):
            spare = _spare(items[k + 1], rules)
            take = min(spare, rules.min_duration_ms - (item.end_ms - item.start_ms))
            if take > 0 and item.end_ms == room_end:
                items[k + 1].start_ms += take
                item.end_ms += take
        if k and item.end_ms - item.start_ms < rules.min_duration_ms:
            spare = _spare(items[k - 1], rules)
            take = min(spare, rules.min_duration_ms - (item.end_ms - item.start_ms))
            if take > 0 and item.start_ms == room_start:
                items[k - 1].end_ms -= take
                item.start_ms -= take
        if (item.start_ms, item.end_ms) != old:
            changes.append(
                f"cue {item.number}: {old[0]}-{old[1]} -> "
                f"{item.start_ms}-{item.end_ms} ms (minimum {rules.min_duration_ms})"
            )


def _spare(item: _Item, rules: SegmentRules) -> int:
    """How much ``item`` can give up and still last the minimum duration."""
    return max(0, item.end_ms - item.start_ms - rules.min_duration_ms)


def _serialize(parsed: ParsedFile, items: list[_Item]) -> str:
    if parsed.fmt == "srt":
        blocks = [
            f"{k}\n{format_ms(i.start_ms)} --> {format_ms(i.end_ms)}\n" + "\n".join(i.lines)
            for k, i in enumerate(items, 1)
        ]
        return "\n\n".join(blocks) + "\n"
    numbered = all(i.ident.isdigit() for i in items) and bool(items)
    blocks = ["\n".join(block) for block in parsed.preamble] or ["WEBVTT"]
    if not parsed.preamble or not parsed.preamble[0][0].startswith("WEBVTT"):
        blocks.insert(0, "WEBVTT")
    for k, i in enumerate(items, 1):
        ident = str(k) if numbered else i.ident
        timing = f"{format_ms(i.start_ms, decimal='.')} --> {format_ms(i.end_ms, decimal='.')}"
        if i.settings:
            timing += f" {i.settings}"
        head = f"{ident}\n{timing}" if ident else timing
        blocks.append(head + "\n" + "\n".join(i.lines))
    return "\n\n".join(blocks) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` through a temporary file and a rename.

    Raises:
        OutputError: The file cannot be written; nothing at ``path`` has changed.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise OutputError(f"{path}: cannot write there: {err.strerror}") from err
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"{path}: cannot write: {err.strerror}") from err


__all__ = ["FixResult", "fix_parsed", "write_atomic"]
