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


@pytest.mark.parametrize(
    ("sentence", "language"),
    [("Der Turm ist hoch.", "de"), ("Now I sound like me.", "en"), ("现在几点了？", "zh"), ("Das ist für dich.", "de")],
)
def test_the_bundled_voice_speaks_every_stress_and_tone_of_its_phonemes(default_voice, caplog, sentence, language):
    # The voice this one replaced fused stress and tone into its symbols and said these combinations, missing from its
    # corpus, as the nearest one it knew (#16; that path's tests: test_fused_stand_ins.py). In the features scheme a
    # stress or tone is embedded beside its phoneme, so every combination is the voice's own.
    assert default_voice.metadata.config.model.text_encoder.prosody_embeddings
    result = default_voice.synthesize(sentence, language=language, seed=0)
    assert 0.3 < result.duration_s < 5.0
    assert "is not one this voice learned" not in caplog.text
