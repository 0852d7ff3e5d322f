"""A review video: the recording, its waveform as the picture, the subtitles as a soft track.

Made by ffmpeg in one run. MP4 carries the subtitles as ``mov_text`` (the only text codec MP4
players know), Matroska as SubRip; both are flagged default so VLC and mpv show them. With
``burn=True`` libass also draws them into the picture (``subtitles=`` filter).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from aligner.errors import OutputError
from aligner.review.load import ReviewDoc, to_srt

SUBTITLE_CODECS = {".mp4": "mov_text", ".m4v": "mov_text", ".mkv": "srt"}
# ISO 639-2 codes for the track's language tag (MP4 and Matroska want three letters).
_LANGUAGE_CODES = {
    "en": "eng",
    "zh": "chi",
    "fr": "fre",
    "de": "ger",
    "es": "spa",
    "ru": "rus",
    "ar": "ara",
    "ja": "jpn",
    "ko": "kor",
}
WAVE_COLOUR = "0x7fb8ff"
BURN_STYLE = "FontName=Noto Sans,FontSize=20,Outline=1,Shadow=0,MarginV=24"


def ffmpeg_path(program: str = "ffmpeg") -> str:
    """The path of ``program`` (ffmpeg or ffprobe).

    Raises:
        OutputError: It is not installed; the message names the package.
    """
    found = shutil.which(program)
    if found is None:
        raise OutputError(f"{program} is not installed: apt-get install ffmpeg")
    return found


def video_command(
    audio: Path, subtitles: Path, output: Path, *, burn: bool, size: str = "960x540"
) -> list[str]:
    """The ffmpeg arguments that make the video (run them in ``subtitles``'s folder)."""
    codec = SUBTITLE_CODECS.get(output.suffix.lower())
    if codec is None:
        raise OutputError(f"{output}: the video must be .mp4 or .mkv")
    picture = f"[0:a]showwaves=s={size}:mode=cline:rate=25:colors={WAVE_COLOUR},format=yuv420p"
    if burn:
        # Run in the subtitles' folder, so the filter argument needs no path escaping.
        picture += f",subtitles={subtitles.name}:force_style='{BURN_STYLE}'"
    return [
        ffmpeg_path(),
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-i",
        str(audio.resolve()),
        "-i",
        subtitles.name,
        "-filter_complex",
        picture + "[v]",
        "-map",
        "[v]",
        "-map",
        "0:a",
        "-map",
        "1:s",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "30",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-c:s",
        codec,
        "-disposition:s:0",
        "default",
        str(output.resolve()),
    ]


def make_video(
    doc: ReviewDoc, audio: Path, output: Path, *, burn: bool = False, size: str = "960x540"
) -> Path:
    """Write the review video of ``doc`` over ``audio`` to ``output`` (.mp4 or .mkv).

    The file appears only when ffmpeg has finished (it writes a temporary name first).

    Raises:
        OutputError: ffmpeg is missing or fails, the recording is missing, or the extension is
            not .mp4/.mkv.
    """
    if not audio.is_file():
        raise OutputError(f"{audio}: recording not found")
    language = _LANGUAGE_CODES.get(doc.language.split("-")[0].lower())
    with tempfile.TemporaryDirectory(prefix="aligner-video-") as tmp:
        subs = Path(tmp) / "subtitles.srt"
        subs.write_text(to_srt(doc), encoding="utf-8")
        partial = output.with_name(f".{output.stem}.partial{output.suffix}")
        args = video_command(audio, subs, partial, burn=burn, size=size)
        if language:
            args[-1:-1] = ["-metadata:s:s:0", f"language={language}"]
        proc = subprocess.run(
            args, cwd=tmp, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
        if proc.returncode != 0:
            partial.unlink(missing_ok=True)
            tail = proc.stderr.strip().splitlines()[-3:]
            raise OutputError(f"{output}: ffmpeg failed: {' / '.join(tail)}")
    partial.replace(output)
    return output
