"""Every sentence of a claimed language is speakable by a voice trained on the default corpus (#16).

The voice's symbol table is built the way training builds it, from the default recipe's corpus text
(no audio is synthesised). Sentences are made of each language's frequent words (wordfreq) that the
corpus grammars never use, so the corpus cannot have seen them; every one must convert to ids with no
unknown symbol and no warning. A sound the voice truly never learned is still refused, by name, with
advice a command-line user can follow.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import random
import re
from pathlib import Path

import pytest
import torch

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.config import preset
from polyvox.data.corpus.plan import CorpusPlan, covering_sentences, plan_corpus
from polyvox.data.corpus.sentences import SentenceGenerator, grammar_for
from polyvox.data.coverage import PhonemeInventory, Sound, load_inventory
from polyvox.data.manifest import Utterance
from polyvox.models.vits import VitsGenerator
from polyvox.text.rules import TextRules
from polyvox.train.run import prepare_data, prepare_metadata

pytest.importorskip("wordfreq")
from polyvox.text.frequent_words import INVENTORY_WORDS, frequent_words  # noqa: E402

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "default_voice.py"
SENTENCES_PER_LANGUAGE = 1000
WORDS_PER_SENTENCE = (6, 10)
UNSPACED = ("zh", "ja")
FULL_STOP = {"zh": "。", "ja": "。"}


def _recipe():
    spec = importlib.util.spec_from_file_location("default_voice_recipe", RECIPE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RECIPE_MODULE = _recipe()
LANGUAGES: tuple[str, ...] = RECIPE_MODULE.LANGUAGES


@pytest.fixture(scope="module")
def default_plan() -> CorpusPlan:
    """The default recipe's corpus, text only."""
    return plan_corpus(
        LANGUAGES, RECIPE_MODULE.SPEAKERS_PER_LANGUAGE, RECIPE_MODULE.UTTERANCES_PER_SPEAKER, RECIPE_MODULE.CORPUS_SEED
    )


def corpus_voice(plan: CorpusPlan, languages: tuple[str, ...]) -> TextRules:
    """The text rules of a voice trained on ``plan``'s corpus (its table as training builds it)."""
    utterances = [
        Utterance(audio=f"{speaker.name}_{index}.wav", text=text, speaker=speaker.name, language=speaker.language, duration=2.0)
        for index, (speaker, text) in enumerate(plan.utterances)
    ]
    return TextRules.of(prepare_metadata(preset("small", languages), utterances))


@pytest.fixture(scope="module")
def default_corpus_voice(default_plan: CorpusPlan) -> TextRules:
    return corpus_voice(default_plan, LANGUAGES)


def grammar_words(language: str) -> set[str]:
    """Every word the corpus grammar of ``language`` can say (for zh and ja, its whole text, searched by substring)."""
    grammar = grammar_for(language)
    texts = [template for template, _ in grammar.templates]
    for entries in grammar.slots.values():
        for entry in entries:
            texts.extend([entry] if isinstance(entry, str) else entry)
    if language in UNSPACED:
        return {"\n".join(texts)}
    return {word.lower() for text in texts for word in re.findall(r"\w+", text)}


def unseen_vocabulary(language: str) -> list[str]:
    used = grammar_words(language)
    if language in UNSPACED:
        (text,) = used
        return [word for word in frequent_words(language, INVENTORY_WORDS) if word not in text]
    return [word for word in frequent_words(language, INVENTORY_WORDS) if word not in used]


def sentences_of(words: list[str], language: str, count: int, seed: int = 0) -> list[str]:
    generator = random.Random(f"coverage-{language}-{seed}")
    sentences = []
    for _ in range(count):
        chosen = generator.sample(words, generator.randint(*WORDS_PER_SENTENCE))
        text = ("" if language in UNSPACED else " ").join(chosen)
        sentences.append(text[:1].upper() + text[1:] + FULL_STOP.get(language, "."))
    return sentences


def test_default_corpus_covers_every_inventory_phoneme(default_plan: CorpusPlan) -> None:
    coverage = {language.language: language for language in default_plan.coverage}
    assert set(coverage) == set(LANGUAGES)
    for language in LANGUAGES:
        assert not coverage[language].missing_phonemes, coverage[language].line()
        assert not coverage[language].missing_pairs, coverage[language].line()


@pytest.mark.parametrize("language", LANGUAGES)
def test_unseen_frequent_words_all_convert_without_warning(
    language: str, default_corpus_voice: TextRules, caplog: pytest.LogCaptureFixture
) -> None:
    assert_all_speakable(default_corpus_voice, language, caplog)


