"""`audio.reading_ahead`: a recording probed and decoded while the transcript is read."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from aligner import audio
from aligner.audio import AudioError, probe_duration_ms, reading_ahead, temporary_wav

ROOT = Path(__file__).resolve().parent.parent
MP3 = ROOT / "samples" / "scio-briefing-2021-05-31.excerpt.en.mp3"


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary folders made here, so a test can see that none is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    started: list[Path] = []
    start = audio._start_convert

    def counted(path: Path, target: Path, sample_rate: int) -> subprocess.Popen[bytes]:
        started.append(path)
        return start(path, target, sample_rate)

    monkeypatch.setattr(audio, "_start_convert", counted)
    return started


def test_a_recording_read_ahead_is_decoded_once_into_the_same_wav(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with temporary_wav(MP3) as plain:
        expected = (plain.path.read_bytes(), plain.duration_ms, plain.peak_dbfs)
    started = _count_decodes(monkeypatch)
    with reading_ahead(MP3):
        assert len(started) == 1  # started on entering, before anything asks for it
        assert probe_duration_ms(MP3) > 60_000
        with temporary_wav(MP3) as wav:
            assert (wav.path.read_bytes(), wav.duration_ms, wav.peak_dbfs) == expected
        assert not wav.path.parent.exists()  # the block's end deletes it, as without
        with temporary_wav(MP3):  # taken once: a second use decodes again
            pass
    assert len(started) == 2
    assert list(scratch.iterdir()) == []


def test_work_read_ahead_that_nobody_takes_is_stopped_and_deleted(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transcript that fails to parse must not leave a decoder running for an hour-long
    recording, nor its half-written WAV."""
    running: list[subprocess.Popen[bytes]] = []

    def slow(path: Path, target: Path, sample_rate: int) -> subprocess.Popen[bytes]:
        target.write_bytes(b"RIFF")  # what a decoder has written so far
        Path(f"{target}.log").write_bytes(b"")
        running.append(subprocess.Popen(["sleep", "60"]))
        return running[0]

    monkeypatch.setattr(audio, "_start_convert", slow)
    with pytest.raises(RuntimeError, match="transcript"), reading_ahead(MP3):
        assert len(list(scratch.iterdir())) == 1
        raise RuntimeError("the transcript is unreadable")
    assert running[0].returncode == -9  # killed, not waited for
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not audio at all " * 64, "unreadable as audio"), (b"", "unreadable as audio")],
)
def test_bad_recordings_read_ahead_say_what_they_say_without(
    scratch: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "brief.mp3"
    bad.write_bytes(content)
    with pytest.raises(AudioError) as plain, temporary_wav(bad):
        pass
    with pytest.raises(AudioError) as ahead, reading_ahead(bad), temporary_wav(bad):
        pass
    assert message in str(plain.value)
    assert str(ahead.value) == str(plain.value)
    assert bad.read_bytes() == content
    assert list(scratch.iterdir()) == []


def test_a_failed_decode_read_ahead_is_an_error_and_leaves_nothing(
    scratch: Path, tmp_path: Path
) -> None:
    """ffprobe reads the header of a cut-off WAV, but ffmpeg finds nothing to decode."""
    wav = tmp_path / "cut.wav"
    with temporary_wav(MP3) as whole:
        wav.write_bytes(whole.path.read_bytes()[:44])
    with pytest.raises(AudioError) as plain, temporary_wav(wav):
        pass
    with reading_ahead(wav):
        for _ in range(2):  # a second try decodes on its own, and fails the same way
            with pytest.raises(AudioError) as ahead, temporary_wav(wav):
                pass
            assert str(ahead.value) == str(plain.value)
    assert list(scratch.iterdir()) == []


def test_a_decoder_that_fails_is_reported_at_each_try_and_leaves_nothing(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(path: Path, target: Path, sample_rate: int) -> subprocess.Popen[bytes]:
        with open(f"{target}.log", "wb") as messages:
            return subprocess.Popen(
                ["sh", "-c", "echo 'Invalid data' >&2; exit 1"], stderr=messages
            )

    monkeypatch.setattr(audio, "_start_convert", failing)
    with reading_ahead(MP3):
        for _ in range(2):  # the work read ahead, then a decode of its own
            failed = pytest.raises(AudioError, match="cannot decode the audio: Invalid data")
            with failed, temporary_wav(MP3):
                pass
    assert list(scratch.iterdir()) == []


def test_nothing_is_read_ahead_for_a_missing_file_or_none(scratch: Path, tmp_path: Path) -> None:
    with reading_ahead(None), reading_ahead(tmp_path / "missing.mp3"):
        assert list(scratch.iterdir()) == []
    with pytest.raises(AudioError, match="file not found"):
        probe_duration_ms(tmp_path / "missing.mp3")


def test_the_command_stops_reading_ahead_when_the_transcript_is_bad(tmp_path: Path) -> None:
    folder = tmp_path / "tmp"
    folder.mkdir()
    transcript = tmp_path / "brief.txt"
    transcript.write_bytes(b"\x00\x01 not text")
    proc = subprocess.run(
        [sys.executable, "-m", "aligner", "make", str(transcript),
         "--audio", str(MP3), "-o", str(tmp_path / "out.srt")],
        capture_output=True, text=True, check=False, env={**os.environ, "TMPDIR": str(folder)},
    )  # fmt: skip
    assert proc.returncode == 1
    assert "not a text file" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert list(folder.iterdir()) == []
    assert not (tmp_path / "out.srt").exists()
