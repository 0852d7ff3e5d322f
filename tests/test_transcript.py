"""Tests for aligner.transcript: decoding, header, speaker lines, clean-up rules, credits."""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import time
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from aligner.errors import TranscriptError
from aligner.model import ROLE_CHAIRPERSON, ROLE_MEDIA, ROLE_SPEAKER, UNNAMED_SPEAKER, Transcript
from aligner.transcript import (
    decode,
    is_credit_line,
    looks_like_name,
    normalize_spaces,
    parse_transcript,
    read_transcript,
    remove_controls,
    remove_editor_markers,
    remove_invisible,
    remove_markup,
    split_title,
    unescape_entities,
)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "scio-briefing-2021-05-31.en.txt"
DATA = Path(__file__).resolve().parent / "data" / "transcripts"

OFFICIALS = ["Shou Xiaoli", "Li Xiaojun", "Li Xiaomei", "Li Xiao", "Chang Jian", "Zhang Yonghe"]
OUTLETS = [
    "CGTN",
    "People's Daily",
    "Cover News",
    "CCTV",
    "Lianhe Zaobao",
    "CRNTT",
    "China Daily",
    "Guangming Daily",
    "Xinhua News Agency",
    "Beijing Daily",
    "Southern Metropolis Daily",
    "Global Times",
]
# Paragraphs ending in a colon (the first is the end of a long paragraph).
COLON_CONTENT = [
    "These achievements can be outlined in four main aspects:",
    "In order to guarantee the right to fair trial for all parties, the judicial system of "
    "China has made the following efforts:",
    "Thank you for your question. Since the implementation of the third National Human Rights "
    "Action Plan (2016-20), judicial organs have continuously established and improved relevant "
    "mechanisms to prevent unjust, false or wrong cases at the source. There are five main "
    "measures:",
]
CREDIT_START = "Translated and edited by Zhu Bochen"


def data(name: str) -> Path:
    """Path of a hand-made fixture transcript."""
    return DATA / name


@pytest.fixture(scope="module")
def seed() -> Transcript:
    return read_transcript(SEED)


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


def speaker_line_names(lines: list[str]) -> set[int]:
    """Indexes of the seed's speaker lines, found independently of the parser."""
    names = {f"{name}:" for name in OFFICIALS + OUTLETS}
    return {
        i
        for i, line in enumerate(lines)
        if i >= 17 and line.replace("_ueditor_page_break_tag_", "").strip() in names
    }


def turns_of(transcript: Transcript) -> list[tuple[str, str]]:
    return [(turn.speaker, turn.text) for turn in transcript.turns]


# --- The seed --------------------------------------------------------------------------------


def test_seed_has_42_turns_by_18_speakers(seed: Transcript) -> None:
    assert len(seed.turns) == 42
    assert [s.name for s in seed.speakers] == OFFICIALS + OUTLETS
    assert {t.speaker for t in seed.turns} == set(OFFICIALS + OUTLETS)


def test_seed_roles_chair_first_then_speakers_then_media(seed: Transcript) -> None:
    roles = [s.role for s in seed.speakers]
    assert roles == [ROLE_CHAIRPERSON] + [ROLE_SPEAKER] * 5 + [ROLE_MEDIA] * 12


def test_seed_titles_come_from_the_header(seed: Transcript) -> None:
    titles = {s.name: s.title for s in seed.speakers}
    assert titles["Shou Xiaoli"].startswith("deputy head of the Press Bureau of the State")
    assert titles["Li Xiaojun"].startswith("head of the Publicity Department of the Bureau")
    assert (
        titles["Li Xiao"]
        == "first-level inspector of the Research Office of the Supreme People's Court"
    )
    assert titles["CGTN"] == ""


def test_seed_date(seed: Transcript) -> None:
    assert seed.date == "May 31, 2021"


def test_seed_header_is_not_subtitled(seed: Transcript) -> None:
    first = seed.turns[0]
    assert (first.speaker, first.source_line) == ("Shou Xiaoli", 19)
    assert first.text.startswith("Ladies and gentlemen, good afternoon.")
    assert not any("Speakers" in t.text or t.text.startswith("May 31") for t in seed.turns)


