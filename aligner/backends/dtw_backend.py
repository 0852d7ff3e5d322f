"""Our own forced aligner: espeak-ng speech, MFCCs and a skipping DTW, window by window.

The same idea as aeneas (synthesize the text, compare features, warp), arranged for subtitles
and long recordings:

* The recording is analysed once, in blocks: MFCCs and speech activity (``aligner.vad``).
  Frames that are not speech (silence, applause, tones) are *blocked*: the path may only skip
  them, so they never end up inside a cue.
* First a guide (``aligner.backends._guide``): the whole text warped onto the whole
  recording in 200 ms steps, with slope limits and skips that cost to open
  (``aligner.dtw.warp_guide``). It is global, so a long passage of speech the transcript
  lacks is passed over where it is, and it marks that passage for the next step. Memory: a
  few cost rows per block of rows, not the whole table.
* Meanwhile the cues are spoken by espeak-ng in a process of its own
  (``aligner.backends._speech``).
* Then cues are aligned a window at a time in 20 ms frames: ~30 s of text plus ~5 s of
  look-ahead against the stretch of recording the guide gives them (and 2 s either side);
  only the first part is kept, and the next window starts where the kept cues end.
* The path may skip recording frames (speech the transcript lacks) and text frames (text the
  recording lacks) at a fixed cost, so neither is glued onto a neighbouring cue; pauses and
  what the guide marked cost nothing to cross.
* Starts and ends come from the path (cues start on their first matched frame, end on their
  last), then snap to a speech onset or offset of the speech-activity measure close by. A
  start in the first 300 ms of a burst of speech after a pause moves back to the burst's
  onset: real speakers open with weak sounds espeak-ng's voice does not match. A cue said on
  both sides of a passage the transcript lacks is cut in two between its display lines.
* Confidence compares how well a cue's text matches its own span with how well it matches the
  spans of cues a few places away (a chance baseline: a voice unlike espeak-ng's costs more
  everywhere); cues below ``REVIEW_BELOW`` are marked ``needs_review``. ``assess`` gives the
  same measure to another backend's cues.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aligner import features, native, vad
from aligner.audio import temporary_wav
from aligner.backends import Progress, ProgressFn
from aligner.backends._guide import Guide
from aligner.backends._speech import N_COEFFS, Synth
from aligner.dtw import warp
from aligner.errors import AlignmentError
from aligner.model import Cue, Line
from aligner.segment import SegmentRules

log = logging.getLogger(__name__)

FRAME_MS = 20  # DTW resolution: two 10 ms feature frames
WINDOW_TEXT_S = 30  # text kept per window
# Text aligned but not kept, so the kept part is not squeezed at the end. 5 s gave the same
# cues as 10 s on every benchmark case, in a quarter less work (the windows' cells).
LOOKAHEAD_S = 5
# Cosine distance above which a recording frame is skipped rather than matched. It depends on
# how close the speaker's voice is to espeak-ng's, so it is learnt per speaker from the cues
# kept so far: their typical match cost plus a margin, within bounds.
SKIP_UNKNOWN = 0.55
SKIP_MARGIN = 0.2
SKIP_MIN, SKIP_MAX = 0.45, 0.68
STRETCH_COST = 0.06  # holding a text frame costs a little more than moving on
SKIP_TAIL = 0.25  # cost of each speech frame left after a window's path ends
SKIP_TEXT = 0.9  # cost of leaving a text frame unmatched
REPAIR_BELOW = 0.9  # a cue with less of its matched frames in one run is aligned again
CHANCE_OFFSET = 3  # cues away whose speech is the baseline for a cue's confidence
CLUSTER_GAP = 15  # 300 ms of speech skipped inside a cue's matched frames splits it
FAR_JUMP = 250  # 5 s: a jump this long splits it too, pauses and passages included
TAIL_JUMP = 10  # 200 ms: a jump this long in a cue's last 15 % of frames ends it ...
TAIL_KEEP = 20  # ... if fewer text frames (400 ms) than this follow it: more are words
HEAD_SLIVER = 8  # 160 ms: matched speech this short before such a jump in its first 15 % is cut
LONG_SLIVER = 16  # 320 ms: the same before a jump of more than ...
LONG_JUMP = 30  # ... 600 ms (a "Thank you" that ends the cue before, a turn earlier)
EDGE_NEAR = 25  # 500 ms: a cue's first frames this close after a passage's open edge
HOLD = 2  # a first text frame held this many frames more over weak sound starts at its end
SPECK = 3  # 60 ms: a first match this short on weak sound, then a jump of ...
SPECK_JUMP = 3  # ... more than 60 ms, is cut too (espeak-ng's soft onset on noise before)
WEAK_DB = 6.0  # weak sound: 20 ms frames at most this much over the loudness threshold
CLAIM_MS = 300  # a start moves back this far at most onto the weak onset of its speech
CLAIM_PAUSE_MS = 150  # ... when a pause this long comes before that onset
CLAIM_DIP_MS = 30  # a dip this short inside the burst does not end it
CLAIM_DB = 3.0  # sound: 10 ms frames up to this much under the loudness threshold
OTHER = 2  # in _Heard.sound: applause, noise or a tone
AUDIBLE_DB = 2.0  # a 10 ms frame this much over the background is still sound (a fading end)
CLEAN_DB = 25.0  # ... on a recording whose loud speech is this far over its background
TRAIL_MS = 300  # an end moves forward this far at most onto the fading end of its speech ...
TRAIL_PAUSE_MS = 150  # ... when a quiet this long follows it, before the next cue
TRAIL_DIP_MS = 30  # a dip this short in that sound does not end it
OFFSET_MS = 11  # the offset lies this far into the last frame of sound (as in vad.regions)
ONSET_MS = 26  # the onset lies this far into the first frame of sound (as in vad.regions)
STAGE_SHARES = (("activity", 25), ("mfcc", 12), ("guide", 11), ("windows", 45), ("rest", 7))
STRADDLE_S = 5  # a cue said on both sides of this much unexplained speech is split ...
STRADDLE_SHARE = 0.2  # ... if each side holds at least this share of its matched text
SNAP_MS = 80  # an end (a start: on a clean recording) this close to a speech edge moves onto it
REVIEW_BELOW = 0.5
# Score (match cost per frame, skips included) at which a cue is as likely right as wrong,
# whatever its speaker: right text scored 0.15-0.45 and wrong text 0.64-0.84 on four
# espeak-ng voices (tests/backends/test_dtw.py).
ABSOLUTE_MIDPOINT = 0.58
# Gap between a cue's match cost and its chance cost at which confidence is 0.5.
CONFIDENT_GAP = 0.08
# A frame stands for the middle of its window: the first matched frame's window starts about
# 15 ms before the speech it matches.
START_SHIFT_MS = 15
NOISY_START_SHIFT_MS = 5  # ... on a noisy recording, not snapped to an onset (_path_start)
SPEECH_PAD_FRAMES = 2  # speech-activity regions widened by this many 10 ms frames


@dataclass(frozen=True, slots=True)
class _Spoken:
    """One cue's synthesized speech as 20 ms feature frames."""

    frames: npt.NDArray[np.float32]


