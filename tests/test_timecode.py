"""Tests for aligner.timecode: formatting, parsing, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aligner.timecode import MAX_MS, format_ms, parse_time, seconds_to_ms


@given(st.integers(min_value=0, max_value=MAX_MS))
def test_round_trip(ms: int) -> None:
    assert parse_time(format_ms(ms)) == ms
    assert parse_time(format_ms(ms, decimal=".")) == ms


@given(st.integers(min_value=0, max_value=MAX_MS))
def test_always_well_formed(ms: int) -> None:
    text = format_ms(ms)
    hours, minutes, rest = text.split(":")
    seconds, millis = rest.split(",")
    assert len(hours) == len(minutes) == len(seconds) == 2 and len(millis) == 3
    assert int(minutes) < 60 and int(seconds) < 60


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(1.9996, "00:00:02,000"), (59.9999, "00:01:00,000"), (0.0005, "00:00:00,000")],
)
def test_float_seconds_round_once(seconds: float, expected: str) -> None:
    # The stamps float formatters get wrong (`00:00:01,1000`, `00:00:60.000`).
    assert format_ms(seconds_to_ms(seconds)) == expected


def test_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside"):
        format_ms(-1)
    with pytest.raises(ValueError, match="outside"):
        format_ms(MAX_MS + 1)


@pytest.mark.parametrize("text", ["", "abc", "1:2:3:4", "00:61:00", "10:00:75"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_time(text)
