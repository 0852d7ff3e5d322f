"""WebVTT (.vtt) output: header, optional STYLE and NOTE blocks, cues in ``<v>`` voice spans."""

from __future__ import annotations

from typing import TextIO

from aligner.model import Speaker, Subtitles
from aligner.timecode import format_ms
from aligner.writers import WriteOptions
from aligner.writers._text import (
    RLM,
    WORD_JOINER,
    break_ass_sequences,
    clamp_ms,
    clean_lines,
    mark_rtl_lines,
    visible_label,
    warn_clamped,
)

# BBC Subtitle Guidelines priority (white, yellow, cyan, green), then further colours that stay
# readable on the default black background; they repeat after the last one.
PALETTE = (
    "#FFFFFF",
    "#FFFF00",
    "#00FFFF",
    "#00FF00",
    "#FF80FF",
    "#FFB040",
    "#80B0FF",
    "#C0C0C0",
)

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Annotation text (voice names, language tags) may not hold "&", ">" or a line break. The spec
# allows character references there, but readers disagree on decoding them (the W3C webvtt.js
# parser and webvtt-py keep "&amp;" as is), so use the fullwidth look-alikes instead: the voice
# name is never displayed, only matched by CSS and exposed as a title.
_ANNOTATION_REPLACEMENTS = str.maketrans({"&": "\uff06", ">": "\uff1e"})
_CSS_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def escape_text(text: str) -> str:
    """Escape cue text: ``&`` ``<`` ``>`` as character references (which also rules out ``-->``).

    Example:
        >>> escape_text("5 < 6 & 7 > 3, a --> b")
        '5 &lt; 6 &amp; 7 &gt; 3, a --&gt; b'
    """
    return text.translate(_TEXT_ESCAPES)


def annotation(value: str) -> str:
    """``value`` made safe as a start-tag annotation; whitespace runs become one space, as parsed.

    Example:
        >>> annotation("AT&T <News>  Desk") == "AT\uff06T <News\uff1e Desk"
        True
    """
    return " ".join(value.split()).translate(_ANNOTATION_REPLACEMENTS)


def css_string(value: str) -> str:
    """``value`` as a double-quoted CSS string.

    Example:
        >>> print(css_string('Say "hi" \\\\o/'))
        "Say \\"hi\\" \\\\o/"
    """
    return '"' + value.translate(_CSS_STRING_ESCAPES) + '"'


def _note_safe(text: str) -> str:
    # A comment block ends at a blank line and may not contain "-->" anywhere.
    return " ".join(text.split()).replace("-->", "--" + WORD_JOINER + ">")


def _voices(doc: Subtitles) -> list[str]:
    """Voice names of the speakers who speak: roster order first, then order of appearance."""
    speaking = {annotation(c.speaker) for c in doc.cues if annotation(c.speaker)}
    ordered = [annotation(s.name) for s in doc.speakers]
    ordered += [annotation(c.speaker) for c in doc.cues]
    return [v for v in dict.fromkeys(ordered) if v in speaking]


def style_block(doc: Subtitles) -> str | None:
    """A ``STYLE`` block giving each voice a colour, or None when no cue has a named speaker."""
    voices = _voices(doc)
    if not voices:
        return None
    rules = [
        f"::cue(v[voice={css_string(voice)}]) {{ color: {PALETTE[i % len(PALETTE)]}; }}"
        for i, voice in enumerate(voices)
    ]
    return "\n".join(["STYLE", *rules])


def _roster_line(speaker: Speaker) -> str:
    line = speaker.name
    if speaker.role:
        line += f" ({speaker.role})"
    if speaker.title:
        line += f": {speaker.title}"
    return _note_safe(line)


def note_block(doc: Subtitles) -> str | None:
    """A ``NOTE`` block listing the speakers with their roles and titles, or None without any."""
    lines = [line for line in map(_roster_line, doc.speakers) if line]
    if not lines:
        return None
    return "\n".join(["NOTE", "Speakers:", *lines])


def cue_payload(doc: Subtitles, index: int, options: WriteOptions) -> str:
    """The escaped text of cue ``index``: voice span, label on a turn's first cue, ``<lang>``.

    A line of a right-to-left cue that would be drawn left to right starts with U+200F, in
    front of the label (``_text.mark_rtl_lines``).
    """
    cue = doc.cues[index]
    text = clean_lines(cue.text)
    label = visible_label(cue.speaker, options, doc.language) if doc.first_of_turn(index) else ""
    shown = [label + text[0], *text[1:]]
    marked = [a != b for a, b in zip(mark_rtl_lines(shown, cue.language), shown, strict=True)]
    lines = [break_ass_sequences(escape_text(line)) for line in text]
    if cue.language != doc.language:
        lines[0] = f"<lang {annotation(cue.language)}>{lines[0]}"
        lines[-1] = f"{lines[-1]}</lang>"
    if label:
        lines[0] = break_ass_sequences(escape_text(label)) + lines[0]
    lines = [RLM + line if mark else line for line, mark in zip(lines, marked, strict=True)]
    voice = annotation(cue.speaker)
    if voice:
        # The closing </v> may be left out when the span holds the whole cue text.
        lines[0] = f"<v {voice}>{lines[0]}"
    return "\n".join(lines)


def write(doc: Subtitles, stream: TextIO, options: WriteOptions) -> None:
    """Write ``doc`` as WebVTT: ``WEBVTT``, STYLE and NOTE blocks if asked, numbered cues.

    Raises:
        OutputError: A cue has no visible text once cleaned.
    """
    blocks = ["WEBVTT"]
    if options.vtt_colors:
        # STYLE must come before the first cue. ffmpeg 5.x (and mpv through it) stops reading at
        # a STYLE block, so it is off by default.
        style = style_block(doc)
        if style:
            blocks.append(style)
    if options.vtt_notes:
        note = note_block(doc)
        if note:
            blocks.append(note)
    clamped = [0]
    for i, cue in enumerate(doc.cues):
        start = format_ms(clamp_ms(cue.start_ms, clamped), decimal=".")
        end = format_ms(clamp_ms(cue.end_ms, clamped), decimal=".")
        blocks.append(f"{i + 1}\n{start} --> {end}\n{cue_payload(doc, i, options)}")
    warn_clamped(clamped, "vtt")
    stream.write("\n\n".join(blocks) + "\n")
