"""The exceptions the library raises; the CLI turns them into one-line messages."""

from __future__ import annotations

from pathlib import Path


class AlignerError(Exception):
    """Base of every error this package raises on purpose."""


class TranscriptError(AlignerError):
    """A transcript cannot be read or parsed.

    Args:
        message: What is wrong.
        path: The transcript's path, if it came from a file.
        line: The 1-based line number the problem is on, if known.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = f"{self.path}"
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(f"{where}{message}")


class SegmentError(AlignerError):
    """Segmentation rules that contradict each other or cannot be met."""


class AlignmentError(AlignerError):
    """A timing backend could not produce cues for the lines it was given."""


class BackendUnavailableError(AlignerError):
    """A backend's optional dependency is missing; the message names the install step."""


class OutputError(AlignerError):
    """An output cannot be written (bad path, unknown format, I/O failure)."""
