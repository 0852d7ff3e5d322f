"""Tests for the segmenter with language profiles: zh, ja, fr, ar (and the real clients)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from clients import expected_cues, ffmpeg_cues, strict_srt, visible, w3c_validate
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.cjk import chinese_words
from aligner.languages import BIDI_CONTROLS, Profile, width
from aligner.model import Line, Turn
from aligner.pipeline import make_subtitles, render, write_atomically
from aligner.segment import SegmentRules, _analyse, segment
from aligner.transcript import read_transcript
from aligner.writers import WriteOptions

ROOT = Path(__file__).resolve().parent.parent
ZH_SAMPLE = ROOT / "samples" / "scio-briefing-2021-05-31.excerpt.zh-Hans.txt"
NO_START = "，。、；：？！」』）》"
NO_END = "「『（《"

ZH = (
    "大家下午好。《国家人权行动计划（2016—2020年）》是中国自2009年以来制定实施的第三期国家"
    "人权行动计划，也是第一个与国民经济和社会发展五年规划相衔接的人权行动计划。在抗击COVID-19"
    "疫情中，中国有效保障了人民的生命和健康……国家赔偿的日赔偿金标准从1995年的17.16元（2.69"
    "美元）提高到2021年的373.1元。他说：“发展是解决一切问题的总钥匙”！同时，UN Human Rights "
    "Council也注意到了这一点；谢谢。"
)
ZH_HANT = (
    "大家下午好。《國家人權行動計劃》是中國自2009年以來制定實施的第三期國家人權行動計劃，"
    "也是第一個與國民經濟和社會發展五年規劃相銜接的人權行動計劃。"
)
JA = (
    "皆さん、こんにちは。国家人権行動計画は、中国が二〇〇九年以来策定した三番目の計画です。"
    "「人権の尊重と保障」を原則としています。COVID-19の流行の中でも、人々の生命と健康を守りました。"
)
FR = (
    "Mesdames et messieurs, bonjour ! Pourquoi ce plan est-il important ? Parce que le plan "
    "« national » protège les droits : de 2016 à 2020, les tribunaux ont acquitté 5 479 accusés ; "
    "c'est un progrès."
)
AR = (
    "السيدات والسادة، مساء الخير. \u200fمرحبا بكم في هذا المؤتمر الصحفي الذي يعقده مكتب الإعلام "
    "التابع لمجلس الدولة حول تنفيذ خطة العمل الوطنية لحقوق الإنسان (2016-2020)؟ شكرا جزيلا لكم "
    "على حضوركم اليوم، وسنبدأ الآن بالأسئلة."
)


def rows_of(lines: list[Line]) -> list[str]:
    return [row for line in lines for row in line.text.split("\n")]


def kept(text: str) -> str:
    """The characters that must survive segmentation, in order (spaces and marks aside)."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in BIDI_CONTROLS)


def check(lines: list[Line], turns: list[Turn], rules: SegmentRules, label: str = "") -> None:
    """Limits hold, no kinsoku violation, every character kept once and in order."""
    profile = rules.profile
    first = True
    for line in lines:
        rows = line.text.split("\n")
        assert 1 <= len(rows) <= rules.max_lines
        for k, row in enumerate(rows):
            assert row == row.strip() and row
            extra = width(label, profile.counting) if first and k == 0 else 0
            if width(row, profile.counting) + extra > rules.max_chars:
                assert len(_analyse(row, profile).words) == 1, row  # one over-long word
            if profile.cjk:
                assert row[0] not in NO_START, row
                assert row[-1] not in NO_END, row
            if profile.rtl:
                assert not any(ch in BIDI_CONTROLS for ch in row), row
            if profile.nbsp_before:
                assert row.split()[0][:1] not in ":;!?»", row
        first = False
    for index, turn in enumerate(turns):
        said = "".join(line.text for line in lines if line.turn_index == index)
        assert kept(said) == kept(turn.text)


def break_offsets(lines: list[Line]) -> list[int]:
    """Offsets (in the text without spaces) of every line and cue break."""
    offsets, position = [], 0
    for row in rows_of(lines):
        position += len(kept(row))
        offsets.append(position)
    return offsets[:-1]


def word_bounds(text: str) -> set[int]:
    """Offsets between jieba's words (cut per space-free chunk), in the text without spaces."""
    bounds, position = {0}, 0
    for chunk in text.split():
        for word in chinese_words()(chunk):
            position += len(word)
            bounds.add(position)
    return bounds


