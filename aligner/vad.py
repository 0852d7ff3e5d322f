"""Speech activity in a recording: where there is speech, and what the other sounds are.

Frames of 32 ms every 10 ms get three measures: level (dB), periodicity (the normalised
autocorrelation peak at voice pitches, 70-400 Hz) and tonality (share of the power in the
strongest spectral peak). Loud stretches are then labelled:

* ``speech``: loud and, over a few hundred milliseconds, often voiced (periodic);
* ``tone``: loud, periodic and concentrated in one spectral peak (a test tone, a beep);
* ``noise``: loud and rarely voiced (applause, clatter, wind).

Silence is everything else. The recording is read in blocks, so memory does not grow with its
length; only the per-frame measures (a few bytes per 10 ms) are kept.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

HOP_MS = 10
WINDOW = 512  # samples at 16 kHz: 32 ms, two periods of an 70 Hz voice
# FFT size: no zero padding, so the autocorrelation is circular; at the lags looked at (40-228
# samples) the wrapped part (lags over 284) of a Hann-windowed frame is small.
FFT = WINDOW
RATE = 16_000
_HOP = RATE * HOP_MS // 1000
_BLOCK_FRAMES = 1000  # frames analysed at once: 10 s of audio, ~10 MB of FFT work space
MIN_PITCH_HZ, MAX_PITCH_HZ = 70, 400
# Thresholds, tuned on espeak-ng speech, TIMIT read speech, white/pink noise bursts (applause)
# and sine tones; see tests/test_vad.py.
VOICED = 0.45  # normalised autocorrelation peak above which a frame is voiced
TONAL = 0.7  # share of 100-4000 Hz power in the strongest peak (3 bins) above which it is a tone
VOICED_SHARE = 0.2  # speech: at least this share of voiced frames around it (±250 ms)
MERGE_GAP_MS = 150  # pauses shorter than this inside speech do not split it
MIN_REGION_MS = 60  # loud stretches shorter than this are clicks

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Activity:
    """Per-frame measures of a recording, one every ``HOP_MS`` milliseconds."""

    level_db: Floats
    periodicity: Floats
    tonality: Floats

    @property
    def frames(self) -> int:
        return len(self.level_db)


@dataclass(frozen=True, slots=True)
class Region:
    """A stretch of one kind of sound: ``speech``, ``tone`` or ``noise``."""

    start_ms: int
    end_ms: int
    kind: str


def _window_autocorrelation() -> Floats:
    window = np.hanning(WINDOW)
    spectrum = np.fft.rfft(window, FFT)
    auto = np.fft.irfft(np.abs(spectrum) ** 2)[:WINDOW]
    return np.asarray(auto / auto[0], dtype=np.float64)


_WINDOW_AUTO = _window_autocorrelation()
_LAGS = slice(RATE // MAX_PITCH_HZ, RATE // MIN_PITCH_HZ + 1)


def measure(samples: npt.NDArray[np.int16] | Floats) -> Activity:
    """Per-frame level, periodicity and tonality of 16 kHz mono ``samples``."""
    data = np.asarray(samples, dtype=np.float64) / 32768.0
    count = max(0, (len(data) - WINDOW) // _HOP + 1)
    if count == 0:
        return Activity(np.zeros(0), np.zeros(0), np.zeros(0))
    levels: list[Floats] = []
    periods: list[Floats] = []
    tones: list[Floats] = []
    window = np.hanning(WINDOW)
    freqs = np.fft.rfftfreq(FFT, 1 / RATE)
    band = (freqs >= 100) & (freqs <= 4000)
    # Every frame's samples, as a view: copied a block at a time by the subtraction below.
    windows = np.lib.stride_tricks.sliding_window_view(data, WINDOW)[::_HOP][:count]
    for first in range(0, count, _BLOCK_FRAMES):
        n = min(_BLOCK_FRAMES, count - first)
        frames = windows[first : first + n]
        frames = frames - frames.mean(axis=1, keepdims=True)
        energy = np.mean(frames**2, axis=1)
        levels.append(10 * np.log10(energy + 1e-10))
        power = np.abs(np.fft.rfft(frames * window, FFT, axis=1)) ** 2
        auto = np.fft.irfft(power, axis=1)[:, :WINDOW]
        with np.errstate(divide="ignore", invalid="ignore"):
            normalised = auto[:, _LAGS] / auto[:, :1] / _WINDOW_AUTO[None, _LAGS]
        periods.append(np.nan_to_num(normalised.max(axis=1), nan=0.0).clip(0, 1))
        in_band = power[:, band]
        peak = in_band.argmax(axis=1)
        rows = np.arange(n)
        around = sum(
            in_band[rows, np.clip(peak + d, 0, in_band.shape[1] - 1)] for d in (-2, -1, 0, 1, 2)
        )
        tones.append(around / (in_band.sum(axis=1) + 1e-20))
    return Activity(np.concatenate(levels), np.concatenate(periods), np.concatenate(tones))


def measure_wav(path: Path, on_block: Callable[[float], None] | None = None) -> Activity:
    """``measure`` for a 16 kHz mono 16-bit WAV, read a block at a time; ``on_block`` is
    told the share of the file done after each block."""
    parts: list[Activity] = []
    block = _BLOCK_FRAMES * _HOP
    with wave.open(str(path), "rb") as wav:
        if wav.getframerate() != RATE or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16 kHz mono 16-bit WAV")
        tail = np.zeros(0, dtype=np.int16)
        while True:
            raw = wav.readframes(block)
            if not raw:
                break
            chunk = np.concatenate([tail, np.frombuffer(raw, dtype="<i2")])
            usable = (len(chunk) - WINDOW) // _HOP + 1
            if usable <= 0:
                tail = chunk
                continue
            parts.append(measure(chunk[: (usable - 1) * _HOP + WINDOW]))
            tail = chunk[usable * _HOP :]
            if on_block is not None:
                on_block(min(1.0, wav.tell() / max(1, wav.getnframes())))
    if not parts:
        return measure(np.zeros(0, dtype=np.int16))
    return Activity(
        np.concatenate([p.level_db for p in parts]),
        np.concatenate([p.periodicity for p in parts]),
        np.concatenate([p.tonality for p in parts]),
    )


def levels_db(activity: Activity) -> tuple[float, float]:
    """A recording's background (10th percentile of the level) and loud frames (95th)."""
    if activity.frames == 0:
        return 0.0, 0.0
    background, loud = np.percentile(activity.level_db, [10, 95])
    return float(background), float(loud)


