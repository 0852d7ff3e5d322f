"""Tests for aligner.backends.aeneas_backend: real aeneas runs on a clip spoken by espeak-ng.

No skips: a missing aeneas fails with the install command (STYLE §9, backend checks). The clip
and its exact ground truth come from ``scripts/make_sample_audio.py``.
"""

from __future__ import annotations

import itertools
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aligner.backends.aeneas_backend import INSTALL, AeneasAligner, _fix_spans, _Span
from aligner.errors import AlignmentError
from aligner.model import Cue, Line
from aligner.segment import SegmentRules

ROOT = Path(__file__).resolve().parents[2]
MAKE_SAMPLE = ROOT / "scripts" / "make_sample_audio.py"

# Two voices (en+m1, en+f3), two turns each of two sentences, ~10 s in all.
SCRIPT = [
    ("Moderator", "Good morning, and welcome to today's press briefing."),
    ("Moderator", "We will take questions after the opening remarks."),
    ("Li", "Thank you. This year the economy grew by five percent."),
    ("Li", "Exports rose sharply in the second quarter."),
]
# Same speakers and similar lengths, other words: what a transcript of another event gives.
WRONG = [
    "The weather tomorrow will be cold with light rain.",
    "Several museums reopen to visitors next weekend.",
    "Our football team lost the final match on penalties.",
    "Please remember to water the garden plants daily.",
]
# Cue starts within this of the truth. Measured errors are 0-25 ms (see the report below);
# 300 ms is "still the right sentence" with room for other espeak-ng builds.
TOLERANCE_MS = 300


