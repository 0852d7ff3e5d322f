"""What the first version must show on the seed briefing, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

from aligner.model import Transcript
from aligner.pipeline import Target, run

OFFICIALS = ["Shou Xiaoli", "Li Xiaojun", "Li Xiaomei", "Li Xiao", "Chang Jian", "Zhang Yonghe"]
OUTLETS = [
    "CGTN", "People's Daily", "Cover News", "CCTV", "Lianhe Zaobao", "CRNTT", "China Daily",
    "Guangming Daily", "Xinhua News Agency", "Beijing Daily", "Southern Metropolis Daily",
    "Global Times",
]  # fmt: skip
HEADER_WORDS = {"Speakers", "Speakers:", "Chairperson", "Chairperson:", "Date:"}


def transcript_words(seed_path: Path) -> list[str]:
    """Every word a person says in the seed, from the raw file, by a rule of its own."""
    lines = seed_path.read_text(encoding="utf-8").splitlines()
    body = lines[lines.index("May 31, 2021") + 1 :]
    words: list[str] = []
    for line in body:
        line = line.replace("_ueditor_page_break_tag_", "")
        if line.startswith("Translated and edited by"):
            break
        if line.endswith(":") and line[:-1] in OFFICIALS + OUTLETS:
            continue
        words.extend(line.split())
    return words


def test_seed_end_to_end(seed_path: Path, seed_transcript: Transcript, tmp_path: Path) -> None:
    targets = [Target(f, tmp_path / f"seed.{f}") for f in ("srt", "vtt", "json")]
    run(seed_path, targets)
    doc = json.loads((tmp_path / "seed.json").read_text(encoding="utf-8"))
    # 42 turns by 18 speakers with the right names; the header and credit are metadata.
    assert len(seed_transcript.turns) == 42
    assert [s["name"] for s in doc["speakers"]] == OFFICIALS + OUTLETS
    assert {c["turn"] for c in doc["cues"]} == set(range(42))
    speakers_by_turn = {c["turn"]: c["speaker"] for c in doc["cues"]}
    assert [speakers_by_turn[i] for i in range(42)] == [t.speaker for t in seed_transcript.turns]
    texts = [c["text"] for c in doc["cues"]]
    assert not any("Translated and edited" in t or "deemed to prevail" in t for t in texts)
    assert not any("_ueditor_" in t for t in texts)
    # No cue over 2 lines, no line over 42 characters but a single long word.
    for cue in doc["cues"]:
        assert 1 <= len(cue["lines"]) <= 2
        for k, row in enumerate(cue["lines"]):
            label = len(cue["speaker"]) + 2 if (k == 0 and cue["first_of_turn"]) else 0
            assert len(row) + label <= 42 or len(row.split()) == 1, row
    # Every transcript word in the cues once, in order (content lines ending in ':' included).
    cue_words = [w for c in doc["cues"] for line in c["lines"] for w in line.split()]
    assert cue_words == transcript_words(seed_path)
    # The SRT carries each turn's label once, on its first cue.
    srt = (tmp_path / "seed.srt").read_text(encoding="utf-8")
    labels = re.findall(r"^(?:" + "|".join(map(re.escape, OFFICIALS + OUTLETS)) + "): ", srt, re.M)
    assert len(labels) == 42
