"""A speech recognizer's verdict at each validation: the held-out sentences spoken from text and transcribed.

Mel loss compares a clip with its reference frame by frame; it does not say whether a listener understands
the words (a voice can lower it while becoming less intelligible, as the adversarial phase often does). This
listener speaks each language's held-out sentences with the generator being trained (text to speech, the
voice's own durations), transcribes them with a local Whisper model (``polyvox.evaluation.asr``) and adds
``listener_cer`` (character error rate, each clip's errors at most its length; pinyin syllables for zh, kana for ja)
to the language's figures, so that the best-voice keeper can choose steps by it (``BestVoice(figure="listener_cer")``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from polyvox.data.dataset import EncodedUtterance
from polyvox.evaluation.error_rate import pooled

if TYPE_CHECKING:
    from polyvox.evaluation.listener import Listener
    from polyvox.train.language_validation import Figures

logger = logging.getLogger(__name__)

LISTENER_FIGURE = "listener_cer"
# The same noise at every validation: steps differ by their weights, not by the draw.
NOISE_SEED = 0


class ListenerValidation:
    """A ``LanguageValidation`` listener: adds ``listener_cer`` per language to the figures it is given."""

    def __init__(self, listener: Listener, items: Sequence[EncodedUtterance], sample_rate: int) -> None:
        self.listener = listener
        self.items = [item for item in items if item.utterance.text]
        self.sample_rate = sample_rate

    def __call__(self, module: Any, step: int, figures: Figures) -> None:
        generator = module.generator
        modes = {name: part.training for name, part in generator.named_modules()}
        generator.eval()
        counts: dict[str, list[Any]] = {}
        try:
            with torch.no_grad(), torch.random.fork_rng(devices=[]):
                for item in self.items:
                    samples = self._speak(generator, item, module.device)
                    hearing = self.listener(samples, self.sample_rate, item.utterance.text, item.utterance.language)
                    if hearing.characters is not None:
                        # Capped: one clip Whisper repeats itself on (CER 6.5 seen) would outweigh all the others.
                        counts.setdefault(item.utterance.language, []).append(hearing.characters.capped())
        finally:
            for name, part in generator.named_modules():
                part.training = modes[name]
        for language, language_counts in counts.items():
            figures.setdefault(language, {})[LISTENER_FIGURE] = pooled(language_counts).rate
        logger.info(
            "step %d listener: %s", step,
            ", ".join(f"{language} CER {values[LISTENER_FIGURE]:.3f}" for language, values in figures.items() if LISTENER_FIGURE in values),
        )
        if module.logger is not None:
            module.logger.log_metrics(
                {f"val_{language}/{LISTENER_FIGURE}": values[LISTENER_FIGURE] for language, values in figures.items() if LISTENER_FIGURE in values},
                step=step,
            )

    def _speak(self, generator: Any, item: EncodedUtterance, device: torch.device) -> Any:
        ids = torch.tensor([item.phoneme_ids], device=device)
        prosody = torch.tensor([item.prosody_ids], device=device) if item.prosody_ids else None
        output = generator.synthesize(
            ids, torch.tensor([item.language_ids], device=device), torch.tensor([ids.shape[1]], device=device),
            torch.tensor([item.speaker_id], device=device), noise_generator=torch.Generator(device=device).manual_seed(NOISE_SEED),
            prosody_ids=prosody,
        )
        return output.waveform.reshape(output.waveform.shape[0], -1)[0, : int(output.sample_lengths[0])].float().cpu().numpy()
