"""Run real subtitle clients on a file and return what each one kept, for the `client` tests.

Every helper returns plain ``ClientCue`` lists so a test can compare any client with what we
meant to write. A missing tool raises ``ClientMissing`` naming the install step: the tests turn
it into a failure, never a skip (STYLE §9).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import srt
import webvtt
from hypothesis import strategies as st

from aligner.model import Cue, Speaker, Subtitles
from aligner.timecode import MAX_MS
from aligner.writers import WriteOptions, format_for_path, write
from aligner.writers._text import WORD_JOINER, clean_lines, visible_label
from aligner.writers.vtt import annotation

JS_DIR = Path(__file__).parent / "js"
VALIDATE_VTT = JS_DIR / "validate_vtt.js"
TIMEOUT_S = 60
_ASS_BRACE = re.compile(r"\\([{}])")
_LINE_START_RLM = re.compile("^\u200f", re.MULTILINE)


class ClientMissing(RuntimeError):
    """A client program or package is not installed."""


@dataclass(frozen=True, slots=True)
class ClientCue:
    """One cue as a client read it: times in ms, plain text (tags removed, entities decoded)."""

    start_ms: int
    end_ms: int
    text: str
    voice: str | None = None


@dataclass(frozen=True, slots=True)
class W3CError:
    line: int
    col: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.line}:{self.col}" if self.col is not None else f"{self.line}"
        return f"line {where}: {self.message}"


@dataclass(frozen=True, slots=True)
class W3CResult:
    """What the W3C parser made of a file: its cues (raw text and ids too) and its errors."""

    cues: list[ClientCue]
    ids: list[str]
    raw_texts: list[str]
    errors: list[W3CError] = field(default_factory=list)


def _require(program: str, install: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise ClientMissing(f"{program} is not installed: run `{install}`")
    return path


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        encoding="utf-8",
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT_S,
        check=False,
    )


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _td_ms(value: object) -> int:
    # srt.Subtitle times are datetime.timedelta; whole microseconds, so integer arithmetic is exact.
    assert isinstance(value, timedelta)
    return value // timedelta(milliseconds=1)


def visible(text: str) -> str:
    """``text`` as a viewer sees it: without the invisible characters our writers insert.

    Those are WORD JOINERs (inside markup look-alikes) and a RIGHT-TO-LEFT MARK at the start
    of a line (right-to-left cues); a mark anywhere else is kept, so a stray one still shows.
    """
    return _LINE_START_RLM.sub("", text.replace(WORD_JOINER, ""))


def ffmpeg_cues(path: Path) -> list[ClientCue]:
    """Decode ``path`` (.srt or .vtt) with ffmpeg to SRT and read the result back.

    ffmpeg repairs silently and exits 0 for almost anything, so any stderr output or a non-zero
    exit is an error here; compare the cues with what was written. It drops ``<v>`` voices.

    Raises:
        ClientMissing: ffmpeg is not installed.
        AssertionError: ffmpeg failed or printed a message.
    """
    ffmpeg = _require("ffmpeg", "make setup  (apt-get install ffmpeg)")
    proc = _run(
        [ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-f", "srt", "-"]
    )
    assert proc.returncode == 0, f"ffmpeg failed on {path} (rc={proc.returncode}): {proc.stderr}"
    assert proc.stderr == "", f"ffmpeg complained about {path}: {proc.stderr}"
    if not proc.stdout.strip():
        return []
    cues = [
        ClientCue(_td_ms(s.start), _td_ms(s.end), s.content, None) for s in srt.parse(proc.stdout)
    ]
    if path.suffix.lower() in (".vtt", ".webvtt"):
        # ffmpeg's WebVTT decoder escapes "{" and "}" as "\{" "\}" for its ASS stage and the SRT
        # encoder keeps the escapes; libass displays the braces, so undo them.
        cues = [ClientCue(c.start_ms, c.end_ms, _ASS_BRACE.sub(r"\1", c.text), None) for c in cues]
    return cues


def ffmpeg_version() -> str:
    """ffmpeg's version string, e.g. ``5.1.9-0+deb12u1``."""
    ffmpeg = _require("ffmpeg", "make setup  (apt-get install ffmpeg)")
    first = _run([ffmpeg, "-version"]).stdout.split("\n", 1)[0]
    return first.split()[2] if first.startswith("ffmpeg version") else first


def w3c_validate(path: Path) -> W3CResult:
    """Parse ``path`` with the W3C ``webvtt-parser`` (node), full entity set, 'subtitles' mode.

    Raises:
        ClientMissing: node or the npm package is not installed.
    """
    node = _require("node", "make setup  (apt-get install nodejs npm)")
    if not (JS_DIR / "node_modules" / "webvtt-parser").is_dir():
        raise ClientMissing(
            "the W3C webvtt-parser is not installed: "
            "run `npm ci --prefix tests/js` (or `make setup`)"
        )
    proc = _run([node, str(VALIDATE_VTT), str(path)])
    assert proc.returncode in (0, 1), f"validate_vtt.js crashed on {path}: {proc.stderr}"
    report = json.loads(proc.stdout)
    cues = [
        ClientCue(_ms(c["start"]), _ms(c["end"]), c["plain"], (c["voices"] or [None])[0])
        for c in report["cues"]
    ]
    errors = [W3CError(e["line"], e["col"], e["message"]) for e in report["errors"]]
    return W3CResult(
        cues=cues,
        ids=[c["id"] for c in report["cues"]],
        raw_texts=[c["text"] for c in report["cues"]],
        errors=errors,
    )


