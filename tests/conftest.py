"""Shared fixtures: small subtitle documents built in code, and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aligner.model import Cue, Speaker, Subtitles


@pytest.fixture
def briefing() -> Subtitles:
    """Three speakers over four turns: labels, escaping, CJK in another language, hours > 9."""
    return Subtitles(
        cues=(
            Cue(
                1000, 4200, "Li Xiaojun", "Good afternoon. Let's begin\ntoday's briefing.", "en", 0
            ),
            Cue(4280, 7999, "Li Xiaojun", "5 < 6 & 7 > 3, a --> b", "en", 0),
            Cue(8400, 59_999, "People's Daily", "Can you confirm\nthe date?", "en", 1),
            Cue(60_000, 61_999, "People's Daily", "你好，世界！", "zh", 1),
            Cue(62_000, 63_000, "Li Xiaojun", "Yes: <b>bold</b> {\\an8} C:\\new", "en", 2),
            Cue(36_000_000, 36_001_999, "", "Applause", "en", 3),
        ),
        speakers=(
            Speaker("Li Xiaojun", "speaker", "Director-General --> of the bureau"),
            Speaker("People's Daily", "media"),
        ),
        language="en",
        source="scio.gov.cn",
        date="2021-05-31",
    )


# --- Sample transcripts (added by the pipeline tests) ---------------------------------------


from aligner.model import Transcript  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEED = SAMPLES / "scio-briefing-2021-05-31.en.txt"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_transcript() -> Transcript:
    from aligner.transcript import read_transcript

    return read_transcript(SEED)


CHROMIUM = "/usr/bin/chromium"  # Debian's, installed by scripts/install_system_packages.sh
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright; a missing piece fails the test, never skips it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run .venv/bin/pip install -e '.[dev]'")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_system_packages.sh")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()
