"""The preview page: one HTML file that plays the recording with the subtitles and lists the cues.

Everything the page needs is inside it: CSS, JavaScript, the WebVTT track as a ``data:`` URI,
and (in single-file mode) the recording as a ``data:`` URI too. A single file can be mailed or
opened from disk, where Chromium refuses ``<track src="file.vtt">`` (file:// blocks tracks) but
accepts a ``data:`` track. A long recording makes a large page, so folder mode writes
``index.html`` with the recording copied beside it instead. Cue text is HTML-escaped on the
Python side and the script never turns text into markup.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import shutil
from dataclasses import dataclass
from pathlib import Path

from aligner.errors import OutputError
from aligner.review.fix import write_atomic
from aligner.review.load import ReviewCue, ReviewDoc, to_vtt
from aligner.timecode import format_ms
from aligner.writers.vtt import annotation

# Speaker colours for a white page (Tableau 10, readable as text); they repeat after the last.
PAGE_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
    "#ff7f0e",
)
_AUDIO_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".oga": "audio/ogg",
    ".flac": "audio/flac",
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".mkv": "video/x-matroska",
}


@dataclass(frozen=True, slots=True)
class PagePaths:
    """Where a preview went: the page, and the copied recording in folder mode."""

    page: Path
    audio: Path | None


def media_type(path: Path) -> str:
    """The MIME type a browser needs for ``path``.

    Example:
        >>> media_type(Path("a.WAV")), media_type(Path("a.opus"))
        ('audio/wav', 'audio/ogg')
    """
    return (
        _AUDIO_TYPES.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or ("application/octet-stream")
    )


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def css_voice(name: str) -> str:
    """``name`` as a CSS string for ``::cue(v[voice=…])``; ``<`` escaped so it cannot end the
    ``<style>`` element.

    Example:
        >>> print(css_voice('A"</style'))
        "A\\"\\3c /style"
    """
    value = annotation(name)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("<", "\\3c ").replace(">", "\\3e ") + '"'


def _colour(doc: ReviewDoc, speaker: str) -> int:
    return doc.speakers.index(speaker) % len(PAGE_PALETTE) if speaker in doc.speakers else -1


def _cue_item(doc: ReviewDoc, cue: ReviewCue) -> str:
    colour = _colour(doc, cue.speaker)
    classes = ["cue", f"s{colour}" if colour >= 0 else "s-none"]
    badge = ""
    if cue.needs_review:
        classes.append("review")
        conf = f" {cue.confidence:.2f}" if cue.confidence is not None else ""
        badge = f'<span class="badge" title="needs review">review{conf}</span>'
    elif cue.confidence is not None:
        badge = f'<span class="conf" title="alignment confidence">{cue.confidence:.2f}</span>'
    text = "<br>".join(html.escape(line) for line in cue.lines)
    # a cue in another language than the page's says so (fonts, e.g. Chinese in English)
    language = doc.language_of(cue)
    lang = f' lang="{html.escape(language, quote=True)}"' if language != doc.language else ""
    return (
        f'<li class="{" ".join(classes)}" data-id="{cue.index}" '
        f'data-start="{cue.start_ms / 1000:.3f}" data-end="{cue.end_ms / 1000:.3f}" tabindex="0">'
        f'<span class="n">{cue.index}</span>'
        f'<span class="t">{format_ms(cue.start_ms, decimal=".")}<br>'
        f"{format_ms(cue.end_ms, decimal='.')}</span>"
        f'<span class="who">{html.escape(cue.speaker)}</span>'
        f'<span class="txt"{lang}>{text}</span>{badge}</li>'
    )


def render_page(doc: ReviewDoc, audio_src: str, audio_type: str, title: str) -> str:
    """The page's HTML. ``audio_src`` is a ``data:`` URI or a relative URL."""
    vtt = data_uri(to_vtt(doc).encode("utf-8"), "text/vtt")
    speaker_css = []
    legend = []
    for k, name in enumerate(doc.speakers):
        colour = PAGE_PALETTE[k % len(PAGE_PALETTE)]
        speaker_css.append(f".s{k % len(PAGE_PALETTE)} {{ --c: {colour}; }}")
        speaker_css.append(f"video::cue(v[voice={css_voice(name)}]) {{ color: {colour}; }}")
        legend.append(f'<span class="key s{k % len(PAGE_PALETTE)}">{html.escape(name)}</span>')
    flagged = doc.flagged
    review_note = (
        f'<label><input type="checkbox" id="only-review"> show only the cues to review '
        f"({flagged})</label>"
        if flagged
        else ""
    )
    items = "\n".join(_cue_item(doc, cue) for cue in doc.cues)
    return _PAGE.format(
        title=html.escape(title),
        speaker_css="\n".join(speaker_css),
        audio_src=html.escape(audio_src, quote=True),
        audio_type=html.escape(audio_type, quote=True),
        track_src=vtt,
        lang=html.escape(doc.language, quote=True),
        count=len(doc.cues),
        legend=" ".join(legend),
        review_note=review_note,
        items=items,
    )


