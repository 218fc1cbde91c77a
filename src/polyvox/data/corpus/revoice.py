"""A generated corpus spoken again by neural teachers (``polyvox corpus --teacher``).

The sentences, languages and speaker plan come from the espeak-ng corpus (cheap to make); every clip of
a language whose teacher is not espeak-ng is spoken again by that teacher. Each corpus speaker becomes
one teacher voice (``kokoro_jf_alpha``, the same voice across languages where the teacher has it), the
audio is resampled to the corpus rate and trimmed like espeak-ng's, and the clip loses its phoneme
durations (the teacher gives none: training aligns it by alignment search).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from polyvox.audio.io import resample, save_audio
from polyvox.data.corpus.silence import trim_silence
from polyvox.data.corpus.teacher import Teacher, TeacherError
from polyvox.data.manifest import Utterance, read_manifest, write_manifest

TEACHERS_REPORT_NAME = "teachers.json"


@dataclass(frozen=True)
class TeacherAssignment:
    """Who speaks one corpus speaker's clips: a teacher and one of its voices."""

    language: str
    corpus_speaker: str
    teacher: str
    voice: str
    licence: str


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
    spoken: list[Utterance] = []
    for utterance in progress(utterances):
        assignment = assigned.get((utterance.language, utterance.speaker))
        if assignment is None:
            spoken.append(utterance)
            continue
        spoken.append(_speak_again(utterance, by_name[assignment.teacher], assignment.voice, root, sample_rate))
    write_manifest(manifest, spoken)
    for before, after in zip(utterances, spoken):  # the espeak-ng clips that were spoken again
        if before.audio != after.audio:
            Path(before.audio).unlink(missing_ok=True)
            if not any(Path(before.audio).parent.iterdir()):
                Path(before.audio).parent.rmdir()
    report = [asdict(assignment) for assignment in assignments]
    (root / TEACHERS_REPORT_NAME).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return assignments


def _speak_again(utterance: Utterance, teacher: Teacher, voice: str, root: Path, sample_rate: int) -> Utterance:
    speaker = f"{teacher.name}_{voice}"
    # The text's digest in the name: a clip is reused only for the same sentence by the same voice.
    digest = hashlib.sha1(f"{utterance.language}|{utterance.text}".encode()).hexdigest()[:8]
    path = root / "wavs" / speaker / f"{speaker}_{Path(utterance.audio).stem}_{digest}.wav"
    frames = _finished_clip(path, sample_rate)  # an interrupted run's clips are kept: save_audio writes atomically
    if frames is None:
        speech = teacher.speak(utterance.text, utterance.language, voice)
        if speech.samples.size == 0 or not np.all(np.isfinite(speech.samples)):
            raise TeacherError(f"the {teacher.name} teacher gave no usable audio for {utterance.text!r} ({utterance.language})")
        samples, _ = trim_silence(resample(speech.samples, speech.sample_rate, sample_rate), sample_rate)
        save_audio(path, samples, sample_rate)
        frames = samples.size
    return Utterance(
        audio=str(path.resolve()), text=utterance.text, speaker=speaker, language=utterance.language,
        duration=frames / sample_rate, phonemes=None, phoneme_durations=None,
    )


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
