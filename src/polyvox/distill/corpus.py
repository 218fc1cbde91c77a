"""The distillation corpus: the planned sentences spoken by the source voice, written as ``manifest.jsonl``
and ``wavs/<speaker>/<id>.wav`` (the layout of ``polyvox corpus``), with the voice's own phoneme durations.

Each clip is finished by a small ``<id>.json`` beside its wav (written after it, atomically), so a run
stopped halfway speaks only the clips it had not finished.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from polyvox.audio.io import save_audio
from polyvox.data.corpus.silence import trim_silence
from polyvox.data.manifest import Utterance, write_manifest
from polyvox.distill.options import DistillError
from polyvox.distill.plan import PlannedClip
from polyvox.distill.teacher_speech import speak_with_durations
from polyvox.synthesis_settings import SynthesisSettings
from polyvox.files import atomic_path
from polyvox.inference.voice import Voice
from polyvox.text.errors import TextError

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"


@dataclass(frozen=True)
class DistilledCorpus:
    manifest: Path
    utterances: int
    with_durations: int  # clips whose durations came from the source voice
    refused: int  # sentences the source voice could not read
    duration_s: float
    speakers: tuple[str, ...]
    languages: tuple[str, ...]

    def summary(self) -> str:
        return (
            f"{self.utterances} clips ({self.duration_s / 60:.1f} min; {self.with_durations} with the source's durations) "
            f"from {len(self.speakers)} speaker(s) in {', '.join(self.languages)} -> {self.manifest}"
        )


def build_corpus(voice: Voice, folder: Path, clips: Sequence[PlannedClip], seed: int, progress: bool) -> DistilledCorpus:
    """Speak every planned clip (reusing the ones an earlier run finished) and write the manifest."""
    from tqdm.auto import tqdm

    style = voice.text.synthesis  # the voice's own settings, read when it loaded
    utterances: list[Utterance] = []
    for index, clip in enumerate(tqdm(clips, desc="source voice speaking", unit="clip", disable=not progress)):
        utterance = _finished(folder, clip) or _speak(voice, folder, clip, style, seed + index)
        if utterance is not None:
            utterances.append(utterance)
    if not utterances:
        raise DistillError("the source voice could read none of the corpus sentences; is its text front end installed?")
    manifest = folder / MANIFEST_NAME
    write_manifest(manifest, utterances)
    corpus = DistilledCorpus(
        manifest=manifest,
        utterances=len(utterances),
        with_durations=sum(u.phonemes is not None for u in utterances),
        refused=len(clips) - len(utterances),
        duration_s=sum(u.duration for u in utterances),
        speakers=tuple(dict.fromkeys(u.speaker for u in utterances)),
        languages=tuple(dict.fromkeys(u.language for u in utterances)),
    )
    logger.info("distillation corpus: %s", corpus.summary())
    return corpus


def _paths(folder: Path, clip: PlannedClip) -> tuple[Path, Path]:
    wav = folder / "wavs" / clip.speaker / f"{clip.identifier}.wav"
    return wav, wav.with_suffix(".json")


def _finished(folder: Path, clip: PlannedClip) -> Utterance | None:
    """The clip an earlier run wrote for the same speaker, language and sentence, or None."""
    wav, record = _paths(folder, clip)
    if not (wav.is_file() and record.is_file()):
        return None
    data = json.loads(record.read_text(encoding="utf-8"))
    if (data.get("text"), data.get("speaker"), data.get("language")) != (clip.text, clip.speaker, clip.language):
        return None  # another plan (other --sentences or seed) used this name
    return Utterance.from_dict({**data, "audio": str(wav.resolve())})


def _speak(voice: Voice, folder: Path, clip: PlannedClip, style: SynthesisSettings, seed: int) -> Utterance | None:
    try:
        spoken = speak_with_durations(voice, clip.text, clip.language, voice.speakers.index(clip.speaker), style, seed)
    except TextError as error:
        logger.warning("the source voice cannot read %r (%s): %s; left out", clip.text, clip.language, error)
        return None
    rate = voice.sample_rate
    samples, durations = trim_silence(spoken.samples, rate, spoken.durations)
    wav, record = _paths(folder, clip)
    save_audio(wav, samples, rate)
    utterance = Utterance(
        audio=str(wav.resolve()), text=clip.text, speaker=clip.speaker, language=clip.language, duration=samples.size / rate,
        phonemes=spoken.phonemes if durations is not None else None,
        phoneme_durations=tuple(float(d) / rate for d in durations) if durations is not None else None,
    )
    with atomic_path(record) as temporary:
        temporary.write_text(json.dumps({**utterance.to_dict(), "audio": wav.name}, ensure_ascii=False), encoding="utf-8")
    return utterance
