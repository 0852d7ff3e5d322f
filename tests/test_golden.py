"""Golden files: the seed's SRT, VTT and JSON compared whole with reviewed copies.

Regenerate with `make goldens` (scripts/regen_goldens.py) and review the diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aligner.pipeline import make_subtitles, render
from aligner.transcript import read_transcript

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from regen_goldens import SEED, VARIANTS  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize("fmt", ["srt", "vtt", "json"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_seed_matches_golden(variant: str, fmt: str) -> None:
    options = VARIANTS[variant]
    doc = make_subtitles(read_transcript(SEED), options=options)
    expected = (GOLDEN / f"{variant}.{fmt}").read_text(encoding="utf-8")
    actual = render(doc, fmt, options)
    assert actual == expected, f"{variant}.{fmt} differs; run `make goldens` and review the diff"
