"""``polyvox evaluate --asr --dnsmos``: a tiny Whisper built here (CTranslate2 and transformers), DNSMOS from
speechmos's bundled model, the report's listener section, and one-line errors for bad model folders."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.manifest import Utterance, read_manifest, write_manifest
from polyvox.evaluation.errors import EvaluationError
from polyvox.evaluation.listener import Listener
from whisper_helpers import build_tiny_whisper, convert_to_ctranslate2

pytest.importorskip("transformers")
pytest.importorskip("faster_whisper")
pytest.importorskip("ctranslate2")

RATE = 22050
SENTENCES = (("en", "I have 12 apples."), ("en", "The cat sat."), ("zh", "你好，世界。"))


@pytest.fixture(scope="module")
def whisper_folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(transformers folder, CTranslate2 folder) of one tiny random Whisper."""
    folder = tmp_path_factory.mktemp("whisper")
    hugging_face = build_tiny_whisper(folder / "transformers")
    return hugging_face, convert_to_ctranslate2(hugging_face, folder / "ctranslate2")


def _recordings(folder: Path, sentences: tuple[tuple[str, str], ...]) -> Path:
    """Voiced-looking clips (a harmonic tone with noise) and a manifest of them."""
    rng = np.random.default_rng(0)
    utterances = []
    for index, (language, text) in enumerate(sentences):
        time = np.arange(int(RATE * (1.0 + 0.3 * index))) / RATE
        samples = 0.2 * np.sin(2 * np.pi * (120 + 20 * index) * time) + 0.01 * rng.standard_normal(time.size)
        path = folder / f"{language}_{index}.wav"
        soundfile.write(str(path), samples.astype(np.float32), RATE)
        utterances.append(Utterance(str(path), text, f"{language}_speaker", language, float(time[-1])))
    manifest = folder / "manifest.jsonl"
    write_manifest(manifest, utterances)
    return manifest


def _copies(manifest: Path, folder: Path) -> Path:
    folder.mkdir()
    for utterance in read_manifest(manifest):
        audio = Path(utterance.audio)
        shutil.copy(audio, folder / audio.name)
    return folder


def test_both_model_layouts_transcribe_a_clip(whisper_folders: tuple[Path, Path]) -> None:
    hugging_face, ctranslate2 = whisper_folders
    clip = np.random.default_rng(1).normal(0, 0.1, RATE).astype(np.float32)
    for folder, language in ((ctranslate2, "en"), (hugging_face, "zh")):
        listener = Listener.load(folder, dnsmos=False)
        hearing = listener(clip, RATE, "Twelve.", language)
        assert isinstance(hearing.transcript, str) and hearing.characters is not None
        assert hearing.characters.reference_length > 0 and math.isnan(hearing.dnsmos_ovrl)
    # The tiny CTranslate2 model's vocabulary is too small for faster-whisper to count it multilingual.
    with pytest.raises(EvaluationError, match="cannot transcribe 'zh'"):
        Listener.load(ctranslate2, dnsmos=False).check_languages({"en", "zh"})


def test_a_one_thread_listener_leaves_torch_threads_alone(whisper_folders: tuple[Path, Path]) -> None:
    """CTranslate2 sets the OpenMP threads torch shares unless torch's were set explicitly: a training run with
    --listener fell to one core. A fresh interpreter, as the CLI runs, keeps torch's default."""
    listen = (
        "import sys, numpy as np, torch; from pathlib import Path; from polyvox.evaluation.listener import Listener; "
        "listener = Listener.load(Path(sys.argv[1]), dnsmos=False, threads=1); "
        "listener(np.zeros(16000, np.float32), 16000, 'Twelve.', 'en'); print(torch.get_num_threads())"
    )
    environment = {name: value for name, value in os.environ.items() if name != "OMP_NUM_THREADS"}  # conftest sets 1
    default = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.get_num_threads())"], capture_output=True, text=True, check=True, env=environment
    )
    after = subprocess.run(
        [sys.executable, "-c", listen, str(whisper_folders[1])], capture_output=True, text=True, check=True, env=environment
    )
    assert after.stdout.split()[-1] == default.stdout.strip()


