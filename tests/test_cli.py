"""The `aligner` command through click's runner, and once as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner import __version__
from aligner.cli import main

TRANSCRIPT = "Li Xiaojun:\nGood afternoon, everyone. Thank you.\nCGTN:\nA question, please.\n"


@pytest.fixture
def transcript(tmp_path: Path) -> Path:
    path = tmp_path / "brief.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version_and_help() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and __version__ in out
    code, out, _ = invoke("make", "--help")
    assert code == 0
    for option in ("--max-chars", "--max-lines", "--speaker-labels", "--start", "--encoding"):
        assert option in out


def test_default_output_next_to_transcript(transcript: Path) -> None:
    code, out, err = invoke("make", str(transcript))
    assert code == 0, err
    assert out == ""
    srt = transcript.with_suffix(".srt").read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:00,000 --> ")
    assert "Li Xiaojun: Good afternoon, everyone." in srt
    assert "CGTN: A question, please." in srt


def test_several_formats_into_a_folder(transcript: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, err = invoke("make", str(transcript), "-f", "srt,vtt,json", "-o", str(out_dir))
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["brief.json", "brief.srt", "brief.vtt"]
    doc = json.loads((out_dir / "brief.json").read_text(encoding="utf-8"))
    # "Good afternoon, everyone. Thank you." fits on one line: one cue.
    assert doc["schema"] == 1 and len(doc["cues"]) == 2


def test_format_from_extension(transcript: Path, tmp_path: Path) -> None:
    target = tmp_path / "x.vtt"
    code, _, err = invoke("make", str(transcript), "-o", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8").startswith("WEBVTT\n")


def test_stdout_carries_only_subtitles(transcript: Path) -> None:
    code, out, err = invoke("make", str(transcript), "-o", "-", "-f", "vtt", "-v")
    assert code == 0, err
    assert out.startswith("WEBVTT\n\n")
    assert "aligner:" not in out


def test_options_change_output(transcript: Path) -> None:
    _, out, _ = invoke(
        "make", str(transcript), "-o", "-", "--speaker-labels", "upper", "--start", "1:00"
    )
    assert out.startswith("1\n00:01:00,000 --> ")
    assert "LI XIAOJUN: Good afternoon" in out
    _, out, _ = invoke("make", str(transcript), "-o", "-", "--speaker-labels", "none")
    assert "Li Xiaojun" not in out
    _, out, _ = invoke(
        "make", str(transcript), "-o", "-", "--max-chars", "12", "--speaker-labels", "none"
    )
    rows = [r for r in out.split("\n") if r and "-->" not in r and not r.isdigit()]
    assert max(len(r) for r in rows if " " in r) <= 12
    assert "Good\nafternoon," in out


def test_options_from_environment(transcript: Path) -> None:
    result = CliRunner().invoke(
        main, ["make", str(transcript), "-o", "-"], env={"ALIGNER_MAKE_SPEAKER_LABELS": "bracket"}
    )
    assert result.exit_code == 0, result.stderr
    assert "[Li Xiaojun] Good afternoon" in result.stdout


def test_missing_transcript_is_exit_1(tmp_path: Path) -> None:
    code, _, err = invoke("make", str(tmp_path / "none.txt"))
    assert code == 1
    assert "none.txt" in err and err.count("\n") == 1


def test_wrong_encoding_is_exit_1_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(
        "Speaker:\nCaf\xe9 cr\xe8me, d\xe9j\xe0 vu \xe0 la fran\xe7aise.\n".encode("cp1252")
    )
    before = path.read_bytes()
    code, _, err = invoke("make", str(path), "-f", "srt,vtt")
    assert code == 1
    assert "latin.txt" in err and "--encoding" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latin.txt"]
    assert path.read_bytes() == before
    code, _, err = invoke("make", str(path), "--encoding", "cp1252", "-o", "-")
    assert code == 0, err


def test_usage_errors_are_exit_2(transcript: Path) -> None:
    assert invoke("make", str(transcript), "-f", "ass")[0] == 2
    assert invoke("make", str(transcript), "--max-chars", "3")[0] == 2
    assert invoke("make", str(transcript), "--start", "soon")[0] == 2
    assert invoke("make", str(transcript), "-o", "-", "-f", "srt,vtt")[0] == 2
    assert invoke("make", str(transcript), "-o", str(transcript.with_suffix(".doc")))[0] == 2


def test_refuses_to_overwrite_transcript(tmp_path: Path) -> None:
    path = tmp_path / "brief.srt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    code, _, err = invoke("make", str(path), "-o", str(path))
    assert code == 1 and "overwrite" in err
    assert path.read_text(encoding="utf-8") == TRANSCRIPT


def test_missing_output_folder_writes_nothing(transcript: Path, tmp_path: Path) -> None:
    code, _, err = invoke("make", str(transcript), "-o", str(tmp_path / "no" / "x.srt"))
    assert code == 1 and "does not exist" in err


def test_listings() -> None:
    assert invoke("formats")[1].split() == [
        "srt",
        ".srt",
        "vtt",
        ".vtt,",
        ".webvtt",
        "json",
        ".json",
    ]
    assert "estimate" in invoke("backends")[1]


@pytest.mark.slow
def test_real_process_stdin_free_stdout(transcript: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aligner", "make", str(transcript), "-o", "-", "-f", "json"],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert [c["speaker"] for c in doc["cues"]] == ["Li Xiaojun", "CGTN"]
    bad = subprocess.run(
        [sys.executable, "-m", "aligner", "make", str(transcript.parent / "missing.txt")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1
