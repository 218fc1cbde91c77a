"""A style label's prosody correction: what its speech is reshaped by (WORLD, as ``--pitch``) whenever it is asked for.

A few hundred CPU steps teach a voice's style labels rate and level but hardly pitch: on Piper's joe in five styles
the labels' F0 stayed within 0.3 semitones of neutral where the corpus moved 2.6-5.4, and the whisper label stayed
voiced (docs/synthesis.md). ``polyvox finetune --match-style`` measures each label against the neutral one, in the
voice's speech and in its corpus, and stores what the voice misses (``info["style_prosody"]``, JSON: label ->
{"semitones", "range", "unvoiced", "gain_db"}); both engines apply it when the label is asked for, scaled by the
style strength. A style reference takes the correction of the label whose row its encoded style lies nearest,
as far as the style lies along the way from the neutral style to that row (``nearest_label``); a sampled style has
no label and takes none; a score's notes are absolute.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from polyvox.audio.pitch import MAX_SEMITONES
from polyvox.audio.prosody_shape import ProsodyShape
from polyvox.inference.speaker_pitch import info_table

logger = logging.getLogger(__name__)

STYLE_PROSODY_INFO = "style_prosody"
# A pitch-range factor beyond these is a measuring fault, not a style (the corpus styles scale the range 0.4-1.6).
RANGE_LIMITS = (0.25, 4.0)
MAX_GAIN_DB = 24.0
# A style reference lies at most this far past a label's row (as --style-strength goes up to 2).
MAX_REFERENCE_STRENGTH = 2.0
# A whisper is the label's own sound: at half the strength or more the label is spoken unvoiced.
UNVOICED_FROM_STRENGTH = 0.5


@dataclass(frozen=True)
class LabelProsody:
    """One label's stored correction."""

    semitones: float = 0.0
    range_factor: float = 1.0
    unvoiced: bool = False
    gain_db: float = 0.0

    def at_strength(self, strength: float, semitones: float = 0.0) -> ProsodyShape:
        """The shape for a request at ``strength`` (0: the neutral style, no correction) on top of ``semitones``
        of pitch the request already asks for."""
        return ProsodyShape(
            semitones=semitones + self.semitones * strength,
            range_factor=self.range_factor ** strength,
            unvoiced=self.unvoiced and strength >= UNVOICED_FROM_STRENGTH,
            gain_db=self.gain_db * strength,
        )

    def to_json(self) -> dict[str, float | bool]:
        return {"semitones": round(self.semitones, 2), "range": round(self.range_factor, 3), "unvoiced": self.unvoiced,
                "gain_db": round(self.gain_db, 2)}


def _usable(entry: object) -> LabelProsody | None:
    if not isinstance(entry, dict):
        return None
    semitones, range_factor = entry.get("semitones", 0.0), entry.get("range", 1.0)
    unvoiced, gain_db = entry.get("unvoiced", False), entry.get("gain_db", 0.0)
    numbers = [value for value in (semitones, range_factor, gain_db) if isinstance(value, (int, float)) and not isinstance(value, bool)]
    if len(numbers) != 3 or not all(math.isfinite(value) for value in numbers) or not isinstance(unvoiced, bool):
        return None
    if abs(semitones) > MAX_SEMITONES or not RANGE_LIMITS[0] <= range_factor <= RANGE_LIMITS[1] or abs(gain_db) > MAX_GAIN_DB:
        return None
    return LabelProsody(float(semitones), float(range_factor), unvoiced, float(gain_db))


def style_prosody(info: Mapping[str, str], labels: Sequence[str]) -> dict[str, LabelProsody]:
    """The voice's per-label corrections (labels without one are left out; a malformed entry is warned about and
    ignored, so the label speaks as trained)."""
    table = info_table(info, STYLE_PROSODY_INFO, "its style labels speak as trained")
    corrections = {}
    for label, entry in table.items():
        correction = _usable(entry) if label in labels else None
        if correction is None:
            logger.warning("the voice's %s for %r (%r) is not a label's correction within range; ignored", STYLE_PROSODY_INFO, label, entry)
        else:
            corrections[label] = correction
    return corrections


def nearest_label(style: np.ndarray, neutral: np.ndarray, label_vectors: np.ndarray, labels: Sequence[str]) -> tuple[str, float] | None:
    """The label whose row ``style`` (channels,) lies nearest, and how far it lies along the way from ``neutral`` to
    that row (its projection: 0 at neutral, 1 at the row, at most ``MAX_REFERENCE_STRENGTH``); None when the neutral
    style is nearer than every row."""
    if not len(labels):
        return None
    style, neutral = np.asarray(style, dtype=np.float64).reshape(-1), np.asarray(neutral, dtype=np.float64)
    rows = np.asarray(label_vectors, dtype=np.float64).reshape(len(labels), -1)
    distances = np.linalg.norm(rows - style, axis=1)
    nearest = int(np.argmin(distances))
    direction = rows[nearest] - neutral
    if distances[nearest] >= np.linalg.norm(style - neutral) or not direction.any():
        return None
    along = float(np.dot(style - neutral, direction) / np.dot(direction, direction))
    return labels[nearest], min(max(along, 0.0), MAX_REFERENCE_STRENGTH)
