"""run_batch(): hand items to an executor, write their outputs, state files, log and report."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from aligner.batch.executors import Executor
from aligner.batch.items import BatchError, Inputs, Item
from aligner.batch.report import ItemResult, render_csv, render_json, report_paths
from aligner.batch.work import Outcome, file_sha256, one_line, process_item
from aligner.errors import OutputError
from aligner.pipeline import write_atomically

log = logging.getLogger(__name__)

STATE_DIR = ".aligner-batch"
LOG_NAME = "batch.log"
STATE_SCHEMA = 1


class BatchProgress(NamedTuple):
    """How far a batch has come, after each item."""

    done: int
    total: int
    ok: int
    skipped: int
    failed: int
    last: ItemResult | None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


BatchProgressFn = Callable[[BatchProgress], None]


@dataclass(frozen=True, slots=True)
class BatchReport:
    """The results of a batch, by item name, and where the report files are."""

    results: tuple[ItemResult, ...]
    unpaired: tuple[str, ...]
    report_json: Path
    report_csv: Path
    seconds: float

    @property
    def failed(self) -> tuple[ItemResult, ...]:
        return tuple(r for r in self.results if r.status == "failed")

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


# Output folders (their state folders, resolved) a batch of this process is writing into.
_HELD: set[Path] = set()
_HELD_GUARD = threading.Lock()


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder; the kernel drops it when this process ends.

    A POSIX record lock (``lockf``): it belongs to this process alone. An ``flock`` belongs to
    the open file, which forked workers share, so the folder stayed locked while any of them
    lived: a few ms after the group was killed, for ever after this process alone was killed,
    and into a second run with the same executor. Record locks of one process do not exclude
    each other, hence ``_HELD``; closing any descriptor of the file drops them, hence the file
    is opened only when ``_HELD`` allows it.
    """
    key = state_dir.resolve()
    busy = BatchError(f"{state_dir.parent}: another batch is writing into this folder")
    with _HELD_GUARD:
        if key in _HELD:
            raise busy
        _HELD.add(key)
    try:
        with (state_dir / "lock").open("a") as handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                if err.errno in (errno.EACCES, errno.EAGAIN):
                    raise busy from None
                raise BatchError(f"{handle.name}: cannot lock ({err.strerror})") from err
            yield
    finally:
        with _HELD_GUARD:
            _HELD.discard(key)


