"""Arabic output end to end: logical order, whole words, U+200F only where needed, drawn RTL.

The real CLI (``python -m aligner make --lang ar``) subtitles ``data/transcripts/arabic-mixed.txt``,
a hand-written briefing whose Arabic cues hold a Latin word or a number, whose one English
turn holds an Arabic word, and where a Latin-named speaker (``CGTN: مساء الخير``) and Arabic
cues that start with a Latin word (``Orion هو ...``, on a first or a second line) need a
RIGHT-TO-LEFT MARK: renderers take a paragraph's direction from its first strong character. The
files must hold that mark at the start of exactly those lines and no other direction control.
Chromium (Debian's /usr/bin/chromium driven by Playwright, as in ``test_preview.py``) plays a
blank video with two tracks: our WebVTT as written (its cues and ``activeCues`` must hold the
transcript's text in logical order) and a copy in which one pair of neighbouring words per
checked cue is wrapped in ``<c.ar>`` / ``<c.lat>`` and coloured green / red by the page. A
screenshot of the video shows where each colour is drawn: in a right-to-left paragraph the word
that comes second in logical order is drawn to the LEFT of the first one, in a left-to-right
paragraph to the right. Control cues forced LTR with a leading U+200E, stored in visual
(reversed) order, or written without our U+200F must fail that check, so the check is known to
be able to fail. libass (ffmpeg's ``subtitles`` filter, as mpv draws) with automatic base
direction takes the direction line by line: the same check on our SRT shows why a second line
that starts with a Latin word needs its own mark.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from clients import seek_script, strict_srt, strict_vtt, visible
from PIL import Image

pytestmark = pytest.mark.client

TRANSCRIPT = Path(__file__).parent / "data" / "transcripts" / "arabic-mixed.txt"
INSTALL = "scripts/install_system_packages.sh (apt-get install chromium ffmpeg)"

# Explicit bidi formatting characters (UAX #9 §2): LRM, RLM, ALM, the embeddings and overrides
# LRE RLE PDF LRO RLO, the isolates LRI RLI FSI PDI. Written out here, not imported from
# aligner.languages, so the test does not trust the code it checks.
DIRECTION_CONTROLS = frozenset(
    "\u200e\u200f\u061c"
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2066, 0x206A)))
)
LRM, RLM = "\u200e", "\u200f"
_ARABIC = re.compile("[\u0600-\u06ff]")
# The first letter of a line: Latin or Arabic (the only scripts of the transcript).
_FIRST_LETTER = re.compile("[A-Za-z\u0600-\u06ff]")

# (first, second, drawn right to left): two neighbours on one line of one cue, in logical order.
PAIRS = [
    ("عن مشروع", "Orion", True),  # Arabic, then a Latin word
    ("التكلفة", "120", True),  # Arabic, then a number, on a turn's first (labelled) cue
    ("عام", "2026", True),  # on the second line of a cue
    ("ترجمتها", "Peace", True),
    ("word", "سلام", False),  # the English turn with an Arabic word: left to right
    ("CGTN:", "مساء", True),  # a Latin-named speaker's label, then Arabic: U+200F in front
    ("Orion", "هو", True),  # a cue that starts with a Latin word: U+200F in front
    ("Orion", "اسم", True),  # a second line that starts with a Latin word
]
# The pairs whose line starts with a Latin word: drawn left to right without our U+200F, by
# Chromium when the line is the cue's first (it takes the direction from the whole cue), by
# libass on any line.
MARKED = {
    ("CGTN:", "مساء"): "first line",
    ("Orion", "هو"): "first line",
    ("Orion", "اسم"): "line 2",
}
# The page colours the two runs; pure colours so anti-aliased edges and white text never match.
GREEN, RED = "ar", "lat"
PAGE_CSS = """
body { margin: 0; background: #000; }
video::cue { font-size: 28px; color: #fff; background: #000; }
video::cue(.ar) { color: #00ff00; }
video::cue(.lat) { color: #ff0000; }
"""


def require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed: run {INSTALL}")
    return path


def transcript_turns() -> list[tuple[str, str]]:
    """(speaker, text) of each ``Name: text`` line, read without the aligner's parser."""
    turns = []
    for line in TRANSCRIPT.read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, sep, text = line.partition(": ")
            assert sep, f"not a turn line: {line!r}"
            turns.append((name, " ".join(text.split())))
    return turns


def script(text: str) -> str:
    """The colour class of a run: ``ar`` when it holds Arabic letters, else ``lat``."""
    return GREEN if _ARABIC.search(text) else RED


@dataclass(frozen=True, slots=True)
class Made:
    srt: Path
    vtt: Path
    json: Path
    cues: list[dict[str, Any]]  # the JSON cues

    def shown(self, index: int) -> str:
        """Cue ``index`` as displayed: the speaker label on a turn's first cue, then its text."""
        cue = self.cues[index]
        label = f"{cue['speaker']}: " if cue["first_of_turn"] else ""
        return label + str(cue["text"])


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    out = tmp_path_factory.mktemp("rtl")
    command = [sys.executable, "-m", "aligner", "make", str(TRANSCRIPT), "--lang", "ar"]
    command += ["-f", "srt,vtt,json", "-o", str(out)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    srt, vtt, jsn = (out / f"{TRANSCRIPT.stem}.{ext}" for ext in ("srt", "vtt", "json"))
    data = json.loads(jsn.read_text(encoding="utf-8"))
    assert data["language"] == "ar"
    return Made(srt, vtt, jsn, cues=data["cues"])


# --- the files ---------------------------------------------------------------------------------


def needs_mark(cue: dict[str, Any], lines: list[str]) -> list[bool]:
    """Which displayed lines of an Arabic-language cue must start with U+200F.

    Those whose first letter is not Arabic (a Latin word, or no letter at all), in a cue in
    Arabic that holds an Arabic letter; a cue in English, or without any Arabic, gets none.
    """
    if cue["language"] != "ar" or not any(_ARABIC.search(line) for line in lines):
        return [False] * len(lines)
    firsts = [_FIRST_LETTER.search(line) for line in lines]
    return [first is None or not _ARABIC.match(first[0]) for first in firsts]


def test_right_to_left_marks_exactly_where_needed(made: Made) -> None:
    assert not DIRECTION_CONTROLS & set(TRANSCRIPT.read_text(encoding="utf-8"))
    # JSON: the text without marks (they are a rendering aid), also not as \u escapes
    decoded = json.dumps(json.loads(made.json.read_text(encoding="utf-8")), ensure_ascii=False)
    assert not DIRECTION_CONTROLS & (set(made.json.read_text(encoding="utf-8")) | set(decoded))
    # SRT and WebVTT: no other direction control, and U+200F only where the cue needs it
    for path in (made.srt, made.vtt):
        found = sorted(DIRECTION_CONTROLS - {RLM} & set(path.read_text(encoding="utf-8")))
        assert found == [], f"{path.name}: {[f'U+{ord(ch):04X}' for ch in found]}"
    expected = []
    for index, cue in enumerate(made.cues):
        lines = made.shown(index).split("\n")
        marks = needs_mark(cue, lines)
        expected.append(
            "\n".join(RLM + line if m else line for line, m in zip(lines, marks, strict=True))
        )
    srt_texts = [c.text.replace("\u2060", "") for c in strict_srt(made.srt)]
    vtt_texts = [c.text for c in strict_vtt(made.vtt)]  # tags removed, references decoded
    assert srt_texts == expected
    assert vtt_texts == expected
    # in the WebVTT, the mark is the first character after the voice tag
    blocks = [b for b in vtt_blocks(made.vtt.read_text(encoding="utf-8")) if "-->" in b]
    marked = [line for b in blocks for line in cue_payload(b).split("\n") if RLM in line]
    assert all(re.fullmatch(f"(?:<v [^>]*>)?{RLM}[^{RLM}]*", line) for line in marked), marked
    total = sum(text.count(RLM) for text in expected)
    assert made.vtt.read_text(encoding="utf-8").count(RLM) == total
    assert made.srt.read_text(encoding="utf-8").count(RLM) == total
    # the transcript has each case: a label, a first line and a second line starting in Latin,
    # and a Latin-only cue kept in Arabic (no mark: nothing right to left in it)
    starts = [line[1:6] for text in expected for line in text.split("\n") if line[0] == RLM]
    assert sorted(starts) == ["CGTN:", "CGTN:", "Orion", "Orion"]
    assert any(c["language"] == "ar" and not _ARABIC.search(c["text"]) for c in made.cues)


def test_cues_are_the_transcript_in_logical_order_with_whole_words(made: Made) -> None:
    turns = transcript_turns()
    mixed = [
        c["text"]
        for c in made.cues
        if _ARABIC.search(c["text"]) and re.search("[A-Z0-9]", c["text"])
    ]
    assert len(mixed) >= 4, "the transcript must mix Arabic with Latin words and numbers"
    shown = [made.shown(i) for i in range(len(made.cues))]
    # the same text in all three files, read by independent strict readers
    assert [visible(c.text) for c in strict_srt(made.srt)] == shown
    assert [visible(c.text) for c in strict_vtt(made.vtt)] == shown
    assert max(c["turn"] for c in made.cues) == len(turns) - 1
    for k, (speaker, text) in enumerate(turns):
        cues = [c for c in made.cues if c["turn"] == k]
        assert {c["speaker"] for c in cues} == {speaker}
        assert [c["first_of_turn"] for c in cues] == [True] + [False] * (len(cues) - 1)
        lines = [line for c in cues for line in c["text"].split("\n")]
        assert [c["lines"] for c in cues] == [c["text"].split("\n") for c in cues]
        # logical order: the lines read one after the other are the turn's text
        assert " ".join(lines) == text
        # whole words: every line and every cue starts and ends at a space of the turn's text,
        # so the words of the lines are exactly the words of the turn
        assert [w for line in lines for w in line.split()] == text.split()
        assert all(line == line.strip() and line for line in lines)


# --- the browser -------------------------------------------------------------------------------


def blank_video(path: Path, seconds: int) -> bytes:
    """A silent dark WebM of ``seconds`` (the cues are drawn over it), as bytes."""
    source = f"color=c=0x203040:s=800x450:r=2:d={seconds}"
    vp9 = ["-c:v", "libvpx-vp9", "-b:v", "50k", "-deadline", "realtime", "-cpu-used", "8"]
    subprocess.run(
        [require("ffmpeg"), "-v", "error", "-y", "-f", "lavfi", "-i", source, *vp9, str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path.read_bytes()


def data_uri(mime: str, data: bytes) -> str:
    # data: URIs need no server: Chromium loads and seeks them from memory
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


_READY = """async () => {
  const player = document.getElementById("player");
  const tracks = Array.from(player.querySelectorAll("track"));
  // a disabled track is never fetched: choose the modes first
  for (const el of tracks) el.track.mode = el.id === "coloured" ? "showing" : "hidden";
  await Promise.all(tracks.map((el) => el.readyState === 2 ? null : new Promise((ok, bad) => {
    el.addEventListener("load", ok);
    el.addEventListener("error", () => bad("track error: " + el.id));
    setTimeout(() => bad("track timeout: " + el.id + " readyState " + el.readyState), 10000);
  })));
  if (player.readyState < 1) await new Promise((ok, bad) => {
    player.addEventListener("loadedmetadata", ok);
    setTimeout(() => bad("media timeout " + (player.error && player.error.code)), 10000);
  });
  window.described = (c) => ({id: c.id, start: c.startTime, end: c.endTime, text: c.text,
                              shown: c.getCueAsHTML().textContent});
  return Object.fromEntries(tracks.map((el) => [el.id, Array.from(el.track.cues).map(described)]));
}"""

_SEEK = seek_script(
    'Object.fromEntries(Array.from(player.querySelectorAll("track")).map(\n'
    "    (el) => [el.id, Array.from(el.track.activeCues).map(described)]))"
)


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    right: int
    top: int
    bottom: int


class Player:
    """A page with a ``<video>`` and WebVTT tracks (``coloured`` is the one drawn)."""

    def __init__(self, browser: Any, video: str, tracks: dict[str, str]) -> None:
        items = "".join(
            f'<track id="{name}" kind="subtitles" srclang="ar" src="{src}">'
            for name, src in ((n, data_uri("text/vtt", vtt.encode())) for n, vtt in tracks.items())
        )
        page_html = (
            f'<!doctype html><html><head><meta charset="utf-8"><style>{PAGE_CSS}</style></head>'
            f'<body><video id="player" width="800" height="450" muted preload="auto" src="{video}">'
            f"{items}</video></body></html>"
        )
        self.page = browser.new_page(viewport={"width": 800, "height": 450})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.page.set_content(page_html)
        self.cues: dict[str, list[dict[str, Any]]] = self.page.evaluate(_READY)

    def seek(self, t: float) -> dict[str, list[dict[str, Any]]]:
        active: dict[str, list[dict[str, Any]]] = self.page.evaluate(_SEEK, t)
        return active

    def colour_boxes(self, shot: Path) -> dict[str, Box]:
        """Where the green (``ar``) and red (``lat``) text is drawn in a screenshot of the video."""
        self.page.locator("#player").screenshot(path=str(shot))
        return colour_boxes(shot)

    def close(self) -> None:
        assert self.errors == []
        self.page.close()


def colour_boxes(picture: Path) -> dict[str, Box]:
    """Where the green (``ar``) and red (``lat``) text is drawn in ``picture``."""
    rgb = np.asarray(Image.open(io.BytesIO(picture.read_bytes())).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    masks = {GREEN: (g > 200) & (r < 80) & (b < 80), RED: (r > 200) & (g < 80) & (b < 80)}
    boxes = {}
    for name, mask in masks.items():
        ys, xs = np.nonzero(mask)
        assert len(xs) > 30, f"no {name} text drawn in {picture}"
        boxes[name] = Box(int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max()))
    return boxes


def drawn_rtl(boxes: dict[str, Box], first: str, second: str) -> bool:
    """Whether ``second`` (after ``first`` in logical order) is drawn to the left of ``first``."""
    a, b = boxes[script(first)], boxes[script(second)]
    assert a.top < b.bottom and b.top < a.bottom, f"not on one line: {boxes}"
    assert a.right < b.left or b.right < a.left, f"the runs overlap: {boxes}"
    return b.right < a.left


def vtt_blocks(vtt: str) -> list[str]:
    return vtt.rstrip("\n").split("\n\n")


def cue_payload(block: str) -> str:
    """The text of a cue block (after its id and timing lines)."""
    return block.split("\n", 2)[2]


def coloured_copy(vtt: str) -> tuple[str, dict[int, tuple[str, str, bool]]]:
    """Our WebVTT with each pair of ``PAIRS`` wrapped in ``<c.ar>``/``<c.lat>`` spans.

    Returns the copy and, by cue index (0 = the first cue), the pair wrapped in that cue.
    """
    assert "<c" not in vtt
    blocks = vtt_blocks(vtt)
    cue_blocks = [k for k, block in enumerate(blocks) if "-->" in block]
    wrapped: dict[int, tuple[str, str, bool]] = {}
    for first, second, rtl in PAIRS:
        joined = f"{first} {second}"
        hits = [n for n, k in enumerate(cue_blocks) if joined in cue_payload(blocks[k])]
        assert len(hits) == 1, f"{joined!r} should be on one line of one cue, found in {hits}"
        n = hits[0]
        assert n not in wrapped and blocks[cue_blocks[n]].count(joined) == 1
        span = f"<c.{script(first)}>{first}</c> <c.{script(second)}>{second}</c>"
        blocks[cue_blocks[n]] = blocks[cue_blocks[n]].replace(joined, span)
        wrapped[n] = (first, second, rtl)
    return "\n\n".join(blocks) + "\n", wrapped


def test_chromium_keeps_logical_order_and_draws_arabic_right_to_left(
    made: Made, browser: Any, tmp_path: Path
) -> None:
    ours = made.vtt.read_text(encoding="utf-8")
    copy, wrapped = coloured_copy(ours)
    # the copy is our file with spans added, nothing else
    assert re.sub(r"</?c(?:\.(?:ar|lat))?>", "", copy) == ours
    end_s = max(c["end_ms"] for c in made.cues) // 1000 + 2
    video = data_uri("video/webm", blank_video(tmp_path / "blank.webm", end_s))
    player = Player(browser, video, {"ours": ours, "coloured": copy})
    shown = [made.shown(i) for i in range(len(made.cues))]
    blocks = [b for b in vtt_blocks(ours) if "-->" in b]
    # every cue as the browser parsed it: our payload, displayed as the transcript's text
    assert [c["text"] for c in player.cues["ours"]] == [cue_payload(b) for b in blocks]
    assert [visible(c["shown"]) for c in player.cues["ours"]] == shown
    assert [visible(c["shown"]) for c in player.cues["coloured"]] == shown
    for index, (first, second, rtl) in sorted(wrapped.items()):
        cue = made.cues[index]
        active = player.seek((cue["start_ms"] + cue["end_ms"]) / 2000)
        assert [c["text"] for c in active["ours"]] == [cue_payload(blocks[index])]
        assert [visible(c["shown"]) for c in active["ours"]] == [shown[index]]
        assert [visible(c["shown"]) for c in active["coloured"]] == [shown[index]]
        boxes = player.colour_boxes(tmp_path / f"cue-{index + 1}.png")
        assert drawn_rtl(boxes, first, second) == rtl, (shown[index], boxes)
    player.close()


def vtt_of(payloads: list[str]) -> str:
    """A WebVTT file of ``payloads``, cue ``n`` (0-based) shown from ``2n`` to ``2n + 1.5`` s."""
    cues = [
        f"{n + 1}\n00:00:{2 * n:02d}.000 --> 00:00:{2 * n + 1:02d}.500\n{p}"
        for n, p in enumerate(payloads)
    ]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def test_the_direction_check_can_fail(made: Made, browser: Any, tmp_path: Path) -> None:
    """Controls: forced LTR (a leading U+200E), visual (reversed) order, and our cues that start
    with a Latin word written without their U+200F give the other answer."""
    first, second, _ = PAIRS[0]
    copy, wrapped = coloured_copy(made.vtt.read_text(encoding="utf-8"))
    payloads = [cue_payload(b) for b in vtt_blocks(copy) if "-->" in b]
    by_pair = {(a, b): payloads[n] for n, (a, b, _) in wrapped.items()}
    payload = by_pair[first, second]
    voice, _, text = payload.partition(">")
    plain = re.sub(r"</?c(?:\.(?:ar|lat))?>", "", text)
    reversed_text = plain[::-1].replace(
        f"{second[::-1]} {first[::-1]}",
        f"<c.{script(second)}>{second[::-1]}</c> <c.{script(first)}>{first[::-1]}</c>",
    )
    assert reversed_text != plain[::-1]
    # name -> (payload, first, second, drawn right to left)
    variants = {
        "ours": (payload, first, second, True),
        "forced LTR": (f"{voice}>{LRM}{text}", first, second, False),
        "visual order": (f"{voice}>{reversed_text}", first, second, False),
    }
    for (a, b), where in MARKED.items():
        marked = by_pair[a, b]
        assert marked.count(RLM) == 1
        variants[f"{a} {b}: ours"] = (marked, a, b, True)
        # Chromium takes the direction from the whole cue: without the mark, a first line that
        # starts with a Latin word turns the cue left to right; a second line follows the first
        variants[f"{a} {b}: without U+200F"] = (marked.replace(RLM, ""), a, b, where == "line 2")
    video = data_uri("video/webm", blank_video(tmp_path / "blank.webm", 2 * len(variants) + 1))
    player = Player(browser, video, {"coloured": vtt_of([v[0] for v in variants.values()])})
    seen = {}
    for n, (name, (_, a, b, _)) in enumerate(variants.items()):
        assert len(player.seek(2 * n + 0.75)["coloured"]) == 1
        seen[name] = drawn_rtl(player.colour_boxes(tmp_path / f"control-{n}.png"), a, b)
    player.close()
    assert seen == {name: v[3] for name, v in variants.items()}


# --- libass ------------------------------------------------------------------------------------

# libass takes the base direction from the text only with Encoding -1 in the style (mpv 0.35 and
# ffmpeg 5.1 leave it at 0: every line left to right, a U+200F changes nothing there).
LIBASS_STYLE = "Encoding=-1"
FONT = {GREEN: '<font color="#00ff00">', RED: '<font color="#ff0000">'}


def srt_coloured(text: str, first: str, second: str) -> str:
    """Cue ``text`` with ``first`` and ``second`` (neighbours) in SRT font colours."""
    joined = f"{first} {second}"
    assert text.count(joined) == 1, (joined, text)
    span = f"{FONT[script(first)]}{first}</font> {FONT[script(second)]}{second}</font>"
    return text.replace(joined, span)


def libass_boxes(srt: Path, at_s: float, picture: Path) -> dict[str, Box]:
    """The colour boxes of the frame at ``at_s`` of a blank video with ``srt`` drawn by libass."""
    draw = f"subtitles={srt.name}:force_style='{LIBASS_STYLE}'"
    command = [require("ffmpeg"), "-v", "error", "-y", "-f", "lavfi", "-i", "color=s=800x450"]
    command += ["-ss", f"{at_s:.3f}", "-vf", draw, "-frames:v", "1", str(picture)]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
        timeout=60,
        cwd=srt.parent,
    )
    return colour_boxes(picture)


def test_libass_takes_the_direction_line_by_line(made: Made, tmp_path: Path) -> None:
    """Our SRT drawn by libass with automatic base direction: every pair as in Chromium; without
    our U+200F, each line that starts with a Latin word is drawn left to right, a second line
    too (Chromium would take the cue's direction for it)."""
    texts = [c.text for c in strict_srt(made.srt)]
    variants = []  # (text, first, second, drawn right to left)
    for first, second, rtl in PAIRS:
        (text,) = [t for t in texts if f"{first} {second}" in t]
        variants.append((srt_coloured(text, first, second), first, second, rtl))
        if (first, second) in MARKED:
            assert text.count(RLM) == 1
            unmarked = srt_coloured(text.replace(RLM, ""), first, second)
            variants.append((unmarked, first, second, False))
    srt = tmp_path / "coloured.srt"
    srt.write_text(
        "\n".join(
            f"{n + 1}\n00:00:{2 * n:02d},000 --> 00:00:{2 * n + 1:02d},500\n{text}\n"
            for n, (text, *_) in enumerate(variants)
        ),
        encoding="utf-8",
    )
    seen = [
        drawn_rtl(libass_boxes(srt, 2 * n + 0.75, tmp_path / f"libass-{n}.png"), first, second)
        for n, (_, first, second, _) in enumerate(variants)
    ]
    assert seen == [v[3] for v in variants]
