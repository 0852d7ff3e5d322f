"""The waveform picture: a PNG of the right size with the cue spans where the speech is."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_preview import CUES, SPOKEN, review_json, synth_speech

from aligner.cli import main
from aligner.review.load import load_subtitles
from aligner.review.plot import ENVELOPE_RATE, decode_mono, plot_waveform

pytestmark = pytest.mark.client


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plot")
    synth_speech([(c[0], t) for c, t in zip(CUES, SPOKEN, strict=True)], 7500, root / "s.wav")
    review_json(root / "subs.json")
    return root


def test_decode_is_mono_16_bit_and_speech_sits_in_the_cues(media: Path) -> None:
    samples = decode_mono(media / "s.wav")
    assert len(samples) == pytest.approx(7.5 * ENVELOPE_RATE, abs=ENVELOPE_RATE * 0.01)
    loud = abs(samples.astype(int)) > 1000
    for start, end, *_ in CUES:
        inside = loud[start * ENVELOPE_RATE // 1000 : end * ENVELOPE_RATE // 1000]
        assert inside.any()
    assert not loud[: 400 * ENVELOPE_RATE // 1000].any()  # silence before the first cue


def test_plot_writes_a_png(media: Path) -> None:
    from PIL import Image

    out = plot_waveform(load_subtitles(media / "subs.json"), media / "s.wav", media / "w.png")
    with Image.open(out) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width == 1400 and 150 < height < 400
        # the speakers' colours are in the picture (Li Xiaojun blue, CGTN red, blended)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 20


def test_plot_command_rows(media: Path) -> None:
    out = media / "rows.png"
    result = CliRunner().invoke(
        main,
        [
            "plot",
            str(media / "subs.json"),
            "--audio",
            str(media / "s.wav"),
            "-o",
            str(out),
            "--row-seconds",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    from PIL import Image

    with Image.open(out) as image:
        assert image.size[1] > 3 * 150  # three rows of 3 s for 7.5 s


def test_plot_of_missing_audio_is_exit_1(media: Path) -> None:
    result = CliRunner().invoke(
        main, ["plot", str(media / "subs.json"), "--audio", str(media / "none.wav")]
    )
    assert result.exit_code == 1
    assert "none.wav: recording not found" in result.output
