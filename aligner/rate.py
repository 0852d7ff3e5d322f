"""How long text takes to say at a given speaking rate: shared by the segmenter and the timing."""

from __future__ import annotations

# Average letters in an English word of running text (the usual figure; the seed briefing,
# denser, measures 5.4). Half of a text's duration follows its word count and half its
# letter count, so that long words ("Administrative Reconsideration") take longer to say than
# short ones and reading speed stays near the speaking rate's.
AVG_LETTERS_PER_WORD = 4.7


def speech_ms(text: str, words_per_minute: float) -> int:
    """Milliseconds it takes to say ``text`` at ``words_per_minute`` (English-like text).

    Example:
        >>> speech_ms("Thank you.", 150)
        740
        >>> speech_ms("", 150)
        0
    """
    return speech_ms_from_counts(len(text.split()), letters(text), words_per_minute)


def letters(text: str) -> int:
    """How many letters and digits ``text`` has (what the speaking-rate model counts)."""
    return sum(ch.isalnum() for ch in text)


def speech_ms_from_counts(words: int, letter_count: int, words_per_minute: float) -> int:
    """``speech_ms`` from counts already made: for callers that sum counts over many runs."""
    if words == 0:
        return 0
    ms_per_word = 60_000 / words_per_minute
    return round(ms_per_word * (0.5 * words + 0.5 * letter_count / AVG_LETTERS_PER_WORD))
