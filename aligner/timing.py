"""Backend-independent timing rules: minimum duration, reading speed, gaps, offset, clamping."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence

from aligner.errors import AlignmentError
from aligner.model import Cue, Line
from aligner.segment import SegmentRules
from aligner.timecode import MAX_MS

log = logging.getLogger(__name__)

# How far past the end of its speech an aligned cue may stay up to meet the reading speed: the
# alignment target is "ends within 200 ms after the speech ends", and the aligner's end of
# speech may be a few tens of ms late itself (on TIMIT, 200 here put a fifth of the ends over).
READ_OVER_MS = 150
# The least a cue is shown when an aligner squeezed it against its neighbour.
MIN_SHOWN_MS = 200


def reading_ms(text: str, max_cps: float) -> int:
    """Shortest display time for ``text`` at ``max_cps`` characters per second.

    Every character counts, spaces and punctuation included; a line break counts as a space
    (Netflix timed-text FAQ: "spaces and punctuation count"). Callers pass the speaker label
    with the text (``Line.shown``): the viewer reads it too.

    Example:
        >>> reading_ms("Thank you.", 17)
        589
    """
    return math.ceil(len(text) * 1000 / max_cps)


def _make_room(cues: Sequence[Cue], rules: SegmentRules) -> list[Cue]:
    """Cues whose start leaves the previous one no time at all moved just enough later.

    An aligner can put two cues a few milliseconds apart (a cue it could not place squeezed
    against its neighbour). Rather than fail the whole file, the later start moves to leave the
    earlier cue ``MIN_SHOWN_MS`` and the gap; a moved aligned cue is marked for review.
    """
    out: list[Cue] = []
    for cue in cues:
        if out:
            earliest = out[-1].start_ms + MIN_SHOWN_MS + rules.min_gap_ms
            if cue.start_ms < earliest:
                end = max(cue.end_ms, earliest + MIN_SHOWN_MS)
                review = cue.needs_review or cue.confidence is not None
                cue = dataclasses.replace(cue, start_ms=earliest, end_ms=end, needs_review=review)
        out.append(cue)
    return out


def finalize(
    cues: Sequence[Cue],
    lines: Sequence[Line],
    *,
    rules: SegmentRules,
    offset_ms: int = 0,
    audio_ms: int | None = None,
    end_pad_ms: int = 0,
) -> list[Cue]:
    """Apply the rules every backend's cues must meet, without moving any start.

    Starts are where the backend put them (on the speech, when there is audio); only ends
    move: cut back to leave ``rules.min_gap_ms`` before the next cue, stretched forward (into
    the pause that follows, never past the next cue) to reach the minimum duration and the
    reading speed, and cut to ``rules.max_duration_ms``. Then every cue is shifted by
    ``offset_ms`` and, with ``audio_ms``, kept inside the recording. ``end_pad_ms`` keeps an
    aligned cue up a little after its speech ends, room allowing (Netflix lets the out-time run
    up to half a second past the audio), so that the text does not vanish with the last sound.
    A cue in another language than ``rules.language`` gets its language's durations and
    reading speed (:meth:`SegmentRules.for_text_in`).

    Raises:
        AlignmentError: Cues out of order, or a start that leaves no room for a cue.
    """
    if len(cues) != len(lines):
        raise AlignmentError(f"{len(cues)} cues for {len(lines)} lines")
    out: list[Cue] = []
    limit = audio_ms + offset_ms if audio_ms is not None else MAX_MS
    cues = _make_room(cues, rules)
    by_language: dict[str, SegmentRules] = {}
    for k, cue in enumerate(cues):
        language = lines[k].language
        if language not in by_language:
            by_language[language] = rules.for_text_in(language)
        own = by_language[language]  # a cue in another language is read at its own speed
        start = cue.start_ms + offset_ms
        if out and start < out[-1].end_ms + rules.min_gap_ms:
            raise AlignmentError(
                f"cue {k + 1} starts at {start} ms, before the previous cue ends "
                f"({out[-1].end_ms} ms) plus the minimum gap"
            )
        next_start = cues[k + 1].start_ms + offset_ms if k + 1 < len(cues) else limit
        room = min(next_start - rules.min_gap_ms, limit) if k + 1 < len(cues) else limit
        wanted = max(cue.end_ms + offset_ms + end_pad_ms, start + own.min_duration_ms)
        reading_end = start + reading_ms(lines[k].shown, own.max_cps)
        if end_pad_ms:
            # Synced to speech: reading time may keep a cue up to READ_OVER_MS past its speech
            # (fast speakers exceed the reading speed; syncing wins over reading time then).
            reading_end = min(reading_end, cue.end_ms + offset_ms + READ_OVER_MS)
        wanted = max(wanted, reading_end)
        end = min(wanted, room, start + own.max_duration_ms)
        if end <= start:
            raise AlignmentError(
                f"cue {k + 1} ({cue.text[:30]!r}) has no room: it starts at {start} ms and the "
                f"next cue at {next_start} ms"
            )
        if end < wanted:
            log.debug("cue %d shorter than wanted (%d < %d ms)", k + 1, end - start, wanted - start)
        out.append(dataclasses.replace(cue, start_ms=start, end_ms=end))
    if out and out[-1].end_ms > MAX_MS:
        raise AlignmentError("cues run past 99:59:59.999, the last time a subtitle file can hold")
    return out
