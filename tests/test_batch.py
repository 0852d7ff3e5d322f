"""Tests for aligner.batch and `aligner batch`: pairing, manifests, isolation, report, resume.

Real files everywhere: a recording spoken by espeak-ng (``scripts/make_sample_audio.py``) that
dtw and aeneas align, a corrupt mp3, a binary ``.txt``, a cp1252 transcript, an unpaired
recording; runs killed with SIGKILL in the middle; the Dask executor on a ``LocalCluster``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aligner.batch import (
    BatchError,
    BatchProgress,
    Item,
    LocalExecutor,
    Settings,
    WorkerCrash,
    collect,
    item_digest,
    make_executor,
    process_item,
    run_batch,
)
from aligner.cli import main

ROOT = Path(__file__).resolve().parent.parent
MAKE_SAMPLE = ROOT / "scripts" / "make_sample_audio.py"
SEED = ROOT / "samples" / "scio-briefing-2021-05-31.en.txt"

SPOKEN = [
    ("Moderator", "Good morning, and welcome to the briefing."),
    ("Li", "Thank you. The economy grew by five percent."),
]
GOOD = "Li Xiaojun:\nGood afternoon, everyone. Thank you for coming.\nCGTN:\nA question, please.\n"
# What differs between runs and is not a result: how long an item took.
TIMING_FIELDS = ("seconds",)


def _paragraphs() -> list[str]:
    """Long content lines of the seed, to make many different transcripts."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if len(line) > 200 and ":" not in line[:40]]


def transcript_text(k: int) -> str:
    paragraphs = _paragraphs()
    first, second = paragraphs[k % len(paragraphs)], paragraphs[(k + 1) % len(paragraphs)]
    return f"Li Xiaojun:\nItem {k}. {first}\nCGTN:\n{second}\n"


def write_tone(path: Path, seconds: float = 1.0) -> None:
    """A 16-bit mono WAV of a square-ish tone: valid audio, nothing to transcribe."""
    rate = 8000
    frames = b"".join(
        b"\x00\x40" if (i // 20) % 2 else b"\x00\xc0" for i in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An mp3 of SPOKEN, made by espeak-ng: what the forced aligners align."""
    folder = tmp_path_factory.mktemp("speech")
    lines = folder / "lines.txt"
    lines.write_text("".join(f"{who}: {text}\n" for who, text in SPOKEN), encoding="utf-8")
    audio = folder / "clip.mp3"
    command = [sys.executable, str(MAKE_SAMPLE), str(lines), "-o", str(audio)]
    subprocess.run([*command, "--truth", str(folder / "truth.json")], check=True)
    return audio


def spoken_transcript() -> str:
    return "".join(f"{who}:\n{text}\n" for who, text in SPOKEN)


@pytest.fixture
def mixed(tmp_path: Path, speech: Path) -> Path:
    """A folder of good and bad items, in two sub-folders.

    good-1, good-2: transcripts without audio; spoken: transcript + its recording (dtw);
    corrupt: transcript + an mp3 of random bytes; binary: a .txt of binary data;
    latin: a cp1252 transcript; orphan.wav: a recording without a transcript; notes.md ignored.
    """
    folder = tmp_path / "in"
    (folder / "audio").mkdir(parents=True)
    (folder / "good-1.txt").write_text(GOOD, encoding="utf-8")
    (folder / "good-2.txt").write_text(transcript_text(3), encoding="utf-8")
    (folder / "spoken.txt").write_text(spoken_transcript(), encoding="utf-8")
    (folder / "audio" / "spoken.mp3").write_bytes(speech.read_bytes())
    (folder / "corrupt.txt").write_text(GOOD, encoding="utf-8")
    (folder / "audio" / "corrupt.mp3").write_bytes(b"ID3\x03\x00" + os.urandom(4000))
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "latin.txt").write_bytes("Li Xiaojun:\nCafé et séance, merci.\n".encode("cp1252"))
    write_tone(folder / "audio" / "orphan.wav")
    (folder / "notes.md").write_text("not an input\n", encoding="utf-8")
    (folder / ".hidden.txt").write_text(GOOD, encoding="utf-8")
    return folder


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["batch", *args])
    return result.exit_code, result.stdout, result.stderr


