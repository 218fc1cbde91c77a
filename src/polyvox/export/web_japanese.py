"""``japanese.json``: what the page's Japanese front end (``polyvox/web/japanese.js``) reads from the
installed pyopenjtalk, asked of it so that the page speaks with the tables Python speaks with:

- ``morae``: each katakana mora's phones (``pyopenjtalk.g2p`` of the mora alone);
- ``loanwords``: the spellings pyopenjtalk-plus restores in katakana words (ヴァ for バ), its own table;
- ``nani``: pyopenjtalk-plus's model reading 何 as ナン or ナニ from the word after it, as data;
- ``devoicing``: for each mora whose vowel Open JTalk may devoice, the kana that devoice it when the next mora
  starts with them (its ``set_unvoiced_vowel`` on a flat noun ``ア + mora + kana + ア``, so that no rule but
  the one on the neighbouring consonants applies). pyopenjtalk-plus's table is not Open JTalk 1.11's
  (チ stays voiced before ス), so it is asked rather than written down.

The words themselves come from pyopenjtalk's dictionary, converted by ``web_japanese_dictionary``.
"""

from __future__ import annotations

from typing import Any

import json
import os
import shutil
from pathlib import Path

from polyvox.errors import PolyvoxError
from polyvox.export.web_japanese_dictionary import COUNTERS_NAME, NUMERAL_WORDS_NAME, built_dictionary, pyopenjtalk_dictionary, pyopenjtalk_version
from polyvox.files import atomic_path


class JapaneseTablesError(PolyvoxError, RuntimeError):
    """The installed pyopenjtalk has a table or model in a form the page cannot read; the message says which."""

JAPANESE_FORMAT = "polyvox-web-japanese"
JAPANESE_VERSION = 1
JAPANESE_NAME = "japanese.json"
# Where the export puts kuromoji and its dictionary, beside the page.
KUROMOJI_SCRIPT = "vendor/kuromoji.js"
DICTIONARY_FOLDER = "vendor/kuromoji/"
_KATAKANA = [chr(code) for code in range(0x30A1, 0x30F5)]  # ァ to ヴ
_SMALL = "ァィゥェォャュョヮ"
_MAX_MORA_PHONES = 2
_VOWEL = "ア"
NUMERALS_NAME = "numerals.json"
# The fields of the word after 何 that pyopenjtalk-plus's model reads, in its order (nani_predict.X_COLS).
_NANI_COLUMNS = ("pos", "pos_group1", "pos_group2", "pron", "ctype", "cform")
_DIGITS = "〇一二三四五六七八九"
_TAIL = "枚,名詞,接尾,助数詞,*,*,*,枚,マイ,マイ,1/2,C3"  # a counter that changes no numeral before it
# A merged pair's fields, as japanese.js's nodes name them (pron last).
_MERGED_FIELDS = ("pos", "pos_group1", "pos_group2", "pos_group3", "acc", "mora_size", "chain_rule", "pron")
_UNVOICE = "’"


def japanese_missing(kuromoji: Path | None = None) -> str | None:
    """Why the page cannot read Japanese where it is exported (no pyopenjtalk dictionary, node or kuromoji), or None.
    ``kuromoji``: the npm package's folder (the runtime's by default)."""
    if kuromoji is None:
        from polyvox.export.web_export import runtime_folder

        kuromoji = runtime_folder() / "kuromoji"
    try:
        pyopenjtalk_dictionary()
    except (ImportError, PolyvoxError) as error:
        return f"pyopenjtalk's dictionary is not installed where the page was exported ({error})"
    if built_dictionary() is None and shutil.which("node") is None:
        return "node is needed once to build the Japanese dictionary (apt-get install nodejs), and it is not installed"
    if not (kuromoji / "build" / "kuromoji.js").is_file():
        return f"kuromoji is not installed in {kuromoji.parent}: run `npm ci --prefix {kuromoji.parent.parent}`"
    return None