def test_seed_colon_content_lines_stay_inside_turns(seed: Transcript) -> None:
    found = [
        (turn.speaker, index < len(turn.paragraphs) - 1)
        for line in COLON_CONTENT
        for turn in seed.turns
        for index, paragraph in enumerate(turn.paragraphs)
        if paragraph.endswith(line)
    ]
    # Each once, in its speaker's turn, followed by the paragraphs it introduces.
    assert found == [("Li Xiaomei", True), ("Li Xiao", True), ("Li Xiao", True)]


def test_seed_credit_is_metadata_not_speech(seed: Transcript) -> None:
    assert len(seed.credits) == 1
    assert seed.credits[0].startswith(CREDIT_START)
    assert seed.credits[0].endswith("the Chinese version is deemed to prevail.")
    assert not any("Translated and edited" in t.text for t in seed.turns)
    last = seed.turns[-1]
    assert last.speaker == "Shou Xiaoli"
    assert last.text.endswith("thank you to all of our friends from the media.")


def test_seed_editor_markers_are_removed(seed: Transcript) -> None:
    assert not any("ueditor" in t.text or "ueditor" in t.speaker for t in seed.turns)
    assert [t.speaker for t in seed.turns].count("Shou Xiaoli") == 8


def test_seed_source_lines_point_at_first_paragraphs(
    seed: Transcript, seed_lines: list[str]
) -> None:
    for turn in seed.turns:
        assert seed_lines[turn.source_line - 1].strip() == turn.paragraphs[0]


def test_seed_keeps_every_spoken_word_in_order(seed: Transcript, seed_lines: list[str]) -> None:
    skip = speaker_line_names(seed_lines)
    assert len(skip) == 42
    body = [line for i, line in enumerate(seed_lines) if i >= 17 and i not in skip]
    assert body[-1].startswith(CREDIT_START)
    expected = " ".join(body[:-1]).split()
    assert " ".join(t.text for t in seed.turns).split() == expected


def test_seed_without_header_has_unnamed_roles(seed_lines: list[str]) -> None:
    transcript = parse_transcript("\n".join(seed_lines[17:]))
    assert len(transcript.turns) == 42
    assert [s.name for s in transcript.speakers] == OFFICIALS + OUTLETS
    assert {s.role for s in transcript.speakers} == {""}
    assert transcript.date is None


def test_seed_file_is_not_modified() -> None:
    before = (hashlib.sha256(SEED.read_bytes()).hexdigest(), SEED.stat().st_mtime_ns)
    read_transcript(SEED)
    assert (hashlib.sha256(SEED.read_bytes()).hexdigest(), SEED.stat().st_mtime_ns) == before


def test_parsing_is_linear_and_fast(seed_lines: list[str]) -> None:
    body = seed_lines[17:-1]
    big = "\n".join(seed_lines[:17] + body * 20 + seed_lines[-1:])  # about 1 MB
    started = time.perf_counter()
    transcript = parse_transcript(big)
    assert time.perf_counter() - started < 1.0  # ~0.05 s on a laptop; generous for CI
    assert len(transcript.turns) == 42 * 20


# --- Clean-up rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("_ueditor_page_break_tag_Shou Xiaoli:", "Shou Xiaoli:"),
        ("_UEDITOR_page_break_TAG_CCTV:", "CCTV:"),
        ("a _ueditor_other_marker_tag_b", "a b"),
        ("my_ueditor_file", "my_ueditor_file"),
    ],
)
def test_remove_editor_markers(line: str, expected: str) -> None:
    assert remove_editor_markers(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("<p>Hi.</p>", "Hi."),
        ('<span style="color:red">Li Xiao:</span>', "Li Xiao:"),
        ("a<br/>b<BR>c", "abc"),
        ("x<!-- note\n -->y", "xy"),
        ("5 <b and c> 6", "5 <b and c> 6"),
        ("if a<b and c>d", "if a<b and c>d"),
        ("<unknown>tag</unknown>", "<unknown>tag</unknown>"),
    ],
)
def test_remove_markup(line: str, expected: str) -> None:
    assert remove_markup(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Fine&amp;dandy", "Fine&dandy"),
        ("&lt;b&gt;", "<b>"),
        ("a&nbsp;b", "a\u00a0b"),
        ("&#8212; &#x2014;", "\u2014 \u2014"),
        ("R&D and AT&T; &unknown", "R&D and AT&T; &unknown"),
    ],
)
def test_unescape_entities(line: str, expected: str) -> None:
    assert unescape_entities(line) == expected


