"""The preview page in headless Chromium (Playwright), the review video in ffprobe and mpv.

Real clients, as ``shared/notes/real-clients.md`` describes them: Debian's /usr/bin/chromium
driven by Playwright (never `playwright install`), pages served over 127.0.0.1 with HTTP Range
(without it Chromium cannot seek), mpv over its JSON IPC socket. A missing tool fails the test
with the install step. Set ``ALIGNER_SHOTS_DIR`` to keep the screenshots (docs/img uses it).
"""

from __future__ import annotations

import contextlib
import html
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from clients import seek_script

from aligner.cli import main
from aligner.review.load import load_subtitles, to_vtt
from aligner.review.preview import write_preview
from aligner.review.video import make_video
from aligner.writers._text import WORD_JOINER

pytestmark = pytest.mark.client

INSTALL = "scripts/install_system_packages.sh (apt-get install chromium mpv espeak-ng ffmpeg)"
HOSTILE = '<script>window.__pwned = 1</script> & <img src=x onerror="window.__pwned = 2">'

# (start_ms, end_ms, speaker, lines, confidence, needs_review); speech is placed at each start.
CUES: list[tuple[int, int, str, list[str], float | None, bool | None]] = [
    (500, 2300, "Li Xiaojun", ["Good afternoon, everyone."], 0.93, False),
    (2700, 4300, "Li Xiaojun", ["Thank you for coming."], 0.31, True),
    (4900, 6600, "CGTN", ["A question, please.", HOSTILE], None, None),
]
SPOKEN = ["Good afternoon, everyone.", "Thank you for coming.", "A question, please."]
TOTAL_MS = 7500


def require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed: run {INSTALL}")
    return path


