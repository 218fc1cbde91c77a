"""``Voice``: a trained voice file, ready to speak. The Python API behind ``polyvox say``."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from polyvox.audio.prosody_shape import shape_prosody
from polyvox.audio.pitch_curve import follow_notes
from polyvox.voice_file import VoiceFileError, VoiceMetadata, build_generator, load_voice_file, recorded_fingerprint
from polyvox.config import VoiceConfig
from polyvox.fingerprint import require_compatible, style_sampler_weights_problem
from polyvox.inference.engine import Encoded, SentenceDone, SentenceEngine, chunk_schedule, text_features_of
from polyvox.inference.reference import ReferenceAudio, reference_timbre
from polyvox.inference.reference_pitch import toward_reference, with_reference_pitch
from polyvox.inference.request import SENTENCE_PAUSE_S, SpeechOptions, VoiceText
from polyvox.inference.result import SynthesisError, SynthesisResult
from polyvox.inference.score_timing import ScoreTiming, score_timing
from polyvox.inference.speed import float32_without_onednn, prepare_for_inference, resolve_precision, set_decoder_precision
from polyvox.inference.style import request_style, sampled_style, style_tables
from polyvox.inference.streaming import FIRST_CHUNK_FRAMES, MAX_CHUNK_FRAMES, ChunkSchedule, stream_latent
from polyvox.models.receptive_field import LatentContext
from polyvox.models.vits import PriorOutput
from polyvox.partial_loading import load_partial_state
from polyvox.speech_request import SAMPLED_STYLE, SpeechRequest, as_request
from polyvox.text.text_features import TextFeatureExtractor
from polyvox.text.token import Token
from polyvox.threads import use_threads
from polyvox.voice_check import check_voice_tensors

logger = logging.getLogger(__name__)

# Defined with the torch-free request checks (shared with the ONNX engine); importable from here as before.
__all__ = ["SENTENCE_PAUSE_S", "SpeechOptions", "SynthesisError", "SynthesisResult", "Voice"]
# What a text-feature voice's refusal tells the user to pass.
TEXT_FEATURES_OPTION = "polyvox say --text-features FOLDER (Python: Voice.load(..., text_features=FOLDER))"


def voice_text_features(
    metadata: VoiceMetadata, folder: str | Path | None, source: str, option: str = TEXT_FEATURES_OPTION
) -> TextFeatureExtractor | None:
    """The text-feature model a voice speaks with: refused in one line when the voice needs one and ``folder`` is
    missing or holds another model; None for a voice without text features (a folder given to one is unused)."""
    section = metadata.config.model.text_features
    if not section.enabled:
        if folder is not None:
            logger.warning("%s was trained without text features: the model in %s is not used", source, folder)
        return None
    return TextFeatureExtractor.for_voice(section, folder, source, option)


class Voice(SentenceEngine):
    text_features_option = TEXT_FEATURES_OPTION

    def __init__(
        self, generator: torch.nn.Module, metadata: VoiceMetadata, text_features: TextFeatureExtractor | None = None
    ) -> None:
        self.generator = generator.eval()
        self.metadata = metadata
        # The sentence model of a voice trained with text features (``voice_text_features``); None for the others.
        self.text_features = text_features
        self.text = VoiceText(metadata.config, metadata.symbols, metadata.languages, metadata.speakers, metadata.info)
        self.style_tables = style_tables(self.generator)  # a style reference's nearest label (style_prosody.nearest_label)
        self.frontend = self.text.frontend
        # Context each streamed window needs so that the joined windows equal whole-sentence decoding.
        self.latent_context = LatentContext.for_model(metadata.config.model)

    @classmethod
    def load(
        cls, path: str | Path, config: VoiceConfig | None = None, partial: bool = False, precision: str = "float32",
        threads: int | None = None, text_features: str | Path | None = None, text_features_option: str = TEXT_FEATURES_OPTION,
    ) -> Voice:
        """Load a ``.safetensors`` voice file (raises ``VoiceFileError`` when it is missing or broken).

        ``config``: the architecture the caller expects; when it differs from the voice's own, a
        ``CompatibilityError`` lists every difference before anything is built. With ``partial=True``
        the given config is built instead and only tensors of matching name and shape are loaded;
        every one left out is logged at WARNING. ``precision``: the decoder's (``inference/speed.py``
        PRECISIONS): "bfloat16" is faster on CPUs with native bfloat16, "auto" uses it where it is.
        ``threads``: torch's CPU threads, for the whole process (``polyvox.use_threads``, which also picks a
        default that holds up on shared cores); None leaves the process's setting as it is.
        ``text_features``: the local model folder a voice trained with text features reads each sentence with; such a
        voice is refused in one line (``TextFeaturesError``, naming its model and ``text_features_option``) without
        it, or with a folder whose name, size or weights differ.
        """
        resolve_precision(precision)  # an unknown name fails before the file is read
        if threads is not None:
            use_threads(threads)
        tensors, metadata = load_voice_file(path)
        if config is not None and not partial:
            require_compatible(metadata, config, str(path))
        if config is not None:
            metadata = dataclasses.replace(metadata, config=config)
        extractor = voice_text_features(metadata, text_features, str(path), text_features_option)
        generator = build_generator(metadata)
        if partial:
            report = load_partial_state(generator, tensors)
            logger.warning("%s: partial load: %s", path, report.summary())
            for line in report.lines():
                logger.warning("%s: %s", path, line)
        else:
            check_voice_tensors(generator, tensors, path)
            if metadata.config.model.style_sampler.enabled:
                problem = style_sampler_weights_problem(recorded_fingerprint(path), tensors, str(path))
                if problem is not None:
                    raise VoiceFileError(problem)
            missing, unexpected = generator.load_state_dict(tensors, strict=False)
            if missing or unexpected:
                raise VoiceFileError(
                    f"{path}: weights do not match the architecture in its own config "
                    f"(missing {len(missing)}: {missing[:5]}; unexpected {len(unexpected)}: {unexpected[:5]}); "
                    "pass partial=True to load what matches"
                )
        prepare_for_inference(generator)
        set_decoder_precision(generator, precision)
        return cls(generator, metadata, extractor)

    @property
    def sample_rate(self) -> int:
        return self.metadata.config.audio.sample_rate

    def _timbre(self, speaker: str | int | None, reference: ReferenceAudio | Sequence[ReferenceAudio] | None) -> torch.Tensor | None:
        """The reference clips' timbre vector, which replaces the speaker's row; None without a reference."""
        if reference is None:
            return None
        if speaker is not None:
            raise SynthesisError("give a speaker or a reference clip, not both: the reference sets the voice")
        return reference_timbre(self, reference)

    def _sentence_latent(
        self,
        encoded: Encoded,
        options: SpeechOptions,
        noise: torch.Generator | None,
        timbre: torch.Tensor | None = None,
        durations: list[int] | None = None,
        style: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, PriorOutput]:
        """One sentence's prior latent (1, inter, frames) and its prior (whose speaker vectors the decoding takes);
        draws its noise from ``noise``.

        Sentences go one at a time, in order, so synthesize and stream draw the same noise for the same seed.
        ``durations``: frames per id (a score's); None: the duration predictor's. ``style``: ``request_style``'s
        (for style "sample", None: one is drawn here, before the sentence's other noise).
        """
        with float32_without_onednn(self.generator):
            style = self._sentence_style(encoded, options, noise, timbre, style)
            prior = self._prior(encoded, options, noise, timbre, options.length_scale, durations, style)
            return self.generator.sample_prior(prior, options.settings.noise_scale, noise_generator=noise), prior

    def _sentence_style(
        self, encoded: Encoded, options: SpeechOptions, noise: torch.Generator | None, timbre: torch.Tensor | None,
        style: torch.Tensor | None,
    ) -> torch.Tensor | None:
        """``style``, or for style "sample" (when none is drawn yet) one drawn for this sentence from ``noise``."""
        if style is not None or options.request.style != SAMPLED_STYLE:
            return style
        speaker = self.generator.speaker_vector(torch.tensor([options.speaker_id])) if timbre is None else timbre[None, :, None]
        return sampled_style(self.generator, encoded, speaker, options.request, noise)

    def _prior(self, encoded: Encoded, options: SpeechOptions, noise: torch.Generator | None, timbre: torch.Tensor | None,
               length_scale: float, durations: list[int] | None = None, style: torch.Tensor | None = None) -> Any:
        ids, languages, prosody = encoded
        features = text_features_of(encoded)
        return self.generator.encode_prior(
            torch.tensor([ids]), torch.tensor([languages]), torch.tensor([len(ids)]),
            torch.tensor([options.speaker_id]), length_scale, options.settings.noise_scale_duration,
            durations=None if durations is None else torch.tensor([durations], dtype=torch.float32),
            noise_generator=noise, speaker_vectors=None if timbre is None else timbre.unsqueeze(0),
            prosody_ids=torch.tensor([prosody]), style_vectors=style,
            text_features=None if features is None else torch.from_numpy(features)[None],
        )

    def score_timing(self, written: list[Token], options: SpeechOptions, noise: torch.Generator | None = None,
                     timbre: torch.Tensor | None = None, style: torch.Tensor | None = None) -> ScoreTiming:
        """Frames of each id for ``options.request.score`` (whose phonemes are ``written``); the predictor shares each
        note between its phoneme and the blank after it (``score_timing``)."""
        encoded = self.text.rules.encode_tokens(written)
        with float32_without_onednn(self.generator):
            prior = self._prior(encoded, options, noise, timbre, 1.0, style=style)  # the score sets the pace, not --speed
        codepoints = self.metadata.config.text.token_unit == "codepoint"
        ids_per_note = [len(token.symbol) if codepoints else 1 for token in written]
        audio = self.metadata.config.audio
        return score_timing(options.request.score, encoded.phoneme_ids, ids_per_note, prior.durations[0].tolist(), audio.sample_rate / audio.hop_length)

    def _scored(self, written: list[Token], options: SpeechOptions, noise: torch.Generator | None,
                timbre: torch.Tensor | None, style: torch.Tensor | None = None) -> np.ndarray:
        """A score sung: its durations fixed, then each note's pitch and gain set by WORLD (as ``--pitch`` shifts)."""
        encoded = self.text.rules.encode_tokens(written)
        with float32_without_onednn(self.generator):
            style = self._sentence_style(encoded, options, noise, timbre, style)  # one style for the timing and the singing
        timing = self.score_timing(written, options, noise, timbre, style)
        latent, prior = self._sentence_latent(encoded, options, noise, timbre, timing.durations, style)
        with float32_without_onednn(self.generator):
            waveform = self.generator.decode_latent(latent, torch.ones_like(latent[:, :1]), prior.speaker, prior.prosody_speaker)
        samples = waveform[0, 0].float().clamp(-1.0, 1.0).numpy()
        return follow_notes(samples, self.sample_rate, timing.track(options.request.score), options.request.pitch)

    def _whole_sentence(
        self,
        encoded: Encoded,
        options: SpeechOptions,
        noise: torch.Generator | None,
        timbre: torch.Tensor | None = None,
        style: torch.Tensor | None = None,
    ) -> np.ndarray:
        latent, prior = self._sentence_latent(encoded, options, noise, timbre, style=style)
        with float32_without_onednn(self.generator):
            waveform = self.generator.decode_latent(latent, torch.ones_like(latent[:, :1]), prior.speaker, prior.prosody_speaker)
        samples = waveform[0, 0].float().clamp(-1.0, 1.0).numpy()
        return shape_prosody(samples, self.sample_rate, toward_reference(samples, self.sample_rate, options))

    def _sentence_chunks(
        self,
        encoded: Encoded,
        options: SpeechOptions,
        noise: torch.Generator | None,
        timbre: torch.Tensor | None,
        schedule: ChunkSchedule,
        style: torch.Tensor | None = None,
    ) -> Iterator[np.ndarray]:
        latent, prior = self._sentence_latent(encoded, options, noise, timbre, style=style)
        return stream_latent(self.generator, latent, prior.speaker, self.latent_context, schedule, prior.prosody_speaker)

    def synthesize(self, text: str | SpeechRequest, *args: Any, **options: Any) -> SynthesisResult:
        """Speak a ``SpeechRequest``, or ``text`` with the request's fields as arguments (``language=``,
        ``speaker=``, ``speed=``, ``noise_scale=``, ``noise_scale_duration=``, ``seed=``, ``pitch=``,
        ``reference=``, ``phonemes=``, ``score=``, ``style_reference=``, ``emotion=``, ``style_strength=``, ``style=``,
        ``style_steps=``, ``style_scale=``); long text is
        split into sentences, spoken one after the other with a pause between. ``phonemes`` (the voice's symbols) or a
        ``score`` replace the text (docs/synthesis.md).

        ``pitch`` shifts the voice by that many semitones, keeping duration and formants (0: untouched).
        ``reference`` (audio file(s) or samples at the voice's rate) speaks in that clip's voice instead of a
        trained speaker's, in any of the voice's languages (needs a voice with a reference encoder).
        ``emotion`` (a style label of the voice) or ``style_reference`` (clip(s), as ``reference``) set how it is said,
        ``style_strength`` how much of it (0: the voice's neutral style); they need a voice trained with style.
        ``style="sample"`` draws a style for each sentence from the voice's style sampler instead (``style_steps``,
        ``style_scale``; ``seed`` repeats it); a non-finite draw raises ``StyleSamplerError`` naming the likely cause.
        Raises ``TextError`` subclasses for empty text or unknown symbols, ``SynthesisError`` for an
        unknown language, speaker or emotion or a bad scale or pitch.
        """
        request = as_request(text, args, options)
        speech = self.text.options(request)
        written = self._written(request, speech.language)
        if written is None:
            sentences = self.text.sentences(request.text, speech.language)
            encoded = [self.encode(sentence, speech.language) for sentence in sentences]  # every text error before any work
        timbre = self._timbre(request.speaker, request.reference)
        speech = with_reference_pitch(speech, self.sample_rate)
        style = request_style(self.generator, self.metadata.config.audio, speech)
        speech = self.text.reference_prosody(speech, None if style is None else style.float().numpy(), self.style_tables)
        noise = torch.Generator().manual_seed(request.seed) if request.seed is not None else None
        if written is not None and request.score is not None:
            return SynthesisResult(self._scored(written, speech, noise, timbre, style), self.sample_rate)
        if written is not None:
            encoded = [self.text.rules.encode_tokens(written)]
        return self._joined(encoded, partial(self._whole_sentence, options=speech, noise=noise, timbre=timbre, style=style))

    def stream(
        self,
        text: str | SpeechRequest,
        *args: Any,
        first_chunk_frames: int = FIRST_CHUNK_FRAMES,
        chunk_frames: int = MAX_CHUNK_FRAMES,
        on_sentence: SentenceDone | None = None,
        **options: Any,
    ) -> Iterator[np.ndarray]:
        """Speak a request (as ``synthesize`` takes it) as float32 chunks at ``sample_rate``, each yielded as soon as it is decoded.

        The chunks joined equal ``synthesize`` with the same arguments (to float rounding). The first
        chunk covers ``first_chunk_frames`` latent frames and the next ones double up to ``chunk_frames``.
        Sentences are phonemized as they are reached, so the first chunk comes as fast for a book as
        for a line; the options and the first sentence are checked here, a later sentence's text error
        is raised when the stream reaches it. With ``pitch`` or an emotion with a stored correction, a sentence
        comes as one chunk (WORLD's analysis needs the whole sentence). ``on_sentence`` is called after each sentence's last chunk.
        """
        request = as_request(text, args, options)
        speech = self.text.options(request)
        schedule = chunk_schedule(first_chunk_frames, chunk_frames)
        written = self._written(request, speech.language)
        timbre = self._timbre(request.speaker, request.reference)
        speech = with_reference_pitch(speech, self.sample_rate)
        style = request_style(self.generator, self.metadata.config.audio, speech)
        speech = self.text.reference_prosody(speech, None if style is None else style.float().numpy(), self.style_tables)
        noise = torch.Generator().manual_seed(request.seed) if request.seed is not None else None
        if written is not None and request.score is not None:
            # WORLD sets the notes' pitch on the whole utterance: it comes as one chunk, as a --pitch sentence does.
            return (chunk for chunk in [self._scored(written, speech, noise, timbre, style)])
        # Written phonemes are one sentence, already read: the stream never phonemizes it.
        sentences = [request.phonemes] if written is not None else self.text.sentences(request.text, speech.language)
        first = self.text.rules.encode_tokens(written) if written is not None else self.encode(sentences[0], speech.language)
        whole = partial(self._whole_sentence, options=speech, noise=noise, timbre=timbre, style=style)
        chunks = partial(self._sentence_chunks, options=speech, noise=noise, timbre=timbre, schedule=schedule, style=style)
        return self._streamed(sentences, first, speech, whole, chunks, on_sentence)
