"""Recordings: probe an audio or video file's duration and convert it to a temporary 16 kHz WAV.

The only module that runs pydub or ffmpeg. Inputs are only ever read; every problem is an
``AudioError`` that names the file. ``reading_ahead`` starts the probe and the decoding early,
so that they run beside the reading of the transcript.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aligner.errors import AlignerError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # what aeneas (and most aligners) analyse; 16-bit mono
# Peak below this is "silent": -60 dBFS is far under speech (-30..0 dBFS) and above the
# dither/hiss of a muted channel.
SILENCE_DBFS = -60.0
# Decoded audio this much shorter than the container's stated duration means a cut-off file.
# Codecs pad or trim up to a few frames, and stated durations of VBR files are estimates.
TRUNCATION_TOLERANCE_MS = 1_000
TRUNCATION_TOLERANCE_FRACTION = 0.02
_CHUNK_FRAMES = SAMPLE_RATE * 60  # read converted audio a minute at a time


class AudioError(AlignerError):
    """A recording cannot be used: missing, unreadable, not audio, truncated or silent.

    Args:
        message: What is wrong.
        path: The recording the problem is in.
    """

    def __init__(self, message: str, *, path: Path | str) -> None:
        self.path = Path(path)
        self.reason = message
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True, slots=True)
class ConvertedAudio:
    """A temporary 16 kHz mono 16-bit WAV made from a recording.

    Attributes:
        path: The WAV; deleted when the ``temporary_wav`` block ends.
        duration_ms: Its length.
        source: The recording it was made from.
        peak_dbfs: Its loudest sample, in dB below full scale.
    """

    path: Path
    duration_ms: int
    source: Path
    peak_dbfs: float


def _ffmpeg(name: str) -> str:
    from pydub.utils import get_encoder_name, get_prober_name

    found = get_prober_name() if name == "ffprobe" else get_encoder_name()
    if found != name:  # pydub falls back to avconv/avprobe names, or the bare name if none
        log.debug("pydub found %s instead of %s", found, name)
    return str(found)


def _probe(path: Path) -> dict[str, Any]:
    """ffprobe's format and streams for ``path``, or AudioError."""
    if not path.exists():
        raise AudioError("file not found", path=path)
    if not path.is_file():
        raise AudioError("not a file", path=path)
    from pydub.utils import mediainfo_json

    try:
        info: dict[str, Any] = mediainfo_json(str(path))
    except FileNotFoundError as err:  # ffprobe itself is missing
        raise AudioError(
            f"cannot probe: {_ffmpeg('ffprobe')} not found (apt-get install ffmpeg)", path=path
        ) from err
    except (ValueError, KeyError, OSError) as err:
        raise AudioError(f"cannot read as media: {err}", path=path) from err
    if not info or "format" not in info:
        raise AudioError(f"unreadable as audio or video: {_probe_error(path)}", path=path)
    return info


