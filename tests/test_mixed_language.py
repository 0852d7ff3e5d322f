"""Transcripts that mix languages: a paragraph in another script gets its own language.

Hand-made briefings: English with a Chinese paragraph, Chinese with an interpreter's English
paragraph, and Chinese with Latin names, acronyms and numbers that must stay Chinese. Checked:
the language of each paragraph and why (``detect.paragraph_language``, the JSON's
``language_reason`` / ``language_switches``, ``-v``), the per-cue language in the JSON and the
``<lang>`` spans in the WebVTT, each cue within its own language's profile (16 full-width units
for Chinese, 42 characters for English), every character kept once and in order, and the real
clients reading the mixed files back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]
import pytest
from click.testing import CliRunner
from clients import expected_cues, ffmpeg_cues, strict_srt, strict_vtt, visible, w3c_validate
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.backends import align
from aligner.batch.items import Settings
from aligner.batch.work import count_review
from aligner.cli import main
from aligner.detect import paragraph_language, script_family
from aligner.languages import width
from aligner.model import Cue, Line, Subtitles, Turn
from aligner.pipeline import GIVEN_REASON, make_subtitles, render, write_atomically
from aligner.review.check import rules_for
from aligner.review.fix import fix_parsed
from aligner.review.load import load_subtitles, to_vtt
from aligner.review.parse import parse_file
from aligner.review.preview import render_page
from aligner.segment import SegmentRules, segment
from aligner.timing import finalize
from aligner.transcript import parse_transcript, read_transcript
from aligner.writers import WriteOptions, speaker_label
from aligner.writers.jsonfmt import to_data

SCHEMA = Path(__file__).resolve().parent.parent / "aligner" / "writers" / "subtitles.schema.json"

# (speaker, paragraphs) of each turn, and the header that goes before them.
Turns = list[tuple[str, list[str]]]

EN_HEADER = (
    "Speakers:\nLi Xiaojun, head of the Publicity Department\n"
    "Chairperson:\nShou Xiaoli, spokesperson\nDate:\nMay 31, 2021\n"
)
EN_WITH_ZH: Turns = [
    (
        "Shou Xiaoli",
        [
            "Ladies and gentlemen, good afternoon. Welcome to this briefing on the human rights "
            "action plan, which was carried out in full over the past five years.",
        ],
    ),
    (
        "Li Xiaojun",
        [
            "Thank you. I will first read a short passage in Chinese, as it was written in the "
            "plan, and then say it again in English.",
            "国家人权行动计划的实施取得了显著成效，人民的生存权和发展权得到了更好的保障，"
            "各项目标任务如期完成。2016年至2020年，全国共有5,479名被告人被依法宣告无罪。",
            "That is the passage. In short, the targets were met on time, and 5,479 defendants "
            "were acquitted in accordance with the law.",
        ],
    ),
]
ZH_HEADER = (
    "发言人：\n李晓军，国务院新闻办公室人权事务局宣传处处长\n"
    "主持人：\n寿小丽，国务院新闻办公室新闻局副局长\n日期：\n2021年5月31日\n"
)
ZH_WITH_EN: Turns = [
    (
        "寿小丽",
        ["女士们、先生们，下午好！欢迎出席国务院新闻办公室新闻发布会。今天我们邀请到李晓军先生。"],
    ),
    (
        "李晓军",
        [
            "谢谢主持人。下面我请翻译用英文再说一遍，方便外国记者朋友。",
            "Thank you. The plan was carried out in full, and the targets that were set for the "
            "five years were all met on time. The daily compensation rate rose to 373.1 yuan.",
            "以上就是我要介绍的情况，谢谢大家。",
        ],
    ),
]
# Latin names, acronyms and numbers inside Chinese, and a short English thank-you: all Chinese.
ZH_WITH_NAMES: Turns = [
    (
        "寿小丽",
        [
            "李晓军说，2021年COVID-19疫情期间，China Daily和Global Times一共报道了87,152件案件。",
            "我们与WHO、UNESCO、UNICEF和UN Human Rights Council保持着良好的合作。",
            "Thank you very much.",
            "CGTN的记者请提问。",
        ],
    ),
]


def transcript_text(header: str, turns: Turns) -> str:
    return header + "".join(f"{who}:\n" + "".join(f"{p}\n" for p in ps) for who, ps in turns)


def kept(text: str) -> str:
    """The characters segmentation must keep, in order (white space aside)."""
    return "".join(text.split())


def made(
    tmp_path: Path, name: str, header: str, turns: Turns, language: str = "auto"
) -> tuple[Path, Subtitles]:
    path = tmp_path / f"{name}.txt"
    path.write_text(transcript_text(header, turns), encoding="utf-8")
    transcript = read_transcript(path, language=language)
    return path, make_subtitles(transcript, options=WriteOptions())


def check_cues(doc: Subtitles, turns: Turns, options: WriteOptions | None = None) -> None:
    """Every cue within its language's profile; every turn's characters kept once, in order."""
    options = options or WriteOptions()
    for i, cue in enumerate(doc.cues):
        rules = SegmentRules.for_language(cue.language)
        counting = rules.profile.counting
        label = (
            speaker_label(cue.speaker, options.speaker_labels, doc.language)
            if doc.first_of_turn(i)
            else ""
        )
        rows = cue.text.split("\n")
        assert 1 <= len(rows) <= rules.max_lines, cue
        assert width(label + rows[0], counting) <= rules.max_chars, (cue.language, rows[0])
        assert all(width(row, counting) <= rules.max_chars for row in rows[1:]), cue
        # reading speed, as the timing counts it (label included)
        assert len(label + cue.text) * 1000 <= rules.max_cps * cue.duration_ms, cue
    for index, (_, paragraphs) in enumerate(turns):
        said = "".join(cue.text for cue in doc.cues if cue.turn_index == index)
        assert kept(said) == kept("".join(paragraphs))


def languages_by_paragraph(doc: Subtitles, turns: Turns) -> list[list[str]]:
    """The languages of each turn's cues, grouped by paragraph (found by their text)."""
    out = []
    for index, (_, paragraphs) in enumerate(turns):
        cues = [cue for cue in doc.cues if cue.turn_index == index]
        groups: list[str] = []
        for paragraph in paragraphs:
            rest = kept(paragraph)
            found = set()
            while rest:
                cue = cues.pop(0)
                assert rest.startswith(kept(cue.text)), (rest, cue.text)
                rest = rest[len(kept(cue.text)) :]
                found.add(cue.language)
            assert len(found) == 1, found  # a paragraph's cues share its language
            groups.append(found.pop())
        out.append(groups)
    return out


