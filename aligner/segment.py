"""Turns to subtitle-sized Lines: sentence splitting, cue breaks and line breaks by cost search."""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal

from aligner.errors import SegmentError
from aligner.languages import BIDI_CONTROLS, Profile, is_full_width, profile_for, width
from aligner.model import Line, Turn
from aligner.rate import (
    DEFAULT_CJK_PER_MINUTE,
    cjk_mixed,
    is_cjk_letter,
    letters,
    speech_ms_from_counts,
)

CjkPunct = Literal["keep", "space"]


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """Every size and time limit of a subtitle, with English defaults.

    The numbers come from Netflix's English timed-text style guide and its General Requirements
    (see ``shared/notes/subtitle-norms.md`` §0-§2): 42 characters per line, 2 lines, 17 characters
    per second (the conservative "template" rate), 5/6 s to 7 s per cue, 2 frames between cues.

    Attributes:
        max_chars: Characters per display line (spaces and punctuation count).
        max_lines: Display lines per cue.
        max_cps: Reading speed limit, characters per second.
        min_duration_ms: Shortest cue (20 frames at 24 fps).
        max_duration_ms: Longest cue.
        min_gap_ms: Smallest gap between two cues (2 frames at 24 fps).
        words_per_minute: Speaking rate used when there is no recording.
        sentence_pause_ms: Pause after a sentence inside a turn, when timing without audio.
        turn_pause_ms: Pause between turns, when timing without audio.
        language: BCP 47 tag of the text the rules are for; its :class:`Profile` says how
            characters are counted and where lines may break (``aligner/languages.py``).
        cjk_line_end_punct: ``"keep"``, or ``"space"``: the house style that replaces the
            Chinese comma and full stop ``，。`` by a space (dropped at a line end).
    """

    max_chars: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    min_gap_ms: int = 84
    words_per_minute: float = 150.0
    sentence_pause_ms: int = 300
    turn_pause_ms: int = 1000
    language: str = "en"
    cjk_line_end_punct: CjkPunct = "keep"
    profile: Profile = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "profile", profile_for(self.language))
        if self.cjk_line_end_punct not in ("keep", "space"):
            raise SegmentError(
                f"cjk_line_end_punct must be keep or space, not {self.cjk_line_end_punct!r}"
            )
        if self.max_chars < 10:
            raise SegmentError(f"--max-chars must be at least 10, not {self.max_chars}")
        if not 1 <= self.max_lines <= 4:
            raise SegmentError(f"--max-lines must be between 1 and 4, not {self.max_lines}")
        if self.max_cps <= 0:
            raise SegmentError(f"max_cps must be positive, not {self.max_cps}")
        if not 0 < self.min_duration_ms < self.max_duration_ms:
            raise SegmentError(
                f"durations must satisfy 0 < min ({self.min_duration_ms} ms) "
                f"< max ({self.max_duration_ms} ms)"
            )
        if self.min_gap_ms < 0:
            raise SegmentError(f"min_gap_ms must be 0 or more, not {self.min_gap_ms}")
        if self.words_per_minute <= 0:
            raise SegmentError(f"words per minute must be positive, not {self.words_per_minute}")
        if self.sentence_pause_ms < self.min_gap_ms or self.turn_pause_ms < self.min_gap_ms:
            raise SegmentError("pauses must be at least the minimum gap")

    @classmethod
    def for_language(cls, tag: str, **overrides: Any) -> SegmentRules:
        """The rules of ``tag``'s profile; ``overrides`` that are not None win.

        Example:
            >>> rules = SegmentRules.for_language("zh-Hans", max_lines=None)
            >>> rules.max_chars, rules.max_cps, rules.max_lines
            (16, 9.0, 2)
        """
        profile = profile_for(tag)
        values: dict[str, Any] = {
            "max_chars": profile.max_chars,
            "max_lines": profile.max_lines,
            "max_cps": profile.max_cps,
            "min_duration_ms": profile.min_duration_ms,
            "max_duration_ms": profile.max_duration_ms,
            "language": tag,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    def for_text_in(self, tag: str) -> SegmentRules:
        """The rules for text in language ``tag`` inside a document these rules are for.

        The same rules when ``tag`` has this profile; otherwise ``tag``'s profile limits. A
        limit set away from this profile's value (``--max-chars 37``) carries over only where
        both profiles agree on it (lines per cue; characters per line between English and
        French), as it means nothing in another unit or at another reading speed; the other
        settings (speaking rate, pauses, punctuation style) carry over as they are.

        Example:
            >>> en = SegmentRules.for_language("en", max_chars=37, max_lines=3)
            >>> zh = en.for_text_in("zh-Hans")
            >>> zh.language, zh.max_chars, zh.max_cps, zh.max_lines
            ('zh-Hans', 16, 9.0, 3)
            >>> en.for_text_in("fr").max_chars, en.for_text_in("en-GB") is en
            (37, True)
        """
        other = profile_for(tag)
        mine = self.profile
        if other.tag == mine.tag:
            return self
        limits: dict[str, Any] = {}
        for name in _PROFILE_LIMITS:
            value, default = getattr(self, name), getattr(mine, name)
            same = default == getattr(other, name)
            limits[name] = value if value != default and same else getattr(other, name)
        return replace(self, language=tag, **limits)


# The SegmentRules fields a language profile sets.
_PROFILE_LIMITS = ("max_chars", "max_lines", "max_cps", "min_duration_ms", "max_duration_ms")


# --- Words and how strongly a break after each one is wanted -------------------------------

# Break "badness" after a word, before the next one: 0 is a perfect break point, BAN_* means
# the pair belongs together (Netflix General Requirements §Line Treatment; BBC §3.4-3.10).
SENTENCE, CLAUSE, COMMA, BEFORE_CONJ, BEFORE_PREP, PLAIN = 0, 1, 2, 3, 4, 6
AFTER_CONJ, AFTER_PREP, AFTER_AUX, AFTER_PRONOUN, IN_NUMBER, IN_NAME = 9, 11, 12, 14, 12, 22
IN_NOUN_PHRASE = 9  # "a decisive | victory", "moderately | prosperous": likely adjective + noun
BAN = 30  # article + noun, title + name

_ARTICLES = frozenset(
    "a an the this that these those its their our his her my your no every each such "
    "another whose whichever".split()
)
_TITLES = frozenset("mr. mrs. ms. dr. prof. gen. sen. rep. st. mr mrs ms dr".split())
_CONJUNCTIONS = frozenset(
    "and but or nor so yet because while although though which who whom where when whether "
    "if unless since as than that".split()
)
_PREPOSITIONS = frozenset(
    "of in on at to for with from by about into onto through under over between among "
    "during against toward towards including without within across after before until via "
    "upon amid around beyond despite like near per".split()
)
_AUXILIARIES = frozenset(
    "am is are was were be been being have has had do does did will would shall should can "
    "could may might must not".split()
)
_PRONOUNS = frozenset("i we they he she it you there".split())
_CLOSERS = "\"'”’)]}»"
_SENTENCE_END = ".?!…"
_CLAUSE_END = ";:—–"


def _bare(word: str) -> str:
    """The word lower-cased without surrounding punctuation (``"(Mr."`` → ``"mr."``)."""
    return word.strip(_CLOSERS + "([{\"'“‘,;:").lower()


def _is_capitalised(word: str) -> bool:
    stripped = word.lstrip("\"'“‘([")
    return bool(stripped) and stripped[0].isupper()


def _is_name_part(word: str) -> bool:
    """A capitalised word with no punctuation after it: "Ministry" but not "(SPC)" or "Court,"."""
    return _is_capitalised(word) and word[-1].isalnum()


def _is_numeric(word: str) -> bool:
    stripped = word.strip(_CLOSERS + "([{\"'“‘,.;:$€£¥%")
    return bool(stripped) and stripped[0].isdigit()


# Short words that join the parts of a proper name: "Ministry of Foreign Affairs".
_NAME_LINKS = frozenset("of for and on the de".split())


def break_badness(
    word: str,
    next_word: str,
    *,
    sentence_end: bool,
    previous: str = "",
    after_next: str = "",
) -> int:
    """How bad a line or cue break is between ``word`` and ``next_word`` (0 = ideal).

    ``previous`` is the word before ``word`` and ``after_next`` the one after ``next_word``:
    they tell an adjective after an article and a name that runs over "of" ("Ministry of
    Foreign Affairs").

    Example:
        >>> break_badness("efforts.", "We", sentence_end=True)
        0
        >>> the = break_badness("the", "plan", sentence_end=False)
        >>> the > break_badness("plan", "and", sentence_end=False)
        True
    """
    tail = word.rstrip(_CLOSERS)
    last = tail[-1:] if tail else ""
    bare = _bare(word)
    following = _bare(next_word)
    if sentence_end and last and last in _SENTENCE_END:
        return SENTENCE
    if bare in _TITLES:
        return BAN
    if last and (last in _CLAUSE_END or sentence_end):
        return CLAUSE
    if last == ",":
        return COMMA
    if bare in _ARTICLES and bare != "that":
        return BAN
    if _is_numeric(word) and not _is_numeric(next_word):
        return IN_NUMBER  # "5,479 defendants", "17.16 yuan"
    if _is_capitalised(word) and (_is_capitalised(next_word) or _is_numeric(next_word)):
        return IN_NAME  # "Li Xiaojun", "Human Rights Council", "May 31"
    if _is_name_part(word) and following in _NAME_LINKS and _is_capitalised(after_next):
        return IN_NAME  # "Ministry | of Foreign Affairs"
    if bare in _NAME_LINKS and _is_name_part(previous) and _is_capitalised(next_word):
        return IN_NAME  # "Ministry of | Foreign Affairs"
    if bare in _PRONOUNS:
        return AFTER_PRONOUN
    if bare in _AUXILIARIES:
        return AFTER_AUX
    if bare in _PREPOSITIONS:
        return AFTER_PREP
    if bare in _CONJUNCTIONS:
        return AFTER_CONJ
    if _bare(previous) in _ARTICLES and following not in _CONJUNCTIONS | _PREPOSITIONS:
        return IN_NOUN_PHRASE
    if bare.endswith(("'s", "’s", "s'", "s’")) and following not in _CONJUNCTIONS | _PREPOSITIONS:
        return IN_NOUN_PHRASE  # "China's | capacity"
    if bare.endswith("ly") and len(bare) > 4 and following not in _CONJUNCTIONS | _PREPOSITIONS:
        return IN_NOUN_PHRASE
    if following in _CONJUNCTIONS:
        return BEFORE_CONJ
    if following in _PREPOSITIONS:
        return BEFORE_PREP
    return PLAIN


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


@dataclass(frozen=True, slots=True)
class _Paragraph:
    words: list[str]  # the units a break may fall between (for CJK: words with their punctuation)
    badness: list[int]  # badness[k]: break after words[k]; the last entry is the paragraph end
    sentence_end: list[bool]
    seps: list[str]  # seps[k]: what stands between words[k - 1] and words[k] ("" for k = 0)
    widths: list[float]  # display width of each word
    sep_widths: list[float]  # display width of each separator (0 for the first)
    speech: tuple[list[int], list[int], list[int]]  # words, letters, CJK characters per word


def _speech_counts(words: list[str]) -> tuple[list[int], list[int], list[int]]:
    """What the speaking-rate model counts in each word: 1 word and its letters, or its CJK
    characters (a word of Latin letters inside Chinese counts as a word)."""
    n_words: list[int] = []
    n_letters: list[int] = []
    n_cjk: list[int] = []
    for word in words:
        if word.isascii():
            n_words.append(1)
            n_letters.append(letters(word))
            n_cjk.append(0)
            continue
        cjk = sum(1 for ch in word if is_cjk_letter(ch))
        n_cjk.append(cjk)
        n_letters.append(letters(word) - cjk)
        n_words.append(1 if not cjk or cjk_mixed(word) else 0)
    return n_words, n_letters, n_cjk


def _spaced(words: list[str], profile: Profile) -> tuple[list[str], list[float], list[float]]:
    seps = [""] + [" "] * (len(words) - 1)
    widths = [width(word, profile.counting) for word in words]
    sep_widths: list[float] = [0] + [width(" ", profile.counting)] * (len(words) - 1)
    return seps, widths, sep_widths


def _analyse(paragraph: str, profile: Profile | None = None) -> _Paragraph:
    """Words of ``paragraph``, where sentences end, and the badness of a break after each word."""
    profile = profile or _ENGLISH
    if profile.rtl:
        paragraph = "".join(ch for ch in paragraph if ch not in BIDI_CONTROLS)
    if profile.words != "spaces":
        return _analyse_cjk(paragraph, profile)
    if profile.breaks != "english":
        return _analyse_generic(paragraph, profile)
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
        core_end = end - (len(word) - len(word.rstrip(_CLOSERS)))
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
    return _Paragraph(words, badness, flags, seps, widths, sep_widths, _speech_counts(words))


_ENGLISH = profile_for("en")
_THOUSANDS = re.compile(r"\d{3}(?:[,.]\d+)?[,.;:!?)]*")
_GROUPED = re.compile(r"[(\[]?\d{1,3}(?:\u00a0\d{3})*")
NBSP = "\u00a0"


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


def generic_badness(word: str, next_word: str, *, sentence_end: bool, profile: Profile) -> int:
    """Break badness for languages without word lists: punctuation, numbers, names.

    Example:
        >>> fr = profile_for("fr")
        >>> generic_badness("dit,", "nous", sentence_end=False, profile=fr)
        2
        >>> generic_badness("5\u00a0479", "accusés", sentence_end=False, profile=fr)
        12
    """
    tail = word.rstrip(_CLOSERS + "»" + NBSP)
    last = tail[-1:]
    if sentence_end:
        return SENTENCE
    if last in (",", "،", "、"):
        return COMMA
    if last and last in profile.clause_end:
        return CLAUSE
    if _is_numeric(word) and not _is_numeric(next_word):
        return IN_NUMBER
    if _is_capitalised(word) and _is_capitalised(next_word):
        return IN_NAME
    return PLAIN


def _analyse_generic(paragraph: str, profile: Profile) -> _Paragraph:
    """Words split at spaces, sentences ended by the profile's punctuation."""
    words = _glue_nbsp(paragraph.split(), profile)
    flags = []
    for word in words:
        tail = word.rstrip(_CLOSERS + "»" + NBSP + profile.nbsp_before)
        last = tail[-1:] or word[-1:]
        flags.append(bool(last) and (last in profile.sentence_end or word[-1] in "!?"))
    flags[-1] = True
    badness = [
        generic_badness(words[k], words[k + 1], sentence_end=flags[k], profile=profile)
        for k in range(len(words) - 1)
    ]
    badness.append(SENTENCE)
    seps, widths, sep_widths = _spaced(words, profile)
    return _Paragraph(words, badness, flags, seps, widths, sep_widths, _speech_counts(words))


# --- Chinese and Japanese words ------------------------------------------------------------

_CJK_CLOSERS = "」』）》】〕〉”’〗〙〛｝］＞)]}\"'"
_CJK_OPEN = "《「『“"
_CJK_CLOSE = "》」』”"
# Particles and suffixes that cannot start a line: "的 | 人" is fine, "人 | 的" is not.
_ZH_ENCLITICS = frozenset("的 了 着 过 吗 呢 吧 啊 呀 地 得 们 等 之".split())
_ZH_CONJUNCTIONS = frozenset("和 与 及 以及 并 并且 而 而且 或 或者 但 但是 同时 以便 以".split())


@cache
def chinese_words() -> Callable[[str], list[str]]:
    """jieba's word cutter (dictionary and HMM for unknown words such as names), loaded once.

    jieba is imported on first use (``aligner --help`` and English runs never load it) and its
    dictionary ships in the package, so nothing is downloaded. Its logger is silenced: it
    reports building its prefix dictionary and failing to cache it in the temporary folder,
    neither of which is ours to show.
    """
    import jieba  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.CRITICAL)
    jieba.initialize()
    cut: Callable[[str], list[str]] = functools.partial(jieba.lcut, HMM=True)
    return cut


