"""Our SRT and WebVTT read by real clients: ffmpeg, the W3C parser, cdown/srt and webvtt-py.

A client that is not installed raises ``ClientMissing`` naming the install step, which fails the
test (never a skip). Exit status alone proves nothing, so every check compares cue count, times,
text and voices.
"""

from __future__ import annotations

from pathlib import Path

import clients
import pytest
from clients import (
    ClientCue,
    ClientMissing,
    expected_cues,
    ffmpeg_cues,
    ffmpeg_version,
    strict_srt,
    strict_srt_indexes,
    strict_vtt,
    subtitle_docs,
    visible,
    w3c_validate,
    write_file,
)
from hypothesis import HealthCheck, given, settings

from aligner.model import Subtitles
from aligner.writers import WriteOptions

pytestmark = pytest.mark.client

OPTION_SETS = {
    "default": WriteOptions(),
    "upper-colours": WriteOptions(speaker_labels="upper", vtt_colors=True),
    "bracket-nonotes": WriteOptions(speaker_labels="bracket", vtt_notes=False),
    "none": WriteOptions(speaker_labels="none"),
}


def _visible(cues: list[ClientCue], *, voices: bool = True) -> list[ClientCue]:
    return [
        ClientCue(c.start_ms, c.end_ms, visible(c.text), c.voice if voices else None) for c in cues
    ]


@pytest.mark.parametrize("name", OPTION_SETS)
def test_ffmpeg_reads_our_srt(briefing: Subtitles, tmp_path: Path, name: str) -> None:
    options = OPTION_SETS[name]
    path = write_file(briefing, tmp_path / "out.srt", options)
    got = ffmpeg_cues(path)
    assert _visible(got) == expected_cues(briefing, options, voices=False)


@pytest.mark.parametrize("name", OPTION_SETS)
def test_ffmpeg_reads_our_vtt(briefing: Subtitles, tmp_path: Path, name: str) -> None:
    options = OPTION_SETS[name]
    path = write_file(briefing, tmp_path / "out.vtt", options)
    got = ffmpeg_cues(path)
    if options.vtt_colors and not got:
        # Known: ffmpeg before 6 (Debian 12 ships 5.1) stops reading at a STYLE block, so every
        # cue is lost; mpv inherits it. That is why WriteOptions.vtt_colors is off by default.
        # Only those versions may lose them: a newer ffmpeg that does is a new failure.
        assert ffmpeg_version().startswith(("4.", "5.")), f"ffmpeg {ffmpeg_version()} lost cues"
        return
    # ffmpeg drops the <v> voice: compare the text only.
    assert _visible(got) == expected_cues(briefing, options, voices=False)


@pytest.mark.parametrize("name", OPTION_SETS)
def test_w3c_parser_accepts_our_vtt(briefing: Subtitles, tmp_path: Path, name: str) -> None:
    options = OPTION_SETS[name]
    path = write_file(briefing, tmp_path / "out.vtt", options)
    result = w3c_validate(path)
    assert not result.errors, "\n".join(map(str, result.errors))
    assert result.ids == [str(i + 1) for i in range(len(briefing.cues))]
    assert _visible(result.cues) == expected_cues(briefing, options, voices=True)


@pytest.mark.parametrize("name", OPTION_SETS)
def test_strict_python_readers(briefing: Subtitles, tmp_path: Path, name: str) -> None:
    options = OPTION_SETS[name]
    srt_path = write_file(briefing, tmp_path / "out.srt", options)
    vtt_path = write_file(briefing, tmp_path / "out.vtt", options)
    assert strict_srt_indexes(srt_path) == list(range(1, len(briefing.cues) + 1))
    assert _visible(strict_srt(srt_path)) == expected_cues(briefing, options, voices=False)
    assert _visible(strict_vtt(vtt_path)) == expected_cues(briefing, options, voices=True)


def test_w3c_parser_reports_errors(tmp_path: Path) -> None:
    """The harness must see errors, or a clean result means nothing."""
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n1\n00:00:01,000 --> 00:00:02.000\n<v>x & y\n", encoding="utf-8")
    result = w3c_validate(bad)
    assert result.errors


def test_missing_client_fails_with_install_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ClientMissing, match="make setup"):
        ffmpeg_cues(tmp_path / "x.srt")
    with pytest.raises(ClientMissing, match="make setup"):
        w3c_validate(tmp_path / "x.vtt")
    monkeypatch.undo()
    monkeypatch.setattr(clients, "JS_DIR", tmp_path)
    with pytest.raises(ClientMissing, match="npm ci --prefix tests/js"):
        w3c_validate(tmp_path / "x.vtt")


def test_ffmpeg_harness_sees_lost_cues(tmp_path: Path) -> None:
    """ffmpeg silently merges across a blank line: the comparison, not the exit code, catches it."""
    bad = tmp_path / "bad.srt"
    bad.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nA\n\nB\n\n2\n00:00:03,000 --> 00:00:04,000\nC\n\n",
        encoding="utf-8",
    )
    got = ffmpeg_cues(bad)
    assert [c.text for c in got] != ["A", "C"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=subtitle_docs(max_cues=5))
def test_random_documents_through_every_client(doc: Subtitles) -> None:
    import tempfile

    options = WriteOptions()
    with tempfile.TemporaryDirectory() as tmp:
        srt_path = write_file(doc, Path(tmp) / "r.srt", options)
        vtt_path = write_file(doc, Path(tmp) / "r.vtt", options)
        want_text = expected_cues(doc, options, voices=False)
        got_srt = ffmpeg_cues(srt_path)
        got_vtt = ffmpeg_cues(vtt_path)
        assert _visible(got_srt) == want_text
        assert _visible(got_vtt) == want_text
        result = w3c_validate(vtt_path)
        assert not result.errors, "\n".join(map(str, result.errors))
        assert _visible(result.cues) == expected_cues(doc, options, voices=True)