def write_preview(doc: ReviewDoc, audio: Path, output: Path) -> PagePaths:
    """Write the preview of ``doc`` with ``audio`` to ``output``.

    ``output`` ending in ``.html``/``.htm`` is one self-contained file (the recording inside
    it); any other path is a folder that gets ``index.html`` and a copy of the recording.

    Raises:
        OutputError: The recording cannot be read or the page cannot be written.
    """
    if not audio.is_file():
        raise OutputError(f"{audio}: recording not found")
    title = f"{doc.source or 'subtitles'} — {audio.name}"
    try:
        if output.suffix.lower() in (".html", ".htm"):
            page = render_page(
                doc, data_uri(audio.read_bytes(), media_type(audio)), media_type(audio), title
            )
            write_atomic(output, page)
            return PagePaths(output, None)
        output.mkdir(parents=True, exist_ok=True)
        copy = output / audio.name
        if copy.resolve() != audio.resolve():
            shutil.copyfile(audio, copy)
        page = render_page(doc, copy.name, media_type(audio), title)
        write_atomic(output / "index.html", page)
        return PagePaths(output / "index.html", copy)
    except OSError as err:
        raise OutputError(f"{output}: cannot write the preview: {err.strerror}") from err


_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 15px/1.4 system-ui, "Noto Sans", "Noto Sans CJK SC", sans-serif; margin: 0;
  color: #222; display: flex; flex-direction: column; height: 100vh; }}
header {{ padding: 8px 12px; background: #f4f4f4; border-bottom: 1px solid #ddd; }}
h1 {{ font-size: 16px; margin: 0 0 6px; }}
#player {{ width: 100%; height: 280px; background: #203040; display: block; }}
#player.audio-only {{ height: 54px; background: none; }}
#now {{ min-height: 3.2em; margin: 6px 0; padding: 6px 10px; background: #203040; color: #fff;
  font-size: 20px; white-space: pre-line; border-radius: 4px; }}
#now .line {{ border-left: 6px solid var(--c, #bbb); padding-left: 8px; }}
video::cue {{ font-size: 20px; background: rgba(0, 0, 0, 0.8); }}
.key {{ border-left: 10px solid var(--c, #999); padding: 0 6px; margin-right: 4px; }}
#cues {{ list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; }}
.cue {{ display: grid; grid-template-columns: 3.5em 7.5em 9em 1fr auto; gap: 8px;
  padding: 4px 12px; border-left: 6px solid var(--c, #bbb); border-bottom: 1px solid #eee;
  cursor: pointer; }}
.cue:hover {{ background: #f7f7ff; }}
.cue.active {{ background: #fff3b0; }}
.cue.review {{ box-shadow: inset -6px 0 0 #e00; }}
.cue .n {{ color: #888; text-align: right; }}
.cue .t {{ font: 12px/1.3 ui-monospace, monospace; color: #555; }}
.cue .who {{ color: var(--c, #555); font-weight: 600; }}
.badge {{ background: #e00; color: #fff; border-radius: 3px; padding: 0 5px; font-size: 12px;
  align-self: start; }}
.conf {{ color: #888; font-size: 12px; }}
body.only-review .cue:not(.review) {{ display: none; }}
{speaker_css}
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<video id="player" controls preload="auto">
<source src="{audio_src}" type="{audio_type}">
<track id="subs" kind="subtitles" srclang="{lang}" label="Subtitles" default src="{track_src}">
</video>
<div id="now" aria-live="polite"></div>
<div>{count} cues. {legend} {review_note}</div>
</header>
<ol id="cues">
{items}
</ol>
<script>
"use strict";
(function () {{
  const player = document.getElementById("player");
  const track = document.getElementById("subs").track;
  const items = new Map();
  for (const li of document.querySelectorAll("#cues li")) items.set(li.dataset.id, li);
  const now = document.getElementById("now");
  track.mode = "showing";
  function audioOnly() {{
    player.classList.toggle("audio-only", player.videoWidth === 0);
  }}
  player.addEventListener("loadedmetadata", audioOnly);
  if (player.readyState >= 1) audioOnly();
  function sync() {{
    const active = new Set();
    for (const cue of Array.from(track.activeCues || [])) active.add(cue.id);
    let first = null;
    for (const [id, li] of items) {{
      const on = active.has(id);
      li.classList.toggle("active", on);
      if (on && first === null) first = li;
    }}
    if (first !== null) first.scrollIntoView({{block: "nearest"}});
    // The current cue as text (never markup), for audio-only recordings and small players.
    now.replaceChildren();
    for (const li of items.values()) {{
      if (!li.classList.contains("active")) continue;
      const line = document.createElement("div");
      line.className = "line " + li.classList[1];
      const who = li.querySelector(".who").textContent;
      line.textContent = (who ? who + ": " : "") + li.querySelector(".txt").innerText;
      now.append(line);
    }}
  }}
  track.addEventListener("cuechange", sync);
  function seek(li) {{
    player.currentTime = parseFloat(li.dataset.start);
  }}
  const list = document.getElementById("cues");
  list.addEventListener("click", (ev) => {{
    const li = ev.target.closest("li");
    if (li) seek(li);
  }});
  list.addEventListener("keydown", (ev) => {{
    const li = ev.target.closest("li");
    if (li && (ev.key === "Enter" || ev.key === " ")) {{ ev.preventDefault(); seek(li); }}
  }});
  const only = document.getElementById("only-review");
  if (only) only.addEventListener("change", () => {{
    document.body.classList.toggle("only-review", only.checked);
  }});
}})();
</script>
</body>
</html>
"""
