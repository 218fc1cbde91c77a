"""Which Arabic diacritizer before espeak-ng lets a listener understand the words best, and at what cost.

    python benchmarks/arabic_diacritizer.py [--sentences 20]

polyvox's Arabic front end reads text as written: this benchmark is why. Each candidate diacritizes
held-out sentences of frequent Arabic words (wordfreq), espeak-ng
speaks them, and Whisper base (benchmarks/listener.py's folder) transcribes them: character error rate with
vowel marks and spelling variants not counted (polyvox.evaluation.transcript_normalize), beside the seconds
each diacritizer spends per sentence. Candidates: none, libtashkeel (``pip install piper-phonemize==1.1.0``)
and text2tashkeel's bundled models (``pip install text2tashkeel``); those not installed are left out. Writes results/arabic_diacritizer.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
WHISPER_BASE = RESULTS / "listener" / "whisper-base"
TEXT2TASHKEEL_MODELS = ("rawi-ensemble", "rawi-v2-int8")
SEED = 5


def held_out_sentences(count: int) -> list[str]:
    from polyvox.text.frequent_words import frequent_words

    generator = random.Random(SEED)
    words = frequent_words("ar", 3000)[200:]  # past the commonest function words the corpus grammar uses
    return [" ".join(generator.sample(words, generator.randint(4, 7))) + "." for _ in range(count)]


def candidates() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {"none": lambda text: text}
    try:
        from piper_phonemize import tashkeel_run

        found["libtashkeel"] = lambda text: str(tashkeel_run(text))
    except ModuleNotFoundError:
        pass
    try:
        from text2tashkeel import Diacritizer
    except ModuleNotFoundError:
        return found
    for name in TEXT2TASHKEEL_MODELS:
        found[f"text2tashkeel {name}"] = Diacritizer(name).diacritize
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=20)
    arguments = parser.parse_args()
    from polyvox.data.corpus.espeak_engine import EspeakEngine, VoiceSettings
    from polyvox.evaluation.error_rate import pooled
    from polyvox.evaluation.listener import Listener

    if not (WHISPER_BASE / "model.bin").is_file():
        raise SystemExit(f"no Whisper base at {WHISPER_BASE}: run benchmarks/listener.py once to assemble it")
    sentences = held_out_sentences(arguments.sentences)
    listener = Listener.load(WHISPER_BASE, dnsmos=False)
    engine, settings = EspeakEngine(), VoiceSettings(("ar",))
    table: dict[str, dict[str, float]] = {}
    for name, diacritize in candidates().items():
        counts, seconds = [], 0.0
        for sentence in sentences:
            start = time.perf_counter()
            text = diacritize(sentence)
            seconds += time.perf_counter() - start
            audio = engine.synthesize(text, settings)
            counts.append(listener(audio.samples.astype("float32") / 32768, audio.sample_rate, sentence, "ar").characters)
        # The median sentence beside the pooled rate: one hallucinated transcript can dominate a pooled figure.
        table[name] = {"cer": round(pooled(counts).rate, 3), "median_sentence_cer": round(statistics.median(c.rate for c in counts), 3),
                       "seconds_per_sentence": round(seconds / len(sentences), 4)}
        print(f"{name:32s} CER {table[name]['cer']:.3f}  median {table[name]['median_sentence_cer']:.3f}"
              f"   {table[name]['seconds_per_sentence']:.3f} s/sentence", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "arabic_diacritizer.json").write_text(json.dumps({"sentences": len(sentences), "listener": "Whisper base",
                                                                  "results": table}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
