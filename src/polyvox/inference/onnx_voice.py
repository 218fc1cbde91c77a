"""``OnnxVoice``: an exported voice run by onnxruntime, with the API of ``Voice`` and no torch.

It reads ``voice.onnx.json``, runs the encoder graph (text -> prior per frame), draws the prior's
noise with numpy, and runs the decoder graph on the whole latent or, when streaming, on windows of it.
Given the same noise it computes what ``Voice`` computes; with the same ``seed`` it repeats itself, but
its numpy noise differs from torch's, so a seed does not give the PyTorch engine's exact audio. A style
voice's emotion and style strength become a style vector here, from the tables in the json; a style reference is
encoded by the style encoder graph, a style sampler's graphs draw one per sentence (``onnx_style.py``). A voice trained
with text features reads each sentence with its model folder, by the same extractor as ``Voice`` (transformers and
torch run that model; the graphs take its features), and is refused without it or with another model, as ``Voice`` is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from polyvox.audio.prosody_shape import shape_prosody
from polyvox.export.metadata import (
    DURATION_NOISE_CHANNELS,
    EXPORT_ID_KEY,
    ONNX_INSTALL_HINT,
    SOURCE_INPUTS,
    STYLE_INPUT,
    TEXT_FEATURES_INPUT,
    OnnxVoiceError,
    SAMPLER_INTERFACES,
    OnnxVoiceMetadata,
    metadata_path,
    read_metadata,
)
from polyvox.inference.engine import Encoded, SentenceDone, SentenceEngine, chunk_schedule, text_features_of
from polyvox.inference.onnx_style import OnnxStyleEncoder, OnnxStyleSampler
from polyvox.inference.request import SpeechOptions, VoiceText
from polyvox.inference.result import SynthesisError, SynthesisResult
from polyvox.inference.windows import FIRST_CHUNK_FRAMES, MAX_CHUNK_FRAMES, ChunkSchedule, LatentWindow, SourcePhase, plan_windows
from polyvox.speech_request import SAMPLED_STYLE, SpeechRequest, as_request
from polyvox.text.text_features import TextFeatureExtractor, TextFeaturesError

if TYPE_CHECKING:
    import onnxruntime

logger = logging.getLogger(__name__)
# What a text-feature voice's refusal tells the user to pass.
TEXT_FEATURES_OPTION = "polyvox say --engine onnx --text-features FOLDER (Python: OnnxVoice.load(..., text_features=FOLDER))"


@dataclass(frozen=True)
class OnnxPrior:
    """The encoder graph's outputs (as ``PriorOutput`` of the PyTorch generator)."""

    means: np.ndarray  # (batch, latent_channels, frames)
    log_scales: np.ndarray  # (batch, latent_channels, frames)
    frame_mask: np.ndarray  # (batch, 1, frames) float
    frame_lengths: np.ndarray  # (batch,)
    durations: np.ndarray  # (batch, text_len) frames per token


def _open_session(path: Path, threads: int | None) -> onnxruntime.InferenceSession:
    try:
        import onnxruntime
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors
    except ModuleNotFoundError as error:
        raise OnnxVoiceError(f"the ONNX engine needs onnxruntime: {ONNX_INSTALL_HINT}") from error

    if not path.is_file():
        raise OnnxVoiceError(f"ONNX graph not found: {path}; export the voice again with 'polyvox export'")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0: onnxruntime's default, one per core
    options.inter_op_num_threads = 1  # the graphs are one chain of operators
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except (ort_errors.Fail, ort_errors.InvalidProtobuf, ort_errors.InvalidGraph, ort_errors.InvalidArgument, ort_errors.NoSuchFile) as error:
        raise OnnxVoiceError(f"{path} is not a usable ONNX graph ({error}); export the voice again") from error


def _source_feed(phase: SourcePhase, lead: int) -> dict[str, np.ndarray]:
    """The decoder graph's source inputs: ``phase``'s fraction of a cycle at the window's start, ``lead`` frames into
    the decoder's input."""
    return {SOURCE_INPUTS[0]: np.array([phase.cycles % 1.0], dtype=np.float32), SOURCE_INPUTS[1]: np.array([lead], dtype=np.int64)}


