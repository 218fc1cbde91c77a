"""Training the decoder student on the source decoder's pairs.

The target is a fixed function of the input (the source decoder), not one of many possible recordings, so
spectral losses alone lead the student to it: mel L1 (up to half the sample rate) plus the multi-resolution
STFT loss, which sees the fine structure the mel bands blur (benchmarks/stft_loss.py). Segments of latent
frames are decoded with as many frames of context either side as the student reaches (or up to the sentence's
edge, as synthesis decodes it), and only the segment is compared, so what is learned is what the student does inside
a whole sentence. A student with a harmonic
source (``model.decoder.harmonic_source``) is given the source's F0, read from its waveforms, and its pitch head
learns to read that F0 from the latent (as voice training does with the recordings'). A discriminator can join
(``discriminator_after``, decoder_adversary.py) to judge how the student sounds, as voice training does. The
state (student, best student, optimiser, discriminator, step, random state) is saved every ``checkpoint_every``
steps: a second call goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from polyvox.audio.features import MelSpectrogram
from polyvox.audio.frame_pitch import frame_f0
from polyvox.voice_file import VoiceMetadata
from polyvox.config import DecoderConfig, DiscriminatorConfig, TrainingConfig
from polyvox.distill.decoder_adversary import DecoderAdversary
from polyvox.distill.decoder_pairs import DecoderPair, frames_window
from polyvox.distill.decoder_student import build_student_decoder, context_frames
from polyvox.distill.options import DistillError
from polyvox.files import atomic_path
from polyvox.models.decoders import UpsamplingDecoder
from polyvox.train.pitch_loss import pitch_loss
from polyvox.train.stft_loss import MultiResolutionStftLoss

logger = logging.getLogger(__name__)

STATE_FILE = "decoder_student.pt"
# Sentences held out to choose the best step (whole sentences, decoded as synthesis decodes them).
VALIDATION_SENTENCES = 8


@dataclass(frozen=True)
class DecoderTraining:
    steps: int
    batch_size: int
    learning_rate: float = 2e-4
    segment_frames: int = 32
    checkpoint_every: int = 250
    seed: int = 0
    progress: bool = True
    through_flow: bool = False  # the student reads the prior's sample: it stands for the flow and the decoder
    # A discriminator (decoder_adversary.py) joins after this many steps of spectral losses alone; None: never.
    # With one, the best step is chosen among those it trained.
    discriminator: DiscriminatorConfig | None = None
    discriminator_after: int = 0
    pitch_loss_weight: float = TrainingConfig().pitch_loss_weight  # students with a harmonic source only


@dataclass(frozen=True)
class DecoderTrainingResult:
    steps: int
    best_step: int
    best_validation: float  # mel L1 of the held-out sentences against the source decoder's
    already_complete: bool


class _Losses:
    def __init__(self, metadata: VoiceMetadata) -> None:
        audio = metadata.config.audio
        self.mel = MelSpectrogram(dataclasses.replace(audio, mel_fmax=audio.sample_rate / 2))
        self.stft = MultiResolutionStftLoss(TrainingConfig().stft_loss_resolutions)

    def mel_distance(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.l1_loss(self.mel(generated.squeeze(1)), self.mel(target.squeeze(1)))

    def __call__(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.mel_distance(generated, target) + self.stft(generated, target)


@dataclass(frozen=True)
class _Segments:
    latent: torch.Tensor  # (batch, channels, frames + 2 * context)
    speaker: torch.Tensor  # (batch, channels, 1)
    waveform: torch.Tensor  # (batch, 1, frames * hop): the targets
    f0: torch.Tensor | None  # (batch, frames + 2 * context) in cycles per sample, 0 unvoiced; None without pitch
    offsets: tuple[int, ...]  # the frame where each target starts in its window

    def centre(self, generated: torch.Tensor, frames: int, hop: int) -> torch.Tensor:
        """The part of ``generated`` (batch, 1, windows' samples) each target stands for."""
        return torch.stack([row[:, offset * hop : (offset + frames) * hop] for row, offset in zip(generated, self.offsets)])


def _segments(
    pairs: Sequence[DecoderPair], rng: np.random.Generator, batch_size: int, frames: int, context: int, hop: int, through_flow: bool,
    pair_f0: Sequence[np.ndarray] | None = None,
) -> _Segments:
    """Random segments, each in a window of ``context`` frames either side that stays inside its sentence: a segment
    near a sentence's start or end sits off-centre in a window that ends there, so the decoder meets the sentence's
    edge as synthesis meets it (its own padding), not after frames of zero latent, which it decodes into sound that
    synthesis never asks for (a click at every sentence's end). Sentences shorter than a window are padded at the end."""
    latents, speakers, waveforms, f0s, offsets = [], [], [], [], []
    width = frames + 2 * context
    for index in rng.integers(0, len(pairs), size=batch_size):
        pair = pairs[index]
        latent = pair.student_input(through_flow)
        length = latent.shape[1]
        start = int(rng.integers(0, length - frames + 1))
        first = min(max(start - context, 0), max(length - width, 0))
        window = frames_window(latent, first, width)
        if pair.latent_log_scales is not None and not through_flow:  # a fresh sample of the posterior, as voice training
            noise = rng.standard_normal(window.shape) * np.exp(frames_window(pair.latent_log_scales, first, width))
            noise[:, length - first :] = 0.0  # none past the sentence's end (a short sentence's padding)
            window = window + noise.astype(np.float32)
        latents.append(window)
        speakers.append(pair.speaker)
        waveforms.append(pair.waveform[start * hop : (start + frames) * hop])
        offsets.append(start - first)
        if pair_f0 is not None:
            f0s.append(frames_window(pair_f0[index], first, width))
    return _Segments(
        torch.from_numpy(np.stack(latents)),
        torch.from_numpy(np.stack(speakers)).unsqueeze(-1),
        torch.from_numpy(np.stack(waveforms)).unsqueeze(1),
        torch.from_numpy(np.stack(f0s)) if f0s else None,
        tuple(offsets),
    )


def _source_f0(pairs: Sequence[DecoderPair], sample_rate: int, hop: int, progress: bool) -> list[np.ndarray]:
    """The source's F0 per latent frame of each pair's waveform, in cycles per sample (0 unvoiced)."""
    from tqdm.auto import tqdm

    return [
        (frame_f0(pair.waveform.astype(np.float64), sample_rate, hop, pair.latent.shape[1]) / sample_rate).astype(np.float32)
        for pair in tqdm(pairs, desc="source F0", unit="sentence", disable=not progress)
    ]


@torch.no_grad()
def _validation(decoder: UpsamplingDecoder, pairs: Sequence[DecoderPair], losses: _Losses, through_flow: bool = False) -> float:
    decoder.eval()
    distances = []
    for pair in pairs:
        latent = torch.from_numpy(pair.student_input(through_flow)).unsqueeze(0)
        generated = decoder(latent, torch.from_numpy(pair.speaker)[None, :, None])
        target = torch.from_numpy(pair.waveform)[None, None, : generated.shape[-1]]
        distances.append(float(losses.mel_distance(generated[..., : target.shape[-1]], target)))
    decoder.train()
    return float(np.mean(distances))


def train_decoder(
    pair_paths: Sequence[Path], source: VoiceMetadata, config: DecoderConfig, run_dir: Path, options: DecoderTraining,
    initial: dict[str, torch.Tensor] | None = None,
) -> tuple[UpsamplingDecoder, DecoderTrainingResult]:
    """The best student (by held-out mel distance) after ``options.steps`` steps in all; a new run starts from
    ``initial`` (a decoder's state dict of the same architecture, e.g. the source's own) where given."""
    from tqdm.auto import tqdm

    pairs = [DecoderPair.load(path) for path in pair_paths]
    usable = [pair for pair in pairs if pair.latent.shape[1] >= options.segment_frames]
    held_out = min(VALIDATION_SENTENCES, max(1, len(usable) // 10))
    validation, training = usable[:held_out], usable[held_out:]
    if not training:
        raise DistillError(
            f"no sentence of the source is {options.segment_frames} frames long besides the {held_out} held out; raise --sentences"
        )
    hop = source.config.audio.hop_length
    context = context_frames(config)
    decoder = build_student_decoder(source, config, options.seed)
    if initial is not None:
        _start_from(decoder, initial)
    optimizer = torch.optim.AdamW(decoder.parameters(), options.learning_rate, betas=(0.8, 0.99), weight_decay=0.01)
    losses = _Losses(source)
    rng = np.random.default_rng(options.seed)
    pair_f0 = _source_f0(training, source.config.audio.sample_rate, hop, options.progress) if config.harmonic_source else None
    adversary = None if options.discriminator is None else DecoderAdversary(options.discriminator, options.learning_rate, options.seed)
    # With a discriminator, the steps it trained are the ones to choose from (their mel distance is no lower).
    first_eligible = options.discriminator_after + 1 if adversary is not None else 0
    step, best_step, best_validation, best_state = 0, 0, math.inf, None
    state_path = run_dir / STATE_FILE
    if state_path.is_file():
        state = torch.load(state_path, weights_only=False)
        decoder.load_state_dict(state["decoder"])
        optimizer.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        step, best_step, best_validation, best_state = state["step"], state["best_step"], state["best_validation"], state["best"]
        if adversary is not None and state.get("adversary") is not None:
            adversary.load_state_dict(state["adversary"])
        elif adversary is not None:
            _refuse_late_join(run_dir, step, options.discriminator_after)
    already_complete = step >= options.steps
    if step == 0:
        best_validation, best_state = _validation(decoder, validation, losses, options.through_flow), None
        logger.info("decoder student at step 0: held-out mel distance %.3f", best_validation)
    decoder.train()
    bar = tqdm(total=options.steps, initial=step, desc="decoder student", unit="step", disable=not options.progress)
    while step < options.steps:
        batch = _segments(training, rng, options.batch_size, options.segment_frames, context, hop, options.through_flow, pair_f0)
        target = batch.waveform
        # A harmonic source sounds the source's own F0 here (as voice training sounds the recordings'), so the body
        # learns to shape harmonics that are right while the head learns to read them.
        generated = batch.centre(decoder(batch.latent, batch.speaker, batch.f0), options.segment_frames, hop)
        adversarial = adversary is not None and step >= options.discriminator_after
        if adversarial:
            adversary.train_step(target, generated)
        loss = losses(generated, target)
        if adversarial:
            loss = loss + adversary.generator_loss(target, generated)
        if batch.f0 is not None:
            loss = loss + options.pitch_loss_weight * pitch_loss(decoder.harmonic_source.predict(batch.latent, batch.speaker), batch.f0)
        if not torch.isfinite(loss):
            raise DistillError(f"step {step}: the decoder student's loss is {float(loss)}; lower the learning rate")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        loss = loss.detach()
        torch.nn.utils.clip_grad_norm_(decoder.parameters(), 10.0)
        optimizer.step()
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{float(loss):.3f}", refresh=False)
        if step % options.checkpoint_every == 0 or step == options.steps:
            validation_distance = _validation(decoder, validation, losses, options.through_flow)
            if step >= first_eligible and (best_step < first_eligible or validation_distance < best_validation):
                best_step, best_validation = step, validation_distance
                best_state = {name: tensor.clone() for name, tensor in decoder.state_dict().items()}
            logger.info("decoder student step %d: held-out mel distance %.3f (best %.3f at step %d)",
                        step, validation_distance, best_validation, best_step)
            _save(state_path, decoder, optimizer, rng, step, best_step, best_validation, best_state, adversary)
    bar.close()
    if best_state is not None:
        decoder.load_state_dict(best_state)
    decoder.eval()
    return decoder, DecoderTrainingResult(step, best_step, best_validation, already_complete)


def check_discriminator_joins(run_dir: Path, discriminator_after: int | None) -> None:
    """Refuse a discriminator joining the decoder run in ``run_dir`` (trained so far without one) at a step it has
    already passed; a run not started yet takes any."""
    state_path = run_dir / STATE_FILE
    if discriminator_after is not None and state_path.is_file():
        _refuse_late_join(run_dir, int(torch.load(state_path, weights_only=False)["step"]), discriminator_after)


def _refuse_late_join(run_dir: Path, step: int, discriminator_after: int) -> None:
    if step > discriminator_after:
        raise DistillError(
            f"{run_dir} reached step {step} without a discriminator: it can join from there on "
            f"(--discriminator-after {step} or later), not at step {discriminator_after}"
        )


def _start_from(decoder: UpsamplingDecoder, initial: dict[str, torch.Tensor]) -> None:
    """``decoder``'s weights from ``initial`` (a decoder's state dict): every one of ``initial``'s must fit; the student's
    own that it lacks (a harmonic source) keep their start (zero, so the student first speaks as that decoder)."""
    own = decoder.state_dict()
    unfit = [name for name, tensor in initial.items() if name not in own or own[name].shape != tensor.shape]
    if unfit:
        raise DistillError(
            f"the source's decoder does not fit the student's ({len(unfit)} weights differ, e.g. {unfit[0]}): "
            "--decoder-from-source needs the same decoder; leave it out to start from fresh weights"
        )
    decoder.load_state_dict({**own, **{name: tensor.float() for name, tensor in initial.items()}})


def _save(path: Path, decoder: UpsamplingDecoder, optimizer: torch.optim.Optimizer, rng: np.random.Generator,
          step: int, best_step: int, best_validation: float, best_state: dict[str, torch.Tensor] | None,
          adversary: DecoderAdversary | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"decoder": decoder.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng.bit_generator.state,
             "step": step, "best_step": best_step, "best_validation": best_validation, "best": best_state,
             "adversary": None if adversary is None else adversary.state_dict()}
    with atomic_path(path) as temporary:
        torch.save(state, temporary)
