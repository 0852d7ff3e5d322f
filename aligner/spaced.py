"""Paragraphs of languages written with spaces, cut into words for the cost search.

Each word gets its display width, its speech counts, whether a sentence ends with it (syntok
for English, the profile's punctuation otherwise) and the badness of a break after it
(:mod:`aligner.breaks`). French punctuation is first glued to its word by a no-break space.
"""

from __future__ import annotations

import re

from aligner.breaks import CLOSERS, NBSP, SENTENCE, break_badness, generic_badness
from aligner.cuesearch import Paragraph
from aligner.languages import Profile, width
from aligner.rate import speech_counts


def sentence_end_offsets(paragraph: str) -> set[int]:
    """Character offsets just past each sentence of ``paragraph``, found by syntok.

    syntok knows abbreviations (``U.N.``, ``Mr.``, ``Dec. 10``), so their full stops are not
    sentence ends.

    Example:
        >>> text = "Mr. Li spoke at the U.N. today. Thanks."
        >>> sorted(sentence_end_offsets(text))
        [31, 39]
    """
    from syntok.segmenter import analyze  # imported here: `aligner --help` stays fast

    ends: set[int] = set()
    for para in analyze(paragraph):
        for sentence in para:
            last = sentence[-1]
            ends.add(last.offset + len(last.value))
    return ends


def _spaced(words: list[str], profile: Profile) -> tuple[list[str], list[float], list[float]]:
    seps = [""] + [" "] * (len(words) - 1)
    widths = [width(word, profile.counting) for word in words]
    sep_widths: list[float] = [0] + [width(" ", profile.counting)] * (len(words) - 1)
    return seps, widths, sep_widths


def analyse_english(paragraph: str, profile: Profile) -> Paragraph:
    """Words split at spaces, sentences ended by syntok, breaks scored by English rules."""
    words: list[str] = []
    ends_at: list[int] = []
    position = 0
    for word in paragraph.split():
        position = paragraph.index(word, position)
        words.append(word)
        position += len(word)
        ends_at.append(position)
    offsets = sentence_end_offsets(paragraph)
    flags = []
    for word, end in zip(words, ends_at, strict=True):
        # syntok may end a sentence inside a trailing quote or bracket run; accept any end that
        # falls within the word's closing punctuation.
        core_end = end - (len(word) - len(word.rstrip(CLOSERS)))
        flags.append(any(core_end <= off <= end for off in (core_end, *offsets) if off in offsets))
    flags[-1] = True
    padded = ["", *words, ""]
    badness = [
        break_badness(
            words[k],
            words[k + 1],
            sentence_end=flags[k],
            previous=padded[k],
            after_next=padded[k + 3],
        )
        for k in range(len(words) - 1)
    ]
    badness.append(SENTENCE)
    seps, widths, sep_widths = _spaced(words, profile)
    return Paragraph(words, badness, flags, seps, widths, sep_widths, speech_counts(words))


_THOUSANDS = re.compile(r"\d{3}(?:[,.]\d+)?[,.;:!?)]*")
_GROUPED = re.compile(r"[(\[]?\d{1,3}(?:\u00a0\d{3})*")


def _glue_nbsp(words: list[str], profile: Profile) -> list[str]:
    """French: ``:`` ``;`` ``!`` ``?`` ``»`` joined to the word before and ``«`` to the word
    after by a no-break space, so that no line starts or ends with them."""
    if not profile.nbsp_before and not profile.nbsp_after:
        return words
    glued: list[str] = []
    opener = ""
    for word in words:
        if opener:
            word, opener = opener + NBSP + word, ""
        if glued and _THOUSANDS.fullmatch(word) and _GROUPED.fullmatch(glued[-1]):
            glued[-1] += NBSP + word  # "5 479": French groups digits with a no-break space
        elif glued and all(ch in profile.nbsp_before for ch in word):
            glued[-1] += NBSP + word
        elif all(ch in profile.nbsp_after for ch in word):
            opener = word
        else:
            glued.append(word)
    if opener:
        glued.append(opener)
    return glued


def analyse_generic(paragraph: str, profile: Profile) -> Paragraph:
    """Words split at spaces, sentences ended by the profile's punctuation."""
    words = _glue_nbsp(paragraph.split(), profile)
    flags = []
    for word in words:
        tail = word.rstrip(CLOSERS + "»" + NBSP + profile.nbsp_before)
        last = tail[-1:] or word[-1:]
        flags.append(bool(last) and (last in profile.sentence_end or word[-1] in "!?"))
    flags[-1] = True
    badness = [
        generic_badness(words[k], words[k + 1], sentence_end=flags[k], profile=profile)
        for k in range(len(words) - 1)
    ]
    badness.append(SENTENCE)
    seps, widths, sep_widths = _spaced(words, profile)
    return Paragraph(words, badness, flags, seps, widths, sep_widths, speech_counts(words))