def test_dnsmos_scores_lie_in_range() -> None:
    time = np.arange(RATE * 2) / RATE
    hearing = Listener.load(None, dnsmos=True)(0.3 * np.sin(2 * np.pi * 200 * time), RATE, "a", "en")
    assert hearing.characters is None
    for value in (hearing.dnsmos_sig, hearing.dnsmos_bak, hearing.dnsmos_ovrl):
        assert 0.5 < value < 5.5


def test_evaluate_reports_the_listener_beside_the_recordings(whisper_folders: tuple[Path, Path], tmp_path: Path) -> None:
    manifest = _recordings(tmp_path, SENTENCES)
    synthesized = _copies(manifest, tmp_path / "synthesized")
    report_dir = tmp_path / "report"
    result = CliRunner().invoke(app, [
        "evaluate", "-r", str(manifest), "--synthesized", str(synthesized), "-o", str(report_dir),
        "--asr", str(whisper_folders[0]), "--dnsmos", "--examples", "0",
    ])
    assert result.exit_code == 0, result.output
    assert "DNSMOS OVRL" in result.output and "recordings" in result.output
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    listener = report["listener"]
    assert "transformers" in listener["asr"] and "dnsmos" in listener
    assert set(listener["by_language"]) == {"recordings", "synthesized"}
    assert set(listener["by_language"]["synthesized"]) == {"en", "zh"}
    english = listener["by_language"]["synthesized"]["en"]
    assert english["clips"] == 2 and english["wer"] is not None
    assert english["character_counts"]["reference_length"] == len("i have twelve apples") + len("the cat sat")
    assert listener["by_language"]["synthesized"]["zh"]["wer"] is None  # Mandarin is not spaced
    assert listener["by_language"]["synthesized"]["zh"]["character_counts"]["reference_length"] == 4  # ni3 hao3 shi4 jie4
    assert set(listener["by_speaker"]["synthesized"]) == {"en_speaker", "zh_speaker"}
    clips = listener["clips"]
    assert len(clips) == 2 * len(SENTENCES)
    # Copies of the recordings sound the same as the recordings: same transcript, same DNSMOS.
    by_key = {(clip["system"], clip["id"]): clip for clip in clips}
    for clip in clips:
        twin = by_key[("recordings" if clip["system"] == "synthesized" else "synthesized", clip["id"])]
        assert clip["transcript"] == twin["transcript"] and clip["dnsmos_ovrl"] == pytest.approx(twin["dnsmos_ovrl"])
    assert "listener.png" in report["figures"] and (report_dir / "listener.png").stat().st_size > 0
    assert "## Listener" in (report_dir / "report.md").read_text(encoding="utf-8")


def _one_line_error(result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.output


def test_bad_model_folders_are_one_line_errors(whisper_folders: tuple[Path, Path], tmp_path: Path) -> None:
    manifest = _recordings(tmp_path, SENTENCES[:1])
    synthesized = _copies(manifest, tmp_path / "synthesized")

    def evaluate(model: Path) -> object:
        arguments = ["evaluate", "-r", str(manifest), "--synthesized", str(synthesized), "-o", str(tmp_path / "r")]
        return CliRunner().invoke(app, [*arguments, "--asr", str(model)])

    _one_line_error(evaluate(tmp_path / "absent"), "speech recognizer folder not found")
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(evaluate(empty), "is not a Whisper model folder")
    no_tokenizer = tmp_path / "no_tokenizer"
    shutil.copytree(whisper_folders[1], no_tokenizer)
    (no_tokenizer / "tokenizer.json").unlink()
    _one_line_error(evaluate(no_tokenizer), "no tokenizer.json")
    assert not (tmp_path / "r").exists()


def test_the_error_rate_loads_without_the_scorers():
    """The corpus teacher aligns its durations with the listener's alignment: importing it must not load WORLD,
    the corpus generator or torch through the evaluation package."""
    script = (
        "import sys\n"
        "import polyvox.evaluation.error_rate\n"
        "print(sorted(m for m in ('pyworld', 'torch', 'polyvox.evaluation.analysis', 'polyvox.data.corpus.generator') if m in sys.modules))\n"
        "from polyvox.evaluation import SpeechAnalyzer, evaluate\n"
        "print(SpeechAnalyzer.__module__, evaluate.__module__)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "polyvox.evaluation.analysis polyvox.evaluation.run"]
