"""Does a sampled style fit its sentence? For a style voice trained on a corpus labelled by sentence kind
(``polyvox corpus --style-by sentence``): styles drawn for held-out sentences of each kind, measured against the
voice's label rows, and the same draws with the condition taken from other sentences (a control: what is left is
the sampler's prior, whatever the text); whether the condition carries the kind at all; and what the sampler reads
from it when trained alone for longer than the fine-tune trained it.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

import torch

from polyvox.data.corpus.sentence_kinds import SENTENCE_KIND_STYLES, sentence_kind
from polyvox.data.corpus.sentences import SentenceGenerator, grammar_for
from polyvox.data.manifest import Utterance
from polyvox.evaluation.prosody import ProsodyFigures, mean_figures, prosody_figures, spoken_phonemes

if TYPE_CHECKING:
    from polyvox.inference.voice import Voice

KINDS = tuple(SENTENCE_KIND_STYLES)
# Sentences drawn while looking for held-out ones of each kind, as a multiple of those asked for.
HELD_OUT_ATTEMPTS = 40


def held_out_sentences(language: str, per_kind: int, seed: int, exclude: Collection[str]) -> dict[str, list[str]]:
    """``per_kind`` sentences of each kind from the grammar's draw for ``seed``, none of them in ``exclude``."""
    generator = SentenceGenerator(grammar_for(language), seed)
    chosen: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for text in generator.sentences(HELD_OUT_ATTEMPTS * per_kind):
        kind = sentence_kind(text)
        if text not in exclude and len(chosen[kind]) < per_kind:
            chosen[kind].append(text)
    short = [kind for kind, texts in chosen.items() if len(texts) < per_kind]
    if short:
        raise ValueError(f"the {language} grammar gave fewer than {per_kind} held-out {', '.join(short)} sentences")
    return chosen


def drawn_styles(
    voice: Voice, texts: Sequence[str], speaker: str, seeds: Sequence[int], scale: float = 1.0,
    condition_texts: Sequence[str] | None = None, language: str = "en",
) -> torch.Tensor:
    """Styles (texts x seeds, style_channels) the voice's sampler draws for each text and seed, as ``--style sample``
    does; with ``condition_texts`` text i is drawn under condition_texts[i]'s condition instead (a control)."""
    from polyvox.inference.style import sampled_style
    from polyvox.speech_request import SpeechRequest

    speaker_vector = voice.generator.speaker_vector(torch.tensor([voice.metadata.speakers.index(speaker)]))
    conditions = condition_texts if condition_texts is not None else texts
    styles = [
        sampled_style(
            voice.generator, voice.encode(condition, language), speaker_vector,
            SpeechRequest(text, style="sample", seed=seed, style_scale=scale), torch.Generator().manual_seed(seed),
        )
        for text, condition in zip(texts, conditions, strict=True)
        for seed in seeds
    ]
    return torch.cat(styles)


def shuffled(texts_by_kind: dict[str, list[str]], seed: int) -> dict[str, list[str]]:
    """Each kind's texts paired with texts drawn at random from every kind (the control's conditions)."""
    pool = [text for texts in texts_by_kind.values() for text in texts]
    rng = random.Random(seed)
    return {kind: [rng.choice(pool) for _ in texts] for kind, texts in texts_by_kind.items()}


def label_rows(voice: Voice) -> dict[str, torch.Tensor]:
    """Each label's style row (style_channels,), as ``--emotion`` speaks it at strength 1."""
    labels = voice.metadata.config.model.style.labels
    with torch.no_grad():
        rows = voice.generator.style_encoder.label_vectors(torch.arange(len(labels)))
    return {label: row for label, row in zip(labels, rows, strict=True)}


def nearest_label_shares(styles: torch.Tensor, rows: dict[str, torch.Tensor]) -> dict[str, float]:
    """The share of ``styles`` (n, style_channels) nearest (Euclidean) to each label's row."""
    names = list(rows)
    nearest = torch.cdist(styles, torch.stack([rows[name] for name in names])).argmin(dim=1)
    return {name: float((nearest == index).float().mean()) for index, name in enumerate(names)}


