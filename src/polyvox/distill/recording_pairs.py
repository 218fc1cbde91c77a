"""Decoder pairs from recordings: a decoder student that learns to make the recordings themselves, not the source
decoder's speech (``polyvox distill --student decoder --recordings MANIFEST``).

For each recording the input is by default what voice training decodes (``latent="posterior"``): the posterior
encoder's reading of the recording, its means and log-scales, from which training draws a fresh sample each time. Or
(``latent="synthesis"``) it is what the source voice hands its decoder at synthesis for that sentence (text -> prior ->
sample -> flow, with the voice's own noise scale), timed as the recording is: each phoneme gets the frames the
alignment search gives it between the voice's prior and the recording (``AlignedSynthesis``), so the latent and the
recording line up frame by frame; on the bundled voice's corpus that kept the words far worse (the latent, one prior
per phoneme, does not determine the recording). The target is the recording. A voice whose decoder never learned human
speech well (or rings) gets a new one trained on speech; everything that decides what is said stays the voice's own.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from polyvox.audio.features import MelSpectrogram
from polyvox.audio.io import AudioError, load_audio
from polyvox.data.manifest import ManifestError, Utterance, read_manifest
from polyvox.distill.decoder_pairs import DecoderPair, frames_window, save_pair
from polyvox.distill.options import DistillError
from polyvox.evaluation.aligned_synthesis import AlignedSynthesis, text_inputs
from polyvox.evaluation.errors import EvaluationError
from polyvox.evaluation.sources import Recording
from polyvox.inference.speed import float32_without_onednn
from polyvox.inference.voice import Voice
from polyvox.text.errors import TextError

logger = logging.getLogger(__name__)

# Recordings longer than this are left out: one pair holds the whole sentence in memory during training.
MAX_SECONDS = 30.0


def recordings_of(manifest: Path, voice: Voice) -> list[Utterance]:
    """The manifest's utterances in the voice's speakers and languages; a manifest with none is a DistillError."""
    try:
        utterances = read_manifest(manifest)
    except (ManifestError, OSError) as error:
        raise DistillError(f"--recordings {manifest}: {error}") from error
    usable = [u for u in utterances if u.speaker in voice.speakers and u.language in voice.languages]
    if not usable:
        speakers = sorted({u.speaker for u in utterances})[:5]
        raise DistillError(
            f"--recordings {manifest}: none of its speakers ({', '.join(speakers)}) is one of the voice's "
            f"({', '.join(voice.speakers)}) in a language it speaks; the student learns a recording as that speaker"
        )
    return usable


def recording_pair(aligner: AlignedSynthesis, recording: Recording, seed: int) -> DecoderPair:
    """The latent the voice decodes for ``recording``'s sentence, timed as the recording, and the recording."""
    voice = aligner.voice
    generator = voice.generator
    encoded, frames = aligner.durations(recording)
    ids, language_ids, lengths, prosody, features = text_inputs(encoded)
    noise = torch.Generator().manual_seed(seed)
    with torch.no_grad(), float32_without_onednn(generator):
        prior = generator.encode_prior(
            ids, language_ids, lengths, torch.tensor([aligner.speaker_index(recording.utterance)]),
            durations=torch.from_numpy(frames).unsqueeze(0).float(), noise_generator=noise, prosody_ids=prosody,
            text_features=features,
        )
        prior_latent = generator.sample_prior(prior, aligner.noise_scale, noise_generator=noise)
        latent = generator.flow(prior_latent, prior.frame_mask, prior.prosody_speaker, reverse=True) * prior.frame_mask
    speaker = prior.speaker[0, :, 0] if prior.speaker is not None else torch.zeros(0)
    waveform = _target(recording, int(frames.sum()), voice.metadata.config.audio.hop_length)
    return DecoderPair(latent[0].float().numpy(), speaker.float().numpy(), waveform, prior_latent[0].float().numpy())


