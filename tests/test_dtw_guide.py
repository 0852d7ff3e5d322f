"""Tests for aligner.dtw.warp_guide: the whole-recording warp behind the dtw aligner's guide.

Feature rows are random unit vectors: a "recording" is the text's rows, each held for one or
two frames, with pauses and passages of unrelated rows put in; so every test knows where each
text row truly is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from aligner.dtw import GuidePath, warp_guide

Floats = npt.NDArray[np.float32]


def guide(text: Floats, audio: Floats, blocked: npt.NDArray[np.bool_], **kw: Any) -> GuidePath:
    """``warp_guide`` with the dtw aligner's costs."""
    return warp_guide(
        text, audio, blocked=blocked, open_audio=3.0, skip_audio=0.3, open_text=3.0,
        skip_text=0.9, squeeze=0.4, **kw,
    )  # fmt: skip


def unit(rows: npt.NDArray[np.float64]) -> Floats:
    out: Floats = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return out


def noisy(rows: Floats, rng: np.random.Generator, noise: float = 0.5) -> Floats:
    return unit(rows + noise * rng.normal(size=rows.shape) / np.sqrt(rows.shape[1]))


def spoken(text: Floats, rng: np.random.Generator) -> tuple[Floats, npt.NDArray[np.int64]]:
    """The text said once, each row held for 1 or 2 frames; where each row starts."""
    holds = rng.integers(1, 3, size=len(text))
    where = np.concatenate([[0], np.cumsum(holds)[:-1]])
    return noisy(np.repeat(text, holds, axis=0), rng), where


def test_a_passage_the_text_lacks_is_skipped_not_smeared() -> None:
    """Unrelated speech four times as long as the text after it: the text after it stays
    where it is said, and the passage is marked as skipped."""
    rng = np.random.default_rng(1)
    text = unit(rng.normal(size=(300, 8)))
    before, where_before = spoken(text[:150], rng)
    after, where_after = spoken(text[150:], rng)
    passage = unit(rng.normal(size=(4 * len(after), 8)))
    audio = np.concatenate([before, passage, after])
    blocked = np.zeros(len(audio), dtype=np.bool_)
    path = guide(text, audio, blocked)

    truth = np.concatenate([where_before, where_after + len(before) + len(passage)])
    off = np.abs(path.first - truth)
    assert np.median(off) <= 1 and np.mean(off <= 2) >= 0.95, off
    lo, hi = len(before), len(before) + len(passage)
    assert path.skipped[lo + 2 : hi - 2].all()
    assert not path.skipped[: lo - 2].any() and not path.skipped[hi + 2 :].any()


def test_pauses_are_crossed_free_and_never_matched() -> None:
    rng = np.random.default_rng(2)
    text = unit(rng.normal(size=(120, 8)))
    first, where_first = spoken(text[:60], rng)
    second, where_second = spoken(text[60:], rng)
    pause = unit(rng.normal(size=(200, 8)))  # a long pause (its rows are never compared)
    audio = np.concatenate([first, pause, second])
    blocked = np.zeros(len(audio), dtype=np.bool_)
    blocked[len(first) : len(first) + len(pause)] = True
    path = guide(text, audio, blocked)
    truth = np.concatenate([where_first, where_second + len(first) + len(pause)])
    assert np.mean(np.abs(path.first - truth) <= 1) >= 0.95
    pairs = zip(path.first, path.last, strict=True)
    matched = np.concatenate([np.arange(lo, hi + 1) for lo, hi in pairs])
    assert not blocked[matched].any()
    assert not path.skipped.any()  # pauses are not speech the text lacks


def test_a_text_row_takes_at_most_two_frames() -> None:
    """Slopes are limited: even over a recording twice too slow, no text row is held over
    more than two frames (the rest is skipped, not smeared)."""
    rng = np.random.default_rng(3)
    text = unit(rng.normal(size=(100, 8)))
    audio = noisy(np.repeat(text, 4, axis=0), rng)
    path = guide(text, audio, np.zeros(len(audio), dtype=np.bool_))
    spans = path.last - path.first + 1
    assert (path.first >= 0).all() and spans.max() <= 2, spans