def report_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    return data


def by_item(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["item"]: entry for entry in report["items"]}


def results_without_timing(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in entry.items() if k not in TIMING_FIELDS} for entry in report["items"]]


def visible_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name[0] != "."}


# --- Discovery, pairing, manifests ---------------------------------------------------------


def test_pairing_by_stem_across_folders(mixed: Path) -> None:
    found = collect([mixed], Settings())
    items = {item.name: item for item in found.items}
    assert sorted(items) == ["binary", "corrupt", "good-1", "good-2", "latin", "spoken"]
    assert items["spoken"].audio == mixed / "audio" / "spoken.mp3"
    assert items["corrupt"].audio == mixed / "audio" / "corrupt.mp3"
    assert items["good-1"].audio is None
    assert all(item.problem is None for item in found.items)
    assert found.unpaired == (mixed / "audio" / "orphan.wav",)


def test_name_clash_and_several_recordings_are_problems(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "a" / "Two.txt").write_text(GOOD, encoding="utf-8")
    write_tone(tmp_path / "a" / "Two.wav")
    write_tone(tmp_path / "b" / "Two.wav")
    (tmp_path / "a" / "batch-report.txt").write_text(GOOD, encoding="utf-8")
    found = collect([tmp_path / "a", tmp_path / "b"], Settings())
    problems = {(item.name, item.transcript.parent.name): item.problem for item in found.items}
    assert "name clash" in str(problems[("same", "a")])
    assert "name clash" in str(problems[("same", "b")])
    assert "several recordings for Two" in str(problems[("Two", "a")])
    assert "batch report" in str(problems[("batch-report", "a")])


def test_explicit_files_and_bad_inputs(tmp_path: Path) -> None:
    text = tmp_path / "x.txt"
    text.write_text(GOOD, encoding="utf-8")
    write_tone(tmp_path / "x.wav")
    found = collect([text, tmp_path / "x.wav", tmp_path], Settings())  # listed twice: once
    assert [(i.name, i.audio) for i in found.items] == [("x", tmp_path / "x.wav")]
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF")
    with pytest.raises(BatchError, match="neither a transcript nor a recording"):
        collect([other], Settings())
    with pytest.raises(BatchError, match="no such file"):
        collect([tmp_path / "missing"], Settings())


def test_manifest_csv_and_json_lines(mixed: Path, tmp_path: Path) -> None:
    csv_manifest = tmp_path / "list.csv"
    csv_manifest.write_text(
        "transcript,audio,language,options\n"
        f"{mixed / 'latin.txt'},,fr,encoding=cp1252;max_chars=30\n"
        f"in/good-1.txt,in/audio/orphan.wav,,\n"
        f"in/good-2.txt,,,max_lines=9\n"
        ",,,\n"
        "in/binary.txt,,,aligner=whisper\n",
        encoding="utf-8",
    )
    items = {i.name: i for i in collect([], Settings(), manifest=csv_manifest).items}
    assert items["latin"].settings.encoding == "cp1252"
    assert items["latin"].settings.max_chars == 30
    assert items["latin"].settings.language == "fr"
    assert items["good-1"].audio == tmp_path / "in" / "audio" / "orphan.wav"  # relative to it
    problem = str(items["good-2"].problem)
    assert "list.csv:4" in problem and "between 1 and 4, not 9" in problem
    assert "no transcript" in str(items["list.csv:5"].problem)
    assert "aligner: 'whisper'; choose from aeneas, dtw, estimate" in str(items["binary"].problem)

    jsonl = tmp_path / "list.jsonl"
    rows = [
        {"transcript": "in/latin.txt", "options": {"encoding": "cp1252", "vtt_colors": True}},
        {
            "transcript": "in/spoken.txt",
            "audio": "in/audio/spoken.mp3",
            "options": "start=1:30;aligner=aeneas",
        },
    ]
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    found = collect([mixed / "audio"], Settings(), manifest=jsonl)
    items = {i.name: i for i in found.items}
    assert items["latin"].settings.vtt_colors and items["spoken"].settings.start_ms == 90_000
    assert items["spoken"].settings.aligner == "aeneas" and items["spoken"].backend() == "aeneas"
    assert items["latin"].settings.aligner is None and items["latin"].backend() == "estimate"
    # The manifest pairs spoken.mp3: of the recordings in the folder, only two are unpaired.
    assert sorted(p.name for p in found.unpaired) == ["corrupt.mp3", "orphan.wav"]

    bad = tmp_path / "bad.csv"
    bad.write_text("transcript,speed\nin/good-1.txt,3\n", encoding="utf-8")
    with pytest.raises(BatchError, match="unknown column 'speed'"):
        collect([], Settings(), manifest=bad)


