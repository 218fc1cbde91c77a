"""Freeze presets: which parts of the generator train when fine-tuning.

- ``voice`` (default for a new speaker): the speaker table, the posterior encoder, the flow, the decoder
  and the reference encoder train; the text encoder and both duration predictors stay as trained, so
  pronunciation and timing of every language are kept while the timbre adapts.
- ``language`` (default with ``--add-language``): the text encoder (with the symbol and language tables),
  both duration predictors, the flow, the speaker table and the reference encoder train; the posterior
  encoder and the decoder (the acoustic latent space and the waveform side) stay fixed, so the new
  language is learned into the space the old languages are decoded from.
- ``keep-decoder``: everything but the decoder trains: new languages and speakers are learned into the
  acoustic space the decoder already renders, so an imported voice trained on human speech keeps its
  sound while a short run (no discriminator: voice files carry none) teaches it what to say.
- ``text``: only what reads the text trains (the text encoder with its tables, both duration predictors, the
  speaker table); the posterior encoder, the flow and the decoder, the voice's whole acoustic space, stay fixed,
  so new languages and speakers are learned as paths into the sound the voice already makes.
- ``timbre``: only what makes the sound of a speaker trains (the speaker table, the posterior encoder, the flow and
  the reference encoder); what reads the text (pronunciation, timing) and the decoder stay as trained, so a clone
  moves pitch and timbre through the latents the decoder already renders without relearning what it says.
- ``prior``: only the prior trains (the text encoder with its tables, both duration predictors and the flow), by its
  KL and duration losses: the posterior encoder, the decoder and the speaker table, all the waveform losses reach,
  stay fixed, so a step skips the decoder and the discriminator (the listener recipe's corpus, batch 16, 2 threads:
  1.5 steps a second against 0.67 for a full step). Meant for a voice whose copy-synthesis keeps the words its
  text-to-speech loses; on the listener candidate 750 such steps made every language worse (docs/finetuning.md).
- ``decoder``: only the decoder trains (the waveform stage, with its speaker conditioning): what the voice says, its
  timing, its latent space and its speakers stay bit for bit, so a run can only change how the latents sound. For a
  decoder that should learn the voice's latents anew (one started from another voice's, pretrained on human speech:
  ``polyvox.finetune.decoder_graft``) or more adversarial training of the voice's own.
- ``all``: everything trains.

The style component and its sampler (how a sentence is said) train with the prosody: in ``language``,
``keep-decoder`` and ``text``; the frame prior (part of the prior the text encoder gives) wherever the text encoder
trains. Under any preset a component the source lacks altogether (a style component added by
the fine-tune) trains: frozen, its fresh weights would do nothing, or noise.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import torch

from polyvox.finetune.errors import FinetuneSetupError

STYLE_COMPONENTS = ("style_encoder", "style_sampler")
# The text encoder's prior and its frame-level refinement train together.
TEXT_PRIOR = ("text_encoder", "frame_prior")
FREEZE_PRESETS: dict[str, tuple[str, ...]] = {
    "voice": ("speaker_embedding", "posterior_encoder", "flow", "decoder", "reference_encoder"),
    "language": (
        *TEXT_PRIOR, "duration_predictor", "stochastic_duration_predictor", "flow", "speaker_embedding", "reference_encoder",
        *STYLE_COMPONENTS,
    ),
    "keep-decoder": (
        *TEXT_PRIOR, "duration_predictor", "stochastic_duration_predictor", "flow", "speaker_embedding",
        "reference_encoder", "posterior_encoder", *STYLE_COMPONENTS,
    ),
    "text": (*TEXT_PRIOR, "duration_predictor", "stochastic_duration_predictor", "speaker_embedding", *STYLE_COMPONENTS),
    "timbre": ("speaker_embedding", "posterior_encoder", "flow", "reference_encoder"),
    "prior": (*TEXT_PRIOR, "duration_predictor", "stochastic_duration_predictor", "flow", *STYLE_COMPONENTS),
    "decoder": ("decoder",),
    "all": (),  # empty: no component is frozen
}


def trains(preset: str, parameter_name: str, new_components: frozenset[str] = frozenset()) -> bool:
    components = FREEZE_PRESETS[preset]
    component = parameter_name.split(".", 1)[0]
    return not components or component in components or component in new_components


@dataclass(frozen=True)
class FreezeSummary:
    preset: str
    # (component, parameters) in the generator's order
    trained: tuple[tuple[str, int], ...]
    frozen: tuple[tuple[str, int], ...]

    @property
    def trainable_parameters(self) -> int:
        return sum(count for _, count in self.trained)

    @property
    def total_parameters(self) -> int:
        return self.trainable_parameters + sum(count for _, count in self.frozen)

    def describe(self) -> str:
        trained = ", ".join(f"{name} {count:,}" for name, count in self.trained) or "nothing"
        frozen = ", ".join(f"{name} {count:,}" for name, count in self.frozen) or "nothing"
        return (
            f"freeze preset {self.preset!r}: {self.trainable_parameters:,} of {self.total_parameters:,} generator "
            f"parameters train ({trained}); frozen: {frozen}"
        )


def check_preset(preset: str) -> None:
    if preset not in FREEZE_PRESETS:
        raise FinetuneSetupError(f"unknown freeze preset {preset!r}; choose one of {', '.join(FREEZE_PRESETS)}")


def summarize(generator: torch.nn.Module, preset: str, new_components: frozenset[str] = frozenset()) -> FreezeSummary:
    """Parameter counts per top-level component under ``preset`` (nothing is changed); ``new_components``: those the
    source lacks, which train under every preset."""
    check_preset(preset)
    counts: dict[str, int] = {}
    for name, parameter in generator.named_parameters():
        component = name.split(".", 1)[0]
        counts[component] = counts.get(component, 0) + parameter.numel()
    trained = tuple((name, count) for name, count in counts.items() if trains(preset, name, new_components))
    frozen = tuple((name, count) for name, count in counts.items() if not trains(preset, name, new_components))
    return FreezeSummary(preset, trained, frozen)


def apply_freeze(generator: torch.nn.Module, preset: str, new_components: frozenset[str] = frozenset()) -> FreezeSummary:
    """Set ``requires_grad`` by ``preset``. Frozen parameters get no gradient, so the optimiser never
    touches them (no update, no weight decay): they stay bit for bit as loaded."""
    summary = summarize(generator, preset, new_components)
    for name, parameter in generator.named_parameters():
        parameter.requires_grad_(trains(preset, name, new_components))
    return summary


def new_components(generator: torch.nn.Module, source_names: Collection[str]) -> frozenset[str]:
    """The generator's top-level components none of whose parameters the source has (``source_names``: its tensors)."""
    components: dict[str, bool] = {}
    for name, _ in generator.named_parameters():
        component = name.split(".", 1)[0]
        components[component] = components.get(component, True) and name not in source_names
    return frozenset(component for component, absent in components.items() if absent)