def test_text_the_recording_lacks_is_left_unmatched() -> None:
    rng = np.random.default_rng(4)
    text = unit(rng.normal(size=(200, 8)))
    audio, _ = spoken(np.concatenate([text[:80], text[140:]]), rng)
    path = guide(text, audio, np.zeros(len(audio), dtype=np.bool_))
    missing = path.first[85:135]
    assert (missing < 0).mean() >= 0.9, missing
    assert (path.first[:75] >= 0).all() and (path.first[145:] >= 0).all()


@pytest.mark.parametrize("block", [1, 7, 64, None])
def test_the_block_size_does_not_change_the_path(block: int | None) -> None:
    """Directions are recomputed a block of rows at a time: any block gives the same path."""
    rng = np.random.default_rng(5)
    text = unit(rng.normal(size=(90, 8)))
    audio = np.concatenate([spoken(text[:40], rng)[0], unit(rng.normal(size=(60, 8)))])
    audio = np.concatenate([audio, spoken(text[40:], rng)[0]])
    blocked = np.zeros(len(audio), dtype=np.bool_)
    blocked[10:14] = True
    whole = guide(text, audio, blocked, block=len(text))
    path = warp_guide(
        text, audio, blocked=blocked, open_audio=3.0, skip_audio=0.3, open_text=3.0,
        skip_text=0.9, squeeze=0.4, block=block,
    )  # fmt: skip
    assert (path.first == whole.first).all() and (path.last == whole.last).all()
    assert (path.skipped == whole.skipped).all()


def passage_case(seed: int) -> tuple[Floats, Floats, npt.NDArray[np.bool_]]:
    """Text said with a pause and an unrelated passage in it: 300 text rows, ~850 frames."""
    rng = np.random.default_rng(seed)
    text = unit(rng.normal(size=(300, 8)))
    parts = [spoken(text[:100], rng)[0], unit(rng.normal(size=(40, 8)))]
    parts += [spoken(text[100:200], rng)[0], unit(rng.normal(size=(250, 8)))]
    parts += [spoken(text[200:], rng)[0]]
    audio = np.concatenate(parts)
    blocked = np.zeros(len(audio), dtype=np.bool_)
    blocked[len(parts[0]) : len(parts[0]) + 40] = True  # the pause
    return text, audio, blocked


@pytest.mark.parametrize("block", [7, None])
def test_a_band_that_holds_the_path_does_not_change_it(block: int | None) -> None:
    """The banded warp computes only the band's cells: with the band 20 frames either side
    of the whole-table path, its skip over the passage included (or the whole table), the
    path is the same."""
    from aligner.backends._guide import around

    text, audio, blocked = passage_case(6)
    whole = guide(text, audio, blocked)
    m, n = len(text), len(audio)
    narrow = around(whole, 1, m, n, 20)
    assert narrow is not None and (narrow[1] - narrow[0]).max() < n / 2  # it skips the passage
    full = (np.zeros(m, dtype=np.int64), np.full(m, n - 1, dtype=np.int64))
    for band in (narrow, full):
        path = guide(text, audio, blocked, block=block, band=band)
        assert (path.first == whole.first).all() and (path.last == whole.last).all()
        assert (path.skipped == whole.skipped).all()


def test_a_band_too_narrow_for_the_path_is_widened(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's band around its coarse warp: a band of 1 step cannot hold the path past
    the passage; the path reaches its edge, the band is widened until it does not, and the
    result is the whole-table path."""
    from aligner.backends import _guide

    text, audio, blocked = passage_case(7)
    whole = _guide._warp(text, audio, blocked)
    widened: list[int] = []
    real_around = _guide.around

    def around(*args: Any) -> Any:
        widened.append(args[-1])
        return real_around(*args)

    monkeypatch.setattr(_guide, "around", around)
    monkeypatch.setattr(_guide, "BAND_S", 0.2)
    monkeypatch.setattr(_guide, "BAND_EDGE_S", 0.4)
    path = _guide.banded_warp(text, audio, blocked)
    assert len(widened) > 1 and widened == [widened[0] * 2**k for k in range(len(widened))]
    assert (path.first == whole.first).all() and (path.last == whole.last).all()
