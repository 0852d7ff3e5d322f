"""Cue text as a viewer sees it: WebVTT markup and references, SRT tags, speaker labels."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from aligner.review.parse import ERROR, WARNING

# WebVTT cue text spans (W3C WebVTT "WebVTT cue text span" and the tags after it).
VTT_TAGS = frozenset("c i b u ruby rt v lang".split())
_VTT_TAG = re.compile(r"<(/?)([^\s.<>/]*)((?:\.[^\s.<>]+)*)(?:[ \t\f]+([^<>]*))?>")
_TIMESTAMP_TAG = re.compile(r"^(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}$")
_REFERENCE = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# The references ffmpeg (and mpv through it) decodes; others show literally there.
_FFMPEG_REFERENCES = frozenset(("&amp;", "&lt;", "&gt;", "&nbsp;", "&lrm;", "&rlm;"))
_ANY_TAG = re.compile(r"<[^<>]*>")
# What SRT players understand: b i u s font (and br); anything else is shown raw or dropped.
_SRT_TAG = re.compile(r"</?(?:b|i|u|s|font|br)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_SRT_OTHER_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
_VOICE = re.compile(r"<v(?:\.[^\s.<>]+)*[ \t\f]+([^<>]+)>")
# A visible speaker label: "Li Xiaojun: ", "LI XIAOJUN: ", "[Li Xiaojun] " (our writers' styles),
# after the RIGHT-TO-LEFT MARK (or LRM) a right-to-left cue may start with.
_LABEL_BODY = r"(?:\[(?P<b>[^\[\]]{1,40})\]|(?P<n>[^\s:：.!?,;\u200e\u200f][^:：.!?;]{0,39}?)[:：])"
# "Name: text", or "Name：text" (Chinese and Japanese write no space after the full-width colon)
_LABEL = re.compile(f"^[\u200e\u200f]?{_LABEL_BODY}(?:(?<=：)\\s*|\\s+)(?=\\S)")
_LABEL_ONLY = re.compile(f"[\u200e\u200f]?{_LABEL_BODY}")


@dataclass(frozen=True, slots=True)
class TextProblem:
    """A markup problem on one payload line: code, severity, offset in the line, message."""

    code: str
    severity: str
    column: int
    message: str


def vtt_problems(line: str) -> list[TextProblem]:
    """Markup and escaping problems in one WebVTT payload line.

    Example:
        >>> [p.code for p in vtt_problems("<v>5 < 6 & 7")]
        ['vtt-voice', 'vtt-escape', 'vtt-escape']
    """
    problems: list[TextProblem] = []
    pos = 0
    while pos < len(line):
        char = line[pos]
        if char == "<":
            match = _VTT_TAG.match(line, pos)
            if match is None:
                problems.append(TextProblem("vtt-escape", ERROR, pos, "'<' must be written &lt;"))
                pos += 1
                continue
            problems.extend(_tag_problems(match, pos))
            pos = match.end()
        elif char == "&":
            ref = _REFERENCE.match(line, pos)
            if ref is None:
                problems.append(TextProblem("vtt-escape", ERROR, pos, "'&' must be written &amp;"))
            elif ref[0] not in _FFMPEG_REFERENCES and not ref[0].startswith("&#"):
                problems.append(
                    TextProblem(
                        "vtt-escape", WARNING, pos, f"{ref[0]} is shown literally by ffmpeg and mpv"
                    )
                )
            pos = ref.end() if ref else pos + 1
        elif char == ">" and line[max(pos - 2, 0) : pos] != "--":  # "-->" is reported apart
            problems.append(
                TextProblem(
                    "vtt-escape", WARNING, pos, "'>' should be written &gt; (ffmpeg drops it)"
                )
            )
            pos += 1
        else:
            pos += 1
    return problems


def _tag_problems(match: re.Match[str], pos: int) -> list[TextProblem]:
    closing, name, annotation = match[1], match[2], (match[4] or "").strip()
    if not closing and _TIMESTAMP_TAG.match(name) and not match[3]:
        return []
    if name not in VTT_TAGS:
        return [TextProblem("vtt-tag", ERROR, pos, f"unknown tag {match[0]!r}")]
    if name == "v" and not closing and not annotation:
        return [TextProblem("vtt-voice", ERROR, pos, "<v> needs the speaker's name: <v Name>")]
    if annotation and (closing or name not in ("v", "lang")):
        return [
            TextProblem("vtt-tag", ERROR, pos, f"only <v> and <lang> take a name: {match[0]!r}")
        ]
    return []


def srt_problems(line: str) -> list[TextProblem]:
    """Markup in one SRT line that players do not understand.

    Example:
        >>> [p.code for p in srt_problems("<v Li>Hi <i>there</i>")]
        ['srt-markup']
    """
    problems = []
    for match in _SRT_OTHER_TAG.finditer(line):
        if not _SRT_TAG.fullmatch(match[0]):
            problems.append(
                TextProblem(
                    "srt-markup",
                    WARNING,
                    match.start(),
                    f"{match[0]!r} is not SRT markup: players show it or drop it",
                )
            )
    return problems


def visible_lines(lines: list[str], fmt: str) -> list[str]:
    """The payload lines as displayed: tags and overrides removed, references decoded.

    Example:
        >>> visible_lines(["<v Li>5 &lt; 6</v>"], "vtt")
        ['5 < 6']
        >>> visible_lines(["{\\\\an8}<i>Hi</i>"], "srt")
        ['Hi']
    """
    if fmt == "vtt":
        return [html.unescape(_ANY_TAG.sub("", line)).strip() for line in lines]
    return [_ASS_OVERRIDE.sub("", _SRT_TAG.sub("", line)).strip() for line in lines]


def printed(text: str) -> str:
    """``text`` without invisible format characters (Unicode category Cf): the RIGHT-TO-LEFT MARK
    our writers put before some right-to-left lines, WORD JOINER, zero-width spaces.

    Example:
        >>> printed("\u200fCGTN: {\u2060x}")
        'CGTN: {x}'
    """
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def voice_of(lines: list[str]) -> str | None:
    """The name of the first ``<v>`` span in WebVTT payload lines, or None.

    Example:
        >>> voice_of(["<v.loud Li Xiaojun>Hi"])
        'Li Xiaojun'
    """
    for line in lines:
        match = _VOICE.search(line)
        if match:
            return html.unescape(" ".join(match[1].split()))
    return None


def cue_language(lines: list[str], fmt: str, default: str) -> str:
    """The language of a cue: that of the WebVTT ``<lang>`` span holding all its text, else
    ``default`` (the document's).

    A speaker label before the span does not count (our writer puts ``Name: `` outside it); a
    cue with text outside the span, or spans of two languages, is in ``default``. SRT has no
    language markup.

    Example:
        >>> cue_language(["<v Li>Li: <lang zh-Hans>你好", "世界</lang>"], "vtt", "en")
        'zh-Hans'
        >>> cue_language(["The term <lang zh>小康</lang> means"], "vtt", "en")
        'en'
    """
    if fmt != "vtt":
        return default
    text = "\n".join(lines)
    spans: list[str] = []  # the tags of the open <lang> spans
    inside: set[str] = set()  # the tags of the spans that hold text
    outside = ""
    pos = 0
    for match in [*_VTT_TAG.finditer(text), None]:
        chunk = text[pos : match.start() if match else len(text)]
        if not spans:
            outside += chunk
        elif chunk.strip():
            inside.add(spans[-1])
        if match is None:
            break
        pos = match.end()
        if match[2] == "lang" and match[1]:
            spans = spans[:-1]
        elif match[2] == "lang":
            spans.append(" ".join((match[4] or "").split()))
    before = html.unescape(outside).strip()
    if len(inside) != 1 or "" in inside or (before and not _LABEL_ONLY.fullmatch(before)):
        return default
    return inside.pop()


def split_label(line: str) -> tuple[str, str] | None:
    """``(speaker, rest)`` when ``line`` starts with a speaker label, else None.

    A label is short, has no sentence punctuation, and ends in a colon (or is in brackets):
    ``Li Xiaojun: Hello`` and ``[CGTN] Thanks`` have one, ``Note that: x`` too (a guess).

    Example:
        >>> split_label("Shou Xiaoli: Ladies and gentlemen,")
        ('Shou Xiaoli', 'Ladies and gentlemen,')
        >>> split_label("It is 10:30 now") is None
        True
        >>> split_label("\u200fCGTN: مساء الخير")  # after a RIGHT-TO-LEFT MARK
        ('CGTN', 'مساء الخير')
        >>> split_label("寿小丽：女士们、先生们")  # Chinese: a full-width colon, no space
        ('寿小丽', '女士们、先生们')
    """
    match = _LABEL.match(line)
    if match is None:
        return None
    name = (match["b"] or match["n"]).strip()
    if len(name.split()) > 5:
        return None
    return name, line[match.end() :]
