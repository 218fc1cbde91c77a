"""Evaluate systems against recordings: synthesize (or read), analyse, score, per utterance."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from polyvox.data.manifest import Utterance
from polyvox.evaluation.aggregate import UtteranceResult
from polyvox.evaluation.analysis import AnalysisSettings, SpeechAnalyzer
from polyvox.evaluation.errors import EvaluationError
from polyvox.evaluation.listener import RECORDINGS_SYSTEM, HeardClip
from polyvox.evaluation.scores import score
from polyvox.evaluation.sources import AudioSource, Recording
from polyvox.renamed import forward_renamed

if TYPE_CHECKING:
    from polyvox.evaluation.listener import Listener

logger = logging.getLogger(__name__)

__getattr__ = forward_renamed(__name__, {"select_references": "select_recordings"})


@dataclass(frozen=True)
class Example:
    """Audio kept for the spectrogram figures: a recording and each system's clip of it."""

    utterance_id: str
    language: str
    text: str
    recording: np.ndarray
    synthesized: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def reference(self) -> np.ndarray:
        """Deprecated name of ``recording``."""
        warnings.warn("Example.reference is now Example.recording", DeprecationWarning, stacklevel=2)
        return self.recording


@dataclass(frozen=True)
class EvaluationResult:
    systems: tuple[str, ...]
    results: tuple[UtteranceResult, ...]
    sample_rate: int
    settings: dict[str, float | int | str]  # how clips were analysed, stated in the report
    examples: tuple[Example, ...]
    heard: tuple[HeardClip, ...] = ()  # the listener's figures (``--asr``, ``--dnsmos``), the recordings' included
    listener: dict[str, str] = field(default_factory=dict)  # which recognizer and quality model listened


def utterance_id(utterance: Utterance) -> str:
    """A recording's id: its audio file's name without the extension."""
    return Path(utterance.audio).stem


def select_recordings(utterances: Sequence[Utterance], limit_per_language: int | None) -> list[tuple[str, Utterance]]:
    """(id, utterance) pairs, at most ``limit_per_language`` per language, in manifest order; ids must be unique."""
    if not utterances:
        raise EvaluationError("the manifest of recordings has no utterances; give one with at least one line")
    if limit_per_language is not None and limit_per_language < 1:
        raise EvaluationError(f"--limit must be at least 1, got {limit_per_language}")
    taken: dict[str, int] = {}
    selected: list[tuple[str, Utterance]] = []
    owners: dict[str, str] = {}
    for utterance in utterances:
        if limit_per_language is not None and taken.get(utterance.language, 0) >= limit_per_language:
            continue
        identifier = utterance_id(utterance)
        if identifier in owners:
            raise EvaluationError(
                f"two recordings share the file name {identifier!r} ({owners[identifier]} and {utterance.audio}); "
                "synthesized clips are matched by file name, so give every recording a unique one"
            )
        owners[identifier] = utterance.audio
        taken[utterance.language] = taken.get(utterance.language, 0) + 1
        selected.append((identifier, utterance))
    missing = [utterance.audio for _, utterance in selected if not Path(utterance.audio).is_file()]
    if missing:
        raise EvaluationError(
            f"{len(missing)} recorded audio file(s) not found, e.g. {missing[0]}; fix the paths in the manifest"
        )
    return selected


def _example_ids(selected: Sequence[tuple[str, Utterance]], count: int) -> set[str]:
    """``count`` ids spread over the languages: the first of each language, then the second, ..."""
    by_language: dict[str, list[str]] = {}
    for identifier, utterance in selected:
        by_language.setdefault(utterance.language, []).append(identifier)
    chosen: list[str] = []
    depth = 0
    while len(chosen) < min(count, len(selected)):
        chosen += [ids[depth] for ids in by_language.values() if depth < len(ids)][: count - len(chosen)]
        depth += 1
    return set(chosen)


def evaluate(
    utterances: Sequence[Utterance],
    sources: Sequence[AudioSource],
    sample_rate: int,
    limit_per_language: int | None = None,
    examples: int = 3,
    audio_dir: Path | None = None,
    settings: AnalysisSettings | None = None,
    progress: bool = True,
    listener: Listener | None = None,
) -> EvaluationResult:
    """Score every system in ``sources`` on the recordings in ``utterances``.

    Each recording is loaded at ``sample_rate``, each system's clip of it is made (or read), both are
    analysed and scored. Everything that can be checked (files, languages, speakers) is checked before
    the first clip is made. ``audio_dir``: write each system's clips to ``<audio_dir>/<system>/<id>.wav``.
    ``listener``: also transcribe and rate every clip, and each recording (``listener.py``).
    """
    from polyvox.audio.io import load_audio, save_audio

    selected = select_recordings(utterances, limit_per_language)
    names = [source.name for source in sources]
    if len(set(names)) != len(names) or (listener is not None and RECORDINGS_SYSTEM in names):
        raise EvaluationError(f"system names must differ (and not be {RECORDINGS_SYSTEM!r} with a listener), got {names}")
    for source in sources:
        source.check(selected)
    if listener is not None:
        listener.check_languages({utterance.language for _, utterance in selected})
    analyzer = SpeechAnalyzer(sample_rate, settings)
    example_ids = _example_ids(selected, examples)
    results: list[UtteranceResult] = []
    heard: list[HeardClip] = []
    kept: list[Example] = []
    for identifier, utterance in _progress(selected, progress):
        recording = Recording(identifier, utterance, load_audio(utterance.audio, sample_rate))
        recording_features = analyzer.analyze(recording.samples)
        if listener is not None:
            heard.append(_hear(listener, recording.samples, sample_rate, identifier, utterance, RECORDINGS_SYSTEM))
        example = None
        if identifier in example_ids:
            example = Example(identifier, utterance.language, utterance.text, recording.samples)
        for source in sources:
            samples = np.asarray(source(recording), dtype=np.float32)
            if samples.size == 0 or not np.all(np.isfinite(samples)):
                raise EvaluationError(
                    f"{source.name} produced {'no audio' if samples.size == 0 else 'non-finite samples'} for {identifier}; "
                    "check the voice with `polyvox doctor`"
                )
            if audio_dir is not None:
                save_audio(audio_dir / source.name / f"{identifier}.wav", samples, sample_rate)
            scores = score(recording_features, analyzer.analyze(samples))
            results.append(
                UtteranceResult(identifier, source.name, utterance.language, utterance.speaker, utterance.text, scores)
            )
            if listener is not None:
                heard.append(_hear(listener, samples, sample_rate, identifier, utterance, source.name))
            if example is not None:
                example.synthesized[source.name] = samples
        if example is not None:
            kept.append(example)
    logger.info("scored %d recordings against %d system(s)", len(selected), len(sources))
    described = listener.describe() if listener is not None else {}
    return EvaluationResult(tuple(names), tuple(results), sample_rate, analyzer.describe(), tuple(kept), tuple(heard), described)


def _hear(
    listener: Listener, samples: np.ndarray, sample_rate: int, identifier: str, utterance: Utterance, system: str
) -> HeardClip:
    hearing = listener(samples, sample_rate, utterance.text, utterance.language)
    return HeardClip(identifier, system, utterance.language, utterance.speaker, utterance.text, hearing)


def _progress(selected: list[tuple[str, Utterance]], enabled: bool) -> Sequence[tuple[str, Utterance]]:
    if not enabled:
        return selected
    from tqdm.auto import tqdm

    return tqdm(selected, desc="evaluating", unit="utt")  # type: ignore[no-any-return]
