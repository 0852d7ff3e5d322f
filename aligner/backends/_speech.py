"""The speech process of the dtw aligner: cue texts in, espeak-ng speech's MFCCs out.

``python -m aligner.backends._speech`` reads a JSON list of ``[text, language]`` pairs on
standard input and writes each one's features as they are made. It imports only what it needs
(not numba), so the process stays small beside the aligner.
"""

from __future__ import annotations

import json
import sys
from typing import BinaryIO

import numpy as np

from aligner import features, tts

TTS_RATE_WPM = 190
# MFCCs 1-8 only: the higher ones describe the voice more than what is said, and a synthetic
# voice must match every speaker (measured: the gap between right and wrong text grows from
# 0.01 to 0.07 in cosine distance on four espeak-ng voices).
N_COEFFS = 8


def _speak_all(items: list[tuple[str, str]], out: BinaryIO) -> None:
    """In the speech process: for each ``(text, language)``, its MFCCs (10 ms frames) as
    ``rows`` (4 bytes, little-endian) then ``rows * N_COEFFS`` float32 values."""
    speaker = tts.shared()
    for text, language in items:
        samples = speaker.speak(text, language=language, rate_wpm=TTS_RATE_WPM)
        if len(samples) == 0:
            samples = np.zeros(features.WINDOW, dtype=np.int16)
        coeffs = np.ascontiguousarray(features.mfcc(samples)[:, :N_COEFFS], dtype="<f4")
        out.write(len(coeffs).to_bytes(4, "little"))
        out.write(coeffs.tobytes())
        out.flush()


if __name__ == "__main__":
    _speak_all(json.loads(sys.stdin.buffer.read()), sys.stdout.buffer)
