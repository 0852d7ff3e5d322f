"""Benchmark `aligner batch`: items per second by executor, and the batch overhead per item.

Inputs, made in a temporary folder: ``--plain`` transcripts without audio (windows of
``--turns`` turns of the seed, each different) and ``--audio`` short transcripts with a
recording spoken by espeak-ng (``scripts/make_sample_audio.py``, a few seconds each), which the
default backend (dtw) aligns. Each configuration runs the real command in a new process on a
fresh output folder, so start-up is included, as a user would see it:

  * ``local --jobs 1``, ``local --jobs 2``;
  * ``dask``: ``--executor dask`` starting its own ``LocalCluster`` of ``--jobs 2`` workers;
  * ``dask, running cluster``: ``--scheduler`` pointing at a ``LocalCluster`` (2 workers)
    started beforehand, as on a real cluster;
  * ``rerun``: the ``local --jobs 2`` folder again, every item up to date.

Then the overhead per item: ``aligner make`` on one item (a new process each time, median of
``--runs``), the same work in one process (``pipeline.run``), and the batch with ``--jobs 1``
per item; the batch overhead is the last minus the work.

Usage: python scripts/bench_batch.py [--plain 200] [--audio 20] [--turns 6] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "scio-briefing-2021-05-31.en.txt"
MAKE_SAMPLE = ROOT / "scripts" / "make_sample_audio.py"
EXE = [sys.executable, "-m", "aligner"]
SPOKEN = [
    "Good morning, and welcome to today's press briefing.",
    "We will take questions after the opening remarks.",
    "Thank you. This year the economy grew by five percent.",
    "Exports rose sharply in the second quarter.",
]


def seed_turns() -> tuple[list[str], list[list[str]]]:
    """The seed's header lines and its turns (speaker line + paragraphs)."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line == "Shou Xiaoli:")
    credit = next(i for i, line in enumerate(lines) if line.startswith("Translated and edited"))
    turns: list[list[str]] = []
    for line in lines[first:credit]:
        if line.endswith(":") and len(line) < 40:
            turns.append([line])
        elif turns and line.strip():
            turns[-1].append(line)
    return lines[:first], turns


