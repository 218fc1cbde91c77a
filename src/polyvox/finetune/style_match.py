"""After a fine-tune with style labels: each label against the neutral one, in the voice's speech and in its
recordings, and what the voice misses stored as a correction (``inference/style_prosody.py``).

A few hundred CPU steps teach the labels rate and level; pitch, its range and a whisper's lack of voicing ride on
the flow's latents and the decoder, which move far more slowly (docs/synthesis.md, "On natural speech: joe"). So the
finished voice speaks some of each speaker's sentences under every label, its shifts from the neutral label are
compared with the recordings' (``evaluation/prosody.py``'s figures), and the gap becomes a label's correction:
semitones of F0, a factor on the pitch range, unvoiced for a label whose recordings are (a whisper), and a gain
measured after those. WORLD's resynthesis costs sound quality, so it is stored only when asked (``--match-style``);
otherwise the gap is reported.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from polyvox.audio.prosody_shape import ProsodyShape, shape_prosody
from polyvox.data.manifest import Utterance
from polyvox.evaluation.prosody import ProsodyFigures, mean_figures, prosody_figures, semitones_between
from polyvox.finetune.pitch_match import BUZZ_SHARE
from polyvox.inference.style_prosody import MAX_GAIN_DB, RANGE_LIMITS, STYLE_PROSODY_INFO, LabelProsody

if TYPE_CHECKING:
    from polyvox.inference.voice import Voice

logger = logging.getLogger(__name__)

NEUTRAL = "neutral"
SENTENCES = 8  # of each speaker, spoken by the voice under every label
CLIPS = 32  # of each speaker and label, measured in the recordings (F0 tracking only: cheap beside the voice's speech)
SPEAKERS = 4  # measured at most (the first with labelled clips)
# Below these nobody hears the difference, and WORLD's resynthesis would cost quality for nothing.
MIN_SEMITONES = 0.5
MIN_RANGE_SEMITONES = 0.5
MIN_GAIN_DB = 0.5
# A range factor is stored only this many standard errors (the clips' scatter) away from 1.
RANGE_CONFIDENCE = 2.0
MIN_RANGE_FACTOR_WORDS = math.log(1.05)  # a range factor left alone is reported from this size
# A label whose recordings are voiced in under this share of the neutral ones' frames is a whisper.
WHISPER_VOICED_SHARE = 0.25
# Speech the tracker finds voiced in fewer frames gives no pitch to trust (the bundled voice's en_f3 reads as 5-11 %
# voiced, and its label shifts as anything from -22 to +3 semitones).
MIN_VOICED_FRACTION = 0.2


@dataclass(frozen=True)
class LabelGap:
    """One label against neutral for one speaker: the recordings' shift, the voice's, and the voice's figures."""

    recorded_semitones: float  # NaN: no F0 (a whisper, or too little voicing)
    spoken_semitones: float
    recorded_range: float  # semitones of range above neutral's
    spoken_range: float
    # The label's range as a multiple of neutral's (NaN: a range not measured): the recordings' and the voice's.
    recorded_range_ratio: float
    spoken_range_ratio: float
    recorded_whisper: bool
    spoken_whisper: bool
    recorded_db: float  # energy above neutral
    pitch_measurable: bool  # False: the voice's F0 is too sparse to trust, or cannot be told from its frame-rate buzz
    # The standard error of log(recorded_range_ratio / spoken_range_ratio), from the clips' scatter (0: not known).
    range_error: float = 0.0


@dataclass(frozen=True)
class StyleMatch:
    label: str
    recorded: str  # the recordings' shift in words
    spoken: str  # the voice's
    correction: LabelProsody | None  # None: none stored
    reason: str

    def describe(self) -> str:
        return f"emotion {self.label}: recordings {self.recorded}, the voice {self.spoken} against neutral: {self.reason}"


def is_whisper(label: ProsodyFigures, neutral: ProsodyFigures) -> bool:
    return label.voiced_fraction < WHISPER_VOICED_SHARE * neutral.voiced_fraction


