"""The `aligner` command: flags, terminal and exit codes; the work is in aligner.pipeline."""

from __future__ import annotations

import contextlib
import logging
import statistics
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from aligner import __version__
from aligner.backends import BACKENDS, Progress, ProgressFn
from aligner.errors import AlignerError
from aligner.model import Subtitles
from aligner.pipeline import Target, run
from aligner.segment import SegmentRules
from aligner.timecode import format_ms, parse_time
from aligner.writers import EXTENSIONS, LABEL_STYLES, WRITERS, WriteOptions, format_for_path

DEFAULTS = SegmentRules()
FORMAT_EXTENSION = {"srt": ".srt", "vtt": ".vtt", "json": ".json"}


def _formats(value: str | None) -> list[str]:
    if value is None:
        return []
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in WRITERS]
    if unknown or not formats:
        raise click.BadParameter(
            f"{value!r}: choose from {', '.join(WRITERS)} (several with commas: srt,vtt,json)",
            param_hint="--format",
        )
    return list(dict.fromkeys(formats))


def _targets(transcript: Path, output: str | None, formats: list[str]) -> list[Target]:
    """Where each format goes, from -o and --format (see `aligner make --help`)."""
    if output == "-":
        if len(formats) > 1:
            raise click.BadParameter("standard output takes one format", param_hint="--format")
        return [Target(formats[0] if formats else "srt", None)]
    if output is None:
        return [Target(f, transcript.with_suffix(FORMAT_EXTENSION[f])) for f in formats or ["srt"]]
    path = Path(output)
    if path.is_dir():
        stem = transcript.stem
        return [Target(f, path / f"{stem}{FORMAT_EXTENSION[f]}") for f in formats or ["srt"]]
    if not formats:
        try:
            return [Target(format_for_path(path), path)]
        except AlignerError as err:
            raise click.BadParameter(f"{err} or give --format", param_hint="-o") from None
    if len(formats) == 1:
        return [Target(formats[0], path)]
    return [Target(f, path.with_suffix(FORMAT_EXTENSION[f])) for f in formats]


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.INFO if verbose == 1 else logging.WARNING)
    if verbose > 1:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("aligner: %(message)s"))
    root = logging.getLogger("aligner")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


F = TypeVar("F", bound=Callable[..., Any])

# The options that shape the subtitles, shared by `make` and `batch`.
_SUBTITLE_OPTIONS = [
    click.option(
        "--lang",
        "language",
        default="auto",
        metavar="TAG|auto",
        help="Language of the transcript (en, zh-Hans, zh-Hant, ja, fr, de, es, ru, ar, ...); "
        "auto detects it from the text (-v says which and why). Its profile sets the limits "
        "below. Given or detected, a paragraph clearly in another script (English in a Chinese "
        "transcript) gets its own language, and that language's limits.",
    ),
    click.option(
        "--max-chars",
        type=click.IntRange(10, 200),
        default=None,
        help="Characters per line (CJK: full-width 1, half-width 0.5). "
        "Default: the language's (en 42, zh 16, ja 13).",
    ),
    click.option(
        "--max-lines",
        type=click.IntRange(1, 4),
        default=None,
        help=f"Lines per cue. Default: the language's ({DEFAULTS.max_lines}).",
    ),
    click.option(
        "--max-cps",
        type=click.FloatRange(1, 100),
        default=None,
        help="Reading speed limit, characters per second. Default: the language's (en 17, zh 9).",
    ),
    click.option(
        "--min-gap",
        type=click.IntRange(0, 1000),
        default=None,
        metavar="MS",
        help=f"Smallest gap between two cues, in ms; it comes out of the first cue's end, so "
        f"0 lets a cue cut inside running speech last until the next one starts. "
        f"Default: {DEFAULTS.min_gap_ms} (2 frames at 24 fps).",
    ),
    click.option(
        "--cjk-line-end-punct",
        type=click.Choice(["keep", "space"]),
        default="keep",
        help="Chinese and Japanese: keep ，。 or replace them by a space (dropped at a line end).",
    ),
    click.option(
        "--wpm",
        type=click.FloatRange(30, 400),
        default=DEFAULTS.words_per_minute,
        help="Speaking rate for timing without a recording, words per minute.",
    ),
    click.option(
        "--speaker-labels",
        type=click.Choice(LABEL_STYLES),
        default="name",
        help="Label on the first cue of each turn: Name:, NAME:, [Name] or none.",
    ),
    click.option(
        "--vtt-colors/--no-vtt-colors",
        default=False,
        help="Give each speaker a colour in the WebVTT STYLE block.",
    ),
    click.option(
        "--start",
        "start",
        default="0",
        metavar="TIME",
        help="Offset of the first cue: seconds, MM:SS or HH:MM:SS.mmm.",
    ),
    click.option(
        "--encoding",
        default=None,
        metavar="ENC",
        help="Transcript encoding (e.g. cp1252, gb18030). Default: by BOM or certain detection.",
    ),
]


