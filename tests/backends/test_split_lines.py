"""aligner.backends.split_lines: a Line a backend cut into several cues, between display lines."""

from __future__ import annotations

import pytest

from aligner.backends import split_lines
from aligner.errors import AlignmentError
from aligner.model import Cue, Line

LINE = Line("寿小丽", "谢谢李晓军先生。\n下面请李晓女士介绍情况。", "zh-Hans", 3, True, "寿小丽：")
OTHER = Line("李晓", "媒体朋友们，下午好。", "zh-Hans", 4, True, "李晓：")


def cue(text: str, start: int) -> Cue:
    return Cue(start, start + 900, "寿小丽", text, "zh-Hans", 3)


def test_a_line_cut_in_two_becomes_two_lines() -> None:
    cues = [
        cue("谢谢李晓军先生。", 0),
        cue("下面请李晓女士介绍情况。", 20_000),
        cue(OTHER.text, 30_000),
    ]
    first, second, other = split_lines([LINE, OTHER], cues, "dtw")
    assert (first.text, first.label, first.ends_sentence) == ("谢谢李晓军先生。", "寿小丽：", True)
    assert (second.text, second.label) == ("下面请李晓女士介绍情况。", "")
    assert (second.speaker, second.turn_index, second.language) == ("寿小丽", 3, "zh-Hans")
    assert other == OTHER


@pytest.mark.parametrize(
    "texts",
    [
        ["谢谢李晓军先生。", "下面请李晓女士", OTHER.text],  # not the Line's display lines
        ["谢谢李晓军先生。", "下面请李晓女士介绍情况。", OTHER.text, "多余"],  # one too many
    ],
)
def test_cues_that_do_not_hold_the_lines_are_an_error(texts: list[str]) -> None:
    with pytest.raises(AlignmentError, match="returned"):
        split_lines([LINE, OTHER], [cue(t, 1000 * k) for k, t in enumerate(texts)], "dtw")
