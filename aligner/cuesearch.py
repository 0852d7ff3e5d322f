"""The cost search: the cheapest cue and line breaks for one analysed paragraph.

:class:`Paragraph` is what the search needs to know of a paragraph; :mod:`aligner.spaced` and
:mod:`aligner.cjk` make it. A dynamic program over cue ends lays out each candidate cue in
at most ``max_lines`` lines and adds up the badness of the breaks, the line balance and the
cue's speaking time against the :class:`~aligner.segment.SegmentRules`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aligner.breaks import is_numeric
from aligner.rate import DEFAULT_CJK_PER_MINUTE, speech_ms_from_counts

if TYPE_CHECKING:  # segment.py imports this module: SegmentRules is only a type here
    from aligner.segment import SegmentRules


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph as the search sees it: its words and, for each, what a break after it costs.

    Made by :mod:`aligner.spaced` and :mod:`aligner.cjk`; every list has one entry per word.
    """

    words: list[str]  # the units a break may fall between (for CJK: words with their punctuation)
    badness: list[int]  # badness[k]: break after words[k]; the last entry is the paragraph end
    sentence_end: list[bool]
    seps: list[str]  # seps[k]: what stands between words[k - 1] and words[k] ("" for k = 0)
    widths: list[float]  # display width of each word
    sep_widths: list[float]  # display width of each separator (0 for the first)
    speech: tuple[list[int], list[int], list[int]]  # words, letters, CJK characters per word


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
    para: Paragraph,
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
                        if j - i == 1 and is_numeric(para.words[i]):
                            final += LONE_NUMBER_COST
                        if best is None or final < best[0]:
                            best = (final, [*bounds[1:], j])
                    continue
                if n == rules.max_lines:
                    continue
                step = cost + LINE_BREAK_WEIGHT * para.badness[j - 1]
                if j - i == 1 and is_numeric(para.words[i]):
                    step += LONE_NUMBER_COST
                if j not in grown or step < grown[j][0]:
                    grown[j] = (step, [*bounds, j])
        partial = list(grown.values())
    return best


def _two_lines(
    para: Paragraph, widths: _Widths, start: int, end: int, first_extra: float, max_chars: int
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
        if (split - start == 1 and is_numeric(words[start])) or (
            end - split == 1 and is_numeric(words[split])
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


def segment_paragraph(
    para: Paragraph, rules: SegmentRules, first_extra: float
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
