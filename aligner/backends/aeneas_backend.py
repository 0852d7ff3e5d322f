"""Forced alignment with aeneas (TTS + MFCC + DTW), run in a worker process.

aeneas is AGPL-3.0: it is imported only here, and only in the worker. The worker is this module
run as ``python -m aligner.backends.aeneas_backend``: a JSON request on stdin, a JSON answer on
stdout. A separate process because a second aeneas task in one process can hang for good inside
espeak-ng (measured: audio head detection, which synthesizes a second time, never returns), and
because a hung or crashed engine must become an ``AlignmentError``, not a stuck caller.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json
import logging
import os
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aligner import vad
from aligner.audio import ConvertedAudio, speech_start_ms, temporary_wav
from aligner.backends import Progress, ProgressFn
from aligner.errors import AlignmentError, BackendUnavailableError
from aligner.model import Cue, Line
from aligner.segment import SegmentRules

log = logging.getLogger(__name__)

INSTALL = (
    'pip install "numpy<2" setuptools wheel && '
    "pip install --no-build-isolation aeneas==1.7.3.0 "
    "(needs: apt-get install espeak-ng libespeak-ng-libespeak-dev ffmpeg build-essential)"
)
# aeneas runs at 0.003-0.01 x real time on 2 cores (alignment-anchors.md §2.4); the base covers
# process start-up and imports (about 1 s), the factor leaves 25x headroom on slow machines.
TIMEOUT_BASE_S = 60.0
TIMEOUT_PER_AUDIO_S = 0.25
# Pauses at least this long that hold a cue boundary are cut out of the cues. Measured on
# synthetic speech: cue ends 300-1200 ms late without it, within 35 ms with it (§2.4 agrees).
NONSPEECH_MIN_MS = 300
# A 10 ms window this far below the recording's peak is silence, for finding where speech
# starts: aeneas always starts the first cue at 0 (its head detection is what hangs).
LEADING_SILENCE_DB = 35.0
# A recording longer than 1.5 windows is aligned a window at a time, cut where our guide
# (dtw_backend) sees a pause between two cues: aeneas's memory grows with the square of a
# task's length (0.6 GB for 10 minutes, 3-3.5 GB for an hour), a window's does not.
WINDOW_S = 240


@dataclass(frozen=True, slots=True)
class _Span:
    index: int
    start_ms: int
    end_ms: int


class AeneasAligner:
    """Times Lines against a recording with aeneas, one text fragment per Line.

    Args:
        timeout_s: Seconds before the worker is killed; default grows with the audio's length.
        mask_nonspeech: Run the DTW on speech frames only (more accurate on long files).
        nonspeech_min_ms: Cut pauses at least this long out of the cues at their boundaries,
            so cues end where speech ends; ``None`` returns aeneas's back-to-back cues.
        assess: Give every cue a confidence and ``needs_review`` (the dtw backend's measure).
    """

    name = "aeneas"

    def __init__(
        self,
        *,
        timeout_s: float | None = None,
        mask_nonspeech: bool = True,
        nonspeech_min_ms: int | None = NONSPEECH_MIN_MS,
        assess: bool = True,
    ) -> None:
        if importlib.util.find_spec("aeneas") is None:
            raise BackendUnavailableError(f"the aeneas aligner needs aeneas: {INSTALL}")
        self.timeout_s = timeout_s
        self.mask_nonspeech = mask_nonspeech
        self.nonspeech_min_ms = nonspeech_min_ms
        self.assess = assess

    def align(
        self,
        lines: Sequence[Line],
        audio: Path | None,
        *,
        rules: SegmentRules,
        on_progress: ProgressFn | None = None,
    ) -> list[Cue]:
        """One Cue per Line, in order, from aeneas's REGULAR fragments.

        Raises:
            AlignmentError: No audio, the worker failed or timed out, or its answer does not
                cover every Line.
            AudioError: The recording cannot be used.
            BackendUnavailableError: aeneas, its C extensions or a NumPy < 2 are missing.
        """
        if audio is None:
            raise AlignmentError("the aeneas aligner needs a recording (--audio)")
        if not lines:
            return []
        total = len(lines)
        if on_progress is not None:
            on_progress(Progress(0, total))
        from aligner.backends.dtw_backend import Reference

        with temporary_wav(audio) as wav:
            # Our engine's view of the recording: to cut a long one into windows, and to
            # score the cues (aeneas gives no confidence).
            reference = None
            windows = [(0, total, 0, wav.duration_ms)]
            if wav.duration_ms > WINDOW_S * 1000 * 1.5:
                reference = Reference(lines, wav.path, wav.source)
                pauses = _pauses(reference.heard.regions)
                windows = _windows(reference.locate(), wav.duration_ms, pauses)
            spans: list[_Span] = []
            for first, end, start_ms, end_ms in windows:
                part = self._run_window(lines[first:end], wav, start_ms, end_ms)
                spans += [_Span(first + s.index, s.start_ms, s.end_ms) for s in part]
                if on_progress is not None:
                    on_progress(Progress(end, total))
            if self.assess and reference is None:
                reference = Reference(lines, wav.path, wav.source)
            speech_ms = speech_start_ms(wav, below_peak_db=LEADING_SILENCE_DB)
            heard = (
                reference.heard.regions
                if reference is not None
                else vad.regions(vad.measure_wav(wav.path))
            )
            talk = [r for r in heard if r.kind == "speech"]
            spans = _fix_spans(spans, first_speech_ms=speech_ms)
            spans = _fit_spans(spans, talk)
            cues = [Cue.from_line(lines[s.index], s.start_ms, s.end_ms) for s in spans]
            if self.assess and reference is not None:
                cues = reference.assess(cues)
        if on_progress is not None:
            on_progress(Progress(total, total))
        return cues

    def _run_window(
        self, lines: Sequence[Line], wav: ConvertedAudio, start_ms: int, end_ms: int
    ) -> list[_Span]:
        """``lines`` aligned by aeneas on ``start_ms..end_ms`` of ``wav``, in its times."""
        if start_ms == 0 and end_ms >= wav.duration_ms:
            return self._run_worker(lines, wav)
        with tempfile.TemporaryDirectory(prefix="aligner-window-") as folder:
            path = Path(folder) / "window.wav"
            _cut_wav(wav.path, path, start_ms, end_ms)
            window = dataclasses.replace(wav, path=path, duration_ms=end_ms - start_ms)
            part = self._run_worker(lines, window)
        return [_Span(s.index, s.start_ms + start_ms, s.end_ms + start_ms) for s in part]

    def _run_worker(self, lines: Sequence[Line], wav: ConvertedAudio) -> list[_Span]:
        timeout = self.timeout_s
        if timeout is None:
            timeout = TIMEOUT_BASE_S + TIMEOUT_PER_AUDIO_S * wav.duration_ms / 1000
        with tempfile.TemporaryDirectory(prefix="aligner-aeneas-") as scratch:
            request = {
                "audio": str(wav.path),
                "tmp": scratch,  # aeneas's own temp files; gone even if the worker is killed
                "mask_nonspeech": self.mask_nonspeech,
                "nonspeech_min_ms": self.nonspeech_min_ms,
                "fragments": [
                    {"id": str(i), "language": line.language, "lines": line.lines}
                    for i, line in enumerate(lines)
                ],
            }
            answer = _call_worker(request, timeout=timeout, audio=wav.source)
        return _spans_from_answer(answer, len(lines), audio=wav.source)


def _worker_env() -> dict[str, str]:
    # The worker must import this very package, wherever it was imported from.
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([root, path]) if path else root,
        "PYTHONIOENCODING": "utf-8",
    }


def _call_worker(request: dict[str, Any], *, timeout: float, audio: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "aligner.backends.aeneas_backend"]
    try:
        done = subprocess.run(
            command,
            input=json.dumps(request),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            env=_worker_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as err:  # subprocess.run has killed the worker
        raise AlignmentError(
            f"aeneas did not finish aligning {audio} within {timeout:g} s; killed it"
        ) from err
    except OSError as err:
        raise AlignmentError(f"cannot start the aeneas worker ({command[0]}): {err}") from err
    for line in done.stderr.strip().splitlines()[-20:]:
        log.debug("aeneas worker: %s", line)
    try:
        answer: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:]) or "no output"
        raise AlignmentError(
            f"the aeneas worker died aligning {audio} (exit {done.returncode}): {tail}"
        ) from None
    if not answer.get("ok"):
        message = str(answer.get("error", "unknown error"))
        if answer.get("kind") == "unavailable":
            raise BackendUnavailableError(f"{message}; install: {INSTALL}")
        raise AlignmentError(f"aeneas failed to align {audio}: {message}")
    return answer


def _pauses(regions: Sequence[vad.Region]) -> list[tuple[int, int]]:
    """The gaps between the speech regions among ``regions``, in ms."""
    talk = [r for r in regions if r.kind == "speech"]
    return [(a.end_ms, b.start_ms) for a, b in itertools.pairwise(talk) if b.start_ms > a.end_ms]


def _windows(
    located: Sequence[tuple[int, int] | None],
    duration_ms: int,
    pauses: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int, int, int]]:
    """The recording cut into windows of about ``WINDOW_S`` for one aeneas task each.

    ``located`` is where our guide puts each line (ms), None where it found nothing. A window
    is ``(first line, end line, start ms, end ms)``. Windows are cut between two found lines,
    in the middle of the longest pause in ``pauses`` within a second of the gap the guide sees
    between them (else in the middle of that gap), so that each task's text covers its audio.

    Example:
        >>> _windows([(0, 100_000), (101_000, 200_000), (202_000, 300_000)], 301_000)
        [(0, 2, 0, 201000), (2, 3, 201000, 301000)]
        >>> _windows([(0, 100_000), (101_000, 200_000), (202_000, 300_000)], 301_000,
        ...          [(199_500, 200_500)])
        [(0, 2, 0, 200000), (2, 3, 200000, 301000)]
    """
    out: list[tuple[int, int, int, int]] = []
    first, start_ms = 0, 0
    previous_end: int | None = None
    for k, span in enumerate(located):
        if span is None:
            continue
        if previous_end is not None and k > first and span[1] - start_ms > WINDOW_S * 1000:
            cut = _cut_between(previous_end, span[0], pauses)
            if start_ms < cut < duration_ms:
                out.append((first, k, start_ms, cut))
                first, start_ms = k, cut
        previous_end = span[1]
    out.append((first, len(located), start_ms, duration_ms))
    return out


def _cut_between(end_ms: int, start_ms: int, pauses: Sequence[tuple[int, int]]) -> int:
    """Where to cut between a cue the guide ends at ``end_ms`` and one it starts at
    ``start_ms``: the middle of the longest pause within a second of that gap."""
    lo, hi = min(end_ms, start_ms) - 1000, max(end_ms, start_ms) + 1000
    best: tuple[int, int] | None = None
    for pause in pauses:
        a, z = max(pause[0], lo), min(pause[1], hi)
        if z > a and (best is None or z - a > best[1] - best[0]):
            best = (a, z)
    if best is None:
        return (end_ms + start_ms) // 2
    return (best[0] + best[1]) // 2


def _cut_wav(source: Path, target: Path, start_ms: int, end_ms: int) -> None:
    """``start_ms..end_ms`` of a WAV as a WAV of its own."""
    with wave.open(str(source), "rb") as reader, wave.open(str(target), "wb") as writer:
        writer.setparams(reader.getparams())
        rate = reader.getframerate()
        reader.setpos(min(reader.getnframes(), start_ms * rate // 1000))
        writer.writeframes(reader.readframes((end_ms - start_ms) * rate // 1000))


def _spans_from_answer(answer: dict[str, Any], count: int, *, audio: Path) -> list[_Span]:
    spans: dict[int, _Span] = {}
    for item in answer.get("fragments", []):
        index = int(item["id"])
        if index in spans or not 0 <= index < count:
            raise AlignmentError(f"aeneas returned fragment {index} twice or out of range")
        spans[index] = _Span(index, int(item["begin_ms"]), int(item["end_ms"]))
    missing = sorted(set(range(count)) - set(spans))
    if missing:
        raise AlignmentError(f"aeneas returned no time for lines {missing[:10]} of {audio}")
    return [spans[i] for i in range(count)]


def _fit_spans(spans: list[_Span], talk: list[vad.Region]) -> list[_Span]:
    """Spans moved onto the speech they cover, never onto each other.

    aeneas returns back-to-back fragments: applause or a pause before a cue is folded into it
    and a cue ends wherever the next begins. ``vad.fit_to_speech`` fixes both.
    """
    out: list[_Span] = []
    for span in spans:
        start, end = vad.fit_to_speech(span.start_ms, span.end_ms, talk)
        if out and start <= out[-1].end_ms:
            start = max(span.start_ms, out[-1].end_ms + 1)
        if end <= start:
            start, end = span.start_ms, span.end_ms
            if out and start <= out[-1].end_ms:
                start = out[-1].end_ms + 1
                end = max(end, start + 1)
        out.append(_Span(span.index, start, end))
    return out


def _fix_spans(spans: list[_Span], *, first_speech_ms: int | None) -> list[_Span]:
    """Make every span positive and non-overlapping, and start the first at the speech.

    aeneas's ``aba_no_zero`` already shifts zero-length fragments by 1 ms; this is the guard
    that keeps ``Cue`` from raising if one slips through (or rounding to ms collapses one).

    Example:
        >>> [(s.start_ms, s.end_ms) for s in _fix_spans(
        ...     [_Span(0, 0, 900), _Span(1, 900, 900), _Span(2, 900, 2000)], first_speech_ms=480)]
        [(480, 900), (900, 901), (901, 2000)]
    """
    fixed: list[_Span] = []
    previous_end = 0
    for span in spans:
        start = max(span.start_ms, previous_end)
        if not fixed and first_speech_ms is not None and start < first_speech_ms < span.end_ms:
            start = first_speech_ms
        end = max(span.end_ms, start + 1)
        if (start, end) != (span.start_ms, span.end_ms) and fixed:
            log.debug(
                "aeneas: line %d moved from %d-%d to %d-%d ms",
                span.index,
                span.start_ms,
                span.end_ms,
                start,
                end,
            )
        fixed.append(_Span(span.index, start, end))
        previous_end = end
    return fixed


# ---------------------------------------------------------------------------------------------
# Worker side: everything below runs in the child process only.


def _aeneas_language(tag: str, table: dict[str, str]) -> str:
    """BCP 47 tag to a language code of aeneas's eSpeak wrapper, shortest match last.

    ``en-GB`` -> ``en-gb``; ``zh-Hans-CN`` -> ``zh``; ``eng`` stays ``eng``.
    """
    known = {code.lower(): code for code in table}
    parts = tag.replace("_", "-").lower().split("-")
    for n in range(len(parts), 0, -1):
        code = known.get("-".join(parts[:n]))
        if code is not None:
            return code
    raise ValueError(f"language {tag!r} is not supported by aeneas's eSpeak voices")


def _worker_align(request: dict[str, Any]) -> dict[str, Any]:
    try:
        import numpy

        if int(numpy.__version__.split(".")[0]) >= 2:
            # aeneas 1.7.3 reads WAV with numpy.fromstring, removed in NumPy 2, and then
            # reports "Audio format not supported".
            return {
                "ok": False,
                "kind": "unavailable",
                "error": f"aeneas 1.7.3 needs NumPy < 2, found {numpy.__version__}",
            }
        import aeneas.cdtw.cdtw
        import aeneas.cew.cew
        import aeneas.cmfcc.cmfcc  # noqa: F401  (without them aeneas is 30-50x slower)
        import aeneas.globalconstants as gc
        from aeneas.exacttiming import TimeValue
        from aeneas.executetask import ExecuteTask
        from aeneas.runtimeconfiguration import RuntimeConfiguration
        from aeneas.syncmap.fragment import SyncMapFragment
        from aeneas.task import Task, TaskConfiguration
        from aeneas.textfile import TextFile, TextFragment
        from aeneas.ttswrappers.espeakttswrapper import ESPEAKTTSWrapper
    except ImportError as err:
        return {"ok": False, "kind": "unavailable", "error": f"cannot import aeneas: {err}"}

    table = ESPEAKTTSWrapper.LANGUAGE_TO_VOICE_CODE
    text_file = TextFile()
    try:
        for fragment in request["fragments"]:
            lines = [line.strip() for line in fragment["lines"]]
            text_file.add_fragment(
                TextFragment(
                    identifier=fragment["id"],
                    language=_aeneas_language(fragment["language"], table),
                    lines=lines,
                    filtered_lines=lines,
                )
            )
    except ValueError as err:
        return {"ok": False, "kind": "input", "error": str(err)}

    config = TaskConfiguration()
    # The task language only picks the default voice; every fragment carries its own.
    config[gc.PPN_TASK_LANGUAGE] = text_file.fragments[0].language
    config[gc.PPN_TASK_ADJUST_BOUNDARY_NO_ZERO] = True
    if request["nonspeech_min_ms"] is not None:
        config[gc.PPN_TASK_ADJUST_BOUNDARY_NONSPEECH_MIN] = TimeValue(
            str(request["nonspeech_min_ms"] / 1000)
        )
        config[gc.PPN_TASK_ADJUST_BOUNDARY_NONSPEECH_STRING] = "REMOVE"
    task = Task()
    task.configuration = config
    task.text_file = text_file
    task.audio_file_path_absolute = request["audio"]

    rconf = RuntimeConfiguration()
    rconf[RuntimeConfiguration.TMP_PATH] = request["tmp"]
    rconf[RuntimeConfiguration.MFCC_MASK_NONSPEECH] = bool(request["mask_nonspeech"])
    try:
        ExecuteTask(task, rconf=rconf).execute()
    except Exception as err:  # aeneas raises bare Exception subclasses of its own
        return {"ok": False, "kind": "aeneas", "error": f"{type(err).__name__}: {err}"}

    def ms(value: Any) -> int:  # TimeValue is a Decimal: exact until this one rounding
        return int(round(value * 1000))  # noqa: RUF046  (Decimal round() is typed Any here)

    leaves = task.sync_map_leaves(SyncMapFragment.REGULAR)  # HEAD/TAIL are padding
    return {
        "ok": True,
        "fragments": [
            {"id": f.text_fragment.identifier, "begin_ms": ms(f.begin), "end_ms": ms(f.end)}
            for f in leaves
        ],
    }


def _worker_main() -> int:
    # Whatever aeneas or espeak-ng print goes to stderr; stdout carries only the answer.
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        answer = _worker_align(json.loads(sys.stdin.read()))
    except Exception as err:  # report, never die silently: the parent needs a reason
        answer = {"ok": False, "kind": "worker", "error": f"{type(err).__name__}: {err}"}
    with os.fdopen(answer_fd, "w", encoding="utf-8") as out:
        json.dump(answer, out)
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
