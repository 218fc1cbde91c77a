"""LightningModule wrapping the generator and discriminators for GAN training (manual optimisation)."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
from collections.abc import Callable
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor

from polyvox.audio.features import MelSpectrogram
from polyvox.audio.frame_pitch import segment_f0
from polyvox.voice_file import VoiceMetadata, build_generator
from polyvox.data.dataset import Batch
from polyvox.fingerprint import component_fingerprint
from polyvox.models.discriminators import MultiPeriodMultiScaleDiscriminator
from polyvox.models.vits import sequence_mask, slice_segments
from polyvox.data.rank_share import stream_position
from polyvox.train.guards import first_non_finite_module, non_finite_field, non_finite_parameter
from polyvox.train.losses import discriminator_loss, feature_matching_loss, generator_adversarial_loss, kl_loss
from polyvox.train.plots import alignment_figure, mel_figure
from polyvox.train.reference_loss import reference_loss
from polyvox.train.schedule import learning_rate_schedule
from polyvox.train.source_prior import SourcePrior
from polyvox.train.comb_loss import CombLoss
from polyvox.train.stft_loss import MultiResolutionStftLoss
from polyvox.train.pitch_loss import pitch_loss
from polyvox.train.synthesis_loss import prior_waveform_segment

logger = logging.getLogger(__name__)

# What the waveform losses (mel, multi-resolution STFT, adversarial, feature matching) train: with none of these
# trainable a step skips the decoder and the discriminator (``--freeze prior``).
WAVEFORM_COMPONENTS = ("decoder", "posterior_encoder", "speaker_embedding")


def _finite_gradients(parameters: list[torch.nn.Parameter], max_norm: float) -> bool:
    """Clip in place; False when any gradient is NaN or infinite (the step must be skipped)."""
    norm = torch.nn.utils.clip_grad_norm_(parameters, max_norm)
    return bool(torch.isfinite(norm))


def _numpy_state() -> dict[str, Any]:
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    return {"keys": torch.from_numpy(keys.astype(np.int64)), "position": int(position), "has_gauss": int(has_gauss), "cached": float(cached_gaussian)}


def _random_state() -> dict[str, Any]:
    return {"torch": torch.get_rng_state(), "numpy": _numpy_state(), "python": random.getstate()}


def _gathered(value: Any) -> list[Any]:
    """``value`` of every process, in rank order (this one's alone without a process group). Called by every
    process at once: each saves the checkpoint, rank 0 writes it."""
    import torch.distributed as distributed

    if not (distributed.is_available() and distributed.is_initialized()):
        return [value]
    values: list[Any] = [None] * distributed.get_world_size()
    distributed.all_gather_object(values, value)
    return values


def _set_numpy_state(state: dict[str, Any]) -> None:
    keys = state["keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, state["position"], state["has_gauss"], state["cached"]))


class VitsTrainingModule(L.LightningModule):
    def __init__(self, metadata: VoiceMetadata) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.metadata = metadata
        self.config = metadata.config
        self.generator = build_generator(metadata)
        self.discriminator = MultiPeriodMultiScaleDiscriminator(self.config.model.discriminator)
        self.mel = MelSpectrogram(self.config.audio)
        audio = self.config.audio
        loss_fmax = self.config.training.loss_mel_fmax or audio.sample_rate / 2
        self.loss_mel = MelSpectrogram(dataclasses.replace(audio, mel_fmax=loss_fmax))
        self.loss_stft = MultiResolutionStftLoss(self.config.training.stft_loss_resolutions)
        self.loss_comb = CombLoss(self.config.audio.hop_length)
        # Counted here, not by Lightning's global_step (which counts each optimizer's steps).
        self.steps_done = 0
        # Batches of the shared stream taken by all processes together: where a resumed run goes on,
        # whatever its number of processes.
        self.stream_position = 0
        self.skipped_generator_steps = 0
        self.skipped_discriminator_steps = 0
        # For the non-finite rollback (train/guards.py): bad steps in a row, and whether a rollback
        # happened with no good step since.
        self.consecutive_bad_steps = 0
        self.rolled_back = False
        self.good_steps_since_rollback = 0
        # A fine-tune's frozen copy of its source's text encoder (training.source_prior_weight; finetune/plan.py),
        # kept out of the generator, its state dict and the optimizer.
        self.source_prior: SourcePrior | None = None

    def configure_model(self) -> None:
        """``--strategy fsdp``: shard the generator and discriminators over the processes (train/sharding.py);
        under any other strategy Lightning gives no device mesh and nothing changes."""
        if self.device_mesh is None:
            return
        from polyvox.train.sharding import shard_modules

        shard_modules({"generator": self.generator, "discriminator": self.discriminator}, self.device_mesh["data_parallel"])

    def configure_optimizers(self) -> Any:
        training = self.config.training
        optimizers, schedulers = [], []
        for module in (self.generator, self.discriminator):
            parameters = list(module.parameters())
            # The fused kernel updates every tensor in one pass, the same update up to rounding: the medium
            # preset's optimizer step 0.095 s -> 0.045 s on 2 CPU threads (benchmarks/training_speed.py).
            fused = all(parameter.device.type in ("cpu", "cuda") for parameter in parameters)
            optimizer = torch.optim.AdamW(
                self._parameter_groups(module), lr=training.learning_rate, betas=training.adam_betas, eps=training.adam_eps,
                fused=fused,
            )
            optimizers.append(optimizer)
            schedulers.append(learning_rate_schedule(optimizer, training))
        return optimizers, schedulers

    def _parameter_groups(self, module: torch.nn.Module) -> list[dict[str, Any]]:
        """One group, with the style sampler's, the harmonic source's and the frame prior's apart at their own learning
        rates where set."""
        training = self.config.training
        apart = [
            (part, rate)
            for part, rate in (
                (self.generator.style_sampler, training.style_sampler_learning_rate),
                (self.generator.decoder.harmonic_source, training.harmonic_source_learning_rate),
                (self.generator.frame_prior, training.frame_prior_learning_rate),
            )
            if module is self.generator and part is not None and rate is not None
        ]
        own = {id(parameter) for part, _ in apart for parameter in part.parameters()}
        rest = [parameter for parameter in module.parameters() if id(parameter) not in own]
        return [{"params": rest}, *({"params": list(part.parameters()), "lr": rate} for part, rate in apart)]

    def adversarial_active(self) -> bool:
        return self.steps_done >= self.config.training.discriminator_start_step

    def training_step(self, batch: Batch, batch_index: int) -> None:
        self._restore_random_state()
        training = self.config.training
        hop = self.config.audio.hop_length
        generator_optimizer, discriminator_optimizer = self.optimizers()
        waveform = self.trains_waveform()
        output = self._generator_pass(batch, decode=waveform)
        if waveform:
            target_waveform = slice_segments(batch.waveform, output.segment_starts * hop, training.segment_frames * hop)
            target_mel = self.loss_mel(target_waveform)
            generated_mel = self.loss_mel(output.waveform_segment)
        adversarial = waveform and self.adversarial_active()
        step_ok = True

        if adversarial:
            scores = self.discriminator(target_waveform, output.waveform_segment.detach())
            loss_discriminator = discriminator_loss(scores.real_scores, scores.fake_scores)
            step_ok &= self._guarded_step(discriminator_optimizer, loss_discriminator, self.discriminator, "discriminator", batch)
            self.log("train/loss_discriminator", loss_discriminator.detach(), prog_bar=False)

        loss_kl = kl_loss(
            output.flow_latent, output.posterior_log_scales, output.prior_means, output.prior_log_scales, output.frame_mask
        )
        loss_mel = torch.nn.functional.l1_loss(generated_mel, target_mel) if waveform else None
        loss_generator = (
            (training.mel_loss_weight * loss_mel if loss_mel is not None else 0.0)
            + training.kl_loss_weight * loss_kl
            + training.duration_loss_weight * output.duration_loss
        )
        if waveform and training.synthesis_loss_weight > 0:
            spoken = prior_waveform_segment(self.generator, output, training.segment_frames)
            loss_synthesis = torch.nn.functional.l1_loss(self.loss_mel(spoken), target_mel)
            loss_generator = loss_generator + training.synthesis_loss_weight * loss_synthesis
            self.log("train/loss_synthesis", loss_synthesis.detach())
        if output.pitch_prediction is not None:
            loss_pitch = pitch_loss(output.pitch_prediction, output.pitch_target)
            loss_generator = loss_generator + training.pitch_loss_weight * loss_pitch
            self.log("train/loss_pitch", loss_pitch.detach())
        if training.source_prior_weight > 0:
            loss_source = self._source_prior_loss(batch, output)
            loss_generator = loss_generator + training.source_prior_weight * loss_source
            self.log("train/loss_source_prior", loss_source.detach())
        if waveform and training.stft_loss_weight > 0:
            loss_stft = self.loss_stft(output.waveform_segment, target_waveform)
            loss_generator = loss_generator + training.stft_loss_weight * loss_stft
            self.log("train/loss_stft", loss_stft.detach())
        if waveform and training.comb_loss_weight > 0:
            loss_comb = self.loss_comb(output.waveform_segment, target_waveform)
            loss_generator = loss_generator + training.comb_loss_weight * loss_comb
            self.log("train/loss_comb", loss_comb.detach())
        if self.generator.reference_encoder is not None:
            loss_reference = reference_loss(self.generator, batch, self.config.model.reference_encoder.crop_frames)
            loss_generator = loss_generator + training.reference_loss_weight * loss_reference
            self.log("train/loss_reference", loss_reference.detach())
        if output.style is not None:
            loss_generator = loss_generator + training.style_label_loss_weight * output.style.label_loss
            self.log("train/loss_style_label", output.style.label_loss.detach())
            self._follow_neutral_style(output.style.vectors)
        if output.style is not None and self.generator.style_sampler is not None:
            loss_sampler = self._style_sampler_loss(batch, output)
            loss_generator = loss_generator + training.style_sampler_loss_weight * loss_sampler
            self.log("train/loss_style_sampler", loss_sampler.detach())
        if adversarial:
            scores = self.discriminator.for_generator(target_waveform, output.waveform_segment)
            loss_adversarial = generator_adversarial_loss(scores.fake_scores)
            loss_features = feature_matching_loss(scores.real_features, scores.fake_features)
            loss_generator = loss_generator + loss_adversarial + training.feature_loss_weight * loss_features
            self.log("train/loss_adversarial", loss_adversarial.detach())
            self.log("train/loss_features", loss_features.detach())
        step_ok &= self._guarded_step(generator_optimizer, loss_generator, self.generator, "generator", batch)
        self._count_step(step_ok)
        generator_scheduler, discriminator_scheduler = self.lr_schedulers()
        generator_scheduler.step()
        if adversarial:
            discriminator_scheduler.step()
        self.steps_done += 1
        self.stream_position += self.trainer.world_size  # each process took one batch of the shared stream
        self.log_dict(
            {
                **({} if loss_mel is None else {"train/loss_mel": loss_mel.detach()}),
                "train/loss_kl": loss_kl.detach(),
                "train/loss_duration": output.duration_loss.detach(),
                "train/loss_generator": loss_generator.detach(),
                "train/skipped_steps": float(self.skipped_generator_steps + self.skipped_discriminator_steps),
            },
            prog_bar=False,
        )
        if loss_mel is not None:
            self.log("mel", loss_mel.detach(), prog_bar=True, logger=False)
        else:  # a prior-only step has no waveform to measure
            self.log("kl", loss_kl.detach(), prog_bar=True, logger=False)
        if training.max_steps and self.steps_done >= training.max_steps:
            self.trainer.should_stop = True

    def trains_waveform(self) -> bool:
        """Whether a step decodes a waveform: something the waveform losses reach trains (the decoder, the posterior
        encoder, the speaker table), or the synthesis loss is on. Under ``--freeze prior`` nothing does, so the
        decoder and the discriminator are skipped: the step trains the prior by its KL and duration losses alone."""
        if self.config.training.synthesis_loss_weight > 0:
            return True
        return any(
            parameter.requires_grad for name, parameter in self.generator.named_parameters()
            if name.split(".", 1)[0] in WAVEFORM_COMPONENTS
        )

    def _generator_pass(self, batch: Batch, decode: bool = True) -> Any:
        """The generator's training pass on ``batch`` (the step's, and the non-finite search's re-run of it)."""
        return self.generator(
            batch.phoneme_ids, batch.language_ids, batch.text_lengths, batch.mel, batch.mel_lengths, batch.speaker_ids,
            segment_frames=self.config.training.segment_frames, durations=batch.durations,
            has_durations=batch.has_durations, prosody_ids=batch.prosody_ids, style_ids=batch.style_ids,
            text_features=batch.text_features, duration_windows=batch.duration_windows, decode=decode,
            segment_f0=self._segment_f0(batch) if self.generator.decoder.harmonic_source is not None else None,
        )

    def _segment_f0(self, batch: Batch) -> Callable[[Tensor], Tensor]:
        """The recordings' F0 of the decoded segments, read when the generator has chosen them."""
        hop, frames = self.config.audio.hop_length, self.config.training.segment_frames

        def read(starts: Tensor) -> Tensor:
            return segment_f0(slice_segments(batch.waveform, starts * hop, frames * hop), self.config.audio.sample_rate, hop)

        return read

    @torch.no_grad()
    def _follow_neutral_style(self, styles: Tensor) -> None:
        """The neutral style (strength 0) follows the mean of the styles trained with."""
        neutral = self.generator.style_encoder.neutral
        neutral.lerp_(styles.detach().mean(dim=0).to(neutral.dtype), 1.0 - self.config.training.style_neutral_momentum)

    def _style_sampler_loss(self, batch: Batch, output: Any) -> Tensor:
        """The style sampler's flow-matching loss on the styles this step trained with, detached (and so is its
        condition): it learns them without moving the style encoder, the text encoder or the speaker table."""
        condition = self.generator.style_condition(
            batch.phoneme_ids, batch.language_ids, batch.text_lengths, output.speaker.detach(), batch.prosody_ids,
            batch.text_features,
        )
        return self.generator.style_sampler.loss(output.style.vectors.detach().float(), condition)

    def _source_prior_loss(self, batch: Batch, output: Any) -> Tensor:
        if self.source_prior is None:
            raise RuntimeError("training.source_prior_weight is set but the fine-tune gave no source prior")
        return self.source_prior.loss(
            self.generator.text_encoder, batch.phoneme_ids, batch.language_ids, batch.text_lengths,
            output.prosody_speaker.detach(), batch.prosody_ids, batch.text_features,
        )

    def _guarded_step(self, optimizer: Any, loss: Tensor, module: torch.nn.Module, name: str, batch: Batch) -> bool:
        """Skip the update (count it, and name where the non-finite value came from) when the loss or
        any gradient is not finite; True when the update was made."""
        optimizer.zero_grad(set_to_none=True)
        finite_here = bool(torch.isfinite(loss))
        # Agreed by every process: one process's bad batch skips the step everywhere, so none waits in the
        # gradient exchange of a backward pass the others skipped, and the parameters never diverge.
        if not self.trainer.strategy.reduce_boolean_decision(finite_here, all=True):
            self._count_skip(name, "loss", self._locate_non_finite(batch) if not finite_here else "in another process")
            return False
        self.manual_backward(loss)
        if not _finite_gradients(list(module.parameters()), self.config.training.grad_clip_norm):
            source = non_finite_parameter(module, gradients=True)
            optimizer.zero_grad(set_to_none=True)
            self._count_skip(name, "gradient", f"first in the gradient of {name}.{source}" if source else "")
            return False
        optimizer.step()
        return True

    def _locate_non_finite(self, batch: Batch) -> str:
        """Only after a bad step: the batch field, parameter or first module that is not finite."""
        field_name = non_finite_field(batch)
        if field_name is not None:
            return f"the batch's {field_name} is not finite (bad data)"
        for model, model_name in ((self.generator, "generator"), (self.discriminator, "discriminator")):
            parameter = non_finite_parameter(model, gradients=False)
            if parameter is not None:
                return f"parameter {model_name}.{parameter} is not finite"
        module_name = first_non_finite_module(self.generator, lambda: self._generator_pass(batch))
        if module_name is not None:
            return f"first produced by generator.{module_name}"
        return "generator outputs are finite: it arose in the discriminator or a loss"

    def _count_skip(self, name: str, what: str, source: str) -> None:
        if name == "generator":
            self.skipped_generator_steps += 1
        else:
            self.skipped_discriminator_steps += 1
        logger.warning("step %d: non-finite %s %s (%s); update skipped", self.steps_done, name, what, source or "source not found")

    def _count_step(self, ok: bool) -> None:
        if ok:
            self.consecutive_bad_steps = 0
            self.good_steps_since_rollback += 1
        else:
            self.consecutive_bad_steps += 1

    def note_rollback(self) -> None:
        """Called by the rollback callback once the weights are back at a good checkpoint."""
        self.consecutive_bad_steps = 0
        self.rolled_back = True
        self.good_steps_since_rollback = 0

    def validation_step(self, batch: Batch, batch_index: int) -> None:
        generator = self.generator
        speaker = generator.speaker_vector(batch.speaker_ids)
        frame_mask = sequence_mask(batch.mel_lengths, batch.mel.shape[-1]).unsqueeze(1).to(batch.mel.dtype)
        posterior = generator.posterior_encoder(batch.mel, frame_mask, speaker, noise_scale=0.0)
        reconstruction = generator.decoder(posterior.latent, speaker)
        reconstruction_mel = self.mel(reconstruction)[..., : batch.mel.shape[-1]]
        loss_reconstruction = torch.sum(torch.abs(reconstruction_mel - batch.mel) * frame_mask) / (
            torch.sum(frame_mask) * batch.mel.shape[1]
        )
        synthesis = generator.synthesize(
            batch.phoneme_ids, batch.language_ids, batch.text_lengths, batch.speaker_ids, noise_scale=0.0,
            prosody_ids=batch.prosody_ids, text_features=batch.text_features,
        )
        predicted_frames = synthesis.durations.sum(dim=1).clamp(min=1)
        duration_error = torch.mean(torch.abs(torch.log(predicted_frames / batch.mel_lengths)))
        # Every process of a multi-process run validates the same clips: the mean over processes is that figure.
        self.log("val/mel_reconstruction", loss_reconstruction, batch_size=batch.mel.shape[0], sync_dist=True)
        self.log("val/log_duration_error", duration_error, batch_size=batch.mel.shape[0], sync_dist=True)
        if batch_index == 0:
            self._log_media(batch, synthesis.waveform, synthesis.sample_lengths, synthesis.path)

    def _log_media(self, batch: Batch, waveform: Tensor, sample_lengths: Tensor, path: Tensor) -> None:
        experiment = getattr(self.logger, "experiment", None)
        if experiment is None or not hasattr(experiment, "add_audio"):
            return
        rate = self.config.audio.sample_rate
        samples = waveform[0, 0, : int(sample_lengths[0])].float().cpu()
        # The clip's own audio is the "recording": "reference" names the timbre clip of a reference encoder.
        recording = batch.waveform[0, 0, : int(batch.mel_lengths[0]) * self.config.audio.hop_length].cpu()
        experiment.add_audio("synthesized", samples.unsqueeze(0), self.steps_done, rate)
        experiment.add_audio("recording", recording.unsqueeze(0), self.steps_done, rate)
        synthesized_mel = self.mel(samples.unsqueeze(0).to(batch.mel.device))[0].cpu()
        experiment.add_figure(
            "mel", mel_figure(synthesized_mel, batch.mel[0, :, : int(batch.mel_lengths[0])].cpu()), self.steps_done
        )
        experiment.add_figure(
            "alignment", alignment_figure(path[0, : int(batch.text_lengths[0])].cpu()), self.steps_done
        )

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["polyvox"] = {
            "steps_done": self.steps_done,
            "stream_position": self.stream_position,
            "skipped_generator_steps": self.skipped_generator_steps,
            "skipped_discriminator_steps": self.skipped_discriminator_steps,
            # A style sampler's weights are fingerprinted: they are read only for a voice that has one.
            "metadata": self.metadata.to_strings(self.generator.state_dict() if self.generator.style_sampler is not None else None),
            # With the discriminator: what a resumed run must match exactly.
            "fingerprint": json.dumps(component_fingerprint(self.metadata, include_discriminator=True)),
            # Plain tensors and tuples only, so the checkpoint loads with torch.load(weights_only=True).
            "rng": _random_state(),
            # Every process's own: they draw different numbers (segments, noise) from their different batches.
            "rng_per_rank": _gathered(_random_state()),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint["polyvox"]
        self.steps_done = int(state["steps_done"])
        self.stream_position = stream_position(state, self._trainer.world_size if self._trainer is not None else 1)
        self.skipped_generator_steps = int(state["skipped_generator_steps"])
        self.skipped_discriminator_steps = int(state["skipped_discriminator_steps"])
        per_rank = state.get("rng_per_rank")
        trainer = self._trainer
        if per_rank is not None and trainer is not None and len(per_rank) == trainer.world_size:
            self._rng_to_restore = per_rank[trainer.global_rank]
        else:  # an older checkpoint, or another number of processes: the exact sequence cannot be kept anyway
            self._rng_to_restore = state["rng"]

    def _restore_random_state(self) -> None:
        # Restored at the first step, after Lightning has built the data iterator (which draws a seed),
        # so a resumed run draws exactly the numbers the uninterrupted run would have.
        rng = getattr(self, "_rng_to_restore", None)
        if rng is not None:
            torch.set_rng_state(rng["torch"])
            _set_numpy_state(rng["numpy"])
            random.setstate(rng["python"])
            self._rng_to_restore = None
