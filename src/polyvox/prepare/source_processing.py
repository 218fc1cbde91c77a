"""One recording in, its clips out: clean, find speech, slice, pair with transcript pieces, write.

``process_source`` runs in a worker process; everything it returns is plain data (picklable and
JSON-serialisable for the cache)."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from polyvox.audio.io import AudioError, save_audio
from polyvox.data.data_report import EMPTY, SILENT, UNREADABLE
from polyvox.prepare.audio_cleaning import CleanedRecording, clean_recording
from polyvox.prepare.clip_place import ClipPlace
from polyvox.prepare.inputs import SourceRecording
from polyvox.prepare.settings import AudioSettings
from polyvox.prepare.slicing import PieceRange, clip_spans, merge_short, split_long
from polyvox.prepare.transcript_split import TranscriptMismatch, align_sentences, phoneme_weight, transcript_sentences
from polyvox.prepare.voice_activity import FRAME_S, Span, VoiceActivity, detect_voice_activity, speech_regions

# Loudness envelope resolution for duplicate detection.
ENVELOPE_FRAME_S = 0.02
_LOG_FLOOR = 1e-10

# Per-recording notes, as counted in the report.
SLICED = "sliced at pauses"
TRIMMED = "silence trimmed"
FORCED_CUTS = "cut inside speech (no pause)"
TRANSCRIPT_UNMATCHED = "transcript not matched to slices"


@dataclass(frozen=True)
class ClipRecord(ClipPlace):
    """One written clip: where it came from in its recording and what was measured on it."""

    snr_db: float
    clipped_fraction: float
    # float32 in an array: a tuple of Python floats cost 4 KB per 2.6 s clip, held for every clip of a corpus.
    envelope: Sequence[float]


@dataclass(frozen=True)
class SourceResult:
    """The clips of one recording, the steps done to it, or why it gave none (``problem``)."""

    source: SourceRecording
    clips: tuple[ClipRecord, ...] = ()
    steps: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    problem_detail: str = ""


def process_source(source: SourceRecording, settings: AudioSettings, clip_dir: str) -> SourceResult:
    # The cleaned signal waits in a temporary file beside the clips: on their disk, not in a
    # temporary folder that may be kept in memory (tmpfs).
    try:
        cleaned = clean_recording(source.audio, settings, scratch_dir=Path(clip_dir).parent)
    except AudioError as error:
        return SourceResult(source, problem=UNREADABLE, problem_detail=str(error))
    with cleaned:
        return _cut_clips(source, cleaned, settings, clip_dir)


def _cut_clips(source: SourceRecording, cleaned: CleanedRecording, settings: AudioSettings, clip_dir: str) -> SourceResult:
    steps = dict(cleaned.steps)
    duration = cleaned.signal.size / cleaned.sample_rate
    if duration < FRAME_S:
        return SourceResult(
            source, steps=steps, problem=EMPTY, problem_detail=f"{duration:.3f} s long: shorter than one voice-activity frame ({FRAME_S:g} s)"
        )
    activity = detect_voice_activity(cleaned.signal, cleaned.sample_rate, settings.vad_aggressiveness)
    regions = speech_regions(activity, settings.min_pause_s, settings.min_speech_s)
    if not regions:
        return SourceResult(source, steps=steps, problem=SILENT, problem_detail="voice-activity detection found no speech")
    texts: list[str | None]
    if duration <= settings.max_clip_s:
        pieces, groups = regions, [(0, len(regions))]
        texts = [_joined(source.text)]
    else:
        sliced = split_long(regions, activity, settings.max_clip_s)
        pieces = sliced.spans
        groups, texts = _group_pieces(source, pieces, settings, steps)
        steps[SLICED] = f"{len(groups)} clips"
        if sliced.forced_cuts:
            steps[FORCED_CUTS] = f"{sliced.forced_cuts} cut(s)"
    spans = clip_spans(pieces, groups, duration, settings.keep_silence_s, settings.trim_silence)
    if settings.trim_silence:
        steps[TRIMMED] = f"{settings.keep_silence_s:g} s kept"
    clips = tuple(
        _write_clip(source, cleaned, activity, span, text, Path(clip_dir), index, len(spans))
        for index, (span, text) in enumerate(zip(spans, texts))
    )
    return SourceResult(source, clips, steps)


def _joined(text: str | None) -> str | None:
    return " ".join(line.strip() for line in text.splitlines() if line.strip()) if text else None


def _group_pieces(
    source: SourceRecording, pieces: list[Span], settings: AudioSettings, steps: dict[str, str]
) -> tuple[list[PieceRange], list[str | None]]:
    if source.text:
        from polyvox.text import TextError, TextFrontend

        try:
            frontend = TextFrontend([source.language])
            sentences = transcript_sentences(source.text, source.language, frontend)
            weights = [phoneme_weight(sentence, source.language, frontend) for sentence in sentences]
            matched = align_sentences(pieces, weights, settings.max_clip_s)
            return [piece_range for piece_range, _ in matched], [" ".join(sentences[a:b]) for _, (a, b) in matched]
        except (TranscriptMismatch, TextError) as error:
            steps[TRANSCRIPT_UNMATCHED] = str(error)
    groups = merge_short(pieces, settings.min_clip_s, settings.max_clip_s)
    return groups, [None] * len(groups)


def _write_clip(
    source: SourceRecording,
    cleaned: CleanedRecording,
    activity: VoiceActivity,
    span: Span,
    text: str | None,
    clip_dir: Path,
    index: int,
    count: int,
) -> ClipRecord:
    rate = cleaned.sample_rate
    samples = cleaned.signal[int(round(span.start_s * rate)) : int(round(span.end_s * rate))]
    source_path = Path(source.audio)
    tag = hashlib.sha1(source.audio.encode()).hexdigest()[:8]
    name = f"{source_path.stem}-{tag}" + (f"-{index:04d}" if count > 1 else "") + ".wav"
    path = clip_dir / _safe(source.speaker) / name
    save_audio(path, samples, rate)
    return ClipRecord(
        audio=str(path.resolve()),
        source=source.audio,
        speaker=source.speaker,
        language=source.language,
        text=text,
        start_s=round(span.start_s, 3),
        end_s=round(span.end_s, 3),
        duration=samples.size / rate,
        snr_db=round(activity.snr_db(span), 2),
        clipped_fraction=cleaned.clipped_fraction(span.start_s, span.end_s),
        envelope=loudness_envelope(samples, rate),
    )


def loudness_envelope(samples: np.ndarray, rate: int) -> array[float]:
    """log10 mean power per ``ENVELOPE_FRAME_S``: independent of gain up to an offset."""
    hop = max(1, int(rate * ENVELOPE_FRAME_S))
    count = samples.size // hop
    if count == 0:
        return array("f")
    power = np.mean(samples[: count * hop].reshape(count, hop).astype(np.float64) ** 2, axis=1)
    return array("f", np.round(np.log10(power + _LOG_FLOOR), 3).astype(np.float32).tobytes())


def _safe(name: str) -> str:
    cleaned = "".join(char if char.isalnum() or char in "-_." else "_" for char in name).strip(".")
    return cleaned or "speaker"