def _refuse_reference(reference: object) -> None:
    # The exported graphs take speaker ids; the reference encoder (clip -> timbre) is not exported.
    if reference is not None:
        raise SynthesisError("reference clips need the PyTorch engine (polyvox.Voice): the ONNX graphs take a speaker id")


def _refuse_score(score: object) -> None:
    # The exported encoder graph predicts its own durations; a score's cannot be fed to it.
    if score is not None:
        raise SynthesisError("a score needs the PyTorch engine (polyvox.Voice): the ONNX graphs predict their own durations")


class OnnxVoice(SentenceEngine):
    text_features_option = TEXT_FEATURES_OPTION

    def __init__(
        self, metadata: OnnxVoiceMetadata, encoder: onnxruntime.InferenceSession, decoder: onnxruntime.InferenceSession,
        style_sampler: OnnxStyleSampler | None = None, style_encoder: OnnxStyleEncoder | None = None,
        text_features: TextFeatureExtractor | None = None,
    ) -> None:
        self.metadata = metadata
        self.encoder = encoder
        self.decoder = decoder
        self.style_sampler = style_sampler
        self.style_encoder = style_encoder
        # The sentence model of a voice trained with text features; None for the others.
        self.text_features = text_features
        self.text = VoiceText(metadata.config, metadata.symbols, metadata.languages, metadata.speakers, metadata.info)
        self._encoder_inputs = {item.name for item in encoder.get_inputs()}
        self._decoder_inputs = {item.name for item in decoder.get_inputs()}

    @classmethod
    def load(
        cls, path: str | Path, threads: int | None = None, text_features: str | Path | None = None,
        text_features_option: str = TEXT_FEATURES_OPTION,
    ) -> OnnxVoice:
        """Load an export: ``voice.onnx`` (or its ``voice.onnx.json``), as written by ``polyvox export``.

        ``threads``: onnxruntime's threads per graph (default: one per core). Raises ``OnnxVoiceError``
        when a file is missing or broken, or when the files come from different exports. ``text_features``: the local
        model folder of a voice trained with text features; without it, or with another model, such a voice is refused
        in one line (``TextFeaturesError``, naming its model and ``text_features_option``), as ``Voice.load`` refuses it.
        """
        path = Path(path)
        json_path = path if path.suffix == ".json" else metadata_path(path)
        if not path.is_file():
            raise OnnxVoiceError(f"ONNX voice not found: {path}; write one with 'polyvox export VOICE -o {path.name}'")
        metadata = read_metadata(json_path)
        if path.suffix != ".json" and path.name != metadata.graphs["full"].file:
            raise OnnxVoiceError(f"{json_path} describes {metadata.graphs['full'].file}, not {path.name}; export the voice again")
        extractor = None
        if text_features is not None or metadata.text_features is not None:
            from polyvox.inference.voice import voice_text_features  # torch: only where a model folder is in play

            extractor = voice_text_features(metadata, text_features, str(path), text_features_option)
        sessions = {}
        optional = (kind for kind in ("style_encoder", *SAMPLER_INTERFACES) if kind in metadata.graphs)
        for kind in ("encoder", "decoder", *optional):
            graph_path = json_path.parent / metadata.graphs[kind].file
            session = _open_session(graph_path, threads)
            found = session.get_modelmeta().custom_metadata_map.get(EXPORT_ID_KEY)
            if found != metadata.export_id:
                raise OnnxVoiceError(
                    f"{graph_path} comes from another export than {json_path} (export id {found} vs {metadata.export_id}); "
                    "keep the files of one 'polyvox export' together, or export again"
                )
            inputs = tuple(item.name for item in session.get_inputs())
            if inputs != metadata.graphs[kind].inputs:
                raise OnnxVoiceError(f"{graph_path} has inputs {list(inputs)}, {json_path} lists {list(metadata.graphs[kind].inputs)}")
            sessions[kind] = session
        sampler = None
        if metadata.style is not None and "style_velocity" in sessions:
            sampler = OnnxStyleSampler(sessions["style_condition"], sessions["style_velocity"], metadata.style.channels)
        style_encoder = OnnxStyleEncoder(sessions["style_encoder"], metadata.config.audio) if "style_encoder" in sessions else None
        return cls(metadata, sessions["encoder"], sessions["decoder"], sampler, style_encoder, extractor)

    @property
    def sample_rate(self) -> int:
        return self.metadata.sample_rate

    @property
    def samples_per_frame(self) -> int:
        return self.metadata.config.audio.hop_length

    def encode_prior(
        self,
        phoneme_ids: np.ndarray,
        language_ids: np.ndarray,
        text_lengths: np.ndarray,
        speaker_ids: np.ndarray,
        length_scale: np.ndarray,
        noise_scale_duration: np.ndarray,
        duration_noise: np.ndarray,
        prosody_ids: np.ndarray | None = None,
        style_vectors: np.ndarray | None = None,
        text_features: np.ndarray | None = None,
    ) -> OnnxPrior:
        """The encoder graph on a padded batch; scales are per item (batch,), duration noise (batch, 2, text_len).
        ``prosody_ids`` (batch, text_len) feed graphs of the features scheme (None: all unmarked); ``style_vectors``
        (batch, style_channels) a style voice's graphs (None: its neutral style); ``text_features`` (batch, text_len,
        dim) a text-feature voice's graphs (required there)."""
        if TEXT_FEATURES_INPUT in self._encoder_inputs and text_features is None:
            raise TextFeaturesError("this voice's encoder graph reads text features: pass text_features (batch, text_len, dim)")
        if prosody_ids is None:
            prosody_ids = np.zeros_like(np.asarray(phoneme_ids, dtype=np.int64))
        feed: dict[str, Any] = {
            "phoneme_ids": np.asarray(phoneme_ids, dtype=np.int64),
            "language_ids": np.asarray(language_ids, dtype=np.int64),
            "text_lengths": np.asarray(text_lengths, dtype=np.int64),
            "speaker_ids": np.asarray(speaker_ids, dtype=np.int64),
            "length_scale": np.asarray(length_scale, dtype=np.float32),
            "noise_scale_duration": np.asarray(noise_scale_duration, dtype=np.float32),
            "duration_noise": np.asarray(duration_noise, dtype=np.float32),
            "prosody_ids": np.asarray(prosody_ids, dtype=np.int64),
            **self._style_feed(style_vectors, len(phoneme_ids)),
            **({} if text_features is None else {TEXT_FEATURES_INPUT: np.asarray(text_features, dtype=np.float32)}),
        }
        outputs = self.encoder.run(None, {name: value for name, value in feed.items() if name in self._encoder_inputs})
        return OnnxPrior(*outputs)

    @staticmethod
    def sample_prior(prior: OnnxPrior, noise_scale: float, noise: np.ndarray) -> np.ndarray:
        """Latent (batch, latent_channels, frames) from standard-normal ``noise`` of the prior's shape."""
        latent = (prior.means + noise * np.exp(prior.log_scales) * np.float32(noise_scale)) * prior.frame_mask
        return latent.astype(np.float32)

    def decode_latent(
        self, latent: np.ndarray, frame_mask: np.ndarray, speaker_ids: np.ndarray, trim: tuple[int, int] = (0, 0),
        style_vectors: np.ndarray | None = None,
    ) -> np.ndarray:
        """The decoder graph: waveform (batch, 1, (frames - trim) * samples_per_frame); ``style_vectors`` as for
        ``encode_prior`` (the flow is a prosody component). A harmonic source's phase starts at 0."""
        return self._decode(latent, frame_mask, speaker_ids, trim, style_vectors)[0]

    def _decode(
        self, latent: np.ndarray, frame_mask: np.ndarray, speaker_ids: np.ndarray, trim: tuple[int, int],
        style_vectors: np.ndarray | None, source: dict[str, np.ndarray] | None = None,
    ) -> list[np.ndarray]:
        """The decoder graph's outputs: the waveform, and for a voice with a harmonic source its F0 (``source``: the
        source's inputs, ``_source_feed``; None: phase 0 at the first frame)."""
        if source is None and SOURCE_INPUTS[0] in self._decoder_inputs:
            source = {SOURCE_INPUTS[0]: np.zeros(len(latent), dtype=np.float32), SOURCE_INPUTS[1]: np.zeros(1, dtype=np.int64)}
        feed = {
            "latent": np.asarray(latent, dtype=np.float32),
            "frame_mask": np.asarray(frame_mask, dtype=np.float32),
            "speaker_ids": np.asarray(speaker_ids, dtype=np.int64),
            "trim": np.asarray(trim, dtype=np.int64),
            **self._style_feed(style_vectors, len(latent)),
            **(source or {}),
        }
        return self.decoder.run(None, {name: value for name, value in feed.items() if name in self._decoder_inputs})

    def _style_feed(self, style_vectors: np.ndarray | None, batch: int) -> dict[str, np.ndarray]:
        """The style input of a style voice's graphs (its neutral style for None); nothing for a voice without style."""
        if self.metadata.style is None:
            return {}
        if style_vectors is None:
            style_vectors = np.repeat(self.metadata.style.style(None, 1.0), batch, axis=0)
        return {STYLE_INPUT: np.asarray(style_vectors, dtype=np.float32)}

    def request_style(self, options: SpeechOptions) -> np.ndarray | None:
        """The style (1, style_channels) a request asks for, as ``polyvox.inference.style.request_style`` computes it;
        None: the neutral style (or a voice without style), or for style "sample" one drawn for each sentence."""
        request, tables = options.request, self.metadata.style
        if tables is None:
            return None
        if options.style_label is not None:
            return tables.style(options.style_label, request.style_strength)
        if request.style_reference is None:
            return None
        if self.style_encoder is None:
            raise SynthesisError(
                "this export has no style encoder graph (it was written by an older polyvox), so it takes no style "
                "reference; export the voice again with 'polyvox export'"
            )
        return tables.blended(self.style_encoder.clip_style(request.style_reference), request.style_strength)

    def _sentence_latent(
        self, encoded: Encoded, options: SpeechOptions, noise: np.random.Generator, style: np.ndarray | None
    ) -> np.ndarray:
        """One sentence's prior latent (1, latent_channels, frames), its noise drawn from ``noise``."""
        ids, languages, prosody = encoded
        features = text_features_of(encoded)
        prior = self.encode_prior(
            np.array([ids]), np.array([languages]), np.array([len(ids)]), np.array([options.speaker_id]),
            np.array([options.length_scale]), np.array([options.settings.noise_scale_duration]),
            noise.standard_normal((1, DURATION_NOISE_CHANNELS, len(ids)), dtype=np.float32), np.array([prosody]), style,
            None if features is None else features[None],
        )
        return self.sample_prior(prior, options.settings.noise_scale, noise.standard_normal(prior.means.shape, dtype=np.float32))

    def _sentence_style(
        self, encoded: Encoded, options: SpeechOptions, noise: np.random.Generator, style: np.ndarray | None
    ) -> np.ndarray | None:
        """``style``, or for style "sample" one drawn for this sentence from ``noise``, before its other noise (as ``Voice``)."""
        if style is not None or options.request.style != SAMPLED_STYLE or self.style_sampler is None:
            return style
        return self.style_sampler.sentence_style(encoded, options.speaker_id, options.request, noise)

    def _whole_sentence(
        self, encoded: Encoded, options: SpeechOptions, noise: np.random.Generator, style: np.ndarray | None = None
    ) -> np.ndarray:
        style = self._sentence_style(encoded, options, noise, style)
        latent = self._sentence_latent(encoded, options, noise, style)
        waveform = self.decode_latent(latent, np.ones_like(latent[:, :1]), np.array([options.speaker_id]), style_vectors=style)
        return shape_prosody(np.clip(waveform[0, 0], -1.0, 1.0), self.sample_rate, options.shape)

    def _window(
        self, latent: np.ndarray, speaker_id: int, window: LatentWindow, style: np.ndarray | None, phase: SourcePhase
    ) -> np.ndarray:
        """Samples of ``window``: the decoder graph on its flow range, trimmed to its decoder range, then cut; a
        harmonic source's ``phase`` is moved on to the window's end."""
        piece = latent[..., window.flow_start : window.flow_end]
        trim = (window.decoder_start - window.flow_start, window.flow_end - window.decoder_end)
        lead, frames = window.start - window.decoder_start, window.end - window.start
        outputs = self._decode(piece, np.ones_like(piece[:, :1]), np.array([speaker_id]), trim, style, _source_feed(phase, lead))
        if len(outputs) > 1:
            phase.advance(outputs[1][0, lead : lead + frames], self.samples_per_frame)
        first = lead * self.samples_per_frame
        return np.clip(outputs[0][0, 0, first : first + frames * self.samples_per_frame], -1.0, 1.0)

    def synthesize(self, text: str | SpeechRequest, *args: Any, **options: Any) -> SynthesisResult:
        """Speak a request as ``Voice.synthesize`` does (same arguments, sentences joined with a pause; same errors)."""
        request = as_request(text, args, options)
        _refuse_reference(request.reference)
        _refuse_score(request.score)
        speech = self.text.options(request)
        style = self.request_style(speech)
        speech = self.text.reference_prosody(speech, style, self.metadata.style)
        written = self._written(request, speech.language)
        if written is not None:
            encoded = [self.text.rules.encode_tokens(written)]
        else:
            encoded = [self.encode(sentence, speech.language) for sentence in self.text.sentences(request.text, speech.language)]
        noise = np.random.default_rng(request.seed)
        return self._joined(encoded, partial(self._whole_sentence, options=speech, noise=noise, style=style))

    def stream(
        self,
        text: str | SpeechRequest,
        *args: Any,
        first_chunk_frames: int = FIRST_CHUNK_FRAMES,
        chunk_frames: int = MAX_CHUNK_FRAMES,
        on_sentence: SentenceDone | None = None,
        **options: Any,
    ) -> Iterator[np.ndarray]:
        """Speak a request as float32 chunks, as ``Voice.stream`` does; joined they equal ``synthesize`` with the same seed."""
        request = as_request(text, args, options)
        _refuse_reference(request.reference)
        _refuse_score(request.score)
        speech = self.text.options(request)
        style = self.request_style(speech)
        speech = self.text.reference_prosody(speech, style, self.metadata.style)
        schedule = chunk_schedule(first_chunk_frames, chunk_frames)
        written = self._written(request, speech.language)
        # Written phonemes are one sentence, already read.
        sentences = [request.phonemes] if written is not None else self.text.sentences(request.text, speech.language)
        first = self.text.rules.encode_tokens(written) if written is not None else self.encode(sentences[0], speech.language)
        noise = np.random.default_rng(request.seed)
        whole = partial(self._whole_sentence, options=speech, noise=noise, style=style)
        chunks = partial(self._sentence_chunks, options=speech, noise=noise, schedule=schedule, style=style)
        return self._streamed(sentences, first, speech, whole, chunks, on_sentence)

    def _sentence_chunks(
        self, encoded: Encoded, options: SpeechOptions, noise: np.random.Generator, schedule: ChunkSchedule,
        style: np.ndarray | None = None,
    ) -> Iterator[np.ndarray]:
        style = self._sentence_style(encoded, options, noise, style)
        latent = self._sentence_latent(encoded, options, noise, style)
        phase = SourcePhase()
        for window in plan_windows(latent.shape[-1], self.metadata.streaming, schedule):
            yield self._window(latent, options.speaker_id, window, style, phase)