_RUNS = re.compile(r"(\s+)")


def _cjk_pieces(paragraph: str, profile: Profile) -> list[tuple[str, str]]:
    """(separator before, piece): Latin runs whole, CJK runs cut into words."""
    pieces: list[tuple[str, str]] = []
    sep = ""
    for chunk in _RUNS.split(paragraph):
        if not chunk:
            continue
        if chunk.isspace():
            sep = " "
            continue
        for wide, run in _script_runs(chunk):
            for word in _cjk_words(run, profile) if wide else [run]:
                pieces.append((sep, word))
                sep = ""
    return pieces


_NUMBER_DASHES = "—–～~"


def _script_runs(chunk: str) -> list[tuple[bool, str]]:
    """Runs of full-width and of other characters; a dash between digits ("2016—2020") goes
    with the digits, so that a number range is never cut."""
    runs: list[tuple[bool, str]] = []
    last = len(chunk) - 1
    for k, char in enumerate(chunk):
        wide = is_full_width(char) and not (
            char in _NUMBER_DASHES
            and 0 < k < last
            and chunk[k - 1].isdigit()
            and chunk[k + 1].isdigit()
        )
        if runs and runs[-1][0] == wide:
            runs[-1] = (wide, runs[-1][1] + char)
        else:
            runs.append((wide, char))
    return runs


