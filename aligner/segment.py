"""Turns to subtitle-sized Lines; :class:`SegmentRules` holds every size and time limit.

:func:`segment` cuts each paragraph into words with their break badness (:mod:`aligner.spaced`,
:mod:`aligner.cjk`), lets the cost search (:mod:`aligner.cuesearch`) choose the cue and line
breaks, and turns its choice into Lines.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from aligner.cjk import analyse_cjk, punct_to_space
from aligner.cuesearch import Paragraph, segment_paragraph
from aligner.errors import SegmentError
from aligner.languages import BIDI_CONTROLS, Profile, profile_for, width
from aligner.model import Line, Turn
from aligner.spaced import analyse_english, analyse_generic

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


_ENGLISH = profile_for("en")


def _analyse(paragraph: str, profile: Profile | None = None) -> Paragraph:
    """Words of ``paragraph``, where sentences end, and the badness of a break after each word."""
    profile = profile or _ENGLISH
    if profile.rtl:
        paragraph = "".join(ch for ch in paragraph if ch not in BIDI_CONTROLS)
    if profile.words != "spaces":
        return analyse_cjk(paragraph, profile)
    if profile.breaks != "english":
        return analyse_generic(paragraph, profile)
    return analyse_english(paragraph, profile)


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
            for start, line_ends in segment_paragraph(para, own, label_width):
                bounds = [start, *line_ends]
                rows = [_row(para, a, b) for a, b in itertools.pairwise(bounds)]
                if profile.cjk and own.cjk_line_end_punct == "space":
                    rows = [punct_to_space(row) for row in rows]
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


def _row(para: Paragraph, start: int, end: int) -> str:
    """Words start..end-1 as one display line, with the separators between them."""
    seps, words = para.seps, para.words
    return words[start] + "".join(seps[k] + words[k] for k in range(start + 1, end))