def make_inputs(folder: Path, plain: int, audio: int, turns_per_item: int) -> tuple[Path, Path]:
    header, turns = seed_turns()
    plain_dir, audio_dir = folder / "plain", folder / "audio"
    plain_dir.mkdir()
    audio_dir.mkdir()
    for k in range(plain):
        start = k % (len(turns) - turns_per_item)
        body = [line for turn in turns[start : start + turns_per_item] for line in turn]
        text = "\n".join([*header, *body, f"(item {k})"]) + "\n"
        (plain_dir / f"briefing-{k:04d}.txt").write_text(text, encoding="utf-8")
    for k in range(audio):
        who = ("Moderator", "Li")
        spoken = [(who[i // 2], SPOKEN[(i + k) % len(SPOKEN)]) for i in range(len(SPOKEN))]
        lines = folder / f"lines-{k}.txt"
        lines.write_text("".join(f"{w}: {t}\n" for w, t in spoken), encoding="utf-8")
        clip = audio_dir / f"clip-{k:03d}.mp3"
        command = [sys.executable, str(MAKE_SAMPLE), str(lines), "-o", str(clip)]
        command += ["--truth", str(folder / f"truth-{k}.json"), "--seed", str(k)]
        subprocess.run(command, check=True, capture_output=True)
        transcript = "".join(f"{w}:\n{t}\n" for w, t in spoken)
        (audio_dir / f"clip-{k:03d}.txt").write_text(transcript, encoding="utf-8")
    return plain_dir, audio_dir


def timed(command: list[str], *, expect: int = 0) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return seconds


def batch(inputs: list[Path], out: Path, *options: str) -> float:
    return timed([*EXE, "batch", *map(str, inputs), "-o", str(out), "-q", *options])


def worker_seconds(out: Path) -> float:
    report: dict[str, Any] = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    return float(sum(item["seconds"] for item in report["items"]))


def in_process_ms(transcripts: list[Path], audio: bool) -> float:
    """Median ms of pipeline.run (all three formats, texts only) per item, in this process."""
    from aligner.pipeline import Target, run

    samples = []
    for path in transcripts:
        start = time.perf_counter()
        targets = [Target(fmt, None) for fmt in ("srt", "vtt", "json")]
        run(path, targets, audio=path.with_suffix(".mp3") if audio else None)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain", type=int, default=200, help="transcripts without audio")
    parser.add_argument("--audio", type=int, default=20, help="transcripts with a recording")
    parser.add_argument("--turns", type=int, default=6, help="seed turns per plain transcript")
    parser.add_argument("--runs", type=int, default=5, help="runs of `aligner make` per case")
    args = parser.parse_args()
    import distributed

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        plain_dir, audio_dir = make_inputs(folder, args.plain, args.audio, args.turns)
        subsets = {"no audio": [plain_dir], "with audio": [audio_dir]}
        counts = {"no audio": args.plain, "with audio": args.audio}
        local_cluster: Any = distributed.LocalCluster  # only partly annotated
        cluster = local_cluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        configs = {
            "local --jobs 1": ["--jobs", "1"],
            "local --jobs 2": ["--jobs", "2"],
            "dask (own LocalCluster, 2 workers)": ["--executor", "dask", "--jobs", "2"],
            "dask (running LocalCluster, 2 workers)": [
                "--executor",
                "dask",
                "--scheduler",
                str(cluster.scheduler_address),
            ],
        }
        rows: list[tuple[str, dict[str, float]]] = []
        work: dict[str, float] = {}
        try:
            for name, options in configs.items():
                walls = {}
                for subset, inputs in subsets.items():
                    out = folder / "out" / f"{name.split()[0]}-{len(rows)}-{subset[:2]}"
                    walls[subset] = batch(inputs, out, *options)
                    if name == "local --jobs 1":
                        work[subset] = worker_seconds(out)
                    if name == "local --jobs 2":
                        walls[f"rerun {subset}"] = batch(inputs, out, *options)
                rows.append((name, walls))
        finally:
            cluster.close()
        total = sum(counts.values())
        print(
            f"{args.plain} transcripts without audio ({args.turns} seed turns each), "
            f"{args.audio} with a {len(SPOKEN)}-sentence recording; 3 formats each\n"
        )
        print("| executor | no audio, items/s | with audio, items/s | all, items/s | all, s |")
        print("|---|---:|---:|---:|---:|")
        for name, walls in rows:
            both = walls["no audio"] + walls["with audio"]
            print(
                f"| {name} | {counts['no audio'] / walls['no audio']:.1f} "
                f"| {counts['with audio'] / walls['with audio']:.2f} "
                f"| {total / both:.1f} | {both:.1f} |"
            )
        rerun = dict(rows)["local --jobs 2"]
        both = rerun["rerun no audio"] + rerun["rerun with audio"]
        print(
            f"| rerun, all up to date (local --jobs 2) | "
            f"{counts['no audio'] / rerun['rerun no audio']:.1f} "
            f"| {counts['with audio'] / rerun['rerun with audio']:.1f} "
            f"| {total / both:.1f} | {both:.1f} |"
        )
        overhead(folder, plain_dir, audio_dir, rows, work, counts, args.runs)
        shutil.rmtree(folder / "out", ignore_errors=True)


def overhead(
    folder: Path,
    plain_dir: Path,
    audio_dir: Path,
    rows: list[tuple[str, dict[str, float]]],
    work: dict[str, float],
    counts: dict[str, int],
    runs: int,
) -> None:
    """Per item: `aligner make`, the work in one process, the batch; in milliseconds."""
    single = folder / "single"
    single.mkdir()
    plain_one = sorted(plain_dir.glob("*.txt"))[0]
    audio_one = sorted(audio_dir.glob("*.txt"))[0]
    make = [*EXE, "make", "-f", "srt,vtt,json", "-o", str(single)]
    cases = {
        "no audio": [*make, str(plain_one)],
        "with audio": [*make, str(audio_one), "--audio", str(audio_one.with_suffix(".mp3"))],
    }
    make_ms = {k: statistics.median(timed(c) for _ in range(runs)) * 1000 for k, c in cases.items()}
    in_process = {
        "no audio": in_process_ms(sorted(plain_dir.glob("*.txt"))[:40], audio=False),
        "with audio": in_process_ms(sorted(audio_dir.glob("*.txt"))[:5], audio=True),
    }
    jobs1 = dict(rows)["local --jobs 1"]
    print("\nPer item, milliseconds (batch: wall time of `--jobs 1` / items, start-up included)\n")
    print("| per item | no audio | with audio |")
    print("|---|---:|---:|")
    print(
        f"| `aligner make` (a new process) | {make_ms['no audio']:.0f} "
        f"| {make_ms['with audio']:.0f} |"
    )
    print(
        f"| the work in one process (`pipeline.run`) | {in_process['no audio']:.0f} "
        f"| {in_process['with audio']:.0f} |"
    )
    per = {k: jobs1[k] / counts[k] * 1000 for k in counts}
    print(f"| `aligner batch --jobs 1` | {per['no audio']:.0f} | {per['with audio']:.0f} |")
    print(
        f"| batch overhead (batch - work) | {per['no audio'] - in_process['no audio']:.0f} "
        f"| {per['with audio'] - in_process['with audio']:.0f} |"
    )
    inside = {k: work[k] / counts[k] * 1000 for k in counts}
    print(
        f"| of which in the worker (hash + work, from the report) | {inside['no audio']:.0f} "
        f"| {inside['with audio']:.0f} |"
    )


if __name__ == "__main__":
    main()
