"""``polyvox finetune`` as a user runs it: a new speaker, a new language with replay, and one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from finetune_helpers import NEW_SPEAKER, QUICK, corpora_fixture
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.manifest import read_manifest
from polyvox.finetune.report import STATUSES
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.voice import Voice

corpora = corpora_fixture("finetune_cli")


@pytest.fixture(autouse=True)
def one_thread():
    with one_torch_thread():
        yield


def finetune(*args: str):
    quick = [item for value in QUICK for item in ("--set", value)]
    return CliRunner().invoke(app, ["finetune", *args, *quick, "--steps", "2"])


def tensor_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.split(" ", 1)[0] in STATUSES and "[" in line]


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0]
    assert "Traceback" not in result.output


def test_new_speaker_end_to_end(corpora, tmp_path):
    output = tmp_path / "mine.safetensors"
    result = finetune("--from", str(corpora.voice), "--data", str(corpora.new_speaker), "-o", str(output), "--run-dir", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    source_tensors = len(load_file(str(corpora.voice)))
    lines = tensor_lines(result.output)
    assert len(lines) == source_tensors  # every tensor, none skipped
    grown = [line for line in lines if line.startswith("grown")]
    speaker = next(line for line in grown if "speaker_embedding" in line)
    assert "speaker_embedding.weight [3x8] (source [2x8])" in speaker and f"'{NEW_SPEAKER}' = mean of the 2 trained speaker rows" in speaker
    # The new speaker's clips also bring phonemes the voice had not seen: the symbol table grows too.
    assert {line.split()[1] for line in grown} <= {"generator.speaker_embedding.weight", "generator.text_encoder.symbol_embedding.weight"}
    summary = f"{source_tensors} tensors: {source_tensors - len(grown)} loaded, {len(grown)} grown, 0 missing, 0 unexpected, 0 shape mismatch"
    assert summary in result.output
    assert "* --freeze voice" in result.output and f"wrote {output}, the voice to use (" in result.output
    assert "float16" in result.output.splitlines()[-1]
    assert f"pitch: speaker {NEW_SPEAKER}: " in result.output  # the clone's pitch against its recordings', reported
    assert {tensor.dtype for tensor in load_file(str(output)).values() if tensor.is_floating_point()} == {torch.float16}
    voice = Voice.load(output)
    assert voice.speakers[-1] == NEW_SPEAKER
    text = read_manifest(corpora.new_speaker)[0].text
    spoken = voice.synthesize(text, language="en", speaker=NEW_SPEAKER, noise_scale=0.0)
    assert len(spoken.samples) > 0 and np.isfinite(spoken.samples).all()


def test_add_language_with_replay_end_to_end(corpora, tmp_path):
    output = tmp_path / "bilingual.safetensors"
    result = finetune(
        "--from", str(corpora.voice), "--data", str(corpora.spanish), "--add-language", "es", "--replay", str(corpora.old),
        "--language-init", "en", "-o", str(output), "--run-dir", str(tmp_path / "run"), "--full-precision",
    )
    assert result.exit_code == 0, result.output
    assert {tensor.dtype for tensor in load_file(str(output)).values() if tensor.is_floating_point()} == {torch.float32}
    grown = [line for line in tensor_lines(result.output) if line.startswith("grown")]
    assert any("language_embedding.weight [2x4]" in line and "'es' = row of 'en'" in line for line in grown), grown
    assert any("symbol_embedding.weight" in line for line in grown)
    assert "* --freeze language" in result.output
    voice = Voice.load(output)
    assert voice.languages == ("en", "es")
    assert voice.metadata.config.training.batch_sampler == "language_balanced"
    text = read_manifest(corpora.spanish)[0].text
    spoken = voice.synthesize(text, language="es", noise_scale=0.0)
    assert len(spoken.samples) > 0 and np.isfinite(spoken.samples).all()


def test_a_new_language_speaks_in_its_own_speaker_by_default(corpora, tmp_path):
    import dataclasses
    import json

    from polyvox.data.manifest import write_manifest

    renamed = tmp_path / "maria.jsonl"  # a speaker not named for her language (es_...), as a teacher's voices are
    write_manifest(renamed, [dataclasses.replace(u, speaker="maria") for u in read_manifest(corpora.spanish)])
    output = tmp_path / "es.safetensors"
    result = finetune(
        "--from", str(corpora.voice), "--data", str(renamed), "--add-language", "es", "--replay", str(corpora.old),
        "-o", str(output), "--run-dir", str(tmp_path / "run"),
    )
    assert result.exit_code == 0, result.output
    voice = Voice.load(output)
    assert json.loads(voice.metadata.info["default_speakers"]) == {"es": "maria"}  # not the voice's first speaker
    assert voice.text.speaker_id(None, "es") == voice.speakers.index("maria")
    assert voice.text.speaker_id(None, "en") == voice.speakers.index("en_f3")


def test_prior_preset_trains_the_prior_alone_and_never_runs_the_discriminator(corpora, tmp_path, caplog):
    output, run = tmp_path / "prior.safetensors", tmp_path / "run"
    caplog.set_level("INFO", logger="polyvox")
    result = finetune(
        "--from", str(corpora.voice), "--data", str(corpora.old), "--freeze", "prior", "-o", str(output), "--run-dir", str(run),
        "--set", "training.discriminator_start_step=0", "--set", "training.precision=32", "--held-out", "3",
    )
    assert result.exit_code == 0, result.output
    assert "9 training clips" in caplog.text and "3 validation clips" in caplog.text  # --held-out: 3 of en's 12
    assert "* --freeze prior" in result.output
    assert "the steps skip the decoder and the discriminator" in result.output and "joins at step" not in result.output
    # The last step's weights (the output is the best validation step, which may be the source itself).
    checkpoint = torch.load(sorted((run / "checkpoints").glob("*.ckpt"))[-1], weights_only=False)
    trained = {name.removeprefix("generator."): tensor for name, tensor in checkpoint["state_dict"].items() if name.startswith("generator.")}
    before = load_file(str(corpora.voice))
    moved = {name.split(".")[0] for name, tensor in trained.items() if not torch.equal(tensor, before[name])}
    assert {"text_encoder", "flow"} <= moved <= {"text_encoder", "flow", "duration_predictor", "stochastic_duration_predictor"}
    # The waveform side never ran in training: the discriminator (stepped from step 0 otherwise) has no optimizer state.
    generator_state, discriminator_state = (optimizer["state"] for optimizer in checkpoint["optimizer_states"])
    assert generator_state and not discriminator_state
    spoken = Voice.load(output).synthesize(read_manifest(corpora.old)[0].text, language="en", noise_scale=0.0)
    assert len(spoken.samples) > 0 and np.isfinite(spoken.samples).all()


def test_bad_input_is_one_line(corpora, tmp_path):
    foreign = tmp_path / "weights.bin"
    foreign.write_bytes(b"not a checkpoint")
    assert_one_line_error(finetune("--from", str(foreign), "--data", str(corpora.new_speaker), "--run-dir", str(tmp_path / "a")), "weights.bin")
    assert_one_line_error(
        finetune("--from", str(corpora.voice), "--data", str(corpora.spanish), "--run-dir", str(tmp_path / "b")),
        "does not speak", "--add-language es",
    )
    assert_one_line_error(
        finetune("--from", str(corpora.voice), "--data", str(corpora.spanish), "--add-language", "es", "--run-dir", str(tmp_path / "c")),
        "--replay OLD_MANIFEST",
    )
    assert_one_line_error(
        finetune("--from", str(corpora.voice), "--data", str(corpora.new_speaker), "--freeze", "waveform", "--run-dir", str(tmp_path / "d")),
        "unknown freeze preset", "voice, language, keep-decoder, text, timbre, prior, decoder, all",
    )
    several = tmp_path / "several"
    assert_one_line_error(
        finetune("--from", str(corpora.voice), "--data", str(corpora.new_speaker), "--devices", "2", "--run-dir", str(several)),
        "--devices 2: fine-tuning runs in one process", "polyvox train --init-from VOICE --devices N",
    )
    assert not several.exists()


def _checkpoint_with_discriminator(voice: Path, path: Path, steps: int = 7) -> dict[str, torch.Tensor]:
    """A training checkpoint holding only a discriminator for ``voice``'s config (as a run's step-N.ckpt carries one)."""
    from polyvox.models.discriminators import MultiPeriodMultiScaleDiscriminator
    from polyvox.voice_file import read_metadata

    metadata = read_metadata(voice)
    torch.manual_seed(11)
    discriminator = MultiPeriodMultiScaleDiscriminator(metadata.config.model.discriminator).state_dict()
    state = {f"discriminator.{name}": tensor for name, tensor in discriminator.items()}
    torch.save({"polyvox": {"metadata": metadata.to_strings(), "steps_done": steps}, "state_dict": state}, path)
    return discriminator


def test_decoder_preset_trains_the_decoder_alone_against_a_discriminator_from_a_checkpoint(corpora, tmp_path):
    output, run, judge = tmp_path / "decoder.safetensors", tmp_path / "run", tmp_path / "judge.ckpt"
    loaded = _checkpoint_with_discriminator(corpora.voice, judge)
    result = finetune(
        "--from", str(corpora.voice), "--data", str(corpora.old), "--freeze", "decoder", "-o", str(output), "--run-dir", str(run),
        "--discriminator-from", str(judge), "--set", "training.precision=32", "--held-out", "3",
    )
    assert result.exit_code == 0, result.output
    assert "* --freeze decoder" in result.output and "discriminator loaded from the checkpoint" in result.output
    checkpoint = torch.load(sorted((run / "checkpoints").glob("*.ckpt"))[-1], weights_only=False)
    state = checkpoint["state_dict"]
    before = load_file(str(corpora.voice))
    trained = {name.removeprefix("generator."): tensor for name, tensor in state.items() if name.startswith("generator.")}
    assert {name.split(".")[0] for name, tensor in trained.items() if not torch.equal(tensor, before[name])} == {"decoder"}
    # The judge started as the checkpoint's (two small steps away from it), not a fresh random one.
    judged = {name.removeprefix("discriminator."): tensor for name, tensor in state.items() if name.startswith("discriminator.")}
    drift = max(float((judged[name] - tensor).abs().max()) for name, tensor in loaded.items())
    assert 0.0 < drift < 0.01


def test_a_discriminator_from_a_file_that_is_not_a_checkpoint_is_refused(corpora, tmp_path):
    result = finetune(
        "--from", str(corpora.voice), "--data", str(corpora.old), "--freeze", "decoder", "-o", str(tmp_path / "out.safetensors"),
        "--run-dir", str(tmp_path / "run"), "--discriminator-from", str(corpora.voice),
    )
    assert result.exit_code == 1
    assert "not a polyvox training checkpoint with a discriminator" in result.output
    assert not (tmp_path / "out.safetensors").exists()
