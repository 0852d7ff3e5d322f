"""Tests for aligner.vad: speech, tone and applause-like noise are told apart, in place."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from aligner.vad import RATE, Region, measure, measure_wav, regions

Samples = npt.NDArray[np.int16]


def speech(text: str, voice: str, tmp_path: Path) -> Samples:
    """``text`` spoken by espeak-ng, as 16 kHz int16 samples."""
    raw = tmp_path / "raw.wav"
    out = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(raw), "-ar", str(RATE), "-ac", "1", str(out)],
        check=True,
    )
    with wave.open(str(out), "rb") as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    # espeak-ng pads its output with silence: trim to the sound
    loud = np.flatnonzero(np.abs(samples) > 300)
    return samples[loud[0] : loud[-1] + 1]


def silence(seconds: float) -> Samples:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def tone(seconds: float, hz: float = 1000) -> Samples:
    t = np.arange(int(seconds * RATE)) / RATE
    wave_: Samples = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
    return wave_


def applause(seconds: float, seed: int = 1) -> Samples:
    """Bursts of broadband noise, 12 claps a second: what applause looks like to a VAD."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    envelope = (np.sin(2 * np.pi * 12 * np.arange(n) / RATE) > 0).astype(float) * 0.8 + 0.2
    noise: Samples = (
        (rng.normal(0, 0.15 * 32767, n) * envelope).clip(-32767, 32767).astype(np.int16)
    )
    return noise


@pytest.fixture(scope="module")
def mixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Samples, list[Region]]:
    folder = tmp_path_factory.mktemp("vad")
    parts = [
        ("", silence(1.0)),
        ("speech", speech("Good afternoon, everyone. Welcome to the briefing.", "en-us", folder)),
        ("", silence(1.0)),
        ("noise", applause(2.0)),
        ("", silence(0.8)),
        ("speech", speech("Thank you for your question.", "en+f3", folder)),
        ("tone", tone(1.5)),
        ("", silence(1.0)),
    ]
    truth: list[Region] = []
    at = 0
    for kind, samples in parts:
        duration = len(samples) * 1000 // RATE
        if kind:
            truth.append(Region(at, at + duration, kind))
        at += duration
    return np.concatenate([p for _, p in parts]), truth


def test_regions_match_what_was_mixed(mixture: tuple[Samples, list[Region]]) -> None:
    samples, truth = mixture
    found = regions(measure(samples))
    for expected in truth:
        overlapping = [
            r
            for r in found
            if min(r.end_ms, expected.end_ms) - max(r.start_ms, expected.start_ms) > 30
        ]
        kinds = {r.kind for r in overlapping}
        assert kinds == {expected.kind}, (expected, overlapping)
        assert abs(overlapping[0].start_ms - expected.start_ms) <= 30, (expected, overlapping)
        assert abs(overlapping[-1].end_ms - expected.end_ms) <= 60, (expected, overlapping)


def test_quiet_background_noise_is_not_sound(mixture: tuple[Samples, list[Region]]) -> None:
    samples, truth = mixture
    rng = np.random.default_rng(7)
    hiss = rng.normal(0, 0.003 * 32767, len(samples))  # about -50 dBFS
    noisy = (samples + hiss).clip(-32767, 32767).astype(np.int16)
    found = regions(measure(noisy))
    speech_found = [r for r in found if r.kind == "speech"]
    speech_true = [r for r in truth if r.kind == "speech"]
    assert abs(speech_found[0].start_ms - speech_true[0].start_ms) <= 30
    assert not any(r.kind == "speech" and r.end_ms < speech_true[0].start_ms for r in found)


def test_wav_reading_in_blocks_equals_in_memory(
    mixture: tuple[Samples, list[Region]], tmp_path: Path
) -> None:
    samples, _ = mixture
    long = np.concatenate([samples] * 3)  # longer than one analysis block (30 s)
    path = tmp_path / "mix.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(long.tobytes())
    whole = measure(long)
    blocks = measure_wav(path)
    assert blocks.frames == whole.frames
    np.testing.assert_allclose(blocks.level_db, whole.level_db, atol=1e-6)
    np.testing.assert_allclose(blocks.periodicity, whole.periodicity, atol=1e-6)


def test_silence_has_no_regions() -> None:
    assert regions(measure(silence(3.0))) == []
    assert regions(measure(np.zeros(100, dtype=np.int16))) == []
