"""Detection of a text's language from its scripts and common words: a document's or a paragraph's.

:func:`detect` names a document's language (``--lang auto``); :func:`paragraph_language` finds a
paragraph clearly in another script than its document (``docs/languages.md``).
"""

from __future__ import annotations

import re
from collections import Counter

# How much of a text to look at: enough for statistics, cheap for long transcripts.
DETECT_SAMPLE = 20_000

# Frequent characters whose simplified and traditional forms differ (simplified, traditional).
_HANS = frozenset(
    "这们个国说时为会发对经过还进与关实现机样门问间让长话见认书车东应员产开给种义体动两业后么从"
)
_HANT = frozenset(
    "這們個國說時為會發對經過還進與關實現機樣門問間讓長話見認書車東應員產開給種義體動兩業後麼從"
)
_FUNCTION_WORDS = {
    "en": frozenset("the of and to in is that for it was on with as are this be by".split()),
    "fr": frozenset("le la les des et est une du que pour dans qui pas sur au avec ce".split()),
    "de": frozenset("der die und das ist nicht mit den ein zu von sich des auf dem eine".split()),
    "es": frozenset("el los las y que en es por con una del para se lo como su al".split()),
}
_LATIN_WORD = re.compile(r"[^\W\d_]+")


def _script(char: str) -> str | None:
    code = ord(char)
    if char.isascii():
        return "latin" if char.isalpha() else None
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x3134F:
        return "han"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
        return "hangul"
    if not char.isalpha():
        return None
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x0590 <= code <= 0x05FF:
        return "hebrew"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if code <= 0x024F or 0x1E00 <= code <= 0x1EFF:
        return "latin"
    return "other"


def _function_word_shares(text: str) -> dict[str, float]:
    """For each Latin-script language, the share of ``text``'s words that are its function
    words; empty when ``text`` has no words."""
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if not words:
        return {}
    return {
        tag: sum(w in vocab for w in words) / len(words) for tag, vocab in _FUNCTION_WORDS.items()
    }


def detect(text: str) -> tuple[str, str]:
    """The language of ``text`` and why, from its scripts and character statistics.

    Rule (on the first 20,000 characters): count letters by script. Kana in 5 % or more of the
    Han and kana letters: Japanese. Han 30 % or more of all letters: Chinese, Traditional when
    frequent characters in their traditional forms (這 們 國 ...) outnumber the simplified ones
    (这 们 国 ...), else Simplified. Arabic or Cyrillic letters over half of all letters: Arabic,
    Russian. Latin: the language (en, fr, de, es) whose most frequent function words cover the
    most words, English when none reaches 5 %. No letters: English.

    Returns:
        The BCP 47 tag and a one-line reason.

    Example:
        >>> detect("李晓军：女士们、先生们，下午好。")[0]
        'zh-Hans'
        >>> detect("Good afternoon. The plan is the third of its kind.")
        ('en', 'Latin script (100% of letters); function words: en 40%, fr 0%, de 0%, es 0%')
    """
    sample = text[:DETECT_SAMPLE]
    scripts = Counter(_script(ch) for ch in sample)
    scripts.pop(None, None)
    letters = sum(scripts.values())
    if not letters:
        return "en", "no letters; English assumed"

    def share(*names: str) -> float:
        return sum(scripts[n] for n in names) / letters

    cjk = scripts["han"] + scripts["kana"]
    if scripts["kana"] and scripts["kana"] >= 0.05 * cjk and share("han", "kana") >= 0.3:
        return (
            "ja",
            f"kana and kanji ({share('han', 'kana'):.0%} of letters, kana {share('kana'):.0%})",
        )
    if share("han") >= 0.3:
        hans = sum(ch in _HANS for ch in sample)
        hant = sum(ch in _HANT for ch in sample)
        tag = "zh-Hant" if hant > hans else "zh-Hans"
        return tag, (
            f"Han script ({share('han'):.0%} of letters); frequent characters in simplified "
            f"form {hans}, traditional form {hant}"
        )
    for script, tag in (("arabic", "ar"), ("cyrillic", "ru"), ("hebrew", "he"), ("hangul", "ko")):
        if share(script) > 0.5:
            return tag, f"{script.capitalize()} script ({share(script):.0%} of letters)"
    shares = _function_word_shares(sample)
    if not shares:
        return "en", "no words; English assumed"
    best = max(shares, key=lambda tag: shares[tag])
    detail = ", ".join(f"{tag} {value:.0%}" for tag, value in shares.items())
    if shares[best] < 0.05:
        return (
            "en",
            f"Latin script, no language's function words reach 5% ({detail}); English assumed",
        )
    return best, f"Latin script ({share('latin'):.0%} of letters); function words: {detail}"


# --- A paragraph in another language than its document ------------------------------------

# A Han character or kana (or a Hangul syllable) stands for about a syllable: as much speech as
# three Latin letters (English averages about three letters a syllable). Weighing them 3 keeps
# "我们与WHO、UNESCO合作" Chinese: counted letter by letter it would be mostly Latin.
SYLLABIC_WEIGHT = 3
# How clear the evidence must be before a paragraph leaves its document's language: its main
# script has this share of its weighted letters...
SWITCH_SHARE = 0.75
# ...or, for a short paragraph (less than 48 weighted letters: 16 Chinese characters, about ten
# English words), this share.
SHORT_PARAGRAPH = 48
SHORT_SWITCH_SHARE = 0.85
# Never on less: 4 Chinese characters, a couple of English words.
MIN_EVIDENCE = 12