@pytest.mark.parametrize(
    ("tag", "text"), [("zh-Hans", ZH), ("zh-Hant", ZH_HANT), ("ja", JA), ("fr", FR), ("ar", AR)]
)
@pytest.mark.parametrize("label", ["", "Li Xiaojun: "])
def test_profile_limits_and_characters(tag: str, text: str, label: str) -> None:
    rules = SegmentRules.for_language(tag)
    turns = [Turn("A", text, tag)]
    lines = segment(turns, rules, label_for=lambda _name: label)
    check(lines, turns, rules, label)
    assert len(lines) > 1


def test_zh_limits_are_the_profiles() -> None:
    rules = SegmentRules.for_language("zh-Hans")
    assert (rules.max_chars, rules.max_lines, rules.max_cps) == (16, 2, 9.0)
    assert SegmentRules.for_language("ja").max_chars == 13


def test_zh_breaks_only_between_words() -> None:
    lines = segment([Turn("A", ZH, "zh-Hans")], SegmentRules.for_language("zh-Hans"))
    bounds = word_bounds(ZH)
    for offset in break_offsets(lines):
        assert offset in bounds, kept(ZH)[offset - 5 : offset + 5]


def test_zh_never_breaks_latin_words_or_numbers() -> None:
    lines = segment([Turn("A", ZH, "zh-Hans")], SegmentRules.for_language("zh-Hans"))
    rows = rows_of(lines)
    for a, b in itertools.pairwise(rows):
        assert not (a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum())
    joined = "|".join(rows)
    for token in ("COVID-19", "2016—2020", "17.16", "373.1", "2.69"):
        assert token in joined


def test_zh_quotes_and_titles_stay_whole() -> None:
    lines = segment([Turn("A", ZH, "zh-Hans")], SegmentRules.for_language("zh-Hans"))
    rows = rows_of(lines)
    assert any("“发展是解决一切问题的总钥匙”" in row for row in rows)
    assert all(not row.startswith("”") for row in rows)


def test_zh_sentence_ends() -> None:
    para = _analyse("好。他说……是吗？对！是的；谢谢", SegmentRules.for_language("zh-Hans").profile)
    ends = [word for word, end in zip(para.words, para.sentence_end, strict=True) if end]
    assert ends == ["好。", "说……", "吗？", "对！", "的；", "谢谢"]


def test_zh_space_house_style() -> None:
    rules = SegmentRules.for_language("zh-Hans", cjk_line_end_punct="space")
    lines = segment([Turn("A", "女士们，先生们，下午好。欢迎出席发布会。", "zh-Hans")], rules)
    assert [line.text for line in lines] == ["女士们 先生们 下午好\n欢迎出席发布会"]
    for row in rows_of(segment([Turn("A", ZH, "zh-Hans")], rules)):
        assert not row.endswith(("，", "。")) and "，" not in row and "。" not in row


def test_english_counts_a_chinese_phrase_by_width() -> None:
    text = "The term 小康社会 means a moderately prosperous society in all respects, he said."
    rules = SegmentRules()
    lines = segment([Turn("A", text)], rules)
    assert "小康社会" in rows_of(lines)[0] or any("小康社会" in r for r in rows_of(lines))
    for row in rows_of(lines):
        assert width(row, "chars") <= rules.max_chars


def test_french_no_break_before_high_punctuation() -> None:
    rules = SegmentRules.for_language("fr", max_chars=12)
    lines = segment([Turn("A", FR, "fr")], rules)
    rows = rows_of(lines)
    assert "bonjour\u00a0!" in " ".join(rows)
    assert "5\u00a0479" in " ".join(rows)
    for row in rows:
        assert row[0] not in ":;!?»" and row[-1] != "«"


def test_arabic_logical_order_without_marks() -> None:
    lines = segment([Turn("A", AR, "ar")], SegmentRules.for_language("ar"))
    text = " ".join(rows_of(lines))
    assert not any(ch in BIDI_CONTROLS for ch in text)
    assert text.split() == AR.replace("\u200f", "").split()  # words whole, in order


# --- Property tests -----------------------------------------------------------------------

