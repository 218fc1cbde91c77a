"""Per-language validation figures of a generator, with no global random state touched.

``mel_loss`` goes through the whole text path: text encoder -> prior means laid out by the clip's own
alignment (its manifest durations, else alignment search on the posterior) -> flow (reverse) -> decoder,
compared frame by frame with the clip's mel. Unlike the reconstruction loss (posterior -> decoder) it rises
when a language's text embeddings or encoder drift, which is how forgetting shows. ``log_duration_error``
compares the deterministic duration predictor's total with the clip's length. The objective figures of
``polyvox evaluate`` (MCD after DTW, F0 RMSE) are added by :func:`evaluate_figures` when that package
and its WORLD analysis can be imported.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from polyvox.data.dataset import Batch
from polyvox.models.vits import VitsGenerator, sequence_mask

logger = logging.getLogger(__name__)

# Figures where a rise means the language got worse (the forgetting check watches these).
WATCHED_FIGURES = ("mel_loss", "mcd_db")


@torch.no_grad()
def text_path_figures(generator: VitsGenerator, mel_transform: torch.nn.Module, batch: Batch) -> dict[str, float]:
    """``mel_loss`` and ``log_duration_error`` of one batch (see the module's docstring)."""
    speaker = generator.speaker_vector(batch.speaker_ids)
    text = generator.text_encoder(batch.phoneme_ids, batch.language_ids, batch.text_lengths, speaker, batch.prosody_ids)
    frame_mask = sequence_mask(batch.mel_lengths, batch.mel.shape[-1]).unsqueeze(1).to(batch.mel.dtype)
    posterior = generator.posterior_encoder(batch.mel, frame_mask, speaker, noise_scale=0.0)
    flow_latent = generator.flow(posterior.means * frame_mask, frame_mask, speaker)
    # The training pass's own rule: manifest durations where the clip has them, alignment search elsewhere
    # (within the manifest's windows where the voice takes them so).
    path = generator._alignment(
        text, flow_latent, text.text_mask.squeeze(1) > 0, frame_mask.squeeze(1) > 0, batch.durations, batch.has_durations,
        batch.duration_windows,
    ).to(batch.mel.dtype)
    prior_latent = generator.frame_statistics(text, path, frame_mask, speaker)[0] * frame_mask
    waveform = generator.decode_latent(prior_latent, frame_mask, speaker)
    generated = mel_transform(waveform)[..., : batch.mel.shape[-1]]
    mel_loss = torch.sum(torch.abs(generated - batch.mel) * frame_mask) / (torch.sum(frame_mask) * batch.mel.shape[1])
    log_frames = generator.duration_predictor(text.hidden, text.text_mask, speaker)
    # The offset the predictor was trained with (1 for polyvox's voices, 0 for the VITS family's, e.g. Piper imports).
    offset = generator.config.duration.log_duration_offset
    predicted = ((torch.exp(log_frames) - offset).clamp(min=0.0) * text.text_mask).sum(dim=(1, 2)).clamp(min=1.0)
    duration_error = torch.mean(torch.abs(torch.log(predicted / batch.mel_lengths.to(predicted.dtype))))
    return {"mel_loss": float(mel_loss), "log_duration_error": float(duration_error)}


@torch.no_grad()
def free_running_waveforms(generator: VitsGenerator, batch: Batch) -> list[np.ndarray]:
    """Each clip synthesized from its text alone (predicted durations, no noise)."""
    noise = torch.Generator(device=batch.phoneme_ids.device).manual_seed(0)
    output = generator.synthesize(
        batch.phoneme_ids, batch.language_ids, batch.text_lengths, batch.speaker_ids, noise_scale=0.0,
        noise_scale_duration=0.0, noise_generator=noise, prosody_ids=batch.prosody_ids,
    )
    return [output.waveform[row, 0, : int(output.sample_lengths[row])].float().cpu().numpy() for row in range(output.waveform.shape[0])]


class EvaluateFigures:
    """The hook for ``polyvox evaluate``'s figures (MCD after DTW, F0 RMSE in cents) per language.

    Inactive, with one log line saying why, when ``polyvox.evaluation`` or its WORLD analysis (pyworld)
    cannot be imported: validation then reports the mel figures only.
    """

    def __init__(self, sample_rate: int, hop_length: int) -> None:
        self.sample_rate = sample_rate
        self._analyzer = None
        try:
            from polyvox.evaluation import AnalysisSettings, SpeechAnalyzer

            # Frame buzz is looked for at this voice's own frame rate.
            self._analyzer = SpeechAnalyzer(sample_rate, AnalysisSettings(frame_rate_hz=sample_rate / hop_length))
        except ImportError as error:
            logger.info("per-language validation without MCD / F0 figures (%s); install polyvox's evaluation extra for them", error)

    @property
    def active(self) -> bool:
        return self._analyzer is not None

    def __call__(self, generator: VitsGenerator, batch: Batch) -> dict[str, float]:
        if self._analyzer is None:
            return {}
        from polyvox.evaluation import score

        hop = generator.hop_length
        synthesized = free_running_waveforms(generator, batch)
        mcd, cents, buzz = [], [], []
        for row, samples in enumerate(synthesized):
            reference = batch.waveform[row, 0, : int(batch.mel_lengths[row]) * hop].float().cpu().numpy()
            scores = score(self._analyzer.analyze(reference), self._analyzer.analyze(samples))
            mcd.append(scores.mcd_db)
            cents.append(scores.f0_rmse_cents)
            buzz.append(scores.frame_buzz)
        return {"mcd_db": _finite_mean(mcd), "f0_rmse_cents": _finite_mean(cents), "frame_buzz": _finite_mean(buzz)}


def _finite_mean(values: list[float]) -> float:
    finite = [value for value in values if math.isfinite(value)]
    return float(np.mean(finite)) if finite else float("nan")


def language_figures(
    generator: VitsGenerator, mel_transform: torch.nn.Module, batch: Batch, evaluate: EvaluateFigures | None
) -> dict[str, float]:
    """Every figure of one language's validation batch; the generator is put in eval mode meanwhile."""
    modes = {name: module.training for name, module in generator.named_modules()}
    generator.eval()
    try:
        with torch.random.fork_rng(devices=[]):
            figures = text_path_figures(generator, mel_transform, batch)
            if evaluate is not None:
                figures.update(evaluate(generator, batch))
    finally:
        for name, module in generator.named_modules():
            module.training = modes[name]
    return figures


# Figures that are differences from the reference clip: near zero and of either sign, so a ratio of two
# of them means nothing (frame_buzz 0.006 -> 0.5 read "+8175.6% since start"); their change is a difference.
DIFFERENCE_FIGURES = ("frame_buzz",)
# Below this size any start value makes a relative change meaningless; the change is then a difference too.
TINY_START = 0.05


def change_text(name: str, value: float, start: float) -> str:
    """Figure ``name``'s change from ``start``: '+3.5%', or '+0.49' for a difference figure or a tiny start; '' when undefined."""
    if not (math.isfinite(value) and math.isfinite(start)):
        return ""
    if name in DIFFERENCE_FIGURES or abs(start) < TINY_START:
        return f"{value - start:+.3g}"
    return f"{figure_delta(value, start):+.1%}"


def figure_delta(value: float, start: float) -> float:
    """Relative change from ``start`` (positive: worse for a watched figure); NaN when undefined."""
    if not (math.isfinite(value) and math.isfinite(start)) or start == 0:
        return float("nan")
    return (value - start) / abs(start)
