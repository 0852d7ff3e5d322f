"""The `aligner check`, `aligner preview` and `aligner plot` commands (flags and exit codes).

Imported at the end of ``aligner.cli``, which registers them on the ``aligner`` group. The work
is in ``aligner.review``; its heavy imports (matplotlib) happen only when a command runs.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aligner.cli import _configure_logging, main
from aligner.errors import AlignerError
from aligner.timecode import parse_time

if TYPE_CHECKING:
    from aligner.review.parse import ParsedFile

log = logging.getLogger(__name__)

_FILE = click.Path(path_type=Path, dir_okay=False, allow_dash=False)
_TAGS = re.compile(r"<[^>]*>")  # WebVTT and SRT markup, not text


def _fail(err: AlignerError | OSError, path: Path | None = None) -> click.ClickException:
    if isinstance(err, OSError):
        return click.ClickException(f"{path or err.filename}: {err.strerror}")
    return click.ClickException(str(err))


def _detected(parsed: ParsedFile, path: Path) -> str:
    """The language of a subtitle file's text (``aligner.detect.detect``), logged with why."""
    from aligner.detect import detect

    text = "\n".join(line for cue in parsed.cues for line in cue.lines)
    language, reason = detect(_TAGS.sub("", text))
    log.info("%s: language %s (%s)", path, language, reason)
    return language


@main.command("check")
@click.argument("subtitles", nargs=-1, required=True, type=_FILE)
@click.option(
    "--lang",
    default="auto",
    show_default=True,
    metavar="L",
    help="Language of the text: sets characters per line and reading speed. auto: detected "
    "from each file's text, as `aligner make` does (-v says which and why).",
)
@click.option(
    "--max-chars",
    type=click.IntRange(10, 200),
    default=None,
    help="Characters per line. Default: from --lang (42 for en).",
)
@click.option(
    "--max-lines", type=click.IntRange(1, 4), default=None, help="Lines per cue. Default: 2."
)
@click.option(
    "--max-cps",
    type=click.FloatRange(1, 100),
    default=None,
    help="Reading speed limit, characters per second. Default: from --lang (17).",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report for people or for programs.",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes and write the result (-o).")