def test_remove_invisible_keeps_joiners() -> None:
    assert remove_invisible("Li\u200b Xiao\u2060\ufeff:\u00ad") == "Li Xiao:"
    assert remove_invisible("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian ZWNJ stays
    )


def test_remove_controls() -> None:
    assert remove_controls("a\x00b\x07c\x1bd\x7fe\x93f\x9fg") == "abcdefg"
    assert remove_controls("tab\there\x0bv\x0cf\x85nel") == "tab\there\x0bv\x0cf\x85nel"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  Li\u00a0Xiao:\t Thank  you. ", "Li Xiao: Thank you."),
        ("a\u2009b\u3000c\u2028d\x85e", "a b c d e"),
        ("plain text", "plain text"),
        (" \t\u00a0", ""),
    ],
)
def test_normalize_spaces(line: str, expected: str) -> None:
    assert normalize_spaces(line) == expected


def test_junk_is_removed_everywhere() -> None:
    transcript = read_transcript(data("junk.txt"))
    assert turns_of(transcript) == [
        ("Ann Lee", "Good morning, everyone."),
        ("Bob Stone", "Fine&dandy <today>, x <y and z> w."),
        ("Ann Lee", "Bye."),
        ("Bob Stone", "Bye."),
    ]


def test_invisible_characters_inside_names_and_text() -> None:
    text = "\ufeffAnn\u200b Lee\u00a0:\nHello\u00a0\u00a0 there\u200b.\nAnn Lee:\n\tBye.\u00ad\n"
    assert turns_of(parse_transcript(text)) == [("Ann Lee", "Hello there."), ("Ann Lee", "Bye.")]


def test_control_characters_are_removed_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    text = "Ann:\n\x93Hi\x94 there.\nAnn:\nBye."
    with caplog.at_level(logging.WARNING, logger="aligner.transcript"):
        transcript = parse_transcript(text)
    assert transcript.turns[0].text == "Hi there."
    assert "control characters" in caplog.text and "line 2" in caplog.text


# --- Header ----------------------------------------------------------------------------------


def test_split_title() -> None:
    assert split_title("Li Xiao, inspector, SPC") == ("Li Xiao", "inspector, SPC")
    assert split_title(" Li Xiao ") == ("Li Xiao", "")


def test_header_blocks_with_and_without_colons_and_inline_values() -> None:
    text = (
        "Speakers\nAnn Lee, minister\nChairperson\n\nSpeakers:\nAnn Lee, minister again\n"
        "Cy Doe\nChairperson: Bob Stone, spokesperson\nDate: June 1, 2021\n"
        "Bob Stone:\nWelcome.\nAnn Lee:\nThanks.\n"
    )
    transcript = parse_transcript(text)
    assert [(s.name, s.role, s.title) for s in transcript.speakers] == [
        ("Bob Stone", ROLE_CHAIRPERSON, "spokesperson"),
        ("Ann Lee", ROLE_SPEAKER, "minister"),  # the first title given wins
        ("Cy Doe", ROLE_SPEAKER, ""),
    ]
    assert transcript.date == "June 1, 2021"
    assert turns_of(transcript) == [("Bob Stone", "Welcome."), ("Ann Lee", "Thanks.")]


def test_header_chair_role_wins_over_speaker() -> None:
    text = "Speakers:\nAnn Lee, minister\nChairperson:\nAnn Lee, chair\nAnn Lee:\nHi."
    (ann,) = parse_transcript(text).speakers
    assert (ann.role, ann.title) == (ROLE_CHAIRPERSON, "minister")


def test_header_ends_at_the_first_line_that_is_not_an_entry() -> None:
    text = "Date:\nMay 31, 2021\nLadies and gentlemen, welcome.\nThank you."
    transcript = parse_transcript(text)
    assert transcript.date == "May 31, 2021"
    assert turns_of(transcript) == [("", "Ladies and gentlemen, welcome.\nThank you.")]