# Capitalised Latin words are names (Human Rights Council, China Daily, Li Xiaojun) or acronyms
# (UN, WHO, COVID-19): they turn up inside any language's sentences, so they are no evidence
# for a Latin-script language. Prose is mostly lower-case words.
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_CAPITALISED = re.compile(
    f"(?<![{_LATIN_LETTER}])[A-Z\u00c0-\u00d6\u00d8-\u00de][{_LATIN_LETTER}]*"
)
_SYLLABIC = ("han", "kana", "hangul")
# Script families: the scripts a language is written in, as far as telling paragraphs apart goes.
_FAMILY = {
    "han": "CJK",
    "kana": "CJK",
    "latin": "Latin",
    "arabic": "Arabic",
    "cyrillic": "Cyrillic",
    "hebrew": "Hebrew",
    "hangul": "Hangul",
}
_SCRIPT_SUBTAGS = {
    "latn": "Latin",
    "cyrl": "Cyrillic",
    "arab": "Arabic",
    "hebr": "Hebrew",
    "hang": "Hangul",
    "kore": "Hangul",
    "hans": "CJK",
    "hant": "CJK",
    "hani": "CJK",
    "jpan": "CJK",
}
_LANGUAGE_FAMILIES = {
    "CJK": "zh ja yue wuu cmn lzh",
    "Hangul": "ko",
    "Arabic": "ar fa ur ps sd ug ku",
    "Cyrillic": "ru uk be bg mk sr kk ky tg mn",
    "Hebrew": "he yi",
    "Latin": "en fr de es it pt nl sv da no nb nn fi is pl cs sk sl hr bs hu ro tr az id ms vi "
    "tl fil sw ca eu gl et lv lt ga cy sq af mt lb",
}
_FAMILY_OF_LANGUAGE = {
    code: family for family, codes in _LANGUAGE_FAMILIES.items() for code in codes.split()
}


def script_family(tag: str) -> str | None:
    """The script family a language tag is written in (``"CJK"``, ``"Latin"``, ...), if known.

    A script subtag wins (``sr-Latn``); else the language's usual script; None for a language
    this module does not know the script of.

    Example:
        >>> script_family("zh-Hant"), script_family("fr-CA"), script_family("sr-Latn")
        ('CJK', 'Latin', 'Latin')
        >>> script_family("hi") is None
        True
    """
    parts = tag.lower().split("-")
    for part in parts[1:]:
        if part in _SCRIPT_SUBTAGS:
            return _SCRIPT_SUBTAGS[part]
    return _FAMILY_OF_LANGUAGE.get(parts[0])


def _weighted_families(text: str) -> Counter[str]:
    """Letters of ``text`` by script family; Han, kana and Hangul weigh 3, capitalised Latin
    words nothing."""
    counts: Counter[str] = Counter()
    for ch in _CAPITALISED.sub(" ", text):
        script = _script(ch)
        if script is None:
            continue
        weight = SYLLABIC_WEIGHT if script in _SYLLABIC else 1
        counts[_FAMILY.get(script, "other")] += weight
    return counts


def paragraph_language(paragraph: str, document: str) -> tuple[str, str] | None:
    """The language of a paragraph that is clearly not in its document's, and why; else None.

    Only a change of script counts (an English paragraph in a Chinese document, a Chinese one in
    an English document); languages that share a script (English and French, Chinese and
    Japanese) are not told apart paragraph by paragraph. Rule: count the paragraph's letters by
    script, a Han character, kana or Hangul syllable counting 3 (about a syllable, as much speech
    as three Latin letters) and capitalised Latin words (names such as ``Human Rights Council``,
    acronyms such as ``COVID``) nothing. The paragraph switches when its main script is not the
    document's, holds at least 75 % of the weighted letters (85 % when there are fewer than
    48) and at least 12; then :func:`detect` names the language (from the text without its
    capitalised Latin words, unless it is Latin-script), and a Latin-script paragraph
    must also read as prose (one language's function words make 5 % of its words), so that a
    line of names stays in the document's language. A document whose language's script is
    unknown (:func:`script_family`) never switches.

    Returns:
        ``(tag, reason)`` when the paragraph is in another language; None otherwise.

    Example:
        >>> paragraph_language("我们与WHO、UNESCO和Human Rights Council合作。", "zh-Hans") is None
        True
        >>> paragraph_language("Thank you for your question on the plan.", "zh-Hans")[0]
        'en'
        >>> paragraph_language("谢谢大家。今天的发布会到此结束。", "en")[0]
        'zh-Hans'
    """
    home = script_family(document)
    if home is None or (home == "Latin" and paragraph.isascii()):
        return None
    counts = _weighted_families(paragraph[:DETECT_SAMPLE])
    total = sum(counts.values())
    if not total:
        return None
    family, evidence = counts.most_common(1)[0]
    share = evidence / total
    needed = SWITCH_SHARE if evidence >= SHORT_PARAGRAPH else SHORT_SWITCH_SHARE
    if family in (home, "other") or evidence < MIN_EVIDENCE or share < needed:
        return None
    if family == "Latin" and max(_function_word_shares(paragraph).values(), default=0) < 0.05:
        return None  # names, titles, a list: no evidence of a language
    # Which language of the family: Latin by function words (capitalised ones too); the others
    # by their letters, without the Latin names that would dilute them.
    tag, why = detect(paragraph if family == "Latin" else _CAPITALISED.sub(" ", paragraph))
    if script_family(tag) != family:
        return None
    detail = why.split("; ", 1)[-1]  # the script share is said already, weighted
    return tag, f"{family} script, {share:.0%} of weighted letters; {detail}"
