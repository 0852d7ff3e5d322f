"""Dynamic time warping of spoken text onto a stretch of recording, with skips.

Rows are frames of the synthesized text, columns frames of the recording. Besides the usual
diagonal, stretch and compress moves, the path may *skip* a recording frame (applause, a pause,
speech the transcript lacks) or a text frame (text the recording lacks) at a fixed cost: so
what does not match is passed over instead of being glued to a neighbouring cue. The idea of
boundary skips is afaligner's DTWBD; here skips are allowed anywhere.

The kernel is compiled by numba; the whole window's backtrack directions are kept (one byte a
cell), everything else is two rows, so memory is bounded by the window, not the recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

DIAGONAL, COMPRESS, STRETCH, SKIP_AUDIO, SKIP_TEXT = 0, 1, 2, 3, 4

Floats = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]


@njit(cache=True, nogil=True, inline="always")
def _cost(text: Floats, audio: Floats, blocked: Bools, i: int, j: int) -> float:
    if blocked[j]:
        return 2.0
    dot = 0.0
    for k in range(text.shape[1]):
        dot += text[i, k] * audio[j, k]
    return 1.0 - dot


@njit(cache=True, nogil=True)
def _warp(
    text: Floats,
    audio: Floats,
    blocked: Bools,
    skip_audio: npt.NDArray[np.float64],
    skip_text: float,
    stretch: float,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    m = text.shape[0]
    n = audio.shape[0]
    back = np.empty((m, n), dtype=np.int8)
    previous = np.empty(n + 1, dtype=np.float64)
    current = np.empty(n + 1, dtype=np.float64)
    # Column 0 of the rows is "before the first recording frame": text skipped so far.
    previous[0] = 0.0
    for j in range(1, n + 1):
        previous[j] = previous[j - 1] + skip_audio[0]  # recording skipped before the text
    for i in range(m):
        current[0] = previous[0] + skip_text
        for j in range(1, n + 1):
            cost = _cost(text, audio, blocked, i, j - 1)
            best = previous[j - 1] + cost
            move = DIAGONAL
            value = previous[j] + min(cost, skip_text)
            if value < best:
                best = value
                move = COMPRESS if cost < skip_text else SKIP_TEXT
            value = current[j - 1] + min(cost + stretch, skip_audio[i])
            if value < best:
                best = value
                move = STRETCH if cost + stretch < skip_audio[i] else SKIP_AUDIO
            current[j] = best
            back[i, j - 1] = move
        for j in range(n + 1):
            previous[j] = current[j]
    return back, previous.copy()


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
    """
    m, n = len(text), len(audio)
    if blocked is None:
        blocked = np.zeros(n, dtype=np.bool_)
    text = np.ascontiguousarray(text, dtype=np.float32)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    blocked = np.ascontiguousarray(blocked, dtype=np.bool_)
    back, last_row = _warp(
        text,
        audio,
        blocked,
        np.broadcast_to(np.asarray(skip_audio, dtype=np.float64), (m,)).copy(),
        float(skip_text),
        float(stretch),
    )
    if open_end:
        left = np.concatenate([np.cumsum((~blocked)[::-1])[::-1], [0]])  # unblocked from j on
        end = int(np.argmin(last_row[1:] + tail * left[1:])) + 1
    else:
        end = n
    first, last, cost = _backtrack(back, text, audio, blocked, m, end)
    score = 2 * float(last_row[end]) / (m + end)
    return Path(first, last, cost, end, score)


@njit(cache=True, nogil=True)
def _backtrack(
    back: npt.NDArray[np.int8],
    text: Floats,
    audio: Floats,
    blocked: Bools,
    m: int,
    end: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    first = np.full(m, -1, dtype=np.int64)
    last = np.full(m, -1, dtype=np.int64)
    total = np.zeros(m, dtype=np.float64)
    count = np.zeros(m, dtype=np.int64)
    i = m - 1
    j = end - 1
    while i >= 0 and j >= 0:
        move = back[i, j]
        if move != SKIP_AUDIO and move != SKIP_TEXT:
            # A row matched in two runs with a skip between (the end of a sentence stretched
            # over a pause onto the next onset) belongs to its earliest run.
            if last[i] < 0 or first[i] > j + 1:
                last[i] = j
            first[i] = j
            total[i] += _cost(text, audio, blocked, i, j)
            count[i] += 1
        if move == DIAGONAL:
            i -= 1
            j -= 1
        elif move in (COMPRESS, SKIP_TEXT):
            i -= 1
        else:
            j -= 1
    cost = np.full(m, 2.0, dtype=np.float64)
    for k in range(m):
        if count[k] > 0:
            cost[k] = total[k] / count[k]
    return first, last, cost
