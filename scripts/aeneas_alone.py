"""Benchmark baseline: one aeneas Task on given fragments, nothing of ours around it.

Reads a JSON list of fragment texts (one per cue), runs aeneas 1.7.3 through its config-string
API in this process (one Task per process: a second task can hang inside espeak-ng) and writes
``{"fragments": [{"begin_ms", "end_ms"}, ...], "seconds": ...}`` with one entry per input text.

Presets:

* ``default``: aeneas's defaults (``task_language=eng``, plain text, one fragment per line).
* ``tuned``: ``mfcc_mask_nonspeech=True``, ``dtw_margin=120``,
  ``task_adjust_boundary_nonspeech_min=0.200`` + ``task_adjust_boundary_nonspeech_string=REMOVE``
  (what alignment-anchors.md §2.4 found best; REMOVE is the only way aeneas leaves gaps).

Usage::

    python scripts/aeneas_alone.py --audio clip.mp3 --texts texts.json --out times.json \\
        --preset tuned
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PRESETS: dict[str, tuple[str, str]] = {
    # (task config string, runtime config string)
    "default": ("task_language=eng|is_text_type=plain|os_task_file_format=json", ""),
    "tuned": (
        "task_language=eng|is_text_type=plain|os_task_file_format=json"
        "|task_adjust_boundary_nonspeech_min=0.200"
        "|task_adjust_boundary_nonspeech_string=REMOVE",
        "mfcc_mask_nonspeech=True|dtw_margin=120",
    ),
}


def align(
    audio: Path, texts: list[str], preset: str, language: str = "eng"
) -> list[dict[str, int]]:
    """aeneas's begin/end of each text, in ms, REGULAR fragments only."""
    from aeneas.executetask import ExecuteTask
    from aeneas.runtimeconfiguration import RuntimeConfiguration
    from aeneas.syncmap.fragment import SyncMapFragment
    from aeneas.task import Task

    task_config, runtime_config = PRESETS[preset]
    task_config = task_config.replace("task_language=eng", f"task_language={language}")
    with tempfile.TemporaryDirectory(prefix="aeneas-alone-") as scratch:
        text_path = Path(scratch) / "fragments.txt"
        # Plain text: one fragment per line, so every cue's lines are joined by a space.
        text_path.write_text("".join(" ".join(t.split()) + "\n" for t in texts), "utf-8")
        task = Task(config_string=task_config)
        task.audio_file_path_absolute = str(audio.resolve())
        task.text_file_path_absolute = str(text_path)
        rconf = RuntimeConfiguration(runtime_config) if runtime_config else None
        ExecuteTask(task, rconf=rconf).execute()
        leaves = task.sync_map_leaves(SyncMapFragment.REGULAR)

    def ms(value: Any) -> int:
        return round(float(value) * 1000)

    return [{"begin_ms": ms(f.begin), "end_ms": ms(f.end)} for f in leaves]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--texts", type=Path, required=True, help="JSON list of fragment texts")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--language", default="eng", help="aeneas language code (eng, cmn, ...)")
    args = parser.parse_args(argv)
    texts = [str(t) for t in json.loads(args.texts.read_text("utf-8"))]
    started = time.perf_counter()
    fragments = align(args.audio, texts, args.preset, args.language)
    if len(fragments) != len(texts):
        raise SystemExit(f"aeneas returned {len(fragments)} fragments for {len(texts)} texts")
    answer = {"fragments": fragments, "seconds": time.perf_counter() - started}
    args.out.write_text(json.dumps(answer) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
