"""Two or more polyvox voices judged by the same listeners in one run: whether a candidate may replace the
shipped voice (#17: replace it only when the benchmark improves).

    python benchmarks/listener_compare.py VOICE.safetensors [VOICE ...] [--limit N] [--name NAME]
    python benchmarks/listener_compare.py V.safetensors V.safetensors@noise_scale=0.3,speed=0.9   # synthesis settings
    python benchmarks/listener_compare.py V.safetensors V.onnx        # the PyTorch engine beside the ONNX one (polyvox export)

The sentences, listeners and figures of benchmarks/listener.py's anchors part (everyday sentences heard by
Whisper base, Harvard sentences by Whisper tiny.en, DNSMOS), for polyvox voices only. A voice speaks with
the speaker it names for each language, else its recipe's ``<language>_f3`` speaker where it has one; ``cer_mean`` averages the
languages' CER (each language counting the same), the figure a candidate must lower to be committed. Writes
benchmarks/results/<NAME>.json and .md (default name: listener_compare); with ``--transcripts``, also
<NAME>_transcripts.jsonl: per clip (listener.py's clip rows, ``system`` naming the voice) the sentence, what
the listener wrote and its error rates, to see what a figure is made of (a deleted word, a wrong tone, an inserted phrase).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from listener import RESULTS, _group, clip_row, hear, items, peer_paths, real_time_factor, speak_polyvox, whisper_base_folder

from polyvox.evaluation.listener import HeardClip, Listener
from polyvox.evaluation.listener_report import summarize_clips


def voice_and_options(spec: str) -> tuple[Path, dict[str, float]]:
    """``PATH`` or ``PATH@name=value,name=value``: a voice and request settings other than the defaults."""
    path, _, settings = spec.partition("@")
    options = {}
    for setting in filter(None, settings.split(",")):
        name, _, value = setting.partition("=")
        options[name] = float(value)
    return Path(path), options


def judge(voices: list[str], limit: int | None, peers_python: str,
          transcripts: list[dict[str, object]] | None = None) -> dict[str, dict[str, float | int | None]]:
    from polyvox.evaluation.asr import load_transcriber
    from polyvox.evaluation.dnsmos import Dnsmos

    chosen = items(limit)
    work = RESULTS / "listener"
    work.mkdir(parents=True, exist_ok=True)
    paths = peer_paths(peers_python)
    dnsmos = Dnsmos(1)
    base = Listener(load_transcriber(whisper_base_folder(paths, work), 1), dnsmos)
    tiny = Listener(load_transcriber(Path(paths["tiny_en"]), 1), dnsmos)
    table: dict[str, dict[str, float | int | None]] = {}
    for voice in voices:
        path, options = voice_and_options(voice)
        speak = speak_polyvox(path, **options)
        spoken = {item.identifier: speak(item) for item in chosen}
        heard = [
            HeardClip(item.identifier, voice, item.language, "", item.text,
                      hear(tiny if item.part == "harvard" else base, spoken[item.identifier], item.text, item.language))
            for item in chosen
        ]
        if transcripts is not None:
            transcripts.extend(clip_row(clip) for clip in heard)
        groups: dict[str, list[HeardClip]] = {}
        for clip in heard:
            groups.setdefault(_group(clip), []).append(clip)
        row: dict[str, float | int | None] = {}
        for group, clips in groups.items():
            cells = summarize_clips(clips).cells()
            row["harvard_wer" if group == "harvard" else f"cer_{group}"] = cells["wer" if group == "harvard" else "cer"]
        # The figure a candidate must lower to replace the shipped voice: every language counts the same.
        languages = [value for key, value in row.items() if key.startswith("cer_") and value is not None and not math.isnan(value)]
        row["cer_mean"] = float(np.mean(languages)) if languages else None
        ovrl = [clip.hearing.dnsmos_ovrl for clip in heard if not math.isnan(clip.hearing.dnsmos_ovrl)]
        row["dnsmos_ovrl"] = float(np.mean(ovrl)) if ovrl else None
        row["rtf_one_thread"] = real_time_factor(list(spoken.values()))
        row["refused"] = sum(1 for clip in spoken.values() if clip.samples is None)
        table[voice] = row
        print(voice, json.dumps(row), flush=True)
    return table


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("voices", nargs="+", help="voice files, each optionally @name=value,... (request settings)")
    parser.add_argument("--limit", type=int, help="at most this many sentences per language and of Harvard")
    parser.add_argument("--name", default="listener_compare")
    parser.add_argument("--transcripts", action="store_true", help="also write what the listener heard, per clip")
    parser.add_argument("--peers-python", default="/work/peers-venv/bin/python")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    transcripts: list[dict[str, object]] | None = [] if arguments.transcripts else None
    table = judge(arguments.voices, arguments.limit, arguments.peers_python, transcripts)
    columns = list(dict.fromkeys(key for row in table.values() for key in row))
    lines = ["| voice | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for voice, row in table.items():
        cells = ["-" if row.get(key) is None else f"{row[key]:.3f}" if isinstance(row[key], float) else str(row[key]) for key in columns]
        lines.append(f"| {voice} | " + " | ".join(cells) + " |")
    markdown = "\n".join(lines) + f"\n\n{time.perf_counter() - started:.0f} s; limit {arguments.limit}\n"
    (RESULTS / f"{arguments.name}.md").write_text(markdown, encoding="utf-8")
    (RESULTS / f"{arguments.name}.json").write_text(json.dumps({"limit": arguments.limit, "voices": table}, indent=1) + "\n", encoding="utf-8")
    if transcripts is not None:
        lines = (json.dumps(row, ensure_ascii=False) for row in transcripts)
        (RESULTS / f"{arguments.name}_transcripts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
