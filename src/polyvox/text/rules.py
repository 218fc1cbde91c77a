"""A voice's text rules: the one place where text becomes model inputs.

Training, fine-tuning, both inference engines, streaming, the server, batch synthesis and evaluation
all turn text (or a manifest's phonemes) into ids here, so they agree on normalisation, phonemisation,
the input scheme and what happens to a sound the voice never learned.

Input schemes (``TextEncoderConfig.prosody_embeddings``):
- ``features``: a token is a bare phoneme; its stress, tone or pitch accent and its length are prosody ids
  beside it (``polyvox.text.prosody``). Every known phoneme takes every accent.
- ``fused``: voices made before the features existed; stress and tone are part of the symbol (``ˈiː``,
  ``ian3``). A combination such a voice never saw is spoken as its nearest known variant, with a warning.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from polyvox.text.errors import TextError, UnknownSymbolError
from polyvox.text.frontend import TextFrontend
from polyvox.text.ids import EncodedText, encode_ids
from polyvox.text.prosody import fused, split_symbol, with_features
from polyvox.text.symbols import SymbolTable
from polyvox.text.token import Token

if TYPE_CHECKING:
    from polyvox.voice_file import VoiceMetadata
    from polyvox.config import VoiceConfig
    from polyvox.data.manifest import Utterance

logger = logging.getLogger(__name__)

INPUT_SCHEMES = ("fused", "features")
_MAX_REPORTED = 10
# Mandarin tones to try, in order, for a toned final a fused voice lacks: the contour closest first.
_NEAR_TONES = {"1": "4253", "2": "3514", "3": "2154", "4": "1532", "5": "3214"}
# Allophones espeak-ng writes that a voice may lack, and the phonemes they stand for (English "button" has a
# glottal stop for its t; a flap is a t or d): a voice that lacks one says the phoneme instead, with a warning.
# Unicode categories of characters that modify a sound rather than name one: combining and spacing
# modifiers (nasal tilde, ˈ ˌ ː, tone letters ˥˩ are Sk/Lm).
_MARK_CATEGORIES = frozenset({"Mn", "Mc", "Lm", "Sk"})
_ALLOPHONES = {"ʔ": ("t",), "ɾ": ("t", "d"), "ɫ": ("l",), "ᵻ": ("ɪ", "ə"), "ɐ": ("ə", "a"), "ɚ": ("ɜː", "ə")}


class TextRules:
    """Text -> tokens -> ids for one voice (its config, symbol table and languages)."""

    def __init__(
        self, config: VoiceConfig, languages: Sequence[str], symbols: SymbolTable | None = None, frontend: TextFrontend | None = None
    ) -> None:
        self.config = config
        # None while a new voice's table is still being built from its data (``vocabulary``).
        self._symbols = symbols
        self.languages = tuple(languages)
        self.language_ids = {name: index for index, name in enumerate(self.languages)}
        self.scheme = "features" if config.model.text_encoder.prosody_embeddings else "fused"
        # A front end of the same languages is shared rather than built again: each builds its phonemizers anew.
        shared = frontend is not None and frontend.serves(self.languages, config.text.inline_latin_language)
        self.frontend = frontend if shared else TextFrontend(self.languages, config.text.inline_latin_language)
        # Unseen sounds already warned about: a long text says each once, not once a sentence.
        self._warned: set[tuple[str, str]] = set()

    @classmethod
    def of(cls, metadata: VoiceMetadata, frontend: TextFrontend | None = None) -> TextRules:
        """The rules of a voice (or a run) from its metadata (with ``frontend`` when it serves its languages)."""
        return cls(metadata.config, metadata.languages, metadata.symbols, frontend)

    @property
    def symbols(self) -> SymbolTable:
        if self._symbols is None:
            raise TextError("this voice's symbol table is not built yet: build it from vocabulary() first")
        return self._symbols

    # Tokens ------------------------------------------------------------------------------------------
    def in_scheme(self, tokens: Sequence[Token]) -> list[Token]:
        """The phonemizers' tokens as this voice reads them."""
        return with_features(tokens) if self.scheme == "features" else fused(tokens)

    def tokens(self, sentence: str, language: str) -> list[Token]:
        """One sentence's tokens in this voice's scheme (raises ``TextError`` subclasses)."""
        return self.in_scheme(self.frontend.phonemize(sentence, language))

    def utterance_tokens(self, utterance: Utterance) -> list[Token]:
        """A manifest clip's tokens: its own phonemes when it has them (they match its durations, one
        token each, in either scheme), else the front end's reading of its text."""
        if utterance.phonemes:
            return self.in_scheme([Token(symbol, utterance.language) for symbol in utterance.phonemes])
        return self.tokens(utterance.text, utterance.language)

    @staticmethod
    def vocabulary(token_sequences: Iterable[Sequence[Token]]) -> list[str]:
        """Every symbol of ``token_sequences`` in first-seen order: what a symbol table is built or grown from."""
        return list(dict.fromkeys(token.symbol for sequence in token_sequences for token in sequence))

    def table_for(self, sentences: Iterable[tuple[str, str]]) -> SymbolTable:
        """The symbol table of a voice trained on ``(sentence, language)`` pairs: the base table and their
        symbols in this scheme (ids in first-seen order)."""
        return SymbolTable.base().extend(self.vocabulary(self.tokens(text, language) for text, language in sentences))

    def sentences(self, text: str, language: str) -> list[str]:
        return self.frontend.split_sentences(text, language)

    # Ids ---------------------------------------------------------------------------------------------
    def encode_tokens(self, tokens: Sequence[Token]) -> EncodedText:
        """Ids of tokens already in this scheme; an unknown symbol is an error (training data)."""
        text = self.config.text
        return encode_ids(
            tokens, self.symbols, text.add_blank, self.language_ids, text.sequence_layout, text.token_unit == "codepoint"
        )

    def encode(self, sentence: str, language: str) -> EncodedText:
        """Ids of one sentence to speak. A sound the voice lacks is spoken through the known symbols it is
        made of, or its nearest known variant, with a warning; one with no known stand-in is an error
        that names it and says how to teach it."""
        return self.encode_tokens(self.resolve_unseen(self.tokens(sentence, language)))

    # Unseen sounds ------------------------------------------------------------------------------------
    def resolve_unseen(self, tokens: Sequence[Token]) -> list[Token]:
        if self.config.text.token_unit == "codepoint":
            return self._resolve_unseen_characters(tokens)
        resolved: list[Token] = []
        missing: list[Token] = []
        for token in tokens:
            if token.symbol in self.symbols:
                resolved.append(token)
                continue
            stand_in = self._stand_in(token)
            if stand_in is None:
                missing.append(token)
                continue
            self._warn_once(
                (token.symbol, token.language),
                "sound %r (%s) is not one this voice learned; spoken as %s. Fine-tune on recordings with it to teach "
                "the voice the sound itself", token.symbol, token.language, " + ".join(repr(part.symbol) for part in stand_in),
            )
            resolved.extend(stand_in)
        if missing:
            raise self._unknown_error(missing)
        return resolved

    def _warn_once(self, key: tuple[str, str], message: str, *arguments: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.warning(message, *arguments)

    def _resolve_unseen_characters(self, tokens: Sequence[Token]) -> list[Token]:
        """A codepoint voice (an imported Piper voice) numbers each character: an unknown mark (stress, length,
        tone, a combining diacritic) is left out, an unknown letter spoken as its base letter or an allophone,
        each with a warning; a letter with no stand-in is an error, as for other voices."""
        resolved: list[Token] = []
        missing: list[Token] = []
        for token in tokens:
            characters = []
            for char in token.symbol:
                if char in self.symbols:
                    characters.append(char)
                    continue
                if unicodedata.category(char) in _MARK_CATEGORIES:
                    key = (char, token.language)
                    self._warn_once(key, "mark %r (%s) is not one this voice learned; left out", *key)
                    continue
                stand_in = self._stand_in(Token(char, token.language, token.accent, token.length))
                if stand_in is None:
                    missing.append(Token(char, token.language, token.accent, token.length))
                    continue
                spoken = "".join(part.symbol for part in stand_in)
                key = (char, token.language)
                self._warn_once(key, "sound %r (%s) is not one this voice learned; spoken as %r", *key, spoken)
                characters.append(spoken)
            if characters:
                resolved.append(Token("".join(characters), token.language, token.accent, token.length))
        if missing:
            raise self._unknown_error(missing)
        return resolved

    def unknown_sounds(self, tokens: Sequence[Token]) -> list[str]:
        """The symbols of ``tokens`` (in this scheme) that the voice neither knows nor can stand in for."""
        if self.config.text.token_unit == "codepoint":
            return sorted({
                char for token in tokens for char in token.symbol
                if char not in self.symbols and unicodedata.category(char) not in _MARK_CATEGORIES
                and self._stand_in(Token(char, token.language, token.accent, token.length)) is None
            })
        missing = {token.symbol for token in tokens if token.symbol not in self.symbols and self._stand_in(token) is None}
        return sorted(missing)

    def _stand_in(self, token: Token) -> list[Token] | None:
        """Known tokens that say ``token``: its parts (``ʊɐ`` -> ``ʊ``, ``ɐ``), or a variant with another
        stress, length or tone (fused voices), or its base letter without diacritics (``n̩`` -> ``n``)."""
        parts = self.symbols.spell(token.symbol)
        if parts is not None:
            return [Token(part, token.language, token.accent, token.length) for part in parts]
        candidates = self._variants(token.symbol, token.language) if self.scheme == "fused" else []
        base = "".join(char for char in unicodedata.normalize("NFD", token.symbol) if not unicodedata.combining(char))
        candidates.append(base)
        candidates.extend(_ALLOPHONES.get(token.symbol, ()))
        for candidate in candidates:
            if candidate and candidate in self.symbols:
                return [Token(candidate, token.language, token.accent, token.length)]
        return None

    @staticmethod
    def _variants(symbol: str, language: str) -> list[str]:
        """Fused symbols for the same phoneme with other features, nearest first."""
        phoneme, accent, length = split_symbol(symbol, language)
        if language == "zh":
            return [f"{phoneme}{tone}" for tone in _NEAR_TONES.get(accent, "")] + [phoneme]
        stresses = [accent, *(mark for mark in ("ˈ", "ˌ", "") if mark != accent)]
        lengths = [length, *(mark for mark in ("ː", "") if mark != length)]
        variants = []
        for with_length in lengths:  # keep the length before the stress: it changes the vowel's quality more
            for stress in stresses:
                variants.append(_fuse(phoneme, stress, with_length))
        return [variant for variant in variants if variant != symbol]

    def _unknown_error(self, missing: Sequence[Token]) -> UnknownSymbolError:
        sounds = list(dict.fromkeys((token.symbol, token.language) for token in missing))
        shown = ", ".join(f"{symbol!r} ({language})" for symbol, language in sounds[:_MAX_REPORTED])
        more = f" and {len(sounds) - _MAX_REPORTED} more" if len(sounds) > _MAX_REPORTED else ""
        return UnknownSymbolError(
            f"this voice never learned the sound(s) {shown}{more}: the text is probably in a language the voice does not "
            f"speak ({', '.join(self.languages)}); pass --lang, or teach the voice with recordings that contain these "
            "sounds: `polyvox finetune --from VOICE --data clips.jsonl -o new_voice.safetensors` (docs/finetuning.md)"
        )


def _fuse(phoneme: str, stress: str, length: str) -> str:
    """espeak-ng's order: stress mark before the vowel, length mark after it."""
    return f"{stress}{phoneme}{length}"
