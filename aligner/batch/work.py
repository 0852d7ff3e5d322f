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

from aligner.batch.items import Item, Settings
from aligner.model import Subtitles
from aligner.segment import SegmentRules

# Bump when the digest's recipe changes, or when the same inputs and settings make different
# outputs within one package version, so that every item is redone once. 2: per-paragraph
# languages and the JSON's language_reason / language_switches. 3: the dtw aligner's guide.
DIGEST_VERSION = 3
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
    backend that times it (``Item.backend``) and the package version. The ``aligner`` setting
    counts only through that backend: asking for ``dtw`` by name or by default makes the same
    files, and so does ``aeneas`` for an item without a recording (timed at a speaking rate).

    Raises:
        OSError: An input cannot be read.
    """
    from aligner import __version__

    settings = item.settings.as_dict()
    del settings["aligner"]  # hashed as the backend it resolves to
    recipe = {
        "digest": DIGEST_VERSION,
        "version": __version__,
        "backend": item.backend(),
        "settings": settings,
        "transcript": file_sha256(item.transcript),
        "audio": file_sha256(item.audio) if item.audio is not None else None,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def one_line(err: BaseException) -> str:
    """An exception as one line of text."""
    text = " ".join(str(err).split())
    return text or type(err).__name__


def count_review(doc: Subtitles, settings: Settings) -> int:
    """How many cues a person should look at.

    A cue counts when the aligner flagged it (``needs_review``: misplaced, or its text not in
    the recording), or when it breaks a limit the segmenter or the timing could not meet: too
    many lines, a line wider than ``max_chars`` (the speaker label counts on a turn's first
    line; only a single over-long word can do this), shown for less than the minimum duration,
    or faster to read than ``max_cps`` (label included, as the timing counts it). A cue in
    another language than the document is held to its language's limits, and widths are
    counted as its profile says (Chinese: a half-width character counts 0.5).
    """
    from aligner.languages import width
    from aligner.writers import speaker_label

    document = settings.rules(doc.language)
    by_language: dict[str, SegmentRules] = {}
    count = 0
    previous_turn: int | None = None
    for cue in doc.cues:
        if cue.language not in by_language:
            by_language[cue.language] = document.for_text_in(cue.language)
        rules = by_language[cue.language]
        counting = rules.profile.counting
        label = ""
        if cue.turn_index != previous_turn:
            label = speaker_label(
                " ".join(cue.speaker.split()), settings.speaker_labels, doc.language
            )
        previous_turn = cue.turn_index
        lines = cue.text.split("\n")
        widest = max(width(line, counting) for line in [label + lines[0], *lines[1:]])
        count += (
            cue.needs_review
            or len(lines) > rules.max_lines
            or widest > rules.max_chars
            or cue.duration_ms < rules.min_duration_ms
            or len(label + cue.text) * 1000 > rules.max_cps * cue.duration_ms
        )
    return count


def _make(item: Item) -> Outcome:
    from aligner.audio import probe_duration_ms, reading_ahead
    from aligner.pipeline import Target, run

    settings = item.settings
    # The recording is decoded while the transcript is read and cut (not for estimate).
    listens = item.audio is not None and item.backend() != "estimate"
    with reading_ahead(item.audio if listens else None):
        # A recording that cannot be read fails its item even with a backend that does not
        # listen to it (estimate: --aligner estimate ignores the recordings' timing, not the
        # recordings), and its duration goes into the report.
        audio_ms = probe_duration_ms(item.audio) if item.audio is not None else None
        made: list[Subtitles] = []
        texts = run(
            item.transcript,
            [Target(fmt, None) for fmt in settings.formats],
            rule_overrides=settings.overrides(),
            options=settings.write_options(),
            encoding=settings.encoding,
            language=settings.language,
            backend=item.backend(),
            audio=item.audio,
            start_ms=settings.start_ms,
            on_done=made.append,
        )
    doc = made[0]
    return Outcome(
        digest=None,
        texts=texts,
        cues=len(doc.cues),
        review=count_review(doc, settings),
        audio_ms=audio_ms,
        subtitles_ms=doc.cues[-1].end_ms if doc.cues else 0,
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
