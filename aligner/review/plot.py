"""The waveform picture: the recording's envelope with each cue's span, coloured by speaker.

Audio is decoded by ffmpeg to 16-bit mono at a low rate (only the envelope is drawn); the
picture is drawn by matplotlib (Agg, no display), one row per ``seconds_per_row``.
"""

from __future__ import annotations

import itertools
import math
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from aligner.errors import OutputError
from aligner.review.load import ReviewDoc
from aligner.review.preview import PAGE_PALETTE
from aligner.review.video import ffmpeg_path

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

ENVELOPE_RATE = 4000  # samples per second decoded: plenty for a picture 100 px per second
ROW_HEIGHT_IN = 1.9
WIDTH_IN = 14.0
DPI = 100


def decode_mono(audio: Path, rate: int = ENVELOPE_RATE) -> npt.NDArray[np.int16]:
    """``audio`` as 16-bit mono samples at ``rate`` Hz, decoded by ffmpeg.

    Raises:
        OutputError: The file is missing or ffmpeg cannot decode it.
    """
    import numpy as np

    if not audio.is_file():
        raise OutputError(f"{audio}: recording not found")
    proc = subprocess.run(
        [
            ffmpeg_path(),
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(audio),
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise OutputError(f"{audio}: cannot decode the audio: {message[0]}")
    return np.frombuffer(proc.stdout, dtype="<i2")


def plot_waveform(
    doc: ReviewDoc,
    audio: Path,
    output: Path,
    *,
    start_ms: int = 0,
    end_ms: int | None = None,
    seconds_per_row: float | None = None,
) -> Path:
    """Draw ``audio``'s waveform with ``doc``'s cue spans to the PNG ``output``.

    Each cue is a band in its speaker's colour with its number above; a cue flagged
    ``needs_review`` is hatched and outlined in red. Rows are ``seconds_per_row`` long (one row
    up to two minutes, else 60 s).

    Raises:
        OutputError: The audio cannot be decoded or the PNG cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch

    samples = decode_mono(audio).astype(np.float32) / 32768.0
    audio_ms = len(samples) * 1000 // ENVELOPE_RATE
    last_cue = max((c.end_ms for c in doc.cues), default=0)
    stop = end_ms if end_ms is not None else max(audio_ms, last_cue)
    if stop <= start_ms:
        raise OutputError(f"nothing to draw between {start_ms} and {stop} ms")
    span_s = (stop - start_ms) / 1000
    per_row = seconds_per_row or (span_s if span_s <= 120 else 60.0)
    rows = max(1, math.ceil(span_s / per_row - 1e-9))
    fig, axes = plt.subplots(
        rows, 1, figsize=(WIDTH_IN, ROW_HEIGHT_IN * rows + 0.6), dpi=DPI, squeeze=False
    )
    colours = {name: PAGE_PALETTE[k % len(PAGE_PALETTE)] for k, name in enumerate(doc.speakers)}
    for row in range(rows):
        ax = axes[row][0]
        lo = start_ms / 1000 + row * per_row
        hi = lo + per_row
        _draw_row(ax, samples, lo, hi, doc, colours)
    handles = [Patch(facecolor=c, alpha=0.45, label=n) for n, c in colours.items()]
    if doc.flagged:
        handles.append(Patch(facecolor="none", edgecolor="#e00", hatch="//", label="needs review"))
    if handles:
        fig.legend(
            handles=handles,
            loc="upper center",
            ncol=min(len(handles), 6),
            fontsize=9,
            frameon=False,
        )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / (ROW_HEIGHT_IN * rows + 0.6)))
    try:
        fig.savefig(output, format="png")
    except OSError as err:
        raise OutputError(f"{output}: cannot write the picture: {err.strerror}") from err
    finally:
        plt.close(fig)
    return output


def _draw_row(
    ax: object,
    samples: npt.NDArray[np.float32],
    lo: float,
    hi: float,
    doc: ReviewDoc,
    colours: dict[str, str],
) -> None:
    import numpy as np
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    first = max(0, int(lo * ENVELOPE_RATE))
    last = min(len(samples), int(hi * ENVELOPE_RATE))
    columns = int(WIDTH_IN * DPI)
    if last > first:
        chunk = samples[first:last]
        bins = max(1, min(columns, len(chunk)))
        edges = np.linspace(0, len(chunk), bins + 1).astype(int)
        top = np.array([chunk[a:b].max() if b > a else 0.0 for a, b in itertools.pairwise(edges)])
        low = np.array([chunk[a:b].min() if b > a else 0.0 for a, b in itertools.pairwise(edges)])
        times = (first + edges[:-1]) / ENVELOPE_RATE
        ax.fill_between(times, low, top, color="#444", linewidth=0)
    for cue in doc.cues:
        start, end = cue.start_ms / 1000, cue.end_ms / 1000
        if end <= lo or start >= hi:
            continue
        colour = colours.get(cue.speaker, "#999999")
        ax.axvspan(start, end, color=colour, alpha=0.35, linewidth=0)
        if cue.needs_review:
            ax.axvspan(start, end, facecolor="none", edgecolor="#e00", hatch="//", linewidth=1.2)
        ax.text(
            max(start, lo),
            1.02,
            str(cue.index),
            fontsize=7,
            va="bottom",
            ha="left",
            color=colour,
            clip_on=True,
        )
    ax.set_xlim(lo, hi)
    ax.set_ylim(-1.05, 1.15)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(_clock)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _clock_text(seconds: float, _pos: object = None) -> str:
    """Seconds as ``M:SS`` (``H:MM:SS`` past an hour) for the time axis.

    Example:
        >>> _clock_text(75), _clock_text(3725)
        ('1:15', '1:02:05')
    """
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _clock(seconds: float, pos: object = None) -> str:
    return _clock_text(seconds, pos)