def schema_valid(data: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(data)


# --- Deciding a paragraph's language -------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "document", "expected"),
    [
        # Latin names, acronyms and numbers inside Chinese stay Chinese
        (
            "李晓军说，2021年COVID-19疫情期间，China Daily和Global Times报道了87,152件。",
            "zh-Hans",
            None,
        ),
        ("我们与WHO、UNESCO、UNICEF和UN Human Rights Council保持着良好的合作。", "zh-Hans", None),
        ("Human Rights Council, United Nations, World Health Organization", "zh-Hans", None),
        ("COVID-19 RT-PCR UNESCO UNICEF WHO", "zh-Hans", None),
        ("2016—2020", "zh-Hans", None),
        # short Latin without a language's function words: no clear evidence
        ("Thank you very much.", "zh-Hans", None),
        ("OK.", "zh-Hant", None),
        # English prose in Chinese; Chinese, Japanese, Russian, Arabic in English
        ("Thank you for your question on the plan.", "zh-Hans", "en"),
        ("Thank you. The plan was carried out in full, and the targets were met.", "ja", "en"),
        ("谢谢大家。今天的发布会到此结束。", "en", "zh-Hans"),
        ("謝謝大家。這次發布會到此結束，我們下次再見。", "en", "zh-Hant"),
        ("皆さん、こんにちは。発表会を始めます。", "en", "ja"),
        ("Дамы и господа, добрый день.", "en", "ru"),
        ("نعم، كلمة سلام مكتوبة على كل اللافتات الجديدة.", "fr", "ar"),
        # a Chinese term or a short Chinese word in English prose stays English
        ("The Chinese term 小康社会 means a moderately prosperous society.", "en", None),
        ("谢谢！", "en", None),
        # the same script is no switch, whatever the words
        ("Mesdames et messieurs, bonjour ! Le plan est une réussite pour la France.", "en", None),
        ("皆さん、こんにちは。発表会を始めます。", "zh-Hans", None),
        # a document whose script is unknown never switches
        ("Thank you for your question on the plan.", "hi", None),
    ],
)
def test_paragraph_language(paragraph: str, document: str, expected: str | None) -> None:
    found = paragraph_language(paragraph, document)
    assert (found[0] if found else None) == expected, found
    if found:
        assert found[1] and "\n" not in found[1]


