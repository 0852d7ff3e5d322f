"""Turns to subtitle-sized Lines: sentence splitting, cue breaks and line breaks by cost search."""

from __future__ import annotations

from dataclasses import dataclass

from aligner.errors import SegmentError


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """Every size and time limit of a subtitle, with English defaults.

    The numbers come from Netflix's English timed-text style guide and its General Requirements
    (see ``shared/notes/subtitle-norms.md`` §0-§2): 42 characters per line, 2 lines, 17 characters
    per second (the conservative "template" rate), 5/6 s to 7 s per cue, 2 frames between cues.

    Attributes:
        max_chars: Characters per display line (spaces and punctuation count).
        max_lines: Display lines per cue.
        max_cps: Reading speed limit, characters per second.
        min_duration_ms: Shortest cue (20 frames at 24 fps).
        max_duration_ms: Longest cue.
        min_gap_ms: Smallest gap between two cues (2 frames at 24 fps).
        words_per_minute: Speaking rate used when there is no recording.
        sentence_pause_ms: Pause after a sentence inside a turn, when timing without audio.
        turn_pause_ms: Pause between turns, when timing without audio.
        language: BCP 47 tag of the text the rules are for.
    """

    max_chars: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    min_gap_ms: int = 84
    words_per_minute: float = 150.0
    sentence_pause_ms: int = 300
    turn_pause_ms: int = 1000
    language: str = "en"

    def __post_init__(self) -> None:
        if self.max_chars < 10:
            raise SegmentError(f"--max-chars must be at least 10, not {self.max_chars}")
        if not 1 <= self.max_lines <= 4:
            raise SegmentError(f"--max-lines must be between 1 and 4, not {self.max_lines}")
        if self.max_cps <= 0:
            raise SegmentError(f"max_cps must be positive, not {self.max_cps}")
        if not 0 < self.min_duration_ms < self.max_duration_ms:
            raise SegmentError(
                f"durations must satisfy 0 < min ({self.min_duration_ms} ms) "
                f"< max ({self.max_duration_ms} ms)"
            )
        if self.min_gap_ms < 0:
            raise SegmentError(f"min_gap_ms must be 0 or more, not {self.min_gap_ms}")
        if self.words_per_minute <= 0:
            raise SegmentError(f"words per minute must be positive, not {self.words_per_minute}")
        if self.sentence_pause_ms < self.min_gap_ms or self.turn_pause_ms < self.min_gap_ms:
            raise SegmentError("pauses must be at least the minimum gap")
