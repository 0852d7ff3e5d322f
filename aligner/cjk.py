"""Chinese and Japanese paragraphs, cut into words for the cost search.

Words come from jieba (Chinese: its Rust port, loaded on first use) or from kana and kanji
runs (Japanese); Latin words and numbers stay whole; kinsoku glues closing punctuation to the
word before and opening punctuation to the word after, so that no line starts or ends with them
(clreq, jlreq). Each word gets the badness of a break after it, on :mod:`aligner.breaks`' scale.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from functools import cache

from aligner.breaks import (
    AFTER_CONJ,
    AFTER_PRONOUN,
    BEFORE_CONJ,
    CLAUSE,
    COMMA,
    IN_NAME,
    IN_NOUN_PHRASE,
    IN_NUMBER,
    PLAIN,
    SENTENCE,
    is_numeric,
)
from aligner.cuesearch import Paragraph
from aligner.languages import Profile, is_full_width, width
from aligner.rate import speech_counts

_CJK_CLOSERS = "」』）》】〕〉”’〗〙〛｝］＞)]}\"'"
_CJK_OPEN = "《「『“"
_CJK_CLOSE = "》」』”"
# Particles and suffixes that cannot start a line: "的 | 人" is fine, "人 | 的" is not.
_ZH_ENCLITICS = frozenset("的 了 着 过 吗 呢 吧 啊 呀 地 得 们 等 之".split())
_ZH_CONJUNCTIONS = frozenset("和 与 及 以及 并 并且 而 而且 或 或者 但 但是 同时 以便 以".split())


@cache
def chinese_words() -> Callable[[str], list[str]]:
    """jieba's word cutter (dictionary and HMM for unknown words such as names), loaded once.

    jieba-rs, jieba's Rust port, through its binding rjieba: the same dictionary, the same
    words (on 456,000 characters of Chinese, every Han word as Python jieba 0.42 cuts it), but
    it is ready in 0.09 s where jieba 0.42 takes 0.7 s to load its dictionary from its cache
    (and writes that cache to the temporary folder first). It is imported on first use
    (``aligner --help`` and English runs never load it); its dictionary is built into the
    package, so nothing is downloaded.
    """
    import rjieba

    return functools.partial(rjieba.cut, hmm=True)


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
        >>> from aligner.languages import profile_for
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
    if is_numeric(word.lstrip(profile.no_line_end)) and head[:1].isalpha():
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


def analyse_cjk(paragraph: str, profile: Profile) -> Paragraph:
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
    return Paragraph(words, badness, flags, seps, widths, sep_widths, speech_counts(words))


_CJK_COMMA_STOP = re.compile("[，。]+")


def punct_to_space(row: str) -> str:
    """The ``space`` house style: ``，`` and ``。`` become a space, dropped at the line's ends.

    Example:
        >>> punct_to_space("女士们，先生们，下午好。")
        '女士们 先生们 下午好'
    """
    spaced = " ".join(_CJK_COMMA_STOP.sub(" ", row).split())
    return spaced or row
