"""The dtw aligner's guide: where each cue roughly is, from one warp of the whole text.

The whole text (espeak-ng speech) and the whole recording are averaged into 200 ms steps and
warped once with ``aligner.dtw.warp_guide``: slope-limited matches, skips that cost to open,
pauses free, memory bounded by a few cost rows per block of rows, and work limited to a band
around a first warp in 1 s steps (widened where the path meets its edge), so that it grows
with the recording's length instead of its square. The path is global, so a
passage of speech the transcript lacks, however long, is passed over where it is instead of
pulling the cues after it onto it, as a window-by-window search would. The fine alignment
(``aligner.backends.dtw_backend``) then looks for each window of cues only where the guide
put them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aligner.dtw import GuidePath, warp_guide

log = logging.getLogger(__name__)

FRAME_MS = 20  # the fine frames the guide is given and answers in
# The guide: a coarse warp of the whole text onto the whole recording (``Guide``).
COARSE = 10  # 20 ms frames per guide step: 200 ms
# Passing over speech costs GUIDE_OPEN once and then GUIDE_SKIP a step (a step of speech
# that does not say the text costs about 1.0 on average, one that says it much less);
# passing over text costs GUIDE_OPEN once and then GUIDE_SKIP_TEXT a step. Chosen on the
# 10-minute hard benchmark case (GUIDE_SKIP 0.3 and 0.45 place its cues alike; without the
# opening cost the path smears the text over an untranscribed passage), then checked on all
# of them (docs/benchmarks.md).
GUIDE_OPEN = 3.0
GUIDE_SKIP = 0.3
GUIDE_SKIP_TEXT = 0.9
GUIDE_SQUEEZE = 0.4  # extra cost of two text steps on one recording step
MISSING_BELOW = 0.3  # a cue with less of its text matched by the guide is not in the recording
UNEXPLAINED_S = 2  # speech passed over this long is speech the transcript lacks
GUIDE_MARGIN_S = 2  # recording searched around the guided span of a window's cues
GUIDE_EDGE_S = 1  # speech the guide passed over is blocked but for this much at either end
# The guide's own warp is limited to a band around a first, coarser warp (1 s steps), so its
# work grows with the recording's length, not its square. The band reaches BAND_S either
# side of the coarse path; where the guide's path comes within BAND_EDGE_S of the band's
# edge, the band was too narrow there and the warp is done again with one twice as wide.
BAND_FACTOR = 5  # guide steps per step of the coarse warp
BAND_S = 60
BAND_EDGE_S = 10


def coarsen(frames: npt.NDArray[np.float32], factor: int) -> npt.NDArray[np.float32]:
    """Means of each ``factor`` frames (the last group may be shorter), scaled to unit length."""
    count = -(-len(frames) // factor)
    padded = np.zeros((count * factor, frames.shape[1]), dtype=np.float32)
    padded[: len(frames)] = frames
    sums = padded.reshape(count, factor, -1).sum(axis=1)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    out: npt.NDArray[np.float32] = (sums / np.maximum(norms, 1e-9)).astype(np.float32)
    return out


@dataclass(frozen=True, slots=True)
class Guide:
    """Where each cue roughly is, from one warp of the whole text onto the whole recording.

    Both sides are averaged into ``COARSE``-frame (200 ms) steps and warped with closed ends
    by ``aligner.dtw.warp_guide`` (slope-limited matches, skips that cost to open, memory
    bounded by a few cost rows per block of rows). The path is global, so a passage of speech
    the transcript lacks, however long, is passed over where it is instead of pulling the cues
    after it onto it, as a window-by-window search would. Speech the path passes over for
    ``UNEXPLAINED_S`` or more is speech the text lacks: it is blocked for the fine warps.

    Attributes:
        starts / ends: Each cue's span, in fine (20 ms) frames; -1 if the text was not found.
        blocked: The fine frames that may only be skipped: non-speech and unexplained speech.
        edges: The fine frames of unexplained speech left open at either end of a passage.
    """

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    blocked: npt.NDArray[np.bool_]
    edges: npt.NDArray[np.bool_]

    @classmethod
    def make(
        cls,
        texts: Sequence[npt.NDArray[np.float32]],
        frames: npt.NDArray[np.float32],
        blocked: npt.NDArray[np.bool_],
    ) -> Guide:
        factor = COARSE
        offsets = np.concatenate([[0], np.cumsum([len(t) for t in texts])])
        text = coarsen(np.concatenate(texts), factor)
        audio = coarsen(frames, factor)
        coarse_blocked = _coarse_blocked(blocked, factor)
        path = banded_warp(text, audio, coarse_blocked)
        least = UNEXPLAINED_S * 1000 / (FRAME_MS * factor)
        passages = long_runs(path.skipped, path.skipped | coarse_blocked, least)
        # The guide's steps are coarse: keep the speech at either end of a passage open.
        edge = GUIDE_EDGE_S * 1000 // (FRAME_MS * factor)
        unexplained = passages & ~(np.convolve(~passages, np.ones(2 * edge + 1), "same") > 0)
        fine_unexplained = np.repeat(unexplained, factor)[: len(blocked)]
        fine_edges = np.repeat(passages & ~unexplained, factor)[: len(blocked)] & ~blocked
        starts = np.full(len(texts), -1, dtype=np.int64)
        ends = np.full(len(texts), -1, dtype=np.int64)
        for c in range(len(texts)):
            lo = int(offsets[c]) // factor
            hi = max(lo + 1, -(-int(offsets[c + 1]) // factor))
            first = path.first[lo:hi]
            last = path.last[lo:hi]
            hit = first >= 0
            if hit.sum() < max(1, MISSING_BELOW * len(hit)):  # the recording lacks the text
                continue
            starts[c] = int(first[hit][0]) * factor
            ends[c] = (int(last[hit][-1]) + 1) * factor
        return cls(starts, ends, blocked | fine_unexplained, fine_edges)

    def span(self, k: int, look: int) -> tuple[int, int]:
        """Fine frames to search for cues ``k..look-1``: their guided span and a margin."""
        margin = GUIDE_MARGIN_S * 1000 // FRAME_MS
        found = [c for c in range(k, look) if self.starts[c] >= 0]
        before = [c for c in range(k) if self.ends[c] >= 0][-1:]
        after = [c for c in range(look, len(self.starts)) if self.starts[c] >= 0][:1]
        if found:
            lo = int(self.starts[found[0]]) - margin
            hi = int(self.ends[found[-1]]) + margin
        else:  # between the neighbours that were found
            lo = int(self.ends[before[0]]) if before else 0
            hi = int(self.starts[after[0]]) if after else len(self.blocked)
        return max(0, lo), min(len(self.blocked), hi)


def _warp(
    text: npt.NDArray[np.float32],
    audio: npt.NDArray[np.float32],
    blocked: npt.NDArray[np.bool_],
    steps: int = 1,
    band: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None,
) -> GuidePath:
    """The guide's warp, its costs for steps ``steps`` times as long (a path's length in
    steps, so the weight of opening a skip against the steps it passes, shrinks by that)."""
    return warp_guide(
        text,
        audio,
        blocked=blocked,
        open_audio=GUIDE_OPEN / steps,
        skip_audio=GUIDE_SKIP,
        open_text=GUIDE_OPEN / steps,
        skip_text=GUIDE_SKIP_TEXT,
        squeeze=GUIDE_SQUEEZE,
        band=band,
    )


def banded_warp(
    text: npt.NDArray[np.float32], audio: npt.NDArray[np.float32], blocked: npt.NDArray[np.bool_]
) -> GuidePath:
    """``warp_guide`` of guide steps, within a band around a coarser warp (see BAND_S)."""
    m, n = len(text), len(audio)
    step_s = FRAME_MS * COARSE / 1000
    if m < 2 * BAND_FACTOR or n < 2 * BAND_FACTOR:
        return _warp(text, audio, blocked)
    coarse = _warp(
        coarsen(text, BAND_FACTOR),
        coarsen(audio, BAND_FACTOR),
        _coarse_blocked(blocked, BAND_FACTOR),
        steps=BAND_FACTOR,
    )
    width = round(BAND_S / step_s)
    edge = round(BAND_EDGE_S / step_s)
    while True:
        band = around(coarse, BAND_FACTOR, m, n, width)
        if band is None:
            return _warp(text, audio, blocked)
        path = _warp(text, audio, blocked, band=band)
        if not near_edge(path, band, n, edge):
            return path
        log.debug("guide path at the edge of its %d-step band: widened", width)
        width *= 2


def _coarse_blocked(blocked: npt.NDArray[np.bool_], factor: int) -> npt.NDArray[np.bool_]:
    count = -(-len(blocked) // factor)
    padded = np.ones(count * factor, dtype=np.bool_)
    padded[: len(blocked)] = blocked
    out: npt.NDArray[np.bool_] = padded.reshape(count, factor).mean(axis=1) > 0.5
    return out


def around(
    coarse: GuidePath, factor: int, m: int, n: int, width: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """For each of ``m`` text steps, the recording steps within ``width`` of where the coarse
    path (``factor`` steps a step) put it; None if the band would be the whole table."""
    first = np.where(coarse.first >= 0, coarse.first, np.iinfo(np.int64).max)
    last = coarse.last
    if (last < 0).all():
        return None
    # Rows the coarse path skipped lie between their neighbours, and a row reaches on to
    # where the next one starts (its skip over a passage); both edges never go back.
    low = np.minimum.accumulate(first[::-1])[::-1]
    high = np.maximum.accumulate(last)
    low = np.where(low == np.iinfo(np.int64).max, high, low)
    high = np.maximum.accumulate(np.maximum(high, np.append(low[1:], high[-1])))
    rows = np.arange(m) // factor
    lo = np.clip(low[rows] * factor - width, 0, n - 1)
    hi = np.clip((high[rows] + 1) * factor - 1 + width, 0, n - 1)
    lo[0] = 0
    hi[-1] = n - 1
    hi = np.maximum(hi, lo)
    if int(lo.max()) == 0 and int(hi.min()) == n - 1:
        return None
    return lo.astype(np.int64), hi.astype(np.int64)


def near_edge(
    path: GuidePath, band: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]], n: int, edge: int
) -> bool:
    """Whether the path comes within ``edge`` steps of an edge of the band that is not an end
    of the recording: the band may have kept it from a better path."""
    lo, hi = band
    hit = path.first >= 0
    low = (lo > 0) & (path.first - lo < edge)
    high = (hi < n - 1) & (hi - path.last < edge)
    return bool((hit & (low | high)).any())


def long_runs(
    counted: npt.NDArray[np.bool_], within: npt.NDArray[np.bool_], least: float
) -> npt.NDArray[np.bool_]:
    """The runs of ``within`` holding at least ``least`` ``counted`` frames."""
    out = np.zeros(len(within), dtype=np.bool_)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], within.astype(np.int8), [0]])))
    for lo, hi in zip(edges[0::2], edges[1::2], strict=True):
        if counted[lo:hi].sum() >= least:
            out[lo:hi] = True
    return out
