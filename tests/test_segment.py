"""Tests for aligner.segment: limits, word order, break quality, sentence boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.breaks import BAN, BEFORE_PREP, IN_NAME, SENTENCE, break_badness
from aligner.errors import SegmentError
from aligner.model import Line, Transcript, Turn
from aligner.rate import speech_ms
from aligner.segment import SegmentRules, _analyse, segment
from aligner.spaced import sentence_end_offsets

ARTICLES = {"a", "an", "the"}


def words_of(lines: list[Line], turn_index: int) -> list[str]:
    return [w for line in lines if line.turn_index == turn_index for w in line.text.split()]


def check_limits(lines: list[Line], rules: SegmentRules, labels: dict[int, int]) -> None:
    """Every limit of ``rules`` holds; labels[turn] is the label width on the turn's first line."""
    seen_turns: set[int] = set()
    for line in lines:
        display = line.text.split("\n")
        assert 1 <= len(display) <= rules.max_lines, line.text
        for k, row in enumerate(display):
            width = len(row)
            if k == 0 and line.turn_index not in seen_turns:
                width += labels.get(line.turn_index, 0)
            assert row == row.strip() and row, repr(line.text)
            if width > rules.max_chars:
                assert len(row.split()) == 1, f"{width} > {rules.max_chars}: {row!r}"
        if len(line.text.split()) > 1:
            assert speech_ms(line.text, rules.words_per_minute) <= rules.max_duration_ms
        seen_turns.add(line.turn_index)


def test_seed_limits_and_words(seed_transcript: Transcript) -> None:
    rules = SegmentRules()
    lines = segment(seed_transcript.turns, rules, label_for=lambda name: f"{name}: ")
    labels = {i: len(t.speaker) + 2 for i, t in enumerate(seed_transcript.turns)}
    check_limits(lines, rules, labels)
    for index, turn in enumerate(seed_transcript.turns):
        assert words_of(lines, index) == turn.text.split()
        assert {line.speaker for line in lines if line.turn_index == index} == {turn.speaker}
    assert [line.turn_index for line in lines] == sorted(line.turn_index for line in lines)


def break_profile(turns: list[Turn], lines: list[Line]) -> tuple[list[int], list[int]]:
    """Badness of every cue break and every line break the segmenter chose."""
    cue_breaks: list[int] = []
    line_breaks: list[int] = []
    for index, turn in enumerate(turns):
        badness = [b for para in turn.paragraphs for b in _analyse(para).badness]
        position = -1
        for line in (ln for ln in lines if ln.turn_index == index):
            rows = line.text.split("\n")
            for k, row in enumerate(rows):
                position += len(row.split())
                (cue_breaks if k == len(rows) - 1 else line_breaks).append(badness[position])
    return cue_breaks, line_breaks


def test_seed_breaks_are_natural(seed_transcript: Transcript) -> None:
    turns = list(seed_transcript.turns)
    lines = segment(turns, SegmentRules(), label_for=lambda name: f"{name}: ")
    for line in lines:
        for row in line.text.split("\n"):
            last = row.split()[-1]
            assert last.lower() not in ARTICLES, f"line ends with an article: {row!r}"
            assert last not in {"Mr.", "Ms.", "Mrs.", "Dr."}, f"title cut from name: {row!r}"
    cue_breaks, line_breaks = break_profile(turns, lines)
    everything = cue_breaks + line_breaks
    # Natural points: sentence and clause ends, commas, before a conjunction or preposition.
    assert sum(b <= BEFORE_PREP for b in cue_breaks) / len(cue_breaks) > 0.85
    assert sum(b <= BEFORE_PREP for b in everything) / len(everything) > 0.72
    assert max(everything) < BAN
    # Proper names are only cut where one is longer than fits (a few in the seed).
    assert sum(b >= IN_NAME for b in everything) / len(everything) < 0.03


def test_seed_two_line_cues_are_balanced(seed_transcript: Transcript) -> None:
    lines = segment(seed_transcript.turns, SegmentRules())
    pairs = [line.text.split("\n") for line in lines if "\n" in line.text]
    assert pairs
    # A line is split only when the text does not fit on one.
    assert all(len(" ".join(p)) > 42 for p in pairs)
    top_much_longer = [p for p in pairs if len(p[0]) > 2 * len(p[1]) + 4]
    assert len(top_much_longer) / len(pairs) < 0.05, top_much_longer[:5]


def test_no_break_inside_names() -> None:
    turn = Turn(
        "Shou Xiaoli",
        "Now, let's give the floor to Ms. Li Xiaomei, special representative for human rights "
        "at the Department of International Organizations and Conferences of the Ministry of "
        "Foreign Affairs.",
    )
    lines = segment([turn], SegmentRules())
    rows = [row for line in lines for row in line.text.split("\n")]
    for row in rows:
        assert not row.endswith(("Ms.", " Li", "Ministry", "Ministry of")), rows


