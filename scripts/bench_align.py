"""Alignment benchmark: our aligner against aeneas alone, on the same cues, with exact truth.

Engines, each run as a subprocess (wall time and peak memory of its whole process tree):

* ``ours``: ``python -m aligner make TRANSCRIPT --audio AUDIO -f json -o OUT`` (the default
  backend with audio, whatever it is at the time: our own ``dtw`` engine since it beat aeneas);
* ``ours-aeneas``: the same with ``--aligner aeneas`` (aeneas inside our pipeline; its worker
  process is included);
* ``aeneas-default``: ``scripts/aeneas_alone.py --preset default``, aeneas 1.7.3 as shipped;
* ``aeneas-tuned``: ``--preset tuned`` (nonspeech masking, ``dtw_margin=120``, pauses of
  200 ms+ removed).

All three align the same fragments: the cues ``aligner make`` cuts from the transcript (one
fragment per cue, its display lines joined by spaces). Cue k covers the next ``len(words)``
whitespace tokens of the turns, so its truth is the truth start of its first word and the truth
end of its last (``make_sample_audio.py``'s ``words``). A Chinese truth (``"unit":
"character"``) times every character but whitespace: cue k then covers the next characters of
its text, by position, whatever the word segmentation.

Cases (audio generated once into ``.cache/bench/``, reused while the generator and its
arguments are unchanged): ``sample`` (the committed excerpt), ``mandarin`` (the committed
Chinese excerpt spoken by espeak-ng's ``cmn`` voices), ``synthetic-10min-clean``,
``synthetic-10min-hard``, ``synthetic-60min-clean``, ``synthetic-60min-hard`` and ``timit``
(the TIMIT NLTK sample as a 16-speaker briefing; non-commercial licence: cache only).

Usage::

    python scripts/bench_align.py                       # every case, every engine
    python scripts/bench_align.py --cases sample,timit --engines ours,aeneas-tuned
    python scripts/bench_align.py --json .cache/bench/results.json

See ``docs/benchmarks.md`` for what each metric means.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aligner.segment import SegmentRules

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
CACHE = ROOT / ".cache" / "bench"
SEED_TRANSCRIPT = ROOT / "samples" / "scio-briefing-2021-05-31.en.txt"
SAMPLE = "scio-briefing-2021-05-31.excerpt"
# Cases on the committed samples: name -> (language of samples/SAMPLE.LANG.txt/.mp3, truth)
COMMITTED = {
    "sample": ("en", f"{SAMPLE}.truth.json"),
    "mandarin": ("zh-Hans", f"{SAMPLE}.zh-Hans.truth.json"),
}
TIMIT = Path(os.environ.get("TIMIT_SAMPLE", "/work/shared/realspeech/timit_nltk_sample"))
# "ours": `aligner make --audio` with its default backend (our own dtw engine);
# "ours-aeneas": the same with `--aligner aeneas` (aeneas inside our pipeline).
ENGINES = ("ours", "ours-aeneas", "aeneas-default", "aeneas-tuned")
HARD = ["--noise-db", "-45", "--babble-db", "-35", "--tone", "2"]
CASES: dict[str, list[str]] = {
    # name -> make_sample_audio.py arguments ("" = not synthetic)
    "sample": [],
    "mandarin": [],
    # Cut between paragraphs: the seed's second turn alone takes 5 minutes.
    "synthetic-10min-clean": ["--max-seconds", "600", "--cut-at", "paragraph", "--seed", "11"],
    "synthetic-10min-hard": [
        *["--max-seconds", "600", "--cut-at", "paragraph", "--seed", "11", *HARD],
        *["--applause", "4", "--untranscribed", "2"],
    ],
    "synthetic-60min-clean": ["--repeat", "2", "--max-seconds", "3600", "--seed", "61"],
    "synthetic-60min-hard": [
        *["--repeat", "2", "--max-seconds", "3600", "--seed", "61", *HARD],
        *["--applause", "12", "--untranscribed", "4"],
    ],
    "timit": [],
    # Not among the defaults (aeneas alone needs 4-8 GB on it): --cases synthetic-120min-hard.
    "synthetic-120min-hard": [
        *["--repeat", "4", "--max-seconds", "7200", "--seed", "121", *HARD],
        *["--applause", "24", "--untranscribed", "8"],
    ],
    # The committed Chinese excerpt's transcript, spoken again with the hard case's troubles.
    "mandarin-hard": [
        *["--seed", "5", *HARD, "--applause", "3", "--untranscribed", "1"],
    ],
}
OPTIONAL_CASES = {"synthetic-120min-hard"}
# Synthetic cases made from another transcript than the seed.
TRANSCRIPTS = {"mandarin-hard": ROOT / "samples" / f"{SAMPLE}.zh-Hans.txt"}
POLL_S = 0.05
CHAINED_MS = 150


@dataclass(frozen=True)
class Case:
    name: str
    transcript: Path
    audio: Path
    truth: Path


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float


# ---------------------------------------------------------------------------------------------
# Cases


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.read_bytes() if isinstance(part, Path) else repr(part).encode())
    return h.hexdigest()[:12]


def prepare(name: str, cache: Path) -> Case:
    """The case's files, generated into ``cache`` unless already there."""
    if name in COMMITTED:
        language, truth = COMMITTED[name]
        stem = ROOT / "samples" / f"{SAMPLE}.{language}"
        return Case(name, Path(f"{stem}.txt"), Path(f"{stem}.mp3"), ROOT / "samples" / truth)
    if name == "timit":
        script = SCRIPTS / "timit_briefing.py"
        folder = cache / f"timit-{_digest(script)}"
        stem = folder / "timit-briefing"
        if not stem.with_suffix(".truth.json").exists():
            log(f"generating {name} ...")
            command = [sys.executable, str(script), "--timit", str(TIMIT), "--out-dir", str(folder)]
            subprocess.run(command, check=True)
        return Case(
            name,
            stem.with_suffix(".txt"),
            stem.with_suffix(".wav"),
            stem.with_suffix(".truth.json"),
        )
    args = CASES[name]
    script = SCRIPTS / "make_sample_audio.py"
    source = TRANSCRIPTS.get(name, SEED_TRANSCRIPT)
    folder = cache / f"{name}-{_digest(script, source, args)}"
    case = Case(name, folder / "transcript.txt", folder / "audio.wav", folder / "truth.json")
    if not case.truth.exists():
        log(f"generating {name} ...")
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(script), "--transcript", str(source), *args]
        command += ["-o", str(case.audio), "--write-transcript", str(case.transcript)]
        started = time.perf_counter()
        subprocess.run([*command, "--truth", str(case.truth)], check=True)
        log(f"  {time.perf_counter() - started:.1f} s")
    return case


