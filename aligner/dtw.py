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

import math
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
    pause: float,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    m = text.shape[0]
    n = audio.shape[0]
    back = np.empty((m, n), dtype=np.int8)
    previous = np.empty(n + 1, dtype=np.float64)
    current = np.empty(n + 1, dtype=np.float64)
    # Column 0 of the rows is "before the first recording frame": text skipped so far.
    previous[0] = 0.0
    for j in range(1, n + 1):
        # recording skipped before the text
        previous[j] = previous[j - 1] + (pause if pause >= 0 and blocked[j - 1] else skip_audio[0])
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
            skip = pause if pause >= 0 and blocked[j - 1] else skip_audio[i]
            value = current[j - 1] + min(cost + stretch, skip)
            if value < best:
                best = value
                move = STRETCH if cost + stretch < skip else SKIP_AUDIO
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
    back, last_row = _warp(
        text,
        audio,
        blocked,
        np.broadcast_to(np.asarray(skip_audio, dtype=np.float64), (m,)).copy(),
        float(skip_text),
        float(stretch),
        -1.0 if pause is None else float(pause),
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


# ---------------------------------------------------------------------------------------------
# The guide's warp: slope-limited matches, skips that cost to open


_INF = 1e30
# Moves into the match state (bits 0-2 of a direction byte).
M_DIAG_M, M_DIAG_H, M_DIAG_V, M_STRETCH, M_COMPRESS, M_PAUSE_M, M_PAUSE_V = 0, 1, 2, 3, 4, 5, 6


@njit(cache=True, nogil=True, fastmath=True)
def _guide_rows(
    text: Floats,
    audio: Floats,
    blocked: Bools,
    costs_: tuple[float, float, float, float, float],
    lo: int,
    hi: int,
    rows: npt.NDArray[np.float64],
    back: npt.NDArray[np.uint8],
    keep_back: bool,
    band_lo: npt.NDArray[np.int64],
    band_hi: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Rows ``lo..hi-1`` of the guide's table from ``rows`` (rows ``lo-2`` and ``lo-1``, each
    as M, H, V states: shape ``(2, 3, n + 1)``); returns the last two rows the same way.

    Row ``i`` is computed in table columns ``band_lo[i]..band_hi[i]`` only (and column 0's
    text skip); its other cells are unreachable. Work per row is the band's width, not n:
    three row buffers rotate, and each is cleared only where it last held values.
    """
    open_audio, skip_audio, open_text, skip_text, squeeze = costs_
    n = audio.shape[0]
    d = audio.shape[1]
    before = rows[0].copy()  # row i-2
    previous = rows[1].copy()  # row i-1
    current = np.full((3, n + 1), _INF, dtype=np.float64)
    current_lo, current_hi = 0, n  # columns the buffer may hold values in
    previous_lo, previous_hi = 0, n
    before_lo, before_hi = 0, n
    costs = np.full((2, n + 1), 2.0, dtype=np.float64)  # rows i and i-1 (by parity)
    cost_lo = np.zeros(2, dtype=np.int64)
    cost_hi = np.full(2, -1, dtype=np.int64)  # nothing computed yet
    for i in range(lo, hi):
        for state in range(3):
            for j in range(current_lo, current_hi + 1):
                current[state, j] = _INF
        a = max(1, band_lo[i])
        z = min(n, band_hi[i])
        current_lo, current_hi = a, z  # column 0 is written on every row
        cost = costs[i % 2]
        cost_up = costs[(i - 1) % 2]
        if i >= 1:  # row i-1's costs where row i may compress onto them
            up_lo = cost_lo[(i - 1) % 2]
            up_hi = cost_hi[(i - 1) % 2]
            for j in range(a, z + 1):
                if j < up_lo or j > up_hi:
                    cost_up[j] = _cost(text, audio, blocked, i - 1, j - 1)
        cost[0] = 2.0
        for j in range(max(1, a - 1), z + 1):
            if blocked[j - 1]:
                cost[j] = 2.0
            else:
                dot = 0.0
                for k in range(d):
                    dot += text[i, k] * audio[j - 1, k]
                cost[j] = 1.0 - dot
        cost_lo[i % 2] = max(0, a - 1)
        cost_hi[i % 2] = z
        m_prev, h_prev, v_prev = previous[0], previous[1], previous[2]
        current[0, 0] = _INF
        current[1, 0] = _INF
        current[2, 0] = min(m_prev[0] + open_text, v_prev[0]) + skip_text
        for j in range(a, z + 1):
            # text frame i skipped at audio position j
            v_from_m = m_prev[j] + open_text
            v_from_h = h_prev[j] + open_text
            v_from_v = v_prev[j]
            v = min(v_from_m, v_from_h, v_from_v) + skip_text
            v_move = (
                0
                if v_from_m <= v_from_v and v_from_m <= v_from_h
                else (1 if v_from_v <= v_from_h else 2)
            )
            if blocked[j - 1]:
                # a pause: carried through in the state it found, at no cost
                carry_m = current[0, j - 1]
                carry_v = current[2, j - 1]
                m = min(carry_m, carry_v)
                m_move = M_PAUSE_M if carry_m <= carry_v else M_PAUSE_V
                h = current[1, j - 1]
                h_move = 1
            else:
                c = cost[j]
                diag_m = m_prev[j - 1]
                diag_h = h_prev[j - 1]
                diag_v = v_prev[j - 1]
                stretch = m_prev[j - 2] + cost[j - 1] if j >= 2 else _INF
                compress = before[0, j - 1] + cost_up[j] + squeeze if i >= 1 else _INF
                m = diag_m
                m_move = M_DIAG_M
                if diag_h < m:
                    m = diag_h
                    m_move = M_DIAG_H
                if diag_v < m:
                    m = diag_v
                    m_move = M_DIAG_V
                if stretch < m:
                    m = stretch
                    m_move = M_STRETCH
                if compress < m:
                    m = compress
                    m_move = M_COMPRESS
                m += c
                # audio frame j skipped after text frame i
                h_from_m = current[0, j - 1] + open_audio
                h_from_h = current[1, j - 1]
                h_from_v = current[2, j - 1] + open_audio
                h = min(h_from_m, h_from_h, h_from_v) + skip_audio
                h_move = (
                    0
                    if h_from_m <= h_from_h and h_from_m <= h_from_v
                    else (1 if h_from_h <= h_from_v else 2)
                )
            current[0, j] = m
            current[1, j] = h
            current[2, j] = v
            if keep_back:
                back[i - lo, j - 1] = m_move | (h_move << 3) | (v_move << 5)
        # rotate: the oldest buffer (row i-2) is cleared and reused for row i+1
        before, previous, current = previous, current, before
        before_lo, before_hi, previous_lo, previous_hi, current_lo, current_hi = (
            previous_lo,
            previous_hi,
            current_lo,
            current_hi,
            before_lo,
            before_hi,
        )
    out = np.empty((2, 3, n + 1), dtype=np.float64)
    out[0] = before
    out[1] = previous
    return out


@njit(cache=True, nogil=True)
def _guide_trace(
    back: npt.NDArray[np.uint8],
    lo: int,
    i: int,
    j: int,
    state: int,
    blocked: Bools,
    first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
    skipped: Bools,
) -> tuple[int, int, int]:
    """Backtrack from cell ``(i, j)`` in ``state`` (0 M, 1 H, 2 V) while ``i >= lo``."""
    while i >= lo and j >= 0:
        code = back[i - lo, j]
        if state == 0:
            move = code & 7
            if move in (M_PAUSE_M, M_PAUSE_V):
                state = 0 if move == M_PAUSE_M else 2
                j -= 1
                continue
            first[i] = j
            if last[i] < 0:
                last[i] = j
            if move == M_STRETCH:
                first[i] = j - 1
                i -= 1
                j -= 2
                state = 0
            elif move == M_COMPRESS:
                first[i - 1] = j
                if last[i - 1] < 0:
                    last[i - 1] = j
                i -= 2
                j -= 1
                state = 0
            else:
                state = move  # M_DIAG_M/H/V are 0/1/2
                i -= 1
                j -= 1
        elif state == 1:
            if not blocked[j]:
                skipped[j] = True
            state = (code >> 3) & 3
            j -= 1
        else:
            state = (code >> 5) & 3
            state = 0 if state == 0 else (2 if state == 1 else 1)
            i -= 1
    return i, j, state


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
    no_back = np.empty((1, 1), dtype=np.uint8)
    for lo in starts:
        saved.append(rows)
        hi = min(m, lo + block)
        rows = _guide_rows(
            text, audio, blocked, costs, lo, hi, rows, no_back, False, band_lo, band_hi
        )
    first = np.full(m, -1, dtype=np.int64)
    last = np.full(m, -1, dtype=np.int64)
    skipped = np.zeros(n, dtype=np.bool_)
    final = rows[1][:, n]
    state = int(np.argmin(final))
    back = np.empty((block, n), dtype=np.uint8)
    i, j = m - 1, n - 1
    for lo, saved_rows in zip(reversed(starts), reversed(saved), strict=True):
        if i < lo:
            continue
        if j < 0:
            break
        hi = min(m, lo + block)
        _guide_rows(text, audio, blocked, costs, lo, hi, saved_rows, back, True, band_lo, band_hi)
        i, j, state = _guide_trace(back, lo, i, j, state, blocked, first, last, skipped)
    if j >= 0:
        skipped[: j + 1] = ~blocked[: j + 1]  # recording before the first text frame
    return GuidePath(first, last, skipped)
