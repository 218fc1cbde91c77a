"""Fine-tuning a voice imported from a released Piper ONNX graph: its untrained posterior is warmed up first.

The voice is the tiny Piper-layout graph the import tests export (``export_tiny_piper``). Its own speech (clips it
speaks with known durations) is the data the warm-up is measured on: a posterior that fits the frozen decoder exists.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from finetune_helpers import QUICK
from test_pretrained_piper_onnx_model import export_tiny_piper

from polyvox.audio.io import save_audio
from polyvox.voice_file import VoiceMetadata, build_generator, load_voice_file, read_metadata, save_voice
from polyvox.data.corpus import generate_corpus
from polyvox.data.dataset import RESERVED_IDS
from polyvox.data.manifest import Utterance, read_manifest, write_manifest
from polyvox.finetune import FinetuneOptions, plan_finetune, run_finetune
from polyvox.finetune.warmup import WARMUP_FILE, run_warmup
from polyvox.finetune.warmup_plan import UNTRAINED_INFO, in_parts, untrained_parts
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.voice import Voice
from polyvox.pretrained import import_checkpoint
from polyvox.text.rules import TextRules
from polyvox.text.symbols import PUNCTUATION_SYMBOLS, RESERVED_SYMBOLS
from polyvox.train.run import prepare_data

WARMUP_STEPS = 100


@pytest.fixture(autouse=True)
def one_thread():
    with one_torch_thread():  # tiny models: one thread beats two fighting for the cores
        yield


def speak_own_clips(voice: Path, folder: Path, clips: int, seed: int = 0) -> Path:
    """A manifest of ``clips`` clips the voice speaks itself: random words of its own phonemes, with the frames
    each phoneme was given as the manifest's durations (so training aligns them exactly as they were spoken)."""
    tensors, metadata = load_voice_file(voice)
    generator = build_generator(metadata)
    generator.load_state_dict(tensors)
    generator.eval()
    rules = TextRules.of(metadata)
    phonemes = [s for s in metadata.symbols.to_list() if s not in RESERVED_SYMBOLS and s not in PUNCTUATION_SYMBOLS and s != " "]
    hop, rate = metadata.config.audio.hop_length, metadata.config.audio.sample_rate
    choices, noise = random.Random(seed), torch.Generator().manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for index in range(clips):
        spoken = tuple(choices.choice(phonemes) for _ in range(choices.randint(10, 16)))
        frames = [choices.randint(3, 8) for _ in spoken]
        clip = Utterance("", "".join(spoken), metadata.speakers[0], "en", 1.0, spoken, tuple(f * hop / rate for f in frames))
        encoded = rules.encode_tokens(rules.utterance_tokens(clip))
        per_id = iter(frames)
        durations = torch.tensor([[0 if i in RESERVED_IDS else next(per_id) for i in encoded.phoneme_ids]])
        ids = torch.tensor([encoded.phoneme_ids])
        with torch.no_grad():
            output = generator.synthesize(
                ids, torch.tensor([encoded.language_ids]), torch.tensor([ids.shape[1]]), torch.tensor([0]), durations=durations,
                noise_generator=noise,
            )
        samples = output.waveform[0, 0, : int(output.sample_lengths[0])].numpy()
        path = folder / f"{index:03d}.wav"
        save_audio(path, samples, rate)
        rows.append(Utterance(str(path), clip.text, clip.speaker, "en", samples.size / rate, spoken, clip.phoneme_durations))
    write_manifest(folder / "manifest.jsonl", rows)
    return folder / "manifest.jsonl"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("imported")
    graph, _ = export_tiny_piper(root / "onnx")
    tensors, metadata, report = import_checkpoint(graph)
    voice = save_voice(root / "tiny.safetensors", tensors, metadata)
    return SimpleNamespace(root=root, voice=voice, report=report, own_clips=speak_own_clips(voice, root / "own", 12))


