"""The linter and its fixer: one broken file per finding; --fix output that real clients read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from clients import ffmpeg_cues, strict_srt, strict_vtt, w3c_validate

from aligner.cli import main
from aligner.review.check import check_file, check_parsed, rules_for
from aligner.review.fix import fix_parsed
from aligner.review.parse import parse_text
from aligner.segment import SegmentRules

DATA = Path(__file__).parent / "data" / "check"

# file -> (code, severity, cue, line): the one error or warning the file must produce.
CORPUS = {
    "srt_timestamp.srt": ("timestamp", "error", 2, 6),
    "srt_arrow.srt": ("timing", "error", 2, 6),
    "srt_timing_text.srt": ("timing", "error", 2, 6),
    "srt_noblank.srt": ("missing-blank-line", "error", 2, 4),
    "srt_numbering.srt": ("srt-numbering", "warning", 2, 5),
    "srt_index.srt": ("srt-index", "error", 2, 5),
    "srt_empty_cue.srt": ("empty-cue", "error", 2, 6),
    "srt_encoding.srt": ("encoding", "error", None, None),
    "srt_end_before_start.srt": ("end-before-start", "error", 2, 6),
    "srt_overlap.srt": ("overlap", "error", 2, 6),
    "srt_out_of_order.srt": ("out-of-order", "error", 3, 10),
    "srt_gap.srt": ("gap", "warning", 2, 6),
    "srt_too_short.srt": ("too-short", "warning", 2, 6),
    "srt_too_long.srt": ("too-long", "warning", 2, 6),
    "srt_line_too_long.srt": ("line-too-long", "warning", 2, 7),
    "srt_too_many_lines.srt": ("too-many-lines", "warning", 2, 7),
    "srt_reading_speed.srt": ("reading-speed", "warning", 2, 6),
    "srt_bad_break_article.srt": ("bad-break", "warning", 2, 7),
    "srt_bad_break_name.srt": ("bad-break", "warning", 2, 7),
    "srt_bad_break_preposition.srt": ("bad-break", "warning", 2, 7),
    "srt_markup.srt": ("srt-markup", "warning", 2, 7),
    "srt_number_line.srt": ("number-line", "warning", 2, 8),
    "srt_arrow_in_text.srt": ("arrow-in-text", "error", 2, 7),
    "srt_balance.srt": ("line-balance", "info", 2, 7),
    "srt_one_line.srt": ("could-be-one-line", "info", 2, 7),
    "vtt_header.vtt": ("vtt-header", "error", None, 1),
    "vtt_header_blank.vtt": ("vtt-header", "warning", None, 2),
    "vtt_timestamp.vtt": ("timestamp", "error", 2, 8),
    "vtt_noblank.vtt": ("missing-blank-line", "error", 2, 6),
    "vtt_overlap.vtt": ("overlap", "error", 2, 8),
    "vtt_escape_lt.vtt": ("vtt-escape", "error", 2, 9),
    "vtt_escape_amp.vtt": ("vtt-escape", "error", 2, 9),
    "vtt_escape_gt.vtt": ("vtt-escape", "warning", 2, 9),
    "vtt_entity.vtt": ("vtt-escape", "warning", 2, 9),
    "vtt_voice.vtt": ("vtt-voice", "error", 2, 9),
    "vtt_tag.vtt": ("vtt-tag", "error", 2, 9),
    "vtt_arrow_in_text.vtt": ("arrow-in-text", "error", 2, 9),
    "vtt_note_arrow.vtt": ("vtt-block", "error", None, 3),
    "vtt_style_late.vtt": ("vtt-block", "warning", None, 11),
    "vtt_id.vtt": ("vtt-id", "warning", 2, 7),
}


def test_corpus_is_complete() -> None:
    on_disk = {p.name for p in DATA.iterdir()} - {"good.srt", "good.vtt"}
    assert on_disk == set(CORPUS)


@pytest.mark.parametrize("name", ["good.srt", "good.vtt"])
def test_good_files_are_clean(name: str) -> None:
    report = check_file(DATA / name)
    assert report.findings == ()
    assert report.cue_count == 3


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_broken_file_reports_its_finding_once(name: str) -> None:
    code, severity, cue, line = CORPUS[name]
    report = check_file(DATA / name)
    serious = [f for f in report.findings if f.severity != "info" or severity == "info"]
    assert [(f.code, f.severity, f.cue, f.line) for f in serious] == [(code, severity, cue, line)]
    assert report.ok == (severity != "error")


def test_language_profile_changes_the_limits() -> None:
    text = "1\n00:00:00,000 --> 00:00:05,000\n今天的新闻发布会现在开始，欢迎各位记者朋友。\n"
    en = check_parsed(parse_text(text, "srt"), "x.srt", rules_for("en"))
    zh = check_parsed(parse_text(text, "srt"), "x.srt", rules_for("zh"))
    assert [f.code for f in en.findings] == []
    assert [f.code for f in zh.findings] == ["line-too-long"]


def test_chinese_lines_are_measured_in_full_width_units() -> None:
    # 17 characters, but the label's colon and space are half-width: 16 full-width units
    text = "1\n00:00:00,000 --> 00:00:05,000\n李晓军: 女士们、先生们，下午好！\n"
    assert check_parsed(parse_text(text, "srt"), "x.srt", rules_for("zh")).findings == ()
    wide = text.replace("好！", "好！谢谢")  # 18 units
    (finding,) = check_parsed(parse_text(wide, "srt"), "x.srt", rules_for("zh")).findings
    assert (finding.code, finding.message) == (
        "line-too-long",
        "18 full-width characters, more than 16",
    )


def test_a_right_to_left_mark_is_not_flagged_and_counts_nothing() -> None:
    rlm = "\u200f"
    line = "CGTN: " + "مساء الخير " * 2 + "وشكرا جزيلا لك"
    assert len(line) == 42
    # 48 characters in 2.4 s: 20 a second, the limit, when the two marks count nothing
    text = f"1\n00:00:00,000 --> 00:00:02,400\n{rlm}{line}\n{rlm}2026.\n"
    for fmt in ("srt", "vtt"):
        body = text if fmt == "srt" else "WEBVTT\n\n" + text.replace(",", ".")
        report = check_parsed(parse_text(body, fmt), f"x.{fmt}", rules_for("ar"))
        assert [(f.code, f.message) for f in report.findings] == [
            ("line-balance", "unbalanced lines (42 and 5 characters)")
        ]
    # one more character is one too many
    longer = text.replace("لك", "لكم")
    report = check_parsed(parse_text(longer, "srt"), "x.srt", rules_for("ar"))
    assert [(f.code, f.message) for f in report.findings][:2] == [
        ("reading-speed", "20.4 characters/s, more than 20 (needs 2450 ms, has 2400)"),
        ("line-too-long", "43 characters, more than 42"),
    ]


VTT_MIXED = """WEBVTT

