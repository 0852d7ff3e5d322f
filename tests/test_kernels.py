"""Tests for aligner._kernels: the C loops behind aligner.dtw.

Small warps worked out by hand (every direction, ties included), the 8-feature fast path
against the general one, and arguments that do not fit: a clear exception, never a crash or a
buffer left held.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from aligner import _kernels
from aligner.dtw import warp, warp_guide

Floats = npt.NDArray[np.float32]
DIAGONAL, COMPRESS, STRETCH, SKIP_AUDIO, SKIP_TEXT = 0, 1, 2, 3, 4


def rows(*axes: int, d: int = 8) -> Floats:
    """Unit rows along the given axes: their costs against each other are exactly 0 or 1."""
    return np.eye(d, dtype=np.float32)[list(axes)]


def test_warp_directions_and_path_worked_out_by_hand() -> None:
    """Text a, b on recording a, a, b. Skips cost 1 like a mismatch, so three moves tie; each
    tie must keep the earlier move (diagonal, then the cell above, then the cell to the left).
    """
    text, audio = rows(0, 1), rows(0, 0, 1)
    blocked = np.zeros(3, dtype=np.bool_)
    back = np.empty((2, 3), dtype=np.int8)
    last_row = np.empty(4)
    _kernels.warp(text, audio, blocked, np.ones(2), 1.0, 0.0, -1.0, back, last_row)
    # row a: match, hold it for free, then skip b (a mismatch would cost the same 1)
    # row b: skip the text frame (a compress would cost the same 1), then the diagonal beats
    # an equal compress, then b on b
    assert back.tolist() == [[DIAGONAL, STRETCH, SKIP_AUDIO], [SKIP_TEXT, DIAGONAL, DIAGONAL]]
    assert last_row.tolist() == [2.0, 1.0, 1.0, 0.0]

    path = warp(text, audio, skip_audio=1.0, skip_text=1.0, open_end=False)
    assert path.first.tolist() == [0, 2] and path.last.tolist() == [1, 2]
    assert path.cost.tolist() == [0.0, 0.0]
    assert (path.end, path.score) == (3, 0.0)


def test_warp_crosses_a_blocked_frame_for_free_with_pause_zero() -> None:
    """Text a, b on recording a, (applause), b: the applause is skipped, not matched."""
    text, audio = rows(0, 1), rows(0, 2, 1)
    blocked = np.array([False, True, False])
    back = np.empty((2, 3), dtype=np.int8)
    last_row = np.empty(4)
    _kernels.warp(text, audio, blocked, np.ones(2), 1.0, 0.1, 0.0, back, last_row)
    assert back.tolist() == [[DIAGONAL, SKIP_AUDIO, SKIP_AUDIO], [SKIP_TEXT, SKIP_TEXT, DIAGONAL]]
    assert last_row.tolist() == [2.0, 1.0, 1.0, 0.0]
    kw: dict[str, Any] = dict(blocked=blocked, skip_audio=1.0, skip_text=1.0, open_end=False)
    path = warp(text, audio, stretch=0.1, pause=0, **kw)
    assert path.first.tolist() == [0, 2] and path.last.tolist() == [0, 2]
    assert (path.end, path.score) == (3, 0.0)
    # without ``pause`` the blocked frame costs a skip like any other: the same path, one skip
    # dearer (2 * 1 / (2 + 3))
    path = warp(text, audio, stretch=0.1, **kw)
    assert path.first.tolist() == [0, 2] and path.score == 0.4


def test_warp_open_end_stops_at_the_texts_last_frame() -> None:
    text, audio = rows(0, 1), rows(0, 1, 2, 3, 2)
    path = warp(text, audio, skip_audio=0.5, skip_text=0.5, open_end=True)
    assert path.first.tolist() == [0, 1] and path.last.tolist() == [0, 1]
    assert path.end == 2
    assert warp(text, audio, skip_audio=0.5, skip_text=0.5, open_end=False).end == 5


def test_guide_on_a_pause_worked_out_by_hand() -> None:
    """Text a, b on recording a, (pause), b, c: the pause is crossed in the match state, and
    c, speech the text lacks, is skipped."""
    text, audio = rows(0, 1), rows(0, 3, 1, 2)
    blocked = np.array([False, True, False, False])
    path = warp_guide(
        text, audio, blocked=blocked, open_audio=0.5, skip_audio=0.3, open_text=0.5,
        skip_text=0.9, squeeze=0.4,
    )  # fmt: skip
    assert path.first.tolist() == [0, 2] and path.last.tolist() == [0, 2]
    assert path.skipped.tolist() == [False, False, False, True]


def unit(rng: np.random.Generator, n: int, d: int) -> Floats:
    x = rng.normal(size=(n, d))
    out: Floats = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def test_match_cost_is_single_precision_products_summed_in_double() -> None:
    """numba's arithmetic, kept so that paths did not move: each product of two float32
    values is rounded to float32, then added in order to a float64 sum."""
    rng = np.random.default_rng(3)
    text, audio = unit(rng, 1, 8), unit(rng, 1, 8)
    products = [np.float32(t) * np.float32(a) for t, a in zip(text[0], audio[0], strict=True)]
    expected = 1.0 - sum((float(p) for p in products), 0.0)
    in_double = 1.0 - sum((float(t) * float(a) for t, a in zip(text[0], audio[0], strict=True)))
    assert expected != in_double  # the case tells the two apart
    path = warp(text, audio, skip_audio=9.0, skip_text=9.0, open_end=False)
    assert path.first.tolist() == [0] and path.cost[0] == expected
    # The table's costs are computed a row at a time, frames side by side (SIMD lanes, and a
    # scalar rest): the same sums. With free skips, the whole path costs its best frame.
    audio = unit(rng, 13, 8)
    each = [
        1.0
        - sum(
            (float(np.float32(t) * np.float32(a)) for t, a in zip(text[0], row, strict=True)), 0.0
        )
        for row in audio
    ]
    path = warp(text, audio, skip_audio=0.0, skip_text=9.0, open_end=False)
    assert path.score == 2 * min(each) / (1 + len(audio))


def test_eight_features_and_any_other_number_agree() -> None:
    """Eight features take an unrolled path; zeros added to every row change no sum, so the
    general path must give the very same warps."""
    rng = np.random.default_rng(7)
    text = unit(rng, 60, 8)
    audio = np.repeat(text, 2, axis=0) + 0.3 * unit(rng, 120, 8)
    audio = np.concatenate([unit(rng, 30, 8), audio / np.linalg.norm(audio, axis=1)[:, None]])
    blocked = rng.random(len(audio)) < 0.1
    wide_text = np.pad(text, ((0, 0), (0, 3)))
    wide_audio = np.pad(audio, ((0, 0), (0, 3))).astype(np.float32)
    kw: dict[str, Any] = dict(blocked=blocked, skip_audio=0.6, skip_text=0.8, stretch=0.05)
    eight, wide = warp(text, audio, **kw), warp(wide_text, wide_audio, **kw)
    assert eight.first.tolist() == wide.first.tolist() and eight.last.tolist() == wide.last.tolist()
    assert eight.cost.tobytes() == wide.cost.tobytes() and eight.score == wide.score
    costs: dict[str, Any] = dict(
        open_audio=3.0, skip_audio=0.3, open_text=3.0, skip_text=0.9, squeeze=0.4
    )
    eight_g = warp_guide(text, audio, blocked=blocked, block=7, **costs)
    wide_g = warp_guide(wide_text, wide_audio, blocked=blocked, block=7, **costs)
    assert eight_g.first.tolist() == wide_g.first.tolist()
    assert eight_g.last.tolist() == wide_g.last.tolist()
    assert eight_g.skipped.tolist() == wide_g.skipped.tolist()
    # and the path is the one the recording says: each text frame on its two frames
    assert np.mean(np.abs(eight.first - (30 + 2 * np.arange(60))) <= 1) > 0.9


def warp_args(**change: Any) -> list[Any]:
    args: dict[str, Any] = dict(
        text=rows(0, 1), audio=rows(0, 1, 2), blocked=np.zeros(3, dtype=np.bool_),
        skip_audio=np.ones(2), skip_text=1.0, stretch=0.0, pause=-1.0,
        back=np.empty((2, 3), dtype=np.int8), last_row=np.empty(4),
    )  # fmt: skip
    args.update(change)
    return list(args.values())


def test_shapes_that_do_not_fit_raise_value_error() -> None:
    text, audio = rows(0, 1), rows(0, 1, 2)
    with pytest.raises(ValueError, match=r"blocked has 2 on axis 0, expected 3"):
        warp(text, audio, blocked=np.zeros(2, dtype=np.bool_), skip_audio=1.0, skip_text=1.0)
    with pytest.raises(ValueError, match=r"audio has 5 on axis 1, expected 8"):
        warp(text, audio[:, :5], skip_audio=1.0, skip_text=1.0)
    with pytest.raises(ValueError, match=r"skip_audio has 3 on axis 0, expected 2"):
        _kernels.warp(*warp_args(skip_audio=np.ones(3)))
    with pytest.raises(ValueError, match=r"back has 3 on axis 1, expected 4"):
        _kernels.warp(*warp_args(audio=rows(0, 1, 2, 3), blocked=np.zeros(4, dtype=np.bool_)))
    with pytest.raises(ValueError, match="audio has 5 on axis 1"):
        warp_guide(
            text, audio[:, :5], blocked=np.zeros(3, dtype=np.bool_), open_audio=1.0,
            skip_audio=1.0, open_text=1.0, skip_text=1.0,
        )  # fmt: skip
    back = np.empty((2, 3), dtype=np.int8)
    with pytest.raises(ValueError, match="end is 4"):
        _kernels.backtrack(
            back, text, audio, np.zeros(3, dtype=np.bool_), 4, np.empty(2, dtype=np.int64),
            np.empty(2, dtype=np.int64), np.empty(2),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": rows(0, 1).astype(np.float64)}, "text must be an array of float32"),
        ({"blocked": np.zeros(3, dtype=np.uint8)}, "blocked must be an array of bool"),
        ({"back": np.empty((2, 3), dtype=np.uint8)}, "back must be an array of int8"),
        ({"last_row": np.empty(4)[::-1]}, "last_row must be a C-contiguous, writable"),
        ({"audio": np.asfortranarray(rows(0, 1, 2))}, "audio must be a C-contiguous"),
        ({"audio": [[1.0] * 8] * 3}, "audio must be a C-contiguous"),
    ],
)
def test_wrong_arrays_raise_type_error(change: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        _kernels.warp(*warp_args(**change))


def test_a_read_only_output_is_refused() -> None:
    last_row = np.empty(4)
    last_row.flags.writeable = False
    with pytest.raises(TypeError, match="last_row must be a C-contiguous, writable"):
        _kernels.warp(*warp_args(last_row=last_row))


def test_buffers_are_released_on_every_path() -> None:
    """A buffer held by the module keeps a reference to its array: the counts come back."""
    args = warp_args(last_row=np.empty(5))  # every array taken, then the last shape refused
    before = [sys.getrefcount(a) for a in args]
    with pytest.raises(ValueError, match="last_row has 5"):
        _kernels.warp(*args)
    assert [sys.getrefcount(a) for a in args] == before
    args[-1] = np.empty(4)
    before = [sys.getrefcount(a) for a in args]
    _kernels.warp(*args)
    assert [sys.getrefcount(a) for a in args] == before


def test_guide_rows_and_trace_refuse_rows_outside_the_text() -> None:
    text, audio = rows(0, 1), rows(0, 1, 2)
    blocked = np.zeros(3, dtype=np.bool_)
    start = np.full((2, 3, 4), 1e30)
    band = np.ones(2, dtype=np.int64), np.full(2, 3, dtype=np.int64)
    costs = (1.0, 1.0, 1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"rows 0\.\.3 are not within the text's 0\.\.2"):
        _kernels.guide_rows(text, audio, blocked, costs, 0, 3, start, start.copy(), None, *band)
    with pytest.raises(ValueError, match="back has 1 rows, fewer than the 2 computed"):
        back = np.empty((1, 3), dtype=np.uint8)
        _kernels.guide_rows(text, audio, blocked, costs, 0, 2, start, start.copy(), back, *band)
    first, last = np.full(2, -1, dtype=np.int64), np.full(2, -1, dtype=np.int64)
    with pytest.raises(ValueError, match="outside the directions"):
        back = np.zeros((1, 3), dtype=np.uint8)
        _kernels.guide_trace(back, 0, 1, 2, 0, blocked, first, last, np.zeros(3, np.bool_))