def _cjk_words(run: str, profile: Profile) -> list[str]:
    if profile.words == "chinese":
        return chinese_words()(run)
    return _japanese_words(run)


def _kind(char: str) -> str:
    code = ord(char)
    if 0x3041 <= code <= 0x309F:
        return "hira"
    if char.isalnum() or char in "ー々〆ヶ":
        return "content"  # kanji, katakana, full-width letters and digits
    return "punct"


def _japanese_words(run: str) -> list[str]:
    """Japanese has no spaces and jieba does not know it: a word here is a run of kanji or
    katakana with the hiragana that follow it (its okurigana and particles), or a run of
    hiragana, or one punctuation mark. A rough bunsetsu: lines never break inside one."""
    words: list[str] = []
    previous = ""
    for char in run:
        kind = _kind(char)
        if words and char in _CJK_CLOSE + "）】〕":
            # A closing bracket stays with its word, and a particle after it with both:
            # "「人権」を" is one unit.
            words[-1] += char
            previous = "content"
            continue
        joins = words and (
            (kind == "content" and previous == "content")
            or (kind == "hira" and previous in ("content", "hira"))
        )
        if joins:
            words[-1] += char
        else:
            words.append(char)
        previous = kind
    return words


def _glue_kinsoku(pieces: list[tuple[str, str]], profile: Profile) -> list[tuple[str, str]]:
    """Closing punctuation joined to the word before, opening punctuation to the word after
    (with any space between), so that no line starts or ends with them (clreq, jlreq)."""
    glued: list[tuple[str, str]] = []
    opener: tuple[str, str] | None = None
    for sep, word in pieces:
        if opener is not None:
            sep, word, opener = opener[0], opener[1] + sep + word, None
        core = word.replace(" ", "")
        if glued and all(ch in profile.no_line_start for ch in core):
            last_sep, last = glued[-1]
            glued[-1] = (last_sep, last + sep + word)
        elif all(ch in profile.no_line_end for ch in core):
            opener = (sep, word)
        else:
            glued.append((sep, word))
    if opener is not None:
        glued.append(opener)
    return glued


