"""`aligner make --audio`: a real recording, the real aligner, through the command line."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from aligner.cli import main

ROOT = Path(__file__).resolve().parent.parent
MAKE_SAMPLE = ROOT / "scripts" / "make_sample_audio.py"
SCHEMA = ROOT / "aligner" / "writers" / "subtitles.schema.json"
SCRIPT = [
    ("Shou Xiaoli", "Ladies and gentlemen, good afternoon."),
    ("Shou Xiaoli", "Welcome to this briefing held by the State Council Information Office."),
    ("Li Xiaojun", "Good afternoon, everyone."),
    ("Li Xiaojun", "Over the past five years, the action plan has been implemented in full."),
    ("CGTN", "Thank you. How do you evaluate the results?"),
    ("Li Xiaojun", "Thank you for your question."),
]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict[str, Any]]]:
    """A transcript in turn format, its recording (mp3) and the recording's sentence times."""
    folder = tmp_path_factory.mktemp("audio")
    lines = folder / "lines.txt"
    lines.write_text("".join(f"{who}: {text}\n" for who, text in SCRIPT), "utf-8")
    audio, truth = folder / "brief.mp3", folder / "truth.json"
    subprocess.run(
        [sys.executable, str(MAKE_SAMPLE), str(lines), "-o", str(audio), "--truth", str(truth)],
        check=True,
        capture_output=True,
    )
    transcript = folder / "brief.txt"
    text = ""
    previous = None
    for who, sentence in SCRIPT:
        if who != previous:
            text += f"{who}:\n"
            previous = who
        text += sentence + "\n"
    transcript.write_text(text, "utf-8")
    return transcript, audio, json.loads(truth.read_text("utf-8"))["segments"]


def test_make_with_audio(
    recording: tuple[Path, Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    transcript, audio, truth = recording
    out = tmp_path / "brief.json"
    result = CliRunner().invoke(
        main, ["make", str(transcript), "--audio", str(audio), "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert "aligned" in result.stderr and "need review" in result.stderr
    assert "aligning" not in result.stderr  # no progress bar for a recording under a minute
    doc = json.loads(out.read_text("utf-8"))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text("utf-8")))
    cues = doc["cues"]
    assert all(0 <= c["confidence"] <= 1 and isinstance(c["needs_review"], bool) for c in cues)
    assert not any(c["needs_review"] for c in cues), [(c["text"], c["confidence"]) for c in cues]
    # The first cue of each turn starts where the turn's first sentence does.
    turn_starts = [c["start_ms"] for c in cues if c["first_of_turn"]]
    truth_starts = [
        s["start_ms"]
        for i, s in enumerate(truth)
        if i == 0 or truth[i - 1]["speaker"] != s["speaker"]
    ]
    assert len(turn_starts) == len(truth_starts)
    for got, want in zip(turn_starts, truth_starts, strict=True):
        assert abs(got - want) <= 100, (turn_starts, truth_starts)


@pytest.mark.parametrize(("backend", "started"), [("dtw", True), ("estimate", False)])
def test_the_recording_and_the_speech_process_start_before_the_transcript_is_cut(
    recording: tuple[Path, Path, list[dict[str, Any]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    started: bool,
) -> None:
    import aligner.audio
    import aligner.pipeline
    from aligner.backends import _speech

    transcript, audio, _ = recording
    events: list[str] = []
    for module, name in ((aligner.audio, "_start_convert"), (_speech, "_start")):
        real = getattr(module, name)

        def logged(*args: Any, _real: Any = real, _name: str = name) -> Any:
            events.append(_name)
            return _real(*args)

        monkeypatch.setattr(module, name, logged)
    segment = vars(aligner.pipeline)["segment"]

    def cut(*args: Any, **kwargs: Any) -> Any:
        events.append("segment")
        return segment(*args, **kwargs)

    monkeypatch.setattr(aligner.pipeline, "segment", cut)
    out = tmp_path / "out.srt"
    result = CliRunner().invoke(
        main, ["make", str(transcript), "--audio", str(audio), "--aligner", backend, "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    if started:
        assert events == ["_start_convert", "_start", "segment"]
    else:
        assert events == ["segment"]


def test_progress_is_shown_for_a_recording_over_a_minute(tmp_path: Path) -> None:
    """The 3-minute sample: the bar (its label alone, when standard error is not a terminal)
    comes before the summary, and only once the aligner has started."""
    sample = ROOT / "samples" / "scio-briefing-2021-05-31.excerpt.en"
    proc = subprocess.run(
        [sys.executable, "-m", "aligner", "make", f"{sample}.txt", "--audio", f"{sample}.mp3",
         "-o", str(tmp_path / "out.srt")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "aligning" and lines[1].startswith("aligner: aligned "), lines


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff" * 50, "brief.mp3"),
        (b"", "brief.mp3"),
    ],
)
def test_bad_recording_is_one_line_and_nothing_written(
    recording: tuple[Path, Path, list[dict[str, Any]]], tmp_path: Path, content: bytes, message: str
) -> None:
    transcript, _, _ = recording
    bad = tmp_path / "brief.mp3"
    bad.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "aligner", "make", str(transcript), "--audio", str(bad),
         "-o", str(tmp_path / "out.srt")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.mp3"]
    assert bad.read_bytes() == content


def test_min_gap_comes_out_of_ends_only(tmp_path: Path) -> None:
    """The bundled excerpt, where half the cues are cut inside running speech: the default
    keeps 84 ms between cues; --min-gap 0 lets such a cue last until the next one starts,
    and no start moves."""
    excerpt = ROOT / "samples" / "scio-briefing-2021-05-31.excerpt"
    text, audio = f"{excerpt}.en.txt", f"{excerpt}.en.mp3"
    runs = {}
    for gap in (None, 0):
        out = tmp_path / f"gap-{gap}.json"
        args = ["make", text, "--audio", audio]
        args += ["-o", str(out)] + ([] if gap is None else ["--min-gap", str(gap)])
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        runs[gap] = json.loads(out.read_text("utf-8"))["cues"]
    default, chained = runs[None], runs[0]
    assert [c["start_ms"] for c in default] == [c["start_ms"] for c in chained]
    gaps = [b["start_ms"] - a["end_ms"] for a, b in itertools.pairwise(default)]
    assert min(gaps) >= 84, gaps
    gaps0 = [b["start_ms"] - a["end_ms"] for a, b in itertools.pairwise(chained)]
    assert min(gaps0) >= 0 and sum(g < 84 for g in gaps0) >= len(gaps0) // 4, gaps0
    assert all(c0["end_ms"] >= c["end_ms"] for c, c0 in zip(default, chained, strict=True))