def label_gap(
    recorded: dict[str, ProsodyFigures], spoken: dict[str, ProsodyFigures], label: str, frame_rate_hz: float, range_error: float = 0.0
) -> LabelGap:
    """``recorded`` and ``spoken``: one speaker's mean figures per label (``NEUTRAL`` among them); ``range_error``:
    the standard error of the range factor's log (``range_ratio_error``)."""
    neutral_recorded, neutral_spoken = recorded[NEUTRAL], spoken[NEUTRAL]
    buzz = not math.isnan(neutral_spoken.f0_mean_hz) and abs(neutral_spoken.f0_mean_hz / frame_rate_hz - 1.0) <= BUZZ_SHARE
    sparse = min(neutral_spoken.voiced_fraction, spoken[label].voiced_fraction) < MIN_VOICED_FRACTION
    return LabelGap(
        recorded_semitones=semitones_between(recorded[label].f0_mean_hz, neutral_recorded.f0_mean_hz),
        spoken_semitones=semitones_between(spoken[label].f0_mean_hz, neutral_spoken.f0_mean_hz),
        recorded_range=recorded[label].f0_range_semitones - neutral_recorded.f0_range_semitones,
        spoken_range=spoken[label].f0_range_semitones - neutral_spoken.f0_range_semitones,
        recorded_range_ratio=_range_ratio(recorded[label], neutral_recorded),
        spoken_range_ratio=_range_ratio(spoken[label], neutral_spoken),
        recorded_whisper=is_whisper(recorded[label], neutral_recorded),
        spoken_whisper=is_whisper(spoken[label], neutral_spoken),
        recorded_db=recorded[label].rms_db - neutral_recorded.rms_db,
        pitch_measurable=not buzz and not sparse,
        range_error=range_error,
    )


def range_ratio_error(
    recorded_label: Sequence[ProsodyFigures], recorded_neutral: Sequence[ProsodyFigures],
    spoken_label: Sequence[ProsodyFigures] = (), spoken_neutral: Sequence[ProsodyFigures] = (),
) -> float:
    """The standard error of log(recorded range ratio / spoken range ratio): the recordings' labels as independent
    clips, the voice's as pairs (the same sentence and seed under the label and under neutral). WORLD's tracker reads
    one clip's range loosely: joe's corpus puts calm on at x0.4, and its first 16 clips read 1.2 semitones wider than
    neutral's (docs/synthesis.md)."""
    variance = 0.0
    for figures in (recorded_label, recorded_neutral):
        ranges = _finite_ranges(figures)
        if ranges.size < 2 or ranges.mean() <= 0:
            return math.inf
        variance += (ranges.std(ddof=1) / ranges.mean()) ** 2 / ranges.size
    if spoken_label or spoken_neutral:
        pairs = np.array([(label.f0_range_semitones, neutral.f0_range_semitones) for label, neutral in zip(spoken_label, spoken_neutral)])
        pairs = pairs[np.all(np.isfinite(pairs) & (pairs > 0), axis=1)] if pairs.size else pairs
        if len(pairs) < 2:
            return math.inf
        logs = np.log(pairs[:, 0] / pairs[:, 1])
        variance += logs.var(ddof=1) / logs.size
    return math.sqrt(variance)


def _finite_ranges(figures: Sequence[ProsodyFigures]) -> np.ndarray:
    ranges = np.array([figure.f0_range_semitones for figure in figures], dtype=np.float64)
    return ranges[np.isfinite(ranges)]


def _range_ratio(label: ProsodyFigures, neutral: ProsodyFigures) -> float:
    if math.isnan(label.f0_range_semitones) or not neutral.f0_range_semitones > 0:
        return math.nan
    return label.f0_range_semitones / neutral.f0_range_semitones


def pitch_correction(gaps: Sequence[LabelGap]) -> tuple[float, float, bool]:
    """(semitones, range factor, unvoiced) closing the gaps of one label over the speakers measured."""
    unvoiced = all(gap.recorded_whisper and not gap.spoken_whisper for gap in gaps)
    if any(gap.recorded_whisper for gap in gaps):
        return 0.0, 1.0, unvoiced
    usable = _pitch_usable(gaps)
    if not usable:
        return 0.0, 1.0, False
    semitones = float(np.mean([gap.recorded_semitones - gap.spoken_semitones for gap in usable]))
    range_gap = float(np.mean([gap.recorded_range - gap.spoken_range for gap in usable]))
    factor, error = measured_range_factor(usable)
    kept = abs(range_gap) >= MIN_RANGE_SEMITONES and abs(math.log(factor)) >= RANGE_CONFIDENCE * error
    return (semitones if abs(semitones) >= MIN_SEMITONES else 0.0), (float(np.clip(factor, *RANGE_LIMITS)) if kept else 1.0), False


