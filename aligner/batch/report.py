"""The batch report: one record per item, written as JSON and CSV into the output folder."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from aligner.batch.items import REPORT_STEM

REPORT_SCHEMA = 1
STATUSES = ("ok", "skipped", "failed")
CSV_COLUMNS = (
    "item", "status", "error", "transcript", "audio", "aligner", "outputs", "cues", "review",
    "audio_ms", "subtitles_ms", "seconds",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ItemResult:
    """How one item ended.

    Attributes:
        item: The item's name (its output stem).
        status: ``ok`` (made now), ``skipped`` (up to date from an earlier run) or ``failed``.
        error: Why it failed, one line; None otherwise.
        transcript: The transcript's path as given.
        audio: The recording's path as given, or None.
        aligner: The timing backend that made (or failed to make) the item: ``dtw``,
            ``aeneas`` or ``estimate``; None for an item that never ran (a name clash, a bad
            manifest row).
        outputs: The output files' names in the output folder.
        cues: Number of cues (None when failed).
        review: Cues needing review: they break a limit the tool could not meet.
        audio_ms: Duration of the recording.
        subtitles_ms: End of the last cue.
        seconds: Time this run spent on the item (for a skipped item: checking its inputs).
    """

    item: str
    status: str
    error: str | None
    transcript: str
    audio: str | None
    aligner: str | None = None
    outputs: tuple[str, ...] = ()
    cues: int | None = None
    review: int | None = None
    audio_ms: int | None = None
    subtitles_ms: int | None = None
    seconds: float = 0.0


def report_paths(out_dir: Path) -> tuple[Path, Path]:
    """Where the JSON and the CSV report go."""
    return out_dir / f"{REPORT_STEM}.json", out_dir / f"{REPORT_STEM}.csv"


def summary(results: Sequence[ItemResult], unpaired: Sequence[str]) -> dict[str, int]:
    """Counts by status, plus the total and the unpaired recordings."""
    counts = {"total": len(results)}
    counts.update({status: sum(r.status == status for r in results) for status in STATUSES})
    counts["unpaired_recordings"] = len(unpaired)
    return counts


def render_json(
    results: Sequence[ItemResult], unpaired: Sequence[str], run: dict[str, object]
) -> str:
    """The JSON report: ``schema``, ``run`` facts, ``summary``, ``items``, ``unpaired``."""
    document = {
        "schema": REPORT_SCHEMA,
        "run": run,
        "summary": summary(results, unpaired),
        "items": [{**asdict(r), "outputs": list(r.outputs)} for r in results],
        "unpaired_recordings": list(unpaired),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_csv(results: Sequence[ItemResult], unpaired: Sequence[str]) -> str:
    """The CSV report: one row per item (outputs joined by ``;``), then unpaired recordings.

    An unpaired recording is a row with status ``unpaired`` and the recording in ``audio``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        row = asdict(r)
        row["outputs"] = ";".join(r.outputs)
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    for path in unpaired:
        writer.writerow(
            [Path(path).stem, "unpaired", "no transcript with this name", "", path]
            + [""] * (len(CSV_COLUMNS) - 5)
        )
    return buffer.getvalue()
