"""Derive the phoneme inventories (src/polyvox/text/data/phoneme_inventory_<language>.json).

    python tools/phoneme_inventory.py                 # en es fr de zh ja ru ar
    python tools/phoneme_inventory.py --languages en

Each language's most frequent words (wordfreq, ``pip install 'polyvox[dev]'``) are read one by one, and
in ``--sentences`` random sentences of them (for the sounds made across word boundaries), by polyvox's
own front end and split into the ``features`` scheme: a phoneme is every bare symbol any of them has; a
(phoneme, accent) pair counts when at least ``--min-pair-words`` words or sentences have it (a pair seen
once is usually a loanword's or a misreading's). Re-run it when a phonemizer changes.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections import defaultdict
from importlib import metadata
from pathlib import Path

from polyvox.data.coverage import INVENTORY_FILE
from polyvox.text.errors import TextError
from polyvox.text.frequent_words import INVENTORY_WORDS, frequent_words
from polyvox.text.frontend import SILENT_TOKENS, TextFrontend
from polyvox.text.prosody import with_features

DATA_FOLDER = Path(__file__).resolve().parent.parent / "src" / "polyvox" / "text" / "data"
LANGUAGES = ("en", "es", "fr", "de", "zh", "ja", "ru", "ar")
EXAMPLES = 3
SENTENCE_WORDS = 8

logger = logging.getLogger("phoneme_inventory")


def inventory(language: str, words: int, sentences: int, min_pair_words: int) -> dict[str, object]:
    frontend = TextFrontend((language,))
    phoneme_words: dict[str, list[str]] = defaultdict(list)
    pair_words: dict[tuple[str, str], int] = defaultdict(int)
    vocabulary = frequent_words(language, words)
    read = 0
    for text in vocabulary + _running_text(vocabulary, language, sentences):
        try:
            tokens = with_features(frontend.phonemize(text, language))
        except TextError as error:
            logger.debug("%s: %r not read: %s", language, text, error)
            continue
        read += 1
        sounds = {(token.symbol, token.accent) for token in tokens if token.symbol not in SILENT_TOKENS}
        for phoneme in dict.fromkeys(phoneme for phoneme, _ in sounds):
            phoneme_words[phoneme].append(text)
        for pair in sounds:
            pair_words[pair] += 1
    phonemes = sorted(phoneme_words, key=lambda phoneme: (-len(phoneme_words[phoneme]), phoneme))
    pairs = sorted((pair for pair, count in pair_words.items() if count >= min_pair_words), key=lambda p: (-pair_words[p], p))
    return {
        "language": language,
        "source": f"wordfreq {metadata.version('wordfreq')}: the {words} most frequent words in the language's own "
        f"script ({len(vocabulary)}), each alone and in {sentences} sentences of {SENTENCE_WORDS} of them (sounds across "
        f"word boundaries), {read} texts read by polyvox's front end (tools/phoneme_inventory.py)",
        "min_pair_words": min_pair_words,
        "phonemes": [
            {"phoneme": p, "words": len(phoneme_words[p]), "examples": phoneme_words[p][:EXAMPLES]} for p in phonemes
        ],
        "pairs": [{"phoneme": p, "accent": a, "words": pair_words[(p, a)]} for p, a in pairs],
    }


def _running_text(vocabulary: list[str], language: str, count: int) -> list[str]:
    """``count`` sentences of random frequent words: assimilation across words (Russian ``меч жены``) makes
    sounds no word has alone."""
    generator = random.Random(f"phoneme-inventory-{language}")
    joiner = "" if language in ("zh", "ja") else " "
    return [joiner.join(generator.sample(vocabulary, SENTENCE_WORDS)) for _ in range(count)]


def _one_entry_per_line(content: dict[str, object]) -> str:
    """JSON with each phoneme and pair on a line of its own, so a change reads well in a diff."""
    lines = []
    for key, value in content.items():
        if isinstance(value, list):
            entries = ",\n".join(f"  {json.dumps(entry, ensure_ascii=False)}" for entry in value)
            lines.append(f"{json.dumps(key)}: [\n{entries}\n ]")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES))
    parser.add_argument("--words", type=int, default=INVENTORY_WORDS)
    parser.add_argument("--sentences", type=int, default=2000, help="sentences of frequent words also read")
    parser.add_argument("--min-pair-words", type=int, default=2)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for language in arguments.languages:
        content = inventory(language, arguments.words, arguments.sentences, arguments.min_pair_words)
        path = DATA_FOLDER / INVENTORY_FILE.format(language=language)
        path.write_text(_one_entry_per_line(content), encoding="utf-8")
        logger.info(
            "%s: %d phonemes, %d pairs -> %s", language, len(content["phonemes"]), len(content["pairs"]), path  # type: ignore[arg-type]
        )


if __name__ == "__main__":
    main()