def test_the_import_names_its_untrained_parts(imported):
    """What the graph lacks is recorded in the voice, so fine-tuning knows what to warm up: the posterior encoder and
    the duration posterior, every tensor of them the import reports missing at random (and nothing it loaded)."""
    parts = untrained_parts(read_metadata(imported.voice))
    assert "posterior_encoder" in parts and "stochastic_duration_predictor.posterior_flows" in parts
    missing = {entry.target for entry in imported.report.missing if not entry.initialisation.startswith("zero")}  # zero: no effect
    posterior = {name for name in missing if name.startswith(("posterior_encoder.", "stochastic_duration_predictor."))}
    assert posterior and all(in_parts(name, parts) for name in posterior)
    loaded = {entry.target for entry in imported.report.loaded}
    assert not any(in_parts(name, parts) for name in loaded)


def _frozen_and_trained(generator: torch.nn.Module, parts: tuple[str, ...]) -> tuple[set[str], set[str]]:
    names = {name for name, _ in generator.named_parameters()}
    trained = {name for name in names if in_parts(name, parts)}
    return names - trained, trained


def test_warmup_fits_the_posterior_to_the_frozen_decoder_and_moves_nothing_else(imported, tmp_path):
    """The posterior learns to give the latents the frozen decoder speaks the clips from.

    Measured with the KL term off: this tiny voice's generator is random, so no posterior fits its decoder and its
    text prior at once (with the KL on, copy synthesis gets worse here). A trained voice's original posterior fits
    both; benchmarks/imported_warmup.py measures the default objective on the real en_US-joe-medium."""
    options = FinetuneOptions(  # a tiny model takes a higher rate than the default, made for voices like joe
        warmup_steps=WARMUP_STEPS, warmup_learning_rate=1e-3, overrides=("training.batch_size=4", "training.kl_loss_weight=0")
    )
    plan = plan_finetune(imported.voice, imported.own_clips, tmp_path / "out.safetensors", tmp_path / "run", options)
    assert plan.warmup is not None and plan.warmup.parts == untrained_parts(read_metadata(imported.voice))
    assert plan.warmup.own_speech  # by default; off here, to measure the data's losses alone (next test: on)
    warmup = dataclasses.replace(plan.warmup, own_speech_steps=0)
    data = prepare_data(plan.data.manifest, plan.run_dir, plan.metadata.config, False, plan.metadata, False, 2)
    generator = plan.module.generator
    before = {name: value.clone() for name, value in generator.state_dict().items()}
    flags = {name: parameter.requires_grad for name, parameter in generator.named_parameters()}
    torch.manual_seed(0)
    result = run_warmup(plan.module, warmup, data.train_items, data.validation_items, data.cache, plan.run_dir, progress=False)
    # The posterior's copy synthesis through the frozen decoder, on held-out clips.
    assert result.reconstruction_after < 0.7 * result.reconstruction_before
    after = generator.state_dict()
    frozen, trained = _frozen_and_trained(generator, plan.warmup.parts)
    assert all(torch.equal(before[name], after[name]) for name in frozen)
    moved = {name for name in trained if not torch.equal(before[name], after[name])}
    assert {"posterior_encoder.input_projection.weight", "posterior_encoder.output_projection.weight"} <= moved
    assert {name: parameter.requires_grad for name, parameter in generator.named_parameters()} == flags
    written = json.loads((plan.run_dir / WARMUP_FILE).read_text())
    assert written["steps"] == WARMUP_STEPS and written["reconstruction_after"] == pytest.approx(result.reconstruction_after)


