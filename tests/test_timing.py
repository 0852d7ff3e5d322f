"""Tests for aligner.timing and the estimate backend: durations, gaps, reading speed."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.backends import align, get_backend
from aligner.errors import AlignmentError
from aligner.model import Cue, Line
from aligner.rate import speech_ms
from aligner.segment import SegmentRules
from aligner.timing import finalize, reading_ms

RULES = SegmentRules()


def line(text: str, turn: int = 0, *, ends: bool = True, speaker: str = "A") -> Line:
    return Line(speaker, text, "en", turn, ends)


def check_timing(cues: list[Cue], rules: SegmentRules) -> None:
    for cue in cues:
        assert rules.min_duration_ms <= cue.duration_ms <= rules.max_duration_ms, cue
        assert len(cue.text) * 1000 / cue.duration_ms <= rules.max_cps + 1e-9, cue
    for before, after in itertools.pairwise(cues):
        assert after.start_ms - before.end_ms >= rules.min_gap_ms


def test_estimate_pauses() -> None:
    lines = [
        line("Good afternoon, everyone, and welcome", ends=False),
        line("to today's briefing."),
        line("Let us begin."),
        line("Thank you.", turn=1, speaker="B"),
    ]
    cues = align(lines, rules=RULES)
    gaps = [b.start_ms - a.end_ms for a, b in itertools.pairwise(cues)]
    assert gaps == [RULES.min_gap_ms, RULES.sentence_pause_ms, RULES.turn_pause_ms]
    assert cues[0].start_ms == 0
    check_timing(cues, RULES)


def test_estimate_follows_speaking_rate() -> None:
    text = "The action plan has been implemented in a comprehensive manner."
    (cue,) = align([line(text)], rules=RULES)
    assert cue.duration_ms == speech_ms(text, 150)
    (slow,) = align([line(text)], rules=SegmentRules(words_per_minute=100))
    assert slow.duration_ms == pytest.approx(cue.duration_ms * 1.5, abs=2)


def test_short_cue_gets_minimum_duration() -> None:
    (cue,) = align([line("Yes.")], rules=RULES)
    assert cue.duration_ms == RULES.min_duration_ms


def test_dense_text_slowed_to_reading_speed() -> None:
    text = "Administrative Reconsideration Law"  # long words: reading speed decides
    (cue,) = align([line(text)], rules=SegmentRules(words_per_minute=400))
    assert cue.duration_ms == reading_ms(text, 17)


def test_start_offset() -> None:
    cues = align([line("One."), line("Two.")], rules=RULES, start_ms=90_000)
    assert cues[0].start_ms == 90_000
    assert cues[1].start_ms == 90_000 + RULES.min_duration_ms + RULES.sentence_pause_ms


def test_finalize_keeps_starts_and_opens_gaps() -> None:
    # Back-to-back cues, as a forced aligner returns them: starts stay, ends make room.
    lines = [line("One two three four."), line("Five six seven eight.")]
    cues = [Cue.from_line(lines[0], 0, 2000), Cue.from_line(lines[1], 2000, 4000)]
    fixed = finalize(cues, lines, rules=RULES)
    assert [c.start_ms for c in fixed] == [0, 2000]
    assert fixed[0].end_ms == 2000 - RULES.min_gap_ms
    check_timing(fixed, RULES)


def test_a_synced_cue_stays_up_for_reading_short_of_the_end_target() -> None:
    """A fast speaker's cue synced to its speech stays up past it for reading time, but
    150 ms at most: the target is an end within 200 ms after the speech, and the aligner's
    end of speech may itself be a little late. A cue read in time gets the 100 ms pad."""
    lines = [line("A fast speaker says a great deal in a short time here."), line("Yes.")]
    cues = [Cue.from_line(lines[0], 0, 1500), Cue.from_line(lines[1], 5000, 5400)]
    fixed = finalize(cues, lines, rules=RULES, end_pad_ms=100)
    assert fixed[0].end_ms == 1500 + 150  # reading time wanted 3.2 s
    slow = [Cue.from_line(lines[0], 0, 4000), cues[1]]
    assert finalize(slow, lines, rules=RULES, end_pad_ms=100)[0].end_ms == 4000 + 100


def test_finalize_caps_duration_and_clamps_to_audio() -> None:
    lines = [line("A long stretch of speech.")]
    cues = [Cue.from_line(lines[0], 1000, 20_000)]
    assert finalize(cues, lines, rules=RULES)[0].end_ms == 1000 + RULES.max_duration_ms
    assert finalize(cues, lines, rules=RULES, audio_ms=3000)[0].end_ms == 3000


def test_finalize_makes_room_for_a_cue_squeezed_by_its_neighbour() -> None:
    lines = [line("One."), line("Two.")]
    cues = [Cue.from_line(lines[0], 0, 10), Cue.from_line(lines[1], 50, 900)]
    fixed = finalize(cues, lines, rules=RULES)
    assert fixed[0].start_ms == 0 and fixed[1].start_ms == 200 + RULES.min_gap_ms
    assert not fixed[1].needs_review  # not aligned: nothing to review


def test_unknown_backend() -> None:
    with pytest.raises(AlignmentError, match="unknown aligner 'nope'"):
        get_backend("nope")


texts = st.text(alphabet=st.sampled_from("abcdefghij ,.ABC0123"), min_size=1, max_size=84).filter(
    lambda t: t.strip() != ""
)


@settings(max_examples=100, deadline=None)
@given(
    items=st.lists(st.tuples(texts, st.booleans(), st.booleans()), min_size=1, max_size=30),
    wpm=st.floats(min_value=60, max_value=300),
    start=st.integers(min_value=0, max_value=3_600_000),
)
def test_estimate_properties(items: list[tuple[str, bool, bool]], wpm: float, start: int) -> None:
    lines: list[Line] = []
    turn = 0
    for text, new_turn, ends in items:
        turn += int(new_turn and bool(lines))
        lines.append(line(text.strip(), turn, ends=ends))
    rules = SegmentRules(words_per_minute=wpm)
    cues = align(lines, rules=rules, start_ms=start)
    assert len(cues) == len(lines)
    assert cues[0].start_ms == start
    assert [c.text for c in cues] == [ln.text for ln in lines]
    check_timing(cues, rules)


def test_reading_time_counts_the_label() -> None:
    text = "Thank you, everyone."
    plain = align([line(text)], rules=RULES)[0]
    labelled = Line("A", text, "en", 0, True, label="Southern Metropolis Daily: ")
    (cue,) = align([labelled], rules=RULES)
    assert cue.duration_ms == reading_ms(labelled.shown, 17) > plain.duration_ms


def test_squeezed_cues_are_moved_and_flagged_not_fatal() -> None:
    lines = [line("One two."), line("Three four.")]
    cues = [
        Cue.from_line(lines[0], 1000, 1002, confidence=0.9),
        Cue.from_line(lines[1], 1003, 3000, confidence=0.9),
    ]
    fixed = finalize(cues, lines, rules=RULES)
    assert fixed[1].start_ms - fixed[0].start_ms >= 200 + RULES.min_gap_ms
    assert fixed[1].needs_review and not fixed[0].needs_review
    assert fixed[0].end_ms <= fixed[1].start_ms - RULES.min_gap_ms