def subtitle_options(command: F) -> F:
    """Add the options that shape the subtitles (language, limits, labels, start, encoding)."""
    for option in reversed(_SUBTITLE_OPTIONS):
        command = option(command)
    return command


def rule_overrides(
    max_chars: int | None,
    max_lines: int | None,
    max_cps: float | None,
    wpm: float,
    cjk_line_end_punct: str,
    min_gap: int | None = None,
) -> dict[str, object]:
    """The SegmentRules fields the options set; None leaves the language profile's value."""
    return {
        "max_chars": max_chars,
        "max_lines": max_lines,
        "max_cps": max_cps,
        "words_per_minute": wpm,
        "cjk_line_end_punct": cjk_line_end_punct,
        "min_gap_ms": min_gap,
    }


@contextlib.contextmanager
def _progress(audio: Path | None, quiet: bool) -> Iterator[ProgressFn | None]:
    """A progress bar on standard error while a recording longer than a minute is aligned.

    The bar appears with the first progress, so that a transcript that cannot be read is
    refused in one line, without an "aligning" before it; the recording's length is asked
    then too, when its probe (started ahead, ``reading_ahead``) has long finished, instead of
    waiting for it before the transcript is read.
    """
    if audio is None or quiet:
        yield None
        return
    from aligner.audio import probe_duration_ms

    shown = 0
    bars = contextlib.ExitStack()
    bar: Any = None
    long_enough: bool | None = None

    def update(progress: Progress) -> None:
        nonlocal shown, bar, long_enough
        if long_enough is None:
            try:
                long_enough = probe_duration_ms(audio) > 60_000
            except AlignerError:
                long_enough = False  # the aligner says what is wrong with the file
        if not long_enough:
            return
        if bar is None:
            bar = bars.enter_context(
                click.progressbar(
                    length=progress.total, label="aligning", file=sys.stderr, show_eta=True
                )
            )
        bar.length = progress.total
        bar.update(progress.done - shown)
        shown = progress.done

    with bars:
        yield update


def _summarise(doc: Subtitles) -> None:
    """One line on standard error: cues aligned, cues to review and where the worst are."""
    review = [(i, c) for i, c in enumerate(doc.cues, 1) if c.needs_review]
    scored = [c.confidence for c in doc.cues if c.confidence is not None]
    line = f"aligned {len(doc.cues)} cues"
    if scored:
        line += f", median confidence {statistics.median(scored):.2f}"
    line += f"; {len(review)} need review"
    if review:
        worst = sorted(review, key=lambda item: item[1].confidence or 0.0)[:5]
        where = ", ".join(f"#{i} at {format_ms(c.start_ms, decimal='.')}" for i, c in worst)
        line += f" (lowest: {where})"
    click.echo(f"aligner: {line}", err=True)
    if doc.cues and len(review) * 2 > len(doc.cues):
        click.echo(
            f"aligner: warning: {len(review)} of {len(doc.cues)} cues are not found in the "
            "recording; is it the right recording, in the transcript's language, and whole?",
            err=True,
        )


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        "show_default": True,
        # Every option can also come from the environment: ALIGNER_MAKE_MAX_CHARS=37.
        "auto_envvar_prefix": "ALIGNER",
    }
)
@click.version_option(__version__, prog_name="aligner")
def main() -> None:
    """Turn press-briefing transcripts into speaker-labelled subtitles (SRT, WebVTT, JSON)."""