1
00:00:00.000 --> 00:00:06.000
<v Li>Li: <lang {tag}>{text}</lang>
"""


@pytest.mark.parametrize(
    ("document", "tag", "text"),
    [
        # an English cue in a Chinese file: 42 characters a line and 17 a second, not 16 and 9
        ("zh-Hans", "en", "The plan was carried out in full, and\nthe targets were met on time."),
        # a Chinese cue in an English file: 16 units a line (two lines of 12 do not fit on one)
        ("en", "zh-Hans", "国家人权行动计划的实施取得\n了显著成效人民的生存权"),
    ],
)
def test_a_cue_is_held_to_its_lang_spans_limits(document: str, tag: str, text: str) -> None:
    own = VTT_MIXED.format(tag=tag, text=text)
    report = check_parsed(parse_text(own, "vtt"), "x.vtt", rules_for(document))
    assert report.findings == (), report.lines()
    # the same cue without its span is judged by the file's language
    plain = own.replace(f"<lang {tag}>", "").replace("</lang>", "")
    report = check_parsed(parse_text(plain, "vtt"), "x.vtt", rules_for(document))
    codes = {f.code for f in report.findings}
    assert codes & {"line-too-long", "reading-speed", "could-be-one-line"}, report.lines()
    # a span around part of the text does not make the cue that language's
    part = own.replace(f"<lang {tag}>", "").replace("</lang>", f"<lang {tag}>.</lang>")
    report = check_parsed(parse_text(part, "vtt"), "x.vtt", rules_for(document))
    assert {f.code for f in report.findings} == codes


def test_a_cue_in_another_language_names_it() -> None:
    text = VTT_MIXED.format(tag="zh-Hans", text="国家人权行动计划的实施取得了显著成效人民的生存权")
    (finding,) = check_parsed(parse_text(text, "vtt"), "x.vtt", rules_for("en")).findings
    assert finding.message == "26 full-width characters, more than 16 for zh-Hans"  # "Li: " 2


def test_fix_breaks_chinese_by_chinese_rules() -> None:
    line = "国家人权行动计划的实施取得了显著成效，人民的生存权得到了保障。"
    text = f"1\n00:00:00,000 --> 00:00:06,000\n{line}\n"
    parsed = parse_text(text, "srt")
    assert {f.code for f in check_parsed(parsed, "x.srt", rules_for("zh")).findings} == {
        "line-too-long"
    }
    fixed = fix_parsed(parsed, rules_for("zh"))
    assert fixed.changes == ["cue 1: lines broken again"]
    after = check_parsed(parse_text(fixed.text, "srt"), "x.srt", rules_for("zh"))
    assert after.findings == (), after.lines()
    assert "".join(fixed.text.split("\n")[2:]) == line  # broken between words, no space added


def test_cli_text_report_and_exit_status() -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["check", str(DATA / "srt_overlap.srt")])
    assert bad.exit_code == 1
    assert f"{DATA / 'srt_overlap.srt'}:6: cue 2: error overlap:" in bad.output
    assert bad.output.rstrip().endswith("3 cues (srt); 1 error, 0 warnings, 0 notes")
    warned = runner.invoke(main, ["check", str(DATA / "srt_gap.srt")])
    assert warned.exit_code == 0


def test_cli_json_report() -> None:
    result = CliRunner().invoke(
        main, ["check", "--format", "json", str(DATA / "vtt_voice.vtt"), str(DATA / "good.srt")]
    )
    assert result.exit_code == 1
    data = json.loads(result.output)
    first, second = data["files"]
    assert first["summary"] == {"error": 1, "warning": 0, "info": 0}
    assert first["findings"][0] == {
        "code": "vtt-voice",
        "severity": "error",
        "cue": 2,
        "line": 9,
        "message": "column 1: <v> needs the speaker's name: <v Name>",
    }
    assert second["findings"] == [] and second["cues"] == 3


def test_cli_missing_file_is_exit_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nope.srt")])
    assert result.exit_code == 1
    assert "nope.srt" in result.output


# --- --fix -----------------------------------------------------------------------------------

BROKEN_SRT = """1
00:00:00,500 --> 00:00:03,500
{long}