def strict_srt(path: Path) -> list[ClientCue]:
    """Read ``path`` with cdown/srt in strict mode (raises ``srt.SRTParseError`` on bad blocks)."""
    text = path.read_text(encoding="utf-8")
    return [
        ClientCue(_td_ms(s.start), _td_ms(s.end), s.content, None)
        for s in srt.parse(text, ignore_errors=False)
    ]


def strict_srt_indexes(path: Path) -> list[int]:
    """The cue numbers of ``path`` as cdown/srt reads them."""
    return [s.index for s in srt.parse(path.read_text(encoding="utf-8"))]


def strict_vtt(path: Path) -> list[ClientCue]:
    """Read ``path`` with webvtt-py in strict mode.

    webvtt-py's ``caption.text`` strips every ``<...>`` and leaves references undecoded, so the
    text here is the raw text with tags removed and then ``html.unescape``: an escaped ``&lt;``
    cannot be mistaken for a tag. Times come from ``in_milliseconds()``: ``start_in_seconds``
    drops the milliseconds.
    """
    captions = webvtt.read(str(path), strict=True)
    return [
        ClientCue(
            c.start_time.in_milliseconds(),
            c.end_time.in_milliseconds(),
            html.unescape(_strip_tags(c.raw_text)),
            c.voice,
        )
        for c in captions.captions
    ]


def seek_script(result: str) -> str:
    """A Playwright ``page.evaluate`` script for the preview pages: seek ``#player`` to its
    argument (seconds), wait until the seeked frame is painted (two animation frames), then
    return the JavaScript expression ``result``."""
    return (
        "async (t) => {\n"
        '  const player = document.getElementById("player");\n'
        '  await new Promise((ok) => { player.addEventListener("seeked", ok, {once: true});\n'
        "                              player.currentTime = t; });\n"
        "  await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));\n"
        f"  return {result};\n"
        "}"
    )


def _strip_tags(raw: str) -> str:
    return re.sub(r"<[^>]*>", "", raw)


# --- documents to feed the writers and the clients -------------------------------------------

# Names that stress the writers: punctuation in a voice name, markup characters, CJK, unnamed.
SPEAKERS = ("Li Xiaojun", "People's Daily", 'AT&T <Desk> "A\\B"', "王芳", "")
_ALPHABET = st.one_of(
    st.sampled_from("<&>-\\{}Nnh→。，你好سلام"),
    st.characters(categories=("L", "N", "P", "S", "Zs")),
)
_LINE = st.text(_ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool)


@st.composite
def subtitle_docs(draw: st.DrawFn, max_cues: int = 8) -> Subtitles:
    """Valid documents: sorted, non-overlapping cues of 1-3 clean lines, turns of one speaker."""
    count = draw(st.integers(1, max_cues))
    cues = []
    at = draw(st.integers(0, 5_000))
    turn = 0
    speaker = draw(st.sampled_from(SPEAKERS))
    for i in range(count):
        if i and draw(st.booleans()):
            turn += 1
            speaker = draw(st.sampled_from(SPEAKERS))
        start = at + draw(st.one_of(st.integers(0, 2_000), st.integers(0, 18_000_000)))
        end = start + draw(st.integers(1, 600_000))
        text = "\n".join(draw(st.lists(_LINE, min_size=1, max_size=3)))
        language = draw(st.sampled_from(("en", "en", "zh", "ar")))
        cues.append(Cue(start, end, speaker, text, language, turn))
        at = end
    named = dict.fromkeys(c.speaker for c in cues if c.speaker)
    roles = ("chairperson", "speaker", "media", "")
    speakers = tuple(Speaker(n, roles[k % 4], f"title --> {k}") for k, n in enumerate(named))
    return Subtitles(cues=tuple(cues), speakers=speakers, language="en")


def expected_cues(doc: Subtitles, options: WriteOptions, *, voices: bool) -> list[ClientCue]:
    """What a client should read back from our SRT (``voices=False``) or WebVTT (``voices=True``).

    Text as displayed: the label on a turn's first cue, then the cleaned lines, no tags, no
    escapes, no WORD JOINERs (compare with ``visible(client_text)``). Times clamped as written.
    """
    out = []
    for i, cue in enumerate(doc.cues):
        text = "\n".join(clean_lines(cue.text))
        if doc.first_of_turn(i):
            text = visible_label(cue.speaker, options, doc.language) + text
        voice = (annotation(cue.speaker) or None) if voices else None
        out.append(ClientCue(min(cue.start_ms, MAX_MS), min(cue.end_ms, MAX_MS), text, voice))
    return out


def write_file(doc: Subtitles, path: Path, options: WriteOptions | None = None) -> Path:
    """Write ``doc`` to ``path`` in the format its extension names (UTF-8, ``\\n`` line ends)."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        write(doc, stream, format_for_path(path), options)
    return path