@dataclass(slots=True)
class _Placed:
    start: int  # 20 ms frame in the recording, or -1 (text not found)
    end: int
    cost: float
    share: float = 1.0  # of the cue's matched frames in its main run
    chance: float = 2.0  # match cost of the same text on other speech of the recording
    # A cue said on both sides of a passage the transcript lacks: the two spans (frames), and
    # the share of its text in the first.
    parts: tuple[tuple[int, int], tuple[int, int], float] | None = None
    # Where each display line after the first is said: the last frame of the line before and
    # the first frame of this one (-1, -1 if the path did not match the words there).
    line_starts: tuple[tuple[int, int], ...] = ()
    # Rows of the text after the first one on its last frame (``_rows_left``): the speech goes
    # on about that many frames after ``end`` where nothing else is said.
    more: int = 0


class DtwAligner:
    """Forced alignment by our own engine: see the module docstring."""

    name = "dtw"

    def align(
        self,
        lines: Sequence[Line],
        audio: Path | None,
        *,
        rules: SegmentRules,
        on_progress: ProgressFn | None = None,
    ) -> list[Cue]:
        if audio is None:
            raise AlignmentError("the dtw aligner needs a recording (--audio)")
        if not lines:
            return []
        native.keep_freed_blocks()
        report = _Stages(on_progress)
        # Speech is synthesized in another process while the recording is analysed here,
        # each on one core.
        with Synth(lines) as synth, native.one_blas_thread():
            with temporary_wav(audio) as wav:
                heard = _listen(wav.path, audio, report)
                duration_ms = wav.duration_ms
            placed = self._place_all(lines, synth, heard, report)
        report("rest", 1.0)
        cues, unheard = _to_cues(lines, placed, heard, duration_ms, rules)
        return _claim_offsets(cues, unheard, heard, rules)

    def _place_all(
        self,
        lines: Sequence[Line],
        synth: Synth,
        heard: _Heard,
        report: _Stages,
    ) -> list[_Placed]:
        frames, weak = heard.frames, heard.weak
        total = len(lines)
        per_s = 1000 // FRAME_MS
        placed: list[_Placed] = []
        text_mean = _text_mean(synth, len(lines), 6000)
        spoken: dict[int, _Spoken] = {}

        def get(k: int) -> npt.NDArray[np.float32]:
            if k not in spoken:
                frames_k = features.normalise(synth.raw(k), text_mean)
                spoken[k] = _Spoken(features.pair_frames(frames_k))
            return spoken[k].frames

        texts_all = [get(c) for c in range(total)]
        guide = Guide.make(texts_all, frames, heard.blocked)
        report("guide", 1.0)
        nothing = np.zeros((0, N_COEFFS), dtype=np.float32)
        voices = _Voices()
        cursor = 0
        k = 0
        while k < total:
            keep, look = _window_cues(k, total, get, per_s)
            # Text the guide found nowhere in the recording is left out (its cue is flagged),
            # so it cannot be matched onto the start of the next cue's speech here.
            texts = [texts_all[c] if guide.starts[c] >= 0 else nothing for c in range(k, look)]
            text = np.concatenate(texts)
            skips = np.concatenate(
                [
                    np.full(len(t), voices.skip(lines[c].speaker))
                    for c, t in zip(range(k, look), texts, strict=True)
                ]
            )
            lo, hi = guide.span(k, look)
            lo = max(lo, cursor)
            hi = max(hi, lo + 1)
            result = _warp_span(text, skips, frames[lo:hi], guide.blocked[lo:hi])
            marks = [[m // 2 for m in synth.marks(c)] for c in range(k, look)]  # to 20 ms
            spans = _spans(
                result, texts, marks, lo, guide.blocked[lo:hi], weak[lo:hi], guide.edges[lo:hi]
            )
            kept = spans[: keep - k]
            placed.extend(kept)
            for c, p in zip(range(k, keep), kept, strict=True):
                if p.start >= 0 and p.share >= REPAIR_BELOW:
                    voices.learn(lines[c].speaker, p.cost)
            found = [p for p in kept if p.start >= 0]
            if found:
                cursor = max(cursor, found[-1].end)
            k = keep
            report("windows", k / total)
        blocked = guide.blocked
        _repair(lines, placed, frames, blocked, weak, guide.edges, get, voices)
        _chance(lines, placed, frames, blocked, get, voices)
        return placed


@dataclass(frozen=True, slots=True)
class _Heard:
    """A recording as the aligner sees it: 20 ms feature frames and where speech is."""

    frames: npt.NDArray[np.float32]
    blocked: npt.NDArray[np.bool_]  # frames that are not speech
    regions: list[vad.Region]
    sound: npt.NDArray[np.int8]  # per 10 ms: 0 quiet, 1 speech (to a little under loud), 2 other
    weak: npt.NDArray[np.bool_]  # per 20 ms frame: silence, or sound not far over loud
    audible: npt.NDArray[np.bool_]  # per 10 ms: over the background by AUDIBLE_DB
    clean: bool  # loud speech CLEAN_DB or more over the background


class _Stages:
    """Progress of one alignment in thousandths, from how far each stage has come.

    Shares of the time each stage takes (the hour-long benchmark case, 2 cores): speech
    activity 25 %, MFCCs 12 %, the guide 11 %, the windows 45 %, the rest 7 %.
    """

    TOTAL = 1000

    def __init__(self, on_progress: ProgressFn | None) -> None:
        self.on_progress = on_progress
        self.before: dict[str, float] = {}
        self.share: dict[str, float] = {}
        done = 0.0
        for stage, percent in STAGE_SHARES:
            self.before[stage] = done
            self.share[stage] = percent * self.TOTAL / 100
            done += self.share[stage]

    def __call__(self, stage: str, fraction: float) -> None:
        if self.on_progress is None:
            return
        done = self.before[stage] + self.share[stage] * min(1.0, max(0.0, fraction))
        self.on_progress(Progress(round(done), self.TOTAL))


def _listen(wav: Path, source: Path, report: _Stages | None = None) -> _Heard:
    """Features and speech activity of a 16 kHz WAV, computed a block at a time."""
    report = report or _Stages(None)
    activity = vad.measure_wav(wav, lambda share: report("activity", share))
    recording = features.mfcc_wav(str(wav), lambda share: report("mfcc", share))
    regions = vad.regions(activity)
    speech = np.zeros(len(recording), dtype=np.bool_)
    for region in regions:
        if region.kind == "speech":
            first = max(0, region.start_ms // 10 - SPEECH_PAD_FRAMES)
            speech[first : region.end_ms // 10 + SPEECH_PAD_FRAMES] = True
    if not speech.any():
        raise AlignmentError(f"{source}: no speech found in the recording")
    recording = recording[:, :N_COEFFS]
    mean = recording[speech].mean(axis=0)
    frames = features.pair_frames(features.normalise(recording, mean))
    if len(speech) % 2:
        speech = np.concatenate([speech, speech[-1:]])
    background, loud = vad.levels_db(activity)
    loud_db = vad.threshold_db(background, loud)
    sound = (activity.level_db > loud_db - CLAIM_DB).astype(np.int8)
    for region in regions:
        if region.kind != "speech":
            sound[region.start_ms // vad.HOP_MS : region.end_ms // vad.HOP_MS + 1] = OTHER
    strong = activity.level_db > loud_db + WEAK_DB
    strong = np.concatenate([strong, np.zeros(max(0, 2 * len(frames) - len(strong)), bool)])
    weak = ~(strong[0::2] | strong[1::2])[: len(frames)]
    clean = loud - background >= CLEAN_DB
    if clean:
        audible = activity.level_db > background + AUDIBLE_DB
    else:  # a noisy recording: a speaker's fading end is lost in its background
        audible = np.zeros(len(activity.level_db), dtype=np.bool_)
    blocked = ~(speech[0::2] | speech[1::2])
    return _Heard(frames, blocked, regions, sound, weak, audible, bool(clean))


class Reference:
    """A recording heard and the cues spoken by espeak-ng: what other backends borrow from
    this one to judge their cues (``assess``) and to cut a long recording into windows
    (``locate``).
    """

    def __init__(self, lines: Sequence[Line], wav: Path, source: Path) -> None:
        native.keep_freed_blocks()
        with Synth(lines) as synth, native.one_blas_thread():
            self.heard = _listen(wav, source)
            spoken = [synth.raw(k) for k in range(len(lines))]
        self.lines = lines
        self._spoken = spoken
        self._mean = np.concatenate(spoken[:200]).mean(axis=0) if spoken else None
        self._cache: dict[int, npt.NDArray[np.float32]] = {}

    def text_of(self, k: int) -> npt.NDArray[np.float32]:
        """Line ``k`` spoken: normalised, paired MFCC frames (20 ms)."""
        if k not in self._cache:
            self._cache[k] = features.pair_frames(features.normalise(self._spoken[k], self._mean))
        return self._cache[k]

    def locate(self) -> list[tuple[int, int] | None]:
        """Where the guide puts each line, in ms (None: not found in the recording)."""
        guide = Guide.make(
            [self.text_of(k) for k in range(len(self.lines))],
            self.heard.frames,
            self.heard.blocked,
        )
        return [
            (int(s) * FRAME_MS, int(e) * FRAME_MS) if s >= 0 else None
            for s, e in zip(guide.starts, guide.ends, strict=True)
        ]

    def assess(self, cues: Sequence[Cue]) -> list[Cue]:
        """``cues`` (one per line, from any aligner) with a confidence and ``needs_review``.

        Each cue's text is scored on its own span and on the spans of cues a few places away
        (``_chance``); a cue much better at home than away is confidently placed.
        """
        per = FRAME_MS
        placed = [
            _Placed(c.start_ms // per, max(c.start_ms // per + 1, c.end_ms // per), 0.0)
            for c in cues
        ]
        voices = _Voices()
        frames, blocked = self.heard.frames, self.heard.blocked
        _chance(self.lines, placed, frames, blocked, self.text_of, voices)
        # Learn each voice from its median score, then score again with it.
        for line, p in zip(self.lines, placed, strict=True):
            voices.learn(line.speaker, p.cost)
        _chance(self.lines, placed, frames, blocked, self.text_of, voices)
        out = []
        for cue, p in zip(cues, placed, strict=True):
            confidence = _confidence(p)
            out.append(
                dataclasses.replace(
                    cue, confidence=confidence, needs_review=confidence < REVIEW_BELOW
                )
            )
        return out


def assess(lines: Sequence[Line], cues: Sequence[Cue], wav: Path, source: Path) -> list[Cue]:
    """``cues`` (one per Line, from any aligner) with a confidence: ``Reference.assess``."""
    return Reference(lines, wav, source).assess(cues)


@dataclass(frozen=True, slots=True)
class _Window:
    first: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]
    mean_cost: float


def _text_mean(synth: Synth, count: int, frames: int) -> npt.NDArray[np.float32]:
    """Mean of the first minute of synthesized speech: the text side's normalisation."""
    parts: list[npt.NDArray[np.float32]] = []
    seen = 0
    for k in range(count):
        parts.append(synth.raw(k))
        seen += len(parts[-1])
        if seen >= frames:
            break
    mean: npt.NDArray[np.float32] = np.concatenate(parts).mean(axis=0)
    return mean


def _window_cues(
    k: int, total: int, get: Callable[[int], npt.NDArray[np.float32]], per_s: int
) -> tuple[int, int]:
    """Cues ``k..keep-1`` are kept from this window, ``keep..look-1`` only looked at."""
    size = 0
    keep = k
    while keep < total and (keep == k or size + len(get(keep)) <= WINDOW_TEXT_S * per_s):
        size += len(get(keep))
        keep += 1
    size = 0
    look = keep
    while look < total and size < LOOKAHEAD_S * per_s:
        size += len(get(look))
        look += 1
    return keep, look


class _Voices:
    """Each speaker's skip cost, learnt from the match costs of the cues kept so far."""

    def __init__(self) -> None:
        self.costs: dict[str, list[float]] = {}

    def learn(self, speaker: str, cost: float) -> None:
        self.costs.setdefault(speaker, []).append(cost)

    def skip(self, speaker: str) -> float:
        costs = self.costs.get(speaker)
        if not costs:
            return SKIP_UNKNOWN
        typical = float(np.median(costs[-30:]))
        return min(SKIP_MAX, max(SKIP_MIN, typical + SKIP_MARGIN))


def _warp_span(
    text: npt.NDArray[np.float32],
    skips: npt.NDArray[np.float64],
    audio: npt.NDArray[np.float32],
    blocked: npt.NDArray[np.bool_],
) -> _Window:
    """Warp ``text`` onto a stretch of recording that the guide says holds it."""
    if len(audio) == 0 or bool(blocked.all()):
        m = len(text)
        return _Window(
            np.full(m, -1, dtype=np.int64), np.full(m, -1, dtype=np.int64), np.full(m, 2.0), 2.0
        )
    path = warp(
        text,
        audio,
        blocked=blocked,
        skip_audio=skips,
        skip_text=SKIP_TEXT,
        stretch=STRETCH_COST,
        open_end=True,
        tail=SKIP_TAIL,
        pause=0.0,
    )
    matched = path.cost[path.cost < 2.0]
    mean_cost = float(matched.mean()) if len(matched) else 2.0
    # text left unmatched counts as a bad match
    mean_cost = mean_cost + float((path.cost >= 2.0).mean())
    return _Window(path.first, path.last, path.cost, mean_cost)


def _spans(
    window: _Window,
    texts: Sequence[npt.NDArray[np.float32]],
    marks: Sequence[Sequence[int]],
    cursor: int,
    blocked: npt.NDArray[np.bool_],
    weak: npt.NDArray[np.bool_],
    edges: npt.NDArray[np.bool_],
) -> list[_Placed]:
    """Each text's place on the window's path (``marks``: the text frames where each of its
    display lines after the first starts)."""
    out: list[_Placed] = []
    row = 0
    for text, text_marks in zip(texts, marks, strict=True):
        rows = slice(row, row + len(text))
        row += len(text)
        first = window.first[rows]
        last = window.last[rows]
        hit = first >= 0
        if hit.sum() < max(2, 0.3 * len(text)):
            # Most of the text matched nothing: the recording lacks it.
            out.append(_Placed(-1, -1, 2.0, 0.0))
            continue
        start, end, share = _cluster(first, last, blocked, weak, edges)
        cost = float(window.cost[rows][hit].mean())
        parts = None
        split = _straddle(first, last, blocked)
        if split is not None:
            # each side placed as a cue of its own (slivers, specks and passage edges cut)
            a, b, _ = _cluster(first[:split], last[:split], blocked, weak, edges)
            c, d, _ = _cluster(first[split:], last[split:], blocked, weak, edges)
            fraction = float((first[:split] >= 0).sum() / hit.sum())
            parts = ((cursor + a, cursor + b + 1), (cursor + c, cursor + d + 1), fraction)
        # Rows matched away from the cue's main run are a sign of trouble.
        line_starts = _line_starts(first, last, text_marks, cursor)
        out.append(
            _Placed(
                cursor + start,
                cursor + end + 1,
                cost + (1 - share),
                share,
                parts=parts,
                line_starts=line_starts,
                more=_rows_left(first, last, end),
            )
        )
    return out


def _line_starts(
    first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
    marks: Sequence[int],
    cursor: int,
) -> tuple[tuple[int, int], ...]:
    """Where the path (``first``/``last``, one text's rows) put each of ``marks`` (its text
    frames where a display line starts): the last recording frame of the text before it, the
    first of the text from it on; ``(-1, -1)`` when no text on either side was matched."""
    out: list[tuple[int, int]] = []
    for mark in marks:
        before = np.flatnonzero(last[:mark] >= 0)
        after = np.flatnonzero(first[mark:] >= 0)
        if len(before) == 0 or len(after) == 0:
            out.append((-1, -1))
            continue
        out.append((cursor + int(last[before[-1]]), cursor + int(first[mark + after[0]])))
    return tuple(out)


def _straddle(
    first: npt.NDArray[np.int64], last: npt.NDArray[np.int64], blocked: npt.NDArray[np.bool_]
) -> int | None:
    """Where a cue said on both sides of a passage the transcript lacks splits, if it is:
    the first text frame after the passage.

    The path's longest jump between two matched text frames must pass over at least
    ``STRADDLE_S`` of recording, most of it blocked (what the guide found unexplained, and
    pauses), with at least ``STRADDLE_SHARE`` of the matched frames on either side.
    """
    rows = np.flatnonzero(first >= 0)
    if len(rows) < 4:
        return None
    gaps = first[rows[1:]] - last[rows[:-1]] - 1
    k = int(np.argmax(gaps))
    lo, hi = int(last[rows[k]]) + 1, int(first[rows[k + 1]])
    if hi - lo < STRADDLE_S * 1000 // FRAME_MS or blocked[lo:hi].mean() < 0.8:
        return None
    before = (k + 1) / len(rows)
    if min(before, 1 - before) < STRADDLE_SHARE:
        return None
    return int(rows[k + 1])


def _repair(
    lines: Sequence[Line],
    placed: list[_Placed],
    frames: npt.NDArray[np.float32],
    blocked: npt.NDArray[np.bool_],
    weak: npt.NDArray[np.bool_],
    edges: npt.NDArray[np.bool_],
    text_of: Callable[[int], npt.NDArray[np.float32]],
    voices: _Voices,
) -> None:
    """Align again, alone, each cue whose frames did not land in one run.

    That happens next to speech the transcript lacks: part of the cue's text is matched onto
    it. Between its neighbours, the cue is warped once anchored at the previous cue's end (its
    own end left open) and once anchored at the next cue's start (its own start left open, by
    warping both sequences reversed); the better match wins.
    """
    for k, p in enumerate(placed):
        if p.start < 0 or p.share >= REPAIR_BELOW or p.parts is not None:
            continue
        lo = placed[k - 1].end if k > 0 and placed[k - 1].start >= 0 else max(0, p.start - 50)
        nxt = placed[k + 1] if k + 1 < len(placed) else None
        hi = nxt.start if nxt is not None and nxt.start >= 0 else min(len(frames), p.end + 50)
        if hi - lo < 5:
            continue
        text = text_of(k)
        audio, gate = frames[lo:hi], blocked[lo:hi]
        best: _Placed | None = None
        for reverse in (False, True):
            t = text[::-1] if reverse else text
            a = audio[::-1] if reverse else audio
            g = gate[::-1] if reverse else gate
            path = warp(
                t, a, blocked=g, skip_audio=voices.skip(lines[k].speaker), skip_text=SKIP_TEXT,
                stretch=STRETCH_COST, open_end=True,
            )  # fmt: skip
            hit = path.first >= 0
            if hit.sum() < max(2, 0.3 * len(t)):
                continue
            first, last = path.first, path.last
            if reverse:  # back to forward order: row r, frame f -> row m-1-r, frame n-1-f
                first, last = (len(a) - 1 - last)[::-1], (len(a) - 1 - first)[::-1]
                first = np.where(path.first[::-1] >= 0, first, -1)
                last = np.where(path.first[::-1] >= 0, last, -1)
            start, end, share = _cluster(first, last, gate, weak[lo:hi], edges[lo:hi])
            cost = float(path.cost[hit].mean()) + (1 - share)
            more = _rows_left(first, last, end)
            candidate = _Placed(lo + start, lo + end + 1, cost, share, more=more)
            if best is None or candidate.cost < best.cost:
                best = candidate
        if best is not None and best.cost < p.cost:
            placed[k] = best


def _chance(
    lines: Sequence[Line],
    placed: list[_Placed],
    frames: npt.NDArray[np.float32],
    blocked: npt.NDArray[np.bool_],
    text_of: Callable[[int], npt.NDArray[np.float32]],
    voices: _Voices,
) -> None:
    """Score each cue on its place, and on speech where it is *not*: its confidence baseline.

    DTW finds a fair path for any text on any speech, and a voice unlike espeak-ng's costs
    more everywhere; so a cue is judged by the gap between its text warped onto its own span
    and onto the spans of the cues a few places before and after it. Both scores count
    skipped frames at their skip cost, so a wrong text cannot look good by skipping.
    """
    found = [k for k, p in enumerate(placed) if p.start >= 0]
    for position, k in enumerate(found):
        p = placed[k]
        text = text_of(k)
        skip = voices.skip(lines[k].speaker)
        own = _score(text, frames, blocked, p, skip)
        chances = [
            _score(text, frames, blocked, placed[found[other]], skip)
            for other in (position - CHANCE_OFFSET, position + CHANCE_OFFSET)
            if 0 <= other < len(found)
        ]
        placed[k] = dataclasses.replace(
            p, cost=own + (1 - p.share), chance=min(chances) if chances else 2.0
        )


def _score(
    text: npt.NDArray[np.float32],
    frames: npt.NDArray[np.float32],
    blocked: npt.NDArray[np.bool_],
    span: _Placed,
    skip: float,
) -> float:
    path = warp(
        text, frames[span.start : span.end], blocked=blocked[span.start : span.end],
        skip_audio=skip, skip_text=SKIP_TEXT, stretch=STRETCH_COST, open_end=False,
    )  # fmt: skip
    return path.score


def _cluster(
    first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
    blocked: npt.NDArray[np.bool_],
    weak: npt.NDArray[np.bool_],
    edges: npt.NDArray[np.bool_],
) -> tuple[int, int, float]:
    """First and last recording frame of the main run of a cue's matched text, and its share.

    The path may match a few of a cue's frames far from the rest (the first syllable on an
    unscripted passage before a long skip, espeak-ng's fading last frame on the next onset).
    Matched rows are split where the path skips more than ``CLUSTER_GAP`` frames of *speech*
    (pauses do not count: a comma may be a long pause), or more than ``FAR_JUMP`` frames of
    anything (the end of a cue matched onto speech after a passage the guide blocked), or, in
    the text's last frames, jumps more than ``TAIL_JUMP`` frames; the cluster holding most rows
    is the cue.
    ``blocked`` marks the non-speech frames of the same stretch of recording, ``weak`` its
    frames of silence or weak sound (``WEAK_DB``), ``edges`` the ends of passages the guide
    found unexplained that it left open (``Guide.edges``).
    """
    open_before = np.concatenate([[0], np.cumsum(~blocked)])  # speech frames before j
    rows = np.flatnonzero(first >= 0)
    clusters: list[list[int]] = [[int(rows[0])]]
    tail = int(len(first) * 0.85)
    for previous, row in itertools.pairwise(rows):
        lo, hi = int(last[previous]) + 1, int(first[row])
        skipped_speech = open_before[hi] - open_before[lo] if hi > lo else 0
        # In the last frames of the text, a jump over a pause before a few frames is
        # espeak-ng's fading end landing on the next onset: cut there too. Before 400 ms of
        # text or more, it is the cue's last words after a pause ("...情况？谢谢。").
        far = hi - lo > FAR_JUMP
        fading = row >= tail and hi - lo > TAIL_JUMP and len(first) - row < TAIL_KEEP
        if skipped_speech > CLUSTER_GAP or fading or far:
            clusters.append([])
        clusters[-1].append(int(row))
    best = max(clusters, key=len)
    share = len(best) / len(rows)  # a sliver cut below is a boundary slip, not a bad match
    # In the first frames of the text, a sliver of speech before a pause is espeak-ng's
    # onset left on the end of the speech before (a first word before a comma is longer,
    # and a pause after it shorter);
    # a speck of one or two frames on weak sound before a short jump is its soft onset left
    # on the noise or babble before the cue's speech (a short first word, "of", is louder).
    # A first run of frames that starts in (or just after) the open edge of a passage the
    # guide found unexplained, then jumps over a pause, is the passage's end taken for the
    # cue's start (and so is a short run after it, before another pause).
    after_cut = False
    while after_cut or edges[max(0, first[best[0]] - EDGE_NEAR) : first[best[0]] + 1].any():
        cut = False
        for at, (previous, row) in enumerate(itertools.pairwise(best)):
            if at + 1 > len(best) * 0.4:
                break
            if after_cut and last[previous] - first[best[0]] >= LONG_SLIVER:
                break
            if first[row] - last[previous] - 1 > TAIL_JUMP:
                best = best[at + 1 :]
                cut = True
                break
        if not cut:
            break
        after_cut = True
    best = _thin_head(best, first, last, open_before)
    head = int(len(first) * 0.15)
    for at, (previous, row) in enumerate(itertools.pairwise(best)):
        if row > head:
            break
        matched = last[previous] - first[best[0]]
        jump = first[row] - last[previous] - 1
        speck = (
            matched < SPECK
            and jump > SPECK_JUMP
            and bool(weak[first[best[0]] : last[previous] + 1].all())
        )
        sliver = (matched < HEAD_SLIVER and jump > TAIL_JUMP) or (
            matched < LONG_SLIVER and jump > LONG_JUMP
        )
        if speck or sliver:
            best = best[at + 1 :]
            break
    start = int(first[best].min())
    # The first text frame held over several frames of weak sound: espeak-ng's soft onset
    # stretched over the noise before the speech, which starts where the hold ends.
    lead = best[0]
    held = weak[first[lead] : last[lead] + 1]
    if last[lead] - first[lead] >= HOLD and bool(held.all()):
        start = int(last[lead])
    end = int(last[best].max())
    return start, end, share


def _rows_left(first: npt.NDArray[np.int64], last: npt.NDArray[np.int64], end: int) -> int:
    """How many of a text's rows come after the first one put on ``end``, its last frame, if
    fewer than ``TAIL_KEEP`` (else 0): rows the path could not give frames of their own.

    Where the recording's speech fades under its background (noise, babble, a speaker's soft
    last sound), speech activity ends early and the frames after are blocked, or hardly match:
    the text's last rows pile onto the last frame that is open, or jump past onto whatever
    comes next, where the cluster cuts them off. Either way the run ends early, by about as
    many frames as rows are left (the synthetic voice's own time): on the 10-minute hard case
    by 61 ms (median), by 170 ms or more on a tenth of the cues.
    """
    on_end = np.flatnonzero(last == end)
    if len(on_end) == 0:
        return 0
    left = len(first) - 1 - int(on_end[0])
    return left if left < TAIL_KEEP else 0


def _thin_head(
    best: list[int],
    first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
    open_before: npt.NDArray[np.int64],
) -> list[int]:
    """``best`` without a first run that skips more speech than it matches before a pause.

    Text matched on its own speech moves along it, holding or skipping a frame here and
    there. A cue's opening words matched on speech they are not (the tail of a passage the
    transcript lacks, just past the edge the guide left open) match a frame, skip a few, match
    again: more speech skipped than matched, in jumps each too short to split the cluster.
    When such a run in the first ``0.4`` of the rows ends with a jump over a pause (more than
    ``TAIL_JUMP`` frames, under ``CLUSTER_GAP`` of them speech), the run is cut.
    """
    skipped = skipped_speech = 0
    for at, (previous, row) in enumerate(itertools.pairwise(best)):
        if at + 1 > len(best) * 0.4:
            break
        lo, hi = int(last[previous]) + 1, int(first[row])
        if hi <= lo:
            continue
        speech = int(open_before[hi] - open_before[lo])
        if hi - lo > TAIL_JUMP and speech <= CLUSTER_GAP and hi - lo - speech > TAIL_JUMP:
            matched = int(last[previous]) - int(first[best[0]]) + 1 - skipped
            return best[at + 1 :] if skipped_speech > max(matched, SPECK) else best
        skipped += hi - lo
        skipped_speech += speech
    return best


def _snap(ms: int, edges: npt.NDArray[np.int64]) -> int:
    """``ms`` moved onto the nearest of ``edges`` within ``SNAP_MS``, else unchanged."""
    if len(edges) == 0:
        return ms
    at = int(np.searchsorted(edges, ms))
    best = ms
    distance = SNAP_MS + 1
    for candidate in edges[max(0, at - 1) : at + 1]:
        if abs(int(candidate) - ms) < distance:
            best, distance = int(candidate), abs(int(candidate) - ms)
    return best


def _path_start(frame: int, onsets: npt.NDArray[np.int64], clean: bool) -> int:
    """Where speech whose first matched frame is ``frame`` starts, in ms.

    On a clean recording, ``START_SHIFT_MS`` into the frame, then onto a detected speech onset
    ``SNAP_MS`` away at most. On a noisy one the onset is detected late, its weak start lost in
    the background, and snapping made starts late; the frame alone, ``NOISY_START_SHIFT_MS``
    into it, is nearer. Start error medians, snapped and shifted 15 ms / not snapped and 5 ms:
    noisy Mandarin 26 / 18 ms, the 10-minute hard case 18 / 15, the hour 17 / 14.
    """
    if clean:
        return _snap(frame * FRAME_MS + START_SHIFT_MS, onsets)
    return frame * FRAME_MS + NOISY_START_SHIFT_MS


def _claim_onset(start: int, free_from: int, sound: npt.NDArray[np.int8]) -> int:
    """A start late in a burst of sound that follows a pause moves back to the burst's onset.

    Real speakers open with weak sounds (a fricative, a soft vowel) that espeak-ng's do not
    match, so the path starts on the first strong syllable. If the sound before the start
    (dips of up to ``CLAIM_DIP_MS`` between syllables included) reaches back less than
    ``CLAIM_MS`` to a pause of ``CLAIM_PAUSE_MS``, and no earlier cue reaches into it
    (``free_from``), it is this cue's onset.
    """
    frame = min(start // vad.HOP_MS, len(sound))
    floor = max(0, free_from // vad.HOP_MS, frame - CLAIM_MS // vad.HOP_MS)
    onset = frame
    while onset > floor:
        if sound[onset - 1] == 1:
            onset -= 1
            continue
        # A dip between two syllables of the burst (not before the start itself) is crossed.
        quiet = onset
        while (
            quiet > floor and sound[quiet - 1] == 0 and onset - quiet < CLAIM_DIP_MS // vad.HOP_MS
        ):
            quiet -= 1
        if onset < frame and quiet > floor and sound[quiet - 1] == 1:
            onset = quiet
            continue
        break
    pause = sound[max(0, onset - CLAIM_PAUSE_MS // vad.HOP_MS) : onset]
    if onset in (frame, floor) or pause.any():  # no pause, or applause or a tone
        return start
    return onset * vad.HOP_MS + ONSET_MS


def _claim_offsets(
    cues: Sequence[Cue], unheard: Sequence[int], heard: _Heard, rules: SegmentRules
) -> list[Cue]:
    """Each cue's end moved on over the text it has ``unheard`` (ms, ``_rows_left``), then,
    on a clean recording, onto the end of its speech's fading sound (``_trail``)."""
    out = list(cues)
    for k, cue in enumerate(out):
        if cue.confidence is None or cue.confidence <= 0.0:
            continue
        limit = out[k + 1].start_ms - rules.min_gap_ms if k + 1 < len(out) else None
        end = _said_on(cue.end_ms, unheard[k], limit, heard.sound)
        if heard.clean:
            end = _trail(end, limit, heard.audible)
        if end != cue.end_ms:
            out[k] = dataclasses.replace(cue, end_ms=end)
    return out


def _unheard_ms(p: _Placed, end: int) -> int:
    """From ``end`` (ms; ``p``'s end snapped to an offset) to where ``p``'s text would end."""
    return max(0, (p.end + p.more) * FRAME_MS - end) if p.more else 0


def _said_on(end: int, more: int, limit: int | None, sound: npt.NDArray[np.int8]) -> int:
    """An end ``more`` ms later, short of ``limit`` and of applause, a tone or noise."""
    frame = end // vad.HOP_MS
    reach = sound[frame : frame + more // vad.HOP_MS]
    other = np.flatnonzero(reach == OTHER)
    new_end = end + (int(other[0]) * vad.HOP_MS if len(other) else more)
    if limit is not None:
        new_end = min(new_end, limit)
    return max(end, new_end)


def _trail(end: int, limit: int | None, audible: npt.NDArray[np.bool_]) -> int:
    """An end in sound that fades out into a quiet moves to where the sound ends.

    Real speech ends with weak sounds (a final fricative, a stop's release, a vowel dying
    away) under the loudness that marks speech, and espeak-ng's voice ends more abruptly, so
    the path ends before the speech does: on TIMIT by 56 ms (median), a quarter of the ends
    by over 115 ms. The sound still heard over the background (``audible``; dips of up to
    ``TRAIL_DIP_MS`` crossed) is followed; if it ends within ``TRAIL_MS`` in a quiet of
    ``TRAIL_PAUSE_MS``, early enough to leave the next cue its gap (``limit``), the speech
    ends there. Otherwise (the next cue's speech, babble over the background) the end stays.
    """
    frame = end // vad.HOP_MS
    reach = frame + TRAIL_MS // vad.HOP_MS
    pause = TRAIL_PAUSE_MS // vad.HOP_MS
    last = frame - 1  # the last audible frame of the speech
    j = frame
    while j < len(audible):
        if audible[j]:
            last = j
            if j >= reach:
                return end
            j += 1
            continue
        quiet = j
        while quiet < len(audible) and not audible[quiet] and quiet - j < pause:
            quiet += 1
        if quiet - j >= pause or quiet == len(audible):
            break
        if quiet - j > TRAIL_DIP_MS // vad.HOP_MS:
            return end
        j = quiet
    new_end = last * vad.HOP_MS + OFFSET_MS
    if last < frame or new_end <= end or (limit is not None and new_end > limit):
        return end
    return new_end


def _confidence(placed: _Placed) -> float:
    """0-1: how well a cue's text matches its place, and how much better than elsewhere."""
    if placed.start < 0:
        return 0.0
    absolute = 1 / (1 + math.exp((placed.cost - ABSOLUTE_MIDPOINT) / 0.03))
    if placed.chance >= 2.0:  # too few cues to compare with: judge the match alone
        return round(absolute, 3)
    gap = placed.chance - placed.cost
    relative = 1 / (1 + math.exp((CONFIDENT_GAP - gap) / 0.025))
    return round(min(absolute, relative), 3)


def _halves(
    line: Line, parts: tuple[tuple[int, int], tuple[int, int], float]
) -> list[tuple[tuple[int, int], str]] | None:
    """A Line said on both sides of a passage, cut between two of its display lines: the one
    boundary whose share of the characters is nearest the share of the text said before the
    passage, if within 0.2 of it; None if the Line has one display line or none is near."""
    rows = line.lines
    if len(rows) < 2:
        return None
    total = sum(len(r) for r in rows)
    shares = [sum(len(r) for r in rows[:b]) / total for b in range(1, len(rows))]
    b = min(range(len(shares)), key=lambda i: abs(shares[i] - parts[2])) + 1
    if abs(shares[b - 1] - parts[2]) > 0.2:
        return None
    return [(parts[0], "\n".join(rows[:b])), (parts[1], "\n".join(rows[b:]))]


def _long_halves(
    line: Line, p: _Placed, rules: SegmentRules
) -> list[tuple[tuple[int, int], str]] | None:
    """A Line said for longer than a cue may be shown, cut between two of its display lines
    where the speaker says them: the cut that leaves the longer half shortest, if both halves
    last the minimum duration; None otherwise.

    Segmentation times a Line by its text; a slow speaker can take longer (espeak-ng's
    Mandarin voice says some two-line cues in 8-9 s, over the 7 s maximum). Cut to the
    maximum, the cue would leave the screen while its words are still being said.
    """
    own = rules.for_text_in(line.language)
    if (p.end - p.start) * FRAME_MS <= own.max_duration_ms or len(line.lines) < 2:
        return None
    shortest = own.min_duration_ms // FRAME_MS
    best: tuple[int, int, int] | None = None  # (longer half, display line, its start)
    for b, (before, after) in enumerate(p.line_starts, start=1):
        if before < p.start or after > p.end or after <= before:
            continue
        if min(before + 1 - p.start, p.end - after) < shortest:
            continue
        longer = max(before + 1 - p.start, p.end - after)
        if best is None or longer < best[0]:
            best = (longer, b, before)
    if best is None:
        return None
    _, b, before = best
    after = p.line_starts[b - 1][1]
    rows = line.lines
    return [((p.start, before + 1), "\n".join(rows[:b])), ((after, p.end), "\n".join(rows[b:]))]


def _to_cues(
    lines: Sequence[Line],
    placed: Sequence[_Placed],
    heard: _Heard,
    duration_ms: int,
    rules: SegmentRules,
) -> tuple[list[Cue], list[int]]:
    """The cues, and how long each one's text goes on unheard after its end (``_rows_left``,
    in ms)."""
    sound = heard.sound
    speech = [r for r in heard.regions if r.kind == "speech"]
    onsets = np.array([r.start_ms for r in speech], dtype=np.int64)
    offsets = np.array([r.end_ms for r in speech], dtype=np.int64)
    cues: list[Cue] = []
    unheard: list[int] = []
    previous_end = 0
    previous_start = -rules.min_duration_ms
    for index, (line, p) in enumerate(zip(lines, placed, strict=True)):
        if p.start < 0:
            # Text the recording lacks: a short flagged cue where it would be, not stretched
            # over anyone's speech.
            start = max(previous_end, previous_start + 100) + rules.min_gap_ms
            end = start + rules.min_duration_ms
            nxt = next((q.start for q in placed[index + 1 :] if q.start >= 0), None)
            if nxt is not None:
                end = min(end, nxt * FRAME_MS - rules.min_gap_ms)
            if end <= start:
                end = start + 1
            cues.append(Cue.from_line(line, start, end, confidence=0.0, needs_review=True))
            unheard.append(0)
            previous_start, previous_end = start, end
            continue
        halves = _halves(line, p.parts) if p.parts is not None else None
        # Said on both sides of a passage the transcript lacks: two cues, one a side, both
        # to review. Said for too long for one cue: two cues, one a display line or two.
        straddles = halves is not None
        if halves is None:
            halves = _long_halves(line, p, rules)
        if halves is not None:
            confidence = _confidence(p)
            review = straddles or confidence < REVIEW_BELOW
            for (first, last), text in halves:
                start = _path_start(first, onsets, heard.clean)
                if not straddles:
                    start = _claim_onset(start, previous_end + rules.min_gap_ms, sound)
                start = max(start, previous_end + 1, previous_start + rules.min_gap_ms + 100)
                end = min(max(_snap(last * FRAME_MS, offsets), start + 1), duration_ms)
                cue = Cue.from_line(line, start, end, confidence=confidence, needs_review=review)
                cues.append(dataclasses.replace(cue, text=text))
                unheard.append(_unheard_ms(p, end) if last == p.end else 0)
                previous_start, previous_end = start, end
            continue
        start = _path_start(p.start, onsets, heard.clean)
        end = _snap(p.end * FRAME_MS, offsets)
        start = _claim_onset(start, previous_end + rules.min_gap_ms, sound)
        # Never before the previous cue, and leave it room for its minimum gap.
        start = max(start, previous_end + 1, previous_start + rules.min_gap_ms + 100)
        end = min(max(end, start + 1), duration_ms) if duration_ms > start else start + 1
        confidence = _confidence(p)
        cues.append(
            Cue.from_line(
                line, start, end, confidence=confidence, needs_review=confidence < REVIEW_BELOW
            )
        )
        unheard.append(_unheard_ms(p, end))
        previous_start, previous_end = start, end
    return cues, unheard
