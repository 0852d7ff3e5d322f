"""Arabic output end to end: logical order, whole words, no direction marks, drawn RTL by Chromium.

The real CLI (``python -m aligner make --lang ar``) subtitles ``data/transcripts/arabic-mixed.txt``,
a hand-written briefing whose Arabic cues hold a Latin word or a number and whose one English
turn holds an Arabic word. Chromium (Debian's /usr/bin/chromium driven by Playwright, as in
``test_preview.py``) plays a blank video with two tracks: our WebVTT as written (its cues and
``activeCues`` must hold the transcript's text in logical order) and a copy in which one pair of
neighbouring words per checked cue is wrapped in ``<c.ar>`` / ``<c.lat>`` and coloured green /
red by the page. A screenshot of the video shows where each colour is drawn: in a right-to-left
paragraph the word that comes second in logical order is drawn to the LEFT of the first one, in
a left-to-right paragraph to the right. A control cue forced LTR with a leading U+200E and one
stored in visual (reversed) order must fail that check, so the check is known to be able to fail.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from clients import strict_srt, strict_vtt, visible
from PIL import Image

pytestmark = pytest.mark.client

TRANSCRIPT = Path(__file__).parent / "data" / "transcripts" / "arabic-mixed.txt"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL = "scripts/install_system_packages.sh (apt-get install chromium ffmpeg)"

# Explicit bidi formatting characters (UAX #9 §2): LRM, RLM, ALM, the embeddings and overrides
# LRE RLE PDF LRO RLO, the isolates LRI RLI FSI PDI. Written out here, not imported from
# aligner.languages, so the test does not trust the code it checks.
DIRECTION_CONTROLS = frozenset(
    "\u200e\u200f\u061c"
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2066, 0x206A)))
)
LRM = "\u200e"
_ARABIC = re.compile("[\u0600-\u06ff]")

# (first, second, drawn right to left): two neighbours on one line of one cue, in logical order.
PAIRS = [
    ("عن مشروع", "Orion", True),  # Arabic, then a Latin word
    ("التكلفة", "120", True),  # Arabic, then a number, on a turn's first (labelled) cue
    ("عام", "2026", True),  # on the second line of a cue
    ("ترجمتها", "Peace", True),
    ("word", "سلام", False),  # the English turn with an Arabic word: left to right
]
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


def test_no_direction_marks(made: Made) -> None:
    assert not DIRECTION_CONTROLS & set(TRANSCRIPT.read_text(encoding="utf-8"))
    for path in (made.srt, made.vtt, made.json):
        found = sorted(DIRECTION_CONTROLS & set(path.read_text(encoding="utf-8")))
        assert found == [], f"{path.name}: {[f'U+{ord(ch):04X}' for ch in found]}"
    # JSON could also hide one as a \u escape
    decoded = json.dumps(json.loads(made.json.read_text(encoding="utf-8")), ensure_ascii=False)
    assert not DIRECTION_CONTROLS & set(decoded)


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
    assert [c.text for c in strict_vtt(made.vtt)] == shown
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run .venv/bin/pip install -e '.[dev]'")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run {INSTALL}")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


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

_SEEK = """async (t) => {
  const player = document.getElementById("player");
  await new Promise((ok) => { player.addEventListener("seeked", ok, {once: true});
                              player.currentTime = t; });
  await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
  return Object.fromEntries(Array.from(player.querySelectorAll("track")).map(
    (el) => [el.id, Array.from(el.track.activeCues).map(described)]));
}"""


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
        rgb = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")).astype(int)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        masks = {GREEN: (g > 200) & (r < 80) & (b < 80), RED: (r > 200) & (g < 80) & (b < 80)}
        boxes = {}
        for name, mask in masks.items():
            ys, xs = np.nonzero(mask)
            assert len(xs) > 30, f"no {name} text drawn in {shot}"
            boxes[name] = Box(int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max()))
        return boxes

    def close(self) -> None:
        assert self.errors == []
        self.page.close()


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
    assert [c["shown"] for c in player.cues["ours"]] == shown
    assert [c["shown"] for c in player.cues["coloured"]] == shown
    for index, (first, second, rtl) in sorted(wrapped.items()):
        cue = made.cues[index]
        active = player.seek((cue["start_ms"] + cue["end_ms"]) / 2000)
        assert [c["text"] for c in active["ours"]] == [cue_payload(blocks[index])]
        assert [c["shown"] for c in active["ours"]] == [shown[index]]
        assert [c["shown"] for c in active["coloured"]] == [shown[index]]
        boxes = player.colour_boxes(tmp_path / f"cue-{index + 1}.png")
        assert drawn_rtl(boxes, first, second) == rtl, (shown[index], boxes)
    player.close()


def test_the_direction_check_can_fail(made: Made, browser: Any, tmp_path: Path) -> None:
    """Controls: forced LTR (a leading U+200E) and visual (reversed) order give the other answer."""
    first, second, _ = PAIRS[0]
    copy, wrapped = coloured_copy(made.vtt.read_text(encoding="utf-8"))
    index = next(n for n, pair in wrapped.items() if pair[0] == first)
    payload = cue_payload([b for b in vtt_blocks(copy) if "-->" in b][index])
    voice, _, text = payload.partition(">")
    plain = re.sub(r"</?c(?:\.(?:ar|lat))?>", "", text)
    reversed_text = plain[::-1].replace(
        f"{second[::-1]} {first[::-1]}",
        f"<c.{script(second)}>{second[::-1]}</c> <c.{script(first)}>{first[::-1]}</c>",
    )
    assert reversed_text != plain[::-1]
    variants = {
        "ours": payload,
        "forced LTR": f"{voice}>{LRM}{text}",
        "visual order": f"{voice}>{reversed_text}",
    }
    vtt = (
        "WEBVTT\n\n"
        + "\n\n".join(
            f"{n + 1}\n00:00:0{2 * n}.000 --> 00:00:0{2 * n + 1}.500\n{p}"
            for n, p in enumerate(variants.values())
        )
        + "\n"
    )
    video = data_uri("video/webm", blank_video(tmp_path / "blank.webm", 7))
    player = Player(browser, video, {"coloured": vtt})
    seen = {}
    for n, name in enumerate(variants):
        assert len(player.seek(2 * n + 0.75)["coloured"]) == 1
        seen[name] = drawn_rtl(player.colour_boxes(tmp_path / f"control-{n}.png"), first, second)
    player.close()
    assert seen == {"ours": True, "forced LTR": False, "visual order": False}
