"""A score sung by the bundled voice: does the output follow its notes? (issue #20 item 5)

Sings docs/scores/twinkle.json with each speaker given (default the bundled voice's kokoro_jf_alpha and piper_joe) and measures, as
tests/test_phoneme_control.py asserts: each note's F0 against its pitch (median cents over its voiced frames
clear of its edges, by evaluation's DIO + StoneMask; polyvox.evaluation.score_check), and each note's frames
against its ms. Durations are also looked for in the audio: a durations-only score alternating /s/ and
vowels (the model's audio, not resynthesised), where voicing should switch on and off at the notes' boundaries,
and the voicing changes DIO finds are compared with them. Writes benchmarks/results/score_pitch.json and docs/images/score_f0.png: the measured F0
against the score, beside the F0 the voice gives the same phonemes and durations with no pitch in the score.

    python benchmarks/score_pitch.py
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
from finetune_support import DOCS_IMAGES, RESULTS, pyplot, save_figure, write_json

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.evaluation.score_check import ScoreCheck, check_score, track_f0
from polyvox.inference.score import Score
from polyvox.inference.score_timing import note_frames
from polyvox.inference.voice import Voice
from polyvox.speech_request import SpeechRequest

SCORE = Path(__file__).parents[1] / "docs" / "scores" / "twinkle.json"
# Unvoiced /s/ between voiced sounds: each boundary is a voicing change in the audio.
VOICING_NOTES = (("s", 150), ("ˈɑː", 300), ("s", 120), ("ˈiː", 250), ("s", 180), ("ˈɑː", 350), ("s", 150), ("m", 120), ("ˈɑː", 300))


def unpitched(score: Score) -> Score:
    """The same phonemes and durations with no pitch: the voice's own F0 under the score's timing."""
    return Score(tuple(dataclasses.replace(note, pitch_hz=None, energy_db=0.0) for note in score.notes))


def measure(voice: Voice, score: Score, speaker: str, seed: int) -> tuple[dict[str, Any], ScoreCheck, np.ndarray]:
    started = time.perf_counter()
    samples = voice.synthesize(SpeechRequest(score=score, speaker=speaker, seed=seed)).samples
    seconds = time.perf_counter() - started
    rate = voice.sample_rate / voice.metadata.config.audio.hop_length
    check = check_score(samples, voice.sample_rate, score, rate)
    frame_ms = 1000.0 / rate
    frame_errors = [frames * frame_ms - note.duration_ms for note, frames in zip(score.notes, note_frames(score, rate))]
    measured = [note for note in check.notes if note.cents_error is not None]
    record = {
        "speaker": speaker,
        "seed": seed,
        "synthesis_s": round(seconds, 3),
        "audio_s": round(len(samples) / voice.sample_rate, 4),
        "score_s": sum(note.duration_ms for note in score.notes) / 1000.0,
        "frame_ms": round(frame_ms, 3),
        "worst_note_duration_error_ms": round(max(abs(error) for error in frame_errors), 3),
        "pitched_notes": sum(note.pitch_hz is not None for note in score.notes),
        "measured_notes": len(measured),
        "worst_cents": round(check.worst_cents(), 2),
        "notes": [
            {"phoneme": note.phoneme, "target_hz": note.target_hz and round(note.target_hz, 2), "voiced_frames": note.voiced_frames,
             "cents_error": None if note.cents_error is None else round(note.cents_error, 2)}
            for note in check.notes
        ],
    }
    return record, check, samples


def voicing_boundaries(voice: Voice, speakers: list[str], seeds: range) -> dict[str, Any]:
    """Distance (ms) from each voiced/unvoiced boundary of VOICING_NOTES to the nearest voicing change DIO finds."""
    score = Score.parse({"notes": [{"phoneme": phoneme, "ms": ms} for phoneme, ms in VOICING_NOTES]})
    ends = np.cumsum([ms for _, ms in VOICING_NOTES])[:-1] / 1000.0
    switches = [end for end, (before, _), (after, _) in zip(ends, VOICING_NOTES, VOICING_NOTES[1:]) if (before == "s") != (after == "s")]
    errors = []
    for speaker in speakers:
        for seed in seeds:
            samples = voice.synthesize(SpeechRequest(score=score, speaker=speaker, seed=seed)).samples
            times, f0 = track_f0(samples, voice.sample_rate)
            changes = times[1:][(f0[1:] > 0) != (f0[:-1] > 0)]
            errors += [1000.0 * float(changes[np.argmin(np.abs(changes - end))] - end) for end in switches]
    distances = np.abs(errors)
    frame_ms = 1000.0 * voice.metadata.config.audio.hop_length / voice.sample_rate
    return {
        "boundaries": len(errors), "speakers": speakers, "seeds": list(seeds),
        "median_abs_ms": round(float(np.median(distances)), 1), "mean_ms": round(float(np.mean(errors)), 1),
        "within_one_frame": round(float(np.mean(distances <= frame_ms)), 3),
        "within_25_ms": round(float(np.mean(distances <= 25.0)), 3), "worst_ms": round(float(distances.max()), 1),
    }


def plot(check: ScoreCheck, own_f0: tuple[np.ndarray, np.ndarray], speaker: str, path: Path) -> Path:
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(11, 4.2))
    times, f0 = own_f0
    axes.plot(times[f0 > 0], f0[f0 > 0], ".", color="0.7", markersize=3, label="the voice's own F0 (same phonemes and durations, no pitch)")
    axes.plot(check.times_s[check.f0_hz > 0], check.f0_hz[check.f0_hz > 0], ".", color="tab:blue", markersize=3, label="measured F0 of the output")
    for index, note in enumerate(check.notes):
        if note.target_hz is not None:
            axes.hlines(note.target_hz, note.start_s, note.end_s, color="tab:red", linewidth=2, label="score" if index == 1 else None)
        axes.axvline(note.start_s, color="0.9", linewidth=0.6, zorder=0)
        axes.text((note.start_s + note.end_s) / 2, 75, note.phoneme, ha="center", fontsize=8)
    axes.set_yscale("log")
    axes.yaxis.set_minor_formatter(plt.NullFormatter())
    axes.set_yticks([100, 150, 200, 262, 330, 392, 440])
    axes.set_yticklabels(["100", "150", "200", "262 (C4)", "330", "392 (G4)", "440 (A4)"])
    axes.set(xlabel="time (s)", ylabel="F0 (Hz, log)", ylim=(70, 520),
             title=f"docs/scores/twinkle.json sung by the bundled voice ({speaker}): worst note {check.worst_cents():.1f} cents")
    axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    return save_figure(figure, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speakers", nargs="+", default=["kokoro_jf_alpha", "piper_joe"])
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    voice = Voice.load(DEFAULT_VOICE)
    score = Score.read(SCORE)
    records = []
    for index, speaker in enumerate(arguments.speakers):
        record, check, _ = measure(voice, score, speaker, arguments.seed)
        records.append(record)
        print(f"{speaker}: worst note {record['worst_cents']} cents over {record['measured_notes']} of {record['pitched_notes']} "
              f"pitched notes; durations within {record['worst_note_duration_error_ms']} ms (a frame is {record['frame_ms']} ms)")
        if index == 0:
            own = voice.synthesize(SpeechRequest(score=unpitched(score), speaker=speaker, seed=arguments.seed)).samples
            print(f"wrote {plot(check, track_f0(own, voice.sample_rate), speaker, DOCS_IMAGES / 'score_f0.png')}")
    voicing = voicing_boundaries(voice, arguments.speakers, range(1, 5))
    print(f"voicing changes against the score's boundaries: median {voicing['median_abs_ms']} ms, "
          f"{voicing['within_one_frame']:.0%} within a frame, {voicing['within_25_ms']:.0%} within 25 ms ({voicing['boundaries']})")
    results = {"score": str(SCORE.name), "runs": records, "voicing_boundaries": voicing}
    print(f"wrote {write_json(RESULTS / 'score_pitch.json', results)}")


if __name__ == "__main__":
    main()