# --- Whole runs ----------------------------------------------------------------------------


def test_mixed_folder_outputs_report_and_exit_code(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = invoke(str(mixed), "--out-dir", str(out), "--jobs", "2")
    assert code == 1, stderr
    assert stdout == ""  # progress and summary go to standard error
    report = report_of(out)
    items = by_item(report)
    status = {name: entry["status"] for name, entry in items.items()}
    assert status == {
        "binary": "failed",
        "corrupt": "failed",
        "good-1": "ok",
        "good-2": "ok",
        "latin": "failed",
        "spoken": "ok",
    }
    assert "not a text file" in items["binary"]["error"]
    assert "corrupt.mp3" in items["corrupt"]["error"]
    assert "--encoding" in items["latin"]["error"] and "cp1252" in items["latin"]["error"]
    assert report["unpaired_recordings"] == [str(mixed / "audio" / "orphan.wav")]
    assert report["summary"] == {
        "total": 6,
        "ok": 3,
        "skipped": 0,
        "failed": 3,
        "unpaired_recordings": 1,
    }
    expected = {
        f"{stem}.{ext}" for stem in ("good-1", "good-2", "spoken") for ext in ("srt", "vtt", "json")
    }
    assert set(visible_files(out)) == expected | {
        "batch-report.json",
        "batch-report.csv",
        "batch.log",
    }
    for name in ("good-1", "good-2", "spoken"):
        entry = items[name]
        assert entry["outputs"] == [f"{name}.srt", f"{name}.vtt", f"{name}.json"]
        cues = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))["cues"]
        assert entry["cues"] == len(cues) > 0
        assert entry["subtitles_ms"] == cues[-1]["end_ms"]
        assert 0 <= entry["review"] <= entry["cues"]
    assert items["spoken"]["audio_ms"] > 3000 and items["good-1"]["audio_ms"] is None
    aligners = {name: entry["aligner"] for name, entry in items.items()}
    assert aligners == {**dict.fromkeys(status, "estimate"), "spoken": "dtw", "corrupt": "dtw"}
    # Failures are listed at the end, one line each, and the unpaired recording is reported.
    tail = stderr[stderr.index("failed:") :]
    for name in ("binary", "corrupt", "latin"):
        assert f"  {name}: " in tail
    assert "orphan.wav" in tail
    # The CSV says the same as the JSON.
    with (out / "batch-report.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["item"]: r["status"] for r in rows} == {**status, "orphan": "unpaired"}
    assert {r["item"]: r["cues"] for r in rows if r["status"] == "ok"} == {
        n: str(items[n]["cues"]) for n in ("good-1", "good-2", "spoken")
    }
    log = (out / "batch.log").read_text(encoding="utf-8")
    assert all(f" {name}:" in log for name in status)


def test_batch_writes_what_make_writes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "brief.txt").write_text(GOOD, encoding="utf-8")
    out, single = tmp_path / "out", tmp_path / "single"
    single.mkdir()
    options = ["--max-chars", "30", "--speaker-labels", "upper", "--start", "10"]
    assert invoke(str(folder), "-o", str(out), "-f", "srt,vtt", *options)[0] == 0
    make = CliRunner().invoke(
        main, ["make", str(folder / "brief.txt"), "-f", "srt,vtt", "-o", str(single), *options]
    )
    assert make.exit_code == 0, make.stderr
    for name in ("brief.srt", "brief.vtt"):
        assert (out / name).read_bytes() == (single / name).read_bytes()
    assert not (out / "brief.json").exists()