def mean_distance(styles: torch.Tensor, row: torch.Tensor) -> float:
    """Mean Euclidean distance of ``styles`` (n, style_channels) from ``row`` (style_channels,)."""
    return float((styles - row).norm(dim=1).mean())


def rendered_figures(
    voice: Voice, texts: Sequence[str], speaker: str, seeds: Sequence[int], language: str = "en", **options: object
) -> ProsodyFigures:
    """Mean prosody of the voice speaking each text with each seed under request ``options``; the rate counts the
    front end's sounds, so sentences of different lengths compare."""
    figures = []
    for text in texts:
        sounds = spoken_phonemes(token.symbol for token in voice.frontend.phonemize(text, language))
        for seed in seeds:
            samples = voice.synthesize(text, speaker=speaker, seed=seed, **options).samples
            figures.append(prosody_figures(samples, voice.sample_rate, sounds))
    return mean_figures(figures)


def sentence_conditions(voice: Voice, texts: Sequence[str], speaker: str, language: str = "en") -> torch.Tensor:
    """The sampler's condition (texts, condition_channels) for each text and ``speaker``."""
    from polyvox.inference.engine import text_features_of

    generator = voice.generator
    speaker_vector = generator.speaker_vector(torch.tensor([voice.metadata.speakers.index(speaker)]))
    conditions = []
    for text in texts:
        encoded = voice.encode(text, language)
        ids, languages, prosody = encoded
        features = text_features_of(encoded)
        conditions.append(generator.style_condition(
            torch.tensor([ids]), torch.tensor([languages]), torch.tensor([len(ids)]), speaker_vector, torch.tensor([prosody]),
            None if features is None else torch.from_numpy(features)[None],
        ))
    return torch.cat(conditions)


def condition_separation(train: dict[str, torch.Tensor], held_out: dict[str, torch.Tensor]) -> dict[str, object]:
    """Whether the condition carries the sentence kind, apart from any sampler: per kind, conditions (n, channels) of
    training and held-out sentences (one speaker). Gives the held-out share a nearest-centroid reader classifies right
    (each channel standardised on training; chance a third), and the training centroids' distances beside the mean
    distance of a condition from its own kind's centroid."""
    kinds = list(train)
    everything = torch.cat([train[kind] for kind in kinds])
    mean, spread = everything.mean(dim=0), everything.std(dim=0).clamp(min=1e-6)
    centroids = torch.stack([((train[kind] - mean) / spread).mean(dim=0) for kind in kinds])
    right = sum(int((torch.cdist((held_out[kind] - mean) / spread, centroids).argmin(dim=1) == index).sum()) for index, kind in enumerate(kinds))
    raw = torch.stack([train[kind].mean(dim=0) for kind in kinds])
    within = torch.cat([(train[kind] - raw[index]).norm(dim=1) for index, kind in enumerate(kinds)]).mean()
    return {
        "held_out_accuracy": right / sum(len(held_out[kind]) for kind in kinds),
        "centroid_distances": {f"{a}-{b}": round(float((raw[i] - raw[j]).norm()), 4) for i, a in enumerate(kinds) for j, b in enumerate(kinds) if i < j},
        "within_kind_distance": round(float(within), 4),
    }


def train_sampler_alone(
    voice: Voice, utterances: Sequence[Utterance], steps: int, learning_rate: float, seed: int = 0, language: str = "en",
) -> list[float]:
    """Train ``voice``'s style sampler in place, nothing else (the voice is not saved), on the labelled
    ``utterances``: each clip's condition under the voice and its label's row, as a run's end fits it
    (``train/style_sampler_fit.py``). Measures what the sampler can read from its condition given more training.
    Returns the loss of each step."""
    from polyvox.train.style_sampler_fit import fit_style_sampler

    rows = label_rows(voice)
    labelled = [u for u in utterances if u.style is not None]
    conditions = torch.cat([sentence_conditions(voice, [u.text], u.speaker, language) for u in labelled])
    targets = torch.stack([rows[u.style] for u in labelled if u.style is not None])
    return fit_style_sampler(voice.generator.style_sampler.requires_grad_(True), conditions, targets, steps, learning_rate, seed)
