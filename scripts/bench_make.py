"""Benchmark `aligner make` on the seed and on a transcript 20 times its size.

Prints wall times (median of several runs, start-up included) next to two baselines run in the
same loop, so the figures survive a noisy shared machine as ratios:
  * `python -c pass`: the interpreter's own start-up, the floor for any Python command;
  * the seed run: the 20x run is reported as a ratio to it (linear growth = 20x).
Then an in-process breakdown by stage for the 20x transcript.

Usage: python scripts/bench_make.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "scio-briefing-2021-05-31.en.txt"


def big_transcript(folder: Path, times: int) -> Path:
    """The seed's header once, then its turns ``times`` times, then its credit."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    first_turn = next(i for i, line in enumerate(lines) if line == "Shou Xiaoli:")
    credit = next(i for i, line in enumerate(lines) if line.startswith("Translated and edited"))
    body = lines[first_turn:credit]
    text = "\n".join(lines[:first_turn] + body * times + lines[credit:]) + "\n"
    path = folder / f"seed-x{times}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = big_transcript(folder, 20)
        exe = [sys.executable, "-m", "aligner", "make"]
        cases = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "seed, srt+vtt+json": [*exe, str(SEED), "-f", "srt,vtt,json", "-o", tmp],
            "seed x20, srt+vtt+json": [*exe, str(big), "-f", "srt,vtt,json", "-o", tmp],
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):  # interleaved, so load on the machine hits every case alike
            for name, cmd in cases.items():
                samples[name].append(timed(cmd))
        medians = {name: statistics.median(values) for name, values in samples.items()}
        base = medians["python -c pass (baseline)"]
        seed = medians["seed, srt+vtt+json"]
        print(f"{'case':28} {'median s':>9} {'min s':>7} {'x python':>9} {'x seed':>7}")
        for name, values in samples.items():
            print(
                f"{name:28} {medians[name]:9.3f} {min(values):7.3f} "
                f"{medians[name] / base:9.1f} {medians[name] / seed:7.2f}"
            )
        print(f"seed x20 has {big.stat().st_size / SEED.stat().st_size:.1f}x the seed's bytes")
        stages(big)


def stages(path: Path) -> None:
    """Seconds per stage, in this process, for one transcript."""
    from aligner.backends import align
    from aligner.model import Subtitles
    from aligner.pipeline import render
    from aligner.segment import SegmentRules, segment
    from aligner.transcript import read_transcript
    from aligner.writers import speaker_label

    marks = [time.perf_counter()]
    transcript = read_transcript(path)
    marks.append(time.perf_counter())
    rules = SegmentRules()
    lines = segment(transcript.turns, rules, label_for=lambda n: speaker_label(n, "name"))
    marks.append(time.perf_counter())
    cues = align(lines, rules=rules)
    marks.append(time.perf_counter())
    doc = Subtitles(tuple(cues), transcript.speakers, transcript.language)
    for fmt in ("srt", "vtt", "json"):
        render(doc, fmt)
    marks.append(time.perf_counter())
    names = ["parse", "segment", "time", "write x3"]
    parts = ", ".join(f"{n} {b - a:.3f}" for n, a, b in zip(names, marks, marks[1:], strict=False))
    print(f"stages for {path.name} ({len(transcript.turns)} turns, {len(cues)} cues): {parts} s")


if __name__ == "__main__":
    main()
