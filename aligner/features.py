"""Acoustic features for alignment: MFCCs every 10 ms, computed in blocks.

The same recipe as aeneas (13 coefficients from 40 mel filters over 133-6855 Hz, pre-emphasis
0.97) with a 25 ms Hamming window; the 0th coefficient (loudness) is dropped and each vector is
mean-normalised by the caller and scaled to unit length, so that two voices saying the same
thing have a small cosine distance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

RATE = 16_000
HOP = 160  # 10 ms
WINDOW = 400  # 25 ms
FFT = 512
N_FILTERS = 40
N_COEFFS = 13
LOW_HZ, HIGH_HZ = 133.33, 6855.5
EMPHASIS = 0.97
_BLOCK = 1500  # frames per block: 15 s of audio, ~10 MB of work space

Floats = npt.NDArray[np.float32]


def _mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    mel: npt.NDArray[np.float64] = 2595.0 * np.log10(1.0 + hz / 700.0)
    return mel


def _filterbank() -> npt.NDArray[np.float64]:
    mel_points = np.linspace(_mel(np.array(LOW_HZ)), _mel(np.array(HIGH_HZ)), N_FILTERS + 2)
    hz_points = 700.0 * (10 ** (mel_points / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(FFT, 1 / RATE)
    bank = np.zeros((FFT // 2 + 1, N_FILTERS))
    for k in range(N_FILTERS):
        lo, mid, hi = hz_points[k : k + 3]
        rising = (bins - lo) / (mid - lo)
        falling = (hi - bins) / (hi - mid)
        bank[:, k] = np.clip(np.minimum(rising, falling), 0, None)
    return bank


def _dct() -> npt.NDArray[np.float64]:
    n = np.arange(N_FILTERS)
    k = np.arange(N_COEFFS)[:, None]
    matrix: npt.NDArray[np.float64] = np.cos(np.pi * k * (2 * n + 1) / (2 * N_FILTERS)).T
    return matrix


_BANK = _filterbank()
_DCT = _dct()
_HAMMING = np.hamming(WINDOW)


def frame_count(samples: int) -> int:
    """How many 10 ms frames ``samples`` samples give (one per hop, the last one padded)."""
    return (samples + HOP - 1) // HOP


def mfcc(samples: npt.NDArray[np.int16]) -> Floats:
    """MFCC 1-12 of 16 kHz samples, one row per 10 ms frame (``frame_count`` rows)."""
    data = _emphasise(samples, 0.0)
    count = frame_count(len(data))
    padded = np.concatenate([data, np.zeros(WINDOW + HOP)])
    return _frames(padded, count)


def _emphasise(samples: npt.NDArray[np.int16], before: float) -> npt.NDArray[np.float64]:
    """Pre-emphasis; ``before`` is the sample that came before ``samples`` (0 at the start)."""
    data = samples.astype(np.float64) / 32768.0
    if len(data):
        data = np.concatenate([[data[0] - EMPHASIS * before], data[1:] - EMPHASIS * data[:-1]])
    return data


def _frames(data: npt.NDArray[np.float64], count: int) -> Floats:
    """``count`` frames from pre-emphasised ``data`` that holds every frame's whole window."""
    out = np.empty((count, N_COEFFS - 1), dtype=np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(data, WINDOW)[::HOP]  # a view, no copy
    for first in range(0, count, _BLOCK):
        n = min(_BLOCK, count - first)
        frames = windows[first : first + n] * _HAMMING
        power = np.abs(np.fft.rfft(frames, FFT, axis=1)) ** 2
        energies = np.log(power @ _BANK + 1e-10)
        out[first : first + n] = (energies @ _DCT)[:, 1:]
    return out


def normalise(features: Floats, mean: Floats | None = None) -> Floats:
    """Subtract ``mean`` (default: the features' own) and scale every row to unit length."""
    centre = features.mean(axis=0) if mean is None else mean
    shifted = features - centre
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    result: Floats = (shifted / np.maximum(norms, 1e-6)).astype(np.float32)
    return result


def mfcc_wav(path: str, on_block: Callable[[float], None] | None = None) -> Floats:
    """``mfcc`` of a 16 kHz mono 16-bit WAV, read a block at a time (memory: the features).

    ``on_block`` is told the share of the file done after each block.
    """
    import wave

    parts: list[Floats] = []
    with wave.open(path, "rb") as wav:
        if wav.getframerate() != RATE or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16 kHz mono 16-bit WAV")
        total = wav.getnframes()
        count = frame_count(total)
        buffer = np.zeros(0)  # pre-emphasised samples from the next frame's start on
        before = 0.0
        made = 0
        while made < count:
            raw = np.frombuffer(wav.readframes(_BLOCK * HOP), dtype="<i2")
            if len(raw):
                buffer = np.concatenate([buffer, _emphasise(raw, before)])
                before = raw[-1] / 32768.0
            else:
                buffer = np.concatenate([buffer, np.zeros(WINDOW + HOP)])  # pad the end
            ready = min(count - made, max(0, (len(buffer) - WINDOW) // HOP + 1))
            if ready:
                parts.append(_frames(buffer, ready))
                made += ready
                buffer = buffer[ready * HOP :]
                if on_block is not None:
                    on_block(made / count)
    return np.concatenate(parts) if parts else np.zeros((0, N_COEFFS - 1), dtype=np.float32)


def pair_frames(features: Floats) -> Floats:
    """Average each two 10 ms frames into one 20 ms frame (the last one alone if odd)."""
    if len(features) % 2:
        features = np.concatenate([features, features[-1:]])
    result: Floats = ((features[0::2] + features[1::2]) / 2).astype(np.float32)
    return result


def local_normalise(features: Floats, weights: npt.NDArray[np.bool_], span: int) -> Floats:
    """Mean and variance normalisation over a sliding window of ``span`` frames.

    Only frames with ``weights`` True (speech) count towards the window's statistics, so a
    voice is normalised against itself and not against the pauses or applause around it; then
    every row is scaled to unit length. This takes much of the speaker and the room out of the
    features, which is what lets a synthetic voice match a person.
    """
    w = weights.astype(np.float64)
    x = features.astype(np.float64)

    def moving(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        total = np.cumsum(np.concatenate([np.zeros((1, *values.shape[1:])), values]), axis=0)
        half = span // 2
        hi = np.minimum(np.arange(len(values)) + half + 1, len(values))
        lo = np.maximum(np.arange(len(values)) - half, 0)
        result: npt.NDArray[np.float64] = total[hi] - total[lo]
        return result

    count = np.maximum(moving(w[:, None]), 1.0)
    mean = moving(x * w[:, None]) / count
    var = moving((x**2) * w[:, None]) / count - mean**2
    shifted = (x - mean) / np.sqrt(np.maximum(var, 1e-3))
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    result: Floats = (shifted / np.maximum(norms, 1e-6)).astype(np.float32)
    return result