def test_one_line_when_it_fits() -> None:
    lines = segment([Turn("A", "Thank you for your question.")], SegmentRules())
    assert [line.text for line in lines] == ["Thank you for your question."]


def test_label_width_is_reserved() -> None:
    text = "Good afternoon, everyone, and welcome to the briefing."  # 54 characters
    rules = SegmentRules()
    plain = segment([Turn("A", text)], rules)
    labelled = segment([Turn("Li Xiaojun", text)], rules, label_for=lambda n: f"{n.upper()}: ")
    check_limits(labelled, rules, {0: len("LI XIAOJUN: ")})
    assert words_of(plain, 0) == words_of(labelled, 0) == text.split()


def test_paragraph_end_is_cue_end() -> None:
    turn = Turn("A", "First paragraph.\nSecond paragraph.")
    lines = segment([turn], SegmentRules())
    assert [line.text for line in lines] == ["First paragraph.", "Second paragraph."]
    assert all(line.ends_sentence for line in lines)


def test_new_cue_at_speaker_change() -> None:
    turns = [Turn("A", "Yes."), Turn("B", "No."), Turn("A", "Maybe.")]
    lines = segment(turns, SegmentRules())
    assert [(line.speaker, line.text, line.turn_index) for line in lines] == [
        ("A", "Yes.", 0),
        ("B", "No.", 1),
        ("A", "Maybe.", 2),
    ]


def test_long_word_may_exceed_limit_alone() -> None:
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis-related"
    lines = segment([Turn("A", f"It is {word} disease.")], SegmentRules(max_chars=20))
    rows = [row for line in lines for row in line.text.split("\n")]
    assert word in rows
    assert all(len(row) <= 20 for row in rows if row != word)


def test_sentence_ends_know_abbreviations() -> None:
    text = "We met at the U.N. on Dec. 10, 2018, with Mr. Li. The U.S. agreed."
    ends = sorted(sentence_end_offsets(text))
    assert [text[:e].split()[-1] for e in ends] == ["Li.", "agreed."]


def test_break_badness_orders() -> None:
    assert break_badness("plan.", "The", sentence_end=True) == SENTENCE
    assert break_badness("the", "plan", sentence_end=False) == BAN
    assert break_badness("Mr.", "Li", sentence_end=False) == BAN
    name = break_badness("Li", "Xiaojun", sentence_end=False)
    comma = break_badness("rights,", "and", sentence_end=False)
    before_and = break_badness("rights", "and", sentence_end=False)
    after_and = break_badness("and", "rights", sentence_end=False)
    assert comma < before_and < after_and < name


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(SegmentError, match="max-chars"):
        SegmentRules(max_chars=3)
    with pytest.raises(SegmentError, match="max-lines"):
        SegmentRules(max_lines=0)


VOCAB = [
    "the", "a", "plan", "rights", "and", "of", "to", "Li", "Xiaojun", "Mr.", "U.N.", "2016-2020",
    "5,479", "yuan", "human", "Administrative", "Reconsideration", "is", "have", "been", "it",
    "cooperation,", "development.", "people's", "(SCIO)", "questions?", "—", "\"quoted\"",
    "extraordinarily-long-hyphenated-compound-word",
]  # fmt: skip

paragraphs = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=60).map(" ".join)
turn_texts = st.lists(paragraphs, min_size=1, max_size=3).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(turn_texts, min_size=1, max_size=4),
    max_chars=st.integers(min_value=10, max_value=60),
    max_lines=st.integers(min_value=1, max_value=3),
    label=st.sampled_from(["", "Li Xiaojun: ", "[CGTN] "]),
)
def test_segment_properties(texts: list[str], max_chars: int, max_lines: int, label: str) -> None:
    turns = [Turn(f"S{i % 2}", text) for i, text in enumerate(texts)]
    rules = SegmentRules(max_chars=max_chars, max_lines=max_lines)
    lines = segment(turns, rules, label_for=lambda _name: label)
    check_limits(lines, rules, {i: len(label) for i in range(len(turns))})
    for index, turn in enumerate(turns):
        assert words_of(lines, index) == turn.text.split()
        assert all(line.speaker == turn.speaker for line in lines if line.turn_index == index)


def test_label_goes_on_each_turns_first_line_only() -> None:
    turns = [Turn("Li Xiaojun", "One.\nTwo."), Turn("CGTN", "Three.")]
    lines = segment(turns, SegmentRules(), label_for=lambda name: f"{name}: ")
    assert [line.label for line in lines] == ["Li Xiaojun: ", "", "CGTN: "]
    assert next(line.shown for line in lines) == "Li Xiaojun: One."