def test_script_family() -> None:
    assert script_family("zh-Hans") == script_family("ja") == "CJK"
    assert script_family("en-GB") == script_family("sr-Latn") == "Latin"
    assert script_family("sr-Cyrl") == script_family("uk") == "Cyrillic"
    assert script_family("xx") is None


# --- English briefing with a Chinese paragraph ---------------------------------------------


def test_english_with_a_chinese_paragraph(tmp_path: Path) -> None:
    _, doc = made(tmp_path, "en-zh", EN_HEADER, EN_WITH_ZH)
    assert doc.language == "en"
    assert doc.language_reason is not None and doc.language_reason.startswith("Latin script")
    assert languages_by_paragraph(doc, EN_WITH_ZH) == [["en"], ["en", "zh-Hans", "en"]]
    assert sum(cue.language == "zh-Hans" for cue in doc.cues) >= 3  # 16 units a line
    check_cues(doc, EN_WITH_ZH)
    (switch,) = doc.language_switches
    assert (switch.turn_index, switch.paragraph, switch.language) == (1, 1, "zh-Hans")
    assert switch.source_line == 11  # the header's 6 lines, 2 turn lines, 2 paragraphs
    assert "CJK script, 100% of weighted letters" in switch.reason


def test_english_with_chinese_json(tmp_path: Path) -> None:
    _, doc = made(tmp_path, "en-zh", EN_HEADER, EN_WITH_ZH)
    data = json.loads(render(doc, "json"))
    schema_valid(data)
    assert list(data)[:4] == ["schema", "language", "language_reason", "language_switches"]
    assert data["language"] == "en" and data["language_reason"] == doc.language_reason
    assert data["language_switches"] == [
        {"turn": 1, "line": 11, "language": "zh-Hans", "reason": doc.language_switches[0].reason}
    ]
    assert [c["language"] for c in data["cues"]] == [c.language for c in doc.cues]
    assert {c["language"] for c in data["cues"]} == {"en", "zh-Hans"}
    # the schema holds the optional fields to their shape
    data["language_switches"][0]["paragraph"] = 1
    del data["language_switches"][0]["reason"]
    data["language_reason"] = ""
    with pytest.raises(jsonschema.ValidationError):
        schema_valid(data)
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert len(list(validator.iter_errors(data))) == 3


def test_english_with_chinese_vtt_marks_the_chinese_cues(tmp_path: Path) -> None:
    _, doc = made(tmp_path, "en-zh", EN_HEADER, EN_WITH_ZH)
    vtt = render(doc, "vtt")
    blocks = [b for b in vtt.split("\n\n") if "-->" in b]
    assert len(blocks) == len(doc.cues)
    for block, cue in zip(blocks, doc.cues, strict=True):
        payload = block.split("\n", 2)[2]
        if cue.language == "zh-Hans":
            assert "<lang zh-Hans>" in payload and payload.endswith("</lang>")
        else:
            assert "<lang" not in payload


# --- Chinese briefing with an interpreter's English paragraph ------------------------------


def test_chinese_with_an_english_paragraph(tmp_path: Path) -> None:
    _, doc = made(tmp_path, "zh-en", ZH_HEADER, ZH_WITH_EN)
    assert doc.language == "zh-Hans"
    assert doc.language_reason is not None and doc.language_reason.startswith("Han script")
    assert languages_by_paragraph(doc, ZH_WITH_EN) == [["zh-Hans"], ["zh-Hans", "en", "zh-Hans"]]
    check_cues(doc, ZH_WITH_EN)
    english = [cue for cue in doc.cues if cue.language == "en"]
    # cut by the English profile: lines up to 42 characters, not 16 full-width units (32)
    assert max(len(row) for cue in english for row in cue.lines) > 32
    assert all(" " in row for cue in english for row in cue.lines if len(row) > 12)
    data = json.loads(render(doc, "json"))
    schema_valid(data)
    assert [s["language"] for s in data["language_switches"]] == ["en"]
    assert "function words: en" in data["language_switches"][0]["reason"]
    vtt = render(doc, "vtt")
    assert vtt.count("<lang en>") == len(english) and "<lang zh" not in vtt


def test_latin_names_and_numbers_keep_chinese(tmp_path: Path) -> None:
    _, doc = made(tmp_path, "zh-names", "", ZH_WITH_NAMES)
    assert doc.language == "zh-Hans"
    assert doc.language_switches == ()
    assert {cue.language for cue in doc.cues} == {"zh-Hans"}
    check_cues(doc, ZH_WITH_NAMES)
    data = json.loads(render(doc, "json"))
    schema_valid(data)
    assert "language_switches" not in data
    assert "<lang" not in render(doc, "vtt")


