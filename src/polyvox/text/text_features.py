"""Text features (MeloTTS's BERT): per-token features of a sentence from a local BERT-family model.

The model is a Hugging Face folder the user points to (nothing is downloaded); it is named by the folder's
name, its hidden size and a sha256 of its weight files. The sentence runs through it once; each word's
subword features are averaged into one row, and every id of the word's phonemes gets that row.

Alignment. The front end marks word boundaries (a ``" "`` token between words), but it reads the normalised
text (numbers and abbreviations spelled out), so the words are taken from the same normalisation. When the
phonemes have as many words as the text, word k gets word k's row. espeak-ng joins some words ("on the" is one
word to it) and may split one; then phoneme words are matched to text words in order by a small dynamic
programme over how many sounds each text word has read alone (one for one, one for two or three, two for one),
and a joined word's sounds are shared out in order among the words it stands for. Counting alone (word k of n
to word k of m) would shift every word after a join onto its neighbour's row. Chinese and Japanese have no
spaces: each character is a unit (multilingual BERT reads CJK by character) and the phonemes are spread over the
characters in proportion. Spaces and punctuation take the row of the sound before them; BOS, EOS and blanks
their neighbours' (the ids are built with each token's unit in its language's place: ``position_units``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from polyvox.errors import PolyvoxError
from polyvox.fingerprint import TextFeatureModel
from polyvox.text.frontend import SILENT_TOKENS
from polyvox.text.errors import TextError
from polyvox.text.ids import encode_ids
from polyvox.text.normalize import normalize
from polyvox.text.tags import split_language_tags
from polyvox.text.token import Token

if TYPE_CHECKING:
    from polyvox.config import TextFeaturesConfig
    from polyvox.text.rules import TextRules

# Languages written without spaces between words: their units are characters.
UNSPACED_LANGUAGES = frozenset({"zh", "ja"})
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
_WORD = re.compile(r"\w[\w'’-]*")
# In an unspaced language, a run of Latin letters or digits is one unit and any other word character is one.
_UNSPACED_UNIT = re.compile(r"[A-Za-z0-9'’-]+|\w")


class TextFeaturesError(PolyvoxError, ValueError):
    """A text-feature model is missing, unreadable or not the one a voice was trained with."""


@dataclass(frozen=True)
class TextFeatures:
    """One sentence's features: a row per text unit (word, or character in zh/ja) and the unit of each id."""

    unit_rows: np.ndarray  # (units, dim) float32
    position_units: tuple[int, ...]  # one per id of the sentence's encoding

    def per_position(self) -> np.ndarray:
        """(ids, dim): each id's row."""
        return self.unit_rows[list(self.position_units)]


def model_identity(folder: str | Path) -> TextFeatureModel:
    """Name (the folder's), hidden size and sha256 of a model folder's weight files (their names and bytes)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TextFeaturesError(f"text-feature model folder {folder} does not exist; pass a local Hugging Face model folder")
    config_path = folder / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TextFeaturesError(f"{config_path} cannot be read as a model config ({error}); pass a Hugging Face model folder") from error
    dim = config.get("hidden_size", config.get("dim"))
    if not isinstance(dim, int) or dim < 1:
        raise TextFeaturesError(f"{config_path} gives no hidden_size; pass a BERT-family model folder")
    weights = sorted(path for path in folder.iterdir() if path.suffix in WEIGHT_SUFFIXES and path.is_file())
    if not weights:
        raise TextFeaturesError(f"{folder} has no weight file (model.safetensors or pytorch_model.bin); pass a model folder")
    digest = hashlib.sha256()
    for path in weights:
        digest.update(f"{path.name};".encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return TextFeatureModel(folder.resolve().name, dim, digest.hexdigest())


def text_feature_overrides(folder: str | Path, layer: int = -1) -> list[str]:
    """``--set`` values that give a voice the model in ``folder`` (``polyvox train/finetune --text-features``)."""
    identity = model_identity(folder)
    values = {
        "enabled": True, "name": identity.name, "dim": identity.dim, "weights_sha256": identity.weights_sha256,
        "layer": layer, "folder": str(Path(folder).resolve()),
    }
    return [f"model.text_features.{key}={json.dumps(value)}" for key, value in values.items()]


def describe(identity: TextFeatureModel) -> str:
    return f"{identity.name!r} (dim {identity.dim}, sha256 {identity.weights_sha256[:12]})"


def sentence_units(sentence: str, language: str) -> list[str]:
    """The words (characters in zh and ja) of ``sentence`` as the front end reads it: language tags removed,
    numbers and abbreviations spelled out."""
    return [unit for unit, _ in _units_and_languages(sentence, language)]


def _units_and_languages(sentence: str, language: str) -> list[tuple[str, str]]:
    units: list[tuple[str, str]] = []
    for span in split_language_tags(sentence, language):
        pattern = _UNSPACED_UNIT if span.language in UNSPACED_LANGUAGES else _WORD
        units.extend((unit, span.language) for unit in pattern.findall(normalize(span.text, span.language)))
    return units


def _sounds(tokens: Sequence[Token]) -> int:
    return sum(token.symbol not in SILENT_TOKENS for token in tokens)


def phoneme_words(tokens: Sequence[Token]) -> list[list[int]]:
    """The indices of the sound tokens of each phoneme word (words end at spaces and punctuation)."""
    words: list[list[int]] = []
    for index, token in enumerate(tokens):
        if token.symbol in SILENT_TOKENS:
            continue
        if not words or tokens[index - 1].symbol in SILENT_TOKENS:
            words.append([])
        words[-1].append(index)
    return words


def unit_sizes(units: Sequence[tuple[str, str]], rules: TextRules) -> list[int]:
    """How many sounds each word has read alone (its letters where the front end cannot read it alone): what the
    alignment expects of the phoneme words that stand for it."""
    sizes = []
    for unit, language in units:
        try:
            sizes.append(max(_sounds(rules.frontend.phonemize(unit, language)), 1))
        except TextError:
            sizes.append(len(unit))
    return sizes


def token_units(tokens: Sequence[Token], sizes: Sequence[int], unspaced: bool) -> list[int]:
    """The text unit of each token, given each unit's expected sounds (``unit_sizes``; only read when the phoneme
    words and the units differ in number); see the module's docstring for why this alignment."""
    words = phoneme_words(tokens)
    if not sizes or not words:
        return [0] * len(tokens)
    if unspaced:
        groups = None
    elif len(words) == len(sizes):  # as many words as the text has: word k is word k
        groups = [(index, index + 1, index, index + 1) for index in range(len(words))]
    else:
        groups = _word_groups([len(word) for word in words], sizes)
    if groups is None:  # one group: the sounds spread over the characters (or words) in proportion
        groups = [(0, len(words), 0, len(sizes))]
    unit_of: dict[int, int] = {}
    for word_start, word_end, unit_start, unit_end in groups:
        sounds = [index for word in words[word_start:word_end] for index in word]
        for rank, index in enumerate(sounds):
            unit_of[index] = unit_start + int((rank + 0.5) * (unit_end - unit_start) / len(sounds))
    aligned, current = [], 0
    for index in range(len(tokens)):
        current = unit_of.get(index, current)  # silent tokens keep the unit of the sound before them
        aligned.append(current)
    return aligned


