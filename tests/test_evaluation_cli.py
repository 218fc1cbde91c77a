"""``polyvox evaluate`` end to end on a small generated corpus: report contents, voices, baselines, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import soundfile
import torch
from typer.testing import CliRunner

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.cli import app
from polyvox.config import preset
from polyvox.data.manifest import Utterance, read_manifest, write_manifest
from polyvox.models.vits import VitsGenerator
from polyvox.text import SymbolTable
from polyvox.text.rules import TextRules


def run(*args: str):
    return CliRunner().invoke(app, ["evaluate", *args])


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def manifest(small_corpus) -> Path:
    return Path(small_corpus[1].manifest)


@pytest.fixture(scope="module")
def tiny_voice(manifest, tmp_path_factory) -> Path:
    """An untrained tiny voice speaking the corpus's languages, with its speakers but the last."""
    utterances = read_manifest(manifest)
    speakers = tuple(dict.fromkeys(u.speaker for u in utterances))[:-1]
    config = preset("tiny", ("en", "zh"), n_speakers=len(speakers))
    symbols = TextRules(config, ("en", "zh")).table_for((u.text, u.language) for u in utterances)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "zh"), speakers=speakers, info={"steps": "0"})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 2, config.audio.n_mels, config.audio.hop_length)
    return save_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", generator.state_dict(), metadata)


def copies_of_recordings(manifest: Path, folder: Path) -> Path:
    folder.mkdir()
    for utterance in read_manifest(manifest):
        shutil.copy(utterance.audio, folder / Path(utterance.audio).name)
    return folder


def test_copies_of_the_recordings_score_zero(manifest, tmp_path):
    synthesized = copies_of_recordings(manifest, tmp_path / "synthesized")
    report_dir = tmp_path / "report"
    result = run("--recordings", str(manifest), "--synthesized", str(synthesized), "-o", str(report_dir), "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "en" in result.output and "zh" in result.output and "MCD-DTW" in result.output
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert {item["language"] for item in report["utterances"]} == {"en", "zh"}
    assert len(report["utterances"]) == 4
    for item in report["utterances"]:
        assert item["mcd_db"] == 0.0 and item["voicing_error"] == 0.0 and item["duration_ratio"] == 1.0
        assert item["frame_buzz"] == 0.0
    for language in ("en", "zh"):
        assert report["by_language"]["synthesized"][language]["mcd_db"]["mean"] == 0.0
    assert set(report["by_speaker"]["synthesized"]) == {item["speaker"] for item in report["utterances"]}
    for figure in report["figures"]:
        assert (report_dir / figure).stat().st_size > 0
    assert any(figure.startswith("spectrograms/") for figure in report["figures"])
    assert "| en | synthesized | 2 |" in (report_dir / "report.md").read_text(encoding="utf-8")


def test_voice_with_copy_and_aligned_synthesis_baselines(manifest, tiny_voice, tmp_path):
    report_dir = tmp_path / "report"
    result = run(
        "--recordings", str(manifest), "--voice", str(tiny_voice), "--speaker", "en_f3", "--baseline", "copy",
        "--baseline", "aligned", "-o", str(report_dir), "--limit", "1", "--examples", "1",
    )
    assert result.exit_code == 0, result.output
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["systems"] == ["voice", "copy-synthesis", "aligned-synthesis"]
    assert report["info"]["voice_steps"] == "0"
    # Aligned synthesis speaks with the recording's own durations: its length is the recording's, to a frame.
    recordings = {Path(u.audio).stem: soundfile.info(u.audio) for u in read_manifest(manifest)}
    for clip in (report_dir / "audio" / "aligned-synthesis").glob("*.wav"):
        recorded, spoken = recordings[clip.stem], soundfile.info(clip)
        assert spoken.samplerate == recorded.samplerate and abs(spoken.frames - recorded.frames) < 512
    for system in ("voice", "copy-synthesis", "aligned-synthesis"):
        scored = [item for item in report["utterances"] if item["system"] == system]
        assert len(scored) == 2 and all(item["mcd_db"] > 0 for item in scored)
        assert len(list((report_dir / "audio" / system).glob("*.wav"))) == 2


def test_a_speaker_the_voice_lacks_is_a_clear_error(manifest, tiny_voice, tmp_path):
    result = run("--recordings", str(manifest), "--voice", str(tiny_voice), "-o", str(tmp_path / "report"))
    assert_one_line_error(result, "unknown speaker 'zh_m1'", "--speaker")
    assert not (tmp_path / "report").exists()


def test_missing_synthesized_clip_is_named(manifest, tmp_path):
    synthesized = copies_of_recordings(manifest, tmp_path / "synthesized")
    removed = sorted(synthesized.glob("*.wav"))[0]
    removed.unlink()
    result = run("--recordings", str(manifest), "--synthesized", str(synthesized), "-o", str(tmp_path / "report"))
    assert_one_line_error(result, removed.name, "no synthesized file")


def test_missing_recording_file_and_empty_manifest(manifest, tmp_path):
    broken = tmp_path / "broken.jsonl"
    first = read_manifest(manifest)[0]
    write_manifest(broken, [Utterance(str(tmp_path / "gone.wav"), first.text, first.speaker, first.language, 1.0)])
    result = run("--recordings", str(broken), "--synthesized", str(tmp_path), "-o", str(tmp_path / "report"))
    assert_one_line_error(result, "not found", "gone.wav")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert_one_line_error(run("--recordings", str(empty), "--synthesized", str(tmp_path), "-o", str(tmp_path / "r")), "no utterances")


def test_exactly_one_of_voice_or_synthesized(manifest, tiny_voice, tmp_path):
    both = run("--recordings", str(manifest), "--voice", str(tiny_voice), "--synthesized", str(tmp_path), "-o", str(tmp_path / "r"))
    assert_one_line_error(both, "exactly one")
    assert_one_line_error(run("--recordings", str(manifest), "-o", str(tmp_path / "r")), "exactly one")


def test_untrained_baseline_is_the_same_architecture_with_fresh_seeded_weights(tiny_voice):
    from polyvox.evaluation.baselines import untrained_voice
    from polyvox.inference.voice import Voice

    voice = Voice.load(tiny_voice)
    first, again, other = untrained_voice(voice, 3), untrained_voice(voice, 3), untrained_voice(voice, 4)
    trained = voice.generator.state_dict()
    weights = first.generator.state_dict()
    name = "text_encoder.symbol_embedding.weight"
    assert weights.keys() == again.generator.state_dict().keys()
    assert torch.equal(weights[name], again.generator.state_dict()[name])
    assert not torch.equal(weights[name], other.generator.state_dict()[name])
    assert weights[name].shape == trained[name].shape and not torch.equal(weights[name], trained[name])
    assert first.speakers == voice.speakers and first.languages == voice.languages