@pytest.mark.parametrize("language", ["ru", "ar"])
def test_unseen_frequent_words_convert_for_a_voice_of_a_corpus_in_another_language(
    language: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Russian and Arabic are not in the bundled voice: a voice trained on a corpus of the recipe's size in each."""
    plan = plan_corpus(
        (language,), RECIPE_MODULE.SPEAKERS_PER_LANGUAGE, RECIPE_MODULE.UTTERANCES_PER_SPEAKER, RECIPE_MODULE.CORPUS_SEED
    )
    assert not plan.coverage[0].missing_phonemes and not plan.coverage[0].missing_pairs, plan.coverage[0].line()
    assert_all_speakable(corpus_voice(plan, (language,)), language, caplog)


def assert_all_speakable(rules: TextRules, language: str, caplog: pytest.LogCaptureFixture) -> None:
    vocabulary = unseen_vocabulary(language)
    assert len(vocabulary) > 2000, f"only {len(vocabulary)} {language} words outside the corpus grammar"
    sentences = sentences_of(vocabulary, language, SENTENCES_PER_LANGUAGE)
    assert len(sentences) >= 1000
    failures = []
    with caplog.at_level(logging.WARNING):
        for sentence in sentences:
            caplog.clear()
            try:
                rules.encode(sentence, language)
            except Exception as error:  # noqa: BLE001 - each failure is collected with its sentence
                failures.append(f"{sentence!r}: {error}")
                continue
            failures.extend(f"{sentence!r}: warning {record.getMessage()}" for record in caplog.records)
    assert not failures, f"{len(failures)} of {len(sentences)} {language} sentences: " + "\n".join(failures[:5])


@pytest.fixture(scope="module")
def english_only_voice(tmp_path_factory: pytest.TempPathFactory, default_plan: CorpusPlan) -> Path:
    """A tiny voice that claims en and de but learned English sounds only (its table: the default corpus's English)."""
    config = preset("tiny", ("en", "de"), n_speakers=1)
    english = [(text, "en") for speaker, text in default_plan.utterances if speaker.language == "en"]
    symbols = TextRules(config, ("en", "de")).table_for(english)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "de"), speakers=("en_f3",), info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 2, config.audio.n_mels, config.audio.hop_length)
    folder = tmp_path_factory.mktemp("english_only")
    return save_voice(folder / "english_only.safetensors", generator.state_dict(), metadata)


GERMAN = "Schöne Grüße aus Köln."
GERMAN_ONLY_SOUNDS = ("ø", "y")


def test_a_sound_outside_the_voice_is_named_with_finetune_advice(english_only_voice: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from polyvox.cli import app

    voice = english_only_voice
    output = tmp_path / "out.wav"
    result = CliRunner().invoke(app, ["say", GERMAN, "--voice", str(voice), "--lang", "de", "-o", str(output)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert any(f"'{sound}' (de)" in result.output for sound in GERMAN_ONLY_SOUNDS), result.output
    assert "polyvox finetune" in result.output
    assert not output.exists()


def test_the_server_refuses_the_same_sound_with_a_400(english_only_voice: Path) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from polyvox.server import ServerSettings, create_app

    settings = ServerSettings(default_voice=english_only_voice, voices_dir=english_only_voice.parent)
    body = {"model": "tts-1", "input": GERMAN, "voice": "english_only", "language": "de", "response_format": "wav"}
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/audio/speech", json=body)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert any(f"'{sound}' (de)" in message for sound in GERMAN_ONLY_SOUNDS), message
    assert "polyvox finetune" in message


def test_every_claimed_language_has_an_inventory() -> None:
    for language in LANGUAGES:
        inventory = load_inventory(language)
        assert inventory is not None and len(inventory.phonemes) > 30, language


def test_training_names_the_inventory_phonemes_its_data_lacks(small_corpus, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    corpus_dir, _ = small_corpus  # en and zh, 10 sentences each: far from covering either inventory
    with caplog.at_level(logging.WARNING, logger="polyvox.data.coverage"):
        prepared = prepare_data(
            corpus_dir / "manifest.jsonl", tmp_path / "run", preset("tiny"), resume=False, initial_metadata=None,
            progress=False, validation_per_language=0,
        )
    english = prepared.report.phoneme_coverage["en"]
    assert english["missing_phonemes"] and english["phonemes_covered"] + len(english["missing_phonemes"]) == english["phonemes"]
    written = json.loads((tmp_path / "run" / "data_report.json").read_text(encoding="utf-8"))
    assert written["phoneme_coverage"]["en"] == english
    warning = next(record.getMessage() for record in caplog.records if "the training data" in record.getMessage() and " en " in record.getMessage())
    assert repr(english["missing_phonemes"][0]) in warning


def test_covering_swaps_in_the_fewest_sentences_that_bring_missing_sounds() -> None:
    """A sound only later draws have is brought in by one sentence in place of an ordinary one; the count holds."""
    inventory = PhonemeInventory("en", phonemes=("a", "b", "z"), pairs=(("z", "ˈ"),), examples={})
    generator = SentenceGenerator(grammar_for("en"), seed=1)
    ordinary = SentenceGenerator(grammar_for("en"), seed=1).sentences(5)
    rare = set(SentenceGenerator(grammar_for("en"), seed=1).sentences(40)[30:32])

    def sounds(text: str) -> set[Sound]:
        found: set[Sound] = {("a", None), ("b", None)}
        return found | {("z", None), ("z", "ˈ")} if text in rare else found

    sentences, coverage = covering_sentences(generator, 5, inventory, sounds)
    assert len(sentences) == 5 and len(set(sentences)) == 5
    assert len(set(sentences) & rare) == 1 and len(set(sentences) & set(ordinary)) == 4
    assert coverage.phonemes_covered == 3 and coverage.pairs_covered == 1 and not coverage.missing_phonemes