def _remove_stale_temporaries(out_dir: Path, names: list[str]) -> None:
    """Delete what a killed run left of ``write_atomically``: ``.<name>.<random>.tmp``.

    Only names this batch writes, and only under the lock, so nobody else's file is touched.
    """
    for name in names:
        for leftover in out_dir.glob(f".{name}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()
                log.debug("removed %s, left by an interrupted run", leftover)


def _read_state(path: Path) -> dict[str, object] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("schema") == STATE_SCHEMA else None


def _intact(state: dict[str, object] | None, item: Item, out_dir: Path) -> bool:
    """The state says ok and every output it lists is there with the bytes it recorded."""
    if state is None or state.get("status") != "ok":
        return False
    outputs = state.get("outputs")
    if not isinstance(outputs, dict) or sorted(outputs) != sorted(item.output_names()):
        return False
    try:
        return all(file_sha256(out_dir / name) == sha for name, sha in outputs.items())
    except OSError:
        return False


def _state_json(item: Item, outcome: Outcome, outputs: dict[str, str], error: str | None) -> str:
    state = {
        "schema": STATE_SCHEMA,
        "item": item.name,
        "status": "failed" if error else "ok",
        "error": error,
        "digest": outcome.digest,
        "transcript": str(item.transcript),
        "audio": str(item.audio) if item.audio else None,
        "aligner": item.backend(),
        "outputs": outputs,
        **(_state_counts(outcome) if error is None else {}),
    }
    return json.dumps(state, indent=2, ensure_ascii=False) + "\n"


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _state_counts(outcome: Outcome) -> dict[str, object]:
    return {
        "cues": outcome.cues,
        "review": outcome.review,
        "audio_ms": outcome.audio_ms,
        "subtitles_ms": outcome.subtitles_ms,
    }


class _Batch:
    """The bookkeeping of one run, in the process that started it."""

    def __init__(self, inputs: Inputs, out_dir: Path, on_progress: BatchProgressFn | None):
        self.inputs = inputs
        self.out_dir = out_dir
        self.state_dir = out_dir / STATE_DIR
        self.on_progress = on_progress
        self.results: dict[int, ItemResult] = {}  # by position in inputs.items
        self.tally: dict[str, int] = {}  # results by status
        self.states: dict[str, dict[str, object] | None] = {}

    def state_path(self, item: Item) -> Path:
        return self.state_dir / f"{item.name}.json"

    def log_line(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{stamp} {' '.join(text.split())}\n".encode()
        # One write on an O_APPEND descriptor: a killed run loses at most its last line.
        fd = os.open(self.out_dir / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def record(self, position: int, item: Item, outcome: Outcome) -> ItemResult:
        """Write a made item's files (outputs, then state), and note its result."""
        error = outcome.error
        outputs: tuple[str, ...] = ()
        counts: dict[str, object] = {}
        if outcome.unchanged:
            status, outputs = "skipped", tuple(item.output_names())
            counts = self.states[item.name] or {}
        elif error is None:
            files = [
                (self.out_dir / name, outcome.texts[fmt])
                for fmt, name in zip(item.settings.formats, item.output_names(), strict=True)
            ]
            digests: dict[str, str] = {}
            try:
                write_atomically(files)
                digests = {p.name: file_sha256(p) for p, _ in files}
            except (OutputError, OSError) as err:
                error = one_line(err)
            # The state goes last: a run killed before it only redoes the item. Failures are
            # recorded too, for whoever looks; any status but "ok" is redone.
            with contextlib.suppress(OutputError):
                text = _state_json(item, outcome, digests, error)
                write_atomically([(self.state_path(item), text)])
            status, outputs = ("failed", ()) if error else ("ok", tuple(digests))
            counts = {} if error else _state_counts(outcome)
        else:
            status = "failed"
            with contextlib.suppress(OutputError):
                text = _state_json(item, outcome, {}, error)
                write_atomically([(self.state_path(item), text)])
        result = ItemResult(
            item=item.name,
            status=status,
            error=error,
            transcript=str(item.transcript),
            audio=str(item.audio) if item.audio else None,
            aligner=item.backend(),
            outputs=outputs,
            cues=_int(counts.get("cues")),
            review=_int(counts.get("review")),
            audio_ms=_int(counts.get("audio_ms")),
            subtitles_ms=_int(counts.get("subtitles_ms")),
            seconds=outcome.seconds,
        )
        return self.done(position, result)

    def done(self, position: int, result: ItemResult) -> ItemResult:
        self.results[position] = result
        if result.status == "failed":
            self.log_line(f"failed {result.item}: {result.error}")
            log.info("%s: failed: %s", result.item, result.error)
        else:
            self.log_line(
                f"{result.status} {result.item}: {result.cues} cues, {result.review} to review, "
                f"{result.seconds:.2f} s"
            )
            log.info("%s: %s, %s cues", result.item, result.status, result.cues)
        self.tally[result.status] = self.tally.get(result.status, 0) + 1
        if self.on_progress is not None:
            self.on_progress(
                BatchProgress(
                    len(self.results),
                    len(self.inputs.items),
                    self.tally.get("ok", 0),
                    self.tally.get("skipped", 0),
                    self.tally.get("failed", 0),
                    result,
                )
            )
        return result


def run_batch(
    inputs: Inputs,
    out_dir: Path,
    *,
    executor: Executor,
    on_progress: BatchProgressFn | None = None,
) -> BatchReport:
    """Make every item's subtitles into ``out_dir`` with ``executor``; resume what is done.

    An item is skipped when its state file (``out_dir/.aligner-batch/<name>.json``, written
    after its outputs) says it succeeded with the same digest of inputs and settings, and its
    outputs still have the bytes recorded there. Every file is written atomically, so a run
    killed at any moment leaves complete outputs (or none) and the next run does the rest. A
    failing item, for any reason, is a ``failed`` result with a one-line error; the others go on.
    The report (``batch-report.json`` and ``.csv``) is written at the end; ``batch.log`` gets a
    line per item as it ends.

    Raises:
        BatchError: The output folder cannot be made, or another batch is writing into it.
    """
    started = time.perf_counter()
    try:
        (out_dir / STATE_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BatchError(f"{out_dir}: cannot make the output folder ({err.strerror})") from err
    batch = _Batch(inputs, out_dir, on_progress)
    json_path, csv_path = report_paths(out_dir)
    with _locked(batch.state_dir):
        runnable = [item for item in inputs.items if item.problem is None]
        names = [name for item in runnable for name in item.output_names()]
        _remove_stale_temporaries(out_dir, [*names, json_path.name, csv_path.name])
        _remove_stale_temporaries(batch.state_dir, [f"{item.name}.json" for item in runnable])
        batch.log_line(f"start: {len(inputs.items)} items with {executor.name}")
        tasks: list[tuple[Item, str | None]] = []
        positions: list[int] = []
        for position, item in enumerate(inputs.items):
            if item.problem is not None:
                audio = str(item.audio) if item.audio else None
                result = ItemResult(item.name, "failed", item.problem, str(item.transcript), audio)
                batch.done(position, result)
                continue
            state = batch.states[item.name] = _read_state(batch.state_path(item))
            digest = state.get("digest") if state else None
            known = digest if isinstance(digest, str) and _intact(state, item, out_dir) else None
            tasks.append((item, known))
            positions.append(position)
        for index, outcome in executor.run(process_item, tasks):
            if isinstance(outcome, BaseException):
                outcome = Outcome(None, error=f"worker failed: {one_line(outcome)}")
            batch.record(positions[index], tasks[index][0], outcome)
        results = tuple(batch.results[k] for k in range(len(inputs.items)))
        unpaired = tuple(str(p) for p in inputs.unpaired)
        for path in unpaired:
            batch.log_line(f"unpaired {path}: no transcript with this name")
        seconds = round(time.perf_counter() - started, 3)
        run = {
            "aligner": _version(),
            "executor": executor.name,
            "finished": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seconds": seconds,
        }
        write_atomically(
            [
                (json_path, render_json(results, unpaired, run)),
                (csv_path, render_csv(results, unpaired)),
            ]
        )
        batch.log_line(f"end: {sum(r.status == 'failed' for r in results)} failed")
    return BatchReport(results, unpaired, json_path, csv_path, seconds)


def _version() -> str:
    from aligner import __version__

    return __version__
