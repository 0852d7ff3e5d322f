"""Dev helper: speak a transcript (or sample lines) with espeak-ng, with exact word-level truth.

Two inputs:

* ``--transcript``: a briefing transcript as ``aligner make`` reads it (parsed by
  ``aligner.transcript.read_transcript``). Every turn is spoken by its speaker's own voice and
  rate, sentence by sentence (``aligner.spaced.sentence_end_offsets`` per paragraph).
* otherwise: ``Speaker: sentence`` lines; one speaker's lines in a row form a turn and every
  line is one sentence (what the backend tests use).

How the ground truth is exact: each sentence is synthesized on its own through libespeak-ng (via
ctypes), which reports a WORD event with the text position and the sample of every word it
speaks. The sentence's leading and trailing silence is cut (first/last sample above
``SILENCE_LEVEL``) and the pieces are concatenated with pauses (and inserts) of known length, so
every time is a sample index placed here. Each whitespace token of the turn texts (the words our
segmenter cuts into cues, in order over all turns) gets the time of the first WORD event inside
it; a token espeak-ng does not report (it says "of the" as one word) gets the start of the next
reported one. A token starts at the first audible sample from there and ends at the last audible
sample before the next token's start. Noise and babble are mixed afterwards and do not move
any time.

Chinese (the language detected as ``aligner make --lang auto`` does) is spoken by Mandarin voices
(``CMN_VOICES``: espeak-ng ``cmn`` with the same variants, at ``CMN_RATES``), cut into sentences
after ``。！？；…!?`` and the closing marks after them (``split_cjk_sentences``), and every
character but whitespace is a token: ``cmn`` reports one WORD event per Han character,
punctuation takes the next character's start. The truth says ``"unit": "character"``.

Hard-case options put things the aligner must cope with between turns and paragraphs:
applause-like bursts (``nonspeech`` spans), 1 kHz tones (``nonspeech``), passages of extra
speech by another voice whose text is not in the transcript (``untranscribed``, half of them
between two sentences of a turn), steady noise and quiet babble of other voices under it all.
Audio is streamed to the outputs (WAV by the standard library, anything else through ffmpeg):
memory stays small for an hour of speech.

Usage::

    python scripts/make_sample_audio.py lines.txt -o clip.wav --truth clip.json [--seed 1]
    echo "A: Good morning." | python scripts/make_sample_audio.py - -o clip.mp3 --truth t.json
    python scripts/make_sample_audio.py --transcript briefing.txt -o b.wav -o b.mp3 \\
        --truth b.truth.json --repeat 2 --max-seconds 3600 --write-transcript b.txt \\
        --noise-db -45 --babble-db -38 --applause 6 --tone 3 --untranscribed 3

The committed sample excerpt (``samples/scio-briefing-2021-05-31.excerpt.*``) is made by::

    python scripts/make_sample_audio.py --transcript samples/scio-briefing-2021-05-31.en.txt \\
        --max-seconds 180 --cut-at paragraph --seed 1 --bitrate 48k \\
        -o samples/scio-briefing-2021-05-31.excerpt.en.mp3 \\
        --truth samples/scio-briefing-2021-05-31.excerpt.truth.json \\
        --write-transcript samples/scio-briefing-2021-05-31.excerpt.en.txt

The JSON holds ``sample_rate``, ``duration_ms``, ``segments`` (one per sentence: ``speaker``,
``voice``, ``rate``, ``text``, ``turn``, ``start_ms``, ``end_ms``, ``first_word``,
``word_count``), ``words`` (one per whitespace token of the turns, in order: ``word``, ``turn``,
``start_ms``, ``end_ms``, ``reported`` = espeak-ng reported a word inside it), ``unit``
(``"word"``, or ``"character"`` for Chinese, below) and ``spans``
(``kind`` ``nonspeech`` with ``what`` ``applause``/``tone``, or ``untranscribed`` with its
``text``). Times are integer milliseconds from the start of the file.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import random
import subprocess
import sys
import wave
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]

# Voice variants told apart easily by ear and by MFCCs; the first six keep the order the backend
# tests were tuned with, the rest give a briefing's many speakers distinct voices.
VOICES = (
    "en+m1",
    "en+f3",
    "en+m3",
    "en+f2",
    "en+m5",
    "en+f4",
    "en-us+m2",
    "en-us+f1",
    "en-gb-scotland+m4",
    "en-us+f5",
    "en+m6",
    "en-029+m7",
    "en-gb-x-rp+m8",
    "en-us+f4",
    "en-gb-x-gbclan+m1",
    "en-us+f2",
    "en+m2",
    "en+f1",
)
# Mandarin (espeak-ng ``cmn``) for Chinese transcripts, with the same variants in the same order.
CMN_VOICES = (
    "cmn+m1",
    "cmn+f3",
    "cmn+m3",
    "cmn+f2",
    "cmn+m5",
    "cmn+f4",
    "cmn+m2",
    "cmn+f1",
    "cmn+m4",
    "cmn+f5",
    "cmn+m6",
    "cmn+m7",
)
UNTRANSCRIBED_VOICE = "en-gb-x-gbcwmd+m7"  # nobody in VOICES: an interpreter or a heckler
BABBLE_VOICES = ("en-us+m3", "en-gb-x-rp+f5")
# Speaking rates (words per minute) drawn per speaker; espeak-ng's default is 175.
RATES = (150, 160, 170, 180, 190)
# For Mandarin voices: espeak-ng's ``cmn`` says about one character a minute per unit of rate,
# and briefings are spoken at 4-4.5 characters a second (240-270 a minute).
CMN_RATES = (230, 240, 250, 260, 270)
# Tokens a minute, for planning inserts: English words; Chinese characters.
WORDS_PER_MINUTE = 170
CJK_CHARS_PER_MINUTE = 250
SENTENCE_PAUSE_MS = (250, 600)  # pause between sentences of one paragraph, drawn uniformly
PARAGRAPH_PAUSE_MS = (500, 900)  # between paragraphs of one turn
TURN_PAUSE_MS = (700, 1300)  # between turns
INSERT_PAUSE_MS = (300, 900)  # after an insert, before the speech goes on
EDGE_SILENCE_MS = 500  # silence before the first and after the last sentence
APPLAUSE_S = (2.0, 5.0)
APPLAUSE_DB = -16.0  # RMS of a burst, dBFS: as loud as the speech or louder, like a room
TONE_S = (0.8, 1.5)
TONE_DB = -14.0  # peak of the 1 kHz tone, dBFS
UNTRANSCRIBED_S = (20.0, 90.0)
# |sample| above this counts as speech when trimming; espeak-ng's output is noise-free, so a
# low level (about -50 dBFS) finds the first audible sample.
SILENCE_LEVEL = 100
FULL_SCALE = 32768.0

_LIB = "libespeak-ng.so.1"
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_PARAM_RATE = 1

Samples = npt.NDArray[np.int16]


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT`` from ``espeak-ng/speak_lib.h``."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class Espeak:
    """libespeak-ng in synchronous mode: text in, samples and word positions out."""

    def __init__(self) -> None:
        try:
            self._lib = ctypes.CDLL(_LIB)
        except OSError as err:
            raise SystemExit(f"cannot load {_LIB}: apt-get install espeak-ng ({err})") from err
        self.sample_rate = int(self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0))
        if self.sample_rate <= 0:
            raise SystemExit("espeak_Initialize failed")
        self._samples = array("h")
        self._words: list[tuple[int, int]] = []  # (sample, 0-based character position)
        self._callback = _Callback(self._on_synth)  # keep a reference: C holds only a pointer
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_synth(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if count > 0:
            self._samples.frombytes(ctypes.string_at(wav, 2 * count))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_WORD:
                sample = event.audio_position * self.sample_rate // 1000
                self._words.append((sample, event.text_position - 1))
            i += 1
        return 0  # 0 = go on synthesizing

    def speak(self, text: str, *, voice: str, rate: int) -> tuple[Samples, list[tuple[int, int]]]:
        """Samples (int16, mono) and ``(sample, character position)`` of each WORD event."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise SystemExit(f"espeak-ng has no voice {voice!r}")
        self._lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        self._samples = array("h")
        self._words = []
        data = text.encode("utf-8") + b"\0"
        status = self._lib.espeak_Synth(
            data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        if status != 0:
            raise SystemExit(f"espeak_Synth failed ({status}) on {text!r}")
        return np.frombuffer(self._samples.tobytes(), dtype=np.int16).copy(), self._words


# ---------------------------------------------------------------------------------------------
# What to say: turns of paragraphs of sentences, each sentence knowing its tokens


@dataclass
class Sentence:
    text: str
    # Character span of each token in ``text``: whitespace tokens, or for Chinese (``cjk``)
    # every character but whitespace (espeak-ng's ``cmn`` reports one WORD event per Han).
    tokens: list[tuple[int, int]]


@dataclass
class Turn:
    speaker: str
    paragraphs: list[list[Sentence]]
    cjk: bool = False  # Chinese: Mandarin voices, one token per character

    def tokens(self) -> list[str]:
        return [
            s.text[a:b] for paragraph in self.paragraphs for s in paragraph for a, b in s.tokens
        ]


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character span of each whitespace token.

    Example:
        >>> token_spans(" a bc  d")
        [(1, 2), (3, 5), (7, 8)]
    """
    spans = []
    position = 0
    for token in text.split():
        position = text.index(token, position)
        spans.append((position, position + len(token)))
        position += len(token)
    return spans


def char_spans(text: str) -> list[tuple[int, int]]:
    """Character span of each character but whitespace: the tokens of Chinese text.

    Example:
        >>> char_spans("好。 OK")
        [(0, 1), (1, 2), (3, 4), (4, 5)]
    """
    return [(k, k + 1) for k, char in enumerate(text) if not char.isspace()]


def tokens_of(text: str, cjk: bool) -> list[tuple[int, int]]:
    return char_spans(text) if cjk else token_spans(text)


def split_cjk_sentences(paragraph: str) -> list[Sentence]:
    """Chinese sentences: cut after a run of the zh profile's sentence ends (``。！？；…!?``)
    and the closing marks after it (``”）」`` ...), as ``aligner.segment`` ends them.

    Example:
        >>> [s.text for s in split_cjk_sentences("好。“走吧！”他说……对 OK")]
        ['好。', '“走吧！”', '他说……', '对 OK']
    """
    from aligner.cjk import _CJK_CLOSERS
    from aligner.languages import profile_for

    ends = profile_for("zh-Hans").sentence_end
    texts: list[str] = []
    start = 0
    k = 0
    while k < len(paragraph):
        if paragraph[k] in ends:
            while k + 1 < len(paragraph) and paragraph[k + 1] in ends + _CJK_CLOSERS:
                k += 1
            texts.append(paragraph[start : k + 1])
            start = k + 1
        k += 1
    texts.append(paragraph[start:])
    return [Sentence(t.strip(), char_spans(t.strip())) for t in texts if t.strip()]


def split_sentences(paragraph: str, cjk: bool = False) -> list[Sentence]:
    """Sentences of a paragraph at syntok's ends (for Chinese: ``split_cjk_sentences``); a
    token never straddles two sentences."""
    from aligner.spaced import sentence_end_offsets

    if cjk:
        return split_cjk_sentences(paragraph)

    ends = sentence_end_offsets(paragraph)
    sentences: list[Sentence] = []
    current: list[tuple[int, int]] = []
    spans = token_spans(paragraph)
    for k, (a, b) in enumerate(spans):
        current.append((a, b))
        if k == len(spans) - 1 or any(a < e <= b for e in ends):
            start = current[0][0]
            sentences.append(
                Sentence(paragraph[start:b], [(x - start, y - start) for x, y in current])
            )
            current = []
    return sentences


def turns_from_transcript(path: Path) -> tuple[list[Turn], str]:
    """Turns of a transcript file, and its header text (lines before the first turn).

    The language is detected as ``aligner make`` does (``--lang auto``); Chinese is spoken by
    Mandarin voices and timed per character.
    """
    from aligner.transcript import read_transcript

    transcript = read_transcript(path, language="auto")
    turns = []
    for t in transcript.turns:
        cjk = is_chinese(t.language)
        paragraphs = [split_sentences(p, cjk) for p in t.paragraphs if p.strip()]
        turns.append(Turn(t.speaker, paragraphs, cjk))

    lines = path.read_text("utf-8-sig").splitlines()
    first = transcript.turns[0]
    header = lines[: first.source_line - 1]
    # The first turn's speaker line ("Name:") belongs to the turn, not the header.
    if (
        header
        and first.speaker
        and header[-1].rstrip().endswith((f"{first.speaker}:", f"{first.speaker}："))
    ):
        header = header[:-1]
    return turns, "".join(f"{line}\n" for line in header)


def is_chinese(language: str) -> bool:
    """Whether a BCP 47 tag is Chinese (the only CJK language espeak-ng timing is done for)."""
    return language.lower().split("-")[0] in ("zh", "cmn")


def detect_chinese(text: str) -> bool:
    """Whether ``aligner.detect.detect`` takes ``text`` for Chinese."""
    from aligner.detect import detect

    return is_chinese(detect(text)[0])


def parse_lines(text: str) -> list[tuple[str, str]]:
    """``Speaker: text`` lines (speaker optional) to ``(speaker, text)`` pairs."""
    pairs = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        speaker, sep, rest = line.partition(":")
        if sep and rest.strip() and len(speaker) <= 40:
            pairs.append((speaker.strip(), rest.strip()))
        else:
            pairs.append(("", line))
    return pairs


def turns_from_lines(pairs: Sequence[tuple[str, str]], cjk: bool = False) -> list[Turn]:
    """One turn per run of one speaker's lines; every line is one sentence."""
    turns: list[Turn] = []
    for speaker, text in pairs:
        sentence = Sentence(text, tokens_of(text, cjk))
        if turns and turns[-1].speaker == speaker:
            turns[-1].paragraphs[0].append(sentence)
        else:
            turns.append(Turn(speaker, [[sentence]], cjk))
    return turns


def transcript_text(header: str, turns: Sequence[Turn]) -> str:
    """The spoken turns in ``aligner make``'s transcript format, after ``header``."""
    parts = [header]
    for turn in turns:
        glue = "" if turn.cjk else " "
        paragraphs = [glue.join(s.text for s in p) for p in turn.paragraphs]
        colon = "：" if turn.cjk else ":"  # as Chinese transcripts write it
        parts.append(f"{turn.speaker}{colon}\n" if turn.speaker else "")
        parts.extend(f"{p}\n" for p in paragraphs)
    return "".join(parts)


# Extra speech whose words are nowhere in a briefing on human rights: it must not match.
_SUBJECTS = (
    "The orchestra",
    "My neighbour",
    "A tall fisherman",
    "The bakery on the corner",
    "Our football coach",
    "The old lighthouse keeper",
    "A yellow taxi",
    "The garden club",
)
_VERBS = ("painted", "borrowed", "cooked", "repaired", "forgot", "delivered", "sang", "carried")
_OBJECTS = (
    "a basket of ripe strawberries",
    "the blue bicycle",
    "three loaves of rye bread",
    "an umbrella with purple stripes",
    "the piano near the window",
    "a pair of muddy boots",
    "the kite from the beach",
    "twelve chocolate biscuits",
)
_TAILS = (
    "before breakfast",
    "on a rainy Sunday",
    "after the concert",
    "during the holidays",
    "near the harbour",
    "while the kettle boiled",
)


def chatter(rng: random.Random) -> str:
    """One sentence of unrelated small talk."""
    return (
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
    )


# ---------------------------------------------------------------------------------------------
# Sounds


def db_to_amplitude(db: float) -> float:
    """dBFS to a sample amplitude (0 dBFS = 32768)."""
    return FULL_SCALE * 10 ** (db / 20)


def applause(rng: np.random.Generator, rate: int, seconds: float) -> Samples:
    """Hand claps: dense decaying broadband bursts over a hiss, faded in and out."""
    n = int(seconds * rate)
    out = rng.normal(0.0, 0.25, n)
    claps = rng.poisson(30 * seconds)  # about 30 claps a second from a small room
    clap_len = int(0.012 * rate)
    decay = np.exp(-np.arange(clap_len) / (0.003 * rate))
    for at in rng.integers(0, max(1, n - clap_len), claps):
        out[at : at + clap_len] += rng.normal(0.0, 1.0, clap_len) * decay * rng.uniform(0.5, 2.0)
    envelope = np.ones(n)
    ramp_in, ramp_out = min(n, int(0.3 * rate)), min(n, int(0.6 * rate))
    envelope[:ramp_in] = np.linspace(0.0, 1.0, ramp_in)
    envelope[n - ramp_out :] *= np.linspace(1.0, 0.0, ramp_out)
    out *= envelope
    rms = float(np.sqrt(np.mean(out**2))) or 1.0
    out *= db_to_amplitude(APPLAUSE_DB) / rms
    return np.clip(out, -32767, 32767).astype(np.int16)


def tone(rate: int, seconds: float) -> Samples:
    """A 1 kHz sine with 10 ms ramps."""
    n = int(seconds * rate)
    wave_ = np.sin(2 * np.pi * 1000.0 * np.arange(n) / rate) * db_to_amplitude(TONE_DB)
    ramp = min(n // 2, int(0.01 * rate))
    wave_[:ramp] *= np.linspace(0.0, 1.0, ramp)
    wave_[n - ramp :] *= np.linspace(1.0, 0.0, ramp)
    out: Samples = wave_.astype(np.int16)
    return out


def audible(samples: Samples) -> npt.NDArray[np.intp]:
    """Indices of samples louder than SILENCE_LEVEL."""
    return np.flatnonzero(np.abs(samples.astype(np.int32)) > SILENCE_LEVEL)


class Babble:
    """Endless quiet speech of other voices, two at once, at a given RMS level."""

    def __init__(self, engine: Espeak, seed: int, db: float) -> None:
        self._engine = engine
        self._rng = random.Random(seed + 7919)
        self._level = db_to_amplitude(db) / math.sqrt(len(BABBLE_VOICES))
        self._buffers = [np.zeros(0, dtype=np.float32) for _ in BABBLE_VOICES]

    def _more(self, k: int) -> None:
        text = " ".join(chatter(self._rng) for _ in range(3))
        samples, _ = self._engine.speak(text, voice=BABBLE_VOICES[k], rate=self._rng.choice(RATES))
        loud = audible(samples)
        if not len(loud):
            return
        piece = samples[loud[0] : loud[-1] + 1].astype(np.float32)
        piece *= self._level / (float(np.sqrt(np.mean(piece**2))) or 1.0)
        gap = np.zeros(int(self._rng.uniform(0.1, 0.6) * self._engine.sample_rate), np.float32)
        self._buffers[k] = np.concatenate([self._buffers[k], piece, gap])

    def take(self, n: int) -> npt.NDArray[np.float32]:
        out = np.zeros(n, dtype=np.float32)
        for k in range(len(self._buffers)):
            while len(self._buffers[k]) < n:
                self._more(k)
            out += self._buffers[k][:n]
            self._buffers[k] = self._buffers[k][n:]
        return out


# ---------------------------------------------------------------------------------------------
# Output: stream int16 chunks to every requested file


class Sink(Protocol):
    def write(self, samples: Samples) -> None: ...

    def close(self) -> None: ...


class WavSink:
    def __init__(self, path: Path, rate: int) -> None:
        self._out = wave.open(str(path), "wb")  # noqa: SIM115  (closed in close())
        self._out.setnchannels(1)
        self._out.setsampwidth(2)
        self._out.setframerate(rate)

    def write(self, samples: Samples) -> None:
        self._out.writeframes(samples.astype("<i2").tobytes())

    def close(self) -> None:
        self._out.close()


class FfmpegSink:
    """Any format ffmpeg writes, chosen by the file's extension; mono, ``bitrate`` if lossy."""

    def __init__(self, path: Path, rate: int, bitrate: str) -> None:
        command = ["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", str(rate), "-ac", "1"]
        command += ["-i", "pipe:0", "-ac", "1"]
        if path.suffix.lower() not in {".flac", ".wav"}:
            command += ["-b:a", bitrate]
        self._proc = subprocess.Popen([*command, str(path)], stdin=subprocess.PIPE)
        self._path = path

    def write(self, samples: Samples) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(samples.astype("<i2").tobytes())

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        if self._proc.wait() != 0:
            raise SystemExit(f"ffmpeg failed writing {self._path}")


def open_sink(path: Path, rate: int, bitrate: str) -> Sink:
    if path.suffix.lower() == ".wav":
        return WavSink(path, rate)
    return FfmpegSink(path, rate, bitrate)


# ---------------------------------------------------------------------------------------------
# Synthesis


@dataclass
class Options:
    seed: int = 1
    max_seconds: float | None = None
    cut_at: str = "turn"  # where --max-seconds may cut: turn, paragraph or sentence
    noise_db: float | None = None
    babble_db: float | None = None
    applause: int = 0
    tone: int = 0
    untranscribed: int = 0


@dataclass
class _Insert:
    kind: str  # applause, tone, untranscribed
    at_ms: int  # on the speech clock: not before this much speech has been placed
    inside_turn: bool


@dataclass
class Truth:
    sample_rate: int
    duration_ms: int = 0
    segments: list[dict[str, Any]] = field(default_factory=list)
    words: list[dict[str, Any]] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    cjk: bool = False  # Chinese: ``words`` holds one entry per character

    def spoken_turns(self) -> list[Turn]:
        """The turns as far as they were spoken (for --write-transcript)."""
        turns: list[Turn] = []
        previous: tuple[int, int] | None = None
        for segment in self.segments:
            sentence = Sentence(segment["text"], tokens_of(segment["text"], self.cjk))
            key = (segment["turn"], segment["paragraph"])
            if previous is None or previous[0] != key[0]:
                turns.append(Turn(segment["speaker"], [[sentence]], self.cjk))
            elif previous != key:
                turns[-1].paragraphs.append([sentence])
            else:
                turns[-1].paragraphs[-1].append(sentence)
            previous = key
        return turns


class _Writer:
    """Pending audio since the last place a cut may fall, then committed to the sinks."""

    def __init__(self, sinks: Sequence[Sink], rate: int, options: Options, engine: Espeak):
        self.sinks = sinks
        self.rate = rate
        self.options = options
        self.committed = 0  # samples written
        self.pending: list[Samples] = []
        self.pending_len = 0
        self.noise = np.random.default_rng(options.seed + 104729)
        self.babble = (
            Babble(engine, options.seed, options.babble_db)
            if options.babble_db is not None
            else None
        )

    @property
    def position(self) -> int:
        return self.committed + self.pending_len

    def add(self, samples: Samples) -> None:
        self.pending.append(samples)
        self.pending_len += len(samples)

    def silence(self, ms: int) -> None:
        self.add(np.zeros(ms * self.rate // 1000, dtype=np.int16))

    def would_exceed(self, extra_samples: int) -> bool:
        limit = self.options.max_seconds
        return limit is not None and self.position + extra_samples > limit * self.rate

    def drop(self) -> None:
        self.pending, self.pending_len = [], 0

    def commit(self) -> None:
        for chunk in self.pending:
            self._emit(chunk)
        self.committed += self.pending_len
        self.drop()

    def _emit(self, chunk: Samples) -> None:
        step = self.rate * 10  # mix in 10 s blocks: bounded memory for long silences too
        for begin in range(0, len(chunk), step):
            block = chunk[begin : begin + step]
            if self.options.noise_db is None and self.babble is None:
                mixed = block
            else:
                mix = block.astype(np.float32)
                if self.options.noise_db is not None:
                    sigma = db_to_amplitude(self.options.noise_db)
                    mix += self.noise.normal(0.0, sigma, len(block)).astype(np.float32)
                if self.babble is not None:
                    mix += self.babble.take(len(block))
                mixed = np.clip(mix, -32767, 32767).astype(np.int16)
            for sink in self.sinks:
                sink.write(mixed)


def _boundaries(turns: Sequence[Turn], repeat: int) -> Iterator[tuple[int, int, int, Turn]]:
    """``(turn index, paragraph, sentence, turn)`` for every sentence, turns cycled."""
    index = 0
    for _ in range(repeat):
        for turn in turns:
            for p, paragraph in enumerate(turn.paragraphs):
                for s in range(len(paragraph)):
                    yield index, p, s, turn
            index += 1


def _plan_inserts(options: Options, turns: Sequence[Turn], repeat: int) -> list[_Insert]:
    """Where the inserts go, on the speech clock, spread at random over the expected length."""
    rng = random.Random(options.seed * 31 + 5)
    words = sum(len(t.tokens()) for t in turns) * repeat
    per_minute = CJK_CHARS_PER_MINUTE if any(t.cjk for t in turns) else WORDS_PER_MINUTE
    expected_s = words / per_minute * 60 * 1.25  # plus pauses
    if options.max_seconds is not None:
        mean_insert = options.applause * 3.5 + options.tone * 1.2 + options.untranscribed * 55
        expected_s = min(expected_s, max(options.max_seconds - mean_insert, 10.0))
    inserts = [
        _Insert(kind, 0, kind == "untranscribed" and rng.random() < 0.5)
        for kind, count in (
            ("applause", options.applause),
            ("tone", options.tone),
            ("untranscribed", options.untranscribed),
        )
        for _ in range(count)
    ]
    rng.shuffle(inserts)
    for insert in inserts:
        insert.at_ms = int(rng.uniform(0.05, 0.85) * expected_s * 1000)
    return sorted(inserts, key=lambda i: i.at_ms)


def synthesize(
    turns: Sequence[Turn],
    sinks: Sequence[Sink],
    *,
    options: Options | None = None,
    repeat: int = 1,
    engine: Espeak | None = None,
) -> Truth:
    """Speak ``turns`` (cycled ``repeat`` times) into ``sinks``; returns the ground truth."""
    options = options or Options()
    rng = random.Random(options.seed)
    insert_rng = random.Random(options.seed + 1)
    noise_rng = np.random.default_rng(options.seed + 2)
    engine = engine or Espeak()
    rate_hz = engine.sample_rate
    writer = _Writer(sinks, rate_hz, options, engine)
    truth = Truth(sample_rate=rate_hz, cjk=any(t.cjk for t in turns))
    inserts = _plan_inserts(options, turns, repeat)

    def ms(sample: int) -> int:
        return round(sample * 1000 / rate_hz)

    voices: dict[str, tuple[str, int]] = {}
    # Truth entries not yet committed: dropped with the audio when --max-seconds cuts.
    pending_segments: list[dict[str, Any]] = []
    pending_words: list[dict[str, Any]] = []
    pending_spans: list[dict[str, Any]] = []
    inserted_ms = 0
    word_index = 0

    def commit() -> None:
        writer.commit()
        truth.segments.extend(pending_segments)
        truth.words.extend(pending_words)
        truth.spans.extend(pending_spans)
        pending_segments.clear()
        pending_words.clear()
        pending_spans.clear()

    def place_insert(insert: _Insert) -> None:
        nonlocal inserted_ms
        begin = writer.position
        if insert.kind == "applause":
            writer.add(applause(noise_rng, rate_hz, insert_rng.uniform(*APPLAUSE_S)))
            span: dict[str, Any] = {"kind": "nonspeech", "what": "applause"}
        elif insert.kind == "tone":
            writer.add(tone(rate_hz, insert_rng.uniform(*TONE_S)))
            span = {"kind": "nonspeech", "what": "tone"}
        else:
            target = insert_rng.uniform(*UNTRANSCRIBED_S) * rate_hz
            said: list[str] = []
            placed = 0
            while placed < target:
                if said:
                    writer.silence(insert_rng.randint(*SENTENCE_PAUSE_MS))
                text = chatter(insert_rng)
                samples, _ = engine.speak(text, voice=UNTRANSCRIBED_VOICE, rate=165)
                loud = audible(samples)
                writer.add(samples[loud[0] : loud[-1] + 1])
                said.append(text)
                placed = writer.position - begin
            span = {"kind": "untranscribed", "voice": UNTRANSCRIBED_VOICE, "text": " ".join(said)}
        end = writer.position
        pending_spans.append({**span, "start_ms": ms(begin), "end_ms": ms(end)})
        inserted_ms += ms(end) - ms(begin)
        writer.silence(insert_rng.randint(*INSERT_PAUSE_MS))

    writer.silence(EDGE_SILENCE_MS)
    previous: tuple[int, int] | None = None  # (turn index, paragraph) of the last sentence
    speaker_before: str | None = None
    for turn_index, p, s, turn in _boundaries(turns, repeat):
        new_turn = previous is None or previous[0] != turn_index
        new_paragraph = previous is None or previous != (turn_index, p)
        if turn.speaker not in voices:
            pool = CMN_VOICES if turn.cjk else VOICES
            voice = pool[len(voices) % len(pool)]
            voices[turn.speaker] = (voice, rng.choice(CMN_RATES if turn.cjk else RATES))
        voice, rate = voices[turn.speaker]
        if previous is not None:
            # A cut may fall here: before this sentence, after the pending audio.
            boundary = {"turn": new_turn, "paragraph": new_paragraph, "sentence": True}
            if boundary[options.cut_at]:
                if writer.would_exceed(EDGE_SILENCE_MS * rate_hz // 1000):
                    break
                commit()
            if new_turn:
                pause = TURN_PAUSE_MS if turn.speaker != speaker_before else PARAGRAPH_PAUSE_MS
            else:
                pause = PARAGRAPH_PAUSE_MS if new_paragraph else SENTENCE_PAUSE_MS
            writer.silence(rng.randint(*pause))
            speech_ms = ms(writer.position) - inserted_ms
            # At most one insert per pause. Applause and tones wait for a pause between turns
            # or paragraphs (a briefing's long turns have few of the former); untranscribed
            # speech marked ``inside_turn`` may also come between two sentences.
            ready = inserts and inserts[0].at_ms <= speech_ms
            if ready and (new_paragraph or inserts[0].inside_turn):
                place_insert(inserts.pop(0))
        sentence = turn.paragraphs[p][s]
        previous, speaker_before = (turn_index, p), turn.speaker

        samples, events = engine.speak(sentence.text, voice=voice, rate=rate)
        loud = audible(samples)
        if not len(loud):
            raise SystemExit(f"espeak-ng produced silence for {sentence.text!r}")
        first, last = int(loud[0]), int(loud[-1]) + 1
        offset = writer.position - first  # where sample 0 of this sentence lands in the output
        writer.add(samples[first:last])
        times = _token_times(sentence, events, loud, first, last)
        words = [
            {
                "word": sentence.text[a:b],
                "turn": turn_index,
                "start_ms": ms(offset + start),
                "end_ms": ms(offset + end),
                "reported": reported,
            }
            for (a, b), (start, end, reported) in zip(sentence.tokens, times, strict=True)
        ]
        pending_segments.append(
            {
                "index": len(truth.segments) + len(pending_segments),
                "speaker": turn.speaker,
                "voice": voice,
                "rate": rate,
                "text": sentence.text,
                "turn": turn_index,
                "paragraph": p,
                "start_ms": ms(offset + first),
                "end_ms": ms(offset + last),
                "first_word": word_index,
                "word_count": len(words),
            }
        )
        pending_words.extend(words)
        word_index += len(words)
    else:
        commit()
    if pending_segments:  # stopped by --max-seconds: the cut-off part is not in the file
        word_index -= len(pending_words)
        writer.drop()
    writer.silence(EDGE_SILENCE_MS)
    writer.commit()
    truth.duration_ms = ms(writer.committed)
    return truth


def _token_times(
    sentence: Sentence,
    events: Sequence[tuple[int, int]],
    loud: npt.NDArray[np.intp],
    first: int,
    last: int,
) -> list[tuple[int, int, bool]]:
    """``(start, end, reported)`` in the sentence's samples for each of its tokens.

    A token's mark is the first WORD event whose character position falls inside it; a token
    without one takes the next token's mark (or the end of speech after the last event). Starts
    move on to the first audible sample at or after the mark, ends back to the last audible
    sample before the next token's start.
    """
    marks: list[int | None] = []
    for a, b in sentence.tokens:
        inside = [sample for sample, position in events if a <= position < b]
        marks.append(inside[0] if inside else None)
    reported = [m is not None for m in marks]
    following = last
    resolved: list[int] = [0] * len(marks)
    for k in range(len(marks) - 1, -1, -1):
        mark = marks[k]
        following = min(mark, following) if mark is not None else following
        resolved[k] = max(first, min(following, last))
    starts: list[int] = []
    for k, mark in enumerate(resolved):
        limit = resolved[k + 1] if k + 1 < len(resolved) else last
        at = int(np.searchsorted(loud, mark))
        start = int(loud[at]) if at < len(loud) and loud[at] < limit else mark
        starts.append(max(start, starts[-1]) if starts else start)
    out = []
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else last
        at = int(np.searchsorted(loud, stop)) - 1  # last audible sample before ``stop``
        end = int(loud[at]) + 1 if at >= 0 and loud[at] >= start else start
        out.append((start, end, reported[k]))
    return out


def main(argv: list[str] | None = None) -> int:
    assert __doc__ is not None
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("lines", nargs="?", help="'Speaker: sentence' lines, or - for stdin")
    parser.add_argument(
        "--transcript", type=Path, help="speak this transcript (as `aligner make` reads it)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        action="append",
        required=True,
        help=".wav, .mp3, .ogg, ... (repeat for several)",
    )
    parser.add_argument("--truth", type=Path, required=True, help="ground-truth JSON to write")
    parser.add_argument("--seed", type=int, default=1, help="seed for voices, pauses and inserts")
    parser.add_argument("--bitrate", default="64k", help="of lossy outputs (default 64k)")
    parser.add_argument("--max-seconds", type=float, help="stop before the audio gets longer")
    parser.add_argument(
        "--cut-at",
        choices=("turn", "paragraph", "sentence"),
        default="turn",
        help="where --max-seconds may stop (default: between turns)",
    )
    parser.add_argument("--write-transcript", type=Path, help="the transcript of what is spoken")
    parser.add_argument("--repeat", type=int, default=1, help="cycle the turns this many times")
    parser.add_argument("--noise-db", type=float, help="steady white noise at this RMS dBFS")
    parser.add_argument("--babble-db", type=float, help="two other voices under it, RMS dBFS")
    parser.add_argument("--applause", type=int, default=0, help="bursts of applause, 2-5 s")
    parser.add_argument("--tone", type=int, default=0, help="1 kHz tones, 0.8-1.5 s")
    parser.add_argument(
        "--untranscribed", type=int, default=0, help="passages of untranscribed speech, 20-90 s"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    header = ""
    if (args.transcript is None) == (args.lines is None):
        parser.error("give either LINES or --transcript")
    if args.transcript is not None:
        turns, header = turns_from_transcript(args.transcript)
    else:
        text = sys.stdin.read() if args.lines == "-" else Path(args.lines).read_text("utf-8")
        turns = turns_from_lines(parse_lines(text), detect_chinese(text))
    if not turns:
        parser.error("nothing to speak")
    options = Options(
        seed=args.seed,
        max_seconds=args.max_seconds,
        cut_at=args.cut_at,
        noise_db=args.noise_db,
        babble_db=args.babble_db,
        applause=args.applause,
        tone=args.tone,
        untranscribed=args.untranscribed,
    )
    engine = Espeak()
    sinks = [open_sink(path, engine.sample_rate, args.bitrate) for path in args.output]
    try:
        truth = synthesize(turns, sinks, options=options, repeat=args.repeat, engine=engine)
    finally:
        for sink in sinks:
            sink.close()
    document = {
        "audio": args.output[0].name,
        "sample_rate": truth.sample_rate,
        "unit": "character" if truth.cjk else "word",
        "duration_ms": truth.duration_ms,
        "options": {k: v for k, v in asdict(options).items()} | {"repeat": args.repeat},
        "segments": truth.segments,
        "words": truth.words,
        "spans": truth.spans,
    }
    if args.write_transcript is not None:
        written = transcript_text(header, truth.spoken_turns())
        args.write_transcript.write_text(written, "utf-8")
        _check_transcript(args.write_transcript, truth.words, cjk=truth.cjk)
        document["transcript"] = args.write_transcript.name
    args.truth.write_text(dump_truth(document), "utf-8")
    return 0


def dump_truth(document: dict[str, Any]) -> str:
    """JSON with one list item per line: readable, diffable and a third of ``indent=1``."""
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"  {json.dumps(v, ensure_ascii=False)}" for v in value)
            parts.append(f"{json.dumps(key)}: [\n{items}\n ]")
        else:
            parts.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n " + ",\n ".join(parts) + "\n}\n"


def _check_transcript(path: Path, words: Sequence[dict[str, Any]], *, cjk: bool = False) -> None:
    """The written transcript must parse back to exactly the timed tokens."""
    from aligner.transcript import read_transcript

    texts = [t.text for t in read_transcript(path).turns]
    if cjk:
        parsed = [text[a:b] for text in texts for a, b in char_spans(text)]
    else:
        parsed = [w for text in texts for w in text.split()]
    timed = [str(w["word"]) for w in words]
    if parsed != timed:
        at = next(
            (k for k, (a, b) in enumerate(zip(parsed, timed, strict=False)) if a != b),
            min(len(parsed), len(timed)),
        )
        raise SystemExit(
            f"{path}: parses to {len(parsed)} words, {len(timed)} were spoken; "
            f"first difference at word {at}: {parsed[at : at + 5]} vs {timed[at : at + 5]}"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # aligner.transcript / aligner.segment without installing
    sys.exit(main())
