"""Language profiles: the limits, character counting and break rules of each language.

Adding a language is adding a :class:`Profile` to ``PROFILES``: the segmenter reads everything
language-specific from it. The numbers come from ``shared/notes/subtitle-norms.md`` §0, §1, §4
and §5 (Netflix timed-text style guides; Subtitle Edit's per-language table for reading speeds);
``docs/languages.md`` has the table with sources. Telling a text's language is
:mod:`aligner.detect`'s job.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Counting = Literal["chars", "cjk"]
Words = Literal["spaces", "chinese", "japanese"]
Breaks = Literal["english", "generic"]

# Kinsoku (clreq / jlreq, norms §3 CJK): never at the start of a line, never at its end. ASCII
# closers are in the first set too, for Latin punctuation inside CJK text.
CJK_NO_LINE_START = (
    "，。、；：？！…‥—～·・」』）》】〕〉”’〗〙〛｝］＞"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶーゝゞヽヾ々"
    ",.;:?!)]}%"
)
CJK_NO_LINE_END = "「『（《【〔〈“‘〖〘〚｛［＜([{"
# Sentence ends of Chinese and Japanese (the ellipsis "……" too: a pause ends a sentence).
CJK_SENTENCE_END = "。！？；…!?"
CJK_CLAUSE_END = "，、：,:"

# Explicit bidirectional formatting characters: marks, embeddings, overrides, isolates. Text
# is kept in logical order and players run the Unicode bidi algorithm, so the transcript's are
# removed: one left at a line edge after a break would act on nothing ("stray"). The writers add
# U+200F where a line needs it (aligner.writers._text.mark_rtl_lines).
BIDI_CONTROLS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything the segmenter and the timing need to know about one language.

    Attributes:
        tag: BCP 47 tag (``"zh-Hans"``).
        name: English name, for messages.
        max_chars: Characters per line, counted as ``counting`` says.
        max_lines: Lines per cue.
        max_cps: Reading speed, characters per second (counted as ``counting`` says).
        min_duration_ms: Shortest cue.
        max_duration_ms: Longest cue.
        counting: ``"chars"``: every character counts 1 (a full-width one 2, as it is as wide
            as two Latin letters); ``"cjk"``: full-width characters count 1 and half-width
            ones (Latin, digits, ASCII punctuation, spaces) 0.5 (Netflix FAQ, norms §4).
        words: How words are found: ``"spaces"``; ``"chinese"`` (jieba, Latin runs and
            numbers kept whole); ``"japanese"`` (script runs: a kanji or katakana run with the
            kana that follow it).
        breaks: Break badness between words: ``"english"`` (articles, prepositions, names,
            ``breaks.break_badness``) or ``"generic"`` (punctuation and numbers only).
        cjk_chars_per_minute: Speaking rate of CJK characters at the default 150 words per
            minute (``--wpm`` scales it); None for languages without them.
        no_line_start: Characters a line may not start with (glued to the word before).
        no_line_end: Characters a line may not end with (glued to the word after).
        sentence_end: Characters that end a sentence (profiles without syntok).
        clause_end: Characters that end a clause.
        nbsp_before: Punctuation that takes a non-breaking space before it (French ``: ; ! ?``
            and ``»``), and so is never separated from its word.
        nbsp_after: Punctuation that takes a non-breaking space after it (French ``«``).
        rtl: Written right to left (kept in logical order; the SRT and WebVTT writers start a
            line that would be drawn left to right with U+200F).
        source: Where the numbers come from.
    """

    tag: str
    name: str
    max_chars: int
    max_cps: float
    counting: Counting = "chars"
    words: Words = "spaces"
    breaks: Breaks = "generic"
    max_lines: int = 2
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    cjk_chars_per_minute: float | None = None
    no_line_start: str = ""
    no_line_end: str = ""
    sentence_end: str = ".?!…"
    clause_end: str = ",;:—–"
    nbsp_before: str = ""
    nbsp_after: str = ""
    rtl: bool = False
    source: str = ""

    @property
    def cjk(self) -> bool:
        """Whether lines are counted in full-width units (Chinese, Japanese)."""
        return self.counting == "cjk"


_NETFLIX = "Netflix timed-text style guide"
_LATIN_CPS = "17 cps: Subtitle Edit's Netflix table (norms §1)"

