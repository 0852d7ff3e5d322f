"""Speech synthesis with libespeak-ng (through ctypes): text in, 16 kHz samples out.

The aligner compares what a text sounds like, spoken by espeak-ng, with the recording. The
library is called in-process and synchronously (no command per sentence); unlike aeneas's own
espeak binding it can synthesize any number of texts in one process without hanging.
"""

from __future__ import annotations

import ctypes
import threading
from array import array
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from aligner.errors import BackendUnavailableError

RATE = 16_000
_LIB = "libespeak-ng.so.1"
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
INSTALL = "apt-get install espeak-ng (or run `make setup`)"
# BCP 47 primary tags whose espeak-ng voice has another name.
_VOICES = {"zh": "cmn", "yue": "yue", "ar": "ar", "ja": "ja"}
# espeak-ng leaves near-silent samples around speech; trim below this level (about -50 dBFS).
_SILENCE_LEVEL = 100

Samples = npt.NDArray[np.int16]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


def voice_for(language: str) -> str:
    """The espeak-ng voice for a BCP 47 tag.

    Example:
        >>> voice_for("en-GB"), voice_for("zh-Hans"), voice_for("fr")
        ('en-gb', 'cmn', 'fr')
    """
    parts = language.lower().replace("_", "-").split("-")
    if parts[0] in _VOICES:
        return _VOICES[parts[0]]
    if parts[0] == "en" and len(parts) > 1 and parts[1] in ("gb", "us"):
        return f"en-{parts[1]}"
    return parts[0]


class Espeak:
    """One libespeak-ng instance: one per process (see ``shared``).

    Its output for a text depends on what it said before in the same process (restarting the
    library does not reset that): callers that need repeatable results use a fresh process.
    """

    def __init__(self) -> None:
        try:
            self._lib = ctypes.CDLL(_LIB)
        except OSError as err:
            raise BackendUnavailableError(f"cannot load {_LIB}: {INSTALL} ({err})") from err
        self.sample_rate = int(self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0))
        if self.sample_rate <= 0:
            raise BackendUnavailableError(f"espeak_Initialize failed: {INSTALL}")
        self._samples = array("h")
        self._words: list[tuple[int, int]] = []  # (sample, 0-based character position)
        self._callback = _Callback(self._on_synth)  # keep a reference: C holds only a pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._voice = ""
        self._lock = threading.Lock()

    def _on_synth(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if count > 0:  # as bytes: indexing the pointer would make a list of ints
            self._samples.frombytes(ctypes.string_at(wav, count * ctypes.sizeof(ctypes.c_short)))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_WORD:
                sample = events[i].audio_position * self.sample_rate // 1000
                self._words.append((sample, events[i].text_position - 1))
            i += 1
        return 0  # go on synthesizing

    def speak(self, text: str, *, language: str = "en", rate_wpm: int = 175) -> Samples:
        """``text`` spoken at 16 kHz, leading and trailing silence trimmed.

        Raises:
            BackendUnavailableError: espeak-ng has no voice for ``language``.
        """
        return self.speak_marked(text, (), language=language, rate_wpm=rate_wpm)[0]

    def speak_marked(
        self, text: str, marks: Sequence[int], *, language: str = "en", rate_wpm: int = 175
    ) -> tuple[Samples, list[int]]:
        """``speak``, and where in its samples the word at each of ``marks`` (0-based
        character positions in ``text``) starts: the first word espeak-ng reports at or
        after the position, or the end of the speech.

        Raises:
            BackendUnavailableError: espeak-ng has no voice for ``language``.
        """
        voice = voice_for(language)
        with self._lock:
            if voice != self._voice:
                if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                    raise BackendUnavailableError(
                        f"espeak-ng has no voice for language {language!r} ({voice})"
                    )
                self._voice = voice
            self._lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0)
            self._samples = array("h")
            self._words = []
            data = text.encode("utf-8") + b"\0"
            status = self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            if status != 0:
                raise BackendUnavailableError(f"espeak_Synth failed ({status}) on {text[:40]!r}")
            raw = np.frombuffer(self._samples, dtype=np.int16).copy()
            words = sorted(self._words, key=lambda word: word[1])
        spoken = resample(raw, self.sample_rate, RATE)
        lead, kept = _sound_span(spoken)
        at: list[int] = []
        for mark in marks:
            sample = next((w[0] for w in words if w[1] >= mark), len(raw))
            at.append(min(max(0, sample * RATE // self.sample_rate - lead), kept))
        return spoken[lead : lead + kept], at


_shared: Espeak | None = None


def shared() -> Espeak:
    """The process's espeak-ng instance, made on first use."""
    global _shared
    if _shared is None:
        _shared = Espeak()
    return _shared


def resample(samples: Samples, rate: int, target: int) -> Samples:
    """Resample by linear interpolation after a short low-pass (espeak-ng speaks at 22 050 Hz).

    Cheap, and good enough for what the aligner measures (MFCCs up to 6.9 kHz): an FFT
    resampler is exact but slow on the odd lengths utterances have.

    Example:
        >>> len(resample(np.zeros(22050, dtype=np.int16), 22050, 16000))
        16000
    """
    if rate == target or len(samples) == 0:
        return samples
    data = samples.astype(np.float64)
    if target < rate:  # [1 2 1]/4 smoothing: -6 dB at a quarter of the source rate
        data = np.convolve(data, [0.25, 0.5, 0.25], mode="same")
    count = round(len(samples) * target / rate)
    positions = np.arange(count) * (rate / target)
    out = np.interp(positions, np.arange(len(data)), data)
    result: Samples = np.clip(np.round(out), -32768, 32767).astype(np.int16)
    return result


def _sound_span(samples: Samples) -> tuple[int, int]:
    """Where the sound in ``samples`` starts, and how many samples it lasts."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _SILENCE_LEVEL)
    if len(loud) == 0:
        return 0, 0
    return int(loud[0]), int(loud[-1] - loud[0] + 1)


def trim(samples: Samples) -> Samples:
    """``samples`` without the silence before and after the sound."""
    lead, kept = _sound_span(samples)
    return samples[lead : lead + kept]
