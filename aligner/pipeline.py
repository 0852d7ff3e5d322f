"""run(): transcript → turns → lines → cues → files, the whole job the CLI asks for."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from aligner import writers
from aligner.audio import reading_ahead
from aligner.backends import ProgressFn, align
from aligner.errors import OutputError
from aligner.model import Subtitles, Transcript
from aligner.segment import SegmentRules, segment
from aligner.transcript import read_transcript

log = logging.getLogger(__name__)

# The language reason recorded when the caller named the language (``--lang zh-Hans``).
GIVEN_REASON = "given, not detected"


@dataclass(frozen=True, slots=True)
class Target:
    """One output: a format and where it goes (``None`` = the returned text only)."""

    fmt: str
    path: Path | None


def make_subtitles(
    transcript: Transcript,
    *,
    rules: SegmentRules | None = None,
    options: writers.WriteOptions | None = None,
    backend: str | None = None,
    audio: Path | None = None,
    start_ms: int = 0,
    on_progress: ProgressFn | None = None,
) -> Subtitles:
    """Segment and time a parsed transcript.

    The width of the speaker label that ``options`` asks for is kept free on the first line of
    each turn, so labelled lines stay within ``rules.max_chars``.
    """
    rules = rules or SegmentRules.for_language(transcript.language)
    options = options or writers.WriteOptions()
    style, language = options.speaker_labels, transcript.language
    lines = segment(
        transcript.turns,
        rules,
        label_for=lambda name: writers.speaker_label(name, style, language),
    )
    cues = align(
        lines, audio, rules=rules, backend=backend, start_ms=start_ms, on_progress=on_progress
    )
    return Subtitles(
        cues=tuple(cues),
        speakers=transcript.speakers,
        language=transcript.language,
        # The file name only: outputs do not depend on where the transcript was read from.
        source=Path(transcript.source).name if transcript.source else None,
        date=transcript.date,
        language_reason=transcript.language_reason,
        language_switches=transcript.language_switches,
    )


def render(doc: Subtitles, fmt: str, options: writers.WriteOptions | None = None) -> str:
    """``doc`` as the text of format ``fmt``."""
    buffer = io.StringIO()
    writers.write(doc, buffer, fmt, options)
    return buffer.getvalue()


def write_atomically(files: Sequence[tuple[Path, str]]) -> None:
    """Write every ``(path, text)`` or none: each to a temporary file, then all renamed.

    A failure before the renames leaves no output behind; the temporary files live next to
    their targets (same file system, so ``os.replace`` is atomic) and are removed on error.

    Raises:
        OutputError: A folder is missing or not writable, or a write fails.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            folder = path.parent if str(path.parent) else Path(".")
            if not folder.is_dir():
                raise OutputError(f"{path}: the folder {folder} does not exist")
            try:
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
            except OSError as err:
                raise OutputError(f"{path}: cannot write here ({err.strerror})") from err
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, path in staged:
            os.replace(tmp, path)
        staged.clear()
    except OSError as err:
        raise OutputError(f"cannot write {err.filename or 'output'}: {err.strerror}") from err
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@contextlib.contextmanager
def _speaking_ahead(listens: bool) -> Iterator[None]:
    """The forced aligners' speech process (espeak-ng), started ahead when they will run."""
    if not listens:
        yield
        return
    from aligner.backends._speech import speaking_ahead

    with speaking_ahead():
        yield


def run(
    transcript_path: Path,
    targets: Sequence[Target],
    *,
    rules: SegmentRules | None = None,
    options: writers.WriteOptions | None = None,
    encoding: str | None = None,
    language: str = "en",
    rule_overrides: Mapping[str, object] | None = None,
    backend: str | None = None,
    audio: Path | None = None,
    start_ms: int = 0,
    on_progress: ProgressFn | None = None,
    on_done: Callable[[Subtitles], None] | None = None,
) -> dict[str, str]:
    """Read a transcript, make its subtitles and write every target atomically.

    ``on_done`` receives the subtitles once they are written (the CLI's summary uses it).
    ``language`` may be ``"auto"`` (detect it from the text); a given tag is recorded with the
    reason ``GIVEN_REASON``. Either way a paragraph in another script gets its own language
    (:func:`aligner.transcript.parse_transcript`). Without ``rules``, the limits
    are those of the language's profile, with ``rule_overrides`` (SegmentRules fields; None
    values ignored) on top.

    Returns:
        The text of each format, by format name (what a ``None`` target asked for).

    Raises:
        AlignerError: Any problem with the input or the outputs; nothing is written then.
    """
    resolved_input = transcript_path.resolve()
    for target in targets:
        if target.path is not None and target.path.resolve() == resolved_input:
            raise OutputError(f"{target.path}: refusing to overwrite the transcript")
    if language != "auto":  # said first, as read_transcript says a detected one
        log.info("%s: language %s (%s)", transcript_path, language, GIVEN_REASON)
    # The recording is decoded, and the aligner's speech process started, while the transcript
    # is read and cut (no-ops when the caller already does both).
    listens = audio is not None and backend != "estimate"
    with reading_ahead(audio if listens else None), _speaking_ahead(listens):
        transcript = read_transcript(transcript_path, encoding=encoding, language=language)
        if language != "auto":
            transcript = replace(transcript, language_reason=GIVEN_REASON)
        if rules is None:
            rules = SegmentRules.for_language(transcript.language, **(rule_overrides or {}))
        doc = make_subtitles(
            transcript,
            rules=rules,
            options=options,
            backend=backend,
            audio=audio,
            start_ms=start_ms,
            on_progress=on_progress,
        )
    texts = {t.fmt: render(doc, t.fmt, options) for t in targets}
    write_atomically([(t.path, texts[t.fmt]) for t in targets if t.path is not None])
    if on_done is not None:
        on_done(doc)
    log.info("%s: %d turns, %d cues", transcript_path, len(transcript.turns), len(doc.cues))
    return texts
