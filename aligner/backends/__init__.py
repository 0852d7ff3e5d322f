"""Timing backends: the Aligner protocol, the registry of backends, and align()."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from aligner.errors import AlignmentError
from aligner.model import Cue, Line
from aligner.segment import SegmentRules

# Aligned cues stay up this long after the speech ends (room allowing): a forced aligner ends a
# cue on the last sound, and readers need a moment after it (Netflix allows up to 500 ms).
END_PAD_MS = 100


class Progress(NamedTuple):
    """How far a long call has come."""

    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


ProgressFn = Callable[[Progress], None]


class Aligner(Protocol):
    """Gives every Line a time span.

    Contract: one Cue per Line, in the same order, sorted and non-overlapping, or an
    ``AlignmentError``. A backend may cut a Line into several cues between its display lines
    (their texts joined by ``"\\n"`` are the Line's; see ``split_lines``). No printing and
    no files other than temporary ones.
    """

    name: str

    def align(
        self,
        lines: Sequence[Line],
        audio: Path | None,
        *,
        rules: SegmentRules,
        on_progress: ProgressFn | None = None,
    ) -> list[Cue]: ...


def _estimate() -> Aligner:
    from aligner.backends.estimate import EstimateAligner

    return EstimateAligner()


def _aeneas() -> Aligner:
    from aligner.backends.aeneas_backend import AeneasAligner

    return AeneasAligner()


def _dtw() -> Aligner:
    from aligner.backends.dtw_backend import DtwAligner

    return DtwAligner()


# Backends by name. Factories import lazily so that `aligner --help` never loads an engine.
BACKENDS: dict[str, Callable[[], Aligner]] = {"estimate": _estimate, "aeneas": _aeneas, "dtw": _dtw}


def default_backend(audio: Path | None) -> str:
    """The backend used when none is named: forced alignment with a recording, else estimate.

    With a recording, our own ``dtw`` engine: on clean synthetic speech it places cue starts
    about as well as aeneas tuned (within a point of the share within 100 ms), and on noisy,
    long, real (TIMIT) speech and speech with untranscribed passages far better than aeneas
    alone or inside our pipeline, in a tenth of the memory for an hour
    (``docs/benchmarks.md``). ``--aligner aeneas`` still runs aeneas.
    """
    if audio is not None:
        return "dtw"
    return "estimate"


def get_backend(name: str) -> Aligner:
    """The backend registered under ``name``.

    Raises:
        AlignmentError: No backend has that name.
    """
    try:
        factory = BACKENDS[name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise AlignmentError(f"unknown aligner {name!r}; choose one of {known}") from None
    return factory()


def align(
    lines: Sequence[Line],
    audio: Path | None = None,
    *,
    rules: SegmentRules,
    backend: str | None = None,
    start_ms: int = 0,
    on_progress: ProgressFn | None = None,
) -> list[Cue]:
    """Time ``lines`` with ``backend``, then apply the backend-independent timing rules.

    ``backend`` None picks ``default_backend(audio)``.
    """
    from aligner.timing import finalize

    backend = backend or default_backend(audio)
    cues = get_backend(backend).align(lines, audio, rules=rules, on_progress=on_progress)
    if len(cues) != len(lines):
        lines = split_lines(lines, cues, backend)
    padded = END_PAD_MS if audio is not None and backend != "estimate" else 0
    return finalize(cues, lines, rules=rules, offset_ms=start_ms, end_pad_ms=padded)


def split_lines(lines: Sequence[Line], cues: Sequence[Cue], backend: str) -> list[Line]:
    """``lines`` cut as a backend cut some of them into several cues, between display lines
    (a Line said on both sides of a passage the transcript lacks). The label stays on the
    first piece; the others end a sentence where they end.

    Raises:
        AlignmentError: The cues' texts are not the Lines' display lines in order.
    """
    out: list[Line] = []
    at = 0
    for line in lines:
        pieces: list[str] = []
        while at < len(cues) and "\n".join(pieces) != line.text:
            pieces.append(cues[at].text)
            at += 1
        if "\n".join(pieces) != line.text:
            raise AlignmentError(
                f"aligner {backend!r} returned {len(cues)} cues for {len(lines)} lines, "
                f"and they do not hold line {len(out) + 1}'s text"
            )
        for k, piece in enumerate(pieces):
            last = k == len(pieces) - 1
            out.append(
                dataclasses.replace(
                    line,
                    text=piece,
                    label=line.label if k == 0 else "",
                    ends_sentence=line.ends_sentence if last else True,
                )
            )
    if at != len(cues):
        raise AlignmentError(f"aligner {backend!r} returned {len(cues) - at} cues too many")
    return out