def loud_threshold_db(activity: Activity) -> float:
    """Level above which a frame is sound rather than background (``threshold_db``)."""
    if activity.frames == 0:
        return 0.0
    return threshold_db(*levels_db(activity))


def threshold_db(background: float, loud: float) -> float:
    """Between the background and the loud frames (``levels_db``), at least 6 dB over the
    background: robust to a recording's gain and to steady noise under speech.
    """
    return background + max(6.0, 0.3 * (loud - background))


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Start and end (exclusive) frame of each run of True in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _smooth(values: Floats, frames: int) -> Floats:
    kernel = np.ones(frames) / frames
    return np.convolve(values, kernel, mode="same")


def regions(activity: Activity) -> list[Region]:
    """The speech, tone and noise stretches of a recording, in order; silence is left out."""
    if activity.frames == 0:
        return []
    loud = activity.level_db > loud_threshold_db(activity)
    voiced = (activity.periodicity > VOICED) & loud
    tonal = (activity.tonality > TONAL) & voiced
    # Label each loud frame by what dominates the half second around it.
    span = 500 // HOP_MS + 1
    voiced_share = _smooth(voiced.astype(np.float64), span)
    tonal_share = _smooth(tonal.astype(np.float64), span)
    kind = np.full(activity.frames, "", dtype=object)
    kind[loud & (voiced_share >= VOICED_SHARE)] = "speech"
    kind[loud & (voiced_share < VOICED_SHARE)] = "noise"
    kind[loud & (tonal_share > 0.5)] = "tone"
    out: list[Region] = []
    for label in ("speech", "tone", "noise"):
        mask = kind == label
        runs = _runs(mask)
        merged: list[list[int]] = []
        for start, end in runs:
            if merged and start - merged[-1][1] <= MERGE_GAP_MS // HOP_MS:
                merged[-1][1] = end
            else:
                merged.append([start, end])
        for start, end in merged:
            if (end - start) * HOP_MS >= MIN_REGION_MS:
                # The first loud frame's window (32 ms) holds the onset near its end, the last
                # one holds the offset near its start (measured on espeak-ng speech: onsets
                # 26 ms after the first loud frame starts, offsets 11 ms after the last one).
                out.append(Region(start * HOP_MS + 26, (end - 1) * HOP_MS + 11, label))
    out.sort(key=lambda r: r.start_ms)
    return out


def fit_to_speech(
    start_ms: int,
    end_ms: int,
    speech: list[Region],
    *,
    onset_ms: int = 80,
    offset_ms: int = 250,
) -> tuple[int, int]:
    """A cue's span moved onto the speech it covers.

    A start in a pause, applause or a tone moves forward to the next speech onset; a start
    just after an onset (within ``onset_ms``) moves back onto it. An end outside speech moves
    back to the last speech offset; an end just before an offset (within ``offset_ms``) moves
    onto it. A span with no speech in it is returned unchanged.

    Args:
        start_ms: The cue's start as an aligner gave it.
        end_ms: Its end.
        speech: The recording's speech regions, sorted (``regions`` filtered to ``speech``).

    Example:
        >>> talk = [Region(1000, 2000, "speech"), Region(5000, 6000, "speech")]
        >>> fit_to_speech(3000, 5800, talk)  # applause at 3000 folded into the cue
        (5000, 6000)
        >>> fit_to_speech(1050, 2900, talk)
        (1000, 2000)
    """
    import bisect

    starts = [r.start_ms for r in speech]
    at = bisect.bisect_right(starts, start_ms) - 1
    if at >= 0 and speech[at].start_ms <= start_ms < speech[at].end_ms:
        if start_ms - speech[at].start_ms <= onset_ms:
            start_ms = speech[at].start_ms
    elif at + 1 < len(speech) and speech[at + 1].start_ms < end_ms:
        start_ms = speech[at + 1].start_ms
    at = bisect.bisect_right(starts, end_ms - 1) - 1
    if at >= 0 and speech[at].start_ms < end_ms <= speech[at].end_ms:
        if speech[at].end_ms - end_ms <= offset_ms:
            end_ms = speech[at].end_ms
    elif at >= 0 and speech[at].end_ms > start_ms:
        end_ms = speech[at].end_ms
    return start_ms, end_ms
