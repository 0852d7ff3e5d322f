"""WebVTT writer: exact output, voices, labels, escaping, STYLE/NOTE, and a strict read-back."""

from __future__ import annotations

import io
import logging

import pytest
import webvtt
from clients import expected_cues, subtitle_docs, visible
from hypothesis import given, settings

from aligner.model import Cue, Speaker, Subtitles
from aligner.timecode import MAX_MS
from aligner.writers import WriteOptions
from aligner.writers.vtt import PALETTE, annotation, css_string, escape_text, write


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
        ),
        speakers=(Speaker("Wang Wenbin", "speaker", "spokesperson"), Speaker("Reuters", "media")),
    )


def test_exact_output() -> None:
    assert render(two_turns()) == (
        "WEBVTT\n"
        "\n"
        "NOTE\n"
        "Speakers:\n"
        "Wang Wenbin (speaker): spokesperson\n"
        "Reuters (media)\n"
        "\n"
        "1\n"
        "00:00:01.000 --> 00:00:04.200\n"
        "<v Wang Wenbin>Wang Wenbin: Good afternoon. Let's begin\n"
        "today's press conference.\n"
        "\n"
        "2\n"
        "00:00:04.280 --> 00:00:07.900\n"
        "<v Wang Wenbin>The Chinese side has noted the reports.\n"
        "\n"
        "3\n"
        "00:00:08.400 --> 00:00:10.100\n"
        "<v Reuters>Reuters: Can you confirm the date?\n"
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
    captions = webvtt.from_string(render(two_turns(), speaker_labels=style), strict=True)
    assert [c.voice for c in captions.captions] == ["Wang Wenbin", "Wang Wenbin", "Reuters"]
    assert captions[0].raw_text.startswith(f"<v Wang Wenbin>{first} afternoon")
    assert captions[1].raw_text == "<v Wang Wenbin>The Chinese side has noted the reports."
    assert captions[2].raw_text.startswith(f"<v Reuters>{third} you")


def test_unnamed_speaker_has_no_voice_and_no_label() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "", "Applause", "en", 0),))
    assert render(doc) == "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nApplause\n"


def test_escaping() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "A&B", "5 < 6 & 7 > 3\na --> b", "en", 0),))
    body = render(doc, vtt_notes=False).split("\n", 4)[4]
    assert body == "<v A\uff06B>A&amp;B: 5 &lt; 6 &amp; 7 &gt; 3\na --&gt; b\n"


def test_never_an_arrow_outside_timing_lines(briefing: Subtitles) -> None:
    text = render(briefing, vtt_colors=True)
    arrows = [line for line in text.split("\n") if "-->" in line]
    assert len(arrows) == len(briefing.cues)
    assert all(line[:2].isdigit() for line in arrows)


def test_escape_text_doctest_values() -> None:
    assert escape_text("<&>") == "&lt;&amp;&gt;"


def test_voice_annotation_is_safe() -> None:
    assert annotation("AT&T\n<News>   Desk") == "AT\uff06T <News\uff1e Desk"
    assert annotation("") == ""


def test_language_span_when_cue_language_differs() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "王芳", "你好\n世界", "zh-Hans", 0),), language="en")
    assert render(doc).endswith("<v 王芳>王芳: <lang zh-Hans>你好\n世界</lang>\n")


def test_no_language_span_for_document_language() -> None:
    doc = Subtitles(cues=(Cue(0, 1000, "王芳", "你好", "zh", 0),), language="zh")
    assert "<lang" not in render(doc)


RLM = "\u200f"


def arabic_turns() -> Subtitles:
    """Arabic cues that start with a Latin label or word, or hold no Arabic; an English one."""
    return Subtitles(
        cues=(
            Cue(0, 1000, "CGTN", "مساء الخير\nOrion للطاقة", "ar", 0),
            Cue(1100, 2000, "CGTN", "عام\n2026.", "ar", 0),
            Cue(2100, 3000, "CGTN", "Orion اسم", "ar", 0),
            Cue(3100, 4000, "Reuters", "Thank you.", "ar", 1),
            Cue(4100, 5000, "Reuters", "The word سلام", "en", 1),
            Cue(5100, 6000, "سلمى", "نعم، Orion", "ar", 2),
        ),
        language="ar",
    )


def test_rtl_mark_only_where_a_line_would_be_drawn_left_to_right() -> None:
    blocks = render(arabic_turns()).rstrip("\n").split("\n\n")[1:]
    assert [b.split("\n", 2)[2] for b in blocks] == [
        f"<v CGTN>{RLM}CGTN: مساء الخير\n{RLM}Orion للطاقة",  # the label, a second line
        f"<v CGTN>عام\n{RLM}2026.",  # a line without a letter
        f"<v CGTN>{RLM}Orion اسم",  # a cue that starts with a Latin word
        "<v Reuters>Reuters: Thank you.",  # nothing right to left in it
        "<v Reuters><lang en>The word سلام</lang>",  # English
        "<v سلمى>سلمى: نعم، Orion",  # starts right to left
    ]
    # in another document, the mark goes in front of the label, outside the <lang> span
    cue = Cue(0, 1000, "CGTN", "مساء الخير", "ar", 0)
    assert render(Subtitles(cues=(cue,), language="en")).endswith(
        f"<v CGTN>{RLM}CGTN: <lang ar>مساء الخير</lang>\n"
    )
    # a mark already in the text is not doubled
    cue = Cue(0, 1000, "", f"{RLM}Orion اسم", "ar", 0)
    assert render(Subtitles(cues=(cue,), language="ar")).endswith(f"\n{RLM}Orion اسم\n")


