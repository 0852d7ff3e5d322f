"""Text clean-up, labels and time clamping that every writer shares."""

from __future__ import annotations

import logging
import re
import unicodedata

from aligner.errors import OutputError
from aligner.languages import profile_for
from aligner.timecode import MAX_MS
from aligner.writers import WriteOptions, speaker_label

log = logging.getLogger(__name__)

WORD_JOINER = "\u2060"
# RIGHT-TO-LEFT MARK: an invisible strong right-to-left character (UAX #9). The only direction
# mark the writers add (see ``mark_rtl_lines``).
RLM = "\u200f"

# Characters that some reader treats as a line break (Python's str.splitlines, VLC, old Mac
# files) although our line separator is "\n" only: each becomes a plain space.
_BREAKS = str.maketrans(dict.fromkeys("\t\v\f\x1c\x1d\x1e\x85\u2028\u2029", " "))

# Sequences ffmpeg reads as ASS markup in SRT and WebVTT text alike: "\N" "\n" "\h" (line break,
# hard space; VLC too) and "{" (override blocks "{\an8}", MicroDVD styles "{Y:i}"; a "{" at a line
# end makes ffmpeg drop the rest of the cue, also when it converts our WebVTT to SRT). An
# invisible WORD JOINER after the first character breaks each one; what is displayed is the same.
_ASS_SEQUENCES = re.compile(r"(?<=\\)(?=[Nnh])|(?<=\{)")


def clean_lines(text: str) -> list[str]:
    """The display lines of ``text`` with nothing a subtitle reader could trip on.

    Line-break look-alikes and tabs become spaces, other control characters are dropped, and
    each line is stripped; lines left empty are removed (a blank line ends a cue).

    Raises:
        OutputError: No visible text is left.

    Example:
        >>> clean_lines(" Good\\u2028afternoon \\n\\x00 everyone")
        ['Good afternoon', 'everyone']
    """
    lines = []
    for raw in text.split("\n"):
        line = raw.translate(_BREAKS)
        line = "".join(ch for ch in line if unicodedata.category(ch) != "Cc").strip()
        if line:
            lines.append(line)
    if not lines:
        raise OutputError(f"cue has no visible text: {text!r}")
    return lines


def break_ass_sequences(line: str) -> str:
    r"""Break ``\N``, ``\n``, ``\h`` and ``{``, which ffmpeg reads as ASS markup in any format.

    Example:
        >>> break_ass_sequences(r"C:\new {x}").replace(WORD_JOINER, "|")
        'C:\\|new {|x}'
    """
    return _ASS_SEQUENCES.sub(WORD_JOINER, line)


def first_strong(text: str) -> str | None:
    """``"L"`` or ``"R"``: the direction of the first strong character of ``text``; else None.

    Strong characters are those of bidi class L, R or AL (UAX #9, rule P2): letters, and the
    marks LRM (L) and RLM (R). Digits, punctuation and spaces are not.

    Example:
        >>> first_strong("CGTN: مساء"), first_strong("مساء Orion"), first_strong("2026.")
        ('L', 'R', None)
    """
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return None


def _has_rtl_letter(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def mark_rtl_lines(lines: list[str], language: str) -> list[str]:
    """The display ``lines`` of a cue (speaker label included), with U+200F where one is needed.

    Renderers take a paragraph's direction from its first strong character: Chromium from the
    whole WebVTT cue, libass (mpv, ffmpeg; with automatic base direction) line by line. So in a
    cue in a right-to-left language that holds right-to-left letters, a line that starts with a
    Latin word (a label ``CGTN: ...``, a name ``Orion ...``) or holds no letter at all
    (``2026.``) would be drawn left to right: it gets a RIGHT-TO-LEFT MARK in front. Lines that
    start right to left, cues in a left-to-right language, and a cue without one right-to-left
    letter (a bare ``Thank you very much.`` left in an Arabic document) stay as they are.

    Example:
        >>> marked = mark_rtl_lines(["CGTN: شكرا", "شكرا جزيلا", "2026."], "ar")
        >>> [line.replace(RLM, "<RLM>") for line in marked]
        ['<RLM>CGTN: شكرا', 'شكرا جزيلا', '<RLM>2026.']
        >>> mark_rtl_lines(["Thank you very much."], "ar"), mark_rtl_lines(["CGTN: شكرا"], "en")
        (['Thank you very much.'], ['CGTN: شكرا'])
    """
    if not profile_for(language).rtl or not any(map(_has_rtl_letter, lines)):
        return lines
    return [line if first_strong(line) == "R" else RLM + line for line in lines]


def visible_label(name: str, options: WriteOptions, language: str = "en") -> str:
    r"""The label that starts a turn's first cue; whitespace runs in ``name`` become one space.

    ``language`` is the document's (``speaker_label``: a full-width colon in Chinese).

    Example:
        >>> visible_label("Li\n Xiaojun", WriteOptions(speaker_labels="upper"))
        'LI XIAOJUN: '
    """
    return speaker_label(" ".join(name.split()), options.speaker_labels, language)


def clamp_ms(ms: int, counter: list[int]) -> int:
    """``ms`` capped at 99:59:59.999, counting each capped time in ``counter[0]``."""
    if ms > MAX_MS:
        counter[0] += 1
        return MAX_MS
    return ms


def warn_clamped(counter: list[int], fmt: str) -> None:
    """Log one warning if any time was capped (readers cannot hold more than two hour digits)."""
    if counter[0]:
        log.warning("%s: %d time(s) past 99:59:59.999 were clamped to it", fmt, counter[0])
