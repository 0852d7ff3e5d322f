"""aligner.tts: espeak-ng through ctypes, and where its words fall in what it says."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import numpy.typing as npt

from aligner import tts


def _level_db(samples: npt.NDArray[np.int16], at: int, width: int = 320) -> float:
    piece = samples[max(0, at - width) : at + width].astype(np.float64)
    return float(10 * np.log10(np.mean(piece**2) + 1e-9))


def test_marks_fall_where_the_marked_words_are_said() -> None:
    """A mark after a sentence's full stop lands in (or at the end of) the pause espeak-ng
    makes there, between the loud speech of the two sentences; marks come in text order and
    inside the speech; a mark past the last word is the end of the speech."""
    speaker = tts.Espeak()
    text = "Ladies and gentlemen, good afternoon. Welcome to this briefing on human rights."
    marks = [text.index("good"), text.index("Welcome"), len(text)]
    samples, at = speaker.speak_marked(text, marks, language="en", rate_wpm=175)
    assert 0 < at[0] < at[1] < at[2] == len(samples)
    assert at[1] / len(samples) > 0.4  # "Welcome" comes after the first sentence
    # The pause before "Welcome": quieter than the speech on either side of it.
    quiet = min(_level_db(samples, at[1] - k) for k in range(0, 4000, 160))
    assert quiet < _level_db(samples, at[1] + 3200) - 20
    assert quiet < _level_db(samples, at[1] - 8000) - 20


def _said(call: str) -> str:
    code = (
        "import hashlib\nfrom aligner import tts\n"
        f"samples = tts.shared().{call}\n"
        "print(hashlib.sha256(samples.tobytes()).hexdigest(), len(samples))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout


def test_speaking_with_marks_says_the_same_as_without() -> None:
    """Marks only report where the words are: the speech is what ``speak`` makes. (espeak-ng's
    output depends on what it said before in the process, so each is a fresh process.)"""
    text = "何时何地，谢谢大家。"
    plain = _said(f"speak({text!r}, language='zh-Hans', rate_wpm=190)")
    marked = _said(f"speak_marked({text!r}, [5], language='zh-Hans', rate_wpm=190)[0]")
    assert plain == marked and plain.split()[1] != "0"