def japanese_tables(dictionary: Path | None = None) -> dict[str, Any]:
    """Each katakana and each katakana + small kana that pyopenjtalk reads as one mora, with its phones; the
    devoicing table; with ``dictionary`` (the built one, :func:`build_dictionary`), the numeral readings of
    its counters (``numerals``, asked once and kept there)."""
    from polyvox.text.phonemizers.japanese import _import_pyopenjtalk

    pyopenjtalk = _import_pyopenjtalk()

    def phones(kana: str) -> list[str]:
        return str(pyopenjtalk.g2p(kana)).split()

    morae = {kana: phones(kana) for kana in _KATAKANA}
    for kana in _KATAKANA:
        for small in _SMALL:
            if kana in _SMALL:
                continue
            read = phones(kana + small)
            # One mora (キャ: ky a) reads otherwise than its two kana apart (キ ャ: k i y a).
            if read != morae[kana] + morae[small] and len(read) <= _MAX_MORA_PHONES:
                morae[kana + small] = read
    morae = {kana: read for kana, read in morae.items() if read}
    tables = {
        "format": JAPANESE_FORMAT,
        "format_version": JAPANESE_VERSION,
        "pyopenjtalk_version": pyopenjtalk_version(),
        "morae": morae,
        "devoicing": _devoicing(pyopenjtalk, morae),
    }
    if dictionary is not None:
        tables["numerals"] = numeral_readings(pyopenjtalk, dictionary)
    tables["loanwords"] = _loanword_spellings()
    nani = _nani_forest(Path(pyopenjtalk.__file__).parent / "yomi_model")
    if nani is not None:
        tables["nani"] = nani
    return tables


def _nani_forest(folder: Path) -> dict[str, Any] | None:
    """pyopenjtalk-plus's model that reads 何 as ナン or ナニ from the word after it: a one-hot encoding of six
    of that word's fields (``nani_enc.onnx``) into a random forest (``nani_model.onnx``), written out for
    japanese.js to evaluate: ``columns`` and their ``categories``, and each tree as a list indexed by node
    id, a branch ``[feature, threshold, node if <=, node if >]`` or a leaf ``[weight ナニ, weight ナン]``.
    None without the model (a pyopenjtalk that keeps the dictionary's reading)."""
    import onnx
    from onnx import helper

    if not (folder / "nani_enc.onnx").is_file() or not (folder / "nani_model.onnx").is_file():
        return None
    encoder = onnx.load(str(folder / "nani_enc.onnx")).graph
    categories = [
        [value.decode("utf-8") for value in helper.get_attribute_value(next(a for a in node.attribute if a.name == "cats_strings"))]
        for node in encoder.node if node.op_type == "OneHotEncoder"
    ]
    forest = onnx.load(str(folder / "nani_model.onnx")).graph.node[0]
    fields = {attribute.name: helper.get_attribute_value(attribute) for attribute in forest.attribute}
    if forest.op_type != "TreeEnsembleClassifier" or fields["post_transform"] != b"NONE" or len(categories) != len(_NANI_COLUMNS):
        raise JapaneseTablesError(f"pyopenjtalk's 何 model in {folder} is not the one-hot random forest japanese.js evaluates")
    trees: list[list[list[float]]] = [[] for _ in range(max(fields["nodes_treeids"]) + 1)]
    for tree, node, mode, feature, value, true, false in zip(
        fields["nodes_treeids"], fields["nodes_nodeids"], fields["nodes_modes"], fields["nodes_featureids"],
        fields["nodes_values"], fields["nodes_truenodeids"], fields["nodes_falsenodeids"],
    ):
        nodes = trees[tree]
        nodes.extend([] for _ in range(node + 1 - len(nodes)))
        nodes[node] = [feature, value, true, false] if mode == b"BRANCH_LEQ" else [0.0, 0.0]
    for tree, node, label, weight in zip(fields["class_treeids"], fields["class_nodeids"], fields["class_ids"], fields["class_weights"]):
        trees[tree][node][label] = weight
    return {"columns": list(_NANI_COLUMNS), "categories": categories, "trees": trees}


def _loanword_spellings() -> list[list[str]]:
    """pyopenjtalk-plus's loanword spellings that its dictionary reads otherwise (ヴァ read バ), longest first:
    its restore_loanword_kana writes them back into the pronunciation of a katakana word spelled with them.
    None with a pyopenjtalk that does not."""
    try:
        from pyopenjtalk import _loanword
    except ImportError:
        return []
    return [list(pair) for pair in getattr(_loanword, "_LOANWORD_KANA_RESTORATIONS", ())]


def _unvoiced(pron: str) -> str:
    return pron.replace(_UNVOICE, "")


