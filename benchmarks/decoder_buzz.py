"""Where a voice's frame-rate comb comes from: the frame buzz (polyvox.evaluation.buzz) of each speaker's recordings,
of their copy-synthesis (the recording's mel through the voice's posterior encoder, a sample of it, and the decoder)
and of text-to-speech of the same sentences, side by side for several voices.

A comb in copy-synthesis is the decoder's (given the latents the posterior reads from real speech); one only in
text-to-speech comes from the latents the prior and flow make. Beside it, the posterior's noise: its mean standard
deviation over the spread of its means across the clip's frames, per speaker (near 1, a sample of the latent is mostly
noise drawn afresh every frame, and the decoder is left to invent what the latent does not carry).

    python benchmarks/decoder_buzz.py --manifest runs/v2/corpus/manifest.jsonl VOICE.safetensors [VOICE ...] [--clips 4]

Each speaker's last ``--clips`` clips of the manifest (the listener recipe's corpus: the voice's own speakers, whose
clips it trained on; the figure is about the sound, not generalisation). Writes benchmarks/results/decoder_buzz.json.
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
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.buzz import frame_rate_buzz

RESULTS = Path(__file__).resolve().parent / "results"


def clips_by_speaker(manifest: Path, count: int) -> dict[str, list]:
    speakers: dict[str, list] = {}
    for utterance in read_manifest(manifest):
        speakers.setdefault(utterance.speaker, []).append(utterance)
    return {speaker: utterances[-count:] for speaker, utterances in speakers.items()}


@torch.no_grad()
def copy_synthesis(voice: Voice, samples: np.ndarray, speaker: int) -> tuple[np.ndarray, float]:
    """The decoder's audio from a sample of the posterior, and the posterior's noise ratio."""
    generator = voice.generator
    spectrogram = MelSpectrogram(voice.metadata.config.audio)(torch.from_numpy(samples)[None])
    frames = spectrogram.shape[-1]
    speaker_vector = generator.speaker_vector(torch.tensor([speaker]))
    posterior = generator.posterior_encoder(spectrogram, torch.ones(1, 1, frames), speaker_vector)
    noise = float(posterior.log_scales.exp().mean() / posterior.means[0].std(dim=1).mean())
    return generator.decoder(posterior.latent, speaker_vector)[0, 0].float().numpy(), noise


def measure(path: Path, clips: dict[str, list], manifest_folder: Path) -> dict[str, dict[str, float]]:
    voice = Voice.load(path)
    torch.manual_seed(0)  # the posterior's samples: the same for every voice and run
    table: dict[str, dict[str, float]] = {}
    for speaker, utterances in clips.items():
        if speaker not in voice.speakers:
            continue
        figures: dict[str, list[float]] = {"recording": [], "copy_synthesis": [], "text_to_speech": [], "posterior_noise": []}
        for utterance in utterances:
            samples, rate = soundfile.read(manifest_folder / utterance.audio, dtype="float32")
            figures["recording"].append(frame_rate_buzz(samples, rate))
            copied, noise = copy_synthesis(voice, samples, voice.speakers.index(speaker))
            figures["copy_synthesis"].append(frame_rate_buzz(copied, rate))
            figures["posterior_noise"].append(noise)
            spoken = voice.synthesize(utterance.text, language=utterance.language, speaker=speaker, seed=0)
            figures["text_to_speech"].append(frame_rate_buzz(spoken.samples, spoken.sample_rate))
        table[speaker] = {name: round(float(np.mean(values)), 3) for name, values in figures.items()}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("voices", nargs="+", type=Path)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--clips", type=int, default=4, help="clips per speaker")
    parser.add_argument("--name", default="decoder_buzz", help="results file name")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    started = time.monotonic()
    clips = clips_by_speaker(arguments.manifest, arguments.clips)
    results = {str(path): measure(path, clips, arguments.manifest.parent) for path in arguments.voices}
    print("| voice | speaker | recording | copy-synthesis | text-to-speech | posterior noise |")
    print("|---|---|---:|---:|---:|---:|")
    for voice, table in results.items():
        for speaker, figures in table.items():
            print(f"| {Path(voice).name} | {speaker} | {figures['recording']:.2f} | {figures['copy_synthesis']:.2f} | {figures['text_to_speech']:.2f} | {figures['posterior_noise']:.2f} |")
    output = RESULTS / f"{arguments.name}.json"
    output.write_text(json.dumps({
        "command": "python benchmarks/decoder_buzz.py " + " ".join(str(path) for path in arguments.voices)
        + f" --manifest {arguments.manifest} --clips {arguments.clips}",
        "clips_per_speaker": arguments.clips, "frame_buzz": results, "seconds": round(time.monotonic() - started),
    }, indent=1) + "\n", encoding="utf-8")
    print(f"{time.monotonic() - started:.0f} s; wrote {output}")


if __name__ == "__main__":
    main()