@main.command()
@click.argument("transcript", type=click.Path(path_type=Path, dir_okay=False, allow_dash=False))
@click.option(
    "-o",
    "--output",
    metavar="PATH|-",
    help="Output file, folder, or - for standard output. Default: next to the transcript.",
)
@click.option(
    "-f",
    "--format",
    "format_",
    metavar="FMT[,FMT]",
    help="srt, vtt or json; several with commas. Default: from -o's extension, else srt.",
)
@click.option(
    "--audio",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Recording to sync the cues to (mp3, wav, m4a, ogg, flac, or a video's audio).",
)
@click.option(
    "--aligner",
    "backend",
    type=click.Choice(sorted(BACKENDS)),
    default=None,
    help="Timing backend. Default: dtw (our own forced aligner) with --audio, estimate without.",
)
@subtitle_options
@click.option("-v", "--verbose", count=True, help="Say more on standard error (-vv: debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on standard error.")
def make(
    transcript: Path,
    output: str | None,
    format_: str | None,
    audio: Path | None,
    backend: str | None,
    language: str,
    max_chars: int | None,
    max_lines: int | None,
    max_cps: float | None,
    min_gap: int | None,
    cjk_line_end_punct: str,
    wpm: float,
    speaker_labels: str,
    vtt_colors: bool,
    start: str,
    encoding: str | None,
    verbose: int,
    quiet: bool,
) -> None:
    """Make subtitles from TRANSCRIPT, synced to --audio or timed at a natural speaking rate.

    \b
    Examples:
      aligner make briefing.txt                      # briefing.srt next to it
      aligner make briefing.txt --format srt,vtt,json
      aligner make briefing.txt -o - --format vtt    # WebVTT on standard output
      aligner make briefing.txt --audio briefing.mp3 # synced to the recording
    """
    _configure_logging(verbose, quiet)
    try:
        start_ms = parse_time(start)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--start") from None
    targets = _targets(transcript, output, _formats(format_))
    try:
        overrides = rule_overrides(max_chars, max_lines, max_cps, wpm, cjk_line_end_punct, min_gap)
        if language != "auto":
            SegmentRules.for_language(language, **overrides)  # fail before reading anything
        options = WriteOptions(speaker_labels=speaker_labels, vtt_colors=vtt_colors)
        with _progress(audio, quiet) as on_progress:
            texts = run(
                transcript,
                targets,
                rule_overrides=overrides,
                options=options,
                encoding=encoding,
                language=language,
                start_ms=start_ms,
                audio=audio,
                backend=backend,
                on_progress=on_progress,
                on_done=None if quiet or audio is None else _summarise,
            )
    except AlignerError as err:
        raise click.ClickException(str(err)) from None
    for target in targets:
        if target.path is None:
            sys.stdout.write(texts[target.fmt])
        else:
            logging.getLogger("aligner").info("wrote %s", target.path)


@main.command("formats")
def formats_command() -> None:
    """List the output formats and the extensions that select them."""
    for fmt in WRITERS:
        exts = ", ".join(e for e, f in EXTENSIONS.items() if f == fmt)
        click.echo(f"{fmt}\t{exts}")


@main.command("backends")
def backends_command() -> None:
    """List the timing backends."""
    for name in BACKENDS:
        click.echo(name)


import aligner.cli_batch  # noqa: E402  (registers batch)
import aligner.cli_review  # noqa: E402, F401  (registers check, preview, plot)