def _pitch_usable(gaps: Sequence[LabelGap]) -> list[LabelGap]:
    return [gap for gap in gaps if gap.pitch_measurable and not any(
        math.isnan(value) for value in (gap.recorded_semitones, gap.spoken_semitones, gap.recorded_range, gap.spoken_range))]


def measured_range_factor(gaps: Sequence[LabelGap]) -> tuple[float, float]:
    """(factor, standard error of its log): the swing the recordings give the label over neutral's, divided by the one
    the voice gives it, geometric mean over the speakers. A ratio, as the corpus styles scale the swing, so a voice
    flatter than its recordings is not widened by the recordings' semitones (joe after 200 steps: the semitones of
    range added asked excited for x2.23 where the corpus had put x1.6)."""
    logs = [(math.log(gap.recorded_range_ratio / gap.spoken_range_ratio), gap.range_error) for gap in gaps
            if gap.recorded_range_ratio > 0 and gap.spoken_range_ratio > 0]
    if not logs:
        return 1.0, math.inf
    return math.exp(float(np.mean([value for value, _ in logs]))), math.sqrt(sum(error**2 for _, error in logs)) / len(logs)


def _shift_words(semitones: float, range_semitones: float, whisper: bool, decibels: float) -> str:
    if whisper:
        return f"unvoiced, {_signed(decibels)} dB"
    pitch = "F0 -" if math.isnan(semitones) else f"F0 {_signed(semitones)} st"
    span = "range -" if math.isnan(range_semitones) else f"range {_signed(range_semitones)} st"
    return f"{pitch}, {span}, {_signed(decibels)} dB"


def _signed(value: float) -> str:
    """One decimal with its sign; a value that rounds to zero reads +0.0, never -0.0."""
    return f"{round(value, 1) + 0.0:+.1f}"


def _mean(values: Sequence[float]) -> float:
    finite = [value for value in values if not math.isnan(value)]
    return float(np.mean(finite)) if finite else math.nan


def _decide(label: str, gaps: Sequence[LabelGap], spoken_db: Sequence[float], shaped_db: Sequence[float], store: bool) -> StyleMatch:
    """``spoken_db``: the voice's energy above neutral per speaker as trained; ``shaped_db``: after the pitch part
    of the correction (a resynthesis changes the level)."""
    recorded = _shift_words(_mean([g.recorded_semitones for g in gaps]), _mean([g.recorded_range for g in gaps]),
                            all(g.recorded_whisper for g in gaps), _mean([g.recorded_db for g in gaps]))
    spoken = _shift_words(_mean([g.spoken_semitones for g in gaps]), _mean([g.spoken_range for g in gaps]),
                          all(g.spoken_whisper for g in gaps), _mean(spoken_db))
    semitones, factor, unvoiced = pitch_correction(gaps)
    gain = _mean([gap.recorded_db - shaped for gap, shaped in zip(gaps, shaped_db)])
    # Within what a voice file's reader takes (style_prosody.MAX_GAIN_DB): past it the whole entry, unvoicing included,
    # would be dropped at load.
    gain = 0.0 if math.isnan(gain) or abs(gain) < MIN_GAIN_DB else float(np.clip(gain, -MAX_GAIN_DB, MAX_GAIN_DB))
    correction = LabelProsody(round(semitones, 2), round(factor, 3), unvoiced, round(gain, 2))  # as stored
    if correction == LabelProsody():
        return StyleMatch(label, recorded, spoken, None, "close enough; no correction")
    parts = [part for part, wanted in ((f"{semitones:+.1f} semitones", semitones), (f"range x{factor:.2f}", factor != 1.0),
                                       ("unvoiced", unvoiced), (f"{gain:+.1f} dB", gain)) if wanted]
    unmeasured = "" if any(gap.pitch_measurable or gap.recorded_whisper for gap in gaps) else (
        "; its pitch is left alone: the voice's F0 is too sparse or sits on its frame-rate buzz to measure")
    measured, error = measured_range_factor(_pitch_usable(gaps))
    # No usable gap measures (1.0, inf): nothing to say then.
    if factor == 1.0 and not unvoiced and abs(math.log(measured)) >= MIN_RANGE_FACTOR_WORDS and math.isfinite(error):
        unmeasured += (f"; its range is left alone: the clips scatter too much to tell x{measured:.2f} from no change (anything "
                       f"within x{math.exp(-RANGE_CONFIDENCE * error):.2f}-x{math.exp(RANGE_CONFIDENCE * error):.2f})")
    if store:
        return StyleMatch(label, recorded, spoken, correction, f"it speaks {', '.join(parts)} from now on (WORLD, as --pitch){unmeasured}")
    return StyleMatch(label, recorded, spoken, None, f"not corrected ({', '.join(parts)} would close it: --match-style stores it "
                      f"in the voice, at some cost in sound quality){unmeasured}")