# ---------------------------------------------------------------------------------------------
# Running an engine: wall time and peak memory of the process tree


def _tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(command: Sequence[str]) -> Run:
    """Run ``command``; wall seconds and the peak resident MB of its process tree.

    The tree is polled every 50 ms (the sum over live processes). ``wait4``'s ``ru_maxrss``
    (the largest single process of the tree) is the floor when a peak falls between polls.
    """
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=errors, cwd=ROOT)
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, _tree_rss_kb(proc.pid))
            time.sleep(POLL_S)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            tail = errors.read()[-2000:]
            raise RuntimeError(f"{' '.join(command[:5])} failed ({proc.returncode}): {tail}")
    return Run(seconds, max(peak_kb, usage.ru_maxrss) / 1024)


def cue_texts(case: Case, scratch: Path) -> list[dict[str, Any]]:
    """The cues ``aligner make`` cuts from the transcript (no audio: the same cut, fast)."""
    out = scratch / "cut.json"
    command = [sys.executable, "-m", "aligner", "make", str(case.transcript), "-f", "json"]
    subprocess.run([*command, "-o", str(out)], check=True, cwd=ROOT)
    cues: list[dict[str, Any]] = json.loads(out.read_text("utf-8"))["cues"]
    return cues


Pieces = list[tuple[int, int]]