def cjk_badness(word: str, next_word: str, *, sentence_end: bool, profile: Profile) -> int:
    """Break badness between two Chinese or Japanese words (with their punctuation).

    Example:
        >>> zh = profile_for("zh-Hans")
        >>> cjk_badness("好。", "我们", sentence_end=True, profile=zh)
        0
        >>> cjk_badness("2020", "年", sentence_end=False, profile=zh)
        12
        >>> cjk_badness("人权", "的", sentence_end=False, profile=zh)
        14
    """
    if sentence_end:
        return SENTENCE
    tail = word.rstrip(_CJK_CLOSERS)
    last = tail[-1:]
    if last in ("，", "、", ","):
        return COMMA
    if last and last in profile.clause_end:
        return CLAUSE
    head = next_word.lstrip(profile.no_line_end)
    if _is_numeric(word.lstrip(profile.no_line_end)) and head[:1].isalpha():
        return IN_NUMBER  # "2020 | 年", "87,152 | 件"
    if head[:1] in _ZH_ENCLITICS and head[:1] == head:
        return AFTER_PRONOUN
    if tail in _ZH_CONJUNCTIONS:
        return AFTER_CONJ
    if tail.endswith("的"):
        return IN_NOUN_PHRASE  # "…的 | 实施情况": a modifier and its noun
    if head in _ZH_CONJUNCTIONS:
        return BEFORE_CONJ
    return PLAIN


