"""A speaker's pitch correction: semitones its speech is shifted by (WORLD, as ``--pitch``) every time it speaks.

A fine-tune that clones a new speaker moves timbre and articulation within a few hundred steps, but the pitch
rides on the flow's latents and moves slowly (docs/finetuning.md, "Pitch"). ``polyvox finetune`` therefore
measures how far the clone speaks from its recordings' median F0 and stores the difference in the voice
(``info["speaker_pitch"]``, JSON: speaker -> semitones); both engines add it to the request's own ``pitch``.
A reference clip replaces the speaker, and a score's notes are absolute: neither takes the correction.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence

from polyvox.audio.pitch import MAX_SEMITONES

logger = logging.getLogger(__name__)

SPEAKER_PITCH_INFO = "speaker_pitch"


def info_table(info: Mapping[str, str], key: str, otherwise: str) -> dict[str, object]:
    """The JSON object a voice stores under ``info[key]``; {} when there is none, or (warned, saying ``otherwise``
    happens) when it is not a JSON object."""
    text = info.get(key)
    if text is None:
        return {}
    try:
        table = json.loads(text)
    except json.JSONDecodeError:
        table = None
    if not isinstance(table, dict):
        logger.warning("the voice's %s is not a JSON object; %s", key, otherwise)
        return {}
    return table


def speaker_pitch(info: Mapping[str, str], speakers: Sequence[str]) -> dict[str, float]:
    """The voice's per-speaker corrections in semitones (speakers without one are left out)."""
    table = info_table(info, SPEAKER_PITCH_INFO, "its speakers speak at their trained pitch")
    corrections = {}
    for name, semitones in table.items():
        usable = isinstance(semitones, (int, float)) and math.isfinite(semitones) and abs(semitones) <= MAX_SEMITONES
        if name in speakers and usable:
            corrections[name] = float(semitones)
        else:
            logger.warning("the voice's %s for %r (%r) is not a speaker's shift within %g semitones; ignored",
                           SPEAKER_PITCH_INFO, name, semitones, MAX_SEMITONES)
    return corrections


def semitones_between(spoken_hz: float, wanted_hz: float) -> float:
    """The shift that takes ``spoken_hz`` to ``wanted_hz``."""
    return 12.0 * math.log2(wanted_hz / spoken_hz)
