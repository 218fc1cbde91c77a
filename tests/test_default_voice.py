"""The voice shipped inside the package: what `polyvox say` uses when no voice is named."""

from __future__ import annotations

import numpy as np
import pytest

from polyvox.cli import DEFAULT_VOICE
from polyvox.inference.voice import Voice

# One everyday sentence per language the default voice claims.
SENTENCES = {
    "en": "The weather is nice today.",
    "es": "Mi hermano tiene un perro.",
    "fr": "Nous allons au marché demain.",
    "de": "Das Wetter ist heute schön.",
    "zh": "我们明天去学校。",
    "ja": "わたしはがっこうにいきます。",
}


@pytest.fixture(scope="module")
def default_voice() -> Voice:
    return Voice.load(DEFAULT_VOICE)


def test_default_voice_is_small_and_multilingual(default_voice):
    assert DEFAULT_VOICE.stat().st_size <= 30 * 1024 * 1024
    assert set(SENTENCES) <= set(default_voice.languages)
    assert len(default_voice.speakers) >= 4
    assert int(default_voice.metadata.info["steps"]) >= 1000  # a trained model, not an initialisation


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_default_voice_speaks_each_language(default_voice, language):
    result = default_voice.synthesize(SENTENCES[language], language=language, seed=0)
    assert result.sample_rate == default_voice.sample_rate
    assert 0.5 < result.duration_s < 8.0
    assert np.isfinite(result.samples).all()
    assert np.sqrt(np.mean(result.samples**2)) > 0.01  # not silence


def test_unseen_phonemes_are_spoken_as_their_parts_with_a_warning(default_voice, caplog):
    # espeak-ng reads "Turm" with the diphthong ˈʊɐ, which the generated training corpus never had.
    sentence = "Der Turm ist hoch."
    assert "ˈʊɐ" in [token.symbol for token in default_voice.frontend.phonemize(sentence, "de")]
    result = default_voice.synthesize(sentence, language="de", seed=0)
    assert 0.5 < result.duration_s < 5.0
    assert "'ˈʊɐ' (de) is not one this voice learned; spoken as 'ˈʊ' + 'ɐ'" in caplog.text


@pytest.mark.parametrize(
    ("sentence", "language", "stand_in"),
    [
        ("Now I sound like me.", "en", "'ˌiː' (en) is not one this voice learned; spoken as 'ˈiː'"),
        ("现在几点了？", "zh", "'ian3' (zh) is not one this voice learned; spoken as 'ian2'"),
        ("Das ist für dich.", "de", "'yː' (de) is not one this voice learned"),
    ],
)
def test_the_bundled_voice_speaks_stress_and_tone_it_never_saw(default_voice, caplog, sentence, language, stand_in):
    # The bundled voice fuses stress and tone into its symbols; these combinations were missing from its corpus
    # and used to be refused (#16). It speaks them as the nearest variant it knows and says so.
    result = default_voice.synthesize(sentence, language=language, seed=0)
    assert 0.3 < result.duration_s < 5.0
    assert stand_in in caplog.text


def test_an_unseen_sound_is_warned_about_once_not_once_a_sentence(default_voice, caplog):
    from polyvox.text.rules import TextRules

    rules = TextRules.of(default_voice.metadata)  # its own record of what it has warned about
    for sentence in ("Now I see me.", "Now you see me.", "Now we see me."):
        rules.encode(sentence, "en")
    assert caplog.text.count("'ˌiː' (en) is not one this voice learned") == 1