PROFILES: dict[str, Profile] = {
    p.tag: p
    for p in (
        Profile(
            "en",
            "English",
            42,
            17.0,
            breaks="english",
            source=f"{_NETFLIX} English (USA) and template: 42 CPL, 17 cps",
        ),
        Profile(
            "zh-Hans",
            "Chinese (Simplified)",
            16,
            9.0,
            counting="cjk",
            words="chinese",
            # Official briefings are read at about 4 characters a second (250 a minute).
            cjk_chars_per_minute=250.0,
            no_line_start=CJK_NO_LINE_START,
            no_line_end=CJK_NO_LINE_END,
            sentence_end=CJK_SENTENCE_END,
            clause_end=CJK_CLAUSE_END,
            source=f"{_NETFLIX} Simplified Chinese: 16 CPL; 9 cps (Subtitle Edit); clreq",
        ),
        Profile(
            "zh-Hant",
            "Chinese (Traditional)",
            16,
            9.0,
            counting="cjk",
            words="chinese",
            cjk_chars_per_minute=250.0,
            no_line_start=CJK_NO_LINE_START,
            no_line_end=CJK_NO_LINE_END,
            sentence_end=CJK_SENTENCE_END,
            clause_end=CJK_CLAUSE_END,
            source=f"{_NETFLIX} Traditional Chinese: 16 CPL; 9 cps (Subtitle Edit); clreq",
        ),
        Profile(
            "ja",
            "Japanese",
            13,
            4.0,
            counting="cjk",
            words="japanese",
            # NHK announcers read about 300 characters a minute.
            cjk_chars_per_minute=300.0,
            no_line_start=CJK_NO_LINE_START,
            no_line_end=CJK_NO_LINE_END,
            sentence_end=CJK_SENTENCE_END,
            clause_end=CJK_CLAUSE_END,
            source=f"{_NETFLIX} Japanese: 13 full-width CPL (horizontal); 4 cps; jlreq",
        ),
        Profile(
            "fr",
            "French",
            42,
            17.0,
            nbsp_before=":;!?»",
            nbsp_after="«",
            source=f"{_NETFLIX} French: 42 CPL; {_LATIN_CPS}; space before : ; ! ?",
        ),
        Profile("de", "German", 42, 17.0, source=f"{_NETFLIX} German: 42 CPL; {_LATIN_CPS}"),
        Profile("es", "Spanish", 42, 17.0, source=f"Netflix Spanish: 42 CPL; {_LATIN_CPS}"),
        Profile("ru", "Russian", 42, 17.0, source=f"Netflix Russian: 42 CPL; {_LATIN_CPS}"),
        Profile(
            "ar",
            "Arabic",
            42,
            20.0,
            sentence_end=".?!…؟",
            clause_end=",;:—–،؛",
            rtl=True,
            source="Netflix Arabic: 42 CPL; 20 cps (Subtitle Edit)",
        ),
    )
}
_ALIASES = {
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "jp": "ja",
}


def profile_for(tag: str) -> Profile:
    """The profile of BCP 47 ``tag``: exact, then by alias or script, then by language.

    An unknown language gets the generic profile of its script's kind (42 characters, 17 cps,
    breaks at punctuation), under its own tag.

    Example:
        >>> profile_for("zh-CN").tag, profile_for("fr-CA").tag, profile_for("it").max_chars
        ('zh-Hans', 'fr', 42)
    """
    lowered = tag.lower()
    for key, profile in PROFILES.items():
        if key.lower() == lowered:
            return profile
    if lowered in _ALIASES:
        return PROFILES[_ALIASES[lowered]]
    parts = lowered.split("-")
    if parts[0] == "zh":
        return PROFILES["zh-Hant" if "hant" in parts else "zh-Hans"]
    if parts[0] in PROFILES:
        return PROFILES[parts[0]]
    rtl = parts[0] in {"he", "fa", "ur", "yi", "ps", "sd", "ug", "ku", "dv"}
    return Profile(tag, tag, 42, 17.0, rtl=rtl, source="generic profile")


def is_wide(char: str) -> bool:
    """Whether ``char`` is full-width (East Asian Width W or F): ideographs, kana, ``，``.

    Example:
        >>> is_wide("中"), is_wide("，"), is_wide("a"), is_wide("—")
        (True, True, False, False)
    """
    return unicodedata.east_asian_width(char) in "WF"


# Punctuation Unicode calls ambiguous in width that CJK fonts draw full-width; Subtitle Edit's
# CalcCjk counts it 1 (norms §4).
CJK_FULL_WIDTH_PUNCT = "…“”‘’—·"


def is_full_width(char: str) -> bool:
    """Whether ``char`` counts 1 in CJK counting: wide characters and ``…“”‘’—·``."""
    return is_wide(char) or char in CJK_FULL_WIDTH_PUNCT


def width(text: str, counting: Counting) -> float:
    """Display width of ``text``: in Latin letters (``"chars"``) or full-width cells (``"cjk"``).

    ``"chars"`` counts a wide character 2 (it is as wide as two Latin letters) and everything
    else 1; ``"cjk"`` counts full-width characters 1 and the others 0.5 (Netflix, norms §4).

    Example:
        >>> width("“人权” UN", "cjk"), width("人权 UN", "chars")
        (5.5, 7)
    """
    if text.isascii():
        return len(text) if counting == "chars" else len(text) / 2
    if counting == "chars":
        return len(text) + sum(1 for ch in text if is_wide(ch))
    full = sum(1 for ch in text if is_full_width(ch))
    return full + (len(text) - full) / 2