def run_engine(
    engine: str, case: Case, texts: list[str], scratch: Path
) -> tuple[Run, list[Pieces], list[list[str]]]:
    """``(run, [[(start_ms, end_ms), ...], ...], [[text, ...], ...])`` of one engine on one
    case: the times of each cue of the cut, in pieces where ``ours`` cut a cue in two around a
    passage it found unexplained (between two of its display lines), and the pieces' texts."""
    out = scratch / f"{engine}.json"
    if engine.startswith("ours"):
        command = [sys.executable, "-m", "aligner", "make", str(case.transcript)]
        command += ["--audio", str(case.audio), "-f", "json", "-o", str(out)]
        if engine == "ours-aeneas":
            command += ["--aligner", "aeneas"]
        run = measure(command)
        cues = json.loads(out.read_text("utf-8"))["cues"]
        return run, *_pieces(engine, cues, texts)
    texts_path = scratch / "texts.json"
    texts_path.write_text(json.dumps(texts), "utf-8")
    command = [sys.executable, str(SCRIPTS / "aeneas_alone.py"), "--audio", str(case.audio)]
    command += ["--texts", str(texts_path), "--out", str(out)]
    # aeneas reads the text with the voice of the language it is told (eng unless Chinese).
    language = "cmn" if any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t) else "eng"
    command += ["--language", language]
    run = measure([*command, "--preset", engine.removeprefix("aeneas-")])
    fragments = json.loads(out.read_text("utf-8"))["fragments"]
    return run, [[(f["begin_ms"], f["end_ms"])] for f in fragments], [[t] for t in texts]


def _pieces(
    engine: str, cues: list[dict[str, Any]], texts: list[str]
) -> tuple[list[Pieces], list[list[str]]]:
    """The cues of ``ours`` grouped by the cue of the cut they come from, and their texts."""
    out: list[Pieces] = []
    said: list[list[str]] = []
    at = 0
    for text in texts:
        lines: list[str] = []
        pieces: Pieces = []
        said.append([])
        while at < len(cues) and " ".join(lines) != text:
            lines += cues[at]["lines"]
            pieces.append((cues[at]["start_ms"], cues[at]["end_ms"]))
            said[-1].append(" ".join(cues[at]["lines"]))
            at += 1
        if " ".join(lines) != text:
            raise RuntimeError(f"{engine}: cues differ from the cut without audio")
        out.append(pieces)
    if at != len(cues):
        raise RuntimeError(f"{engine}: cues differ from the cut without audio")
    return out, said


# ---------------------------------------------------------------------------------------------
# Scoring


def cue_tokens(text: str, unit: str = "word") -> list[str]:
    """What a cue's text holds in the truth's unit: whitespace tokens, or characters.

    Example:
        >>> cue_tokens("中国 COVID-19。", "character")
        ['中', '国', 'C', 'O', 'V', 'I', 'D', '-', '1', '9', '。']
    """
    return [ch for ch in text if not ch.isspace()] if unit == "character" else text.split()


