"""Each language's speaker when none is asked for, completed from the data a voice is trained or fine-tuned on.

A voice speaks a language with ``info["default_speakers"]``' choice, else a speaker named for it (``en_f3``), else its
first speaker, whatever that speaker learned. Data whose speakers are named otherwise (Piper's joe for English,
Kokoro's voices for es/fr/de/ja in the listener recipe, a user's "alice" and "bob") would otherwise be spoken in the
first speaker's voice: the listener candidate spoke English as the Mandarin espeak-ng speaker zh_f3 (Whisper base CER
0.48 against 0.12 as piper_joe, docs/training.md).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence

from polyvox.data.manifest import Utterance
from polyvox.inference.request import default_speakers, speaker_named_for


def with_data_speakers(
    info: Mapping[str, str], languages: Sequence[str], speakers: Sequence[str], utterances: Sequence[Utterance]
) -> dict[str, str]:
    """``info`` with ``default_speakers`` completed: a language of ``utterances`` that has neither a chosen speaker nor
    one named for it gets the speaker with the most of its clips (the first of them on a tie). Unchanged otherwise."""
    chosen = default_speakers(info, languages, speakers)
    clips = Counter((utterance.language, utterance.speaker) for utterance in utterances)
    added = {}
    for language in dict.fromkeys(utterance.language for utterance in utterances):
        if language in chosen or speaker_named_for(language, speakers) is not None or language not in languages:
            continue
        counts = [(count, name) for (spoken, name), count in clips.items() if spoken == language and name in speakers]
        if counts:
            added[language] = max(counts, key=lambda pair: pair[0])[1]
    if not added:
        return dict(info)
    return {**info, "default_speakers": json.dumps({**chosen, **added}, ensure_ascii=False)}
