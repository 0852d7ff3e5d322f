"""The no-audio backend: cues follow each other at a natural speaking rate; deterministic."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aligner.backends import ProgressFn
from aligner.model import Cue, Line
from aligner.rate import speech_ms
from aligner.segment import SegmentRules
from aligner.timing import reading_ms


class EstimateAligner:
    """Times Lines as if read aloud at ``rules.words_per_minute``.

    Each cue lasts as long as its text takes to say, but at least the minimum duration and long
    enough to read at ``max_cps``, and at most the maximum duration: those of the cue's own
    language (``rules.for_text_in``), so a Chinese cue in an English document is read at 9
    characters a second, not 17. Cues inside a sentence are separated by the minimum gap,
    sentences by ``sentence_pause_ms``, turns by ``turn_pause_ms``. The recording, if one is
    given, is not listened to.
    """

    name = "estimate"

    def align(
        self,
        lines: Sequence[Line],
        audio: Path | None,
        *,
        rules: SegmentRules,
        on_progress: ProgressFn | None = None,
    ) -> list[Cue]:
        cues: list[Cue] = []
        clock = 0
        by_language: dict[str, SegmentRules] = {}
        for k, line in enumerate(lines):
            if k > 0:
                previous = lines[k - 1]
                if previous.turn_index != line.turn_index:
                    clock += rules.turn_pause_ms
                elif previous.ends_sentence:
                    clock += rules.sentence_pause_ms
                else:
                    clock += rules.min_gap_ms
            if line.language not in by_language:
                by_language[line.language] = rules.for_text_in(line.language)
            own = by_language[line.language]  # its language's reading speed and durations
            duration = max(
                speech_ms(line.text, rules.words_per_minute, language=line.language),
                reading_ms(line.shown, own.max_cps),
                own.min_duration_ms,
            )
            duration = min(duration, own.max_duration_ms)
            cues.append(Cue.from_line(line, clock, clock + duration))
            clock += duration
        return cues