# How phoneme words may stand for text words: one for one, one for two or three (espeak-ng reads "on the" as one
# word), two for one (a word read as two); each but the first costs a little.
_GROUPINGS = ((1, 1, 0.0), (1, 2, 0.3), (1, 3, 0.6), (2, 1, 0.3))


def _word_groups(sounds: Sequence[int], expected: Sequence[int]) -> list[tuple[int, int, int, int]] | None:
    """Phoneme words (their sound counts) matched in order to text words (the sounds each has alone) by the
    cheapest sequence of ``_GROUPINGS``, a group's cost being how far its sounds are from the words' (in log, at the
    sentence's overall rate); (word start, word end, unit start, unit end) per group, or None when none fits."""
    rate = sum(sounds) / max(sum(expected), 1)
    rows, columns = len(sounds) + 1, len(expected) + 1
    cost = np.full((rows, columns), np.inf)
    cost[0, 0] = 0.0
    step: dict[tuple[int, int], tuple[int, int]] = {}
    for word in range(rows):
        for unit in range(columns):
            for taken_words, taken_units, penalty in _GROUPINGS:
                start_word, start_unit = word - taken_words, unit - taken_units
                if start_word < 0 or start_unit < 0 or not np.isfinite(cost[start_word, start_unit]):
                    continue
                wanted = rate * max(sum(expected[start_unit:unit]), 1)
                total = cost[start_word, start_unit] + abs(np.log(sum(sounds[start_word:word]) / wanted)) + penalty
                if total < cost[word, unit]:
                    cost[word, unit] = total
                    step[(word, unit)] = (start_word, start_unit)
    if not np.isfinite(cost[-1, -1]):
        return None
    groups, at = [], (rows - 1, columns - 1)
    while at != (0, 0):
        start = step[at]
        groups.append((start[0], at[0], start[1], at[1]))
        at = start
    return groups[::-1]


def position_units(tokens: Sequence[Token], units: Sequence[int], rules: TextRules) -> tuple[int, ...]:
    """Each id's unit: the ids are built by ``encode_ids`` with each token's unit in its language's place, so
    codepoint splitting, BOS/EOS and blanks (which take a neighbour's language) follow the voice's own layout."""
    text = rules.config.text
    carried = [replace(token, language=str(unit)) for token, unit in zip(tokens, units)]
    encoded = encode_ids(
        carried, rules.symbols, text.add_blank, {str(unit): unit for unit in set(units)}, text.sequence_layout,
        text.token_unit == "codepoint",
    )
    return tuple(encoded.language_ids)


