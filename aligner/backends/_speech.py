"""The speech of the dtw aligner: cue texts in, espeak-ng speech's MFCCs out.

``python -m aligner.backends._speech`` reads a JSON list of ``[text, language, marks]`` on
standard input and writes each one's features as they are made, with the frame where the word
at each mark (a character position: where a display line starts) begins. It imports only what
it needs, so the process stays small beside the aligner. ``Synth`` runs it and reads the
features back.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from aligner import features, native, tts
from aligner.errors import BackendUnavailableError
from aligner.model import Line

TTS_RATE_WPM = 190
# MFCCs 1-8 only: the higher ones describe the voice more than what is said, and a synthetic
# voice must match every speaker (measured: the gap between right and wrong text grows from
# 0.01 to 0.07 in cosine distance on four espeak-ng voices).
N_COEFFS = 8


def _speak_all(items: list[tuple[str, str, list[int]]], out: BinaryIO) -> None:
    """In the speech process: for each ``(text, language, marks)``, its MFCCs (10 ms frames)
    as ``rows`` (4 bytes, little-endian) then ``rows * N_COEFFS`` float32 values, then the
    count of marks (4 bytes) and the frame of each (4 bytes each)."""
    speaker = tts.shared()
    for text, language, marks in items:
        samples, at = speaker.speak_marked(text, marks, language=language, rate_wpm=TTS_RATE_WPM)
        if len(samples) == 0:
            samples = np.zeros(features.WINDOW, dtype=np.int16)
        coeffs = np.ascontiguousarray(features.mfcc(samples)[:, :N_COEFFS], dtype="<f4")
        out.write(len(coeffs).to_bytes(4, "little"))
        out.write(coeffs.tobytes())
        frames = [min(sample // features.HOP, len(coeffs)) for sample in at]
        out.write(len(frames).to_bytes(4, "little"))
        out.write(np.asarray(frames, dtype="<i4").tobytes())
        out.flush()


def line_marks(line: Line) -> list[int]:
    """Where each display line after the first starts in ``" ".join(line.lines)``.

    Example:
        >>> line_marks(Line("A", "Good afternoon,\\neveryone.", "en", 0, True))
        [16]
    """
    marks: list[int] = []
    at = 0
    for row in line.lines[:-1]:
        at += len(row) + 1
        marks.append(at)
    return marks


def _start() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "aligner.backends._speech"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=native.single_threaded_env(),
    )


_early = threading.local()  # each thread's speech process started ahead (``speaking_ahead``)


@contextlib.contextmanager
def speaking_ahead() -> Iterator[None]:
    """Start the speech process now; the first ``Synth`` inside the block (same thread) takes
    it, instead of starting its own once the cues are known.

    The process spends 0.15 s starting Python, importing and loading espeak-ng before it can
    say anything; started ahead, it does that while the transcript is read and cut. At the
    end of the block a process nobody took is stopped. Nested blocks start nothing.
    """
    if getattr(_early, "process", None) is not None or getattr(_early, "active", False):
        yield
        return
    _early.active = True
    _early.process = _start()
    try:
        yield
    finally:
        process, _early.process = _early.process, None
        _early.active = False
        if process is not None:  # nobody took it
            process.kill()
            process.communicate()


class Synth:
    """The cues' synthesized speech, made in a process of its own, in order, ahead of use.

    libespeak-ng's output for a text depends on everything it said before in the process, and
    restarting the library does not reset that. A fresh process per recording, fed the cues in
    order, makes the same recording and text give the same cues and confidences whatever else
    ran before (batch workers, Dask). It also runs beside the DTW, on the other core. It is a
    plain subprocess (``python -m aligner.backends._speech``, which imports little), which
    Dask's daemonic workers may start where multiprocessing may not.
    """

    def __init__(self, lines: Sequence[Line]) -> None:
        items = [(" ".join(line.lines), line.language, line_marks(line)) for line in lines]
        early = getattr(_early, "process", None)
        _early.process = None
        self._process = early if early is not None else _start()
        assert self._process.stdin is not None
        # A process that has stopped (espeak-ng missing) breaks the pipe: ``_read`` then says
        # why, from what it wrote on standard error.
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.write(json.dumps(items).encode("utf-8"))
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        self._ready: list[tuple[npt.NDArray[np.float32], tuple[int, ...]]] = []
        self._count = len(items)
        self._done = threading.Condition()
        self._failed: str | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        try:
            for _ in range(self._count):
                head = stream.read(4)
                if len(head) < 4:
                    raise EOFError("the speech process stopped early")
                rows = int.from_bytes(head, "little")
                data = stream.read(rows * N_COEFFS * 4)
                frames = np.frombuffer(data, dtype="<f4").reshape(rows, N_COEFFS).copy()
                head = stream.read(4)
                count = int.from_bytes(head, "little")
                marks = tuple(int(m) for m in np.frombuffer(stream.read(4 * count), dtype="<i4"))
                if len(head) < 4 or len(marks) != count:
                    raise EOFError("the speech process stopped early")
                with self._done:
                    self._ready.append((frames, marks))
                    self._done.notify_all()
        except (EOFError, ValueError) as err:
            error = (
                self._process.stderr.read().decode("utf-8", "replace")
                if self._process.stderr
                else ""
            )
            with self._done:
                self._failed = (error.strip().splitlines() or [str(err)])[-1]
                self._done.notify_all()

    def raw(self, k: int) -> npt.NDArray[np.float32]:
        """Cue ``k``'s speech as MFCCs, 10 ms frames; waits for it."""
        return self._get(k)[0]

    def marks(self, k: int) -> tuple[int, ...]:
        """The frame of ``raw(k)`` where each of cue ``k``'s display lines after the first
        starts (the first word espeak-ng reports in it)."""
        return self._get(k)[1]

    def _get(self, k: int) -> tuple[npt.NDArray[np.float32], tuple[int, ...]]:
        with self._done:
            while len(self._ready) <= k and self._failed is None:
                self._done.wait()
            if len(self._ready) <= k:
                raise BackendUnavailableError(f"speech synthesis failed: {self._failed}")
            return self._ready[k]

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._reader.join(timeout=5)
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Synth:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    native.keep_freed_blocks()
    tts.shared()  # loaded before the cues arrive: the process may be started ahead of them
    _speak_all(json.loads(sys.stdin.buffer.read()), sys.stdout.buffer)