def test_note_block_has_roster_and_no_arrow_or_blank_line() -> None:
    doc = Subtitles(
        cues=(Cue(0, 1000, "Li", "x", "en", 0),),
        speakers=(Speaker("Li", "chairperson", "head --> of\n\npublicity"), Speaker("CGTN")),
    )
    note = render(doc).split("\n\n")[1]
    assert note == "NOTE\nSpeakers:\nLi (chairperson): head --\u2060> of publicity\nCGTN"


def test_no_note_without_speakers_or_when_off() -> None:
    assert "NOTE" not in render(Subtitles(cues=(Cue(0, 1, "Li", "x", "en", 0),)))
    assert "NOTE" not in render(two_turns(), vtt_notes=False)


def test_style_block_before_first_cue_in_bbc_order() -> None:
    names = ["Chair", "People's Daily", 'Say "hi" \\o/', "D", "E", "F", "G", "H", "I"]
    doc = Subtitles(
        cues=tuple(Cue(i * 10, i * 10 + 5, n, "x", "en", i) for i, n in enumerate(names)),
        speakers=tuple(Speaker(n) for n in reversed(names)),
    )
    blocks = render(doc, vtt_colors=True, vtt_notes=False).split("\n\n")
    assert blocks[0] == "WEBVTT"
    rules = blocks[1].split("\n")
    assert rules[0] == "STYLE"
    # Roster order decides the colours: white, yellow, cyan, green first, then the palette repeats.
    assert rules[1] == '::cue(v[voice="I"]) { color: #FFFFFF; }'
    assert rules[2] == '::cue(v[voice="H"]) { color: #FFFF00; }'
    assert rules[3] == '::cue(v[voice="G"]) { color: #00FFFF; }'
    assert rules[4] == '::cue(v[voice="F"]) { color: #00FF00; }'
    assert rules[7] == '::cue(v[voice="Say \\"hi\\" \\\\o/"]) { color: #80B0FF; }'
    assert rules[9] == f'::cue(v[voice="Chair"]) {{ color: {PALETTE[0]}; }}'
    assert blocks[2].startswith("1\n")


def test_style_block_skips_silent_and_unnamed_speakers() -> None:
    doc = Subtitles(
        cues=(Cue(0, 5, "", "x", "en", 0), Cue(5, 9, "B", "y", "en", 1)),
        speakers=(Speaker("A"), Speaker("B")),
    )
    assert render(doc, vtt_colors=True, vtt_notes=False).split("\n\n")[1] == (
        'STYLE\n::cue(v[voice="B"]) { color: #FFFFFF; }'
    )


def test_css_string() -> None:
    assert css_string('a"b\\c') == '"a\\"b\\\\c"'


@pytest.mark.parametrize(
    ("ms", "stamp"),
    [(1999, "00:00:01.999"), (59_999, "00:00:59.999"), (36_000_000, "10:00:00.000")],
)
def test_timestamps(ms: int, stamp: str) -> None:
    doc = Subtitles(cues=(Cue(ms, ms + 1, "", "x", "en", 0),))
    assert render(doc).split("\n")[3].startswith(stamp + " --> ")


def test_clamps_past_99_hours_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    doc = Subtitles(cues=(Cue(MAX_MS - 1, MAX_MS + 5000, "", "late", "en", 0),))
    with caplog.at_level(logging.WARNING, logger="aligner.writers.srt"):
        text = render(doc)
    assert "99:59:59.998 --> 99:59:59.999\n" in text
    assert "clamped" in caplog.text


def test_deterministic(briefing: Subtitles) -> None:
    assert render(briefing, vtt_colors=True) == render(briefing, vtt_colors=True)


@settings(max_examples=150, deadline=None)
@given(subtitle_docs())
def test_round_trip_strict(doc: Subtitles) -> None:
    """Written VTT read back by webvtt-py strict: same count, times, voices and text."""
    captions = webvtt.from_string(render(doc, vtt_colors=True), strict=True)
    want = expected_cues(doc, WriteOptions(), voices=True)
    assert [c.identifier for c in captions.captions] == [str(i + 1) for i in range(len(want))]
    got = [
        (
            c.start_time.in_milliseconds(),
            c.end_time.in_milliseconds(),
            c.voice,
            visible(_plain(c.raw_text)),
        )
        for c in captions.captions
    ]
    assert got == [(w.start_ms, w.end_ms, w.voice, w.text) for w in want]


def _plain(raw: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]*>", "", raw))