# --- --lang, -v and the library switch ----------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_verbose_says_the_language_and_why(tmp_path: Path) -> None:
    path = tmp_path / "en-zh.txt"
    path.write_text(transcript_text(EN_HEADER, EN_WITH_ZH), encoding="utf-8")
    code, out, err = invoke("make", str(path), "-f", "json", "-o", "-", "-v")
    assert code == 0, err
    data = json.loads(out)
    assert f"{path}: language en ({data['language_reason']})" in err
    assert f"{path}:11: paragraph in zh-Hans, not en (" in err
    code, out, err = invoke("make", str(path), "-f", "json", "-o", "-")
    assert code == 0 and err == ""  # without -v, nothing


def test_given_language_keeps_the_document_and_still_switches_scripts(tmp_path: Path) -> None:
    path = tmp_path / "en-zh.txt"
    path.write_text(transcript_text(EN_HEADER, EN_WITH_ZH), encoding="utf-8")
    code, out, err = invoke("make", str(path), "--lang", "en", "-f", "json", "-o", "-", "-v")
    assert code == 0, err
    data = json.loads(out)
    assert (data["language"], data["language_reason"]) == ("en", GIVEN_REASON)
    assert f"language en ({GIVEN_REASON})" in err
    assert [s["language"] for s in data["language_switches"]] == ["zh-Hans"]
    # forcing Chinese: the English paragraphs switch to English, the Chinese one does not
    code, out, err = invoke("make", str(path), "--lang", "zh-Hans", "-f", "json", "-o", "-")
    assert code == 0, err
    data = json.loads(out)
    schema_valid(data)
    assert data["language"] == "zh-Hans"
    assert [s["language"] for s in data["language_switches"]] == ["en", "en", "en"]
    assert [s["line"] for s in data["language_switches"]] == [8, 10, 12]
    by_turn = [[c["language"] for c in data["cues"] if c["turn"] == t] for t in (0, 1)]
    assert set(by_turn[0]) == {"en"} and "zh-Hans" in by_turn[1]


def test_paragraph_languages_can_be_turned_off(tmp_path: Path) -> None:
    path = tmp_path / "en-zh.txt"
    path.write_text(transcript_text(EN_HEADER, EN_WITH_ZH), encoding="utf-8")
    transcript = read_transcript(path, language="auto", paragraph_languages=False)
    assert transcript.language_switches == ()
    assert all(turn.paragraph_languages == () for turn in transcript.turns)
    doc = make_subtitles(transcript)
    assert {cue.language for cue in doc.cues} == {"en"}


def test_single_language_transcripts_are_unchanged(seed_transcript: Any) -> None:
    assert seed_transcript.language_switches == ()
    assert all(turn.paragraph_languages == () for turn in seed_transcript.turns)
    parsed = parse_transcript("Ann:\nHi there.\nBob:\n你好。\n", language="en")
    assert parsed.turns[0].paragraph_languages == ()
    assert parsed.turns[1].paragraph_languages == ()  # two characters: too short to tell


# --- The pieces: model, rules, segmenter, timing, batch review ------------------------------


def test_turn_checks_its_paragraph_languages() -> None:
    turn = Turn("A", "Hello.\n你好，大家好。", "en", 1, ("en", "zh-Hans"))
    assert [turn.language_of(p) for p in range(2)] == ["en", "zh-Hans"]
    assert Turn("A", "Hello.\nAgain.").language_of(1) == "en"
    with pytest.raises(ValueError, match="paragraph languages"):
        Turn("A", "Hello.\n你好。", "en", 1, ("zh-Hans",))


def test_rules_for_text_in_another_language() -> None:
    en = SegmentRules.for_language("en", max_chars=30, max_lines=3, words_per_minute=120)
    zh = en.for_text_in("zh-Hans")
    assert (zh.language, zh.max_chars, zh.max_cps) == ("zh-Hans", 16, 9.0)
    assert (zh.max_lines, zh.words_per_minute) == (3, 120)  # agreed, or not a profile limit
    assert en.for_text_in("fr").max_chars == 30  # English and French agree on 42
    assert en.for_text_in("en-US") is en
    back = zh.for_text_in("en")
    assert (back.max_chars, back.max_cps) == (42, 17.0)


