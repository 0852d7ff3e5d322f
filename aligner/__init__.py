"""aligner: press-briefing transcripts to speaker-labelled SRT, WebVTT and JSON subtitles.

The pipeline is four plain functions: ``parse_transcript`` (or ``read_transcript``) →
``segment`` → ``align`` → ``write``; ``run`` does all of them for a file.
"""

from aligner.backends import align
from aligner.errors import (
    AlignerError,
    AlignmentError,
    BackendUnavailableError,
    OutputError,
    SegmentError,
    TranscriptError,
)
from aligner.model import Cue, Line, Speaker, Subtitles, Transcript, Turn
from aligner.pipeline import make_subtitles, run
from aligner.segment import SegmentRules, segment
from aligner.transcript import parse_transcript, read_transcript
from aligner.writers import WriteOptions, write

__version__ = "0.1.0"

__all__ = [
    "AlignerError",
    "AlignmentError",
    "BackendUnavailableError",
    "Cue",
    "Line",
    "OutputError",
    "SegmentError",
    "SegmentRules",
    "Speaker",
    "Subtitles",
    "Transcript",
    "TranscriptError",
    "Turn",
    "WriteOptions",
    "__version__",
    "align",
    "make_subtitles",
    "parse_transcript",
    "read_transcript",
    "run",
    "segment",
    "write",
]