def test_own_speech_teaches_the_posterior_the_voices_latents_and_moves_nothing_else(imported, tmp_path):
    """First stage of the warm-up: the voice speaks sentences of the data and its new posterior encoder learns the
    latents behind them; on held-out sentences of its own speech the posterior mean gets closer to the latent the
    decoder received. Only the posterior encoder moves (the duration posterior's stage is off here)."""
    options = FinetuneOptions(warmup_steps=1, warmup_learning_rate=1e-3, overrides=("training.batch_size=4",))
    plan = plan_finetune(imported.voice, imported.own_clips, tmp_path / "out.safetensors", tmp_path / "run", options)
    warmup = dataclasses.replace(plan.warmup, parts=("posterior_encoder",), own_speech_steps=150)
    data = prepare_data(plan.data.manifest, plan.run_dir, plan.metadata.config, False, plan.metadata, False, 2)
    generator = plan.module.generator
    before = {name: value.clone() for name, value in generator.state_dict().items()}
    result = run_warmup(plan.module, warmup, data.train_items, data.validation_items, data.cache, plan.run_dir, progress=False)
    assert result.agreement_before is not None and result.agreement_after is not None
    assert result.agreement_after.latent_error < 0.8 * result.agreement_before.latent_error
    assert result.steps == 0  # nothing else to warm up: the data's stage did not run
    after = generator.state_dict()
    frozen, trained = _frozen_and_trained(generator, ("posterior_encoder",))
    assert all(torch.equal(before[name], after[name]) for name in frozen)
    assert any(not torch.equal(before[name], after[name]) for name in trained)
    written = json.loads((plan.run_dir / WARMUP_FILE).read_text())
    assert written["agreement_after"]["latent_error"] == pytest.approx(result.agreement_after.latent_error)


@pytest.fixture(scope="module")
def finetuned(imported, engine, tmp_path_factory):
    """A fine-tune of the imported voice with a new English speaker and a new language (Spanish, with its own
    clips as replay): phonemes its id map lacks are added, one per character, as Piper numbers them."""
    root = tmp_path_factory.mktemp("finetuned")
    generate_corpus(root / "en", ["en"], 1, 4, seed=5, progress=False, engine=engine)
    generate_corpus(root / "es", ["es"], 1, 6, seed=6, progress=False, engine=engine)
    replay = [*read_manifest(imported.own_clips), *read_manifest(root / "en" / "manifest.jsonl")]
    write_manifest(root / "replay.jsonl", replay)
    options = FinetuneOptions(steps=2, warmup_steps=3, add_language="es", replay=root / "replay.jsonl", overrides=QUICK)
    plan = plan_finetune(imported.voice, root / "es" / "manifest.jsonl", root / "out.safetensors", root / "run", options)
    return SimpleNamespace(plan=plan, result=run_finetune(plan, progress=False), english=root / "en" / "manifest.jsonl")


def test_a_finetune_from_an_imported_voice_warms_up_then_writes_a_voice_that_speaks(finetuned):
    plan, result = finetuned.plan, finetuned.result
    assert any("warm-up of 3 steps" in note for note in plan.report.notes)  # the report's one line
    assert (plan.run_dir / WARMUP_FILE).is_file() and result.steps == 2
    metadata: VoiceMetadata = read_metadata(result.voice_path)
    assert UNTRAINED_INFO not in metadata.info and metadata.info["warmup_steps"] == "3"
    assert metadata.languages == ("en", "es") and len(metadata.speakers) == 3
    assert {"ˈ", "ː"} <= set(metadata.symbols.to_list())  # Piper's scheme: one id per character
    voice = Voice.load(result.voice_path)
    spanish, english = read_manifest(plan.data.manifest)[0], read_manifest(finetuned.english)[0]
    for clip in (spanish, english):  # sentences whose sounds the voice has now learned
        samples = voice.synthesize(clip.text, clip.language, seed=0).samples
        assert samples.size > 0.2 * voice.sample_rate and np.isfinite(samples).all() and np.abs(samples).max() > 1e-4


def test_a_trained_voice_gets_no_warmup(finetuned, tmp_path):
    """The fine-tuned voice has a trained posterior now: fine-tuning it again goes straight to training."""
    data = finetuned.plan.data.manifest
    plan = plan_finetune(finetuned.result.voice_path, data, tmp_path / "out.safetensors", tmp_path / "run", FinetuneOptions(steps=1))
    assert plan.warmup is None and not any("warm-up" in note for note in plan.report.notes)


def test_switching_the_warmup_off_is_warned(imported, tmp_path, caplog):
    options = FinetuneOptions(warmup_steps=0)
    with caplog.at_level(logging.WARNING, logger="polyvox.finetune"):
        plan = plan_finetune(imported.voice, imported.own_clips, tmp_path / "out.safetensors", tmp_path / "run", options)
    assert plan.warmup is None and "warm-up is off" in caplog.text
    assert UNTRAINED_INFO in plan.metadata.info  # still untrained: a later fine-tune warms it up