def test_segment_cuts_each_paragraph_by_its_language() -> None:
    chinese = EN_WITH_ZH[1][1][1]
    turn = Turn("A", f"{EN_WITH_ZH[1][1][0]}\n{chinese}", "en", 1, ("en", "zh-Hans"))
    rules = SegmentRules.for_language("en", max_chars=30)
    lines = segment([turn], rules, label_for=lambda name: f"{name}: ")
    assert lines[0].label == "A: " and all(line.label == "" for line in lines[1:])
    for line in lines:
        if line.language == "en":
            assert all(width(row, "chars") <= 30 for row in line.lines), line
        else:
            assert all(width(row, "cjk") <= 16 for row in line.lines), line
    assert {line.language for line in lines} == {"en", "zh-Hans"}
    assert kept("".join(line.text for line in lines if line.language == "zh-Hans")) == chinese


def test_timing_reads_a_cue_at_its_languages_speed() -> None:
    text = "国家人权行动计划的实施取得了显著成效"  # 18 characters: 1.06 s at 17 cps, 2 s at 9
    lines = [Line("A", text, "zh-Hans", 0, True)]
    (cue,) = finalize([Cue.from_line(lines[0], 0, 900)], lines, rules=SegmentRules())
    assert cue.duration_ms == 2000
    english = [Line("A", "Thank you for the question.", "en", 0, True)]
    zh_rules = SegmentRules.for_language("zh-Hans")
    (cue,) = finalize([Cue.from_line(english[0], 0, 900)], english, rules=zh_rules)
    assert cue.duration_ms == 1589  # 27 characters at English's 17 cps, not Chinese's 9


def test_estimate_reads_a_cue_at_its_languages_speed() -> None:
    # a long label and quick Chinese speech: 9 cps needs more time than saying it takes
    text = "女士们、先生们，下午好！\nThank you."
    turn = Turn("Southern Metropolis Daily", text, "en", 1, ("zh-Hans", "en"))
    lines = segment([turn], SegmentRules(), label_for=lambda name: f"{name}: ")
    cue = align(lines, rules=SegmentRules())[0]  # the next cue leaves it no room to grow
    assert len(lines[0].shown) * 1000 <= 9.0 * cue.duration_ms


def test_batch_review_holds_each_cue_to_its_language() -> None:
    cues = (
        Cue(0, 3000, "", "The plan was carried out in full,", "en", 0),
        Cue(3100, 6500, "", "谢谢主持人。\n下面我请翻译再说一遍。", "zh-Hans", 0),
    )
    doc = Subtitles(cues=cues, language="zh-Hans")
    assert count_review(doc, Settings()) == 0
    # the same English cue in an English document at 10 characters a line is flagged
    assert count_review(Subtitles(cues=cues[:1], language="en"), Settings(max_chars=10)) == 1


# --- aligner check and the preview hold each cue to its language ----------------------------

# What a limit in the wrong language shows as: lines too long or too short to fill, reading speed.
LIMIT_CODES = {"line-too-long", "too-many-lines", "reading-speed", "could-be-one-line"}


def check_json(path: Path, language: str) -> list[dict[str, Any]]:
    code, out, err = invoke("check", str(path), "--lang", language, "--format", "json")
    assert code == 0, out + err
    findings: list[dict[str, Any]] = json.loads(out)["files"][0]["findings"]
    return findings


@pytest.mark.parametrize(
    ("name", "header", "turns"),
    [("en-zh", EN_HEADER, EN_WITH_ZH), ("zh-en", ZH_HEADER, ZH_WITH_EN)],
)
def test_check_holds_each_cue_to_its_language(
    tmp_path: Path, name: str, header: str, turns: Turns
) -> None:
    """``aligner check`` on the pipeline's mixed WebVTT: no limit broken once each cue is judged
    by its ``<lang>`` span's language; judged all in the document's, the other language's cues
    break them (English lines over 16 units, Chinese lines that "fit on one line" of 42)."""
    _, doc = made(tmp_path, name, header, turns)
    vtt = tmp_path / f"{name}.vtt"
    vtt.write_text(render(doc, "vtt"), encoding="utf-8")
    findings = check_json(vtt, doc.language)
    assert [f for f in findings if f["code"] in LIMIT_CODES] == []
    assert [f for f in findings if f["severity"] != "info"] == []
    # the same file without its <lang> spans: every cue judged in the document's language
    plain = tmp_path / f"{name}.plain.vtt"
    text = vtt.read_text(encoding="utf-8")
    plain.write_text(re.sub(r"</?lang[^>]*>", "", text), encoding="utf-8")
    other = {k + 1 for k, cue in enumerate(doc.cues) if cue.language != doc.language}
    wrong = [f for f in check_json(plain, doc.language) if f["code"] in LIMIT_CODES]
    assert wrong and {f["cue"] for f in wrong} <= other, wrong
    # --fix has nothing to change in our file
    result = fix_parsed(parse_file(vtt), rules_for(doc.language))
    assert result.changes == []


