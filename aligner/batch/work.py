"""One batch item in a worker process: hash its inputs, make its subtitles, count what to review.

Everything here runs in a worker (a local process or a Dask worker) and returns plain data; the
files are written by the process that runs the batch.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aligner.batch.items import Item, Settings

# Bump when the digest's recipe changes, so that every item is redone once.
DIGEST_VERSION = 1
_CHUNK = 1 << 20  # recordings are hashed a MiB at a time, never held in memory


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a worker found for one item.

    Attributes:
        digest: The hash of the inputs and settings (None when an input could not be read).
        unchanged: The digest equals the one the caller knew: nothing was made.
        texts: The text of each format, when made.
        error: One line saying why the item failed.
        cues: Number of cues.
        review: Cues that break a limit the segmenter or timing could not meet.
        audio_ms: The recording's duration.
        subtitles_ms: Where the last cue ends.
        seconds: Time spent in the worker.
    """

    digest: str | None
    unchanged: bool = False
    texts: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    cues: int | None = None
    review: int | None = None
    audio_ms: int | None = None
    subtitles_ms: int | None = None
    seconds: float = 0.0


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def item_digest(item: Item) -> str:
    """SHA-256 over what decides an item's outputs.

    The transcript's and the recording's bytes (not their names or times), the settings, the
    backend that will time it (a recording is aligned by aeneas once that backend is installed,
    which changes the result) and the package version.

    Raises:
        OSError: An input cannot be read.
    """
    from aligner import __version__
    from aligner.backends import default_backend

    recipe = {
        "digest": DIGEST_VERSION,
        "version": __version__,
        "backend": default_backend(item.audio),
        "settings": item.settings.as_dict(),
        "transcript": file_sha256(item.transcript),
        "audio": file_sha256(item.audio) if item.audio is not None else None,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def one_line(err: BaseException) -> str:
    """An exception as one line of text."""
    text = " ".join(str(err).split())
    return text or type(err).__name__


def _needs_review(cue: Mapping[str, Any], settings: Settings) -> bool:
    """A cue a person should look at.

    The aligner flagged it (``needs_review``: misplaced, or its text not in the recording), or
    it breaks a limit the segmenter or the timing could not meet: too many lines, a line wider
    than ``max_chars`` (the speaker label counts on a turn's first line; only a single
    over-long word can do this), shown for less than the minimum duration, or faster to read
    than ``max_cps`` (label included, as the timing counts it).
    """
    from aligner.writers import speaker_label

    if cue.get("needs_review"):
        return True
    rules = settings.rules()
    lines: list[str] = list(cue["lines"])
    if len(lines) > rules.max_lines:
        return True
    label = ""
    if cue["first_of_turn"]:
        label = speaker_label(" ".join(str(cue["speaker"]).split()), settings.speaker_labels)
    if max([len(label + lines[0]), *map(len, lines[1:])]) > rules.max_chars:
        return True
    duration = int(cue["end_ms"]) - int(cue["start_ms"])
    if duration < rules.min_duration_ms:
        return True
    return len(label + str(cue["text"])) * 1000 > rules.max_cps * duration


def _make(item: Item) -> Outcome:
    from aligner.audio import probe_duration_ms
    from aligner.pipeline import Target, run

    settings = item.settings
    # A recording that cannot be read fails its item even while the backend does not listen
    # to it (estimate): the batch must not pass off unsynchronised subtitles as synced.
    audio_ms = probe_duration_ms(item.audio) if item.audio is not None else None
    formats = list(settings.formats)
    wanted = formats if "json" in formats else [*formats, "json"]  # JSON for the counts
    texts = run(
        item.transcript,
        [Target(fmt, None) for fmt in wanted],
        rules=settings.rules(),
        options=settings.write_options(),
        encoding=settings.encoding,
        language=settings.language,
        backend=None,
        audio=item.audio,
        start_ms=settings.start_ms,
    )
    cues = json.loads(texts["json"])["cues"]
    return Outcome(
        digest=None,
        texts={fmt: texts[fmt] for fmt in formats},
        cues=len(cues),
        review=sum(_needs_review(cue, settings) for cue in cues),
        audio_ms=audio_ms,
        subtitles_ms=int(cues[-1]["end_ms"]) if cues else 0,
    )


def process_item(task: tuple[Item, str | None]) -> Outcome:
    """Make one item's subtitles unless its digest equals the known one; never raises.

    Args:
        task: The item, and the digest of its last successful run whose outputs are intact
            (None to make it regardless).

    Returns:
        The outcome; any error, expected or not, is in ``error`` as one line.
    """
    from aligner.errors import AlignerError

    item, known = task
    started = time.perf_counter()
    digest: str | None = None
    try:
        digest = item_digest(item)
        if digest == known:
            outcome = Outcome(digest, unchanged=True)
        else:
            outcome = replace(_make(item), digest=digest)
    except AlignerError as err:
        outcome = Outcome(digest, error=one_line(err))
    except OSError as err:
        where = err.filename or item.transcript
        outcome = Outcome(digest, error=f"{where}: cannot read: {err.strerror or err}")
    except Exception as err:  # isolation: a bug on one input must not stop the batch
        outcome = Outcome(digest, error=f"internal error ({type(err).__name__}): {one_line(err)}")
    return replace(outcome, seconds=round(time.perf_counter() - started, 3))
