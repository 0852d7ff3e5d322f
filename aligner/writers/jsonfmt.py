"""JSON output: timed cues with speaker, role and turn, as ``subtitles.schema.json`` describes."""

from __future__ import annotations

import json
from typing import Any, TextIO

from aligner.model import Subtitles
from aligner.timecode import format_ms
from aligner.writers import WriteOptions
from aligner.writers._text import clamp_ms, clean_lines, warn_clamped

SCHEMA_VERSION = 1


def to_data(doc: Subtitles) -> dict[str, Any]:
    """``doc`` as plain JSON data, keys in output order. Labels are not added to the lines.

    Raises:
        OutputError: A cue has no visible text once cleaned.
    """
    clamped = [0]
    cues = []
    for i, cue in enumerate(doc.cues):
        lines = clean_lines(cue.text)
        start_ms = clamp_ms(cue.start_ms, clamped)
        end_ms = clamp_ms(cue.end_ms, clamped)
        cues.append(
            {
                "index": i + 1,
                "start_ms": start_ms,
                "end_ms": end_ms,
                "start": format_ms(start_ms, decimal="."),
                "end": format_ms(end_ms, decimal="."),
                "speaker": cue.speaker,
                "role": doc.role_of(cue.speaker),
                "language": cue.language,
                "turn": cue.turn_index,
                "first_of_turn": doc.first_of_turn(i),
                "lines": lines,
                "text": "\n".join(lines),
            }
        )
        if cue.confidence is not None:  # only aligned cues have one
            cues[-1]["confidence"] = round(cue.confidence, 3)
            cues[-1]["needs_review"] = cue.needs_review
    warn_clamped(clamped, "json")
    data: dict[str, Any] = {"schema": SCHEMA_VERSION, "language": doc.language}
    if doc.language_reason is not None:  # optional: known when detected or given by --lang
        data["language_reason"] = doc.language_reason
    if doc.language_switches:  # optional: only when some paragraph is in another language
        data["language_switches"] = [
            {
                "turn": switch.turn_index,
                "line": switch.source_line,
                "language": switch.language,
                "reason": switch.reason,
            }
            for switch in doc.language_switches
        ]
    data.update(
        source=doc.source,
        date=doc.date,
        speakers=[{"name": s.name, "role": s.role, "title": s.title} for s in doc.speakers],
        cues=cues,
    )
    return data


def write(doc: Subtitles, stream: TextIO, options: WriteOptions) -> None:
    """Write ``doc`` as UTF-8 JSON, indented by 2, with a trailing newline.

    ``options`` is accepted for the writer interface; JSON carries the speaker in its own field.
    """
    del options
    stream.write(json.dumps(to_data(doc), ensure_ascii=False, indent=2) + "\n")
