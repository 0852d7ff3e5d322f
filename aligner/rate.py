"""How long text takes to say at a given speaking rate: shared by the segmenter and the timing."""

from __future__ import annotations

# Average letters in an English word of running text (the usual figure; the seed briefing,
# denser, measures 5.4). Half of a text's duration follows its word count and half its
# letter count, so that long words ("Administrative Reconsideration") take longer to say than
# short ones and reading speed stays near the speaking rate's.
AVG_LETTERS_PER_WORD = 4.7
# The speaking rate the profiles' CJK character rates are given at (``--wpm`` default):
# ``--wpm 180`` makes Chinese 20 % faster too.
BASE_WPM = 150.0
# Chinese characters a minute at BASE_WPM when no profile says (briefings: about 4 a second).
DEFAULT_CJK_PER_MINUTE = 250.0


def speech_ms(text: str, words_per_minute: float, *, language: str | None = None) -> int:
    """Milliseconds it takes to say ``text`` at ``words_per_minute``.

    Words in scripts with spaces count by words and letters; Chinese and Japanese characters
    (ideographs, kana) count one by one at the rate of ``language``'s profile, or, without a
    language, Japanese's when the text has kana and Chinese's otherwise.

    Example:
        >>> speech_ms("Thank you.", 150)
        740
        >>> speech_ms("", 150)
        0
        >>> speech_ms("谢谢大家。", 150)
        960
    """
    if text.isascii():
        return speech_ms_from_counts(len(text.split()), letters(text), words_per_minute)
    cjk = sum(1 for ch in text if is_cjk_letter(ch))
    words = sum(1 for w in text.split() if not any(map(is_cjk_letter, w)) or cjk_mixed(w))
    return speech_ms_from_counts(
        words,
        letters(text) - cjk,
        words_per_minute,
        cjk_chars=cjk,
        cjk_per_minute=_cjk_rate(text, language),
    )


def is_cjk_letter(char: str) -> bool:
    """A Han ideograph or a kana: what is said one syllable (or so) per character."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
    )


def cjk_mixed(word: str) -> bool:
    """A space-separated word with both CJK characters and other letters or digits."""
    return any(ch.isalnum() and not is_cjk_letter(ch) for ch in word)


def _cjk_rate(text: str, language: str | None) -> float:
    from aligner.languages import PROFILES, profile_for

    if language is not None:
        rate = profile_for(language).cjk_chars_per_minute
        if rate is not None:
            return rate
    has_kana = any(0x3040 <= ord(ch) <= 0x30FF for ch in text)
    rate = PROFILES["ja" if has_kana else "zh-Hans"].cjk_chars_per_minute
    return rate or DEFAULT_CJK_PER_MINUTE


def letters(text: str) -> int:
    """How many letters and digits ``text`` has (what the speaking-rate model counts)."""
    return sum(ch.isalnum() for ch in text)


def speech_counts(words: list[str]) -> tuple[list[int], list[int], list[int]]:
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


def speech_ms_from_counts(
    words: int,
    letter_count: int,
    words_per_minute: float,
    *,
    cjk_chars: int = 0,
    cjk_per_minute: float = DEFAULT_CJK_PER_MINUTE,
) -> int:
    """``speech_ms`` from counts already made: for callers that sum counts over many runs.

    ``letter_count`` excludes the ``cjk_chars``, which are said at ``cjk_per_minute`` (given at
    BASE_WPM and scaled by ``words_per_minute``).
    """
    ms_per_word = 60_000 / words_per_minute
    if cjk_chars:
        ms = ms_per_word * (0.5 * words + 0.5 * letter_count / AVG_LETTERS_PER_WORD)
        return round(ms + cjk_chars * 60_000 / (cjk_per_minute * words_per_minute / BASE_WPM))
    if words == 0:
        return 0
    return round(ms_per_word * (0.5 * words + 0.5 * letter_count / AVG_LETTERS_PER_WORD))
