"""Tests for aligner.languages (profiles), aligner.detect, CJK decoding and the --lang option."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner.cli import main
from aligner.detect import detect
from aligner.errors import TranscriptError
from aligner.languages import PROFILES, profile_for, width
from aligner.rate import speech_ms
from aligner.textfile import certain_cjk_encoding, decode

ROOT = Path(__file__).resolve().parent.parent
ZH_SAMPLE = ROOT / "samples" / "scio-briefing-2021-05-31.excerpt.zh-Hans.txt"
ZH = (
    "发言人：女士们、先生们，下午好。欢迎出席国务院新闻办公室新闻发布会。"
    "今天我们邀请到人权事务局的李晓军先生。"
)
ZH_HANT = (
    "發言人：女士們、先生們，下午好。歡迎出席國務院新聞辦公室新聞發布會。"
    "今天我們邀請到人權事務局的李曉軍先生。"
)


def test_every_issue_language_has_a_profile() -> None:
    assert {"en", "zh-Hans", "zh-Hant", "ja", "fr", "de", "es", "ru", "ar"} <= set(PROFILES)
    for profile in PROFILES.values():
        assert profile.source and profile.max_lines == 2
        assert (profile.min_duration_ms, profile.max_duration_ms) == (833, 7000)
    assert (PROFILES["zh-Hans"].max_chars, PROFILES["zh-Hans"].max_cps) == (16, 9.0)
    assert (PROFILES["ja"].max_chars, PROFILES["ja"].max_cps) == (13, 4.0)
    assert PROFILES["en"].max_chars == PROFILES["fr"].max_chars == 42
    assert PROFILES["ar"].rtl


def test_profile_lookup() -> None:
    assert profile_for("zh-TW").tag == "zh-Hant"
    assert profile_for("zh-Hans-CN").tag == "zh-Hans"
    assert profile_for("de-AT").tag == "de"
    assert profile_for("he").rtl and profile_for("he").max_chars == 42


def test_width_counts_full_and_half_width() -> None:
    assert width("人权，UN 2021", "cjk") == 3 + 3.5
    assert width("“人权”", "cjk") == 4
    assert width("Human rights", "chars") == 12
    assert width("人权", "chars") == 4


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        (ZH, "zh-Hans"),
        (ZH_HANT, "zh-Hant"),
        ("皆さん、こんにちは。国家人権行動計画は三番目の計画です。", "ja"),
        ("Mesdames et messieurs, bonjour ! Le plan est une réussite pour la France.", "fr"),
        ("Meine Damen und Herren, der Plan ist nicht nur ein Erfolg, sondern die Zukunft.", "de"),
        ("Señoras y señores, el plan es un éxito para los derechos de las personas.", "es"),
        ("Дамы и господа, добрый день. План выполнен полностью.", "ru"),
        ("السيدات والسادة، مساء الخير. مرحبا بكم في هذا المؤتمر الصحفي.", "ar"),
        ("Ladies and gentlemen, good afternoon. The plan is the third of its kind.", "en"),
        ("The Chinese term 小康社会 means a moderately prosperous society.", "en"),
        ("1234 5678", "en"),
    ],
)
def test_detect(text: str, tag: str) -> None:
    found, reason = detect(text)
    assert found == tag, reason
    assert reason


def test_detect_the_samples() -> None:
    assert detect(ZH_SAMPLE.read_text(encoding="utf-8"))[0] == "zh-Hans"
    seed = ROOT / "samples" / "scio-briefing-2021-05-31.en.txt"
    assert detect(seed.read_text(encoding="utf-8"))[0] == "en"


def test_chinese_speaks_by_character() -> None:
    four = speech_ms("谢谢大家", 150)
    assert four == speech_ms("谢谢大家", 150, language="zh-Hans") == 960
    assert speech_ms("谢谢大家", 300) == 480  # --wpm scales Chinese too
    assert speech_ms("ありがとう", 150) == 1000  # kana: the Japanese rate
    assert speech_ms("Thank you.", 150) == 740  # English unchanged


# --- Decoding GB18030 and Big5 -------------------------------------------------------------


def test_gb18030_and_big5_decoded_when_certain() -> None:
    assert decode(ZH.encode("gb18030")) == (ZH, "gb18030")
    assert decode(ZH.encode("gbk")) == (ZH, "gb18030")
    assert decode(ZH_HANT.encode("big5")) == (ZH_HANT, "big5")
    assert decode(ZH_SAMPLE.read_bytes().decode("utf-8").encode("gb18030"))[1] == "gb18030"


def test_uncertain_cjk_is_refused() -> None:
    # Too little Chinese to be sure, and an English text in cp1252: never guessed.
    with pytest.raises(TranscriptError, match="cannot tell the text encoding"):
        decode("Li Xiaojun: 人权".encode("gb18030"))
    with pytest.raises(TranscriptError, match="cannot tell the text encoding"):
        decode(("Pokémon café crème brûlée, naïve résumé. " * 40).encode("cp1252"))
    # Traditional Chinese in GB18030 uses rare GB characters: refused, --encoding works.
    data = ZH_HANT.encode("gb18030")
    assert certain_cjk_encoding(data) is None
    assert decode(data, encoding="gb18030") == (ZH_HANT, "gb18030")


def test_big5_read_as_gb_is_not_certain() -> None:
    # Big5 bytes decode as GB18030 too, but mostly to rare characters: only Big5 passes.
    assert certain_cjk_encoding(ZH_HANT.encode("big5")) == ("big5", ZH_HANT)


# --- Command line --------------------------------------------------------------------------


def test_cli_detects_chinese_and_reports_why(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["make", str(ZH_SAMPLE), "-o", str(tmp_path), "-f", "json,srt", "-v"]
    )
    assert result.exit_code == 0, result.output
    assert "language zh-Hans (Han script" in result.output
    json_text = (tmp_path / (ZH_SAMPLE.stem + ".json")).read_text(encoding="utf-8")
    assert '"language": "zh-Hans"' in json_text
    srt = (tmp_path / (ZH_SAMPLE.stem + ".srt")).read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:00,000 --> ")


def test_chinese_labels_take_the_full_width_colon(tmp_path: Path) -> None:
    """In a Chinese document the label is ``寿小丽：`` (no space), in an English one
    ``Shou Xiaoli: ``; check and the preview's reader take both for labels."""
    from aligner.review.text import split_label

    en_sample = ZH_SAMPLE.parent / "scio-briefing-2021-05-31.excerpt.en.txt"
    for sample in (ZH_SAMPLE, en_sample):
        result = CliRunner().invoke(
            main, ["make", str(sample), "-o", str(tmp_path), "-f", "srt,vtt"]
        )
        assert result.exit_code == 0, result.output
    srt = (tmp_path / (ZH_SAMPLE.stem + ".srt")).read_text("utf-8").splitlines()
    assert srt[2] == "寿小丽：女士们、先生们，下午好！"
    assert split_label(srt[2]) == ("寿小丽", "女士们、先生们，下午好！")
    vtt = (tmp_path / (ZH_SAMPLE.stem + ".vtt")).read_text("utf-8")
    assert "<v 寿小丽>寿小丽：女士们" in vtt and "寿小丽: " not in vtt
    english = (tmp_path / (en_sample.stem + ".srt")).read_text("utf-8").splitlines()
    assert english[2].startswith("Shou Xiaoli: ")
    srt_path = str(tmp_path / (ZH_SAMPLE.stem + ".srt"))
    # check detects the language by default; told English, it applies English limits
    detected = CliRunner().invoke(main, ["check", srt_path, "--format", "json", "-v"])
    assert detected.exit_code == 0 and "could-be-one-line" not in detected.output
    english_rules = CliRunner().invoke(main, ["check", srt_path, "--lang", "en"])
    assert "could-be-one-line" in english_rules.output
    result = CliRunner().invoke(main, ["check", srt_path, "--lang", "zh-Hans", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "line-too-long" not in result.output and '"warning": 0' in result.output


def test_cli_lang_overrides_and_space_style(tmp_path: Path) -> None:
    out = tmp_path / "out.srt"
    result = CliRunner().invoke(
        main,
        ["make", str(ZH_SAMPLE), "-o", str(out), "--lang", "zh-Hant", "--cjk-line-end-punct",
         "space", "--max-chars", "14"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "，" not in text and "。" not in text


def test_jieba_is_loaded_lazily_and_quietly(tmp_path: Path) -> None:
    """rjieba (jieba-rs) loads its dictionary when imported: only for Chinese text."""
    code = (
        "import sys\n"
        "from aligner.segment import segment, SegmentRules\n"
        "from aligner.model import Turn\n"
        "segment([Turn('A', 'Good afternoon.')], SegmentRules())\n"
        "assert 'rjieba' not in sys.modules\n"
        "segment([Turn('A', '大家下午好。', 'zh-Hans')], SegmentRules.for_language('zh-Hans'))\n"
        "assert 'rjieba' in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # nothing like Python jieba's "Building prefix dict ..."
