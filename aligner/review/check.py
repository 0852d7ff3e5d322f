"""The subtitle linter: syntax, timing and text rules over a parsed SRT or WebVTT file."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aligner.review.parse import (
    ERROR,
    INFO,
    SEVERITIES,
    WARNING,
    Finding,
    ParsedCue,
    ParsedFile,
    parse_file,
)
from aligner.review.text import split_label, srt_problems, visible_lines, vtt_problems
from aligner.segment import AFTER_PREP, BAN, IN_NAME, SegmentRules, break_badness

# Characters per line and reading speed by language (shared/notes/subtitle-norms.md §0-§1:
# Netflix; CPS the conservative "template"/adult rates). Others use the English numbers.
PROFILES: dict[str, tuple[int, float]] = {
    "en": (42, 17.0),
    "fr": (42, 17.0),
    "de": (42, 17.0),
    "es": (42, 17.0),
    "ru": (42, 17.0),
    "ar": (42, 20.0),
    "zh": (16, 9.0),
    "ja": (13, 4.0),
    "ko": (16, 12.0),
}
# Scripts written without spaces: word-level break rules do not apply.
_NO_SPACE_LANGUAGES = frozenset(("zh", "ja", "ko", "th"))
# A two-line cue whose shorter line is below this share of the longer one is unbalanced.
BALANCE_RATIO = 0.4


def rules_for(
    language: str = "en",
    *,
    max_chars: int | None = None,
    max_lines: int | None = None,
    max_cps: float | None = None,
) -> SegmentRules:
    """The limits ``check`` applies to ``language`` (a BCP 47 tag); None keeps the profile's.

    Raises:
        SegmentError: A limit is out of range.

    Example:
        >>> rules_for("zh-Hans").max_chars
        16
    """
    chars, cps = PROFILES.get(language.split("-")[0].lower(), PROFILES["en"])
    return SegmentRules(
        max_chars=max_chars or chars,
        max_cps=max_cps or cps,
        max_lines=max_lines or 2,
        language=language,
    )


@dataclass(frozen=True, slots=True)
class Report:
    """The result of checking one file."""

    path: str
    fmt: str
    cue_count: int
    findings: tuple[Finding, ...]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def ok(self) -> bool:
        """No errors (warnings and notes allowed)."""
        return self.count(ERROR) == 0

    def summary(self) -> str:
        names = {
            ERROR: ("error", "errors"),
            WARNING: ("warning", "warnings"),
            INFO: ("note", "notes"),
        }
        counts = ", ".join(f"{self.count(s)} {names[s][self.count(s) != 1]}" for s in SEVERITIES)
        return f"{self.path}: {self.cue_count} cues ({self.fmt}); {counts}"

    def to_data(self) -> dict[str, object]:
        return {
            "file": self.path,
            "format": self.fmt,
            "cues": self.cue_count,
            "summary": {s: self.count(s) for s in SEVERITIES},
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity,
                    "cue": f.cue,
                    "line": f.line,
                    "message": f.message,
                }
                for f in self.findings
            ],
        }

    def lines(self) -> list[str]:
        """One line per finding, ``FILE:LINE: cue N: severity code: message``."""
        out = []
        for f in self.findings:
            where = f"{self.path}:{f.line}" if f.line else self.path
            cue = f" cue {f.cue}:" if f.cue else ""
            out.append(f"{where}:{cue} {f.severity} {f.code}: {f.message}")
        return out


def check_parsed(parsed: ParsedFile, path: str, rules: SegmentRules) -> Report:
    """Run every rule on ``parsed``; findings sorted by line."""
    findings = list(parsed.findings)
    for cue in parsed.cues:
        findings.extend(_markup(cue, parsed.fmt))
        findings.extend(_text_rules(cue, parsed.fmt, rules))
    findings.extend(_timing_rules(parsed.cues, rules))
    if parsed.fmt == "vtt":
        findings.extend(_vtt_ids(parsed.cues))
    findings.sort(key=lambda f: (f.line or 0, SEVERITIES.index(f.severity)))
    return Report(path, parsed.fmt, len(parsed.cues), tuple(findings))


def check_file(path: Path, *, rules: SegmentRules | None = None, fmt: str | None = None) -> Report:
    """Check the SRT or WebVTT file at ``path``.

    Raises:
        OSError: It cannot be read.
    """
    return check_parsed(parse_file(path, fmt), str(path), rules or SegmentRules())


def _markup(cue: ParsedCue, fmt: str) -> list[Finding]:
    out = []
    for k, line in enumerate(cue.lines):
        problems = vtt_problems(line) if fmt == "vtt" else srt_problems(line)
        for p in problems:
            out.append(
                Finding(
                    p.code,
                    p.severity,
                    cue.number,
                    cue.first_text_line + k,
                    f"column {p.column + 1}: {p.message}",
                )
            )
        if fmt == "srt" and line.strip().isdigit():
            out.append(
                Finding(
                    "number-line",
                    WARNING,
                    cue.number,
                    cue.first_text_line + k,
                    "a line that is only a number can be read as a cue number",
                )
            )
    return out


def _text_rules(cue: ParsedCue, fmt: str, rules: SegmentRules) -> list[Finding]:
    if not cue.lines:
        return []
    lines = visible_lines(cue.lines, fmt)
    first = cue.first_text_line
    out = []
    for k, line in enumerate(lines):
        if len(line) > rules.max_chars:
            out.append(
                Finding(
                    "line-too-long",
                    WARNING,
                    cue.number,
                    first + k,
                    f"{len(line)} characters, more than {rules.max_chars}",
                )
            )
    if len(lines) > rules.max_lines:
        out.append(
            Finding(
                "too-many-lines",
                WARNING,
                cue.number,
                first,
                f"{len(lines)} lines, more than {rules.max_lines}",
            )
        )
    if cue.timed:
        assert cue.start_ms is not None and cue.end_ms is not None
        duration = cue.end_ms - cue.start_ms
        chars = len("\n".join(lines))  # a line break counts as a space, as in aligner.timing
        if duration > 0 and chars * 1000 > rules.max_cps * duration:
            cps = chars * 1000 / duration
            need = math.ceil(chars * 1000 / rules.max_cps)
            out.append(
                Finding(
                    "reading-speed",
                    WARNING,
                    cue.number,
                    cue.timing_line,
                    f"{cps:.1f} characters/s, more than {rules.max_cps:g} "
                    f"(needs {need} ms, has {duration})",
                )
            )
    if len(lines) == 2 and all(lines):
        top, bottom = len(lines[0]), len(lines[1])
        if top + 1 + bottom <= rules.max_chars:
            out.append(
                Finding(
                    "could-be-one-line",
                    INFO,
                    cue.number,
                    first,
                    f"fits on one line ({top + 1 + bottom} characters)",
                )
            )
        elif min(top, bottom) < BALANCE_RATIO * max(top, bottom):
            out.append(
                Finding(
                    "line-balance",
                    INFO,
                    cue.number,
                    first,
                    f"unbalanced lines ({top} and {bottom} characters)",
                )
            )
    if rules.language.split("-")[0].lower() not in _NO_SPACE_LANGUAGES:
        out.extend(_breaks(cue, lines))
    return out


def _breaks(cue: ParsedCue, lines: list[str]) -> list[Finding]:
    """Line breaks after an article, title or preposition, or inside a name."""
    out = []
    for k in range(len(lines) - 1):
        top = lines[k].split()
        if k == 0 and (label := split_label(lines[0])) is not None:
            top = label[1].split() or top
        bottom = lines[k + 1].split()
        if not top or not bottom:
            continue
        word = top[-1]
        badness = break_badness(
            word,
            bottom[0],
            sentence_end=word[-1:] in ".?!…",
            previous=top[-2] if len(top) > 1 else "",
            after_next=bottom[1] if len(bottom) > 1 else "",
        )
        kind = {
            BAN: "after an article or title",
            IN_NAME: "inside a name",
            AFTER_PREP: "after a preposition",
        }.get(badness)
        if kind:
            out.append(
                Finding(
                    "bad-break",
                    WARNING,
                    cue.number,
                    cue.first_text_line + k,
                    f"line break {kind}: {word!r} / {bottom[0]!r}",
                )
            )
    return out


def _timing_rules(cues: Sequence[ParsedCue], rules: SegmentRules) -> list[Finding]:
    out = []
    previous: ParsedCue | None = None
    for cue in cues:
        if not cue.timed:
            continue
        assert cue.start_ms is not None and cue.end_ms is not None
        start, end = cue.start_ms, cue.end_ms
        if end <= start:
            out.append(
                Finding(
                    "end-before-start",
                    ERROR,
                    cue.number,
                    cue.timing_line,
                    f"ends at {end} ms, not after its start ({start} ms)",
                )
            )
            continue  # its duration and neighbours mean nothing
        duration = end - start
        if duration < rules.min_duration_ms:
            out.append(
                Finding(
                    "too-short",
                    WARNING,
                    cue.number,
                    cue.timing_line,
                    f"shown {duration} ms, less than {rules.min_duration_ms}",
                )
            )
        elif duration > rules.max_duration_ms:
            out.append(
                Finding(
                    "too-long",
                    WARNING,
                    cue.number,
                    cue.timing_line,
                    f"shown {duration} ms, more than {rules.max_duration_ms}",
                )
            )
        if previous is not None:
            assert previous.start_ms is not None and previous.end_ms is not None
            gap = start - previous.end_ms
            if start < previous.start_ms:
                out.append(
                    Finding(
                        "out-of-order",
                        ERROR,
                        cue.number,
                        cue.timing_line,
                        f"starts before cue {previous.number} ({start} < {previous.start_ms} ms)",
                    )
                )
            elif gap < 0:
                out.append(
                    Finding(
                        "overlap",
                        ERROR,
                        cue.number,
                        cue.timing_line,
                        f"starts {-gap} ms before cue {previous.number} ends",
                    )
                )
            elif gap < rules.min_gap_ms:
                out.append(
                    Finding(
                        "gap",
                        WARNING,
                        cue.number,
                        cue.timing_line,
                        f"{gap} ms after cue {previous.number}, less than "
                        f"{rules.min_gap_ms} (two frames)",
                    )
                )
        previous = cue
    return out


def _vtt_ids(cues: Sequence[ParsedCue]) -> list[Finding]:
    seen: dict[str, int] = {}
    out = []
    for cue in cues:
        if cue.ident and cue.ident in seen:
            out.append(
                Finding(
                    "vtt-id",
                    WARNING,
                    cue.number,
                    cue.timing_line - 1,
                    f"identifier {cue.ident!r} already used by cue {seen[cue.ident]}",
                )
            )
        seen.setdefault(cue.ident, cue.number)
    return out