def test_rerun_skips_what_is_up_to_date(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for path in (mixed / "binary.txt", mixed / "latin.txt", mixed / "corrupt.txt"):
        path.unlink()
    assert invoke(str(mixed), "-o", str(out))[0] == 0
    first = visible_files(out)
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.srt")}

    code, _, stderr = invoke(str(mixed), "-o", str(out))
    assert code == 0, stderr
    assert {e["item"]: e["status"] for e in report_of(out)["items"]} == dict.fromkeys(
        ("good-1", "good-2", "spoken"), "skipped"
    )
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.srt")} == mtimes
    assert "0 made, 3 up to date" in stderr

    # A changed transcript, a damaged output, a touched file: hashes decide, not timestamps.
    (mixed / "good-2.txt").write_text(transcript_text(4), encoding="utf-8")
    (out / "good-1.vtt").write_text("WEBVTT\n", encoding="utf-8")
    os.utime(mixed / "spoken.txt", (1, 1))
    assert invoke(str(mixed), "-o", str(out))[0] == 0
    status = {e["item"]: e["status"] for e in report_of(out)["items"]}
    assert status == {"good-1": "ok", "good-2": "ok", "spoken": "skipped"}
    assert (out / "good-1.vtt").read_bytes() == first["good-1.vtt"]
    assert (out / "good-2.srt").read_bytes() != first["good-2.srt"]

    # An option that changes the outputs redoes everything.
    assert invoke(str(mixed), "-o", str(out), "--max-chars", "30")[0] == 0
    assert {e["status"] for e in report_of(out)["items"]} == {"ok"}


def test_failed_items_are_redone(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "latin.txt").write_bytes("Li Xiaojun:\nCafé.\n".encode("cp1252"))
    (folder / "ok.txt").write_text(GOOD, encoding="utf-8")
    assert invoke(str(folder), "-o", str(out))[0] == 1
    (folder / "latin.txt").write_text("Li Xiaojun:\nCafé.\n", encoding="utf-8")
    code, _, stderr = invoke(str(folder), "-o", str(out))
    assert code == 0, stderr
    assert {e["item"]: e["status"] for e in report_of(out)["items"]} == {
        "latin": "ok",
        "ok": "skipped",
    }


def test_name_clash_writes_nothing_for_that_name(tmp_path: Path) -> None:
    for folder, text in (("a", GOOD), ("b", transcript_text(1))):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.txt").write_text(text, encoding="utf-8")
    (tmp_path / "a" / "other.txt").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    code, _, stderr = invoke(str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(out))
    assert code == 1
    assert stderr.count("name clash") == 2
    never_ran = [e for e in report_of(out)["items"] if e["item"] == "same"]
    assert [e["aligner"] for e in never_ran] == [None, None]
    assert not list(out.glob("same.*"))
    assert (out / "other.srt").exists()


def test_stale_temporaries_are_removed_and_lock_is_held(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (out / ".aligner-batch").mkdir(parents=True)
    leftover = out / ".a.srt.k2j3h4.tmp"  # what write_atomically leaves when killed
    leftover.write_text("1\n00:00", encoding="utf-8")
    unrelated = out / ".mine.tmp"
    unrelated.write_text("keep", encoding="utf-8")
    with holding_the_lock(out / ".aligner-batch" / "lock"):
        code, _, stderr = invoke(str(folder), "-o", str(out))
        assert code == 1 and "another batch is writing into this folder" in stderr
        assert leftover.exists()  # not touched without the lock
    assert invoke(str(folder), "-o", str(out))[0] == 0
    assert not leftover.exists() and unrelated.exists()


@contextlib.contextmanager
def holding_the_lock(lock: Path) -> Iterator[None]:
    """Another process holds the batch lock of a folder, as a running batch does."""
    code = (
        "import fcntl, sys\n"
        "handle = open(sys.argv[1], 'a')\n"
        "fcntl.lockf(handle, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(lock)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.communicate("")  # end of its input: it ends, and the lock with it


def test_one_batch_per_folder_in_one_process_and_the_executor_is_reusable(
    tmp_path: Path,
) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    inputs = collect([folder], Settings(formats=("srt",)))
    refused: list[str] = []
    with make_executor("local", jobs=1) as executor:

        def again(_: BatchProgress) -> None:  # a second batch into the folder, meanwhile
            try:
                run_batch(inputs, out, executor=executor)
            except BatchError as err:
                refused.append(str(err))

        first = run_batch(inputs, out, executor=executor, on_progress=again)
        # The worker processes outlive the first batch; the folder's lock does not.
        second = run_batch(inputs, out, executor=executor)
    assert refused == [f"{out}: another batch is writing into this folder"]
    assert [r.status for r in first.results] == ["ok"]
    assert [r.status for r in second.results] == ["skipped"]


def test_usage_errors(tmp_path: Path) -> None:
    code, _, stderr = invoke("-o", str(tmp_path / "out"))
    assert code == 2 and "--manifest" in stderr
    code, _, stderr = invoke(str(tmp_path), "-o", str(tmp_path / "o"), "--formats", "srt,ass")
    assert code == 2 and "ass" in stderr
    code, _, stderr = invoke(str(tmp_path), "-o", str(tmp_path / "o"), "--scheduler", "tcp://x:1")
    assert code == 2 and "--executor dask" in stderr


def test_make_starts_without_the_batch_engine() -> None:
    """`aligner make` does not import the batch engine, whose executor names the batch
    command repeats so that it need not."""
    import aligner.batch
    import aligner.cli_batch

    assert aligner.cli_batch.EXECUTORS == aligner.batch.EXECUTORS
    code = "import sys, aligner.cli; print(sorted(m for m in sys.modules if 'batch' in m))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "['aligner.cli_batch']"


# --- Isolation -----------------------------------------------------------------------------


def die_on_three(value: int) -> int:
    """Kills its own worker process for 3, as a segfault in native code would."""
    if value == 3:
        os._exit(7)
    return value * 10


def test_a_dying_worker_fails_only_its_item() -> None:
    with LocalExecutor(jobs=2) as executor:
        results = dict(executor.run(die_on_three, list(range(8))))
    assert sorted(results) == list(range(8))
    assert isinstance(results[3], WorkerCrash)
    assert {k: v for k, v in results.items() if k != 3} == {k: k * 10 for k in range(8) if k != 3}


def test_unexpected_errors_become_one_line(tmp_path: Path) -> None:
    missing = Item("gone", tmp_path / "gone.txt")
    outcome = process_item((missing, None))
    assert outcome.error is not None and "gone.txt" in outcome.error and "\n" not in outcome.error
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.txt").write_text(GOOD, encoding="utf-8")
    # A settings value no writer accepts fails inside the pipeline, not in the batch.
    item = Item("x", folder / "x.txt", settings=Settings(speaker_labels="shout"))
    outcome = process_item((item, None))
    assert outcome.error is not None and "shout" in outcome.error


def test_cues_needing_review() -> None:
    from aligner.batch.work import count_review
    from aligner.model import Cue, Subtitles

    cues = (
        Cue(0, 3000, "Li", "Good afternoon.", "en", 0),  # fine, label included
        Cue(3100, 3500, "Li", "Too short a cue.", "en", 0),  # under 833 ms
        Cue(4000, 5000, "Li", "Far too many words to read in one second.", "en", 0),  # > 17 cps
        Cue(6000, 9000, "CGTN", "Aligned somewhere odd.", "en", 1, 0.2, True),  # flagged
        Cue(10_000, 14_000, "CGTN", "Supercalifragilisticexpialidocious-ish words", "en", 1),
    )
    doc = Subtitles(cues=cues, speakers=(), language="en")
    assert count_review(doc, Settings()) == 4
    assert count_review(doc, Settings(max_chars=50, max_cps=50)) == 2


# --- Killed and resumed --------------------------------------------------------------------


def test_sigkill_mid_run_then_rerun_finishes_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    count = 60
    for k in range(count):
        (folder / f"item-{k:03d}.txt").write_text(transcript_text(k), encoding="utf-8")
    clean, out = tmp_path / "clean", tmp_path / "out"
    assert invoke(str(folder), "-o", str(clean), "--jobs", "2")[0] == 0
    expected = {n: b for n, b in visible_files(clean).items() if not n.startswith("batch")}
    assert len(expected) == 3 * count

    with batch_under_way(folder, out, jobs=1) as process:
        os.killpg(process.pid, signal.SIGKILL)  # the batch and its worker processes
        process.wait()
    assert process.returncode == -signal.SIGKILL
    written = {n: b for n, b in visible_files(out).items() if n != "batch.log"}
    assert 5 <= len(written) < len(expected), "the kill must land in the middle of the run"
    assert not (out / "batch-report.json").exists()  # written only at the end
    for name, data in written.items():
        assert data == expected[name], f"{name} is partial"

    # Right after the kill, when the killed workers may still be exiting: the folder's lock
    # was the batch process's alone (with flock, the workers' copies held it a few ms more).
    code, _, stderr = invoke(str(folder), "-o", str(out), "--jobs", "2")
    assert code == 0, stderr
    report = report_of(out)
    statuses = [e["status"] for e in report["items"]]
    assert statuses.count("skipped") >= 1 and statuses.count("ok") >= 1
    assert set(statuses) == {"ok", "skipped"}
    final = visible_files(out)
    assert {n: b for n, b in final.items() if not n.startswith("batch")} == expected
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".aligner-batch"]
    states = sorted(p.name for p in (out / ".aligner-batch").iterdir())
    assert states == sorted([f"item-{k:03d}.json" for k in range(count)] + ["lock"])


@contextlib.contextmanager
def batch_under_way(folder: Path, out: Path, *, jobs: int) -> Iterator[subprocess.Popen[bytes]]:
    """`aligner batch` in a process group of its own, handed over with 5 items written.

    Fails, saying what the batch said, when it ends before; kills the group at the end.
    """
    command = [sys.executable, "-m", "aligner", "batch", str(folder), "-o", str(out)]
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [*command, "-j", str(jobs)], start_new_session=True, stderr=errors
        )
        try:
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline:
                if len(list(out.glob("*.json"))) >= 5:
                    break
                time.sleep(0.005)
            else:
                errors.seek(0)
                pytest.fail(
                    f"no batch with 5 items written: exit {process.poll()}\n{errors.read()}"
                )
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def process_group(group: int) -> list[int]:
    """The live processes of a process group (Linux: read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'
            state, _, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
            if int(pgrp) == group and state != "Z":
                found.append(int(stat.parent.name))
    return found


def test_killing_only_the_batch_process_frees_the_folder_and_ends_its_workers(
    tmp_path: Path,
) -> None:
    """What the OOM killer or `kill -9 PID` does: the batch dies, its workers are orphaned."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for k in range(100):
        (folder / f"item-{k:03d}.txt").write_text(transcript_text(k), encoding="utf-8")
    with batch_under_way(folder, out, jobs=2) as process:
        assert len(process_group(process.pid)) == 3  # the batch and its 2 workers
        os.kill(process.pid, signal.SIGKILL)  # the batch process alone
        process.wait()
        code, _, stderr = invoke(str(folder), "-o", str(out), "--jobs", "2")
        assert code == 0, stderr
        assert {e["status"] for e in report_of(out)["items"]} == {"ok", "skipped"}
        deadline = time.monotonic() + 10
        while process_group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_group(process.pid) == [], "orphaned workers must end on their own"


# --- Aligners ------------------------------------------------------------------------------


@pytest.fixture
def synced(tmp_path: Path, speech: Path) -> Path:
    """A transcript with its recording (spoken) and one without (plain)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "spoken.txt").write_text(spoken_transcript(), encoding="utf-8")
    (folder / "spoken.mp3").write_bytes(speech.read_bytes())
    (folder / "plain.txt").write_text(GOOD, encoding="utf-8")
    return folder


def aligned(out: Path) -> dict[str, tuple[str, str]]:
    """Each item's status and aligner, from the JSON report (the CSV must say the same)."""
    from_json = {e["item"]: (e["status"], e["aligner"]) for e in report_of(out)["items"]}
    with (out / "batch-report.csv").open(encoding="utf-8", newline="") as handle:
        from_csv = {r["item"]: (r["status"], r["aligner"]) for r in csv.DictReader(handle)}
    assert from_csv == from_json
    return from_json


def made_by_make(transcript: Path, tmp_path: Path, *options: str) -> dict[str, bytes]:
    """What `aligner make` writes for ``transcript`` with ``options``."""
    single = tmp_path / "single"
    single.mkdir(exist_ok=True)
    args = ["make", str(transcript), "-f", "srt,vtt,json", "-o", str(single), *options]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    return {p.name: p.read_bytes() for p in single.iterdir()}


def test_the_aligner_is_part_of_the_digest(synced: Path) -> None:
    items = {item.name: item for item in collect([synced], Settings()).items}

    def digest(name: str, aligner: str | None) -> str:
        item = items[name]
        return item_digest(replace(item, settings=replace(item.settings, aligner=aligner)))

    assert digest("spoken", None) == digest("spoken", "dtw")  # the default, by name or not
    assert len({digest("spoken", a) for a in (None, "aeneas", "estimate")}) == 3
    # Without a recording every choice times the item at a speaking rate: the same files.
    assert {digest("plain", a) for a in ("dtw", "aeneas", "estimate")} == {digest("plain", None)}


def test_aligner_option_redoes_what_it_changes(synced: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke(str(synced), "-o", str(out))[0] == 0
    assert aligned(out) == {"plain": ("ok", "estimate"), "spoken": ("ok", "dtw")}
    by_default = visible_files(out)

    code, _, stderr = invoke(str(synced), "-o", str(out), "--aligner", "aeneas")
    assert code == 0, stderr
    assert aligned(out) == {"plain": ("skipped", "estimate"), "spoken": ("ok", "aeneas")}
    with_aeneas = made_by_make(synced / "spoken.txt", tmp_path, "--audio",
                               str(synced / "spoken.mp3"), "--aligner", "aeneas")  # fmt: skip
    assert {n: b for n, b in visible_files(out).items() if n in with_aeneas} == with_aeneas
    assert with_aeneas["spoken.json"] != by_default["spoken.json"]
    code, _, stderr = invoke(str(synced), "-o", str(out), "--aligner", "aeneas")
    assert code == 0, stderr
    assert aligned(out) == {"plain": ("skipped", "estimate"), "spoken": ("skipped", "aeneas")}

    # Named or by default, dtw is the same digest.
    assert invoke(str(synced), "-o", str(out), "--aligner", "dtw")[0] == 0
    assert aligned(out) == {"plain": ("skipped", "estimate"), "spoken": ("ok", "dtw")}
    assert invoke(str(synced), "-o", str(out))[0] == 0
    assert aligned(out) == {"plain": ("skipped", "estimate"), "spoken": ("skipped", "dtw")}
    assert visible_files(out)["spoken.json"] == by_default["spoken.json"]

    # estimate: the recording's timing is ignored (the files of a transcript without one), but
    # the recording is still read: its duration is reported.
    assert invoke(str(synced), "-o", str(out), "--aligner", "estimate")[0] == 0
    assert aligned(out) == {"plain": ("skipped", "estimate"), "spoken": ("ok", "estimate")}
    without_audio = made_by_make(synced / "spoken.txt", tmp_path)
    assert {n: b for n, b in visible_files(out).items() if n in without_audio} == without_audio
    assert by_item(report_of(out))["spoken"]["audio_ms"] > 3000


# --- Dask ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    import distributed

    cluster_class: Any = distributed.LocalCluster  # only partly annotated
    with cluster_class(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield str(local.scheduler_address)


def test_dask_executor_gives_the_same_report(mixed: Path, tmp_path: Path, cluster: str) -> None:
    local, remote = tmp_path / "local", tmp_path / "dask"
    assert invoke(str(mixed), "-o", str(local), "-j", "2")[0] == 1
    code, _, stderr = invoke(
        str(mixed), "-o", str(remote), "--executor", "dask", "--scheduler", cluster
    )
    assert code == 1, stderr
    local_report, dask_report = report_of(local), report_of(remote)
    assert dask_report["run"]["executor"] == "dask"
    assert results_without_timing(dask_report) == results_without_timing(local_report)
    assert dask_report["summary"] == local_report["summary"]
    assert dask_report["unpaired_recordings"] == local_report["unpaired_recordings"]
    assert visible_files(remote).keys() == visible_files(local).keys()
    for name, data in visible_files(local).items():
        if not name.startswith("batch"):
            assert visible_files(remote)[name] == data, name

    # Resuming works across executors: the local run's state is the dask run's.
    code, _, _ = invoke(str(mixed), "-o", str(remote), "-j", "2")
    assert {e["status"] for e in report_of(remote)["items"]} == {"skipped", "failed"}


def test_dask_executor_uses_the_aligner_asked_for(
    synced: Path, tmp_path: Path, cluster: str
) -> None:
    local, remote = tmp_path / "local", tmp_path / "dask"
    assert invoke(str(synced), "-o", str(local), "-j", "1", "--aligner", "aeneas")[0] == 0
    code, _, stderr = invoke(
        str(synced), "-o", str(remote), "--executor", "dask", "--scheduler", cluster,
        "--aligner", "aeneas",
    )  # fmt: skip
    assert code == 0, stderr
    assert aligned(remote) == {"plain": ("ok", "estimate"), "spoken": ("ok", "aeneas")}
    assert results_without_timing(report_of(remote)) == results_without_timing(report_of(local))
    for name, data in visible_files(local).items():
        if not name.startswith("batch"):
            assert visible_files(remote)[name] == data, name


def test_run_batch_without_the_cli(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    seen: list[tuple[int, int]] = []
    with make_executor("local", jobs=1) as executor:
        report = run_batch(
            collect([folder], Settings(formats=("json",))),
            tmp_path / "out",
            executor=executor,
            on_progress=lambda p: seen.append((p.done, p.total)),
        )
    assert [r.status for r in report.results] == ["ok"] and seen == [(1, 1)]
    assert report.report_json.exists() and report.report_csv.exists()


def test_min_gap_setting_and_manifest_option() -> None:
    """--min-gap reaches the rules, and a manifest row may set it as ``min_gap``."""
    from aligner.batch.items import _option

    assert Settings(min_gap_ms=0).rules().min_gap_ms == 0
    assert Settings().rules().min_gap_ms == 84
    assert _option("min_gap", "0") == ("min_gap_ms", 0)
    assert Settings(min_gap_ms=0).as_dict() != Settings().as_dict()  # part of the digest