@click.option(
    "-o",
    "--output",
    type=_FILE,
    default=None,
    help="Where --fix writes (atomically). Never the input, unless --in-place.",
)
@click.option("--in-place", is_flag=True, help="With --fix: replace the input file.")
@click.option("-v", "--verbose", count=True, help="Say more on standard error.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on standard error.")
def check_command(
    subtitles: tuple[Path, ...],
    lang: str,
    max_chars: int | None,
    max_lines: int | None,
    max_cps: float | None,
    format_: str,
    fix: bool,
    output: Path | None,
    in_place: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Check SRT or WebVTT files: syntax, timing, line length, reading speed, line breaks.

    Prints one line per finding (FILE:LINE: cue N: severity code: message) and a summary.
    Exit status 1 when a file has errors (warnings and notes do not count).

    \b
    Examples:
      aligner check talk.srt talk.vtt
      aligner check talk.vtt --format json
      aligner check talk.srt --fix -o talk.fixed.srt
    """
    from aligner.review.check import check_parsed, rules_for
    from aligner.review.fix import fix_parsed, write_atomic
    from aligner.review.parse import parse_file, parse_text

    _configure_logging(verbose, quiet)
    if fix:
        if len(subtitles) != 1:
            raise click.UsageError("--fix takes one file")
        if in_place and output is not None:
            raise click.UsageError("give -o or --in-place, not both")
        if not in_place and output is None:
            raise click.UsageError("--fix needs -o FILE (or --in-place to replace the input)")
        if output is not None and output.resolve() == subtitles[0].resolve():
            raise click.UsageError("-o names the input: use --in-place to replace it")
    elif output is not None or in_place:
        raise click.UsageError("-o and --in-place go with --fix")
    try:
        given = rules_for(
            "en" if lang == "auto" else lang,
            max_chars=max_chars,
            max_lines=max_lines,
            max_cps=max_cps,
        )
    except AlignerError as err:
        raise click.BadParameter(str(err)) from None
    reports = []
    changes: list[str] = []
    for path in subtitles:
        try:
            parsed = parse_file(path)
            rules = given
            if lang == "auto":
                rules = rules_for(
                    _detected(parsed, path),
                    max_chars=max_chars,
                    max_lines=max_lines,
                    max_cps=max_cps,
                )
            shown = path
            if fix:
                target = output or path
                result = fix_parsed(parsed, rules)
                write_atomic(target, result.text)
                changes = result.changes
                parsed = parse_text(result.text, parsed.fmt)
                shown = target
        except (AlignerError, OSError) as err:
            raise _fail(err, path) from None
        reports.append(check_parsed(parsed, str(shown), rules))
    if format_ == "json":
        data: dict[str, object] = {"files": [r.to_data() for r in reports]}
        if fix:
            data["fixed"] = {
                "input": str(subtitles[0]),
                "output": reports[0].path,
                "changes": changes,
            }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for change in changes:
            click.echo(f"{subtitles[0]}: fixed: {change}")
        for report in reports:
            for line in report.lines():
                click.echo(line)
            click.echo(report.summary())
    if not all(r.ok for r in reports):
        raise SystemExit(1)


@main.command("preview")
@click.argument("subtitles", type=_FILE)
@click.option("--audio", "audio", type=_FILE, required=True, help="The recording.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="The page: FILE.html (self-contained) or a folder (index.html + the "
    "recording). Default: SUBTITLES.preview.html unless --video or --plot.",
)
@click.option(
    "--video",
    type=_FILE,
    default=None,
    help="Also make a video (.mp4 or .mkv) with the subtitles as a soft track.",
)
@click.option(
    "--burn", is_flag=True, help="With --video: also draw the subtitles into the picture."
)
@click.option(
    "--plot",
    "plot_path",
    type=_FILE,
    default=None,
    help="Also draw the waveform with the cue spans to this PNG.",
)
@click.option("-v", "--verbose", count=True, help="Say more on standard error.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on standard error.")
def preview_command(
    subtitles: Path,
    audio: Path,
    output: Path | None,
    video: Path | None,
    burn: bool,
    plot_path: Path | None,
    verbose: int,
    quiet: bool,
) -> None:
    """See SUBTITLES (.srt, .vtt or aligner .json) with the recording.

    The page plays the recording with the subtitles, lists the cues (speaker, times, text),
    follows the current cue, seeks on click and marks the cues the alignment flagged for review.
    Prints the paths it wrote.

    \b
    Examples:
      aligner preview talk.json --audio talk.wav -o talk.html
      aligner preview talk.srt --audio talk.wav --video talk.mp4 --burn
    """
    from aligner.review.load import load_subtitles

    _configure_logging(verbose, quiet)
    if burn and video is None:
        raise click.UsageError("--burn goes with --video")
    if output is None and video is None and plot_path is None:
        output = subtitles.with_name(subtitles.stem + ".preview.html")
    try:
        doc = load_subtitles(subtitles)
        if output is not None:
            from aligner.review.preview import write_preview

            click.echo(write_preview(doc, audio, output).page)
        if video is not None:
            from aligner.review.video import make_video

            click.echo(make_video(doc, audio, video, burn=burn))
        if plot_path is not None:
            from aligner.review.plot import plot_waveform

            click.echo(plot_waveform(doc, audio, plot_path))
    except (AlignerError, OSError) as err:
        raise _fail(err) from None


@main.command("plot")
@click.argument("subtitles", type=_FILE)
@click.option("--audio", "audio", type=_FILE, required=True, help="The recording.")
@click.option(
    "-o", "--output", type=_FILE, default=None, help="The PNG. Default: SUBTITLES.waveform.png."
)
@click.option("--start", default=None, metavar="TIME", help="Draw from this time (MM:SS, …).")
@click.option("--end", default=None, metavar="TIME", help="Draw up to this time.")
@click.option(
    "--row-seconds",
    type=click.FloatRange(1, 3600),
    default=None,
    help="Seconds per row. Default: one row up to 2 minutes, else 60.",
)
def plot_command(
    subtitles: Path,
    audio: Path,
    output: Path | None,
    start: str | None,
    end: str | None,
    row_seconds: float | None,
) -> None:
    """Draw the recording's waveform with each cue's span, coloured by speaker, to a PNG."""
    from aligner.review.load import load_subtitles
    from aligner.review.plot import plot_waveform

    try:
        start_ms = parse_time(start) if start else 0
        end_ms = parse_time(end) if end else None
    except ValueError as err:
        raise click.BadParameter(str(err)) from None
    target = output or subtitles.with_name(subtitles.stem + ".waveform.png")
    try:
        doc = load_subtitles(subtitles)
        click.echo(
            plot_waveform(
                doc, audio, target, start_ms=start_ms, end_ms=end_ms, seconds_per_row=row_seconds
            )
        )
    except (AlignerError, OSError) as err:
        raise _fail(err) from None