def test_empty_date_block_does_not_swallow_a_speaker_line() -> None:
    transcript = parse_transcript("Date:\nAnn:\nHi.\nAnn:\nBye.")
    assert transcript.date is None
    assert turns_of(transcript) == [("Ann", "Hi."), ("Ann", "Bye.")]


def test_header_keywords_only_count_at_the_top() -> None:
    text = "Ann:\nHello.\nDate:\nMay 31\nAnn:\nBye."
    assert turns_of(parse_transcript(text)) == [("Ann", "Hello.\nDate:\nMay 31"), ("Ann", "Bye.")]


# --- Speaker lines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Shou Xiaoli",
        "CGTN",
        "People's Daily",
        "People\u2019s Daily",
        "Xinhua News Agency",
        "Ministry of Foreign Affairs",
        "Mr. Li",
        "U.S. Embassy",
        "Jean-Pierre Dupont",
        "AT&T",
        "Procter & Gamble",
        "China Daily reporter",
        "\u5bff\u5c0f\u4e3d",  # Chinese: no letter case
    ],
)
def test_looks_like_name_accepts(name: str) -> None:
    assert looks_like_name(name)


@pytest.mark.parametrize(
    "text",
    [
        "These achievements can be outlined in four main aspects",
        "the following efforts",
        "First, we",
        "Note.",
        "Why?",
        "One Two Three Four Five Six Seven",
        "2021 Results",
        "Li (SPC)",
        '"Quoted"',
        "Supercalifragilisticexpialidocious",
        "",
    ],
)
def test_looks_like_name_rejects(text: str) -> None:
    assert not looks_like_name(text)


def test_colon_lines_need_evidence_to_be_speakers() -> None:
    transcript = read_transcript(data("colon-content.txt"))
    assert [(s.name, s.role) for s in transcript.speakers] == [
        ("Shou Xiaoli", ""),
        ("Li Xiao", ""),
        ("Reuters", ""),  # seen once, but opens a question in a transcript with speakers
    ]
    assert [t.speaker for t in transcript.turns] == [
        "Shou Xiaoli",
        "Li Xiao",
        "Shou Xiaoli",
        "Reuters",
        "Li Xiao",
    ]
    first = transcript.turns[0].paragraphs
    # After a line ending in a colon (a list), a label word, or no question following:
    for line in ["Housing:", "Note:", "First:", "Conclusion:", "Key Points:", "Global Outlook:"]:
        assert line in first
    # A colon line at the very end, followed by nothing, is text.
    assert transcript.turns[-1].text.endswith("We will look at two things next:")


def test_rejected_speaker_lines_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="aligner.transcript"):
        read_transcript(data("colon-content.txt"))
    assert "line 13: 'Global Outlook' is taken as text" in caplog.text
    assert "Note" not in caplog.text  # label words are not even candidates


def test_once_only_names_need_a_transcript_with_speakers() -> None:
    transcript = read_transcript(data("no-speakers.txt"))
    assert transcript.speakers == ()
    assert turns_of(transcript) == [
        (
            UNNAMED_SPEAKER,
            "Ladies and gentlemen, good afternoon.\nGlobal Outlook:\n"
            "Is the outlook stable? It is.\nThank you.",
        )
    ]
    assert transcript.turns[0].source_line == 1


def test_one_off_names_in_a_transcript_that_starts_with_a_speaker_line() -> None:
    text = "Ann Lee:\nHello.\nDaily News:\nA comment, not a question.\nNote:\nLabels stay text."
    transcript = parse_transcript(text)
    assert turns_of(transcript) == [
        ("Ann Lee", "Hello."),
        ("Daily News", "A comment, not a question.\nNote:\nLabels stay text."),
    ]
    assert [(s.name, s.role) for s in transcript.speakers] == [("Ann Lee", ""), ("Daily News", "")]


def test_one_off_names_in_a_briefing_must_open_a_question() -> None:
    text = "Ann:\nHello.\nAnn:\nMore.\nDaily News:\nA comment.\nBob:\nWhy?\nAnn:\nBecause."
    assert turns_of(parse_transcript(text)) == [
        ("Ann", "Hello."),
        ("Ann", "More.\nDaily News:\nA comment."),
        ("Bob", "Why?"),
        ("Ann", "Because."),
    ]


