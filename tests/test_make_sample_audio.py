"""Tests for scripts/make_sample_audio.py: transcript in, audio and word-level ground truth out."""

from __future__ import annotations

import importlib.util
import json
import sys
import wave
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aligner.transcript import read_transcript

ROOT = Path(__file__).resolve().parents[1]

TRANSCRIPT = """\
Speakers:
Li Xiaojun, head of the Publicity Department
Chairperson:
Shou Xiaoli, spokesperson
Date:
May 31, 2021
Shou Xiaoli:
Ladies and gentlemen, good afternoon. Welcome to this briefing of the SCIO.
Now, let's give the floor to Mr. Li Xiaojun.
Li Xiaojun:
Good afternoon, everyone. The plan (2016-2020) is the third of its kind — and it worked.
Over the past five years, 40 departments took part in the U.N. review.
Shou Xiaoli:
Thank you, Mr. Li. Now the floor is open for questions.
Li Xiaojun:
We have faith that the cause will see a brighter future. Thank you.
"""


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_sample_audio", ROOT / "scripts" / "make_sample_audio.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_sample_audio"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def made(script: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The transcript spoken with every kind of insert; WAV, truth and transcript written."""
    folder = tmp_path_factory.mktemp("sample")
    source = folder / "briefing.txt"
    source.write_text(TRANSCRIPT, "utf-8")
    command = [
        "--transcript",
        str(source),
        "-o",
        str(folder / "clip.wav"),
        "--truth",
        str(folder / "truth.json"),
        "--write-transcript",
        str(folder / "spoken.txt"),
        "--repeat",
        "2",
        "--noise-db",
        "-50",
        "--babble-db",
        "-40",
        "--applause",
        "1",
        "--tone",
        "1",
        "--untranscribed",
        "1",
        "--seed",
        "3",
    ]
    assert script.main(command) == 0
    truth: dict[str, Any] = json.loads((folder / "truth.json").read_text("utf-8"))
    truth["folder"] = folder
    return truth


def test_every_token_is_timed_in_order(made: dict[str, Any]) -> None:
    tokens = [
        w for t in read_transcript(made["folder"] / "spoken.txt").turns for w in t.text.split()
    ]
    source = [
        w for t in read_transcript(made["folder"] / "briefing.txt").turns for w in t.text.split()
    ]
    assert tokens == source * 2  # --repeat 2
    assert [w["word"] for w in made["words"]] == tokens
    previous_end = 0
    for word in made["words"]:
        assert previous_end <= word["start_ms"] <= word["end_ms"] <= made["duration_ms"]
        previous_end = word["end_ms"]
    # espeak-ng reports nearly every word; the rest borrow the next one's start.
    assert sum(w["reported"] for w in made["words"]) >= 0.8 * len(tokens)


def test_sentences_hold_their_words(made: dict[str, Any]) -> None:
    for segment in made["segments"]:
        words = made["words"][segment["first_word"] : segment["first_word"] + segment["word_count"]]
        assert " ".join(w["word"] for w in words) == segment["text"]
        assert words[0]["start_ms"] == segment["start_ms"]
        assert words[-1]["end_ms"] == segment["end_ms"]


def test_inserts_are_marked_and_hold_no_words(made: dict[str, Any]) -> None:
    kinds = sorted((s["kind"], s.get("what", "")) for s in made["spans"])
    assert kinds == [("nonspeech", "applause"), ("nonspeech", "tone"), ("untranscribed", "")]
    for span in made["spans"]:
        assert span["end_ms"] > span["start_ms"]
        for word in made["words"]:
            assert word["end_ms"] <= span["start_ms"] or word["start_ms"] >= span["end_ms"]
    extra = next(s for s in made["spans"] if s["kind"] == "untranscribed")
    assert extra["end_ms"] - extra["start_ms"] >= 20_000
    assert extra["text"] and extra["text"].split(".")[0] not in TRANSCRIPT


def test_audio_length_matches_the_truth(made: dict[str, Any]) -> None:
    with wave.open(str(made["folder"] / "clip.wav")) as clip:
        duration_ms = round(clip.getnframes() * 1000 / clip.getframerate())
    assert duration_ms == made["duration_ms"]


def test_max_seconds_cuts_at_a_turn(script: ModuleType, tmp_path: Path) -> None:
    source = tmp_path / "briefing.txt"
    source.write_text(TRANSCRIPT, "utf-8")
    spoken = tmp_path / "spoken.txt"
    args = ["--transcript", str(source), "-o", str(tmp_path / "c.wav")]
    args += ["--truth", str(tmp_path / "t.json"), "--write-transcript", str(spoken)]
    assert script.main([*args, "--max-seconds", "12"]) == 0
    truth = json.loads((tmp_path / "t.json").read_text("utf-8"))
    assert truth["duration_ms"] <= 12_000
    turns = read_transcript(spoken).turns
    full = read_transcript(source).turns
    assert 1 <= len(turns) < len(full)
    assert [t.text for t in turns] == [t.text for t in full[: len(turns)]]
