"""A style voice to measure: the bundled voice fine-tuned with a style component on a labelled corpus.

The bundled voice already speaks the generated corpus's English speakers (en_f3, en_m1) with a decoder that
makes pitch; its new style parts start at zero (``StyleEncoder``: an untrained style changes nothing), so a
short fine-tune shows what the style learns, apart from learning to speak. A tiny voice trained from scratch
makes no pitch of its own (its F0 is its frame-rate buzz), so it cannot show a label's F0.
"""

from __future__ import annotations

import json
from pathlib import Path

from polyvox.data.manifest import read_manifest

# The sampler's learning rate, as a multiple of the voice's: 4 x 5e-4 fitted it in 300 steps where 1 x did not.
SAMPLER_LEARNING_RATE_FACTOR = 4.0


def finetune_style_voice(
    manifest: Path, run_dir: Path, output: Path, steps: int, learning_rate: float, sampler: bool = True, progress: bool = False,
    source: Path | None = None, freeze: str = "all", overrides: tuple[str, ...] = (),
) -> Path:
    """Fine-tune ``source`` (default: the bundled voice; ``freeze``: what trains, default every part) in float32 with
    ``model.style`` learning the manifest's style labels (and a style sampler reading a standardized condition, at
    4 x the voice's learning rate) for ``steps`` steps, with any more ``overrides``; the last step's voice is written
    to ``output`` (nothing is held out)."""
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.finetune.plan import FinetuneOptions
    from polyvox.finetune.run import finetune

    labels = list(dict.fromkeys(u.style for u in read_manifest(manifest) if u.style is not None))
    # Raw, the sampler's condition is mostly the speaker vector and the sampler does not read the sentence; at the
    # voice's rate it stays under-fitted (benchmarks/style_fit.py measured both).
    sampled = (
        "model.style_sampler.enabled=true",
        "model.style_sampler.condition_normalization=standardized",
        f"training.style_sampler_learning_rate={SAMPLER_LEARNING_RATE_FACTOR * learning_rate:g}",
    )
    settings = (
        "model.style.enabled=true",
        f"model.style.labels={json.dumps(labels)}",
        *(sampled if sampler else ()),
        "training.precision=32",  # "auto" picks bf16-mixed on CPUs with native bfloat16: figures would vary by machine
        f"training.checkpoint_every_steps={steps}",
        *overrides,
    )
    options = FinetuneOptions(freeze=freeze, steps=steps, learning_rate=learning_rate, overrides=settings, validation_per_language=0)
    return finetune(source or DEFAULT_VOICE, manifest, output, run_dir, options, progress=progress).voice_path