def _analyse_cjk(paragraph: str, profile: Profile) -> _Paragraph:
    """Chinese or Japanese: words (jieba, or kana/kanji runs), Latin runs kept whole."""
    pieces = _glue_kinsoku(_cjk_pieces(paragraph, profile), profile)
    if not pieces:
        pieces = [("", paragraph.strip())]
    seps = [sep for sep, _ in pieces]
    seps[0] = ""
    words = [word for _, word in pieces]
    flags = []
    for word in words:
        last = word.rstrip(_CJK_CLOSERS)[-1:]
        flags.append(bool(last) and last in profile.sentence_end)
    flags[-1] = True
    badness = [
        cjk_badness(words[k], words[k + 1], sentence_end=flags[k], profile=profile)
        for k in range(len(words) - 1)
    ]
    # Inside a title 《…》 or a quotation, breaks cost as much as inside a name.
    depth = 0
    for k, word in enumerate(words[:-1]):
        depth = max(0, depth + sum(ch in _CJK_OPEN for ch in word))
        depth = max(0, depth - sum(ch in _CJK_CLOSE for ch in word))
        if depth:  # and a number cut from its unit there costs more than any break
            badness[k] = IN_NAME + (badness[k] if badness[k] > PLAIN else 0)
    badness.append(SENTENCE)
    widths = [width(word, "cjk") for word in words]
    sep_widths = [width(sep, "cjk") for sep in seps]
    return _Paragraph(words, badness, flags, seps, widths, sep_widths, _speech_counts(words))


