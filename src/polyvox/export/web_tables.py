"""``web.json``: the Python front end's tables, written for the browser page so that it has one copy of them.

The page (``polyvox/web/text.js``) reproduces ``TextRules.encode`` for the languages that espeak-ng
phonemizes, for Mandarin (``mandarin.js`` with pypinyin's data, ``web_mandarin``) and for Japanese
(``japanese.js`` with pyopenjtalk's dictionary, ``web_japanese``); it reads every table from here rather than
keeping its own, so a change in Python reaches the page with the next export. What the page cannot yet do
(other scripts that switch language) is listed per language with the reason, for the page to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyvox.export.web_japanese import DICTIONARY_FOLDER, JAPANESE_NAME, japanese_missing
from polyvox.export.web_mandarin import MANDARIN_NAME, mandarin_missing
from polyvox.inference.request import SENTENCE_PAUSE_S
from polyvox.inference.windows import FIRST_CHUNK_FRAMES, MAX_CHUNK_FRAMES
from polyvox.text.abbreviations import ABBREVIATIONS, SYMBOLS
from polyvox.text.phonemizers.espeak import _TO_ESPEAK_MARKS, VOICE_CANDIDATES, espeak_voices, resolve_voice
from polyvox.text.prosody import ACCENTS, LENGTHS
from polyvox.text.punctuation import PUNCTUATION_TOKENS, SILENT_MARKS
from polyvox.text.rules import _ALLOPHONES, _NEAR_TONES
from polyvox.text.scripts import LATIN, NON_LATIN_LANGUAGES, READABLE_SCRIPTS
from polyvox.text.sentences import MAX_SENTENCE_CHARS, dotted_scales

WEB_TABLES_FORMAT = "polyvox-web-frontend"
WEB_TABLES_VERSION = 1
# Languages the page phonemizes: espeak-ng IPA and polyvox's own ids, written in Latin script (en, es, fr, de),
# Mandarin with pypinyin's data and Japanese with pyopenjtalk's dictionary and tables (their Latin-script words
# go to the voice's inline Latin language, as in Python). The others (ru, ar) split Latin-script words off to
# another language (``split_latin_runs``) with a front end the page does not have yet.
_NON_LATIN_REASON = "text in a non-Latin script switches Latin words to another language; the page does not do that yet"
_OTHER_REASON = "the page reads only the Latin-script languages with their own front end (en, es, fr, de) yet"


def _phonemizer_marks() -> str:
    from phonemizer.punctuation import Punctuation

    return Punctuation.default_marks()


def browser_languages(languages: Sequence[str]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """``(supported, unsupported)``: each supported language's espeak voice and tables; a reason for each other."""
    available = espeak_voices()
    supported: dict[str, dict[str, Any]] = {}
    unsupported: dict[str, str] = {}
    for language in languages:
        if language == "zh":
            reason = mandarin_missing()
            if reason:
                unsupported[language] = reason
            else:
                supported[language] = {"mandarin": MANDARIN_NAME, **_text_tables(language)}
        elif language == "ja":
            reason = japanese_missing()
            if reason:
                unsupported[language] = reason
            else:
                supported[language] = {"japanese": JAPANESE_NAME, "dictionary": DICTIONARY_FOLDER, **_text_tables(language)}
        elif language in NON_LATIN_LANGUAGES:
            unsupported[language] = _NON_LATIN_REASON
        elif LATIN not in READABLE_SCRIPTS.get(language, ()):  # espeak-only codes read any script in Python
            unsupported[language] = _OTHER_REASON
        else:
            voice = resolve_voice(language, available)
            supported[language] = {
                # Python's voice first; the browser's espeak-ng build may name it another way (fr vs fr-fr).
                "espeak_voices": [voice, *(name for name in VOICE_CANDIDATES.get(language, ()) if name != voice)],
                **_text_tables(language),
            }
    return supported, unsupported


def _text_tables(language: str) -> dict[str, dict[str, str]]:
    """What the page expands before phonemizing, as Python does: abbreviations and symbols read as words."""
    return {
        "abbreviations": dict(ABBREVIATIONS.get(language, {})), "symbols": dict(SYMBOLS.get(language, {})),
        "dotted_scales": dotted_scales(language),
    }


def web_tables(languages: Sequence[str]) -> dict[str, Any]:
    """The document the page reads beside the voice's ``voice.onnx.json``."""
    supported, unsupported = browser_languages(languages)
    return {
        "format": WEB_TABLES_FORMAT,
        "format_version": WEB_TABLES_VERSION,
        "languages": supported,
        "unsupported_languages": unsupported,
        "punctuation_tokens": dict(PUNCTUATION_TOKENS),
        "silent_marks": "".join(sorted(SILENT_MARKS)),
        "espeak_marks": {chr(code): replacement for code, replacement in _TO_ESPEAK_MARKS.items()},
        "phonemizer_marks": _phonemizer_marks(),
        "allophones": {sound: list(stand_ins) for sound, stand_ins in _ALLOPHONES.items()},
        "near_tones": dict(_NEAR_TONES),
        "prosody": {"accents": list(ACCENTS), "lengths": list(LENGTHS)},
        "max_sentence_chars": MAX_SENTENCE_CHARS,
        "sentence_pause_s": SENTENCE_PAUSE_S,
        "first_chunk_frames": FIRST_CHUNK_FRAMES,
        "max_chunk_frames": MAX_CHUNK_FRAMES,
    }
