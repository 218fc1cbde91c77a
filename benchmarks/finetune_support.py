"""Shared by the fine-tuning benchmarks (cold_start.py, clone_fidelity.py, forgetting.py): their common options,
generated clips of chosen espeak-ng speakers, held-out recordings, loss curves from a run's TensorBoard log,
scoring voices, writing results."""

from __future__ import annotations

import argparse
import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.speakers import VARIANT_ORDER, speakers_for_language
from polyvox.data.manifest import Utterance, read_manifest
from polyvox.files import atomic_path

if TYPE_CHECKING:
    from polyvox.evaluation.run import EvaluationResult

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOCS_IMAGES = ROOT / "docs" / "images"


def speaker_run_parser(description: str, quick: str, steps: str, runs: str, work: Path) -> argparse.ArgumentParser:
    """The options every one-minute-of-a-new-speaker benchmark takes; ``quick``/``steps``/``runs`` word its help."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"a check run: {quick}")
    parser.add_argument("--steps", type=int, help=steps)
    parser.add_argument("--seconds", type=float, default=60.0, help="audio of the new speaker to fine-tune on")
    parser.add_argument("--held-out", type=int, help="held-out sentences (default 10; --quick 2)")
    parser.add_argument("--learning-rate", type=float, help=f"{runs} (default: polyvox finetune's, 2e-5)")
    parser.add_argument("--seed", type=int, default=0, help="training seed, random initialisation and synthesis noise")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", type=Path, default=work)
    return parser


def speaker_clips(folder: Path, language: str, speakers: Sequence[str], per_speaker: int, seed: int) -> list[Utterance]:
    """``per_speaker`` generated clips of each named speaker (e.g. ``en_f1``), the speakers interleaved.

    The corpus generator hands speakers out in a fixed order, so enough of them are generated to include
    every named one and the others are dropped (espeak-ng makes a clip in milliseconds)."""
    order = [speaker.name for speaker in speakers_for_language(language, len(VARIANT_ORDER))]
    unknown = [name for name in speakers if name not in order]
    if unknown:
        raise SystemExit(f"no generated speaker {', '.join(unknown)} for {language}; choose from {', '.join(order)}")
    count = max(order.index(name) for name in speakers) + 1
    generate_corpus(folder, [language], count, per_speaker, seed=seed, progress=False)
    clips = read_manifest(folder / "manifest.jsonl")
    by_speaker = [[u for u in clips if u.speaker == name] for name in speakers]
    return [u for group in zip(*by_speaker) for u in group]


def unseen(clips: Sequence[Utterance], seen: set[str], count: int) -> list[Utterance]:
    """The first ``count`` clips whose sentence is not in ``seen`` (so the recordings are held out)."""
    fresh = [u for u in clips if u.text not in seen][:count]
    if len(fresh) < count:
        raise SystemExit(f"only {len(fresh)} held-out sentences left of {len(clips)} generated; generate more")
    return fresh


def speakable(clips: Sequence[Utterance], voices: Sequence[Path]) -> list[Utterance]:
    """The clips every voice can read: each sentence's phonemes in its symbol table (a small corpus may
    not have taught a voice every phoneme of its language)."""
    from polyvox.inference.voice import Voice
    from polyvox.text.errors import TextError

    loaded = [Voice.load(path) for path in voices]

    def readable(voice: Voice, clip: Utterance) -> bool:
        try:
            for sentence in voice.text.sentences(clip.text, clip.language):
                voice.encode(sentence, clip.language)
        except TextError:
            return False
        return True

    return [clip for clip in clips if all(readable(voice, clip) for voice in loaded)]


def first_minutes(clips: Sequence[Utterance], seconds: float) -> list[Utterance]:
    """Clips in order until their total duration reaches ``seconds``."""
    chosen: list[Utterance] = []
    for clip in clips:
        if sum(u.duration for u in chosen) >= seconds:
            break
        chosen.append(clip)
    return chosen


def scalar_curve(log_dir: Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) of one TensorBoard scalar of a run, every logged point, in step order."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})  # 0: keep every point
    accumulator.Reload()
    if tag not in accumulator.Tags().get("scalars", []):
        return []
    points = {event.step: float(event.value) for event in accumulator.Scalars(tag)}
    return sorted(points.items())


def trailing_mean(values: Sequence[float], window: int) -> list[float]:
    """Mean of the last ``window`` values at each point (fewer at the start, where fewer exist)."""
    means = []
    for index in range(len(values)):
        recent = values[max(0, index + 1 - window) : index + 1]
        means.append(sum(recent) / len(recent))
    return means


def score_voices(
    recordings: Sequence[Utterance], voices: dict[str, Path], seed: int, speakers: dict[str, str] | None = None
) -> EvaluationResult:
    """``polyvox evaluate``'s figures of each voice (name -> file) speaking every recording's text as the
    recording's speaker, or as ``speakers[name]`` where given."""
    from polyvox.evaluation.run import evaluate
    from polyvox.evaluation.sources import VoiceSource
    from polyvox.inference.voice import Voice
    from polyvox.speech_request import SpeechRequest

    loaded = {name: Voice.load(path) for name, path in voices.items()}
    sample_rate = next(iter(loaded.values())).sample_rate
    sources = [VoiceSource(voice, name, (speakers or {}).get(name), SpeechRequest(seed=seed)) for name, voice in loaded.items()]
    return evaluate(recordings, sources, sample_rate, examples=0, audio_dir=None)


def language_table(result: EvaluationResult) -> dict[str, dict[str, dict[str, Any]]]:
    """system -> language -> metric -> summary (count, mean, median, 95 % interval) as plain values."""
    from polyvox.evaluation.report import by_language

    return {
        system: {language: {metric: summary.to_dict() for metric, summary in metrics.items()} for language, metrics in groups.items()}
        for system, groups in by_language(result).items()
    }


def paired_difference(result: EvaluationResult, worse: str, better: str, metric: str = "mcd_db") -> dict[str, Any]:
    """Summary of ``worse - better`` per recording (same sentence, same speaker): positive means ``better`` wins."""
    from polyvox.evaluation.aggregate import summarize

    values = {system: {item.utterance_id: getattr(item.scores, metric) for item in result.results if item.system == system}
              for system in (worse, better)}
    return summarize(values[worse][key] - values[better][key] for key in values[worse] if key in values[better]).to_dict()


def fresh_folder(folder: Path) -> Path:
    """An empty work folder (a benchmark's own, under benchmarks/results/): an earlier run's files go."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, content: dict[str, Any]) -> Path:
    return write_text(path, json.dumps(content, indent=1, ensure_ascii=False) + "\n")


def save_figure(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
