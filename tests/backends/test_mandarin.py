"""Mandarin through the default backend: a clip spoken by espeak-ng's ``cmn`` voices.

No skips: a missing espeak-ng, ffmpeg or aeneas, or an aligner that cannot time Chinese, fails
with the reason. The clip and its exact truth come from ``scripts/make_sample_audio.py``, which
speaks Chinese lines with Mandarin voices (``cmn+m1``, ``cmn+f3``) and times every character.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aligner.backends import align, default_backend
from aligner.model import Cue, Line
from aligner.segment import SegmentRules

ROOT = Path(__file__).resolve().parents[2]
MAKE_SAMPLE = ROOT / "scripts" / "make_sample_audio.py"
LANGUAGE = "zh-Hans"

# Two voices, two turns of two sentences each, about 15 s in all.
SCRIPT = [
    ("寿小丽", "女士们、先生们，下午好！"),
    ("寿小丽", "欢迎出席国务院新闻办公室新闻发布会。"),
    ("李晓军", "五年来，中央和地方各级政府部门共同努力。"),
    ("李晓军", "中国人民的获得感、幸福感、安全感显著增强。"),
]
# Cue starts within this of the truth.
TOLERANCE_MS = 150


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The spoken SCRIPT as MP3 (so conversion runs too) and its ground truth."""
    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        pytest.fail(
            "the Mandarin test needs espeak-ng and ffmpeg (apt-get install espeak-ng ffmpeg)"
        )
    folder = tmp_path_factory.mktemp("mandarin")
    lines = folder / "lines.txt"
    lines.write_text("".join(f"{who}: {text}\n" for who, text in SCRIPT), "utf-8")
    audio, truth = folder / "clip.mp3", folder / "clip.json"
    command = [sys.executable, str(MAKE_SAMPLE), str(lines), "-o", str(audio)]
    done = subprocess.run([*command, "--truth", str(truth)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"make_sample_audio.py could not speak Mandarin:\n{done.stderr}")
    return audio, json.loads(truth.read_text("utf-8"))


def _lines() -> list[Line]:
    turns: dict[str, int] = {}
    return [
        Line(who, text, LANGUAGE, turns.setdefault(who, len(turns)), ends_sentence=True)
        for who, text in SCRIPT
    ]


def test_the_clip_is_mandarin(clip: tuple[Path, dict[str, Any]]) -> None:
    _, truth = clip
    assert truth["unit"] == "character"
    assert [s["voice"] for s in truth["segments"]] == ["cmn+m1", "cmn+m1", "cmn+f3", "cmn+f3"]
    assert [s["text"] for s in truth["segments"]] == [text for _, text in SCRIPT]
    assert [w["word"] for w in truth["words"]] == [ch for _, text in SCRIPT for ch in text]


def test_default_backend_times_mandarin_cues(
    clip: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    audio, truth = clip
    lines = _lines()
    backend = default_backend(audio)
    try:
        cues: list[Cue] = align(lines, audio, rules=SegmentRules.for_language(LANGUAGE))
    except Exception as err:  # an engine without Mandarin says so here
        pytest.fail(f"the default backend ({backend}) cannot align Mandarin: {err}")

    assert [c.text for c in cues] == [line.text for line in lines]
    for before, after in itertools.pairwise(cues):
        assert before.end_ms <= after.start_ms
    starts = [c.start_ms - s["start_ms"] for c, s in zip(cues, truth["segments"], strict=True)]
    ends = [c.end_ms - s["end_ms"] for c, s in zip(cues, truth["segments"], strict=True)]
    with capsys.disabled():
        print(f"\n{backend} on Mandarin: start errors (ms) {starts}; end errors (ms) {ends}")
    assert all(abs(e) <= TOLERANCE_MS for e in starts), (
        f"{backend} cue starts off by more than {TOLERANCE_MS} ms on Mandarin: {starts}"
    )
