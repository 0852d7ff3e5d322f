"""SubRip (.srt) output through pysrt: numbered cues, plain-text labels, no markup."""

from __future__ import annotations

import re
from typing import TextIO

import pysrt

from aligner.model import Subtitles
from aligner.writers import WriteOptions
from aligner.writers._text import (
    WORD_JOINER,
    break_ass_sequences,
    clamp_ms,
    clean_lines,
    mark_rtl_lines,
    visible_label,
    warn_clamped,
)

# SRT only, where the format has no escapes: "<b>" "</i>" "<font ...>" tags, and "-->" (a text
# line that looks like a timing line starts a new cue in ffmpeg).
_SRT_MARKUP = re.compile(r"(?<=<)(?=[A-Za-z/])|(?<=--)(?=>)")


def srt_safe(line: str) -> str:
    """``line`` with markup and ``-->`` look-alikes broken by an invisible WORD JOINER.

    Example:
        >>> srt_safe("a --> b <i>").replace(WORD_JOINER, "|")
        'a --|> b <|i>'
    """
    return break_ass_sequences(_SRT_MARKUP.sub(WORD_JOINER, line))


def write(doc: Subtitles, stream: TextIO, options: WriteOptions) -> None:
    """Write ``doc`` as SRT: numbered from 1, ``HH:MM:SS,mmm``, ``\\n`` line ends, no markup.

    The speaker label (``options.speaker_labels``) starts the first line of the first cue of
    each turn; the following cues of the turn carry no label. In a right-to-left cue, a line
    that would be drawn left to right starts with U+200F (``_text.mark_rtl_lines``).

    Raises:
        OutputError: A cue has no visible text once cleaned.
    """
    clamped = [0]
    items = pysrt.SubRipFile(eol="\n")
    for i, cue in enumerate(doc.cues):
        lines = clean_lines(cue.text)
        if doc.first_of_turn(i):
            lines[0] = visible_label(cue.speaker, options, doc.language) + lines[0]
        text = "\n".join(srt_safe(line) for line in mark_rtl_lines(lines, cue.language))
        start = pysrt.SubRipTime.from_ordinal(clamp_ms(cue.start_ms, clamped))
        end = pysrt.SubRipTime.from_ordinal(clamp_ms(cue.end_ms, clamped))
        items.append(pysrt.SubRipItem(index=i + 1, start=start, end=end, text=text))
    warn_clamped(clamped, "srt")
    # pysrt writes "index\nstart --> end\ntext\n" and then one more eol per item: exactly one
    # blank line after every cue. The eol must be given: its default is os.linesep.
    items.write_into(stream, eol="\n")