def test_recurring_names_are_speakers_without_a_header() -> None:
    text = "Q:\nWhy?\nA:\nBecause.\nQ:\nReally\nA: Yes.\nQ: Thanks."
    transcript = parse_transcript(text)
    assert turns_of(transcript) == [
        ("Q", "Why?"),
        ("A", "Because."),
        ("Q", "Really"),
        ("A", "Yes."),
        ("Q", "Thanks."),
    ]
    assert [(t.source_line) for t in transcript.turns] == [2, 4, 6, 7, 8]


def test_label_words_are_never_speakers_even_when_recurring() -> None:
    text = "Ann:\nHi.\nNote:\nOne.\nNote:\nTwo.\nAnn:\nBye.\nNote: three."
    assert turns_of(parse_transcript(text)) == [
        ("Ann", "Hi.\nNote:\nOne.\nNote:\nTwo."),
        ("Ann", "Bye.\nNote: three."),
    ]


def test_name_and_text_on_one_line_only_for_known_speakers() -> None:
    transcript = read_transcript(data("inline-names.txt"))
    assert turns_of(transcript) == [
        ("Bob Stone", "Good morning. Welcome to the briefing."),
        (
            "Ann Lee",
            "Thank you. Our plan has three parts: housing, schools and roads.\n"
            "Mary Smith: a name with text on one line, seen once and not in the header, is text.",
        ),
        ("Daily News", "What will it cost? Thank you."),
        ("Ann Lee", "About a billion."),
        ("Bob Stone", "That is all for today."),
    ]
    assert [(s.name, s.role) for s in transcript.speakers] == [
        ("Bob Stone", ROLE_CHAIRPERSON),
        ("Ann Lee", ROLE_SPEAKER),
        ("Daily News", ROLE_MEDIA),
    ]
    assert transcript.speakers[1].title == "minister of examples, Ministry of Samples"
    assert transcript.date == "June 1, 2021"


def test_roster_names_match_case_insensitively_and_take_the_header_spelling() -> None:
    text = "Speakers:\nAnn Lee, minister\nANN LEE:\nHi.\nann lee: Bye."
    assert turns_of(parse_transcript(text)) == [("Ann Lee", "Hi."), ("Ann Lee", "Bye.")]


def test_times_and_urls_are_not_speaker_lines() -> None:
    text = "Ann:\nAt 10:30 we met.\nAnn:\nSee http://example.org for more.\nBob:\nOK?"
    transcript = parse_transcript(text)
    assert [t.speaker for t in transcript.turns] == ["Ann", "Ann", "Bob"]


def test_fullwidth_colon_speaker_lines() -> None:
    shou, colon, hello, thanks = (
        "\u5bff\u5c0f\u4e3d",
        "\uff1a",
        "\u5927\u5bb6\u597d",
        "\u8c22\u8c22",
    )
    text = f"{shou}{colon}{hello}\n{shou}{colon}\n{thanks}"  # text may follow a fullwidth colon
    transcript = parse_transcript(text, language="zh")
    assert turns_of(transcript) == [(shou, hello), (shou, thanks)]
    assert {t.language for t in transcript.turns} == {"zh"}


def test_paragraphs_are_stripped_collapsed_and_blank_lines_dropped() -> None:
    text = "Ann:\n\n   Hello,\t\tworld.  \n\n\nSecond   paragraph.\nAnn:\nBye."
    transcript = parse_transcript(text)
    assert transcript.turns[0].text == "Hello, world.\nSecond paragraph."
    assert transcript.turns[0].source_line == 3


def test_text_before_the_first_speaker_line_belongs_to_nobody() -> None:
    text = "Opening remarks.\nAnn:\nHi.\nAnn:\nBye."
    transcript = parse_transcript(text)
    assert turns_of(transcript) == [("", "Opening remarks."), ("Ann", "Hi."), ("Ann", "Bye.")]
    assert [s.name for s in transcript.speakers] == ["Ann"]


def test_speaker_line_without_text_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="aligner.transcript"):
        transcript = parse_transcript("Ann:\nBob:\nHi?\nAnn:\nBye.\nBob:\n", source="x.txt")
    assert turns_of(transcript) == [("Bob", "Hi?"), ("Ann", "Bye.")]
    assert "'Ann' has no text" in caplog.text and "'Bob' has no text" in caplog.text