def test_preview_keeps_each_cues_language(tmp_path: Path) -> None:
    _, doc = made(tmp_path, "en-zh", EN_HEADER, EN_WITH_ZH)
    languages = [c.language for c in doc.cues]
    for fmt in ("json", "vtt", "srt"):
        path = tmp_path / f"en-zh.{fmt}"
        path.write_text(render(doc, fmt), encoding="utf-8")
        loaded = load_subtitles(path)
        if fmt == "srt":  # SRT has no language markup: the document's
            assert {loaded.language_of(c) for c in loaded.cues} == {"en"}
            continue
        assert [loaded.language_of(c) for c in loaded.cues] == languages
        # the page's track and cue list say it too
        track = to_vtt(loaded)
        assert track.count("<lang zh-Hans>") == languages.count("zh-Hans")
        page = render_page(loaded, "speech.wav", "audio/wav", "t")
        assert page.count('<span class="txt" lang="zh-Hans">') == languages.count("zh-Hans")


# --- Real clients read the mixed files back ------------------------------------------------


@pytest.mark.client
@pytest.mark.parametrize(
    ("name", "header", "turns"),
    [("en-zh", EN_HEADER, EN_WITH_ZH), ("zh-en", ZH_HEADER, ZH_WITH_EN)],
)
def test_clients_read_mixed_outputs(tmp_path: Path, name: str, header: str, turns: Turns) -> None:
    _, doc = made(tmp_path, name, header, turns)
    options = WriteOptions()
    srt_path, vtt_path = tmp_path / f"{name}.srt", tmp_path / f"{name}.vtt"
    write_atomically(
        [(srt_path, render(doc, "srt", options)), (vtt_path, render(doc, "vtt", options))]
    )
    want = [c.text for c in expected_cues(doc, options, voices=False)]
    assert len({cue.language for cue in doc.cues}) == 2
    assert [visible(c.text) for c in ffmpeg_cues(srt_path)] == want
    assert [visible(c.text) for c in ffmpeg_cues(vtt_path)] == want
    assert [visible(c.text) for c in strict_srt(srt_path)] == want
    assert [c.text for c in strict_vtt(vtt_path)] == want
    result = w3c_validate(vtt_path)
    assert result.errors == []
    assert [c.text for c in result.cues] == want
    marked = [raw for raw in result.raw_texts if "<lang " in raw]
    assert len(marked) == sum(cue.language != doc.language for cue in doc.cues) > 0


# --- Property: any mix of English and Chinese paragraphs ------------------------------------

EN_PARAGRAPHS = [p for _, ps in EN_WITH_ZH for p in ps if p.isascii()] + [
    ZH_WITH_EN[1][1][1],
    "Thank you for your question.",
]
ZH_PARAGRAPHS = [p for _, ps in ZH_WITH_EN + ZH_WITH_NAMES for p in ps if not p.isascii()] + [
    EN_WITH_ZH[1][1][1]
]


@settings(max_examples=25, deadline=None)
@given(
    document=st.sampled_from(["en", "zh-Hans"]),
    turns=st.lists(
        st.lists(st.sampled_from(EN_PARAGRAPHS + ZH_PARAGRAPHS), min_size=1, max_size=3),
        min_size=1,
        max_size=3,
    ),
)
def test_mixed_paragraphs_property(document: str, turns: list[list[str]]) -> None:
    named: Turns = [(("Li Xiaojun", "Shou Xiaoli")[k % 2], ps) for k, ps in enumerate(turns)]
    transcript = parse_transcript(transcript_text(EN_HEADER, named), language=document)
    assert [turn.paragraphs for turn in transcript.turns] == [ps for _, ps in named]
    doc = make_subtitles(transcript)
    check_cues(doc, named)
    expected = [
        ["en" if p in EN_PARAGRAPHS else "zh-Hans" for p in paragraphs] for _, paragraphs in named
    ]
    assert languages_by_paragraph(doc, named) == expected
    data = to_data(doc)
    schema_valid(data)
    switched = sum(lang != document for langs in expected for lang in langs)
    assert len(data.get("language_switches", [])) == switched
