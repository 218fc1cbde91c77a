"""Where a voice's frame-rate comb comes from: the frame buzz (polyvox.evaluation.buzz) of each speaker's recordings,
of their copy-synthesis (the recording's mel through the voice's posterior encoder, a sample of it, and the decoder)
and of text-to-speech of the same sentences, side by side for several voices.

A comb in copy-synthesis is the decoder's (given the latents the posterior reads from real speech); one only in
text-to-speech comes from the latents the prior and flow make. Beside it, the posterior's noise: its mean standard
deviation over the spread of its means across the clip's frames, per speaker (near 1, a sample of the latent is mostly
noise drawn afresh every frame, and the decoder is left to invent what the latent does not carry). For a voice whose
decoder has a harmonic source (``model.decoder.harmonic_source``), copy-synthesis again with the source driven by the
recording's own F0 and by none, and its head's F0 error: whether the decoder hears the source at all. Two more
copy-syntheses: from the posterior's means (no noise), and, for a decoder whose up-sampling is not balanced
(``model.decoder.balanced_upsampling``), through the same decoder with its up-sampling kernels projected onto balanced
ones, untrained: how much of the comb the kernels' unequal phase sums make. Each voice's up-sampling stages' phase
imbalance is printed and written too (a voice whose speakers are not the corpus's, such as an imported Piper voice,
gives only that).

    python benchmarks/decoder_buzz.py --manifest runs/v2/corpus/manifest.jsonl VOICE.safetensors [VOICE ...] [--clips 4]
        [--plot docs/images/decoder_buzz.png --plot-speaker piper_joe]

Each speaker's last ``--clips`` clips of the manifest (the listener recipe's corpus: the voice's own speakers, whose
clips it trained on; the figure is about the sound, not generalisation). Writes benchmarks/results/decoder_buzz.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
from torch.nn.utils import parametrize

from listener_spectrograms import draw_spectrograms

from polyvox import Voice
from polyvox.audio.features import MelSpectrogram
from polyvox.audio.frame_pitch import frame_f0
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.buzz import frame_rate_buzz
from polyvox.voice_file import read_metadata
from polyvox.models.decoders.balanced_upsampling import BalancedPolyphase, phase_imbalance

RESULTS = Path(__file__).resolve().parent / "results"
PLOT_TOP_HZ = 3000


def clips_by_speaker(manifest: Path, count: int) -> dict[str, list]:
    speakers: dict[str, list] = {}
    for utterance in read_manifest(manifest):
        speakers.setdefault(utterance.speaker, []).append(utterance)
    return {speaker: utterances[-count:] for speaker, utterances in speakers.items()}


@torch.no_grad()
def copy_synthesis(voice: Voice, samples: np.ndarray, speaker: int) -> tuple[np.ndarray, float, dict[str, float]]:
    """The decoder's audio from a sample of the posterior, the posterior's noise ratio, and for a decoder with a
    harmonic source: the frame buzz of copy-synthesis driven by the recording's F0 and by none (a silent source), and
    the median distance of its head's F0 to the recording's in cents (frames both call voiced)."""
    generator = voice.generator
    audio = voice.metadata.config.audio
    spectrogram = MelSpectrogram(audio)(torch.from_numpy(samples)[None])
    frames = spectrogram.shape[-1]
    speaker_vector = generator.speaker_vector(torch.tensor([speaker]))
    posterior = generator.posterior_encoder(spectrogram, torch.ones(1, 1, frames), speaker_vector)
    noise = float(posterior.log_scales.exp().mean() / posterior.means[0].std(dim=1).mean())
    copied = generator.decoder(posterior.latent, speaker_vector)[0, 0].float().numpy()
    rate = audio.sample_rate
    extra = {"copy_means": frame_rate_buzz(generator.decoder(posterior.means, speaker_vector)[0, 0].float().numpy(), rate)}
    if not generator.decoder.config.balanced_upsampling:
        balanced = balanced_copy(generator.decoder)
        extra["copy_balanced"] = frame_rate_buzz(balanced(posterior.latent, speaker_vector)[0, 0].float().numpy(), rate)
    if generator.decoder.harmonic_source is None:
        return copied, noise, extra
    recorded = frame_f0(samples, audio.sample_rate, audio.hop_length, frames)
    head = generator.decoder.read_f0(posterior.latent, speaker_vector)[0].numpy() * audio.sample_rate
    both = (recorded > 0) & (head > 0)
    driven = {
        name: frame_rate_buzz(generator.decoder(posterior.latent, speaker_vector, f0[None].float())[0, 0].numpy(), audio.sample_rate)
        for name, f0 in (("copy_recorded_f0", torch.from_numpy(recorded / audio.sample_rate)), ("copy_no_source", torch.zeros(frames)))
    }
    cents = float(np.median(np.abs(1200 * np.log2(head[both] / recorded[both])))) if both.any() else float("nan")
    return copied, noise, {**extra, **driven, "head_f0_cents": cents}


def balanced_copy(decoder: torch.nn.Module) -> torch.nn.Module:
    """The decoder with each up-sampling kernel replaced by its nearest balanced one (no training)."""
    balanced = copy.deepcopy(decoder)
    for upsample, rate, kernel in zip(balanced.ups, decoder.config.upsample_rates, decoder.config.upsample_kernel_sizes):
        parametrize.register_parametrization(upsample, "weight", BalancedPolyphase(rate, kernel))
    return balanced


def measure(
    path: Path, clips: dict[str, list], manifest_folder: Path, shown: dict[str, np.ndarray] | None = None, shown_speaker: str = ""
) -> tuple[dict[str, dict[str, float]], list[float]]:
    """Each speaker's mean figures, and each up-sampling stage's phase imbalance (``phase_imbalance``: 0 balanced);
    ``shown`` collects the recording, copy-synthesis and text-to-speech of ``shown_speaker``'s last clip (for ``--plot``)."""
    voice = Voice.load(path)
    decoder = voice.generator.decoder
    imbalance = [round(phase_imbalance(upsample.weight.float(), rate), 3) for upsample, rate in zip(decoder.ups, decoder.config.upsample_rates)]
    torch.manual_seed(0)  # the posterior's samples: the same for every voice and run
    table: dict[str, dict[str, float]] = {}
    for speaker, utterances in clips.items():
        if speaker not in voice.speakers:
            continue
        figures: dict[str, list[float]] = {"recording": [], "copy_synthesis": [], "text_to_speech": [], "posterior_noise": []}
        for utterance in utterances:
            samples, rate = soundfile.read(manifest_folder / utterance.audio, dtype="float32")
            figures["recording"].append(frame_rate_buzz(samples, rate))
            copied, noise, source = copy_synthesis(voice, samples, voice.speakers.index(speaker))
            figures["copy_synthesis"].append(frame_rate_buzz(copied, rate))
            figures["posterior_noise"].append(noise)
            for name, value in source.items():
                figures.setdefault(name, []).append(value)
            spoken = voice.synthesize(utterance.text, language=utterance.language, speaker=speaker, seed=0)
            figures["text_to_speech"].append(frame_rate_buzz(spoken.samples, spoken.sample_rate))
            if shown is not None and speaker == shown_speaker:
                shown.update({"recording": samples, f"{path.name}: copy-synthesis": copied, f"{path.name}: text-to-speech": spoken.samples})
        table[speaker] = {name: round(float(np.mean(values)), 3) for name, values in figures.items()}
    return table, imbalance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("voices", nargs="+", type=Path)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--clips", type=int, default=4, help="clips per speaker")
    parser.add_argument("--name", default="decoder_buzz", help="results file name")
    parser.add_argument("--plot", type=Path, help="draw one clip's recording, copy-synthesis and text-to-speech here (PNG)")
    parser.add_argument("--plot-speaker", default="piper_joe", help="whose last clip --plot draws")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    started = time.monotonic()
    clips = clips_by_speaker(arguments.manifest, arguments.clips)
    shown: dict[str, np.ndarray] | None = {} if arguments.plot else None
    measured = {
        str(path): measure(path, clips, arguments.manifest.parent, shown, arguments.plot_speaker) for path in arguments.voices
    }
    results = {voice: table for voice, (table, _) in measured.items()}
    imbalances = {voice: imbalance for voice, (_, imbalance) in measured.items()}
    for voice, imbalance in imbalances.items():
        print(f"{Path(voice).name}: up-sampling phase imbalance per stage {imbalance}")
    print(
        "| voice | speaker | recording | copy-synthesis | text-to-speech | posterior noise | copy, means | copy, balanced "
        "| copy, recorded F0 | copy, no source | head F0 error (cents) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for voice, table in results.items():
        for speaker, figures in table.items():
            source = " | ".join(
                f"{figures[name]:.2f}" if name in figures else "-"
                for name in ("copy_means", "copy_balanced", "copy_recorded_f0", "copy_no_source")
            )
            cents = f"{figures['head_f0_cents']:.0f}" if "head_f0_cents" in figures else "-"
            print(
                f"| {Path(voice).name} | {speaker} | {figures['recording']:.2f} | {figures['copy_synthesis']:.2f} | "
                f"{figures['text_to_speech']:.2f} | {figures['posterior_noise']:.2f} | {source} | {cents} |"
            )
    output = RESULTS / f"{arguments.name}.json"
    output.write_text(json.dumps({
        "command": "python benchmarks/decoder_buzz.py " + " ".join(str(path) for path in arguments.voices)
        + f" --manifest {arguments.manifest} --clips {arguments.clips}",
        "clips_per_speaker": arguments.clips, "frame_buzz": results, "phase_imbalance": imbalances, "seconds": round(time.monotonic() - started),
    }, indent=1) + "\n", encoding="utf-8")
    if shown:
        # 2048-sample windows (11 Hz a bin): harmonics that follow the pitch apart from lines 86 Hz apart that stay flat.
        rate = read_metadata(arguments.voices[0]).config.audio.sample_rate
        xlabel = f"seconds ({arguments.plot_speaker}'s last clip)"
        draw_spectrograms(shown, rate, arguments.plot, xlabel, top_hz=PLOT_TOP_HZ, window=2048, floor_db=-70)
        print(f"drew {arguments.plot}")
    print(f"{time.monotonic() - started:.0f} s; wrote {output}")


if __name__ == "__main__":
    main()
