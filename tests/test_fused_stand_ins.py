"""Voices in the fused input scheme (stress and tone part of the symbol: voices made before the features scheme, and
imported ones) speak a combination missing from their training data as the nearest one they know, with a warning."""

from __future__ import annotations

import pytest

from polyvox.inference.voice import Voice
from polyvox.text.rules import TextRules
from tiny_voices import FUSED_MISSING, make_fused_voice

CASES = [
    # espeak-ng reads "Turm" with the diphthong ˈʊɐ: said through the symbols it is made of.
    ("Der Turm ist hoch.", "de", "'ˈʊɐ' (de) is not one this voice learned; spoken as 'ˈʊ' + 'ɐ'"),
    ("Now I sound like me.", "en", "'ˌiː' (en) is not one this voice learned; spoken as 'ˈiː'"),
    ("现在几点了？", "zh", "'ian3' (zh) is not one this voice learned; spoken as 'ian2'"),
]


@pytest.fixture(scope="module")
def fused_voice(tmp_path_factory) -> Voice:
    return Voice.load(make_fused_voice(tmp_path_factory.mktemp("fused") / "fused.safetensors"))


@pytest.mark.parametrize(("sentence", "language", "stand_in"), CASES)
def test_a_missing_stress_or_tone_is_spoken_as_the_nearest_known_with_a_warning(fused_voice, caplog, sentence, language, stand_in):
    assert not fused_voice.metadata.config.model.text_encoder.prosody_embeddings
    missing = next(symbol for symbol in FUSED_MISSING if f"'{symbol}'" in stand_in)
    assert missing in [token.symbol for token in fused_voice.frontend.phonemize(sentence, language)]
    result = fused_voice.synthesize(sentence, language=language, seed=0)
    assert result.samples.size > 0
    assert stand_in in caplog.text


def test_an_unseen_sound_is_warned_about_once_not_once_a_sentence(fused_voice, caplog):
    rules = TextRules.of(fused_voice.metadata)  # its own record of what it has warned about
    for sentence in ("Now I see me.", "Now you see me.", "Now we see me."):
        rules.encode(sentence, "en")
    assert caplog.text.count("'ˌiː' (en) is not one this voice learned") == 1