HEADER_KEYWORD = re.compile(r"(?i)(speakers?|chairpersons?|date)")


@given(
    st.lists(
        st.text(
            # No colons (so no speaker lines) and none of the characters clean-up rules act on.
            alphabet=st.characters(categories=["L", "N", "P", "Zs"], exclude_characters=":_&"),
            min_size=1,
            max_size=40,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_text_without_speaker_lines_is_one_unnamed_turn_with_every_word(
    paragraphs: list[str],
) -> None:
    cleaned = [normalize_spaces(p) for p in paragraphs if p.strip()]
    assume(cleaned and not HEADER_KEYWORD.fullmatch(cleaned[0]))
    assume(not any(is_credit_line(p) for p in cleaned))
    transcript = parse_transcript("\n".join(paragraphs))
    assert len(transcript.turns) == 1
    assert transcript.turns[0].speaker == UNNAMED_SPEAKER
    assert transcript.turns[0].paragraphs == cleaned
    assert transcript.speakers == ()


# --- Credits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Translated and edited by Zhu Bochen.", True),
        ("Translated by A. Writer", True),
        ("translated by a writer", True),
        ("Edited by B. Editor", True),
        ("Edited and translated by C.", True),
        ("In case of any discrepancy between the English and Chinese texts, ...", True),
        ("We translated by hand.", False),
        ("Translated byways", False),
        ("Editors by the door", False),
    ],
)
def test_is_credit_line(line: str, expected: bool) -> None:
    assert is_credit_line(line) is expected


def test_credits_only_at_the_end() -> None:
    transcript = read_transcript(data("credits.txt"))
    assert transcript.credits == (
        "Translated by A. Writer.",
        "Edited by B. Editor.",
        "In case of any discrepancy between the English and Chinese texts, the Chinese version "
        "is deemed to prevail.",
    )
    assert transcript.turns[0].text == "Edited by hand, this sentence is still speech."
    assert transcript.turns[-1].text == "Goodbye."


# --- Nothing to subtitle ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n\t\n\u00a0\u200b\n",
        "Speakers:\nAnn Lee, minister\nDate: May 1\n",
        "Translated by A. Writer.\n",
        "Ann:\nBob:\nAnn:\nBob:\n",
    ],
)
def test_no_text_to_subtitle(text: str) -> None:
    with pytest.raises(TranscriptError, match="no text to subtitle"):
        parse_transcript(text, source="empty.txt")


def test_blank_file_names_the_path() -> None:
    with pytest.raises(TranscriptError) as caught:
        read_transcript(data("blank.txt"))
    assert str(caught.value) == f"{data('blank.txt')}: no text to subtitle"


# --- Encodings -------------------------------------------------------------------------------

SAMPLE = "Ann:\nCaf\u00e9 \u201cna\u00efve\u201d \u2014 r\u00e9sum\u00e9.\nBob:\nWhy?\nAnn:\nNo.\n"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + SAMPLE.encode("utf-32-le"), "utf-32-le"),
        (SAMPLE.encode("utf-16"), "utf-16-le"),  # Python writes a little-endian BOM
    ],
)
def test_decode_unicode_with_and_without_bom(raw: bytes, encoding: str) -> None:
    assert decode(raw) == (SAMPLE, encoding)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_decode_normalises_line_ends(newline: str) -> None:
    raw = SAMPLE.replace("\n", newline).encode("utf-16")
    assert decode(raw) == (SAMPLE, "utf-16-le")
    assert decode(SAMPLE.replace("\n", newline).encode("utf-8"))[0] == SAMPLE


def test_parse_normalises_line_ends_too() -> None:
    assert turns_of(parse_transcript("Ann:\r\nHi.\rAnn:\r\nBye.")) == [
        ("Ann", "Hi."),
        ("Ann", "Bye."),
    ]


