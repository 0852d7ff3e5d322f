"""Dev helper: speak sample lines with espeak-ng into a WAV/MP3 plus exact word-level ground truth.

Each input line is one sentence. ``Speaker: text`` lines of one speaker in a row form a turn;
a new speaker starts a new turn. Every speaker gets its own espeak-ng voice variant and rate.

How the ground truth is exact: each sentence is synthesized on its own through libespeak-ng
(via ctypes), which reports a WORD event with the sample position of every word it speaks. The
sentence's leading and trailing silence is cut (first/last sample above ``SILENCE_LEVEL``),
then the sentences are concatenated with pauses of known length. So every sentence start/end
is a sample index we placed ourselves, and every word start is espeak-ng's own word position
shifted by the same amount. A word ends where the next one starts; the last word ends at the
end of the sentence's speech. (Running the ``espeak-ng`` command per sentence and measuring
the silence would give sentence times too, but the command line cannot report words.)

Usage::

    python scripts/make_sample_audio.py lines.txt -o clip.wav --truth clip.json [--seed 1]
    echo "A: Good morning." | python scripts/make_sample_audio.py - -o clip.mp3 --truth t.json

The JSON holds ``sample_rate``, ``duration_ms`` and ``segments``: one per input line with
``speaker``, ``voice``, ``rate``, ``text``, ``start_ms``, ``end_ms`` and ``words``
(``word``, ``start_ms``, ``end_ms``). Times are integer milliseconds from the start of the file.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import random
import sys
import wave
from array import array
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Voice variants told apart easily by ear and by MFCCs: two male, two female, then repeats.
VOICES = ("en+m1", "en+f3", "en+m3", "en+f2", "en+m5", "en+f4")
# Speaking rates (words per minute) drawn per speaker; espeak-ng's default is 175.
RATES = (150, 160, 170, 180, 190)
SENTENCE_PAUSE_MS = (250, 600)  # pause between sentences of one turn, drawn uniformly
TURN_PAUSE_MS = (700, 1300)  # pause between turns
EDGE_SILENCE_MS = 500  # silence before the first and after the last sentence
# |sample| above this counts as speech when trimming; espeak-ng's output is noise-free, so a
# low level (about -50 dBFS) finds the first audible sample.
SILENCE_LEVEL = 100

_LIB = "libespeak-ng.so.1"
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_PARAM_RATE = 1


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


@dataclass
class Word:
    word: str
    start_ms: int
    end_ms: int


@dataclass
class Segment:
    index: int
    speaker: str
    voice: str
    rate: int
    text: str
    start_ms: int
    end_ms: int
    words: list[Word] = field(default_factory=list)


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
        self._words: list[tuple[int, int, int]] = []  # (sample, text_position, length)
        self._callback = _Callback(self._on_synth)  # keep a reference: C holds only a pointer
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_synth(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if count > 0:
            self._samples.extend(wav[:count])
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_WORD:
                sample = event.audio_position * self.sample_rate // 1000
                self._words.append((sample, event.text_position, event.length))
            i += 1
        return 0  # 0 = go on synthesizing

    def speak(
        self, text: str, *, voice: str, rate: int
    ) -> tuple[array[int], list[tuple[int, str]]]:
        """Samples (int16, mono) and ``(sample, word)`` for each word of ``text``."""
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
        # text_position counts characters from 1. A word's text runs to the next event, not
        # ``length`` characters: espeak-ng's length can stop short ("today's" -> 5) and it can
        # speak two words as one ("in the"). Events on bare punctuation are dropped.
        starts = [pos - 1 for _, pos, _ in self._words] + [len(text)]
        words = []
        for (sample, _, _), begin, end in zip(self._words, starts, starts[1:], strict=False):
            word = text[begin:end].strip().strip(_PUNCTUATION)
            if word:
                words.append((sample, word))
        return self._samples, words


_PUNCTUATION = ".,;:!?\"'()[]…“”‘’"


def _speech_bounds(samples: array[int], begin: int = 0, end: int | None = None) -> tuple[int, int]:
    """First and one-past-last sample above SILENCE_LEVEL in ``samples[begin:end]``."""
    stop = len(samples) if end is None else end
    loud = [i for i in range(begin, stop) if abs(samples[i]) > SILENCE_LEVEL]
    if not loud:
        return begin, begin
    return loud[0], loud[-1] + 1


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


def synthesize(
    lines: list[tuple[str, str]], *, seed: int = 1
) -> tuple[array[int], int, list[Segment]]:
    """Speak ``(speaker, text)`` lines; returns samples, sample rate and the ground truth."""
    rng = random.Random(seed)
    engine = Espeak()
    rate_hz = engine.sample_rate

    def ms(sample: int) -> int:
        return round(sample * 1000 / rate_hz)

    voices: dict[str, tuple[str, int]] = {}

    def silence(duration_ms: int) -> array[int]:
        return array("h", bytes(2 * (duration_ms * rate_hz // 1000)))

    out = silence(EDGE_SILENCE_MS)
    segments: list[Segment] = []
    previous = None
    for index, (speaker, text) in enumerate(lines):
        if speaker not in voices:
            voices[speaker] = (VOICES[len(voices) % len(VOICES)], rng.choice(RATES))
        voice, rate = voices[speaker]
        if previous is not None:
            pause = TURN_PAUSE_MS if speaker != previous else SENTENCE_PAUSE_MS
            out.extend(silence(rng.randint(*pause)))
        previous = speaker
        samples, words = engine.speak(text, voice=voice, rate=rate)
        first, last = _speech_bounds(samples)
        if first == last:
            raise SystemExit(f"espeak-ng produced silence for {text!r}")
        offset = len(out) - first  # where sample 0 of this sentence lands in the output
        out.extend(samples[first:last])
        # A WORD event marks where espeak-ng starts the word's phonemes, which can be the start
        # of a pause (after "you." in "Thank you. This year"); the word is its loud part.
        timed = []
        marks = [s for s, _ in words] + [len(samples)]
        for (mark, word), next_mark in zip(words, marks[1:], strict=True):
            w_start, w_end = _speech_bounds(samples, mark, next_mark)
            timed.append(Word(word, ms(offset + w_start), ms(offset + w_end)))
        segments.append(
            Segment(index, speaker, voice, rate, text, ms(offset + first), ms(offset + last), timed)
        )
    out.extend(silence(EDGE_SILENCE_MS))
    return out, rate_hz, segments


def write_audio(samples: array[int], sample_rate: int, path: Path) -> None:
    """WAV through the standard library; any other extension through pydub (ffmpeg)."""
    if path.suffix.lower() == ".wav":
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(samples.tobytes())
        return
    from pydub import AudioSegment

    segment = AudioSegment(samples.tobytes(), sample_width=2, frame_rate=sample_rate, channels=1)
    segment.export(str(path), format=path.suffix.lstrip(".").lower())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", help="text file of 'Speaker: sentence' lines, or - for stdin")
    parser.add_argument("-o", "--output", type=Path, required=True, help=".wav, .mp3, .ogg, ...")
    parser.add_argument("--truth", type=Path, required=True, help="ground-truth JSON to write")
    parser.add_argument("--seed", type=int, default=1, help="seed for voices' rates and pauses")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.lines == "-" else Path(args.lines).read_text("utf-8")
    lines = parse_lines(text)
    if not lines:
        parser.error("no lines to speak")
    samples, sample_rate, segments = synthesize(lines, seed=args.seed)
    write_audio(samples, sample_rate, args.output)
    truth = {
        "audio": args.output.name,
        "sample_rate": sample_rate,
        "duration_ms": round(len(samples) * 1000 / sample_rate),
        "segments": [asdict(s) for s in segments],
    }
    args.truth.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
