"""The `aligner batch` command: flags, progress bar, summary, exit code; the work: aligner.batch."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aligner.backends import BACKENDS

# cli.py imports this module at its end, once `main` and the shared options exist.
from aligner.cli import _configure_logging, main, subtitle_options
from aligner.errors import AlignerError
from aligner.segment import SegmentRules
from aligner.timecode import parse_time
from aligner.writers import WRITERS

if TYPE_CHECKING:
    from aligner.batch import BatchProgress, BatchReport

DEFAULTS = SegmentRules()
# aligner.batch.EXECUTORS (tests/test_batch.py checks that they agree), named here so that
# every other command starts without importing the batch engine (multiprocessing and more).
EXECUTORS = ("local", "dask")


def _formats(value: str) -> tuple[str, ...]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in WRITERS]
    if unknown or not formats:
        raise click.BadParameter(
            f"{value!r}: choose from {', '.join(WRITERS)} (several with commas: srt,vtt,json)",
            param_hint="--formats",
        )
    return tuple(dict.fromkeys(formats))


def _counts(progress: BatchProgress | None) -> str:
    if progress is None:
        return ""
    return f"ok {progress.ok}  up to date {progress.skipped}  failed {progress.failed}"


def _summary(report: BatchReport) -> None:
    ok, skipped, failed = (report.count(s) for s in ("ok", "skipped", "failed"))
    total = len(report.results)
    rate = total / report.seconds if report.seconds else 0.0
    lines = [
        f"{total} items: {ok} made, {skipped} up to date, {failed} failed "
        f"in {report.seconds:.1f} s ({rate:.1f} items/s)"
    ]
    if report.failed:
        lines.append("failed:")
        lines += [f"  {r.item}: {r.error}" for r in report.failed]
    if report.unpaired:
        lines.append("recordings without a transcript (not made; add NAME.txt or a --manifest):")
        lines += [f"  {path}" for path in report.unpaired]
    lines.append(f"report: {report.report_json}, {report.report_csv}")
    click.echo("\n".join(lines), err=True)


@click.command("batch")
@click.argument(
    "inputs",
    nargs=-1,
    metavar="INPUT...",
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "-o",
    "--out-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the outputs (OUT_DIR/<stem>.<ext>), the report and batch.log.",
)
@click.option(
    "-f",
    "--formats",
    "formats_",
    default="srt,vtt,json",
    metavar="FMT[,FMT]",
    help="Output formats: srt, vtt, json, with commas.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 1024),
    default=None,
    help="Items at a time (local processes, or workers of a local Dask cluster). "
    "[default: the number of cores]",
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    help="local: processes on this machine; dask: a Dask distributed cluster.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Dask scheduler, e.g. tcp://10.0.0.5:8786. Default with --executor dask: a local cluster.",
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CSV or JSON lines: transcript, audio, language, options (instead of or besides INPUT).",
)
@click.option(
    "--aligner",
    "backend",
    type=click.Choice(sorted(BACKENDS)),
    default=None,
    help="Timing backend. Default: dtw (our own forced aligner) for items with a recording, "
    "estimate without. dtw or aeneas applies to the items with a recording; estimate times "
    "every item at a speaking rate, recordings or not.",
)
@subtitle_options
@click.option("-v", "--verbose", count=True, help="A line per item on standard error (-vv: debug).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary; only errors.")
def batch(
    inputs: tuple[Path, ...],
    out_dir: Path,
    formats_: str,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    manifest: Path | None,
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
    """Make subtitles for every transcript in INPUT (folders or files) into --out-dir.

    A transcript NAME.txt is synced with the recording of the same name (NAME.mp3, .m4a, .wav,
    .mp4, ...) when there is one, by --aligner. Items run in parallel, each on its own: a
    failure is reported and the others go on. A rerun skips items whose inputs and options are
    unchanged and redoes the rest. Exit code 0 when every item succeeded, 1 when any failed.

    \b
    Examples:
      aligner batch briefings/ --out-dir subs
      aligner batch briefings/ recordings/ --out-dir subs --formats srt,vtt --jobs 4
      aligner batch --manifest list.csv --out-dir subs
      aligner batch briefings/ --out-dir subs --executor dask --scheduler tcp://host:8786
    """
    from aligner.batch import BatchError, Settings, collect, make_executor, run_batch

    _configure_logging(verbose, quiet)
    if not inputs and manifest is None:
        raise click.UsageError("give INPUT folders or files, or --manifest")
    try:
        settings = Settings(
            formats=_formats(formats_), max_chars=max_chars, max_lines=max_lines,
            max_cps=max_cps, min_gap_ms=min_gap, cjk_line_end_punct=cjk_line_end_punct, wpm=wpm,
            speaker_labels=speaker_labels, vtt_colors=vtt_colors,
            start_ms=parse_time(start), encoding=encoding, language=language, aligner=backend,
        )  # fmt: skip
        settings.rules()
    except (ValueError, AlignerError) as err:
        raise click.BadParameter(str(err)) from None
    try:
        found = collect(inputs, settings, manifest=manifest)
    except BatchError as err:
        raise click.UsageError(str(err)) from None
    try:
        pool = make_executor(executor, jobs=jobs or os.cpu_count(), scheduler=scheduler)
    except BatchError as err:
        raise click.UsageError(str(err)) from None
    bar: Any = click.progressbar(
        length=len(found.items),
        label="aligning",
        file=sys.stderr,  # never stdout (STYLE §6)
        show_eta=True,
        show_pos=True,
        item_show_func=_counts,
    )
    try:
        with pool, bar if not quiet else contextlib.nullcontext():
            report = run_batch(
                found,
                out_dir,
                executor=pool,
                on_progress=None if quiet else lambda progress: bar.update(1, progress),
            )
    except AlignerError as err:  # the batch could not start, or the report not be written
        raise click.ClickException(str(err)) from None
    except KeyboardInterrupt:
        click.echo(
            "\ninterrupted: every finished item is kept; run the same command to do the rest",
            err=True,
        )
        sys.exit(130)
    if not quiet:
        _summary(report)
    if report.failed:
        sys.exit(1)


# Registered here, so that aligner/cli.py needs one line (`import aligner.cli_batch`).
main.add_command(batch)