class TextFeatureExtractor:
    """A local BERT-family model folder, loaded on first use (transformers is imported only then)."""

    def __init__(self, folder: str | Path, layer: int = -1, identity: TextFeatureModel | None = None) -> None:
        self.folder = Path(folder)
        self.layer = layer
        self.identity = identity or model_identity(self.folder)
        self._model: Any = None
        self._tokenizer: Any = None
        # One sentence at a time: a fast tokenizer asked to truncate from two threads at once raises "Already
        # borrowed", and the server's replicas of a voice share its extractor.
        self._lock = threading.Lock()

    @classmethod
    def for_voice(cls, section: TextFeaturesConfig, folder: str | Path | None, source: str, option: str) -> TextFeatureExtractor:
        """The extractor a voice (or run) trained with ``section`` speaks with; refused in one line naming the model
        and what to pass (``option``) when ``folder`` is missing or holds another model."""
        wanted = TextFeatureModel(section.name, section.dim, section.weights_sha256)
        if folder is None:
            raise TextFeaturesError(
                f"{source} needs the text features of {describe(wanted)}: pass that model's folder with {option}"
            )
        given = model_identity(folder)
        if given != wanted:
            raise TextFeaturesError(
                f"{source} needs the text features of {describe(wanted)}, but {folder} holds {describe(given)}: "
                f"pass the folder it was trained with ({option})"
            )
        return cls(folder, section.layer, given)

    def _load(self) -> None:
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError as error:
            raise TextFeaturesError("text features need transformers: pip install 'polyvox[text-features]'") from error
        self._tokenizer = AutoTokenizer.from_pretrained(str(self.folder), local_files_only=True)
        if not self._tokenizer.is_fast:
            raise TextFeaturesError(f"{self.folder} has no fast tokenizer (tokenizer.json), which maps subwords to words")
        self._model = AutoModel.from_pretrained(str(self.folder), local_files_only=True).eval()
        states = self._model.config.num_hidden_layers + 1  # the embeddings' output, then each layer's
        if not -states <= self.layer < states:
            raise TextFeaturesError(
                f"model.text_features.layer {self.layer} is not a layer of {self.folder} (it has {states} hidden states: "
                f"-{states} .. {states - 1})"
            )

    def unit_features(self, units: Sequence[str]) -> np.ndarray:
        """(units, dim) float32: the chosen layer's hidden states averaged over each unit's subwords (zeros for a
        unit the tokenizer drops or truncates)."""
        import torch

        rows = np.zeros((len(units), self.identity.dim), dtype=np.float32)
        if not units:
            return rows
        with self._lock, torch.no_grad():
            if self._model is None:
                self._load()
            encoded = self._tokenizer(list(units), is_split_into_words=True, truncation=True, return_tensors="pt")
            hidden = self._model(**encoded, output_hidden_states=True).hidden_states[self.layer][0].float().numpy()
        counts = np.zeros(len(units), dtype=np.float32)
        for position, unit in enumerate(encoded.word_ids(0)):
            if unit is not None:
                rows[unit] += hidden[position]
                counts[unit] += 1
        return rows / np.maximum(counts, 1)[:, None]

    def sentence_features(
        self, sentence: str, language: str, tokens: Sequence[Token], rules: TextRules, unit_rows: np.ndarray | None = None
    ) -> TextFeatures:
        """Features of each id of ``tokens`` (``sentence`` in the voice's scheme, as encoded); ``unit_rows``: the
        sentence's rows when already computed (a cache)."""
        units = _units_and_languages(sentence, language)
        rows = self.unit_features([unit for unit, _ in units]) if unit_rows is None else unit_rows
        if not units:  # nothing the model can read (a clip given as phonemes only): one row of zeros
            rows = np.zeros((1, self.identity.dim), dtype=np.float32)
        unspaced = language in UNSPACED_LANGUAGES
        # Only a sentence whose phoneme words and text words differ in number needs each word's sounds.
        counted = not unspaced and len(phoneme_words(tokens)) != len(units)
        sizes = unit_sizes(units, rules) if counted else [len(unit) for unit, _ in units]
        aligned = token_units(tokens, sizes, unspaced)
        return TextFeatures(rows, position_units(tokens, aligned, rules))

    def cached_features(self, sentence: str, language: str, tokens: Sequence[Token], rules: TextRules, cache_dir: Path) -> TextFeatures:
        """``sentence_features``, the model's rows kept in ``cache_dir`` under a key of the model (name, size, weights,
        layer) and the sentence's units, so a run reads each clip's once and another model never reuses them."""
        units = sentence_units(sentence, language)
        parts = [self.identity.name, self.identity.dim, self.identity.weights_sha256, self.layer, units]
        key = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
        path = cache_dir / key[:2] / f"{key}.npy"
        if path.exists():
            rows = np.load(path)
        else:
            rows = self.unit_features(units)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial.npy")
            np.save(partial, rows)
            partial.replace(path)  # whole or absent: a killed run never leaves half a file
        return self.sentence_features(sentence, language, tokens, rules, rows)


__all__ = [
    "TextFeatureExtractor", "TextFeatures", "TextFeaturesError", "model_identity", "phoneme_words", "position_units",
    "sentence_units", "text_feature_overrides", "token_units", "unit_sizes",
]
