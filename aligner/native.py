"""Process-level settings for the heavy numeric stages (glibc's allocator, BLAS threads).

The aligner's analyses make and free arrays of a few megabytes thousands of times. glibc
serves blocks that large with ``mmap`` and gives them back on ``free``, so every block costs
fresh page faults: measured on an hour of audio, ``vad.measure_wav`` took 5.6 s, 1.9 s of
it in the kernel, and 3.3 s (0.1 s) with freed blocks kept. ``keep_freed_blocks`` raises glibc's
thresholds so freed blocks are reused. It does nothing on other C libraries.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 * 1024 * 1024  # blocks up to this size come from the heap and stay there
TRIM_THRESHOLD = 32 * 1024 * 1024  # free memory at the heap's top kept before giving it back

# One BLAS thread per process: the dtw aligner runs two processes on two cores, and a
# second OpenBLAS thread spinning beside each doubled their CPU time for no gain.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@functools.cache
def keep_freed_blocks() -> bool:
    """Make glibc keep freed blocks of up to 16 MB for reuse; False if it is not glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Within: this process's BLAS uses one thread (``threadpoolctl``)."""
    from threadpoolctl import threadpool_limits

    limits: contextlib.AbstractContextManager[object] = threadpool_limits(limits=1, user_api="blas")
    return limits


def single_threaded_env() -> dict[str, str]:
    """The environment for a numeric subprocess: this one's, with one BLAS thread."""
    return {**os.environ, **ONE_THREAD}