def _probe_error(path: Path) -> str:
    """ffprobe's own complaint ("moov atom not found", "Invalid data found ...")."""
    command = [_ffmpeg("ffprobe"), "-v", "error", "-hide_banner", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    # Lines look like "[mov,mp4,... @ 0x55...] moov atom not found" then "PATH: Invalid data
    # found when processing input"; keep the messages, drop the prefixes.
    messages = [
        re.sub(r"^\[[^]]*\] ", "", line).replace(f"{path}: ", "")
        for line in done.stderr.strip().splitlines()
    ]
    return "; ".join(messages) or "ffprobe found no media in it"


def _audio_stream(info: dict[str, Any], path: Path) -> dict[str, Any]:
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        kinds = sorted({str(s.get("codec_type")) for s in info.get("streams", [])}) or ["none"]
        raise AudioError(f"not audio: no audio stream (streams: {', '.join(kinds)})", path=path)
    stream: dict[str, Any] = streams[0]
    return stream


def _seconds(value: object) -> float | None:
    """ffprobe's "12.345" or Matroska's "HH:MM:SS.fffffffff" as seconds."""
    if not isinstance(value, str | int | float):
        return None
    try:
        seconds = sum(float(part) * 60**i for i, part in enumerate(reversed(str(value).split(":"))))
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _stream_duration_ms(stream: dict[str, Any]) -> int | None:
    """The audio stream's own duration; Matroska keeps it in a ``DURATION`` tag."""
    tags = {str(k).lower(): v for k, v in stream.get("tags", {}).items()}
    seconds = _seconds(stream.get("duration")) or _seconds(tags.get("duration"))
    return round(seconds * 1000) if seconds else None


def _stated_duration_ms(info: dict[str, Any], stream: dict[str, Any]) -> int | None:
    # The container's duration is the longest stream's: a video may outlast its audio.
    seconds = _seconds(info.get("format", {}).get("duration"))
    return _stream_duration_ms(stream) or (round(seconds * 1000) if seconds else None)


def _wav_header_duration_ms(path: Path) -> int | None:
    """What a PCM WAV's header promises; ffprobe instead measures the bytes that are there."""
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() * 1000 // wav.getframerate()
    except (wave.Error, EOFError, OSError, ZeroDivisionError):
        return None  # not RIFF PCM (float, extensible, RF64...): nothing to compare


def probe_duration_ms(path: Path) -> int:
    """Duration of the first audio stream of ``path``, as the container states it.

    Cheap (ffprobe reads headers only), so a truncated file can report more than it holds;
    ``temporary_wav`` decodes and checks.

    Raises:
        AudioError: The file is missing, unreadable, has no audio stream or no duration.
    """
    ahead = _ahead(path)
    info = ahead.info() if ahead is not None else _probe(path)
    duration = _stated_duration_ms(info, _audio_stream(info, path))
    if duration is None:
        raise AudioError("unreadable: no duration in the audio stream or container", path=path)
    return duration


def _start_convert(path: Path, target: Path, sample_rate: int) -> subprocess.Popen[bytes]:
    """ffmpeg decoding ``path`` into ``target``, running; its messages go to ``target``.log."""
    # ffmpeg itself resamples and downmixes while decoding, streaming to disk. pydub's
    # AudioSegment.from_file would hold the whole decoded recording at its source rate in memory
    # (about 1.4 GB per hour for 48 kHz stereo float), and its ``parameters`` land after the
    # output name, where ffmpeg ignores them.
    command = [
        _ffmpeg("ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-y",
        "-i", str(path),
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-ac", "1", "-ar", str(sample_rate), "-c:a", "pcm_s16le", "-f", "wav",
        str(target),
    ]  # fmt: skip
    # A file, not a pipe: nobody reads ffmpeg's messages until it is done, and a pipe would
    # stall it once full (a corrupt file can yield a message per frame).
    with open(f"{target}.log", "wb") as messages:
        try:
            return subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=messages
            )
        except FileNotFoundError as err:
            raise AudioError(
                f"cannot convert: {command[0]} not found (apt-get install ffmpeg)", path=path
            ) from err


def _finish_convert(proc: subprocess.Popen[bytes], path: Path, target: Path) -> None:
    """Wait for ``_start_convert``'s ffmpeg; AudioError if it failed."""
    code = proc.wait()
    stderr = Path(f"{target}.log").read_text(encoding="utf-8", errors="replace").strip()
    if code != 0:
        detail = stderr.splitlines()[-1:] or [f"exit {code}"]
        raise AudioError(f"cannot decode the audio: {detail[0]}", path=path)
    if stderr:
        # Decoding errors that ffmpeg survived (corrupt frames, a cut-off last packet).
        log.warning("%s: ffmpeg: %s", path, stderr.splitlines()[0])


def _convert(path: Path, target: Path, sample_rate: int) -> None:
    proc = _start_convert(path, target, sample_rate)
    try:
        _finish_convert(proc, path, target)
    except BaseException:  # interrupted while waiting: ffmpeg must not outlive us
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise


class _Ahead:
    """A recording probed and decoded in the background (``reading_ahead``).

    ffprobe runs in a thread (pydub waits on it, which frees the GIL) and ffmpeg as a process
    of its own, both on the other core while this one reads the transcript, cuts it and
    imports the aligner. Nothing is reported here: ``info`` and ``take`` raise what went
    wrong when the work is needed, so errors come in the same order as without reading ahead.
    """

    def __init__(self, path: Path, sample_rate: int) -> None:
        self.path = path
        self.sample_rate = sample_rate
        self.folder = Path(tempfile.mkdtemp(prefix="aligner-audio-"))
        self.target = self.folder / "audio.wav"
        self.taken = False
        self._info: dict[str, Any] | None = None
        self._error: AudioError | None = None
        self._thread = threading.Thread(target=self._probe, name="aligner-probe", daemon=True)
        self._thread.start()
        self._proc: subprocess.Popen[bytes] | None = None
        self._start_error: AudioError | None = None
        try:
            self._proc = _start_convert(path, self.target, sample_rate)
        except AudioError as err:
            self._start_error = err
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _probe(self) -> None:
        try:
            self._info = _probe(self.path)
        except AudioError as err:
            self._error = err

    def info(self) -> dict[str, Any]:
        """ffprobe's format and streams, waiting for it; AudioError as ``_probe`` raises."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._info is not None
        return self._info

    def take(self) -> Path:
        """The folder holding the decoded ``audio.wav``, now the caller's to delete; waits
        for ffmpeg, AudioError if it failed (and then deletes what it wrote). Taken once,
        either way: a later call decodes on its own."""
        self.taken = True
        try:
            if self._start_error is not None:
                raise self._start_error
            assert self._proc is not None
            _finish_convert(self._proc, self.path, self.target)
        except BaseException:
            self.drop()
            raise
        return self.folder

    def drop(self) -> None:
        """Stop ffmpeg if it still runs and delete what it wrote."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_reading = threading.local()  # each thread's recordings read ahead, by resolved path


def _ahead(path: Path) -> _Ahead | None:
    found: dict[Path, _Ahead] = getattr(_reading, "ahead", {})
    try:
        ahead = found.get(Path(path).resolve())
    except OSError:
        return None
    return ahead if ahead is not None and not ahead.taken else None


@contextlib.contextmanager
def reading_ahead(path: Path | None, *, sample_rate: int = SAMPLE_RATE) -> Iterator[None]:
    """Probe and decode ``path`` in the background while the block runs.

    Inside the block (and the same thread), ``probe_duration_ms(path)`` and the first
    ``temporary_wav(path)`` use that work instead of starting their own: the recording is
    decoded while the transcript is read and cut, not after. At the end of the block, work
    nobody took is stopped and its files deleted. Nothing is started for ``None``, a path that
    is not a readable file (the usual calls then say what is wrong), or a path already being
    read ahead.
    """
    found: dict[Path, _Ahead] = _reading.__dict__.setdefault("ahead", {})
    key = Path(path).resolve() if path is not None else None
    if path is None or key is None or key in found or not key.is_file():
        yield
        return
    found[key] = ahead = _Ahead(Path(path), sample_rate)
    try:
        yield
    finally:
        del found[key]
        if not ahead.taken:
            ahead.drop()


def _wav_stats(target: Path) -> tuple[int, int]:
    """Frames and peak absolute sample of a 16-bit mono WAV, reading a minute at a time."""
    from pydub import AudioSegment

    peak = 0
    with wave.open(str(target), "rb") as wav:
        frames = wav.getnframes()
        rate = wav.getframerate()
        while chunk := wav.readframes(_CHUNK_FRAMES):
            segment = AudioSegment(data=chunk, sample_width=2, frame_rate=rate, channels=1)
            peak = max(peak, int(segment.max))
    return frames, peak


@contextlib.contextmanager
def temporary_wav(path: Path, *, sample_rate: int = SAMPLE_RATE) -> Iterator[ConvertedAudio]:
    """Convert a recording to a temporary mono 16-bit WAV, deleted when the block ends.

    Takes anything ffmpeg decodes: mp3, wav, m4a, ogg, opus, flac, and the first audio stream
    of a video (mp4, mkv, ...). The input file is only read.

    Args:
        path: The recording.
        sample_rate: Rate of the WAV in Hz.

    Yields:
        The WAV's path and duration.

    Raises:
        AudioError: The file is missing, unreadable, has no audio stream, decodes to nothing or
            to much less than its stated duration (truncated), or is silent.
    """
    path = Path(path)
    ahead = _ahead(path)
    if ahead is not None and ahead.sample_rate != sample_rate:
        ahead = None
    info = ahead.info() if ahead is not None else _probe(path)
    stream = _audio_stream(info, path)
    # Only the stream's own duration can reveal a cut-off file: the container's may be a video's.
    stated_ms = _stream_duration_ms(stream)
    if info["format"].get("format_name") == "wav":
        stated_ms = max(stated_ms or 0, _wav_header_duration_ms(path) or 0) or None
    with contextlib.ExitStack() as cleanup:
        if ahead is not None:
            folder = ahead.take()
            cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
        else:
            folder = Path(
                cleanup.enter_context(tempfile.TemporaryDirectory(prefix="aligner-audio-"))
            )
            _convert(path, folder / "audio.wav", sample_rate)
        target = folder / "audio.wav"
        try:
            frames, peak = _wav_stats(target)
        except (wave.Error, EOFError) as err:
            raise AudioError(f"decoded audio is unreadable: {err}", path=path) from err
        duration_ms = frames * 1000 // sample_rate
        if duration_ms == 0:
            raise AudioError("no audio: the audio stream decodes to 0 samples", path=path)
        if stated_ms is not None:
            missing = stated_ms - duration_ms
            if missing > max(TRUNCATION_TOLERANCE_MS, TRUNCATION_TOLERANCE_FRACTION * stated_ms):
                raise AudioError(
                    f"truncated: the file states {stated_ms / 1000:.3f} s of audio but only "
                    f"{duration_ms / 1000:.3f} s decode",
                    path=path,
                )
        peak_dbfs = 20 * math.log10(peak / 32768) if peak else -math.inf
        if peak_dbfs < SILENCE_DBFS:
            raise AudioError(
                f"silent: the loudest sample is {peak_dbfs:.1f} dBFS (below {SILENCE_DBFS:g})",
                path=path,
            )
        yield ConvertedAudio(target, duration_ms, path, peak_dbfs)


def speech_start_ms(
    audio: ConvertedAudio,
    *,
    below_peak_db: float = 35.0,
    window_ms: int = 10,
    search_ms: int = 120_000,
) -> int | None:
    """Start of the first window whose loudness is within ``below_peak_db`` of the peak.

    Args:
        audio: A WAV from ``temporary_wav``.
        below_peak_db: Windows quieter than the peak by more than this are silence. 35 dB sits
            above a typical room-noise floor and below quiet speech.
        window_ms: Window length.
        search_ms: Look this far in; ``None`` if nothing is loud enough by then.

    Returns:
        Milliseconds from the start, or ``None``.
    """
    from pydub import AudioSegment
    from pydub.silence import detect_leading_silence

    head = AudioSegment.from_wav(str(audio.path))[:search_ms]
    threshold = audio.peak_dbfs - below_peak_db
    start = int(detect_leading_silence(head, silence_threshold=threshold, chunk_size=window_ms))
    return start if start < len(head) else None
