"""Tests for aligner.pipeline: whole runs, atomic writes, inputs left alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aligner.errors import OutputError, TranscriptError
from aligner.pipeline import Target, run, write_atomically

TEXT = "Li Xiaojun:\nGood afternoon.\n"


def test_run_returns_and_writes(tmp_path: Path) -> None:
    src = tmp_path / "t.txt"
    src.write_text(TEXT, encoding="utf-8")
    texts = run(src, [Target("srt", tmp_path / "t.srt"), Target("vtt", None)])
    assert (tmp_path / "t.srt").read_text(encoding="utf-8") == texts["srt"]
    assert texts["vtt"].startswith("WEBVTT")
    assert src.read_text(encoding="utf-8") == TEXT


def test_all_or_nothing(tmp_path: Path) -> None:
    good = tmp_path / "a.srt"
    good.write_text("old", encoding="utf-8")
    with pytest.raises(OutputError, match="does not exist"):
        write_atomically([(good, "new"), (tmp_path / "missing" / "b.srt", "new")])
    assert good.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.srt"]


def test_failure_during_write_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OutputError, match="No space left"):
        write_atomically([(tmp_path / "a.srt", "text")])
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_normal_permissions(tmp_path: Path) -> None:
    write_atomically([(tmp_path / "a.srt", "x")])
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.srt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_bad_transcript_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "bin.txt"
    src.write_bytes(b"\x00\x01\x02binary\xff\xfe\x00")
    with pytest.raises(TranscriptError, match=r"bin\.txt"):
        run(src, [Target("srt", tmp_path / "bin.srt")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin.txt"]
