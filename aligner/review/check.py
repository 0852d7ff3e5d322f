"""The subtitle linter: syntax, timing and text rules over a parsed SRT or WebVTT file."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from aligner.breaks import AFTER_PREP, BAN, IN_NAME, break_badness
from aligner.languages import width
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
from aligner.review.text import (
    cue_language,
    printed,
    split_label,
    srt_problems,
    visible_lines,
    vtt_problems,
)
from aligner.segment import SegmentRules

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


def _profile_key(language: str) -> str:
    return language.split("-")[0].lower()


def rules_in(rules: SegmentRules, language: str) -> SegmentRules:
    """The limits for a cue in ``language`` in a file checked with ``rules``.

    The same rules for the file's language; otherwise ``language``'s characters per line and
    reading speed (``PROFILES``). A limit set away from the file language's value carries over
    only where both languages agree on it (``--max-chars 37`` from English to French, not to
    Chinese, where 37 full-width characters mean something else); lines per cue, durations and
    gaps carry over as they are (as :meth:`SegmentRules.for_text_in` does for the segmenter).

    Example:
        >>> en = rules_for("en", max_chars=37)
        >>> zh = rules_in(en, "zh-Hans")
        >>> zh.language, zh.max_chars, zh.max_cps, rules_in(en, "fr").max_chars
        ('zh-Hans', 16, 9.0, 37)
    """
    if _profile_key(language) == _profile_key(rules.language):
        return rules
    my_chars, my_cps = PROFILES.get(_profile_key(rules.language), PROFILES["en"])
    chars, cps = PROFILES.get(_profile_key(language), PROFILES["en"])
    if rules.max_chars != my_chars and my_chars == chars:
        chars = rules.max_chars
    if rules.max_cps != my_cps and my_cps == cps:
        cps = rules.max_cps
    return replace(rules, language=language, max_chars=chars, max_cps=cps)


def display_width(text: str, rules: SegmentRules) -> float:
    """How wide ``text`` counts against ``rules.max_chars``.

    Characters, or for Chinese and Japanese full-width units (a half-width letter, digit or
    space counts 0.5: Netflix, as the segmenter counts). Invisible format characters (the
    RIGHT-TO-LEFT MARK our writers put before some right-to-left lines, WORD JOINER) count 0.

    Example:
        >>> display_width("\u200fCGTN: مساء", rules_for("ar"))
        10
        >>> display_width("李晓军: 你好", rules_for("zh"))
        6.0
    """
    shown = printed(text)
    return width(shown, "cjk") if rules.profile.cjk else len(shown)


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


def cue_rules(parsed: ParsedFile, rules: SegmentRules) -> list[SegmentRules]:
    """The limits for each cue of ``parsed``: its WebVTT ``<lang>`` span's, else ``rules``."""
    by_language: dict[str, SegmentRules] = {}
    out = []
    for cue in parsed.cues:
        language = cue_language(cue.lines, parsed.fmt, rules.language)
        if language not in by_language:
            by_language[language] = rules_in(rules, language)
        out.append(by_language[language])
    return out


def check_parsed(parsed: ParsedFile, path: str, rules: SegmentRules) -> Report:
    """Run every rule on ``parsed``; findings sorted by line.

    ``rules`` are the file's; a cue whose text is in a WebVTT ``<lang>`` span of another
    language is held to that language's limits (:func:`rules_in`).
    """
    findings = list(parsed.findings)
    own = cue_rules(parsed, rules)
    for cue, cue_limits in zip(parsed.cues, own, strict=True):
        findings.extend(_markup(cue, parsed.fmt))
        findings.extend(_text_rules(cue, parsed.fmt, cue_limits, rules.language))
    findings.extend(_timing_rules(parsed.cues, rules, own))
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


def _text_rules(cue: ParsedCue, fmt: str, rules: SegmentRules, document: str) -> list[Finding]:
    """Line length, line count, reading speed, balance and breaks of one cue, by ``rules``: its
    own language's (``document`` is the file's, named in messages when the cue's differs)."""
    if not cue.lines:
        return []
    lines = visible_lines(cue.lines, fmt)
    first = cue.first_text_line
    unit = "full-width characters" if rules.profile.cjk else "characters"
    # which limits: said when they are not the file's
    own = f" for {rules.language}" if rules.language != document else ""
    out = []
    widths = [display_width(line, rules) for line in lines]
    for k, line_width in enumerate(widths):
        if line_width > rules.max_chars:
            out.append(
                Finding(
                    "line-too-long",
                    WARNING,
                    cue.number,
                    first + k,
                    f"{line_width:g} {unit}, more than {rules.max_chars}{own}",
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
        # every character counts 1, a line break as a space, as in aligner.timing; invisible
        # format characters (U+200F) not at all
        chars = len(printed("\n".join(lines)))
        if duration > 0 and chars * 1000 > rules.max_cps * duration:
            cps = chars * 1000 / duration
            need = math.ceil(chars * 1000 / rules.max_cps)
            out.append(
                Finding(
                    "reading-speed",
                    WARNING,
                    cue.number,
                    cue.timing_line,
                    f"{cps:.1f} characters/s, more than {rules.max_cps:g}{own} "
                    f"(needs {need} ms, has {duration})",
                )
            )
    if len(lines) == 2 and all(lines):
        top, bottom = widths
        # joined, Latin text needs a space between the lines; Chinese and Japanese do not
        joined = top + bottom + (0 if rules.profile.cjk else 1)
        if joined <= rules.max_chars:
            out.append(
                Finding(
                    "could-be-one-line",
                    INFO,
                    cue.number,
                    first,
                    f"fits on one line ({joined:g} {unit})",
                )
            )
        elif min(top, bottom) < BALANCE_RATIO * max(top, bottom):
            out.append(
                Finding(
                    "line-balance",
                    INFO,
                    cue.number,
                    first,
                    f"unbalanced lines ({top:g} and {bottom:g} {unit})",
                )
            )
    if _profile_key(rules.language) not in _NO_SPACE_LANGUAGES:
        out.extend(_breaks(cue, [printed(line) for line in lines]))
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


def _timing_rules(
    cues: Sequence[ParsedCue], rules: SegmentRules, own: Sequence[SegmentRules]
) -> list[Finding]:
    """Order, overlaps and gaps by the file's ``rules``; durations by each cue's ``own``."""
    out = []
    previous: ParsedCue | None = None
    for cue, limits in zip(cues, own, strict=True):
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
        if duration < limits.min_duration_ms:
            out.append(
                Finding(
                    "too-short",
                    WARNING,
                    cue.number,
                    cue.timing_line,
                    f"shown {duration} ms, less than {limits.min_duration_ms}",
                )
            )
        elif duration > limits.max_duration_ms:
            out.append(
                Finding(
                    "too-long",
                    WARNING,
                    cue.number,
                    cue.timing_line,
                    f"shown {duration} ms, more than {limits.max_duration_ms}",
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
