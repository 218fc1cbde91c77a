"""``polyvox distill`` on a tiny voice the test makes: the corpus the source speaks (its speakers, languages and
durations), a student that reads the same text into the same ids, resuming, and one-line refusals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from polyvox.voice_file import VoiceMetadata, load_voice_file, save_voice
from polyvox.cli import app
from polyvox.config import preset
from polyvox.data.manifest import read_manifest
from polyvox.distill import DistillError, DistillOptions, distill
from polyvox.distill.plan import plan_clips, speaker_languages
from polyvox.distill.student import student_config
from polyvox.distill.teacher_speech import token_durations
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.voice import Voice
from polyvox.models.vits import VitsGenerator
from polyvox.text.rules import TextRules
from polyvox.text.symbols import BOS_ID, EOS_ID, PAD_ID

LANGUAGES = ("en", "es")
# Two speakers named for their language and one that speaks both.
SPEAKERS = ("en_f3", "es_m1", "narrator")
SENTENCES = 3
STEPS = 2


def tiny_source(path: Path) -> Path:
    """An untrained tiny en+es voice whose symbols cover the corpus distill plans for it, with ~3 frames per token."""
    config = preset("tiny", LANGUAGES, n_speakers=len(SPEAKERS))
    clips = plan_clips(SPEAKERS, LANGUAGES, SENTENCES, seed=0)
    symbols = TextRules(config, LANGUAGES).table_for([(clip.text, clip.language) for clip in clips])
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=LANGUAGES, speakers=SPEAKERS, info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), len(LANGUAGES), config.audio.n_mels, config.audio.hop_length)
    with torch.no_grad():
        generator.duration_predictor.output_projection.bias.fill_(math.log(4.0))
    return save_voice(path, generator.state_dict(), metadata)


def options(source: Path, output: Path, **changes) -> DistillOptions:
    quick = {"sentences_per_speaker": SENTENCES, "steps": STEPS, "preset": "tiny", "batch_size": 4, "checkpoint_every_steps": 1, "progress": False}
    return DistillOptions(source, output, **{**quick, **changes})


@pytest.fixture(scope="module")
def distilled(tmp_path_factory):
    root = tmp_path_factory.mktemp("distill")
    source = tiny_source(root / "source.safetensors")
    with one_torch_thread():
        result = distill(options(source, root / "fast.safetensors"))
    return source, result


def test_corpus_has_the_sources_speakers_languages_and_durations(distilled):
    source, result = distilled
    utterances = read_manifest(result.corpus.manifest)
    assert {u.speaker for u in utterances} == set(SPEAKERS)
    for speaker in SPEAKERS:
        spoken = {u.language for u in utterances if u.speaker == speaker}
        assert spoken == set(speaker_languages(speaker, LANGUAGES))
        assert all(sum(u.language == language for u in utterances if u.speaker == speaker) == SENTENCES for language in spoken)
    assert {"narrator"} == {s for s in SPEAKERS if len(speaker_languages(s, LANGUAGES)) == 2}
    # Every clip carries the source's own durations, one per token, adding up to the clip.
    assert result.corpus.with_durations == len(utterances) == result.corpus.utterances
    for utterance in utterances:
        assert utterance.phonemes and len(utterance.phonemes) == len(utterance.phoneme_durations)
        assert sum(utterance.phoneme_durations) == pytest.approx(utterance.duration, abs=1e-3)
        assert Path(utterance.audio).is_file()


def test_student_speaks_the_same_ids_as_its_source(distilled):
    source_path, result = distilled
    source, student = Voice.load(source_path), Voice.load(result.output)
    assert result.steps == STEPS
    assert student.metadata.symbols == source.metadata.symbols
    assert (student.languages, student.speakers) == (source.languages, source.speakers)
    assert student.metadata.info["distilled_from"] == source_path.name
    text = read_manifest(result.corpus.manifest)[0].text
    for language in LANGUAGES:
        assert student.encode(text, language) == source.encode(text, language)
    with one_torch_thread():
        speech = student.synthesize(text, language="en", speaker="narrator", seed=0)
    assert speech.samples.size > 0 and np.all(np.isfinite(speech.samples))


def test_a_second_call_resumes_without_speaking_or_training_again(distilled, tmp_path):
    source, result = distilled
    wavs = sorted(Path(result.corpus.manifest).parent.rglob("*.wav"))
    written = [wav.stat().st_mtime_ns for wav in wavs]
    output = tmp_path / "again.safetensors"
    again = CliRunner().invoke(app, [
        "distill", "--from", str(source), "-o", str(output), "--work", str(result.output.with_name("fast.distill")),
        "--sentences", str(SENTENCES), "--steps", str(STEPS), "--preset", "tiny", "--quiet",
    ])
    assert again.exit_code == 0, again.output
    assert "the run had already reached --steps" in again.output and output.is_file()
    assert [wav.stat().st_mtime_ns for wav in wavs] == written


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    for fragment in fragments:
        assert fragment in errors[0]


def test_refusals_are_one_line(distilled, tmp_path):
    source, _ = distilled
    missing = CliRunner().invoke(app, ["distill", "--from", str(tmp_path / "nope.onnx"), "-o", str(tmp_path / "out.safetensors")])
    assert_one_line_error(missing, "source voice not found", "nope.onnx")
    existing = tmp_path / "taken.safetensors"
    existing.write_bytes(b"x")
    refused = CliRunner().invoke(app, ["distill", "--from", str(source), "-o", str(existing)])
    assert_one_line_error(refused, "already exists", "--overwrite")
    assert existing.read_bytes() == b"x"
    not_a_voice = tmp_path / "notes.txt"
    not_a_voice.write_text("hello")
    wrong = CliRunner().invoke(app, ["distill", "--from", str(not_a_voice), "-o", str(tmp_path / "o.safetensors")])
    assert_one_line_error(wrong, "not a voice")
    setting = CliRunner().invoke(app, ["distill", "--from", str(source), "-o", str(tmp_path / "s.safetensors"), "--student", "decoder",
                                       "--set", "training.batch_size=4"])
    assert_one_line_error(setting, "training.batch_size=4", "model.decoder.* settings only")
    assert not (tmp_path / "s.safetensors").exists() and not (tmp_path / "s.distill").exists()
    # A key the student's config lacks is refused before the work folder is claimed for it (or the source imported).
    unknown = CliRunner().invoke(app, ["distill", "--from", str(source), "-o", str(tmp_path / "u.safetensors"), "--student", "decoder",
                                       "--set", "model.decoder.ringing=false"])
    assert_one_line_error(unknown, "unknown config key 'model.decoder.ringing'")
    assert not (tmp_path / "u.safetensors").exists() and not (tmp_path / "u.distill").exists()


def test_a_work_folder_is_not_resumed_for_another_source(distilled, tmp_path):
    source, result = distilled
    other = tmp_path / "other.safetensors"
    tensors, metadata = load_voice_file(source)
    save_voice(other, {name: tensor + 1 if tensor.is_floating_point() else tensor for name, tensor in tensors.items()}, metadata)
    with pytest.raises(DistillError, match="another source_sha256"):
        distill(options(other, tmp_path / "o.safetensors", work=result.output.with_name("fast.distill")))


def test_reserved_ids_frames_go_to_their_neighbours():
    ids = [BOS_ID, PAD_ID, 10, PAD_ID, 11, PAD_ID, EOS_ID]
    frames = [2, 1, 5, 4, 3, 2, 2]
    # BOS and the blank after it go to the first token; a blank between two tokens is split; the rest to the last.
    assert token_durations(ids, frames).tolist() == [2 + 1 + 5 + 2, 2 + 3 + 2 + 2]
    assert token_durations(ids, frames).sum() == sum(frames)


def test_a_piper_onnx_source_is_imported_once_into_the_work_folder(tmp_path):
    from test_pretrained_piper_onnx_model import export_tiny_piper

    from polyvox.distill.source import IMPORTED_SOURCE, resolve_source

    onnx_path, _ = export_tiny_piper(tmp_path / "piper")
    work = tmp_path / "work"
    imported = resolve_source(onnx_path, work)
    assert imported == work / IMPORTED_SOURCE
    _, metadata = load_voice_file(imported)
    assert metadata.config.text.token_unit == "codepoint" and metadata.info["imported_from"] == "Piper ONNX"
    written = imported.stat().st_mtime_ns
    assert resolve_source(onnx_path, work).stat().st_mtime_ns == written


def test_student_settings_apply_last(tmp_path):
    source = tiny_source(tmp_path / "source.safetensors")
    metadata = load_voice_file(source)[1]
    chosen = ("model.decoder.balanced_upsampling=true", "training.batch_size=3")
    config = student_config(metadata, options(source, tmp_path / "fast.safetensors", overrides=chosen))
    assert config.model.decoder.balanced_upsampling and config.training.batch_size == 3  # --set wins over distill's own
    assert not student_config(metadata, options(source, tmp_path / "fast.safetensors")).model.decoder.balanced_upsampling
    with pytest.raises(DistillError, match="unknown config key 'training.batch'"):
        student_config(metadata, options(source, tmp_path / "fast.safetensors", overrides=("training.batch=3",)))
