"""SRT writer: exact output, labels, clean-up, clamping, and a strict read-back property."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pysrt
import pytest
import srt
from clients import expected_cues, subtitle_docs, visible
from hypothesis import given, settings

from aligner.errors import OutputError
from aligner.model import Cue, Subtitles
from aligner.timecode import MAX_MS
from aligner.writers import LABEL_STYLES, WriteOptions
from aligner.writers._text import WORD_JOINER, clean_lines
from aligner.writers.srt import write

MS = timedelta(milliseconds=1)


def render(doc: Subtitles, **options: object) -> str:
    stream = io.StringIO()
    write(doc, stream, WriteOptions(**options))  # type: ignore[arg-type]
    return stream.getvalue()


def two_turns() -> Subtitles:
    return Subtitles(
        cues=(
            Cue(
                1000,
                4200,
                "Wang Wenbin",
                "Good afternoon. Let's begin\ntoday's press conference.",
                "en",
                0,
            ),
            Cue(4280, 7900, "Wang Wenbin", "The Chinese side has noted the reports.", "en", 0),
            Cue(8400, 10100, "Reuters", "Can you confirm the date?", "en", 1),
        )
    )


def test_exact_output() -> None:
    assert render(two_turns()) == (
        "1\n"
        "00:00:01,000 --> 00:00:04,200\n"
        "Wang Wenbin: Good afternoon. Let's begin\n"
        "today's press conference.\n"
        "\n"
        "2\n"
        "00:00:04,280 --> 00:00:07,900\n"
        "The Chinese side has noted the reports.\n"
        "\n"
        "3\n"
        "00:00:08,400 --> 00:00:10,100\n"
        "Reuters: Can you confirm the date?\n"
        "\n"
    )


@pytest.mark.parametrize(
    ("style", "first", "third"),
    [
        ("name", "Wang Wenbin: Good", "Reuters: Can"),
        ("upper", "WANG WENBIN: Good", "REUTERS: Can"),
        ("bracket", "[Wang Wenbin] Good", "[Reuters] Can"),
        ("none", "Good", "Can"),
    ],
)
def test_label_on_first_cue_of_each_turn_only(style: str, first: str, third: str) -> None:
    subs = list(srt.parse(render(two_turns(), speaker_labels=style)))
    assert subs[0].content.startswith(first + " afternoon")
    assert subs[1].content == "The Chinese side has noted the reports."
    assert subs[2].content.startswith(third + " you")


def test_label_styles_are_all_covered() -> None:
    assert set(LABEL_STYLES) == {"name", "upper", "bracket", "none"}


def test_unnamed_speaker_has_no_label() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "", "Applause", "en", 0),))
    assert render(doc) == "1\n00:00:00,000 --> 00:00:01,000\nApplause\n\n"


def test_no_markup_and_escapes_left_alone() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "Li", "5 < 6 & 7 > 3", "en", 0),))
    text = render(doc)
    assert "Li: 5 < 6 & 7 > 3\n" in text
    assert "<v" not in text and "&amp;" not in text


def test_arrow_in_text_is_broken_invisibly() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "", "a --> b", "en", 0),))
    text = render(doc)
    assert "a -->" not in text
    assert f"a --{WORD_JOINER}> b" in text
    assert text.count("-->") == 1  # the timing line's


def test_player_markup_is_broken_invisibly() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "", "<b>x</b> {\\an8}y C:\\new", "en", 0),))
    body = render(doc).split("\n")[2]
    wj = WORD_JOINER
    assert body == f"<{wj}b>x<{wj}/b> {{{wj}\\an8}}y C:\\{wj}new"
    assert visible(body) == "<b>x</b> {\\an8}y C:\\new"


@pytest.mark.parametrize(
    ("ms", "stamp"),
    [
        (1999, "00:00:01,999"),
        (59_999, "00:00:59,999"),
        (36_000_000, "10:00:00,000"),
        (MAX_MS - 1, "99:59:59,998"),
    ],
)
def test_timestamps(ms: int, stamp: str) -> None:
    doc = Subtitles(cues=(Cue(ms, ms + 1, "", "x", "en", 0),))
    assert render(doc).split("\n")[1].startswith(stamp + " --> ")


def test_clamps_past_99_hours_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    doc = Subtitles(cues=(Cue(MAX_MS - 1, MAX_MS + 5000, "", "late", "en", 0),))
    with caplog.at_level(logging.WARNING, logger="aligner.writers.srt"):
        text = render(doc)
    assert "99:59:59,998 --> 99:59:59,999\n" in text
    assert "clamped" in caplog.text


def test_no_stray_whitespace() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "Li", "  padded\u2028line\t \nnext\u00a0", "en", 0),))
    assert render(doc) == "1\n00:00:00,000 --> 00:00:01,000\nLi: padded line\nnext\n\n"


def test_clean_lines_rejects_invisible_text() -> None:
    with pytest.raises(OutputError, match="no visible text"):
        clean_lines("\x00")


def test_empty_document_writes_nothing() -> None:
    assert render(Subtitles(cues=())) == ""


def test_rtl_mark_only_where_a_line_would_be_drawn_left_to_right() -> None:
    rlm = "\u200f"
    doc = Subtitles(
        cues=(
            Cue(0, 1000, "CGTN", "مساء الخير\nOrion للطاقة", "ar", 0),
            Cue(1100, 2000, "Reuters", "Thank you.", "ar", 1),
            Cue(2100, 3000, "سلمى", "نعم، Orion\n<i>Orion</i>", "ar", 2),
        ),
        language="ar",
    )
    assert [b.split("\n", 2)[2] for b in render(doc).rstrip("\n").split("\n\n")] == [
        f"{rlm}CGTN: مساء الخير\n{rlm}Orion للطاقة",
        "Reuters: Thank you.",
        f"سلمى: نعم، Orion\n{rlm}<{WORD_JOINER}i>Orion<{WORD_JOINER}/i>",
    ]


def test_crlf_is_never_written() -> None:
    assert "\r" not in render(two_turns())


@settings(max_examples=150, deadline=None)
@given(subtitle_docs())
def test_round_trip_strict(doc: Subtitles) -> None:
    """Written SRT read back by cdown/srt strict and pysrt ERROR_RAISE: same cues, same text."""
    text = render(doc)
    want = expected_cues(doc, WriteOptions(), voices=False)
    subs = list(srt.parse(text))
    assert [s.index for s in subs] == list(range(1, len(want) + 1))
    got = [(s.start // MS, s.end // MS, visible(s.content)) for s in subs]
    assert got == [(c.start_ms, c.end_ms, c.text) for c in want]
    items = pysrt.from_string(text, error_handling=pysrt.ERROR_RAISE)
    assert [(i.start.ordinal, i.end.ordinal, visible(i.text)) for i in items] == got
