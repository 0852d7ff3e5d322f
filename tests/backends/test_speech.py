"""The dtw aligner's speech process: started ahead, taken once, stopped when unused."""

from __future__ import annotations

import numpy as np
import pytest

from aligner.backends import _speech
from aligner.backends._speech import Synth, speaking_ahead
from aligner.errors import BackendUnavailableError
from aligner.model import Line

LINES = [
    Line("A", "Good afternoon,\neveryone.", "en", 0, True),
    Line("B", "大家下午好。", "zh-Hans", 1, True),
]


def test_a_process_started_ahead_speaks_the_cues_of_the_first_synth() -> None:
    with speaking_ahead():
        early = _speech._early.process
        assert early is not None and early.poll() is None
        with speaking_ahead():  # nested: nothing more is started
            assert _speech._early.process is early
        with Synth(LINES) as synth:
            assert synth._process is early
            frames = [synth.raw(k) for k in range(len(LINES))]
            assert synth.marks(0) and 0 < synth.marks(0)[0] < len(frames[0])
            assert synth.marks(1) == ()
        with Synth(LINES[:1]) as again:  # taken once: a second Synth starts its own
            assert again._process is not early
            assert np.array_equal(again.raw(0), frames[0])  # a fresh process says the same
    assert _speech._early.process is None


def test_a_process_nobody_takes_is_stopped() -> None:
    with speaking_ahead():
        early = _speech._early.process
        assert early is not None
    assert early.returncode is not None  # killed and reaped at the block's end


def test_a_process_that_stopped_early_is_an_error_not_a_broken_pipe() -> None:
    """espeak-ng missing: the process stops before the cues reach it."""
    with speaking_ahead():
        early = _speech._early.process
        assert early is not None
        early.kill()
        early.wait()
        with Synth(LINES * 2000) as synth, pytest.raises(BackendUnavailableError):
            synth.raw(0)