def numeral_readings(pyopenjtalk: Any, dictionary: Path) -> dict[str, list[Any]]:
    """How Open JTalk's set_digit reads a numeral and the word after it: pyopenjtalk's NJD steps run on each
    numeral entry of the dictionary (``numerals.txt``) before each counter entry (``counters.txt``) and each
    numeral entry, as MeCab's features, so whatever MeCab would cut. Keyed ``"七:ナナ|時半:ジハン"`` (surface
    and dictionary pronunciation of both), each value is ``[cut, add, cut, add, flag, flag]``: the numeral's
    pronunciation loses ``cut`` kana at its end for ``add`` (シチ for ナナ: 2, "シチ"), the word's at its
    start; the chain flags set_digit forces on them (-1: it leaves them). A pair that set_digit makes one word
    (三日: ミッカ) maps to that word's fields instead. Only pairs it changes; kept in ``numerals.json``."""
    cache = dictionary / NUMERALS_NAME
    if cache.is_file():
        return dict(json.loads(cache.read_text(encoding="utf-8")))
    numerals = (dictionary / NUMERAL_WORDS_NAME).read_text(encoding="utf-8").splitlines()
    counters = (dictionary / COUNTERS_NAME).read_text(encoding="utf-8").splitlines()
    counting = set(counters)
    table: dict[str, list[Any]] = {}
    with pyopenjtalk._global_jtalk() as jtalk:
        for numeral in numerals:
            for word in [*counters, *numerals]:
                if word[0] in _DIGITS and numeral[0] in _DIGITS:
                    continue  # digits in a row are read digit by digit after 点, or as a number: not a pair's doing
                reading = _pair_reading(jtalk, numeral, word, counting=word in counting)
                if reading is not None:
                    table[f"{_key(numeral)}|{_key(word)}"] = reading
    with atomic_path(cache) as temporary:
        temporary.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    return table


def _key(line: str) -> str:
    """``surface,features`` -> ``surface:pronunciation`` (the dictionary's)."""
    fields = line.split(",")
    return f"{fields[0]}:{fields[9]}"


def _pair_reading(jtalk: Any, numeral: str, word: str, counting: bool) -> list[Any] | None:
    """The pair as set_digit reads it: a numeral and its counter alone, two numerals before a counter (二十五枚:
    a number is mostly counted, and its last numeral then starts no phrase of its own). None for a pair read
    as its words are, with the flags a counter always gets (japanese.js sets those itself); every pair of
    numerals is kept, as its flags undo those the counter after it set."""
    lines = [numeral, word] if counting else [numeral, word, _TAIL]
    read = jtalk.run_njd_from_mecab(lines)
    if len(read) == len(lines) - 1 and read[0]["string"] == numeral.split(",")[0] + word.split(",")[0]:
        node = read[0]  # one word (三日: ミッカ)
        return [node[key] for key in _MERGED_FIELDS[:-1]] + [_unvoiced(node["pron"])]
    if len(read) != len(lines):
        return None
    before = [_unvoiced(line.split(",")[9]) for line in (numeral, word)]
    after = [_unvoiced(node["pron"]) for node in read[:2]]
    flags = [0, 1] if counting else [read[0]["chain_flag"], read[1]["chain_flag"]]
    if before == after and counting:
        return None
    kept = len(os.path.commonprefix([before[0], after[0]]))
    same = len(os.path.commonprefix([before[1][::-1], after[1][::-1]]))
    return [len(before[0]) - kept, after[0][kept:], len(before[1]) - same, after[1][: len(after[1]) - same], *flags]


def _devoicing(pyopenjtalk: Any, morae: dict[str, list[str]]) -> dict[str, str]:
    """{mora: the kana before which pyopenjtalk devoices its vowel}, for the morae it devoices at all."""
    template = dict(pyopenjtalk.run_frontend(_VOWEL, use_vanilla=True)[0])
    candidates = [kana for kana, phones in morae.items() if phones[-1] in ("i", "u")]
    following = [kana for kana in _KATAKANA if kana in morae and kana not in _SMALL]

    def word(pron: str, first: bool) -> dict[str, Any]:
        return {**template, "string": pron, "orig": pron, "read": pron, "pron": pron, "pos": "名詞", "acc": 0,
                "mora_size": 2, "chain_flag": -1 if first else 1}

    table: dict[str, str] = {}
    with pyopenjtalk._global_jtalk() as jtalk:
        for kana in candidates:
            devoiced = "".join(
                after for after in following
                if jtalk.set_unvoiced_vowel([word(_VOWEL + kana, True), word(after + _VOWEL, False)])[0]["pron"].endswith(_UNVOICE)
            )
            if devoiced:
                table[kana] = devoiced
    return table

