"""Benchmark case: the NLTK TIMIT sample assembled into a multi-speaker briefing.

The 160 utterances are grouped by speaker into 16 turns (folder order, utterances sorted by
name). Each utterance is trimmed to its word spans (first word start to last word end, from
the human-made ``.wrd``) and concatenated with pauses of 0.3-0.8 s inside a turn and 1-1.5 s
between turns, over a -65 dBFS noise floor (digital silence is not what a microphone records).
The transcript uses our ``Speaker:`` turn format with a roster header (``DR1-FVMH0``, ...), the
prompt texts of ``.txt`` with hyphens between letters spoken as separate words as ``.wrd``
counts them; every utterance is one paragraph. The truth JSON has the layout of
``make_sample_audio.py`` (``words`` with ``start_ms``/``end_ms``, no ``spans``).

TIMIT is licensed CC BY-NC-SA 3.0 (non-commercial): the outputs are for benchmarks and must
never be copied into the repository or a package. ``bench_align.py`` writes them to
``.cache/bench/`` only.

Usage::

    python scripts/timit_briefing.py --timit /work/shared/realspeech/timit_nltk_sample \\
        --out-dir .cache/bench/timit
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np

RATE = 16000
WITHIN_TURN_S = (0.3, 0.8)
BETWEEN_TURNS_S = (1.0, 1.5)
EDGE_S = 0.5
NOISE_DB = -65.0
_WORD = re.compile(r"[^a-z']")


def normalize(token: str) -> str:
    """A prompt token as ``.wrd`` spells it: lower case, letters and apostrophes.

    Example:
        >>> normalize("Don't,")
        "don't"
    """
    return _WORD.sub("", token.lower())


def utterance_text(txt: Path, words: list[str]) -> str:
    """The prompt with its punctuation, split like ``.wrd`` (``semi-heights`` -> two words)."""
    prompt = txt.read_text("utf-8").split(None, 2)[2].strip()
    prompt = re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", " ", prompt)
    if [normalize(t) for t in prompt.split()] == words:
        return prompt
    return " ".join(words)  # fall back to the plain words


def build(timit: Path, out_dir: Path, *, seed: int = 1) -> dict[str, Any]:
    """Write ``timit-briefing.wav``, ``.txt`` and ``.truth.json`` into ``out_dir``."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    speakers = sorted(p for p in timit.iterdir() if p.is_dir() and p.name.startswith("dr"))
    out_dir.mkdir(parents=True, exist_ok=True)
    audio_path = out_dir / "timit-briefing.wav"
    words_out: list[dict[str, Any]] = []
    turns_text: list[str] = []
    position = 0  # samples written

    def pause(seconds: float) -> np.ndarray[Any, np.dtype[np.int16]]:
        n = int(seconds * RATE)
        level = 32768 * 10 ** (NOISE_DB / 20)
        out: np.ndarray[Any, np.dtype[np.int16]] = noise.normal(0, level, n).astype(np.int16)
        return out

    with wave.open(str(audio_path), "wb") as sink:
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(RATE)

        def emit(samples: np.ndarray[Any, np.dtype[np.int16]]) -> None:
            nonlocal position
            sink.writeframes(samples.astype("<i2").tobytes())
            position += len(samples)

        emit(pause(EDGE_S))
        for t, folder in enumerate(speakers):
            name = folder.name.upper()
            paragraphs = []
            for u, wav_path in enumerate(sorted(folder.glob("*.wav"))):
                if u:
                    emit(pause(rng.uniform(*WITHIN_TURN_S)))
                elif t:
                    emit(pause(rng.uniform(*BETWEEN_TURNS_S)))
                rows = [
                    line.split()
                    for line in wav_path.with_suffix(".wrd").read_text().split("\n")
                    if line.strip()
                ]
                spans = [(int(a), int(b), w) for a, b, w in rows]
                with wave.open(str(wav_path)) as clip:
                    if clip.getframerate() != RATE or clip.getsampwidth() != 2:
                        raise SystemExit(f"{wav_path}: expected 16 kHz 16-bit audio")
                    data = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
                first, last = spans[0][0], max(b for _, b, _ in spans)
                offset = position - first
                emit(data[first:last].astype(np.int16))
                text = utterance_text(wav_path.with_suffix(".txt"), [w for _, _, w in spans])
                for token, (a, b, _) in zip(text.split(), spans, strict=True):
                    words_out.append(
                        {
                            "word": token,
                            "turn": t,
                            "start_ms": round((offset + a) * 1000 / RATE),
                            "end_ms": round((offset + b) * 1000 / RATE),
                            "reported": True,
                        }
                    )
                paragraphs.append(text)
            turns_text.append(f"Speaker {name}:\n" + "".join(f"{p}\n" for p in paragraphs))
        emit(pause(EDGE_S))
    roster = "".join(f"Speaker {p.name.upper()}, TIMIT speaker\n" for p in speakers)
    transcript = f"Speakers:\n{roster}Date:\n1993\n" + "".join(turns_text)
    (out_dir / "timit-briefing.txt").write_text(transcript, "utf-8")
    truth = {
        "audio": audio_path.name,
        "sample_rate": RATE,
        "duration_ms": round(position * 1000 / RATE),
        "source": "TIMIT NLTK sample (CC BY-NC-SA 3.0): benchmarks only, never commit",
        "words": words_out,
        "spans": [],
    }
    (out_dir / "timit-briefing.truth.json").write_text(json.dumps(truth, indent=0), "utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--timit", type=Path, required=True, help="timit_nltk_sample folder")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    build(args.timit, args.out_dir, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