@pytest.fixture(scope="module")
def aligner() -> AeneasAligner:
    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        pytest.fail("the aeneas tests need espeak-ng and ffmpeg: apt-get install espeak-ng ffmpeg")
    try:
        return AeneasAligner()
    except Exception as err:  # BackendUnavailableError names the install command
        pytest.fail(f"{err}\ninstall aeneas: {INSTALL}")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The spoken SCRIPT as MP3 (so conversion runs too) and its ground truth."""
    folder = tmp_path_factory.mktemp("aeneas")
    lines = folder / "lines.txt"
    lines.write_text("".join(f"{who}: {text}\n" for who, text in SCRIPT), "utf-8")
    audio, truth = folder / "clip.mp3", folder / "clip.json"
    command = [
        sys.executable,
        str(MAKE_SAMPLE),
        str(lines),
        "-o",
        str(audio),
        "--truth",
        str(truth),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return audio, json.loads(truth.read_text("utf-8"))


def _lines(texts: list[str]) -> list[Line]:
    turns: dict[str, int] = {}
    return [
        Line(who, text, "en", turns.setdefault(who, len(turns)))
        for (who, _), text in zip(SCRIPT, texts, strict=True)
    ]


def _start_errors(cues: list[Cue], truth: dict[str, Any]) -> list[int]:
    return [c.start_ms - s["start_ms"] for c, s in zip(cues, truth["segments"], strict=True)]


def test_cues_follow_the_speech(
    aligner: AeneasAligner, clip: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    audio, truth = clip
    lines = _lines([text for _, text in SCRIPT])
    cues = aligner.align(lines, audio, rules=SegmentRules())

    assert [(c.text, c.speaker, c.turn_index) for c in cues] == [
        (line.text, line.speaker, line.turn_index) for line in lines
    ]
    for before, after in itertools.pairwise(cues):
        assert before.end_ms <= after.start_ms
    assert cues[-1].end_ms <= truth["duration_ms"]
    starts = _start_errors(cues, truth)
    ends = [c.end_ms - s["end_ms"] for c, s in zip(cues, truth["segments"], strict=True)]
    with capsys.disabled():
        print(f"\naeneas start errors (ms): {starts}; end errors (ms): {ends}")
    assert all(abs(e) <= TOLERANCE_MS for e in starts), starts
    # Pauses are cut out of the cues (nonspeech_min_ms), so ends follow the speech too.
    assert all(abs(e) <= TOLERANCE_MS for e in ends), ends


def test_wrong_text_aligns_noticeably_worse(
    aligner: AeneasAligner, clip: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    audio, truth = clip
    rules = SegmentRules()
    right_cues = aligner.align(_lines([t for _, t in SCRIPT]), audio, rules=rules)
    wrong_cues = aligner.align(_lines(WRONG), audio, rules=rules)
    right_mean = statistics.mean(abs(e) for e in _start_errors(right_cues, truth))
    wrong_mean = statistics.mean(abs(e) for e in _start_errors(wrong_cues, truth))
    with capsys.disabled():
        print(f"\nmean |start error|: right text {right_mean:.0f} ms, wrong {wrong_mean:.0f} ms")
    assert wrong_mean > right_mean + 100
    # aeneas itself times wrong text without complaint; our confidence measure catches it.
    assert all(c.confidence is not None and c.confidence >= 0.5 for c in right_cues), right_cues
    assert all(not c.needs_review for c in right_cues)
    assert sum(c.needs_review for c in wrong_cues) >= len(wrong_cues) - 1, wrong_cues


def test_no_audio_is_an_alignment_error(aligner: AeneasAligner) -> None:
    with pytest.raises(AlignmentError, match="needs a recording"):
        aligner.align(_lines([t for _, t in SCRIPT]), None, rules=SegmentRules())


def test_a_hung_worker_is_killed(clip: tuple[Path, dict[str, Any]]) -> None:
    with pytest.raises(AlignmentError, match="did not finish"):
        AeneasAligner(timeout_s=0.01).align(
            _lines([t for _, t in SCRIPT]), clip[0], rules=SegmentRules()
        )


def test_unknown_language_is_an_alignment_error(
    aligner: AeneasAligner, clip: tuple[Path, dict[str, Any]]
) -> None:
    lines = [Line("Li", "nuqneH", "tlh", 0)]
    with pytest.raises(AlignmentError, match="'tlh' is not supported"):
        aligner.align(lines, clip[0], rules=SegmentRules())


def test_zero_length_fragments_get_a_millisecond() -> None:
    spans = [_Span(0, 0, 500), _Span(1, 500, 500), _Span(2, 500, 500), _Span(3, 500, 900)]
    fixed = _fix_spans(spans, first_speech_ms=None)
    assert [(s.start_ms, s.end_ms) for s in fixed] == [(0, 500), (500, 501), (501, 502), (502, 900)]


LONG_SCRIPT = [
    ("Moderator", "Good morning, and welcome to today's press briefing on the economy."),
    ("Moderator", "We will take questions after the opening remarks by the spokesperson."),
    ("Li", "Thank you. This year the economy grew by five percent over the last one."),
    ("Li", "Exports rose sharply in the second quarter, led by machinery and textiles."),
    ("Li", "Imports grew more slowly, so the trade surplus widened again this spring."),
    ("Moderator", "Thank you. The floor is now open for questions from the journalists."),
    ("Reporter", "How will the government support small firms in the months to come?"),
    ("Li", "We will cut their taxes and make loans easier to get from local banks."),
]


def test_a_long_recording_is_aligned_a_window_at_a_time(
    aligner: AeneasAligner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows of 12 s instead of 4 minutes: the ~40 s clip goes to aeneas in several tasks,
    cut where our guide sees a pause between cues, and the cues still follow the speech."""
    from aligner.backends import aeneas_backend

    lines_file = tmp_path / "lines.txt"
    lines_file.write_text("".join(f"{who}: {text}\n" for who, text in LONG_SCRIPT), "utf-8")
    audio, truth_file = tmp_path / "long.mp3", tmp_path / "long.json"
    command = [sys.executable, str(MAKE_SAMPLE), str(lines_file), "-o", str(audio)]
    subprocess.run([*command, "--truth", str(truth_file)], check=True, capture_output=True)
    truth = json.loads(truth_file.read_text("utf-8"))
    tasks: list[int] = []
    real_call = aeneas_backend._call_worker

    def call(request: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        tasks.append(len(request["fragments"]))
        return real_call(request, **kwargs)

    monkeypatch.setattr(aeneas_backend, "WINDOW_S", 12)
    monkeypatch.setattr(aeneas_backend, "_call_worker", call)
    turns: dict[str, int] = {}
    lines = [Line(who, text, "en", turns.setdefault(who, len(turns))) for who, text in LONG_SCRIPT]
    cues = aligner.align(lines, audio, rules=SegmentRules())
    assert len(tasks) >= 2 and sum(tasks) == len(lines), tasks
    starts = [c.start_ms - s["start_ms"] for c, s in zip(cues, truth["segments"], strict=True)]
    assert all(abs(e) <= TOLERANCE_MS for e in starts), starts
    for before, after in itertools.pairwise(cues):
        assert before.end_ms <= after.start_ms
