"""The data that flows through the pipeline: Speaker, Turn, Transcript, Line, Cue, Subtitles.

Every type is a frozen dataclass that checks its invariants when it is made, so bad data fails
where it is created rather than in a writer. Times are integer milliseconds (``*_ms``).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLE_CHAIRPERSON = "chairperson"
ROLE_SPEAKER = "speaker"
ROLE_MEDIA = "media"
UNNAMED_SPEAKER = ""


def _check_text(kind: str, text: str) -> None:
    if not text.strip():
        raise ValueError(f"{kind} text is empty")
    if "\r" in text:
        raise ValueError(f"{kind} text contains a carriage return: {text!r}")
    for line in text.split("\n"):
        if not line.strip():
            raise ValueError(f"{kind} text has a blank line: {text!r}")


@dataclass(frozen=True, slots=True)
class Speaker:
    """A person or outlet who speaks, as listed in the transcript's header or found in its turns.

    Attributes:
        name: As written in the transcript (``"Li Xiaojun"``, ``"People's Daily"``).
        role: ``"chairperson"`` or ``"speaker"`` from the header; ``"media"`` for a turn speaker
            the header does not list (questions from the floor); ``""`` when there is no header.
        title: The description the header gives (``"head of the Publicity Department ..."``).
    """

    name: str
    role: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn as written: paragraphs joined by ``"\\n"``.

    Attributes:
        speaker: The speaker's name; ``""`` for a transcript with no speaker lines.
        text: The spoken text, one paragraph per line.
        language: BCP 47 tag of the text.
        source_line: 1-based line of the transcript where the turn's first paragraph starts.
        paragraph_languages: The language of each paragraph, when some paragraph is in
            another language than ``language`` (an interpreter's English in a Chinese
            briefing); empty when all are in ``language``.
    """

    speaker: str
    text: str
    language: str = "en"
    source_line: int = 1
    paragraph_languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_text("turn", self.text)
        if self.source_line < 1:
            raise ValueError(f"source_line must be 1 or more, not {self.source_line}")
        paragraphs = self.text.count("\n") + 1
        if self.paragraph_languages and len(self.paragraph_languages) != paragraphs:
            raise ValueError(
                f"{len(self.paragraph_languages)} paragraph languages for {paragraphs} paragraphs"
            )

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n")

    def language_of(self, paragraph: int) -> str:
        """The language of paragraph ``paragraph`` (0-based): its own, or the turn's."""
        return self.paragraph_languages[paragraph] if self.paragraph_languages else self.language


@dataclass(frozen=True, slots=True)
class LanguageSwitch:
    """A paragraph in another language than its document's, and why it was judged so.

    Attributes:
        turn_index: 0-based index of its turn.
        paragraph: 0-based index of the paragraph in its turn.
        source_line: 1-based line of the transcript it is on.
        language: BCP 47 tag of the paragraph.
        reason: One line: the script statistics that decided it.
    """

    turn_index: int
    paragraph: int
    source_line: int
    language: str
    reason: str


@dataclass(frozen=True, slots=True)
class Transcript:
    """A parsed transcript: the turns to subtitle and the metadata that is not spoken.

    ``language`` is the document's; ``language_reason`` says why (None when the caller gave it
    without saying), and ``language_switches`` lists the paragraphs in another language.
    """

    turns: tuple[Turn, ...]
    speakers: tuple[Speaker, ...] = ()
    date: str | None = None
    credits: tuple[str, ...] = ()
    source: str | None = None
    language: str = "en"
    encoding: str = "utf-8"
    language_reason: str | None = None
    language_switches: tuple[LanguageSwitch, ...] = ()

    def __post_init__(self) -> None:
        names = [s.name for s in self.speakers]
        if len(set(names)) != len(names):
            raise ValueError(f"speakers listed twice: {names}")
        missing = {t.speaker for t in self.turns} - set(names) - {UNNAMED_SPEAKER}
        if missing:
            raise ValueError(f"turn speakers missing from the speaker list: {sorted(missing)}")


@dataclass(frozen=True, slots=True)
class Line:
    """A subtitle-sized piece of one turn, not yet timed.

    Attributes:
        speaker: The turn's speaker; a Line never holds two speakers.
        text: One to ``max_lines`` display lines joined by ``"\\n"``.
        language: BCP 47 tag.
        turn_index: 0-based index of the turn the Line comes from.
        ends_sentence: The Line's last word ends a sentence (timing puts a pause after it).
        label: The speaker label the writers show before it (``"Li Xiaojun: "`` on a turn's
            first Line), which the reader reads too: timing counts it in the reading speed.
    """

    speaker: str
    text: str
    language: str
    turn_index: int
    ends_sentence: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        _check_text("line", self.text)
        if self.turn_index < 0:
            raise ValueError(f"turn_index must be 0 or more, not {self.turn_index}")

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def shown(self) -> str:
        """What a viewer reads: the label, then the text."""
        return self.label + self.text


@dataclass(frozen=True, slots=True)
class Cue:
    """A timed Line: the only thing writers accept.

    Attributes:
        confidence: How sure the aligner is of the cue's times, 0-1; None when nothing was
            aligned (timing without a recording).
        needs_review: The aligner suspects the cue is misplaced or its text is not in the
            recording.
    """

    start_ms: int
    end_ms: int
    speaker: str
    text: str
    language: str
    turn_index: int
    confidence: float | None = None
    needs_review: bool = False

    def __post_init__(self) -> None:
        if self.confidence is not None and not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, not {self.confidence}")
        if not 0 <= self.start_ms < self.end_ms:
            raise ValueError(
                f"cue times must satisfy 0 <= start < end: {self.start_ms}, {self.end_ms}"
            )
        _check_text("cue", self.text)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @classmethod
    def from_line(
        cls,
        line: Line,
        start_ms: int,
        end_ms: int,
        *,
        confidence: float | None = None,
        needs_review: bool = False,
    ) -> Cue:
        return cls(
            start_ms,
            end_ms,
            line.speaker,
            line.text,
            line.language,
            line.turn_index,
            confidence,
            needs_review,
        )


@dataclass(frozen=True, slots=True)
class Subtitles:
    """What the writers receive: the cues and the transcript metadata that goes with them.

    ``language`` is the document's; a cue in another language carries its own (``Cue.language``),
    and ``language_reason`` and ``language_switches`` say why (see :class:`Transcript`).
    """

    cues: tuple[Cue, ...]
    speakers: tuple[Speaker, ...] = ()
    language: str = "en"
    source: str | None = None
    date: str | None = None
    language_reason: str | None = None
    language_switches: tuple[LanguageSwitch, ...] = ()

    def __post_init__(self) -> None:
        for before, after in zip(self.cues, self.cues[1:], strict=False):
            if after.start_ms < before.end_ms:
                raise ValueError(
                    f"cues overlap or are out of order: {before.start_ms}-{before.end_ms} "
                    f"then {after.start_ms}-{after.end_ms}"
                )

    def first_of_turn(self, index: int) -> bool:
        """Whether cue ``index`` is the first cue of its turn."""
        return index == 0 or self.cues[index - 1].turn_index != self.cues[index].turn_index

    def role_of(self, name: str) -> str:
        for speaker in self.speakers:
            if speaker.name == name:
                return speaker.role
        return ""
