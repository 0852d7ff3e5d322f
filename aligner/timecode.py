"""Integer milliseconds to and from subtitle timestamps: the only place times become text."""

from __future__ import annotations

import re

MAX_MS = 100 * 3_600_000 - 1  # 99:59:59.999, the largest stamp with two hour digits

_TIME_RE = re.compile(
    r"^\s*(?:(?:(?P<h>\d+):)?(?P<m>\d{1,2}):)?(?P<s>\d{1,2})(?:[.,](?P<f>\d{1,3}))?\s*$"
)


def seconds_to_ms(seconds: float) -> int:
    """Round a duration in seconds to whole milliseconds, once, at the boundary.

    Example:
        >>> seconds_to_ms(1.9996)
        2000
    """
    return round(seconds * 1000)


def format_ms(ms: int, *, decimal: str = ",") -> str:
    """Write ``ms`` as ``HH:MM:SS,mmm`` (SRT) or, with ``decimal="."``, ``HH:MM:SS.mmm`` (WebVTT).

    Integer arithmetic only, so 1999 ms can never become ``00:00:01,1000``.

    Raises:
        ValueError: ``ms`` is negative or past 99:59:59.999.

    Example:
        >>> format_ms(3_723_004)
        '01:02:03,004'
        >>> format_ms(59_999, decimal=".")
        '00:00:59.999'
    """
    if ms < 0 or ms > MAX_MS:
        raise ValueError(f"time {ms} ms is outside 0..{MAX_MS} ms")
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{decimal}{millis:03d}"


def parse_time(text: str) -> int:
    """Read a user-given time: ``SS``, ``SS.mmm``, ``MM:SS``, ``HH:MM:SS,mmm`` or ``HH:MM:SS.mmm``.

    A fraction of one or two digits is tenths or hundredths (``1.5`` is 1500 ms).

    Raises:
        ValueError: The text is not a time.

    Example:
        >>> parse_time("01:02:03,004")
        3723004
        >>> parse_time("1.5")
        1500
        >>> parse_time("2:05")
        125000
    """
    match = _TIME_RE.match(text)
    if match is None:
        raise ValueError(f"not a time: {text!r} (expected HH:MM:SS.mmm, MM:SS or seconds)")
    hours = int(match["h"] or 0)
    minutes = int(match["m"] or 0)
    seconds = int(match["s"])
    if match["m"] is not None and seconds > 59:
        raise ValueError(f"not a time: {text!r} (seconds must be below 60)")
    if match["h"] is not None and minutes > 59:
        raise ValueError(f"not a time: {text!r} (minutes must be below 60)")
    fraction = match["f"] or "0"
    millis = int(fraction.ljust(3, "0"))
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
