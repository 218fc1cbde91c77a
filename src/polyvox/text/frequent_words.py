"""A language's most frequent words (``wordfreq``, a development dependency), written in its own script:
what the phoneme inventories are derived from and what the coverage tests speak."""

from __future__ import annotations

from polyvox.text.scripts import ARABIC, CYRILLIC, HAN, KANA, LATIN, script_of

# The script(s) a language's own words are written in; words in any other (a Latin brand name in a
# Russian list, say) are left out.
OWN_SCRIPTS: dict[str, frozenset[str]] = {
    "en": frozenset({LATIN}), "es": frozenset({LATIN}), "fr": frozenset({LATIN}), "de": frozenset({LATIN}),
    "ru": frozenset({CYRILLIC}), "ar": frozenset({ARABIC}), "zh": frozenset({HAN}), "ja": frozenset({HAN, KANA}),
}
# Letters of which a word needs one to be read as a word: Russian lists hold lowercased acronyms
# (днк, снг) that espeak-ng spells letter by letter, with sounds no word of the language has.
VOWEL_LETTERS: dict[str, str] = {"ru": "аеёиоуыэюя"}
# The inventories are derived from this many of each language's most frequent words.
INVENTORY_WORDS = 5000


def frequent_words(language: str, count: int = INVENTORY_WORDS) -> list[str]:
    """The words among ``language``'s ``count`` most frequent that are letters of its own script only."""
    try:
        from wordfreq import top_n_list
    except ImportError as error:
        raise ImportError("frequent_words needs wordfreq: pip install 'polyvox[dev]'") from error
    scripts = OWN_SCRIPTS.get(language)
    if scripts is None:
        raise ValueError(f"no script known for language {language!r}; known: {sorted(OWN_SCRIPTS)}")
    vowels = VOWEL_LETTERS.get(language)
    return [
        word for word in top_n_list(language, count)
        if word.isalpha() and all(script_of(char) in scripts for char in word)
        and (vowels is None or any(char in vowels for char in word))
    ]