ZH_VOCAB = [
    "我们", "人权", "行动计划", "的", "了", "和", "，", "。", "？", "！", "、", "；", "……",
    "“", "”", "《", "》", "（", "）", "2016", "87,152", "COVID-19", "UN", " ", "李晓军",
    "国务院新闻办公室", "年", "实施", "谢谢", "发展", "Human Rights Council",
]  # fmt: skip

zh_paragraphs = (
    st.lists(st.sampled_from(ZH_VOCAB), min_size=1, max_size=50)
    .map(lambda parts: " ".join("".join(parts).split()))
    # A paragraph that starts with closing punctuation (or ends with opening) cannot help it.
    .filter(lambda text: bool(text) and text[0] not in NO_START and text[-1] not in NO_END)
)


@settings(max_examples=120, deadline=None)
@given(
    texts=st.lists(zh_paragraphs, min_size=1, max_size=3),
    max_chars=st.integers(min_value=10, max_value=24),
    max_lines=st.integers(min_value=1, max_value=3),
    label=st.sampled_from(["", "李晓军: ", "[CGTN] "]),
    punct=st.sampled_from(["keep", "space"]),
)
def test_zh_properties(
    texts: list[str], max_chars: int, max_lines: int, label: str, punct: str
) -> None:
    rules = SegmentRules.for_language(
        "zh-Hans", max_chars=max_chars, max_lines=max_lines, cjk_line_end_punct=punct
    )
    turns = [Turn(f"S{i % 2}", text, "zh-Hans") for i, text in enumerate(texts)]
    lines = segment(turns, rules, label_for=lambda _name: label)
    if punct == "keep":
        check(lines, turns, rules, label)
    for index, turn in enumerate(turns):
        assert all(line.speaker == turn.speaker for line in lines if line.turn_index == index)
        said = "".join(line.text for line in lines if line.turn_index == index)
        if punct == "keep":
            assert kept(said) == kept(turn.text)
        else:
            assert kept(said) == kept(turn.text.replace("，", "").replace("。", ""))


# --- Real clients read the Chinese and Arabic outputs back ---------------------------------


def _write(tmp_path: Path, doc_name: str, text: str, tag: str) -> tuple[Path, Path, list[str]]:
    source = tmp_path / f"{doc_name}.txt"
    source.write_text(text, encoding="utf-8")
    transcript = read_transcript(source, language="auto")
    assert transcript.language == tag
    options = WriteOptions()
    doc = make_subtitles(transcript, options=options)
    srt_path, vtt_path = tmp_path / f"{doc_name}.srt", tmp_path / f"{doc_name}.vtt"
    write_atomically(
        [(srt_path, render(doc, "srt", options)), (vtt_path, render(doc, "vtt", options))]
    )
    return srt_path, vtt_path, [c.text for c in expected_cues(doc, options, voices=False)]


@pytest.mark.client
@pytest.mark.parametrize(
    ("name", "tag"), [("zh", "zh-Hans"), ("ar", "ar")], ids=["chinese", "arabic"]
)
def test_clients_read_cjk_and_rtl(tmp_path: Path, name: str, tag: str) -> None:
    text = ZH_SAMPLE.read_text(encoding="utf-8") if name == "zh" else f"مذيع:\n{AR}\n{AR}\n"
    srt_path, vtt_path, want = _write(tmp_path, name, text, tag)
    assert len(want) > 3
    assert [visible(c.text) for c in ffmpeg_cues(srt_path)] == want
    assert [visible(c.text) for c in ffmpeg_cues(vtt_path)] == want
    assert [visible(c.text) for c in strict_srt(srt_path)] == want
    result = w3c_validate(vtt_path)
    assert result.errors == []
    assert [c.text for c in result.cues] == want


def test_sample_profile() -> None:
    transcript = read_transcript(ZH_SAMPLE, language="auto")
    assert transcript.language == "zh-Hans"
    assert transcript.date == "2021年5月31日"
    assert transcript.speakers[0].name == "寿小丽"
    assert transcript.speakers[0].role == "chairperson"
    rules = SegmentRules.for_language(transcript.language)
    lines = segment(transcript.turns, rules, label_for=lambda name: f"{name}: ")
    check_profile: Profile = rules.profile
    assert check_profile.tag == "zh-Hans"
    for index, turn in enumerate(transcript.turns):
        said = "".join(line.text for line in lines if line.turn_index == index)
        assert kept(said) == kept(turn.text)