@pytest.mark.parametrize("legacy", ["cp1252", "latin-1"])
def test_legacy_encoding_is_refused_with_a_hint(tmp_path: Path, legacy: str) -> None:
    text = SAMPLE if legacy == "cp1252" else SAMPLE.replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2014", "-") if legacy == "latin-1" else text
    path = tmp_path / "notes.txt"
    path.write_bytes(text.encode(legacy))
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot tell the text encoding (not UTF-8")
    assert "line 2" in message and "cp1252" in message
    assert message.endswith("set it with --encoding")
    assert "\n" not in message
    assert caught.value.path == path


def test_legacy_encoding_is_accepted_when_given(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(SAMPLE.replace("\n", "\r\n").encode("cp1252"))
    transcript = read_transcript(path, encoding="cp1252")
    assert transcript.encoding == "cp1252"
    assert transcript.turns[0].text == "Caf\u00e9 \u201cna\u00efve\u201d \u2014 r\u00e9sum\u00e9."


def test_explicit_encoding_failure_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Ann:\r\nfine\r\nbad \x81 byte\r\n")
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path, encoding="cp1252")
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{path}:3: cannot decode the text as cp1252: byte 0x81")


def test_explicit_encoding_failure_in_utf16_counts_lines() -> None:
    raw = "a\nb\nc".encode("utf-16-le") + b"\x00\xdc"  # lone low surrogate
    with pytest.raises(TranscriptError) as caught:
        decode(raw, encoding="utf-16-le")
    assert caught.value.line == 3


def test_broken_bom_text_is_refused() -> None:
    with pytest.raises(TranscriptError, match="utf-8-sig byte-order mark but is not valid"):
        decode(codecs.BOM_UTF8 + b"ok\n\xff")


def test_explicit_encoding_that_contradicts_the_bom_is_refused() -> None:
    with pytest.raises(TranscriptError, match="utf-16-le byte-order mark but the encoding given"):
        decode(SAMPLE.encode("utf-16"), encoding="cp1252")
    assert decode(SAMPLE.encode("utf-16"), encoding="utf-16") == (SAMPLE, "utf-16")
    assert decode(codecs.BOM_UTF8 + b"x", encoding="utf-8") == ("x", "utf-8")


@pytest.mark.parametrize("name", ["no-such-codec", "base64", "rot13"])
def test_unknown_or_non_text_codec_is_refused(name: str) -> None:
    with pytest.raises(TranscriptError, match=r"(unknown text encoding|not a text encoding)"):
        decode(b"Ann:\nHi.", path=Path("a.txt"), encoding=name)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)))
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path)
    assert str(caught.value) == f"{path}: not a text file (it contains NUL bytes)"


def test_binary_file_is_refused_even_with_an_encoding() -> None:
    with pytest.raises(TranscriptError, match="not a text file"):
        decode(b"Ann:\x00\x01\x02", encoding="latin-1")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_refused_with_the_codec_to_use(codec: str) -> None:
    with pytest.raises(TranscriptError, match=f"looks like {codec} .*--encoding {codec}$"):
        decode(SAMPLE.encode(codec))
    assert decode(SAMPLE.encode(codec), encoding=codec) == (SAMPLE, codec)


# --- Reading files ---------------------------------------------------------------------------


def test_read_transcript_records_source_language_and_encoding() -> None:
    transcript = read_transcript(data("credits.txt"), language="en-GB")
    assert transcript.source == str(data("credits.txt"))
    assert (transcript.language, transcript.encoding) == ("en-GB", "utf-8")
    assert {t.language for t in transcript.turns} == {"en-GB"}


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.txt"
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path)
    assert str(caught.value) == f"{path}: cannot read the transcript: No such file or directory"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="cannot read the transcript: Is a directory"):
        read_transcript(tmp_path)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    path = tmp_path / "secret.txt"
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path)
    assert str(caught.value) == f"{path}: cannot read the transcript: Permission denied"


def test_one_off_speaker_on_the_first_line_is_a_speaker() -> None:
    text = (
        "Shou Xiaoli:\nGood afternoon.\nLi Xiaojun:\nThank you.\n"
        "CGTN:\nA question?\nLi Xiaojun:\nYes.\n"
    )
    transcript = parse_transcript(text)
    assert [t.speaker for t in transcript.turns] == [
        "Shou Xiaoli",
        "Li Xiaojun",
        "CGTN",
        "Li Xiaojun",
    ]
