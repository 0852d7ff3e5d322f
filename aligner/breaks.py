"""Break badness: how bad a line or cue break is between two words of a spaced language.

The scale (``SENTENCE`` 0 … ``BAN`` 30) is shared by every language: Chinese and Japanese
words are scored in :mod:`aligner.cjk`; the cost search (:mod:`aligner.cuesearch`) weighs it.
"""

from __future__ import annotations

from aligner.languages import Profile

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
CLOSERS = "\"'”’)]}»"
_SENTENCE_END = ".?!…"
_CLAUSE_END = ";:—–"


def _bare(word: str) -> str:
    """The word lower-cased without surrounding punctuation (``"(Mr."`` → ``"mr."``)."""
    return word.strip(CLOSERS + "([{\"'“‘,;:").lower()


def _is_capitalised(word: str) -> bool:
    stripped = word.lstrip("\"'“‘([")
    return bool(stripped) and stripped[0].isupper()


def _is_name_part(word: str) -> bool:
    """A capitalised word with no punctuation after it: "Ministry" but not "(SPC)" or "Court,"."""
    return _is_capitalised(word) and word[-1].isalnum()


def is_numeric(word: str) -> bool:
    stripped = word.strip(CLOSERS + "([{\"'“‘,.;:$€£¥%")
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
    tail = word.rstrip(CLOSERS)
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
    if is_numeric(word) and not is_numeric(next_word):
        return IN_NUMBER  # "5,479 defendants", "17.16 yuan"
    if _is_capitalised(word) and (_is_capitalised(next_word) or is_numeric(next_word)):
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


# The no-break space that glues French punctuation and digit groups to their word (spaced.py).
NBSP = "\u00a0"


def generic_badness(word: str, next_word: str, *, sentence_end: bool, profile: Profile) -> int:
    """Break badness for languages without word lists: punctuation, numbers, names.

    Example:
        >>> from aligner.languages import profile_for
        >>> fr = profile_for("fr")
        >>> generic_badness("dit,", "nous", sentence_end=False, profile=fr)
        2
        >>> generic_badness("5\u00a0479", "accusés", sentence_end=False, profile=fr)
        12
    """
    tail = word.rstrip(CLOSERS + "»" + NBSP)
    last = tail[-1:]
    if sentence_end:
        return SENTENCE
    if last in (",", "،", "、"):
        return COMMA
    if last and last in profile.clause_end:
        return CLAUSE
    if is_numeric(word) and not is_numeric(next_word):
        return IN_NUMBER
    if _is_capitalised(word) and _is_capitalised(next_word):
        return IN_NAME
    return PLAIN
