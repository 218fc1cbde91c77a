"""A generated corpus spoken again by neural teachers (``polyvox corpus --teacher``).

The sentences, languages and speaker plan come from the espeak-ng corpus (cheap to make); every clip of
a language whose teacher is not espeak-ng is spoken again by that teacher. Each corpus speaker becomes
one teacher voice (``kokoro_jf_alpha``, the same voice across languages where the teacher has it), the
audio is resampled to the corpus rate and trimmed like espeak-ng's; a clip with a style label is said in that
style by ``teacher_styles``. The clip keeps its phonemes with the
teacher's own durations where the teacher gives them (Kokoro) and they agree with the front end's tokens
(``teacher_durations``); otherwise it loses them and training aligns it by alignment search.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from polyvox.audio.io import resample, save_audio
from polyvox.data.corpus.alignment import resample_boundaries
from polyvox.data.corpus.generator import frontend_token_source
from polyvox.data.corpus.silence import trim_silence
from polyvox.data.corpus.styles import CORPUS_STYLES
from polyvox.data.corpus.teacher import Teacher, TeacherError, TeacherSpeech
from polyvox.data.corpus.teacher_durations import teacher_token_durations
from polyvox.data.corpus.teacher_styles import styled_speech
from polyvox.data.manifest import Utterance, read_manifest, write_manifest
from polyvox.files import atomic_path

TEACHERS_REPORT_NAME = "teachers.json"


@dataclass(frozen=True)
class TeacherAssignment:
    """Who speaks one corpus speaker's clips: a teacher and one of its voices."""

    language: str
    corpus_speaker: str
    teacher: str
    voice: str
    licence: str
    # Of the speaker's clips, how many keep phonemes timed by the teacher (the rest are aligned by search).
    clips: int = 0
    timed_clips: int = 0
    # Seconds of the teacher's speech for the speaker (its rate, not espeak-ng's, sets the corpus's length).
    duration_s: float = 0.0


def assign_voices(utterances: Sequence[Utterance], teachers: Mapping[str, Sequence[Teacher]]) -> list[TeacherAssignment]:
    """The corpus speakers of each taught language take its teachers in turn, and each teacher's voices in
    order (more speakers than voices reuse them)."""
    assignments = []
    for language, language_teachers in teachers.items():
        used: dict[str, int] = {}
        speakers = list(dict.fromkeys(u.speaker for u in utterances if u.language == language))
        for index, speaker in enumerate(speakers):
            teacher = language_teachers[index % len(language_teachers)]
            voices = teacher.voices(language)
            if not voices:
                raise TeacherError(f"the {teacher.name} teacher does not speak {language!r}; use --teacher espeak or auto for it")
            voice = voices[used.get(teacher.name, 0) % len(voices)]
            used[teacher.name] = used.get(teacher.name, 0) + 1
            assignments.append(TeacherAssignment(language, speaker, teacher.name, voice, teacher.licence))
    return assignments


def revoice_corpus(
    root: Path,
    teachers: Mapping[str, Sequence[Teacher]],
    sample_rate: int,
    progress: Callable[[Sequence[Utterance]], Sequence[Utterance]] = lambda items: items,
) -> list[TeacherAssignment]:
    """Speak the clips of ``root/manifest.jsonl`` in the languages of ``teachers`` again, in place: new wavs
    under ``root/wavs/<teacher>_<voice>/``, the manifest rewritten (atomically) when all are done, and
    ``teachers.json`` saying who taught what under which licence."""
    manifest = root / "manifest.jsonl"
    utterances = read_manifest(manifest)
    assignments = assign_voices(utterances, teachers)
    by_name = {teacher.name: teacher for language_teachers in teachers.values() for teacher in language_teachers}
    assigned = {(a.language, a.corpus_speaker): a for a in assignments}
    tokens_of = frontend_token_source(list(teachers))
    spoken: list[Utterance] = []
    for utterance in progress(utterances):
        assignment = assigned.get((utterance.language, utterance.speaker))
        if assignment is None:
            spoken.append(utterance)
            continue
        # The front end's tokens, which espeak-ng's events could not time for some languages (ja, zh).
        tokens = utterance.phonemes or tokens_of(utterance.text, utterance.language)
        spoken.append(_speak_again(utterance, tokens, by_name[assignment.teacher], assignment.voice, root, sample_rate))
    write_manifest(manifest, spoken)
    for before, after in zip(utterances, spoken):  # the espeak-ng clips that were spoken again
        if before.audio != after.audio:
            Path(before.audio).unlink(missing_ok=True)
            if Path(before.audio).parent.is_dir() and not any(Path(before.audio).parent.iterdir()):
                Path(before.audio).parent.rmdir()
    clips = Counter((u.language, u.speaker) for u in utterances)
    timed = Counter((before.language, before.speaker) for before, after in zip(utterances, spoken) if after.phoneme_durations)
    seconds: Counter[tuple[str, str]] = Counter()
    for before, after in zip(utterances, spoken):
        seconds[before.language, before.speaker] += after.duration
    assignments = [
        replace(
            a, clips=clips[a.language, a.corpus_speaker], timed_clips=timed[a.language, a.corpus_speaker],
            duration_s=seconds[a.language, a.corpus_speaker],
        )
        for a in assignments
    ]
    report = [asdict(assignment) for assignment in assignments]
    (root / TEACHERS_REPORT_NAME).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return assignments


