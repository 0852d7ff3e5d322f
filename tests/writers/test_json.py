"""JSON writer: exact shape, key order, determinism, and validation against the schema."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]
from clients import subtitle_docs
from hypothesis import given, settings

from aligner.model import Cue, Speaker, Subtitles
from aligner.timecode import MAX_MS
from aligner.writers import WriteOptions
from aligner.writers.jsonfmt import write

SCHEMA_PATH = Path(__file__).parents[2] / "aligner" / "writers" / "subtitles.schema.json"


def render(doc: Subtitles, options: WriteOptions | None = None) -> str:
    stream = io.StringIO()
    write(doc, stream, options or WriteOptions())
    return stream.getvalue()


def validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_exact_small_output() -> None:
    doc = Subtitles(
        cues=(Cue(1999, 59_999, "王芳", "你好\n世界 <&>", "zh", 0),),
        speakers=(Speaker("王芳", "speaker", "spokesperson"),),
        language="zh",
        source=None,
        date="2021-05-31",
    )
    assert render(doc) == (
        "{\n"
        '  "schema": 1,\n'
        '  "language": "zh",\n'
        '  "source": null,\n'
        '  "date": "2021-05-31",\n'
        '  "speakers": [\n'
        "    {\n"
        '      "name": "王芳",\n'
        '      "role": "speaker",\n'
        '      "title": "spokesperson"\n'
        "    }\n"
        "  ],\n"
        '  "cues": [\n'
        "    {\n"
        '      "index": 1,\n'
        '      "start_ms": 1999,\n'
        '      "end_ms": 59999,\n'
        '      "start": "00:00:01.999",\n'
        '      "end": "00:00:59.999",\n'
        '      "speaker": "王芳",\n'
        '      "role": "speaker",\n'
        '      "language": "zh",\n'
        '      "turn": 0,\n'
        '      "first_of_turn": true,\n'
        '      "lines": [\n'
        '        "你好",\n'
        '        "世界 <&>"\n'
        "      ],\n"
        '      "text": "你好\\n世界 <&>"\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )


def test_right_to_left_text_without_direction_marks() -> None:
    """The SRT and WebVTT writers add U+200F to some right-to-left lines; the JSON does not."""
    cues = (Cue(0, 1000, "CGTN", "مساء الخير\nOrion للطاقة", "ar", 0),)
    data = json.loads(render(Subtitles(cues=cues, language="ar")))
    assert data["cues"][0]["lines"] == ["مساء الخير", "Orion للطاقة"]
    assert "\u200f" not in render(Subtitles(cues=cues, language="ar"))


def test_key_order_turns_and_no_labels(briefing: Subtitles) -> None:
    data = json.loads(render(briefing, WriteOptions(speaker_labels="upper")))
    assert list(data) == ["schema", "language", "source", "date", "speakers", "cues"]
    cue = data["cues"][0]
    assert list(cue) == [
        "index",
        "start_ms",
        "end_ms",
        "start",
        "end",
        "speaker",
        "role",
        "language",
        "turn",
        "first_of_turn",
        "lines",
        "text",
    ]
    assert [c["index"] for c in data["cues"]] == list(range(1, len(briefing.cues) + 1))
    assert [c["first_of_turn"] for c in data["cues"]] == [True, False, True, False, True, True]
    assert [c["turn"] for c in data["cues"]] == [0, 0, 1, 1, 2, 3]
    assert cue["lines"] == ["Good afternoon. Let's begin", "today's briefing."]
    assert data["cues"][2]["role"] == "media" and data["cues"][5]["role"] == ""
    assert data["cues"][5]["start"] == "10:00:00.000"


def test_deterministic(briefing: Subtitles) -> None:
    assert render(briefing) == render(briefing)


def test_clamps_past_99_hours() -> None:
    doc = Subtitles(cues=(Cue(MAX_MS - 1, MAX_MS + 1, "", "x", "en", 0),))
    cue = json.loads(render(doc))["cues"][0]
    assert (cue["end_ms"], cue["end"]) == (MAX_MS, "99:59:59.999")


def test_briefing_valid_against_schema(briefing: Subtitles) -> None:
    validator().validate(json.loads(render(briefing)))


def test_schema_rejects_bad_documents(briefing: Subtitles) -> None:
    data = json.loads(render(briefing))
    data["cues"][0]["start"] = "00:00:01,000"
    data["cues"][1]["extra"] = 1
    del data["cues"][2]["turn"]
    errors = list(validator().iter_errors(data))
    assert len(errors) == 3


@settings(max_examples=60, deadline=None)
@given(subtitle_docs())
def test_random_documents_valid_against_schema(doc: Subtitles) -> None:
    data = json.loads(render(doc))
    validator().validate(data)
    assert [(c["start_ms"], c["end_ms"]) for c in data["cues"]] == [
        (c.start_ms, c.end_ms) for c in doc.cues
    ]
    assert all(c["text"] == "\n".join(c["lines"]) for c in data["cues"])
