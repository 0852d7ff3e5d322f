"""What a batch works on: per-item settings, folder discovery with pairing by stem, manifests."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from aligner.backends import BACKENDS, default_backend
from aligner.errors import AlignerError
from aligner.segment import SegmentRules
from aligner.timecode import parse_time
from aligner.writers import LABEL_STYLES, WRITERS, WriteOptions

TRANSCRIPT_SUFFIXES = frozenset({".txt"})
RECORDING_SUFFIXES = frozenset(
    {".mp3", ".m4a", ".wav", ".mp4", ".ogg", ".flac", ".mkv", ".webm", ".aac", ".opus"}
)
EXTENSION = {"srt": ".srt", "vtt": ".vtt", "json": ".json"}
# Names the batch itself writes into the output folder; an item may not take them.
REPORT_STEM = "batch-report"
MANIFEST_COLUMNS = ("transcript", "audio", "language", "options")

_RULES = SegmentRules()


class BatchError(AlignerError):
    """A batch cannot start: an input, the manifest, the output folder or the executor."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything besides the input files that changes an item's outputs.

    Attributes mirror the options of ``aligner make``; ``formats`` are the files written.
    """

    formats: tuple[str, ...] = ("srt", "vtt", "json")
    max_chars: int | None = None  # None: the language profile's
    max_lines: int | None = None
    max_cps: float | None = None
    min_gap_ms: int | None = None
    cjk_line_end_punct: str = "keep"
    wpm: float = _RULES.words_per_minute
    speaker_labels: str = "name"
    vtt_colors: bool = False
    start_ms: int = 0
    encoding: str | None = None
    language: str = "auto"  # detected from each transcript
    aligner: str | None = None  # None: the default backend (Item.backend)

    def overrides(self) -> dict[str, object]:
        """The SegmentRules fields these settings set; None keeps the language's value."""
        return {
            "max_chars": self.max_chars,
            "max_lines": self.max_lines,
            "max_cps": self.max_cps,
            "min_gap_ms": self.min_gap_ms,
            "words_per_minute": self.wpm,
            "cjk_line_end_punct": self.cjk_line_end_punct,
        }

    def rules(self, language: str | None = None) -> SegmentRules:
        """The limits for a transcript in ``language`` (default: the settings' language)."""
        tag = language or self.language
        return SegmentRules.for_language("en" if tag == "auto" else tag, **self.overrides())

    def write_options(self) -> WriteOptions:
        """The writer options these settings ask for."""
        return WriteOptions(speaker_labels=self.speaker_labels, vtt_colors=self.vtt_colors)

    def as_dict(self) -> dict[str, object]:
        """Plain values, for hashing and the state files."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Item:
    """One transcript to subtitle, with its recording if it has one.

    Attributes:
        name: The output stem: files are ``OUT_DIR/<name>.<ext>``.
        transcript: The transcript file.
        audio: The recording, or None to time without audio.
        settings: What to make.
        problem: Why the item cannot run, found before running (a name clash, several
            recordings, a bad manifest row); such an item is reported as failed.
    """

    name: str
    transcript: Path
    audio: Path | None = None
    settings: Settings = field(default_factory=Settings)
    problem: str | None = None

    def output_names(self) -> list[str]:
        """File names of the outputs, in the order of ``settings.formats``."""
        return [f"{self.name}{EXTENSION[fmt]}" for fmt in self.settings.formats]

    def backend(self) -> str:
        """The timing backend that makes this item.

        ``settings.aligner`` when it can run: ``estimate`` always, a forced aligner (``dtw``,
        ``aeneas``) when the item has a recording. An item without a recording is timed at a
        speaking rate whatever the forced aligner asked for, as in a folder where only some
        transcripts have one. None asks for the default: ``dtw`` with a recording, else
        ``estimate``.
        """
        wanted = self.settings.aligner
        if wanted is None or (self.audio is None and wanted != "estimate"):
            return default_backend(self.audio)
        return wanted


@dataclass(frozen=True, slots=True)
class Inputs:
    """The items of a batch, sorted by name, and the recordings no transcript claims."""

    items: tuple[Item, ...]
    unpaired: tuple[Path, ...] = ()


def _walk(path: Path) -> list[Path]:
    """Files under ``path`` (or ``path`` itself), sorted; hidden files and folders skipped."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise BatchError(f"{path}: no such file or folder")
    found = [
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
    return sorted(found)


def discover(paths: Iterable[Path], settings: Settings) -> tuple[list[Item], list[Path]]:
    """Transcripts (``.txt``) paired by file stem with recordings, over all of ``paths``.

    Folders are searched recursively; other files in them are ignored. A file named
    explicitly must be a transcript or a recording.

    Returns:
        The items (a transcript with zero or one recording; with several recordings of one stem
        the item carries a ``problem``, since choosing one would be a guess) and the recordings
        whose stem no transcript has.

    Raises:
        BatchError: A path does not exist, or a file named explicitly is neither kind.
    """
    transcripts: dict[str, list[Path]] = defaultdict(list)
    recordings: dict[str, list[Path]] = defaultdict(list)
    seen: set[Path] = set()
    for root in paths:
        explicit = root.is_file()
        for file in _walk(root):
            key = file.resolve()
            if key in seen:
                continue
            seen.add(key)
            suffix = file.suffix.lower()
            if suffix in TRANSCRIPT_SUFFIXES:
                transcripts[file.stem].append(file)
            elif suffix in RECORDING_SUFFIXES:
                recordings[file.stem].append(file)
            elif explicit:
                kinds = ", ".join(sorted(TRANSCRIPT_SUFFIXES | RECORDING_SUFFIXES))
                raise BatchError(f"{file}: neither a transcript nor a recording ({kinds})")
    items: list[Item] = []
    for stem, files in transcripts.items():
        audio = recordings.get(stem, [])
        problem = None
        if len(audio) > 1:
            problem = (
                f"several recordings for {stem}: {', '.join(map(str, audio))}; "
                "keep one, or pair them in a --manifest"
            )
        for transcript in files:
            items.append(Item(stem, transcript, audio[0] if len(audio) == 1 else None, settings,
                              problem))  # fmt: skip
    unpaired = [p for stem, files in recordings.items() if stem not in transcripts for p in files]
    return items, sorted(unpaired)


def _option(key: str, raw: object) -> tuple[str, object]:
    """A manifest option as a ``Settings`` field and value, checked."""
    text = str(raw).strip()
    if key in ("max_chars", "max_lines"):
        value: object = int(text)
    elif key == "min_gap":
        return "min_gap_ms", int(text)
    elif key in ("max_cps", "wpm"):
        value = float(text)
    elif key == "vtt_colors":
        if isinstance(raw, bool):
            value = raw
        elif text.lower() in ("1", "true", "yes", "on"):
            value = True
        elif text.lower() in ("0", "false", "no", "off"):
            value = False
        else:
            raise ValueError(f"vtt_colors: {text!r} is not true or false")
    elif key == "speaker_labels":
        if text not in LABEL_STYLES:
            raise ValueError(f"speaker_labels: {text!r}; choose from {', '.join(LABEL_STYLES)}")
        value = text
    elif key == "start":
        return "start_ms", parse_time(text)
    elif key == "encoding":
        codecs.lookup(text)  # LookupError names the codec
        value = text
    elif key == "aligner":
        if text not in BACKENDS:
            raise ValueError(f"aligner: {text!r}; choose from {', '.join(sorted(BACKENDS))}")
        value = text
    else:
        known = (
            "max_chars, max_lines, max_cps, min_gap, wpm, speaker_labels, vtt_colors, start, "
            "encoding, aligner"
        )
        raise ValueError(f"unknown option {key!r}; known: {known}")
    return key, value


def _parse_options(raw: object) -> dict[str, object]:
    """A row's options: a JSON object, or ``key=value`` pairs separated by ``;``."""
    if raw is None or raw == "":
        return {}
    pairs: Mapping[str, object]
    if isinstance(raw, dict):
        pairs = raw
    elif isinstance(raw, str) and raw.lstrip().startswith("{"):
        loaded = json.loads(raw)
        if not isinstance(loaded, dict):
            raise ValueError("options must be a JSON object")
        pairs = loaded
    elif isinstance(raw, str):
        pairs = {}
        for part in filter(None, (p.strip() for p in raw.split(";"))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"{part!r} is not key=value")
            pairs[key.strip()] = value.strip()
    else:
        raise ValueError("options must be an object or key=value pairs")
    return dict(_option(str(k).strip(), v) for k, v in pairs.items())


def _rows(path: Path, text: str) -> list[tuple[int, dict[str, object]]]:
    """(line number, row) pairs of a CSV file with a header, or of JSON lines."""
    first = text.lstrip()[:1]
    jsonl = path.suffix.lower() in (".jsonl", ".ndjson", ".json") or (
        path.suffix.lower() != ".csv" and first == "{"
    )
    rows: list[tuple[int, dict[str, object]]] = []
    if jsonl:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise BatchError(f"{path}:{number}: not a JSON object: {err.msg}") from None
            if not isinstance(row, dict):
                raise BatchError(f"{path}:{number}: not a JSON object")
            rows.append((number, row))
        columns = {key for _, row in rows for key in row}
    else:
        reader = csv.DictReader(io.StringIO(text))
        columns = set(reader.fieldnames or ())
        if "transcript" not in columns:
            raise BatchError(f"{path}: the CSV header has no 'transcript' column")
        rows = [(reader.line_num, {k: v for k, v in row.items() if k}) for row in reader]
    unknown = sorted(columns - set(MANIFEST_COLUMNS))
    if unknown:
        raise BatchError(
            f"{path}: unknown column {', '.join(map(repr, unknown))}; "
            f"columns are {', '.join(MANIFEST_COLUMNS)}"
        )
    return rows


def read_manifest(path: Path, settings: Settings) -> list[Item]:
    """Items listed in a manifest: CSV with a header, or JSON lines.

    Columns (keys): ``transcript`` (required), ``audio``, ``language``, ``options`` (a JSON
    object, or ``key=value;key=value``: ``max_chars``, ``max_lines``, ``max_cps``,
    ``min_gap``, ``wpm``, ``speaker_labels``, ``vtt_colors``, ``start``, ``encoding``,
    ``aligner``). Relative paths
    are relative to the manifest's folder. A bad row becomes an item with a ``problem``.

    Raises:
        BatchError: The manifest cannot be read, or its columns are wrong.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise BatchError(f"{path}: cannot read the manifest ({err})") from err
    items: list[Item] = []
    for number, row in _rows(path, text):
        where = f"{path}:{number}"
        transcript_raw = str(row.get("transcript") or "").strip()
        if not transcript_raw:
            items.append(
                Item(f"{path.name}:{number}", path, None, settings, f"{where}: no transcript")
            )
            continue
        transcript = path.parent / transcript_raw
        audio_raw = str(row.get("audio") or "").strip()
        audio = path.parent / audio_raw if audio_raw else None
        try:
            overrides = _parse_options(row.get("options"))
            language = str(row.get("language") or "").strip()
            if language:
                overrides["language"] = language
            item_settings = replace(settings, **overrides)  # type: ignore[arg-type]
            item_settings.rules()  # the limits must agree with each other
            problem = None
        except (ValueError, LookupError, AlignerError) as err:
            item_settings, problem = settings, f"{where}: {err}"
        items.append(Item(transcript.stem, transcript, audio, item_settings, problem))
    return items


def _clash(items: Sequence[Item]) -> str:
    paths = ", ".join(str(item.transcript) for item in items)
    return f"name clash: {paths} would all write {items[0].name}.*; rename one"


def collect(paths: Iterable[Path], settings: Settings, *, manifest: Path | None = None) -> Inputs:
    """All items of a batch: discovered in ``paths`` and listed in ``manifest``.

    Items whose outputs would share a name (the same stem twice, compared without case, as a
    case-insensitive file system would) all get a ``problem``: none is silently overwritten.

    Raises:
        BatchError: See :func:`discover` and :func:`read_manifest`.
    """
    for fmt in settings.formats:
        if fmt not in WRITERS:
            raise BatchError(f"unknown format {fmt!r}; choose from {', '.join(WRITERS)}")
    items, unpaired = discover(paths, settings)
    if manifest is not None:
        listed = read_manifest(manifest, settings)
        claimed = {item.audio.resolve() for item in listed if item.audio is not None}
        unpaired = [p for p in unpaired if p.resolve() not in claimed]
        items.extend(listed)
    by_name: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_name[item.name.casefold()].append(item)
    checked: list[Item] = []
    for group in by_name.values():
        for item in group:
            problem = item.problem
            if len(group) > 1:
                problem = _clash(group)
            elif item.name.casefold() == REPORT_STEM:
                problem = f"{item.transcript}: the name {REPORT_STEM} is the batch report's"
            checked.append(replace(item, problem=problem))
    checked.sort(key=lambda item: (item.name, str(item.transcript)))
    return Inputs(tuple(checked), tuple(unpaired))
