"""How much of the pitch a voice's latent carries, beside the mel spectrogram it is read from.

A small head (the harmonic source's, ``polyvox.models.decoders.harmonic_source.PitchHead``) is trained to read F0 and
voicing (WORLD's, ``polyvox.audio.frame_pitch``) from three inputs of the same clips: the log-mel spectrogram the
posterior encoder reads, the posterior's means, and a sample of the posterior (what the decoder is trained on). It is
scored on other clips: median F0 error in cents on frames both call voiced, and the share of frames whose voicing it
gets right. If the mel reads well and the latent does not, the posterior drops the pitch.

    python benchmarks/pitch_in_latent.py --manifest runs/big/corpus/manifest.jsonl VOICE.safetensors [--clips 24]

Each speaker's last ``--clips`` clips of each language: three in four train the heads, the rest score them (per
language too). A head trains on batches of 8 clips drawn at random, its rate falling to zero on a cosine: the earlier
one-clip steps at a constant 3e-3 ended wherever the last clips had thrown it (272-319 cents where this reads 30-40).
Writes benchmarks/results/pitch_in_latent.json (``--name``: another file).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

from polyvox import Voice
from polyvox.audio.features import MelSpectrogram
from polyvox.audio.frame_pitch import frame_f0
from polyvox.data.manifest import read_manifest
from polyvox.models.decoders.harmonic_source import PitchHead, f0_from_head
from polyvox.train.pitch_loss import pitch_loss

RESULTS = Path(__file__).resolve().parent / "results"
HEAD_CHANNELS = 128
STEPS = 1500
LEARNING_RATE = 1e-3
BATCH_CLIPS = 8


@torch.no_grad()
def inputs_of(voice: Voice, manifest: Path, clips: int) -> list[dict[str, torch.Tensor]]:
    """Per clip: its mel, posterior means and sample, speaker vector and F0 (cycles per sample)."""
    audio = voice.metadata.config.audio
    mel = MelSpectrogram(audio)
    groups: dict[tuple[str, str], list] = {}
    for utterance in read_manifest(manifest):
        groups.setdefault((utterance.speaker, utterance.language), []).append(utterance)
    items = []
    for (speaker, language), utterances in groups.items():
        if speaker not in voice.speakers:
            continue
        vector = voice.generator.speaker_vector(torch.tensor([voice.speakers.index(speaker)]))
        for index, utterance in enumerate(utterances[-clips:]):
            samples, rate = soundfile.read(manifest.parent / utterance.audio, dtype="float32")
            spectrogram = mel(torch.from_numpy(samples)[None])
            frames = spectrogram.shape[-1]
            posterior = voice.generator.posterior_encoder(spectrogram, torch.ones(1, 1, frames), vector)
            f0 = frame_f0(samples, rate, audio.hop_length, frames) / rate
            items.append({
                "mel": spectrogram, "means": posterior.means, "sample": posterior.latent, "speaker": vector,
                "f0": torch.from_numpy(f0).float()[None], "train": index % 4 != 3, "language": language,
            })
    return items


def train_and_score(items: list[dict[str, torch.Tensor]], key: str, speaker_channels: int) -> dict[str, float]:
    torch.manual_seed(0)
    channels = items[0][key].shape[1]
    # Each channel standardised on the training clips: log-mel (about -11 to 2) and latents differ in scale.
    joined = torch.cat([item[key][0] for item in items if item["train"]], dim=1)
    mean, std = joined.mean(dim=1, keepdim=True), joined.std(dim=1, keepdim=True).clamp(min=1e-5)
    items = [{**item, key: (item[key] - mean) / std} for item in items]
    head = PitchHead(channels, speaker_channels, HEAD_CHANNELS)
    optimizer = torch.optim.Adam(head.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, STEPS)
    training = [item for item in items if item["train"]]
    draws = torch.Generator().manual_seed(0)
    for _ in range(STEPS):
        batch = [training[i] for i in torch.randint(len(training), (BATCH_CLIPS,), generator=draws).tolist()]
        optimizer.zero_grad()
        # Clips of different lengths: the mean of each clip's loss, not a padded batch.
        (sum(pitch_loss(head(item[key], item["speaker"]), item["f0"]) for item in batch) / len(batch)).backward()
        optimizer.step()
        schedule.step()
    scored: dict[str, tuple[list[torch.Tensor], list[int]]] = {}
    with torch.no_grad():
        for item in (item for item in items if not item["train"]):
            read = f0_from_head(head(item[key], item["speaker"]))[0]
            truth = item["f0"][0]
            both = (read > 0) & (truth > 0)
            errors, counts = scored.setdefault(item["language"], ([], [0, 0]))
            errors.append(torch.abs(1200 * torch.log2(read[both] / truth[both])))
            counts[0] += int(((read > 0) == (truth > 0)).sum())
            counts[1] += truth.numel()

    def figures(errors: list[torch.Tensor], agreed: int, frames: int) -> dict[str, float]:
        return {"median_cents": round(float(torch.cat(errors).median()), 1), "voicing_agreement": round(agreed / frames, 3)}

    every = [error for errors, _ in scored.values() for error in errors]
    agreed, frames = (sum(counts[i] for _, counts in scored.values()) for i in (0, 1))
    return {**figures(every, agreed, frames), "languages": {language: figures(errors, *counts) for language, (errors, counts) in scored.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("voice", type=Path)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--clips", type=int, default=24, help="clips per speaker and language")
    parser.add_argument("--name", default="pitch_in_latent", help="results file name")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    started = time.monotonic()
    voice = Voice.load(arguments.voice)
    torch.manual_seed(0)  # the posterior's samples: the same every run
    items = inputs_of(voice, arguments.manifest, arguments.clips)
    speaker_channels = voice.metadata.config.model.speaker_channels
    table = {key: train_and_score(items, key, speaker_channels) for key in ("mel", "means", "sample")}
    languages = list(table["mel"]["languages"])
    print("| input | median F0 error (cents) | voicing agreement | " + " | ".join(f"{language} cents" for language in languages) + " |")
    print("|---|---:|---:|" + "---:|" * len(languages))
    for key, figures in table.items():
        each = " | ".join(f"{figures['languages'][language]['median_cents']:.0f}" for language in languages)
        print(f"| {key} | {figures['median_cents']:.0f} | {figures['voicing_agreement']:.3f} | {each} |")
    output = RESULTS / f"{arguments.name}.json"
    output.write_text(json.dumps({
        "command": f"python benchmarks/pitch_in_latent.py {arguments.voice} --manifest {arguments.manifest} --clips {arguments.clips}"
        + ("" if arguments.name == "pitch_in_latent" else f" --name {arguments.name}"),
        "clips": len(items), "steps": STEPS, "batch_clips": BATCH_CLIPS, "heads": table, "seconds": round(time.monotonic() - started),
    }, indent=1) + "\n", encoding="utf-8")
    print(f"{time.monotonic() - started:.0f} s; wrote {output}")


if __name__ == "__main__":
    main()
