"""Dynamic time warping of spoken text onto a stretch of recording, with skips.

Rows are frames of the synthesized text, columns frames of the recording. Besides the usual
diagonal, stretch and compress moves, the path may *skip* a recording frame (applause, a pause,
speech the transcript lacks) or a text frame (text the recording lacks) at a fixed cost: so
what does not match is passed over instead of being glued to a neighbouring cue. The idea of
boundary skips is afaligner's DTWBD; here skips are allowed anywhere.

The loops are C (``aligner/_kernels.c``, built with the package; numba compiled them before, but
importing it and loading its cached kernels took about 0.4 s of every run, more than all the
warps of a 3-minute recording). The whole window's backtrack directions are kept (one byte a
cell), everything else is two rows, so memory is bounded by the window, not the recording.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aligner import _kernels

Floats = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Path:
    """Where each text frame landed in the recording.

    Attributes:
        first: Recording frame where text frame i is first matched, or -1 (skipped text).
        last: Last recording frame of the earliest run of frames matched to text frame i, or -1.
        cost: Match cost (cosine distance) of each matched text frame, averaged; 2.0 if skipped.
        end: Recording frame after the last one the path used.
        score: The path's total cost per frame, skips included: ``2 * total / (m + n)``.
    """

    first: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]
    end: int
    score: float


def warp(
    text: Floats,
    audio: Floats,
    *,
    blocked: Bools | None = None,
    skip_audio: float | npt.NDArray[np.float64],
    skip_text: float,
    stretch: float = 0.0,
    open_end: bool = True,
    tail: float = 0.0,
    pause: float | None = None,
) -> Path:
    """Best path of ``text`` frames through ``audio`` frames (unit-length feature rows).

    Args:
        text: Synthesized speech features, one row per 10 ms.
        audio: Recording features, one row per 10 ms.
        blocked: Recording frames that may only be skipped (non-speech by the VAD).
        skip_audio: Cost of passing over one recording frame while at a text frame: one value,
            or one per text frame (each speaker's voice matches espeak-ng differently well).
        skip_text: Cost of passing over one text frame.
        stretch: Extra cost of holding a text frame over one more recording frame: without
            it, frames of noise that happen to resemble the held frame count as matches.
        open_end: The path may stop before the last recording frame.
        tail: With ``open_end``, the cost of each unblocked recording frame left after the
            path's end: 0 makes the rest free; a small cost keeps the text from being matched
            to the first speech at hand while the speech that really says it is left out.
        pause: The cost of passing over a blocked frame, if not ``skip_audio``: 0 lets the
            path cross a long stretch of non-speech (or of speech known not to be in the
            text) as readily as stop before it.
    """
    m, n = len(text), len(audio)
    if blocked is None:
        blocked = np.zeros(n, dtype=np.bool_)
    text = np.ascontiguousarray(text, dtype=np.float32)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    blocked = np.ascontiguousarray(blocked, dtype=np.bool_)
    back = np.empty((m, n), dtype=np.int8)
    last_row = np.empty(n + 1, dtype=np.float64)
    _kernels.warp(
        text,
        audio,
        blocked,
        np.broadcast_to(np.asarray(skip_audio, dtype=np.float64), (m,)).copy(),
        float(skip_text),
        float(stretch),
        -1.0 if pause is None else float(pause),
        back,
        last_row,
    )
    if open_end:
        left = np.concatenate([np.cumsum((~blocked)[::-1])[::-1], [0]])  # unblocked from j on
        end = int(np.argmin(last_row[1:] + tail * left[1:])) + 1
    else:
        end = n
    first = np.empty(m, dtype=np.int64)
    last = np.empty(m, dtype=np.int64)
    cost = np.empty(m, dtype=np.float64)
    _kernels.backtrack(back, text, audio, blocked, end, first, last, cost)
    score = 2 * float(last_row[end]) / (m + end)
    return Path(first, last, cost, end, score)


# ---------------------------------------------------------------------------------------------
# The guide's warp: slope-limited matches, skips that cost to open


_INF = 1e30  # an unreachable cell (the C loops use the same)


@dataclass(frozen=True, slots=True)
class GuidePath:
    """Where each text frame landed on a whole recording.

    Attributes:
        first / last: First and last recording frame matched to text frame i, or -1.
        skipped: Speech frames of the recording the path passed over (no text for them).
    """

    first: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]
    skipped: Bools


def warp_guide(
    text: Floats,
    audio: Floats,
    *,
    blocked: Bools,
    open_audio: float,
    skip_audio: float,
    open_text: float,
    skip_text: float,
    squeeze: float = 0.0,
    block: int | None = None,
    band: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None,
) -> GuidePath:
    """Warp a whole text onto a whole recording, robustly and in bounded memory.

    Unlike ``warp``:

    * a text frame matches one or two recording frames, and two text frames at most share one
      (local slopes 1/2 to 2), so a text cannot be smeared over speech that does not say it
      by picking a cheap frame here and there; two text frames on one cost ``squeeze`` more,
      so text the recording lacks is not squeezed in beside the text that is said;
    * passing over speech costs ``open_audio`` once plus ``skip_audio`` a frame (passing over
      text likewise), so one long skip over a passage the transcript lacks is cheaper than
      many short ones that pick frames.

    Pauses (``blocked`` frames) are free. Both ends are closed. The table of directions is
    never whole: the forward pass keeps the cost rows at the start of every ``block`` rows,
    and the backtrack recomputes one block of directions at a time from them, so memory is
    about ``48 n m / block + n block`` bytes instead of ``n m``, for twice the arithmetic.

    ``band``, two arrays of m recording positions, limits text frame i to recording frames
    ``band[0][i]..band[1][i]`` (inclusive): the work is then the band's area, not ``n m``.
    The path's ends must lie inside it (text frame 0 may start at 0, the last may end at n-1).
    """
    m, n = len(text), len(audio)
    text = np.ascontiguousarray(text, dtype=np.float32)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    blocked = np.ascontiguousarray(blocked, dtype=np.bool_)
    costs = (
        float(open_audio),
        float(skip_audio),
        float(open_text),
        float(skip_text),
        float(squeeze),
    )
    if block is None:  # stored rows and one block of directions weigh about the same
        block = max(64, math.isqrt(48 * m))
    if band is None:
        band_lo = np.zeros(m, dtype=np.int64)
        band_hi = np.full(m, n - 1, dtype=np.int64)
    else:
        band_lo = np.ascontiguousarray(band[0], dtype=np.int64)
        band_hi = np.ascontiguousarray(band[1], dtype=np.int64)
    # table columns: recording frame j is column j + 1
    band_lo, band_hi = band_lo + 1, band_hi + 1
    start = np.full((2, 3, n + 1), _INF, dtype=np.float64)
    # row "-1": recording before the first text frame, passed over (pauses free)
    start[1, 0, 0] = 0.0
    for j in range(1, n + 1):
        if blocked[j - 1]:
            start[1, 0, j] = start[1, 0, j - 1]
            start[1, 1, j] = start[1, 1, j - 1]
        else:
            start[1, 1, j] = min(start[1, 0, j - 1] + open_audio, start[1, 1, j - 1]) + skip_audio
    starts = list(range(0, m, block))
    saved: list[npt.NDArray[np.float64]] = []
    rows = start
    for lo in starts:
        saved.append(rows)
        hi = min(m, lo + block)
        out = np.empty_like(start)
        _kernels.guide_rows(text, audio, blocked, costs, lo, hi, rows, out, None, band_lo, band_hi)
        rows = out
    first = np.full(m, -1, dtype=np.int64)
    last = np.full(m, -1, dtype=np.int64)
    skipped = np.zeros(n, dtype=np.bool_)
    final = rows[1][:, n]
    state = int(np.argmin(final))
    # Zeros, not whatever memory held: a band that does not join the path's ends (the caller
    # widens it and tries again) must not trace through garbage, so the result is repeatable.
    back = np.zeros((block, n), dtype=np.uint8)
    i, j = m - 1, n - 1
    for lo, saved_rows in zip(reversed(starts), reversed(saved), strict=True):
        if i < lo:
            continue
        if j < 0:
            break
        hi = min(m, lo + block)
        spare = np.empty_like(start)  # the rows after the block: known already
        _kernels.guide_rows(
            text, audio, blocked, costs, lo, hi, saved_rows, spare, back, band_lo, band_hi
        )
        i, j, state = _kernels.guide_trace(back, lo, i, j, state, blocked, first, last, skipped)
    if j >= 0:
        skipped[: j + 1] = ~blocked[: j + 1]  # recording before the first text frame
    return GuidePath(first, last, skipped)