def truth_spans(
    cues: Sequence[str], words: Sequence[dict[str, Any]], unit: str = "word"
) -> list[tuple[int, int]]:
    """Truth ``(start_ms, end_ms)`` of each cue: its first token's start, its last token's end.

    ``unit`` is the truth's (``"word"``, or ``"character"`` for Chinese, whose cues are mapped
    to the truth by character position).
    """
    spans = []
    at = 0
    for text in cues:
        tokens = cue_tokens(text, unit)
        n = len(tokens)
        first, last = words[at], words[at + n - 1]
        for k, token in enumerate(tokens):
            if words[at + k]["word"] != token:
                raise RuntimeError(f"cue word {token!r} is {words[at + k]['word']!r} in the truth")
        spans.append((int(first["start_ms"]), int(last["end_ms"])))
        at += n
    if at != len(words):
        raise RuntimeError(f"the cues hold {at} words, the truth {len(words)}")
    return spans


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def score(
    pieces: Sequence[Pieces],
    truth: Sequence[tuple[int, int]],
    inserts: Sequence[dict[str, Any]],
    run: Run,
    *,
    piece_truth: Sequence[Sequence[tuple[int, int]]],
    min_gap_ms: int,
) -> dict[str, float]:
    """A cue cut in pieces starts with its first and ends with its last; the starts of its
    later pieces, against ``piece_truth`` (each piece's truth), are scored on their own.

    ``min_gap_ms`` is the gap the engines were asked to leave between cues: the ends that can
    be 0-200 ms after their speech with it are scored on their own too."""
    got = [(p[0][0], p[-1][1]) for p in pieces]
    later = [
        abs(p[k][0] - t[k][0])
        for p, t in zip(pieces, piece_truth, strict=True)
        for k in range(1, len(p))
    ]
    starts = [abs(g[0] - t[0]) for g, t in zip(got, truth, strict=True)]
    ends = [g[1] - t[1] for g, t in zip(got, truth, strict=True)]
    # A cue whose next one is said without a pause (under CHAINED_MS later) cannot end after
    # its speech and still leave the minimum gap before the next start.
    chained = [b[0] - a[1] < CHAINED_MS for a, b in itertools.pairwise(truth)] + [False]
    # With every start on its speech, an end 0-200 ms after the speech can leave the minimum
    # gap only where the next cue's speech starts at least that gap after this one's ends.
    reachable = [b[0] - a[1] >= min_gap_ms for a, b in itertools.pairwise(truth)] + [True]
    reached = [0 <= e <= 200 for e, r in zip(ends, reachable, strict=True) if r]
    over = 0
    for start, end in itertools.chain.from_iterable(pieces):
        for span in inserts:
            over += max(0, min(end, span["end_ms"]) - max(start, span["start_ms"]))
    return {
        "cues": len(got),
        "split": sum(len(p) > 1 for p in pieces),
        "start_median_ms": statistics.median(starts),
        "start_p95_ms": _percentile(starts, 0.95),
        "start_max_ms": max(starts),
        "starts_within_100ms": sum(e <= 100 for e in starts) / len(starts),
        "ends_0_200ms_after": sum(0 <= e <= 200 for e in ends) / len(ends),
        "ends_ok_chained": sum(
            -CHAINED_MS <= e <= 200 if c else 0 <= e <= 200
            for e, c in zip(ends, chained, strict=True)
        )
        / len(ends),
        "chained": sum(chained) / len(ends),
        "ends_reachable": len(reached) / len(ends),
        "ends_0_200ms_where_reachable": sum(reached) / max(1, len(reached)),
        "end_abs_median_ms": statistics.median(abs(e) for e in ends),
        "starts_off_over_1s": sum(e > 1000 for e in starts),
        "later_piece_start_max_ms": max(later, default=0),
        "seconds_over_inserts": over / 1000,
        "wall_s": run.seconds,
        "peak_mb": run.peak_mb,
    }


def _ms(v: float) -> str:
    return f"{v:.0f}"


ROWS: list[tuple[str, str, Callable[[float], str]]] = [
    ("cues", "cues", lambda v: f"{v:.0f}"),
    (
        "split",
        "cues cut in two (around unexplained speech, or said too long)",
        lambda v: f"{v:.0f}",
    ),
    ("start_median_ms", "start abs err median ms", lambda v: f"{v:.0f}"),
    ("start_p95_ms", "start abs err p95 ms", lambda v: f"{v:.0f}"),
    ("start_max_ms", "start abs err max ms", lambda v: f"{v:.0f}"),
    ("starts_within_100ms", "starts within 100 ms", lambda v: f"{100 * v:.1f} %"),
    ("ends_0_200ms_after", "ends 0-200 ms after", lambda v: f"{100 * v:.1f} %"),
    ("ends_ok_chained", "ends 0-200 ms after, chained -150-200", lambda v: f"{100 * v:.1f} %"),
    ("chained", "cues chained to the next", lambda v: f"{100 * v:.1f} %"),
    (
        "ends_reachable",
        "ends that can be 0-200 ms after with the minimum gap (the ceiling)",
        lambda v: f"{100 * v:.1f} %",
    ),
    (
        "ends_0_200ms_where_reachable",
        "of those, ends 0-200 ms after",
        lambda v: f"{100 * v:.1f} %",
    ),
    ("end_abs_median_ms", "end abs err median ms", lambda v: f"{v:.0f}"),
    ("starts_off_over_1s", "starts off > 1 s", lambda v: f"{v:.0f}"),
    ("later_piece_start_max_ms", "split cues' later pieces: start abs err max ms", _ms),
    ("seconds_over_inserts", "cue s over inserts", lambda v: f"{v:.1f}"),
    ("wall_s", "wall s", lambda v: f"{v:.1f}"),
    ("peak_mb", "peak MB", lambda v: f"{v:.0f}"),
]