def _recorded_figures(clips: Sequence[Utterance], sample_rate: int) -> list[ProsodyFigures]:
    from polyvox.audio.io import load_audio

    return [prosody_figures(load_audio(clip.audio, sample_rate), sample_rate) for clip in clips]


def _spoken(voice: Voice, texts: Sequence[tuple[str, str]], speaker: str, label: str, seed: int) -> list[np.ndarray]:
    return [voice.synthesize(text, language=language, speaker=speaker, emotion=label, seed=seed + index).samples
            for index, (text, language) in enumerate(texts)]


def _energy_db(clips: Sequence[np.ndarray], sample_rate: int) -> float:
    return mean_figures([prosody_figures(clip, sample_rate) for clip in clips]).rms_db


def match_style_prosody(
    path: Path, utterances: Sequence[Utterance], half: bool, seed: int = 0, store: bool = True, sentences: int = SENTENCES,
) -> list[StyleMatch]:
    """Measure every label of the voice at ``path`` against its neutral label and ``utterances``' clips of each; with
    ``store``, rewrite the voice with the corrections found (its earlier ones replaced). Nothing is measured for a
    voice without a ``neutral`` label or data without neutral clips."""
    from polyvox.inference.voice import Voice
    from polyvox.voice_file import load_voice_file, save_voice

    voice = Voice.load(path)
    style = voice.metadata.config.model.style
    labels = [label for label in style.labels if label != NEUTRAL] if style.enabled else []
    speakers = list(dict.fromkeys(u.speaker for u in utterances if u.style == NEUTRAL and u.speaker in voice.speakers))[:SPEAKERS]
    if NEUTRAL not in style.labels or not labels or not speakers:
        return []
    voice.text.style_prosody = {}  # measure the labels as trained, not an earlier correction
    audio = voice.metadata.config.audio
    rate, frame_rate = audio.sample_rate, audio.sample_rate / audio.hop_length
    gaps: dict[str, list[LabelGap]] = {label: [] for label in labels}
    spoken_db: dict[str, list[float]] = {label: [] for label in labels}
    shaped_db: dict[str, list[float]] = {label: [] for label in labels}
    for speaker in speakers:
        own = [u for u in utterances if u.speaker == speaker]
        texts = [(u.text, u.language) for u in own if u.style == NEUTRAL][:sentences]
        recorded_clips = {label: _recorded_figures([u for u in own if u.style == label][:CLIPS], rate) for label in (NEUTRAL, *labels)
                          if any(u.style == label for u in own)}
        clips = {label: _spoken(voice, texts, speaker, label, seed) for label in (NEUTRAL, *labels)}
        spoken_clips = {label: [prosody_figures(clip, rate) for clip in label_clips] for label, label_clips in clips.items()}
        recorded = {label: mean_figures(figures) for label, figures in recorded_clips.items()}
        spoken = {label: mean_figures(figures) for label, figures in spoken_clips.items()}
        for label in labels:
            if label not in recorded:
                continue
            error = range_ratio_error(recorded_clips[label], recorded_clips[NEUTRAL], spoken_clips[label], spoken_clips[NEUTRAL])
            gap = label_gap(recorded, spoken, label, frame_rate, error)
            gaps[label].append(gap)
            semitones, factor, unvoiced = pitch_correction([gap])
            shaped = [shape_prosody(clip, rate, ProsodyShape(semitones, factor, unvoiced)) for clip in clips[label]]
            neutral_db = spoken[NEUTRAL].rms_db
            spoken_db[label].append(spoken[label].rms_db - neutral_db)
            shaped_db[label].append(_energy_db(shaped, rate) - neutral_db)
    matches = [_decide(label, gaps[label], spoken_db[label], shaped_db[label], store) for label in labels if gaps[label]]
    if store:
        tensors, metadata = load_voice_file(path)
        table = {match.label: match.correction.to_json() for match in matches if match.correction is not None}
        info = {key: value for key, value in metadata.info.items() if key != STYLE_PROSODY_INFO}
        if table:
            info[STYLE_PROSODY_INFO] = json.dumps(table, sort_keys=True)
        if info != metadata.info:
            save_voice(path, tensors, dataclasses.replace(metadata, info=info), half=half)
    return matches
