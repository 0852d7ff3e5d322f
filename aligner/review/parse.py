"""A strict SRT and WebVTT reader that keeps line numbers and reports syntax problems.

It never repairs silently: every deviation from the format becomes a ``Finding`` with the cue
number (1-based position of the cue block in the file) and the 1-based line. Times it can still
make sense of (``00:00:3,000``, a comma in a WebVTT stamp) are kept, so the timing rules can run
on them, but the stamp is reported, because strict readers drop such cues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

_LINE_END = re.compile(r"\r\n|\r|\n")
_INTEGER = re.compile(r"^\d+$")
_SRT_STAMP = re.compile(r"^\d{2,}:[0-5]\d:[0-5]\d,\d{3}$")
_VTT_STAMP = re.compile(r"^(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}$")
# What readers accept in practice (cdown/srt, ffmpeg): any separator, 1-3 digit fields.
_LOOSE_STAMP = re.compile(r"^(?:(\d+)[:.,])?(\d{1,2})[:.,](\d{1,2})[.,:](\d{1,3})$")
_ARROW = re.compile(r"^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+(.*))?$")
_VTT_SIGNATURE = re.compile(r"^WEBVTT(?:[ \t].*)?$")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a subtitle file.

    Attributes:
        code: Stable short name (``overlap``, ``line-too-long``, ``vtt-escape``).
        severity: ``error`` (readers lose or misread something), ``warning`` (a norm is broken)
            or ``info`` (a style hint).
        cue: 1-based position of the cue block, or None for the file as a whole.
        line: 1-based line of the file, or None.
        message: What is wrong, for a person.
    """

    code: str
    severity: str
    cue: int | None
    line: int | None
    message: str


@dataclass(slots=True)
class ParsedCue:
    """A cue block as written, with where it is.

    Attributes:
        number: 1-based position among the cue blocks of the file.
        ident: The SRT index or WebVTT identifier line (``""`` when there is none).
        start_ms: Start, or None when the timing line could not be read.
        end_ms: End, or None likewise.
        settings: WebVTT cue settings after the end stamp (``""`` otherwise).
        lines: The payload lines as written (markup and references included).
        timing_line: 1-based line of the timing line.
    """

    number: int
    ident: str
    start_ms: int | None
    end_ms: int | None
    settings: str
    lines: list[str]
    timing_line: int

    @property
    def first_text_line(self) -> int:
        return self.timing_line + 1

    @property
    def timed(self) -> bool:
        return self.start_ms is not None and self.end_ms is not None


@dataclass(slots=True)
class ParsedFile:
    """What ``parse_text`` read: the format, the cues, the WebVTT preamble and the findings."""

    fmt: str
    cues: list[ParsedCue] = field(default_factory=list)
    preamble: list[list[str]] = field(default_factory=list)  # WebVTT header, NOTE, STYLE, …
    findings: list[Finding] = field(default_factory=list)

    def add(self, code: str, severity: str, cue: int | None, line: int | None, msg: str) -> None:
        self.findings.append(Finding(code, severity, cue, line, msg))


def sniff_format(path: Path, text: str) -> str:
    """``"srt"`` or ``"vtt"``, from the extension, else from the first line.

    Example:
        >>> sniff_format(Path("a.txt"), "\\ufeffWEBVTT\\n")
        'vtt'
    """
    suffix = path.suffix.lower()
    if suffix in (".vtt", ".webvtt"):
        return "vtt"
    if suffix == ".srt":
        return "srt"
    return "vtt" if text.lstrip("\ufeff").startswith("WEBVTT") else "srt"


def decode(data: bytes) -> tuple[str, str | None]:
    """The text of ``data`` (UTF-8, BOM dropped) and a problem to report, if any."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        text = data.decode("utf-8-sig", errors="replace")
        line = data[: err.start].count(b"\n") + 1
        return text, f"line {line}: not UTF-8 (byte 0x{data[err.start]:02x}); players may garble it"


def stamp_ms(text: str) -> int | None:
    """Milliseconds of a stamp as lenient readers take it (``00:00:3,5`` is 3.500 s), or None.

    Example:
        >>> stamp_ms("01:02:03,004"), stamp_ms("00:03.00"), stamp_ms("x")
        (3723004, 3000, None)
    """
    match = _LOOSE_STAMP.match(text)
    if match is None:
        return None
    hours = int(match[1] or 0)
    minutes, seconds = int(match[2]), int(match[3])
    if minutes > 59 or seconds > 59:
        return None
    millis = int(match[4].ljust(3, "0"))
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _is_timing(line: str) -> bool:
    match = _ARROW.match(line.strip())
    return match is not None and stamp_ms(match[1]) is not None and stamp_ms(match[2]) is not None


def _read_timing(out: ParsedFile, cue: ParsedCue, line: str, lineno: int) -> None:
    """Fill ``cue``'s times and settings from ``line``, reporting what is not strict."""
    strict = _SRT_STAMP if out.fmt == "srt" else _VTT_STAMP
    form = "HH:MM:SS,mmm" if out.fmt == "srt" else "HH:MM:SS.mmm or MM:SS.mmm"
    match = _ARROW.match(line.strip())
    if match is None:
        out.add("timing", ERROR, cue.number, lineno, f"not a timing line: {line.strip()!r}")
        return
    start, end, settings = match[1], match[2], match[3] or ""
    cue.start_ms, cue.end_ms = stamp_ms(start), stamp_ms(end)
    bad = [s for s in (start, end) if not strict.match(s)]
    if cue.start_ms is None or cue.end_ms is None:
        out.add("timing", ERROR, cue.number, lineno, f"cannot read the times in {line.strip()!r}")
    elif bad:
        out.add(
            "timestamp",
            ERROR,
            cue.number,
            lineno,
            f"{', '.join(repr(s) for s in bad)} is not {form}; strict readers drop the cue",
        )
    if settings and out.fmt == "srt" and not re.fullmatch(r"(?:[XY][12]:\d+\s*)+", settings):
        out.add("timing", ERROR, cue.number, lineno, f"text after the end time: {settings!r}")
    cue.settings = settings if out.fmt == "vtt" else ""