# --- Cost search ---------------------------------------------------------------------------

# Weights of the cost search, tuned by eye on the seed briefing (see tests/test_segment.py).
CUE_COST = 16  # every cue costs this much: prefer full cues to many small ones
CUE_BREAK_WEIGHT = 5  # × badness of the break that ends a cue
LINE_BREAK_WEIGHT = 4  # × badness of a line break inside a cue
BALANCE_WEIGHT = 30  # × (line length difference / max_chars)²
TOP_HEAVY_FACTOR = 1.5  # a longer top line is worse than a longer bottom line (ESIST, Pixelogic)
SHORT_CUE_COST = 14  # a cue that takes less than the minimum duration to say
SPILL_COST = 16  # a cue that ends one sentence, starts the next, and does not finish it
LONE_NUMBER_COST = 30  # a display line that is only a number can be read as an SRT index
EXTRA_LINE_COST = 6  # three lines where two would do (only when max_lines > 2)


class _Widths:
    """Display widths of runs of words, as if the whole paragraph stood on one line.

    ``start[k]`` is where word k begins and ``stop[k]`` where word k-1 ends, so words i..j-1
    measure ``stop[j] - start[i]``; the hot loops use the two lists directly.
    """

    __slots__ = ("start", "stop")

    def __init__(self, widths: list[float], seps: list[float]) -> None:
        self.start: list[float] = []
        self.stop: list[float] = [0]
        position: float = 0
        for word, sep in zip(widths, seps, strict=True):
            position += sep
            self.start.append(position)
            position += word
            self.stop.append(position)

    def run(self, i: int, j: int) -> float:
        """Width of words i..j-1 on one line."""
        return self.stop[j] - self.start[i]


def _layout(
    para: _Paragraph,
    widths: _Widths,
    start: int,
    end: int,
    first_extra: float,
    rules: SegmentRules,
) -> tuple[float, list[int]] | None:
    """Cheapest layout of words start..end-1 in at most ``rules.max_lines`` lines.

    Text that fits on one line stays on one line (Netflix: "keep text on one line unless it
    exceeds the character limit"). Returns the cost and the exclusive end of each line, or
    None when the words do not fit.
    """
    max_chars = rules.max_chars
    total = widths.run(start, end) + first_extra
    if total <= max_chars or end - start == 1:
        return 0.0, [end]
    if rules.max_lines == 2:
        return _two_lines(para, widths, start, end, first_extra, max_chars)
    best: tuple[float, list[int]] | None = None
    # Partial layouts: (cost, line ends so far); extended one line at a time.
    partial: list[tuple[float, list[int]]] = [(0.0, [start])]
    for n in range(1, rules.max_lines + 1):
        grown: dict[int, tuple[float, list[int]]] = {}
        for cost, bounds in partial:
            i = bounds[-1]
            extra = first_extra if i == start else 0
            for j in range(i + 1, end + 1):
                if widths.run(i, j) + extra > max_chars and j - i > 1:
                    break
                if j == end:
                    if n >= 2:
                        final = cost + _shape_cost([*bounds, j], widths, first_extra, rules)
                        if j - i == 1 and _is_numeric(para.words[i]):
                            final += LONE_NUMBER_COST
                        if best is None or final < best[0]:
                            best = (final, [*bounds[1:], j])
                    continue
                if n == rules.max_lines:
                    continue
                step = cost + LINE_BREAK_WEIGHT * para.badness[j - 1]
                if j - i == 1 and _is_numeric(para.words[i]):
                    step += LONE_NUMBER_COST
                if j not in grown or step < grown[j][0]:
                    grown[j] = (step, [*bounds, j])
        partial = list(grown.values())
    return best