def posterior_pair(voice: Voice, mel: MelSpectrogram, recording: Recording) -> DecoderPair:
    """The posterior encoder's means and log-scales for ``recording`` (as voice training reads it), and the recording."""
    generator = voice.generator
    with torch.no_grad(), float32_without_onednn(generator):
        spectrogram = mel(torch.from_numpy(recording.samples).float().unsqueeze(0))
        frame_mask = torch.ones(1, 1, spectrogram.shape[-1])
        speaker = generator.speaker_vector(torch.tensor([voice.speakers.index(recording.utterance.speaker)]))
        posterior = generator.posterior_encoder(spectrogram, frame_mask, speaker, noise_scale=0.0)
        flowed = generator.flow(posterior.means, frame_mask, speaker)
    hop = voice.metadata.config.audio.hop_length
    return DecoderPair(
        posterior.means[0].float().numpy(), speaker[0, :, 0].float().numpy(), _target(recording, spectrogram.shape[-1], hop),
        flowed[0].float().numpy(), posterior.log_scales[0].float().numpy(),
    )


def _target(recording: Recording, frames: int, hop: int) -> np.ndarray:
    """The recording cut or padded to ``frames`` latent frames."""
    return np.clip(frames_window(recording.samples, 0, frames * hop), -1.0, 1.0)


def build_recording_pairs(
    voice: Voice, manifest: Path, folder: Path, seed: int, progress: bool, latent: str = "posterior"
) -> list[Path]:
    """A pair for every usable recording of ``manifest`` (reusing those an earlier run wrote), taken in turn from each
    speaker and language;
    ``latent``: "posterior" (posterior_pair) or "synthesis" (recording_pair)."""
    from tqdm.auto import tqdm

    utterances = recordings_of(manifest, voice)
    if latent == "synthesis":
        try:
            aligner = AlignedSynthesis(voice, seed, noise_scale=voice.text.synthesis.noise_scale)
        except EvaluationError as error:
            raise DistillError(f"--recording-latent synthesis: {error}") from error
    mel = MelSpectrogram(voice.metadata.config.audio)
    rate = voice.metadata.config.audio.sample_rate
    folder.mkdir(parents=True, exist_ok=True)
    paths, groups, skipped = [], [], 0
    for index, utterance in enumerate(tqdm(utterances, desc="recordings", unit="clip", disable=not progress)):
        path = folder / f"{index:06d}_{Path(utterance.audio).stem}.npz"
        if not path.is_file():
            try:
                samples = load_audio(utterance.audio, rate, max_seconds=MAX_SECONDS + 1)
                if samples.shape[0] > MAX_SECONDS * rate:
                    raise AudioError(f"longer than {MAX_SECONDS:.0f} s")
                recording = Recording(path.stem, utterance, samples)
                pair = recording_pair(aligner, recording, seed + index) if latent == "synthesis" else posterior_pair(voice, mel, recording)
                save_pair(path, pair)
            except (AudioError, TextError) as error:
                logger.warning("recording %s left out: %s", utterance.audio, error)
                skipped += 1
                continue
        paths.append(path)
        groups.append((utterance.speaker, utterance.language))
    if not paths:
        raise DistillError(f"--recordings {manifest}: no recording could be used (see the warnings above)")
    if skipped:
        logger.info("%d of %d recordings left out", skipped, len(utterances))
    return _interleaved(paths, groups)


def _interleaved(paths: list[Path], groups: list[tuple[str, str]]) -> list[Path]:
    """``paths`` taken in turn from each (speaker, language): training holds out the first few, which then stand for
    every speaker and language of the manifest, not the first one's alone."""
    by_group: dict[tuple[str, str], list[Path]] = {}
    for path, group in zip(paths, groups):
        by_group.setdefault(group, []).append(path)
    queues = list(by_group.values())
    return [queue[turn] for turn in range(max(map(len, queues))) for queue in queues if turn < len(queue)]

