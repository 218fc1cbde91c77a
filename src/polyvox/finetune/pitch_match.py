"""After a fine-tune: each new speaker's pitch against its recordings', stored in the voice as a correction.

A clone learns its speaker's timbre and rhythm in a few hundred steps, its pitch far more slowly: from Piper's
joe (151 Hz) toward a speaker at 225 Hz, 300 steps reached 171 Hz while the words got harder to understand
(benchmarks/clone_fidelity.py). So the finished voice speaks some of the speaker's own sentences, its median F0
is compared with the recordings', and the difference is stored (``info["speaker_pitch"]``) and applied by WORLD
whenever that speaker talks (inference/speaker_pitch.py), as ``--pitch`` would be. WORLD's resynthesis costs
sound quality (Piper's joe: DNSMOS OVRL 3.25 as spoken, 2.78 at +5 semitones; benchmarks/pitch_quality.py), so
the correction is stored only when asked (``--match-pitch``); otherwise the gap is reported.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polyvox.audio.pitch import track_pitch
from polyvox.data.manifest import Utterance
from polyvox.inference.speaker_pitch import SPEAKER_PITCH_INFO, semitones_between

logger = logging.getLogger(__name__)

SENTENCES = 16  # of each speaker, spoken by the voice and compared with the recordings
# Below half a semitone (3 %) nobody hears the difference; a shift would cost WORLD's resynthesis and, when
# streaming, the sentence's early chunks, for nothing.
MIN_SEMITONES = 0.5
# Beyond an octave the measurement is the likelier fault than the voice (an octave error of the tracker).
MAX_SEMITONES = 12.0
# A median within this share of the frame rate may be the decoder's buzz at that rate, not the voice's pitch.
BUZZ_SHARE = 0.05
MIN_VOICED_FRAMES = 50


@dataclass(frozen=True)
class PitchMatch:
    speaker: str
    recorded_hz: float | None
    spoken_hz: float | None
    semitones: float | None  # the stored correction; None: none stored
    reason: str  # what was done, in words

    def describe(self) -> str:
        heard = "" if self.recorded_hz is None or self.spoken_hz is None else (
            f"recordings' median F0 {self.recorded_hz:.0f} Hz, the voice's {self.spoken_hz:.0f} Hz: ")
        return f"speaker {self.speaker}: {heard}{self.reason}"


def median_f0(clips: Sequence[np.ndarray], sample_rate: int) -> float | None:
    """Median F0 over the voiced frames of all ``clips`` together; None when too few frames are voiced."""
    voiced = [f0[f0 > 0] for f0, _ in (track_pitch(clip, sample_rate) for clip in clips)]
    pooled = np.concatenate(voiced) if voiced else np.zeros(0)
    return float(np.median(pooled)) if pooled.size >= MIN_VOICED_FRAMES else None


def decide(speaker: str, recorded_hz: float | None, spoken_hz: float | None, frame_rate_hz: float) -> PitchMatch:
    """The correction for one speaker from the two medians (``frame_rate_hz``: the voice's latent frames a second)."""
    if recorded_hz is None or spoken_hz is None:
        which = "its recordings" if recorded_hz is None else "the voice"
        return PitchMatch(speaker, recorded_hz, spoken_hz, None, f"too little voiced speech in {which} to measure a pitch; no correction")
    if abs(spoken_hz / frame_rate_hz - 1.0) <= BUZZ_SHARE:
        return PitchMatch(speaker, recorded_hz, spoken_hz, None, (
            f"the voice's pitch cannot be told from its {frame_rate_hz:.0f} Hz frame-rate buzz; no correction (give --pitch when it speaks)"))
    semitones = semitones_between(spoken_hz, recorded_hz)
    if abs(semitones) < MIN_SEMITONES:
        return PitchMatch(speaker, recorded_hz, spoken_hz, None, f"{semitones:+.2f} semitones apart, close enough; no correction")
    if abs(semitones) > MAX_SEMITONES:
        return PitchMatch(speaker, recorded_hz, spoken_hz, None, (
            f"{semitones:+.1f} semitones apart, beyond an octave (more likely a measuring error than the voice); no correction"))
    return PitchMatch(speaker, recorded_hz, spoken_hz, round(semitones, 2), f"it speaks {semitones:+.2f} semitones from now on (WORLD, as --pitch)")


def unstored(match: PitchMatch) -> PitchMatch:
    """``match`` reported rather than stored: how to close the gap by hand."""
    if match.semitones is None:
        return match
    advice = (f"{match.semitones:+.2f} semitones apart; not corrected (--match-pitch stores it in the voice, "
              f"or give --pitch {match.semitones:+.1f} when it speaks; either costs some sound quality)")
    return dataclasses.replace(match, semitones=None, reason=advice)


def match_speaker_pitch(
    path: Path, utterances: Sequence[Utterance], speakers: Sequence[str], half: bool, seed: int = 0, store: bool = True,
) -> list[PitchMatch]:
    """Measure each of ``speakers`` (new to the voice at ``path``) against its clips in ``utterances``; with ``store``,
    rewrite the voice with the corrections found (nothing is written when there are none)."""
    from polyvox.audio.io import load_audio
    from polyvox.inference.voice import Voice
    from polyvox.speech_request import SpeechRequest
    from polyvox.voice_file import load_voice_file, save_voice

    voice = Voice.load(path)
    audio = voice.metadata.config.audio
    frame_rate = audio.sample_rate / audio.hop_length
    matches = []
    for speaker in speakers:
        clips = [u for u in utterances if u.speaker == speaker][:SENTENCES]
        recorded = median_f0([load_audio(u.audio, audio.sample_rate) for u in clips], audio.sample_rate)
        spoken = median_f0([
            voice.synthesize(SpeechRequest(text=u.text, language=u.language, speaker=speaker, seed=seed)).samples for u in clips
        ], audio.sample_rate)
        match = decide(speaker, recorded, spoken, frame_rate)
        matches.append(match if store else unstored(match))
    for match in matches:
        logger.debug("pitch: %s", match.describe())  # the command prints it
    corrections = {match.speaker: match.semitones for match in matches if match.semitones is not None}
    if corrections:
        tensors, metadata = load_voice_file(path)
        table = {**json.loads(metadata.info.get(SPEAKER_PITCH_INFO, "{}")), **corrections}
        info = dict(metadata.info, **{SPEAKER_PITCH_INFO: json.dumps(table, sort_keys=True)})
        save_voice(path, tensors, dataclasses.replace(metadata, info=info), half=half)
    return matches