def _two_lines(
    para: _Paragraph, widths: _Widths, start: int, end: int, first_extra: float, max_chars: int
) -> tuple[float, list[int]] | None:
    """``_layout`` for the usual two lines: one pass over the split points (the hot path)."""
    best_cost = float("inf")
    best_split = -1
    badness = para.badness
    words = para.words
    begin, stop = widths.start, widths.stop
    left = begin[start] - first_extra
    right = stop[end]
    for split in range(start + 1, end):
        top = stop[split] - left
        if top > max_chars and split - start > 1:
            break
        bottom = right - begin[split]
        if bottom > max_chars and end - split > 1:
            continue
        mean = (top + bottom) / 2
        diff = (top - mean) / max_chars
        factor = 1.0 + TOP_HEAVY_FACTOR if top > bottom else 2.0
        cost = LINE_BREAK_WEIGHT * badness[split - 1] + BALANCE_WEIGHT * factor * diff * diff
        if (split - start == 1 and _is_numeric(words[start])) or (
            end - split == 1 and _is_numeric(words[split])
        ):
            cost += LONE_NUMBER_COST
        if cost < best_cost:
            best_cost, best_split = cost, split
    if best_split < 0:
        return None
    return best_cost, [best_split, end]


def _shape_cost(
    bounds: list[int], widths: _Widths, first_extra: float, rules: SegmentRules
) -> float:
    """Balance of the lines between ``bounds``: even lines, the bottom one a little longer."""
    lens = [widths.run(a, b) for a, b in itertools.pairwise(bounds)]
    lens[0] += first_extra
    n = len(lens)
    mean = sum(lens) / n
    cost = float(EXTRA_LINE_COST * (n - 2))
    for k, length in enumerate(lens):
        diff = (length - mean) / rules.max_chars
        factor = TOP_HEAVY_FACTOR if (k < n - 1 and length > mean) else 1.0
        cost += BALANCE_WEIGHT * factor * diff * diff
    return cost


def _segment_paragraph(
    para: _Paragraph, rules: SegmentRules, first_extra: float
) -> list[tuple[int, list[int]]]:
    """Cheapest division of one paragraph into cues: (first word, line ends) per cue.

    Dynamic programming over cue ends; each candidate cue is laid out by ``_layout``.
    ``first_extra`` is the width of the speaker label the paragraph's first cue carries.
    """
    n = len(para.words)
    widths = _Widths(para.widths, para.sep_widths)
    stop = widths.stop
    cap = rules.max_chars * rules.max_lines
    # last sentence end at or before k (or -1), to find cues that spill into a new sentence
    last_end: list[int] = []
    seen = -1
    for k in range(n):
        if para.sentence_end[k]:
            seen = k
        last_end.append(seen)
    word_sums, letter_sums, cjk_sums = ([0, *itertools.accumulate(c)] for c in para.speech)
    cjk_rate = rules.profile.cjk_chars_per_minute or DEFAULT_CJK_PER_MINUTE
    has_cjk = cjk_sums[-1] > 0
    wpm = rules.words_per_minute
    inf = float("inf")
    best: list[float] = [0.0] + [inf] * n
    choice: list[tuple[int, list[int]]] = [(0, [])] * (n + 1)
    for i in range(n):
        if best[i] == inf:
            continue
        extra = first_extra if i == 0 else 0
        left = widths.start[i] - extra
        for j in range(i + 1, n + 1):
            if stop[j] - left > cap and j - i > 1:
                break
            if has_cjk:
                text_ms = speech_ms_from_counts(
                    word_sums[j] - word_sums[i],
                    letter_sums[j] - letter_sums[i],
                    wpm,
                    cjk_chars=cjk_sums[j] - cjk_sums[i],
                    cjk_per_minute=cjk_rate,
                )
            else:  # the hot path of spaced languages: every word counts 1, no keywords
                text_ms = speech_ms_from_counts(j - i, letter_sums[j] - letter_sums[i], wpm)
            if text_ms > rules.max_duration_ms and j - i > 1:
                break
            cost = best[i] + CUE_COST + CUE_BREAK_WEIGHT * para.badness[j - 1]
            if text_ms < rules.min_duration_ms:
                cost += SHORT_CUE_COST
            if j - i > 1 and not para.sentence_end[j - 1] and last_end[j - 2] >= i:
                cost += SPILL_COST
            if cost >= best[j]:
                continue  # the layout cost is never negative: this cue cannot win
            laid = _layout(para, widths, i, j, extra, rules)
            if laid is None:
                continue
            cost += laid[0]
            if cost < best[j]:
                best[j] = cost
                choice[j] = (i, laid[1])
    cues: list[tuple[int, list[int]]] = []
    j = n
    while j > 0:
        i, line_ends = choice[j]
        cues.append((i, line_ends))
        j = i
    cues.reverse()
    return cues