3
00:00:09,000 --> 00:00:09,400
Short.

2
00:00:5,000 --> 00:00:09,300
Out of order and overlapping the next cue.

4
00:00:09,200 --> 00:00:12,000
Starts before the cue above ends.

5
00:00:12,030 --> 00:00:14,000
Too close to the cue before.
"""

BROKEN_SRT = BROKEN_SRT.format(
    long="Li Xiaojun: This line is far too long to be shown on one subtitle line, "
    "and it goes on about the National Human Rights Action Plan."
)
FIXED_CODES = {
    "overlap",
    "out-of-order",
    "gap",
    "too-short",
    "line-too-long",
    "too-many-lines",
    "timestamp",
    "srt-numbering",
    "end-before-start",
}


def _broken_vtt() -> str:
    body = BROKEN_SRT.replace(",", ".").replace("00:00:5.000", "00:00:05.000")
    body = body.replace("Li Xiaojun: This", "<v Li Xiaojun>Li Xiaojun: This & that: this")
    return "WEBVTT\n\nNOTE kept as it is\n\n" + body


@pytest.mark.client
@pytest.mark.parametrize("suffix", [".srt", ".vtt"])
def test_fix_output_passes_check_and_real_clients(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"broken{suffix}"
    text = BROKEN_SRT if suffix == ".srt" else _broken_vtt().replace(" & ", " &amp; ")
    source.write_text(text, encoding="utf-8")
    before = check_file(source)
    assert {"overlap", "out-of-order", "line-too-long", "too-short", "gap"} <= {
        f.code for f in before.findings
    }
    out = tmp_path / f"fixed{suffix}"
    result = CliRunner().invoke(main, ["check", str(source), "--fix", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "fixed: cues sorted by start time" in result.output
    assert source.read_text(encoding="utf-8") == text  # the input is never touched
    after = check_file(out)
    assert after.ok, after.lines()
    assert not FIXED_CODES & {f.code for f in after.findings}, after.lines()
    # every word is still there, in order
    words = " ".join(text.split()).count("National")
    assert out.read_text(encoding="utf-8").count("National") == words
    # real clients read every cue
    count = after.cue_count
    assert len(ffmpeg_cues(out)) == count
    if suffix == ".srt":
        assert len(strict_srt(out)) == count
    else:
        assert len(strict_vtt(out)) == count
        w3c = w3c_validate(out)
        assert w3c.errors == [] and len(w3c.cues) == count
        assert "NOTE kept as it is" in out.read_text(encoding="utf-8")


def test_fix_refuses_to_overwrite_the_input(tmp_path: Path) -> None:
    source = tmp_path / "a.srt"
    source.write_text(BROKEN_SRT, encoding="utf-8")
    runner = CliRunner()
    same = runner.invoke(main, ["check", str(source), "--fix", "-o", str(source)])
    assert same.exit_code == 2 and "--in-place" in same.output
    missing = runner.invoke(main, ["check", str(source), "--fix"])
    assert missing.exit_code == 2
    assert source.read_text(encoding="utf-8") == BROKEN_SRT
    in_place = runner.invoke(main, ["check", str(source), "--fix", "--in-place"])
    assert in_place.exit_code == 0, in_place.output
    assert check_file(source).ok
    assert [p.name for p in tmp_path.iterdir()] == ["a.srt"]  # no temporary file left


def test_fix_keeps_starts_when_it_can() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:04,000\nFirst cue here.\n\n"
        "2\n00:00:03,500 --> 00:00:06,000\nSecond cue here.\n"
    )
    result = fix_parsed(parse_text(text, "srt"), SegmentRules())
    assert "00:00:01,000 --> 00:00:03,416" in result.text
    assert "00:00:03,500 --> 00:00:06,000" in result.text
    assert result.changes == ["cue 1: end 4000 -> 3416 ms (it overlapped cue 2)"]


def test_check_on_our_own_output_has_no_errors(tmp_path: Path, seed_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["make", str(seed_path), "-f", "srt,vtt", "-o", str(tmp_path / "seed.srt")]
    )
    assert result.exit_code == 0, result.output
    for name in ("seed.srt", "seed.vtt"):
        report = check_file(tmp_path / name)
        assert report.ok, report.lines()[:5]
        codes = {f.code for f in report.findings}
        assert codes <= {"reading-speed", "bad-break", "line-balance", "could-be-one-line"}
