"""Process-level settings of the numeric stages (aligner/native.py)."""

from __future__ import annotations

import subprocess
import sys

from aligner import native


def test_glibc_keeps_freed_blocks() -> None:
    # These machines run glibc (Debian/Ubuntu): the setting must take, not silently fail.
    assert native.keep_freed_blocks()


def test_one_blas_thread_inside_the_block() -> None:
    import numpy as np
    from threadpoolctl import threadpool_info

    np.ones((4, 4)) @ np.ones((4, 4))  # BLAS loaded
    with native.one_blas_thread():
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_the_speech_process_runs_one_blas_thread() -> None:
    code = (
        "import numpy; from threadpoolctl import threadpool_info; "
        "print([p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=native.single_threaded_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[1]"