def _split_lines(text: str) -> list[str]:
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _blocks(lines: list[str], first: int) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines from index ``first``: (1-based line of the run, its lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for k in range(first, len(lines)):
        if lines[k].strip():
            if not current:
                start = k + 1
            current.append(lines[k])
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _read_cue_block(out: ParsedFile, lineno: int, block: list[str]) -> None:
    """Read one block holding one or more cues (more when blank lines are missing)."""
    k = 0
    after_missing_blank = False
    while k < len(block):
        number = len(out.cues) + 1
        ident = ""
        if "-->" not in block[k]:
            ident = block[k].strip()
            k += 1
            numbered = out.fmt == "srt" and _INTEGER.match(ident) is not None
            if k == len(block) or not (_is_timing(block[k]) or "-->" in block[k] or numbered):
                what = "a cue number and a timing line" if out.fmt == "srt" else "a timing line"
                out.add(
                    "junk",
                    ERROR,
                    None,
                    lineno + k - 1,
                    f"expected {what}, found {block[k - 1].strip()[:40]!r}: readers skip it",
                )
                return
        if out.fmt == "srt" and not _INTEGER.match(ident) and not after_missing_blank:
            what = f"{ident!r} is not" if ident else "missing"
            out.add(
                "srt-index",
                ERROR,
                number,
                lineno + k - (1 if ident else 0),
                f"cue number {what} a whole number",
            )
        elif out.fmt == "srt" and _INTEGER.match(ident) and int(ident) != number:
            out.add(
                "srt-numbering",
                WARNING,
                number,
                lineno + k - 1,
                f"cue number {ident}, expected {number}",
            )
        after_missing_blank = False
        cue = ParsedCue(number, ident, None, None, "", [], lineno + k)
        out.cues.append(cue)
        _read_timing(out, cue, block[k], lineno + k)
        k += 1
        while k < len(block):
            line = block[k]
            if "-->" in line:
                if _is_timing(line):
                    # A cue starts here: the blank line before it is missing. Its number or id,
                    # if any, is the previous line, which the readers glue into this cue.
                    glued = bool(cue.lines) and _INTEGER.match(cue.lines[-1].strip()) is not None
                    if glued:
                        cue.lines.pop()
                        k -= 1
                    out.add(
                        "missing-blank-line",
                        ERROR,
                        number + 1,
                        lineno + k,
                        "no blank line before this cue: readers glue it to the previous one",
                    )
                    after_missing_blank = True
                    break
                out.add(
                    "arrow-in-text",
                    ERROR,
                    number,
                    lineno + k,
                    "'-->' in cue text: readers take the line for a timing line",
                )
            cue.lines.append(line)
            k += 1
        if not cue.lines:
            out.add("empty-cue", ERROR, number, cue.timing_line, "cue has no text")


def parse_text(text: str, fmt: str) -> ParsedFile:
    """Read ``text`` (already decoded) as ``fmt`` (``"srt"`` or ``"vtt"``).

    Example:
        >>> parsed = parse_text("1\\n00:00:01,000 --> 00:00:02,000\\nHi\\n", "srt")
        >>> [(c.start_ms, c.end_ms, c.lines) for c in parsed.cues], parsed.findings
        ([(1000, 2000, ['Hi'])], [])
    """
    out = ParsedFile(fmt)
    lines = _split_lines(text.removeprefix("\ufeff"))
    if not lines:
        out.add("empty-file", ERROR, None, None, "the file has no cues")
        return out
    first = 0
    if fmt == "vtt":
        if not _VTT_SIGNATURE.match(lines[0]):
            out.add(
                "vtt-header",
                ERROR,
                None,
                1,
                "the file must start with WEBVTT: browsers reject it whole",
            )
        else:
            header = [lines[0]]
            first = 1
            while first < len(lines) and lines[first].strip():
                header.append(lines[first])
                first += 1
            if len(header) > 1:
                out.add(
                    "vtt-header",
                    WARNING,
                    None,
                    2,
                    "no blank line after WEBVTT: the W3C parser reports it",
                )
            out.preamble.append(header)
    for lineno, block in _blocks(lines, first):
        head = block[0].strip()
        if fmt == "vtt" and re.match(r"^(NOTE|STYLE|REGION)(?:[ \t]|$)", head):
            kind = head.split()[0]
            for k, line in enumerate(block):
                if "-->" in line:
                    out.add(
                        "vtt-block",
                        ERROR,
                        None,
                        lineno + k,
                        f"'-->' inside a {kind} block ends it: write --&gt; or reword",
                    )
            if kind != "NOTE" and out.cues:
                out.add(
                    "vtt-block",
                    WARNING,
                    None,
                    lineno,
                    f"{kind} block after the first cue: players ignore it",
                )
            if not out.cues:
                out.preamble.append(block)
            continue
        _read_cue_block(out, lineno, block)
    if not out.cues:
        out.add("empty-file", ERROR, None, None, "the file has no cues")
    return out


def parse_file(path: Path, fmt: str | None = None) -> ParsedFile:
    """Read ``path`` as SRT or WebVTT (``fmt``, else from the extension or the first line).

    Raises:
        OSError: The file cannot be read.
    """
    text, problem = decode(path.read_bytes())
    parsed = parse_text(text, fmt or sniff_format(path, text))
    if problem:
        parsed.findings.insert(0, Finding("encoding", ERROR, None, None, problem))
    return parsed