def _ratio(a: float, b: float) -> str:
    if b == 0:
        return "-" if a == 0 else "inf"
    return f"{a / b:.2f}"


def table(case: str, duration_s: float, results: dict[str, dict[str, float]]) -> str:
    engines = list(results)
    headers = ["metric", *engines]
    # Ratios of ours to each aeneas run, and of tuned to default aeneas.
    pairs = [
        (a, b)
        for a, b in (
            ("ours", "aeneas-default"),
            ("ours", "aeneas-tuned"),
            ("ours-aeneas", "aeneas-default"),
            ("ours-aeneas", "aeneas-tuned"),
            ("aeneas-tuned", "aeneas-default"),
        )
        if a in results and b in results
    ]
    headers += [f"{a} / {b.removeprefix('aeneas-')}" for a, b in pairs]
    rows = []
    for key, label, fmt in ROWS:
        row = [label, *(fmt(results[e][key]) for e in engines)]
        row += [_ratio(results[a][key], results[b][key]) for a, b in pairs]
        rows.append(row)
    lines = [f"### {case} ({duration_s / 60:.1f} min of audio)", ""]
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    defaults = ",".join(c for c in CASES if c not in OPTIONAL_CASES)
    parser.add_argument("--cases", default=defaults, help="comma-separated case names")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines")
    parser.add_argument("--cache", type=Path, default=CACHE, help="generated audio goes here")
    parser.add_argument("--json", type=Path, help="save every number here")
    args = parser.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    engines = [e for e in args.engines.split(",") if e]
    for name in cases:
        if name not in CASES:
            parser.error(f"unknown case {name!r}; choose from {', '.join(CASES)}")
    for engine in engines:
        if engine not in ENGINES:
            parser.error(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    # `aligner make` reads its options from the environment too (ALIGNER_MAKE_MIN_GAP=0).
    min_gap_ms = int(os.environ.get("ALIGNER_MAKE_MIN_GAP", SegmentRules().min_gap_ms))
    report: dict[str, Any] = {
        "commit": commit + ("+dirty" if dirty else ""),
        "min_gap_ms": min_gap_ms,
        "cases": {},
    }
    print(f"commit {report['commit']}, minimum gap {min_gap_ms} ms\n")
    for name in cases:
        case = prepare(name, args.cache)
        truth = json.loads(case.truth.read_text("utf-8"))
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            scratch = Path(tmp)
            cues = cue_texts(case, scratch)
            texts = [" ".join(c["lines"]) for c in cues]
            expected = truth_spans(texts, truth["words"], truth.get("unit", "word"))
            results: dict[str, dict[str, float]] = {}
            failures: dict[str, str] = {}
            for engine in engines:
                log(f"{name}: {engine} ...")
                try:
                    run, got, said = run_engine(engine, case, texts, scratch)
                except RuntimeError as err:  # one engine failing must not hide the others
                    failures[engine] = str(err).strip().splitlines()[-1]
                    log(f"  FAILED: {failures[engine]}")
                    continue
                piece_texts = [piece for pieces in said for piece in pieces]
                flat = iter(truth_spans(piece_texts, truth["words"], truth.get("unit", "word")))
                piece_truth = [[next(flat) for _ in pieces] for pieces in said]
                results[engine] = score(
                    got,
                    expected,
                    truth.get("spans", []),
                    run,
                    piece_truth=piece_truth,
                    min_gap_ms=min_gap_ms,
                )
        duration_s = truth["duration_ms"] / 1000
        report["cases"][name] = {"duration_s": duration_s, "results": results}
        report["cases"][name]["failures"] = failures
        print(table(name, duration_s, results), flush=True)
        for engine, message in failures.items():
            print(f"\n{engine} FAILED: {message}", flush=True)
        print(flush=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