def segment(
    turns: Sequence[Turn],
    rules: SegmentRules | None = None,
    *,
    label_for: Callable[[str], str] | None = None,
) -> list[Line]:
    """Cut every turn into subtitle Lines that respect ``rules``.

    Each paragraph of a turn is cut separately (a paragraph end is always a cue end), so a
    Line never spans two turns or two speakers. Within a paragraph the cue and line breaks are
    chosen together by a cost search: breaks after sentences and clauses are cheap, breaks
    inside names, after articles or between a number and its unit are dear, lines are balanced
    (bottom-heavy), and no cue takes longer than ``rules.max_duration_ms`` to say. A paragraph
    in another language than ``rules.language`` (``Turn.language_of``) is cut by that
    language's rules (:meth:`SegmentRules.for_text_in`), and its Lines carry its language.

    Args:
        turns: The transcript's turns.
        rules: Limits; English defaults when None.
        label_for: The visible label the writers put before a turn's first cue
            (``"Li Xiaojun: "``); its width is kept free on that cue's first line.

    Returns:
        The Lines, in order, each with ``max_lines`` or fewer display lines joined by "\n".
    """
    rules = rules or SegmentRules()
    by_language: dict[str, SegmentRules] = {}
    out: list[Line] = []
    for turn_index, turn in enumerate(turns):
        label = label_for(turn.speaker) if label_for is not None else ""
        first_of_turn = True
        for p, paragraph in enumerate(turn.paragraphs):
            language = turn.language_of(p)
            if language not in by_language:
                by_language[language] = rules.for_text_in(language)
            own = by_language[language]
            profile = own.profile
            para = _analyse(paragraph, profile)
            label_width = width(label, profile.counting) if p == 0 else 0
            for start, line_ends in _segment_paragraph(para, own, label_width):
                bounds = [start, *line_ends]
                rows = [_row(para, a, b) for a, b in itertools.pairwise(bounds)]
                if profile.cjk and own.cjk_line_end_punct == "space":
                    rows = [_punct_to_space(row) for row in rows]
                out.append(
                    Line(
                        speaker=turn.speaker,
                        text="\n".join(rows),
                        language=language,
                        turn_index=turn_index,
                        ends_sentence=para.sentence_end[line_ends[-1] - 1],
                        label=label if first_of_turn else "",
                    )
                )
                first_of_turn = False
    return out


def _row(para: _Paragraph, start: int, end: int) -> str:
    """Words start..end-1 as one display line, with the separators between them."""
    seps, words = para.seps, para.words
    return words[start] + "".join(seps[k] + words[k] for k in range(start + 1, end))


_CJK_COMMA_STOP = re.compile("[，。]+")


def _punct_to_space(row: str) -> str:
    """The ``space`` house style: ``，`` and ``。`` become a space, dropped at the line's ends.

    Example:
        >>> _punct_to_space("女士们，先生们，下午好。")
        '女士们 先生们 下午好'
    """
    spaced = " ".join(_CJK_COMMA_STOP.sub(" ", row).split())
    return spaced or row
