"""Rewrite the golden files in tests/golden/ from the seed; review the diff before committing.

Usage: python scripts/regen_goldens.py
"""

from __future__ import annotations

from pathlib import Path

from aligner.pipeline import make_subtitles, render
from aligner.transcript import read_transcript
from aligner.writers import WriteOptions

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "scio-briefing-2021-05-31.en.txt"
GOLDEN = ROOT / "tests" / "golden"

# name -> writer options; tests/test_golden.py reads the same table.
VARIANTS: dict[str, WriteOptions] = {
    "seed": WriteOptions(),
    "seed-upper-colors": WriteOptions(speaker_labels="upper", vtt_colors=True),
}


def main() -> None:
    transcript = read_transcript(SEED)
    for name, options in VARIANTS.items():
        doc = make_subtitles(transcript, options=options)
        for fmt in ("srt", "vtt", "json"):
            path = GOLDEN / f"{name}.{fmt}"
            path.write_text(render(doc, fmt, options), encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
