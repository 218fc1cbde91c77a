"""The training step's code-level speed-ups, each against the plain formulation it replaced, side by side.

On 2 threads, with the shapes of a medium-preset training step (batch 16, ~93 phonemes; the
discriminators' batch of 16 real and 16 generated 8192-sample segments):

* dropout: ``torch.nn.functional.dropout`` (one ``bernoulli_`` draw per element) against
  ``polyvox.models.dropout.Dropout`` (two elements per 32-bit draw), forward and backward;
* channel LayerNorm followed by GELU and a residual add (the stochastic duration predictor's block):
  the transposed view LayerNorm used to return against the contiguous tensor it returns now;
* the scale discriminator at quarter and at full width: its layers applied one after another in the
  plain 1-D layout against ``ScaleDiscriminator.forward`` (long inputs in the channels-last 2-D
  layout), forward and backward of a discriminator-style loss.

Each pair takes turns for ``--rounds`` rounds; the medians are compared.

    python benchmarks/training_kernels.py

Prints the ratios; writes benchmarks/results/training_kernels.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

RESULTS = Path(__file__).resolve().parent / "results"
THREADS = 2


def dropout_pair() -> tuple[Callable[[], None], Callable[[], None]]:
    from polyvox.models.dropout import Dropout

    hidden = torch.randn(16, 768, 93, requires_grad=True)
    ours = Dropout(0.1).train()

    def plain() -> None:
        F.dropout(hidden, 0.1, training=True).sum().backward()

    def polyvox() -> None:
        ours(hidden).sum().backward()

    return plain, polyvox


def layer_norm_pair() -> tuple[Callable[[], None], Callable[[], None]]:
    from polyvox.models.layers import LayerNorm

    norm = LayerNorm(192)
    hidden = torch.randn(16, 192, 93, requires_grad=True)

    def block(normalised: torch.Tensor) -> None:
        (hidden + F.gelu(normalised)).square().sum().backward()

    def plain() -> None:
        block(F.layer_norm(hidden.transpose(1, -1), (192,), norm.weight, norm.bias, norm.eps).transpose(1, -1))

    def polyvox() -> None:
        block(norm(hidden))

    return plain, polyvox


def scale_discriminator_pair(full_width: bool) -> tuple[Callable[[], None], Callable[[], None]]:
    from polyvox.config import DiscriminatorConfig, preset
    from polyvox.models.decoders.resblock import LEAKY_RELU_SLOPE
    from polyvox.models.discriminators import ScaleDiscriminator

    config = DiscriminatorConfig() if full_width else preset("medium").model.discriminator
    torch.manual_seed(0)
    discriminator = ScaleDiscriminator(config.scale_channels, config.scale_groups)
    waveforms = (0.1 * torch.randn(32, 1, 8192)).requires_grad_()

    def loss(score: torch.Tensor, features: list[torch.Tensor]) -> torch.Tensor:
        adversarial = (1 - score[16:]).square().mean() + score[:16].square().mean()
        return adversarial + sum((real - fake).abs().mean() for real, fake in (f.split(16) for f in features))

    def plain() -> None:
        hidden, features = waveforms, []
        for conv in discriminator.convs:
            hidden = F.leaky_relu(conv(hidden), LEAKY_RELU_SLOPE)
            features.append(hidden)
        score = discriminator.conv_post(hidden)
        loss(score.flatten(1), [*features, score]).backward()

    def polyvox() -> None:
        loss(*discriminator(waveforms)).backward()

    return plain, polyvox


def compare(plain: Callable[[], None], polyvox: Callable[[], None], rounds: int) -> dict[str, float]:
    for step in (plain, polyvox):  # warm-up
        step()
    times: dict[str, list[float]] = {"plain": [], "polyvox": []}
    for _ in range(rounds):
        for name, step in (("plain", plain), ("polyvox", polyvox)):
            started = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - started)
    plain_ms, polyvox_ms = (1000 * statistics.median(times[name]) for name in ("plain", "polyvox"))
    return {"plain_ms": plain_ms, "polyvox_ms": polyvox_ms, "speedup": plain_ms / polyvox_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per pair")
    parser.add_argument("--output", type=Path, default=RESULTS / "training_kernels.json")
    arguments = parser.parse_args()
    torch.set_num_threads(THREADS)
    pairs = {
        "dropout (16 x 768 x 93)": dropout_pair,
        "channel LayerNorm + GELU + add (16 x 192 x 93)": layer_norm_pair,
        "scale discriminator, quarter width (32 x 8192)": lambda: scale_discriminator_pair(False),
        "scale discriminator, full width (32 x 8192)": lambda: scale_discriminator_pair(True),
    }
    results = {}
    print(f"forward + backward, median of {arguments.rounds} alternating rounds, {THREADS} threads")
    for name, build in pairs.items():
        results[name] = compare(*build(), arguments.rounds)
        figures = results[name]
        print(f"  {name:50} plain {figures['plain_ms']:7.2f} ms   polyvox {figures['polyvox_ms']:7.2f} ms   {figures['speedup']:.2f}x")
    from polyvox.files import atomic_path

    report = {"threads": THREADS, "rounds": arguments.rounds, "torch": torch.__version__, "pairs": results}
    with atomic_path(arguments.output) as temporary:
        temporary.write_text(json.dumps(report, indent=1))
    print(f"wrote {arguments.output}")


if __name__ == "__main__":
    main()