def _speak_again(
    utterance: Utterance, tokens: Sequence[str] | None, teacher: Teacher, voice: str, root: Path, sample_rate: int
) -> Utterance:
    speaker = f"{teacher.name}_{voice}"
    # The text's digest in the name: a clip is reused only for the same sentence by the same voice.
    said = f"{utterance.language}|{utterance.text}" + ("" if utterance.style is None else f"|{utterance.style}")
    digest = hashlib.sha1(said.encode()).hexdigest()[:8]
    path = root / "wavs" / speaker / f"{speaker}_{Path(utterance.audio).stem}_{digest}.wav"
    durations_path = path.with_suffix(".durations.json")
    # An interrupted run's clips are kept: save_audio writes atomically, and a clip's durations are written before it.
    frames = _finished_clip(path, sample_rate)
    durations = _finished_durations(durations_path, tokens) if frames is not None else None
    if frames is None:
        speech = teacher.speak(utterance.text, utterance.language, voice)
        if speech.samples.size == 0 or not np.all(np.isfinite(speech.samples)):
            raise TeacherError(f"the {teacher.name} teacher gave no usable audio for {utterance.text!r} ({utterance.language})")
        resampled = resample(speech.samples, speech.sample_rate, sample_rate)
        durations = _token_durations(tokens, utterance.language, speech, sample_rate, resampled.size)
        samples, durations = trim_silence(resampled, sample_rate, durations)
        if utterance.style is not None:  # the teacher speaks one way: the label's style is put on its speech
            samples, durations = styled_speech(samples, sample_rate, CORPUS_STYLES[utterance.style], durations)
        if durations is not None:
            with atomic_path(durations_path) as temporary:
                temporary.write_text(json.dumps([int(d) for d in durations]) + "\n", encoding="utf-8")
        else:
            durations_path.unlink(missing_ok=True)  # an older run's, for other audio
        save_audio(path, samples, sample_rate)
        frames = samples.size
    timed = durations is not None and tokens is not None
    return Utterance(
        audio=str(path.resolve()), text=utterance.text, speaker=speaker, language=utterance.language,
        duration=frames / sample_rate, style=utterance.style, phonemes=tuple(tokens) if timed and tokens is not None else None,
        phoneme_durations=tuple(float(d) / sample_rate for d in durations) if timed and durations is not None else None,
    )


def _token_durations(
    tokens: Sequence[str] | None, language: str, speech: TeacherSpeech, sample_rate: int, samples: int
) -> np.ndarray | None:
    """Samples per front-end token at the corpus rate, from the teacher's own durations; None where there are none."""
    if not tokens or speech.symbols is None or speech.symbol_samples is None:
        return None
    durations = teacher_token_durations(tokens, speech.symbols, speech.symbol_samples, language)
    return None if durations is None else resample_boundaries(durations, speech.sample_rate, sample_rate, samples)


def _finished_durations(path: Path, tokens: Sequence[str] | None) -> np.ndarray | None:
    """The durations an earlier run wrote beside a finished clip, when they fit its tokens."""
    if not path.is_file() or not tokens:
        return None
    try:
        durations = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return np.asarray(durations, dtype=np.int64) if isinstance(durations, list) and len(durations) == len(tokens) else None


def _finished_clip(path: Path, sample_rate: int) -> int | None:
    """Frames of a clip an earlier run already wrote at this rate, or None."""
    if not path.is_file():
        return None
    import soundfile

    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError):
        return None
    return info.frames if info.samplerate == sample_rate and info.frames > 0 else None
