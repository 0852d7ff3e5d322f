"""The loops of aligner.dtw, in C (aligner/_kernels.c): every array is made by the caller.

Arrays must be C-contiguous and of the dtypes below (a TypeError otherwise); shapes that do
not fit together raise a ValueError.
"""

import numpy as np
import numpy.typing as npt

def warp(
    text: npt.NDArray[np.float32],
    audio: npt.NDArray[np.float32],
    blocked: npt.NDArray[np.bool_],
    skip_audio: npt.NDArray[np.float64],
    skip_text: float,
    stretch: float,
    pause: float,
    back: npt.NDArray[np.int8],
    last_row: npt.NDArray[np.float64],
) -> None: ...
def backtrack(
    back: npt.NDArray[np.int8],
    text: npt.NDArray[np.float32],
    audio: npt.NDArray[np.float32],
    blocked: npt.NDArray[np.bool_],
    end: int,
    first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
    cost: npt.NDArray[np.float64],
) -> None: ...
def guide_rows(
    text: npt.NDArray[np.float32],
    audio: npt.NDArray[np.float32],
    blocked: npt.NDArray[np.bool_],
    costs: tuple[float, float, float, float, float],
    lo: int,
    hi: int,
    rows: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    back: npt.NDArray[np.uint8] | None,
    band_lo: npt.NDArray[np.int64],
    band_hi: npt.NDArray[np.int64],
) -> None: ...
def guide_trace(
    back: npt.NDArray[np.uint8],
    lo: int,
    i: int,
    j: int,
    state: int,
    blocked: npt.NDArray[np.bool_],
    first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
    skipped: npt.NDArray[np.bool_],
) -> tuple[int, int, int]: ...