def synth_speech(spoken: list[tuple[int, str]], total_ms: int, path: Path) -> Path:
    """A mono WAV of ``total_ms`` with each text spoken by espeak-ng from its start time."""
    espeak = require("espeak-ng")
    rate = 22050
    samples = array("h", bytes(2 * rate * total_ms // 1000))
    with tempfile.TemporaryDirectory() as tmp:
        for k, (start_ms, text) in enumerate(spoken):
            part = Path(tmp) / f"{k}.wav"
            subprocess.run([espeak, "-s", "190", "-w", str(part), text], check=True)
            with wave.open(str(part)) as w:
                assert w.getframerate() == rate and w.getsampwidth() == 2
                voice = array("h", w.readframes(w.getnframes()))
            at = rate * start_ms // 1000
            end = min(len(samples), at + len(voice))
            samples[at:end] = voice[: end - at]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def review_json(path: Path) -> Path:
    """Our JSON layout (schema 1) plus the alignment's optional per-cue fields."""
    cues: list[dict[str, Any]] = []
    for k, (start, end, speaker, lines, confidence, review) in enumerate(CUES):
        cue: dict[str, Any] = {
            "index": k + 1,
            "start_ms": start,
            "end_ms": end,
            "speaker": speaker,
            "role": "",
            "language": "en",
            "turn": 0 if speaker == "Li Xiaojun" else 1,
            "first_of_turn": k in (0, 2),
            "lines": lines,
            "text": "\n".join(lines),
        }
        if confidence is not None:
            cue["confidence"] = confidence
        if review is not None:
            cue["needs_review"] = review
        cues.append(cue)
    data = {
        "schema": 1,
        "language": "en",
        "source": "test.txt",
        "date": None,
        "speakers": [{"name": "Li Xiaojun", "role": "speaker", "title": ""}],
        "cues": cues,
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("preview")
    synth_speech(
        [(c[0], text) for c, text in zip(CUES, SPOKEN, strict=True)], TOTAL_MS, root / "speech.wav"
    )
    review_json(root / "subs.json")
    return root


def shots_dir(default: Path) -> Path:
    wanted = os.environ.get("ALIGNER_SHOTS_DIR")
    target = Path(wanted) if wanted else default
    target.mkdir(parents=True, exist_ok=True)
    return target


# --- serving and the browser -----------------------------------------------------------------


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single ``Range: bytes=a-b`` support (Chromium needs it to seek)."""

    extensions_map = {  # noqa: RUF012 - the base class declares it this way
        ".html": "text/html; charset=utf-8",
        ".vtt": "text/vtt; charset=utf-8",
        ".wav": "audio/wav",
        ".mp4": "video/mp4",
        "": "application/octet-stream",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        spec = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not spec.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        first_text, _, last_text = spec[6:].partition("-")
        first = int(first_text or 0)
        last = min(int(last_text) if last_text else size - 1, size - 1)
        stream = path.open("rb")
        stream.seek(first)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.end_headers()
        return _Limited(stream, last - first + 1)


class _Limited:
    def __init__(self, stream: Any, length: int) -> None:
        self.stream, self.left = stream, length

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data: bytes = self.stream.read(n)
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.stream.close()


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    def handler(*args: Any, **kwargs: Any) -> _RangeHandler:
        return _RangeHandler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


_TRACK_READY = """async () => {
  const el = document.getElementById("subs");
  const player = document.getElementById("player");
  if (el.readyState !== 2) await new Promise((ok, bad) => {
    el.addEventListener("load", ok); el.addEventListener("error", () => bad("track error"));
    setTimeout(() => bad("track timeout, readyState " + el.readyState), 10000);
  });
  if (player.readyState < 1) await new Promise((ok, bad) => {
    player.addEventListener("loadedmetadata", ok);
    setTimeout(() => bad("media timeout " + (player.error && player.error.code)), 10000);
  });
  return {ready: el.readyState, cues: Array.from(el.track.cues).map(c => [c.id, c.startTime,
          c.endTime, c.text]), duration: player.duration};
}"""

_SEEK = seek_script("active()")

_ACTIVE = """() => { window.active = () => ({
  time: document.getElementById("player").currentTime,
  track: Array.from(document.getElementById("subs").track.activeCues).map(c => c.id),
  list: Array.from(document.querySelectorAll("#cues li.active")).map(li => li.dataset.id)});
}"""


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 900, "height": 640})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(url)
    page.evaluate(_ACTIVE)
    page.errors = errors
    return page


def test_page_plays_lists_highlights_and_seeks(media: Path, browser: Any) -> None:
    doc = load_subtitles(media / "subs.json")
    write_preview(doc, media / "speech.wav", media / "page.html")
    with serve(media) as base:
        page = _open(browser, f"{base}/page.html")
        loaded = page.evaluate(_TRACK_READY)
        assert loaded["ready"] == 2
        assert [c[0] for c in loaded["cues"]] == ["1", "2", "3"]
        assert [(c[1], c[2]) for c in loaded["cues"]] == [(0.5, 2.3), (2.7, 4.3), (4.9, 6.6)]
        assert loaded["duration"] == pytest.approx(TOTAL_MS / 1000, abs=0.05)
        for t, want in [(1.0, ["1"]), (2.5, []), (3.0, ["2"]), (6.0, ["3"]), (7.0, [])]:
            state = page.evaluate(_SEEK, t)
            assert state["track"] == want, (t, state)
            assert state["list"] == want, (t, state)
        page.locator('#cues li[data-id="2"]').click()
        page.wait_for_function("() => active().list.join() === '2'")
        state = page.evaluate("active()")
        assert state["time"] == pytest.approx(2.7, abs=0.01)
        page.locator('#cues li[data-id="3"]').click()
        page.wait_for_function("() => active().list.join() === '3'")
        assert page.evaluate("active()")["time"] == pytest.approx(4.9, abs=0.01)
        # the current cue is drawn over the player; keep a picture of it
        shot = shots_dir(media / "shots") / "preview-page.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        assert page.errors == []
        page.close()


def test_page_marks_review_cues_and_escapes_text(media: Path, browser: Any) -> None:
    doc = load_subtitles(media / "subs.json")
    write_preview(doc, media / "speech.wav", media / "page2.html")
    with serve(media) as base:
        page = _open(browser, f"{base}/page2.html")
        loaded = page.evaluate(_TRACK_READY)
        marked = page.eval_on_selector_all("#cues li.review", "els => els.map(e => e.dataset.id)")
        assert marked == ["2"]
        assert "0.31" in page.inner_text('#cues li[data-id="2"] .badge')
        # the hostile line is text in the list and in the track, never markup
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#cues img, #cues script").count() == 0
        assert page.locator("script").count() == 1
        assert HOSTILE in page.inner_text('#cues li[data-id="3"] .txt')
        assert "<script>" not in loaded["cues"][2][3]
        assert HOSTILE in html.unescape(loaded["cues"][2][3])
        page.evaluate(_SEEK, 6.0)
        assert page.inner_text("#now") == f"CGTN: A question, please.\n{HOSTILE}"
        assert page.locator("#now *").count() == 1  # one line element, text only
        assert page.evaluate("window.__pwned") is None
        # speakers get their own colours
        colours = page.eval_on_selector_all(
            "#cues li", "els => els.map(e => getComputedStyle(e).borderLeftColor)"
        )
        assert colours[0] == colours[1] != colours[2]
        assert page.errors == []
        page.close()


def test_srt_input_marks_nothing_and_folder_mode_seeks(media: Path, browser: Any) -> None:
    srt = media / "plain.srt"
    srt.write_text(
        "1\n00:00:00,500 --> 00:00:02,300\nLi Xiaojun: Good afternoon, everyone.\n\n"
        "2\n00:00:02,700 --> 00:00:04,300\nThank you for coming.\n",
        encoding="utf-8",
    )
    doc = load_subtitles(srt)
    assert [c.speaker for c in doc.cues] == ["Li Xiaojun", "Li Xiaojun"]
    paths = write_preview(doc, media / "speech.wav", media / "folder")
    assert paths.page.name == "index.html" and paths.audio is not None
    with serve(media) as base:
        page = _open(browser, f"{base}/folder/index.html")
        assert len(page.evaluate(_TRACK_READY)["cues"]) == 2
        assert page.locator("#cues li.review").count() == 0
        assert page.evaluate(_SEEK, 3.5)["list"] == ["2"]
        page.close()


def test_single_file_page_works_from_disk(media: Path, browser: Any) -> None:
    """The reason for data: URIs: Chromium blocks <track src=file> on file://, not data:."""
    write_preview(load_subtitles(media / "subs.json"), media / "speech.wav", media / "disk.html")
    page = _open(browser, (media / "disk.html").as_uri())
    assert len(page.evaluate(_TRACK_READY)["cues"]) == 3
    assert page.evaluate(_SEEK, 3.0)["list"] == ["2"]
    page.close()


def test_preview_command_writes_the_page(media: Path) -> None:
    out = media / "cli.html"
    result = CliRunner().invoke(
        main,
        ["preview", str(media / "subs.json"), "--audio", str(media / "speech.wav"), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned" in text
    assert "<script>window.__pwned" not in text
    assert "data:audio/wav;base64," in text


def test_track_is_our_webvtt(media: Path) -> None:
    vtt = to_vtt(load_subtitles(media / "subs.json"))
    assert vtt.startswith("WEBVTT\n")
    assert "<v Li Xiaojun>Li Xiaojun: Good afternoon, everyone." in vtt
    assert "&lt;script&gt;" in vtt and "<script>" not in vtt


# --- the video -------------------------------------------------------------------------------


def ffprobe_streams(path: Path) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [require("ffprobe"), "-v", "error", "-of", "json", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    streams: list[dict[str, Any]] = json.loads(proc.stdout)["streams"]
    return streams


class Mpv:
    """mpv paused on a file, driven over its JSON IPC socket (real-clients.md §2)."""

    def __init__(self, media: Path, extra: list[str] | None = None) -> None:
        self.dir = tempfile.mkdtemp(prefix="mpv-")
        sock_path = os.path.join(self.dir, "ipc")
        self.proc = subprocess.Popen(
            [
                require("mpv"),
                "--no-config",
                "--idle=no",
                "--pause",
                "--vo=null",
                "--ao=null",
                "--no-terminal",
                "--keep-open=always",
                f"--input-ipc-server={sock_path}",
                "--sid=1",
                "--hr-seek=yes",
                *(extra or []),
                str(media),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(200):
            try:
                self.sock.connect(sock_path)
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.close()
            pytest.fail("mpv did not open its IPC socket")
        self.buffer = b""
        self.next_id = 0
        for _ in range(250):
            tracks = self.get("track-list") or []
            if any(t.get("type") == "sub" for t in tracks) and self.get("time-pos") is not None:
                break
            time.sleep(0.02)

    def command(self, *args: Any) -> Any:
        self.next_id += 1
        want = self.next_id
        self.sock.sendall(json.dumps({"command": list(args), "request_id": want}).encode() + b"\n")
        while True:
            while b"\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise RuntimeError("mpv closed its socket")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\n", 1)
            reply = json.loads(line)
            if reply.get("request_id") == want:
                return reply.get("data") if reply.get("error") == "success" else None

    def get(self, name: str) -> Any:
        return self.command("get_property", name)

    def text_at(self, t: float) -> str:
        self.command("seek", t, "absolute+exact")
        for _ in range(100):
            pos = self.get("time-pos")
            if pos is not None and abs(pos - t) < 0.05 and not self.get("seeking"):
                break
            time.sleep(0.02)
        time.sleep(0.05)
        return str(self.get("sub-text") or "")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.command("quit")
        self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.mark.parametrize(
    ("name", "codec", "burn"), [("review.mp4", "mov_text", False), ("review.mkv", "subrip", True)]
)
def test_video_streams_and_mpv_shows_the_subtitles(
    media: Path, name: str, codec: str, burn: bool
) -> None:
    require("ffmpeg")
    doc = load_subtitles(media / "subs.json")
    out = make_video(doc, media / "speech.wav", media / name, burn=burn)
    streams = ffprobe_streams(out)
    kinds = {s["codec_type"]: s for s in streams}
    assert sorted(kinds) == ["audio", "subtitle", "video"]
    assert kinds["video"]["codec_name"] == "h264"
    assert kinds["audio"]["codec_name"] == "aac"
    assert kinds["subtitle"]["codec_name"] == codec
    assert kinds["subtitle"]["disposition"]["default"] == 1
    player = Mpv(out)
    try:
        track = next(t for t in player.get("track-list") if t["type"] == "sub")
        assert track["selected"] and not track["external"]
        assert player.text_at(1.0) == "Li Xiaojun: Good afternoon, everyone."
        assert player.text_at(2.5) == ""
        assert player.text_at(3.0) == "Thank you for coming."
        # the SRT writer breaks "<x" with an invisible WORD JOINER so no player reads a tag
        shown = player.text_at(6.0).replace(WORD_JOINER, "")
        assert shown == f"CGTN: A question, please.\n{HOSTILE}"
    finally:
        player.close()


def test_video_frame_with_subtitles(media: Path) -> None:
    """mpv draws the soft track: one frame at 1 s, saved as a PNG."""
    video = media / "frame.mp4"
    make_video(load_subtitles(media / "subs.json"), media / "speech.wav", video)
    outdir = Path(tempfile.mkdtemp(dir=media))
    subprocess.run(
        [
            require("mpv"),
            "--no-config",
            "--ao=null",
            "--vo=image",
            "--vo-image-format=png",
            f"--vo-image-outdir={outdir}",
            "--start=1.2",
            "--frames=1",
            "--sid=1",
            str(video),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
        timeout=60,
    )
    frames = sorted(outdir.glob("*.png"))
    assert len(frames) == 1
    shot = shots_dir(media / "shots") / "preview-video-frame.png"
    shutil.move(frames[0], shot)
    assert shot.stat().st_size > 5_000
