"""Transcript files to a Transcript: header metadata, speaker turns and credits, cleaned up.

Three steps, each callable on its own: :func:`decode` (bytes to text, refusing to guess an
encoding), :func:`parse_transcript` (text to :class:`~aligner.model.Transcript`) and
:func:`read_transcript` (both, from a path). The clean-up rules are small public functions so that
each can be tested and documented alone.

Layout of a transcript (see ``samples/scio-briefing-2021-05-31.en.txt``)::

    Speakers:                        <- header: blocks "Speakers", "Chairperson", "Date",
    Li Xiaojun, head of ...              colons optional; "Name, title" entries
    Chairperson:
    Shou Xiaoli, deputy head of ...
    Date:
    May 31, 2021
    Shou Xiaoli:                     <- a speaker line starts a turn
    Ladies and gentlemen, ...        <- its paragraphs
    CGTN:                            <- a speaker not in the header: role "media"
    ...
    Translated and edited by ...     <- closing credit, not spoken
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from aligner.detect import detect, paragraph_language
from aligner.errors import TranscriptError
from aligner.model import (
    ROLE_CHAIRPERSON,
    ROLE_MEDIA,
    ROLE_SPEAKER,
    UNNAMED_SPEAKER,
    LanguageSwitch,
    Speaker,
    Transcript,
    Turn,
)
from aligner.textfile import LINE_BREAK_RE, decode

__all__ = [
    "decode",
    "is_credit_line",
    "looks_like_name",
    "normalize_spaces",
    "parse_transcript",
    "read_transcript",
    "remove_controls",
    "remove_editor_markers",
    "remove_invisible",
    "remove_markup",
    "split_title",
    "unescape_entities",
]

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Clean-up rules, applied to every line in this order (see _CLEANUPS)

_EDITOR_MARKER_RE = re.compile(r"_ueditor_[a-z0-9_]*?_tag_", re.IGNORECASE)
# Only tags of HTML elements that turn up in pasted web text, with name="value" attributes only,
# so that "<b and c>" or "x <y" stay text.
_TAG_NAMES = (
    "a|abbr|b|big|blockquote|br|center|cite|code|del|div|em|font|h[1-6]|hr|i|img|ins|li|mark|"
    "o:p|ol|p|pre|q|s|small|span|strike|strong|sub|sup|table|tbody|td|th|thead|tr|tt|u|ul"
)
_ATTRIBUTE = r"""\s+[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+)"""
_MARKUP_RE = re.compile(
    rf"<!--.*?-->|</?(?:{_TAG_NAMES})(?:{_ATTRIBUTE})*\s*/?>", re.IGNORECASE | re.DOTALL
)
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.IGNORECASE)
# Zero-width space, word joiner, BOM, soft hyphen. ZWJ/ZWNJ stay: Persian and Indic words and
# emoji need them.
_INVISIBLE_RE = re.compile("[\u200b\u2060\ufeff\u00ad]")
# C0/C1 controls that are not white space (str.isspace covers \t \v \f \x1c-\x1f \x85).
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
# Runs of any Unicode space (tabs, NBSP, U+2028, ideographic space, ...); a lone ASCII space
# is left alone, which keeps the common case cheap.
_SPACE_RE = re.compile(r"\s{2,}|[^\S ]")


def remove_editor_markers(line: str) -> str:
    """Drop web-editor markers such as UEditor's ``_ueditor_page_break_tag_``.

    Example:
        >>> remove_editor_markers("_ueditor_page_break_tag_Shou Xiaoli:")
        'Shou Xiaoli:'
    """
    return _EDITOR_MARKER_RE.sub("", line)


def remove_markup(line: str) -> str:
    """Drop HTML comments and tags of common HTML elements (``<p>``, ``<br/>``, ``<span ...>``).

    Example:
        >>> remove_markup("<p>Thank you.<br/></p> a <b and c> d")
        'Thank you. a <b and c> d'
    """
    return _MARKUP_RE.sub("", line)


def unescape_entities(line: str) -> str:
    """Replace HTML character references (``&amp;``, ``&nbsp;``, ``&#8212;``) by their characters.

    Example:
        >>> unescape_entities("AT&amp;T &#8212; R&D")
        'AT&T — R&D'
    """
    return _ENTITY_RE.sub(lambda m: html.unescape(m.group()), line)


def remove_invisible(line: str) -> str:
    """Drop zero-width spaces, word joiners, stray byte-order marks and soft hyphens.

    Example:
        >>> remove_invisible("Li\\u200b Xiao\\ufeff:")
        'Li Xiao:'
    """
    return _INVISIBLE_RE.sub("", line)


def remove_controls(line: str) -> str:
    """Drop control characters that are not white space (C0 and C1, DEL).

    Example:
        >>> remove_controls("a\\x07b\\x93c")
        'abc'
    """
    return _CONTROL_RE.sub("", line)


def normalize_spaces(line: str) -> str:
    """Collapse every run of white space (tabs, NBSP, thin spaces, ...) to one space; strip.

    Example:
        >>> normalize_spaces("  Li\\u00a0Xiao:\\t Thank  you. ")
        'Li Xiao: Thank you.'
    """
    return _SPACE_RE.sub(" ", line).strip()


_CLEANUPS: tuple[Callable[[str], str], ...] = (
    remove_editor_markers,
    remove_markup,
    unescape_entities,
    remove_invisible,
    remove_controls,
    normalize_spaces,
)


def _clean_lines(lines: Sequence[str]) -> list[str]:
    """Apply every clean-up rule to every line; log what changed."""
    changed: Counter[str] = Counter()
    first_control = 0
    cleaned = []
    for number, line in enumerate(lines, 1):
        for rule in _CLEANUPS:
            new = rule(line)
            if new != line and rule is not normalize_spaces:
                changed[rule.__name__] += 1
                if rule is remove_controls and not first_control:
                    first_control = number
            line = new
        cleaned.append(line)
    if changed:
        log.debug("clean-up: %s", ", ".join(f"{n} on {c} lines" for n, c in changed.items()))
    if first_control:
        log.warning(
            "removed control characters from %d lines (first on line %d); if they were quotes "
            "or dashes, the encoding is wrong (cp1252 read as latin-1?)",
            changed["remove_controls"],
            first_control,
        )
    return cleaned


# ---------------------------------------------------------------------------------------------
# Header, credits and speaker lines

# A header block keyword alone ("Speakers", "Date:") or with its value ("Date: May 31, 2021").
_COLONS = (":", "\uff1a")  # ASCII and fullwidth
_HEADER_RE = re.compile(
    r"(?P<key>speakers?|chairpersons?|date|发言人|發言人|主持人|日期)"
    r"\s*(?:[:\uff1a]\s*(?P<value>.*))?",
    re.IGNORECASE,
)
# Chinese header keywords (simplified and traditional), only with a colon ("发言人："), and the
# English block they stand for.
_HEADER_KEYS = {"发言人": "speaker", "發言人": "speaker", "主持人": "chairperson", "日期": "date"}
_CREDIT_RE = re.compile(
    r"(?:translated(?: and edited)?|edited(?: and translated)?) by\b"
    r"|in case of (?:any )?discrepanc",
    re.IGNORECASE,
)
# "Name:" or "Name: text". An ASCII colon must be followed by a space or the line end, so
# "10:30" and "http://" are not names; after a fullwidth colon text may follow directly.
_SPEAKER_LINE_RE = re.compile(r"(?P<name>[^:\uff1a]{1,80}?)\s*(?::(?=\s|$)|\uff1a)\s*(?P<rest>.*)")

MAX_NAME_WORDS = 6  # "Southern Metropolis Daily", "Office of the High Commissioner" fit
MAX_NAME_CHARS = 60
MAX_WORD_CHARS = 24  # also stops unspaced CJK sentences
_NAME_WORD_RE = re.compile(r"[^\W\d_][\w'\u2019&.\-]*")
# Titles and initials: the only words of a name that may hold a period (Mr. Li, U.S. Embassy).
_ABBREVIATION_RE = re.compile(
    r"(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|Gen|Sen|Rep|Gov|Col|Capt|Lt|Hon|Rev)\.|(?:[A-Z]\.)+"
)
# Sentence punctuation, ASCII and fullwidth, and double quotes.
_NOT_IN_NAMES = frozenset(',;:?!"()[]{}\u201c\u201d\uff0c\u3002\uff1b\uff1f\uff01\uff1a')
_QUESTION_MARKS = ("?", "\uff1f")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Lower-case words allowed inside a name ("People's Bank of China", "Ludwig van Beethoven").
_CONNECTORS = _words(
    "of and the for de del della der den van von da du la le al el bin y on in at"
    " reporter journalist correspondent"  # "China Daily reporter"
)
# First words of labels, headings and sentences, never of a speaker (unless the header lists
# them): "Note:", "First:", "Conclusion:", "In Xinjiang:", "Key points:". "Forth" is a typo of
# the seed's ("Forth, we conducted ...").
_LABEL_WORDS = _words(
    """
    note notes nb ps conclusion conclusions summary background example examples source sources
    update correction attention warning caution important key main step part section chapter
    appendix table figure photo picture video audio transcript editor editors editor's caption
    title subject date time location venue agenda topic topics objective goal goals result
    results highlights points
    first second third fourth forth fifth sixth seventh eighth ninth tenth last lastly finally
    firstly secondly thirdly next
    then also and but or so because however therefore moreover meanwhile in on at for as by
    from to with about regarding we i it its our my this that these those he she they there
    here please thank thanks yes no ok okay well now today when where what why how who which
    if while since although
    """
)


def looks_like_name(candidate: str) -> bool:
    """Whether ``candidate`` has the shape of a person's or outlet's name.

    At most 6 words and 60 characters; no sentence punctuation (a period only in abbreviations
    like ``Mr.`` or ``U.S.``); every word starts with a capital (or a letter of a script without
    case, like Chinese), except connectors such as ``of``, ``and``, ``the``; no word starts with
    a digit. This is shape only: :func:`parse_transcript` also wants evidence.

    Example:
        >>> looks_like_name("People's Daily"), looks_like_name("Ministry of Foreign Affairs")
        (True, True)
        >>> looks_like_name("the following efforts"), looks_like_name("First, we")
        (False, False)
    """
    words = candidate.split()
    if not 1 <= len(words) <= MAX_NAME_WORDS or len(candidate) > MAX_NAME_CHARS:
        return False
    if any(char in _NOT_IN_NAMES for char in candidate):
        return False
    for index, word in enumerate(words):
        if index and (word in _CONNECTORS or word == "&"):
            continue
        if len(word) > MAX_WORD_CHARS or not _NAME_WORD_RE.fullmatch(word):
            return False
        if "." in word and not _ABBREVIATION_RE.fullmatch(word):
            return False
        if word[0].islower():
            return False
    return True


def _is_label(name: str) -> bool:
    return name.split()[0].casefold() in _LABEL_WORDS


def is_credit_line(line: str) -> bool:
    """Whether a (cleaned) line is a closing credit: ``Translated and edited by ...`` etc.

    Example:
        >>> is_credit_line("Translated by Zhu Bochen."), is_credit_line("Edited by us, he said.")
        (True, True)
        >>> is_credit_line("We translated by hand.")
        False
    """
    return _CREDIT_RE.match(line) is not None


def split_title(entry: str) -> tuple[str, str]:
    """Split a header entry ``"Name, title"`` at its first comma (ASCII or Chinese ``，``).

    Example:
        >>> split_title("Li Xiao, first-level inspector, SPC")
        ('Li Xiao', 'first-level inspector, SPC')
        >>> split_title("Li Xiao")
        ('Li Xiao', '')
        >>> split_title("李晓，最高人民法院研究室一级巡视员")
        ('李晓', '最高人民法院研究室一级巡视员')
    """
    cut = min((i for i in (entry.find(","), entry.find("\uff0c")) if i >= 0), default=-1)
    if cut < 0:
        return entry.strip(), ""
    return entry[:cut].strip(), entry[cut + 1 :].strip()


def _read_header(lines: Sequence[str]) -> tuple[dict[str, Speaker], str | None, int]:
    """Read the header blocks at the top: roster (name casefolded -> Speaker), date, body start.

    The header starts at the first non-empty line if that is a block keyword and goes on while
    lines are keywords, ``Name, title`` entries of a Speakers/Chairperson block (the name part
    must look like a name and the line must not end with a colon) or the one line of a Date
    block. The first other line starts the body.
    """
    roster: dict[str, Speaker] = {}
    date: str | None = None
    block: str | None = None
    for index, line in enumerate(lines):
        if not line:
            continue
        keyword = _HEADER_RE.fullmatch(line)
        if keyword is not None and keyword["value"] is None and keyword["key"] in _HEADER_KEYS:
            keyword = None  # a Chinese keyword needs its colon: "发言人" alone is a word
        if keyword is not None:
            key = keyword["key"]
            block = _HEADER_KEYS.get(key) or key.casefold().rstrip("s")
            value = (keyword["value"] or "").strip()
            if value and block == "date":
                date, block = value, None
            elif value:
                _add_to_roster(roster, value, block)
        elif block is None or line.endswith(_COLONS):  # a speaker line ends the header
            return roster, date, index
        elif block == "date":
            date, block = line, None
        elif looks_like_name(split_title(line)[0]):
            _add_to_roster(roster, line, block)
        else:
            return roster, date, index
    return roster, date, len(lines)


def _add_to_roster(roster: dict[str, Speaker], entry: str, block: str) -> None:
    name, title = split_title(entry)
    role = ROLE_CHAIRPERSON if block == "chairperson" else ROLE_SPEAKER
    known = roster.get(name.casefold())
    if known is not None:  # the seed lists its speakers twice; the chair role wins
        role = ROLE_CHAIRPERSON if ROLE_CHAIRPERSON in (role, known.role) else role
        title = known.title or title
    roster[name.casefold()] = Speaker(name, role, title)


def _split_credits(lines: Sequence[str], start: int) -> tuple[tuple[str, ...], int]:
    """Credit lines at the very end of the body, and where the body stops."""
    end = len(lines)
    credits: list[str] = []
    for index in range(len(lines) - 1, start - 1, -1):
        if not lines[index]:
            continue
        if not is_credit_line(lines[index]):
            break
        credits.append(lines[index])
        end = index
    return tuple(reversed(credits)), end


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_transcript(
    text: str,
    *,
    source: str | None = None,
    language: str = "en",
    encoding: str = "utf-8",
    paragraph_languages: bool = True,
) -> Transcript:
    """Parse transcript text into turns, speakers and metadata.

    Clean-up: every line goes through the rules in ``_CLEANUPS`` (editor markers, HTML tags and
    entities, invisible and control characters, white space). Then:

    * Header blocks at the top (see ``_read_header``) give the roster and the date; not spoken.
    * Closing credit lines at the end (:func:`is_credit_line`) go to ``credits``.
    * A line ``Name:`` starts a turn when the name is in the header roster, or looks like a name
      (:func:`looks_like_name`), does not start with a label word (``Note``, ``First``, ...), and
      either occurs two or more times as a speaker line, or occurs once with the next line text
      and the line before not text ending in a colon, and then: if the transcript has evidenced
      speakers (roster or recurring), the name must open a question (a ``?`` before the next
      ``Name:`` line), as one-off speakers in a briefing are questions from the floor; if it has
      none, the transcript's first line must be a ``Name:`` line (it is written in turns).
    * ``Name: text`` on one line starts a turn only for a roster name or a name seen two or more
      times; otherwise the line is text.
    * Every other non-empty line is a paragraph of the current turn. Text before the first speaker
      line (or in a transcript with none) belongs to the unnamed speaker ``""``.
    * A paragraph clearly in another script than ``language`` gets its own language
      (:func:`aligner.detect.paragraph_language`), listed in ``language_switches``.

    Speakers are listed chairperson(s) first, then the header's speakers in header order, then
    the other turn speakers in order of first appearance with role ``"media"`` (``""`` when the
    transcript has no roster). The unnamed speaker is never listed.

    Args:
        text: The transcript text (any line ends).
        source: Where it came from, for error messages and ``Transcript.source``.
        language: BCP 47 tag of the document, given to every turn.
        encoding: Recorded in ``Transcript.encoding``.
        paragraph_languages: Give a paragraph in another script its own language; False keeps
            ``language`` everywhere.

    Raises:
        TranscriptError: Nothing is left to subtitle.

    Example:
        >>> t = parse_transcript("Date: May 1\\nAnn:\\nHi.\\nBob:\\nWhy?\\nAnn: Because.")
        >>> [(turn.speaker, turn.text) for turn in t.turns]
        [('Ann', 'Hi.'), ('Bob', 'Why?'), ('Ann', 'Because.')]
        >>> t.date, [s.name for s in t.speakers]
        ('May 1', ['Ann', 'Bob'])
    """
    lines = _clean_lines(LINE_BREAK_RE.sub("\n", text.removeprefix("\ufeff")).split("\n"))
    roster, date, start = _read_header(lines)
    credits, end = _split_credits(lines, start)
    speaker_at = _find_speaker_lines(lines, start, end, roster)

    turns: list[Turn] = []
    switches: list[LanguageSwitch] = []
    speaker: str | None = None  # None: no turn open yet
    paragraphs: list[str] = []
    paragraph_lines: list[int] = []  # 1-based line of each paragraph
    first_line = 0

    def close_turn() -> None:
        if speaker is None:
            return
        if not paragraphs:
            log.warning("%s: speaker line %r has no text; skipped", source or "<text>", speaker)
            return
        languages: tuple[str, ...] = ()
        if paragraph_languages:
            judged = [
                _paragraph_switch(len(turns), p, paragraph_lines[p], paragraph, language, source)
                for p, paragraph in enumerate(paragraphs)
            ]
            if any(judged):
                switches.extend(switch for switch in judged if switch is not None)
                languages = tuple(switch.language if switch else language for switch in judged)
        text = "\n".join(paragraphs)
        turns.append(Turn(speaker, text, language, first_line, languages))

    for index in range(start, end):
        line = lines[index]
        if not line:
            continue
        found = speaker_at.get(index)
        if found is not None:
            close_turn()
            (speaker, line), paragraphs, paragraph_lines = found, [], []
            if not line:
                continue
        elif speaker is None:
            speaker = UNNAMED_SPEAKER
        if not paragraphs:
            first_line = index + 1
        paragraphs.append(line)
        paragraph_lines.append(index + 1)
    close_turn()

    if not turns:
        raise TranscriptError("no text to subtitle", path=source)
    return Transcript(
        turns=tuple(turns),
        speakers=_list_speakers(roster, turns),
        date=date,
        credits=credits,
        source=source,
        language=language,
        encoding=encoding,
        language_switches=tuple(switches),
    )


def _paragraph_switch(
    turn: int, paragraph: int, line: int, text: str, document: str, source: str | None
) -> LanguageSwitch | None:
    """The switch for a paragraph in another language than ``document``, logged; else None."""
    found = paragraph_language(text, document)
    if found is None:
        return None
    tag, reason = found
    log.info("%s:%d: paragraph in %s, not %s (%s)", source or "<text>", line, tag, document, reason)
    return LanguageSwitch(turn, paragraph, line, tag, reason)


def _find_speaker_lines(
    lines: Sequence[str], start: int, end: int, roster: dict[str, Speaker]
) -> dict[int, tuple[str, str]]:
    """Line index -> (speaker name as it will be listed, text after the colon) for turn lines."""
    candidates: dict[int, tuple[str, str]] = {}
    for index in range(start, end):
        match = _SPEAKER_LINE_RE.fullmatch(lines[index]) if lines[index] else None
        if match is None:
            continue
        name = match["name"]
        if name.casefold() in roster or (looks_like_name(name) and not _is_label(name)):
            candidates[index] = (name, match["rest"])
    counts = Counter(name.casefold() for name, _ in candidates.values())

    def evidenced(name: str) -> bool:
        return name.casefold() in roster or counts[name.casefold()] >= 2

    # "Briefing" mode: some speaker has evidence, so a one-off name must open a question (a
    # question from the floor). "Plain" mode: no evidence, but the text starts with a "Name:"
    # line, so the document is written in turns and one-off names need no question.
    briefing = any(evidenced(name) for name, _ in candidates.values())
    first = next((i for i in range(start, end) if lines[i]), None)
    plain = not briefing and first in candidates and not candidates[first][1]
    # Walking backwards: is there a "?" between each line and the next candidate line?
    question_ahead = [False] * (end + 1)
    for index in range(end - 1, start - 1, -1):
        question_ahead[index] = index not in candidates and (
            any(mark in lines[index] for mark in _QUESTION_MARKS) or question_ahead[index + 1]
        )

    display: dict[str, str] = {key: speaker.name for key, speaker in roster.items()}
    found: dict[int, tuple[str, str]] = {}
    previous = ""  # previous non-empty line, if it was text
    for index in range(start, end):
        if not lines[index]:
            continue
        candidate = candidates.get(index)
        accepted = False
        if candidate is not None:
            name, rest = candidate
            if evidenced(name):
                accepted = True
            elif not rest and (briefing or plain):
                following = next((i for i in range(index + 1, end) if lines[i]), None)
                accepted = (
                    following is not None
                    and following not in candidates
                    # The body's first line needs no question: nothing is said before it.
                    and (plain or question_ahead[following] or index == first)
                    and not previous.endswith(_COLONS)
                )
            if accepted:
                found[index] = (display.setdefault(name.casefold(), name), rest)
            else:
                log.info("line %d: %r is taken as text, not a speaker line", index + 1, name)
        previous = "" if accepted else lines[index]
    return found


def _list_speakers(roster: dict[str, Speaker], turns: Sequence[Turn]) -> tuple[Speaker, ...]:
    ordered = sorted(roster.values(), key=lambda s: s.role != ROLE_CHAIRPERSON)  # stable sort
    listed = {speaker.name for speaker in ordered}
    others_role = ROLE_MEDIA if roster else ""
    for turn in turns:
        if turn.speaker != UNNAMED_SPEAKER and turn.speaker not in listed:
            ordered.append(Speaker(turn.speaker, others_role))
            listed.add(turn.speaker)
    return tuple(ordered)


def read_transcript(
    path: Path,
    *,
    encoding: str | None = None,
    language: str = "en",
    paragraph_languages: bool = True,
) -> Transcript:
    """Read, decode and parse a transcript file; the file is only read.

    Args:
        path: The transcript.
        encoding: Python codec name; by default detected as :func:`decode` describes.
        language: BCP 47 tag of the document, or ``"auto"`` to detect it from the text
            (:func:`aligner.detect.detect`; the choice and its reason are logged at INFO
            and kept in ``Transcript.language_reason``).
        paragraph_languages: As for :func:`parse_transcript`: a paragraph in another script
            gets its own language, whether ``language`` was given or detected.

    Raises:
        TranscriptError: The file cannot be read, decoded or parsed; the message names the path.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise TranscriptError(
            f"cannot read the transcript: {err.strerror or err}", path=path
        ) from err
    text, used = decode(data, path=path, encoding=encoding)
    if used != "utf-8":
        log.info("%s: read as %s", path, used)
    reason = None
    if language == "auto":
        language, reason = detect(text)
        log.info("%s: language %s (%s)", path, language, reason)
    transcript = parse_transcript(
        text,
        source=str(path),
        language=language,
        encoding=used,
        paragraph_languages=paragraph_languages,
    )
    return replace(transcript, language_reason=reason)
