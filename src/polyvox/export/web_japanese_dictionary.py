"""pyopenjtalk's compiled MeCab dictionary -> MeCab's text sources -> kuromoji's binary dictionary.

The page reads Japanese as Python does only with Python's dictionary: Open JTalk's naist-jdic as
pyopenjtalk-plus ships it compiled (``sys.dic``, ``unk.dic``, ``matrix.bin``, ``char.bin`` in its package's
``dictionary`` folder; BSD-licensed, its ``COPYING`` travels with it). :func:`write_sources` reads those
files in MeCab's documented binary layout and writes the text files MeCab compiles them from
(``naist-jdic.csv``, ``unk.def``, ``matrix.def``, ``char.def``); :func:`build_dictionary` gives them to
kuromoji's own dictionary builder (``build_japanese_dictionary.cjs`` beside the page, run by node) and keeps
the result, once per pyopenjtalk version, under ``polyvox/web/japanese_dictionary`` (not in git; about a
minute). ``python -m polyvox.export.web_japanese_dictionary`` builds it by hand.

Layouts read (MeCab's ``dictionary.cpp``, ``char_property.cpp``, ``connector.cpp``):

- a dictionary: ten little-endian uint32 (magic, version, type, entries, left size, right size, bytes of the
  double array, of the tokens, of the features, a spare), 32 bytes of charset name, the double array (8-byte
  units: int32 base, uint32 check), the tokens (16 bytes: uint16 left id, right id, part-of-speech id, int16
  cost, uint32 feature offset, uint32 spare) and the NUL-terminated feature strings. A key's value in the
  double array is ``first token << 8 | token count``;
- ``matrix.bin``: uint16 left size, right size, then int16 costs, ``cost[right id of the word before + left size
  * left id of the word after]``;
- ``char.bin``: uint32 category count, 32-byte category names, then one uint32 per UTF-16 code unit: bits 0-17
  the categories it belongs to, 18-25 its default category, 26-29 the length, 30 group, 31 invoke.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polyvox.errors import PolyvoxError

logger = logging.getLogger(__name__)

WEB_SOURCE = Path(__file__).resolve().parent.parent / "web"
BUILDER = WEB_SOURCE / "build_japanese_dictionary.cjs"
DICTIONARY_CACHE = WEB_SOURCE / "japanese_dictionary"
# The files kuromoji's loader reads (DictionaryLoader.js), all gzip-compressed.
DICTIONARY_FILES = (
    "base.dat.gz", "check.dat.gz", "tid.dat.gz", "tid_pos.dat.gz", "tid_map.dat.gz", "cc.dat.gz",
    "unk.dat.gz", "unk_pos.dat.gz", "unk_map.dat.gz", "unk_char.dat.gz", "unk_compat.dat.gz", "unk_invoke.dat.gz",
)
LICENCE_NAME = "COPYING"
# The entries set_digit reads together (``surface,features``, one a line, kept beside the built dictionary):
# the numerals (名詞,数) and the words a number may count (counters and adverbial nouns).
COUNTERS_NAME = "counters.txt"
NUMERAL_WORDS_NAME = "numerals.txt"
NUMERAL_SURFACES = frozenset("〇一二三四五六七八九十百千万億兆何数幾")
# Changes what a build writes: part of the fingerprint, so that an older build is not reused.
_BUILD_FORMAT = "3"
# Fields of Open JTalk's features: part of speech (4), conjugation (2), base form, reading, pronunciation, accent, chain rule.
_BASE_FORM = 6
_READING = 7
_HEADER = struct.Struct("<10I32s")
_DOUBLE_ARRAY = np.dtype([("base", "<i4"), ("check", "<u4")])
_TOKEN = np.dtype([("left", "<u2"), ("right", "<u2"), ("pos", "<u2"), ("cost", "<i2"), ("feature", "<u4"), ("spare", "<u4")])
_CHAR_NAME_BYTES = 32
_CODE_UNITS = 0xFFFF
_NODE_MEMORY_MB = 6144
_BUILD_SECONDS = 1800


class JapaneseDictionaryError(PolyvoxError, RuntimeError):
    """pyopenjtalk's dictionary cannot be read or converted; the message says what is missing."""


@dataclass(frozen=True)
class Entry:
    surface: str
    left_id: int
    right_id: int
    cost: int
    feature: str


def pyopenjtalk_dictionary() -> Path:
    """The folder of the installed pyopenjtalk's compiled dictionary."""
    from polyvox.text.phonemizers.japanese import _import_pyopenjtalk

    folder = Path(_import_pyopenjtalk().__file__).parent / "dictionary"
    if not (folder / "sys.dic").is_file():
        raise JapaneseDictionaryError(f"pyopenjtalk has no compiled dictionary in {folder} (install pyopenjtalk-plus)")
    return folder


def pyopenjtalk_version() -> str:
    for name in ("pyopenjtalk-plus", "pyopenjtalk"):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def _keys(units: np.ndarray) -> Iterator[tuple[bytes, int]]:
    """Every key of a Darts double array with its value, breadth first (vectorised over a level's nodes)."""
    base = units["base"].astype(np.int64)
    check = units["check"].astype(np.int64)
    size = len(units)
    labels = np.arange(1, 256, dtype=np.int64)
    level: list[tuple[int, bytes]] = [(int(base[0]), b"")]
    batch = 8192
    while level:
        following: list[tuple[int, bytes]] = []
        for node, prefix in level:
            if node < size and check[node] == node and base[node] < 0:
                yield prefix, int(-base[node] - 1)
        for start in range(0, len(level), batch):
            nodes = np.array([node for node, _ in level[start:start + batch]], dtype=np.int64)
            children = nodes[:, None] + labels[None, :] + 1
            inside = children < size
            children = np.where(inside, children, 0)
            rows, columns = np.nonzero(inside & (check[children] == nodes[:, None]))
            for row, column in zip(rows.tolist(), columns.tolist()):
                following.append((int(base[children[row, column]]), level[start + row][1] + bytes([column + 1])))
        level = following


def read_dictionary(path: Path) -> Iterator[Entry]:
    """The entries of a compiled MeCab dictionary (``sys.dic``, ``unk.dic``)."""
    data = path.read_bytes()
    if len(data) < _HEADER.size:
        raise JapaneseDictionaryError(f"{path} is not a MeCab dictionary (only {len(data)} bytes)")
    _magic, _version, _kind, entries, _left, _right, array_bytes, token_bytes, feature_bytes, _spare, charset = _HEADER.unpack_from(data)
    encoding = charset.split(b"\0", 1)[0].decode("ascii").lower()
    if encoding not in ("utf-8", "utf8"):
        raise JapaneseDictionaryError(f"{path} is compiled for {encoding}, not UTF-8")
    if _HEADER.size + array_bytes + token_bytes + feature_bytes > len(data):
        raise JapaneseDictionaryError(f"{path} is shorter than its header says: not a MeCab dictionary")
    units = np.frombuffer(data, _DOUBLE_ARRAY, array_bytes // _DOUBLE_ARRAY.itemsize, _HEADER.size)
    tokens = np.frombuffer(data, _TOKEN, token_bytes // _TOKEN.itemsize, _HEADER.size + array_bytes)
    features_at = _HEADER.size + array_bytes + token_bytes
    for key, value in _keys(units):
        surface = key.decode("utf-8")
        first, count = value >> 8, value & 0xFF
        for token in tokens[first:first + count]:
            start = features_at + int(token["feature"])
            feature = data[start:data.index(b"\0", start)].decode("utf-8")
            yield Entry(surface, int(token["left"]), int(token["right"]), int(token["cost"]), feature)


def _csv_line(entry: Entry) -> str | None:
    """``surface,left,right,cost,feature`` for kuromoji's builder, the feature without its reading (empty) and
    with an empty base form where it is the word itself; None for an entry kuromoji's comma-split reader
    cannot hold (a comma in its surface or a quoted feature: ASCII entries Open JTalk never looks up, as its
    text2mecab makes ASCII full-width first)."""
    if "," in entry.surface or '"' in entry.feature:
        return None
    fields = entry.feature.split(",")
    if len(fields) > _READING:  # the page reads neither the reading nor a base form equal to the word (2.6 MB less)
        fields[_READING] = ""
        if fields[_BASE_FORM] == entry.surface:
            fields[_BASE_FORM] = ""
    return f"{entry.surface},{entry.left_id},{entry.right_id},{entry.cost},{','.join(fields)}"


def _matrix_lines(path: Path) -> Iterator[str]:
    data = path.read_bytes()
    left, right = struct.unpack_from("<2H", data)
    costs = np.frombuffer(data, "<i2", left * right, 4).reshape(right, left)  # [left id after, right id before]
    yield f"{left} {right}"
    for before in range(left):
        column = costs[:, before].tolist()
        for after in range(right):
            yield f"{before} {after} {column[after]}"


def _char_lines(path: Path) -> Iterator[str]:
    """char.def: the categories (``NAME INVOKE GROUP LENGTH``), then code point ranges with their categories,
    the default one first."""
    data = path.read_bytes()
    (count,) = struct.unpack_from("<I", data)
    names = [
        data[4 + index * _CHAR_NAME_BYTES:4 + (index + 1) * _CHAR_NAME_BYTES].split(b"\0", 1)[0].decode("ascii")
        for index in range(count)
    ]
    infos = np.frombuffer(data, "<u4", _CODE_UNITS, 4 + count * _CHAR_NAME_BYTES).astype(np.int64)
    settings: dict[str, tuple[int, int, int]] = {}
    ranges: list[tuple[int, int, list[str]]] = []
    for code, info in enumerate(infos.tolist()):
        kinds, default = info & 0x3FFFF, (info >> 18) & 0xFF
        length, group, invoke = (info >> 26) & 0xF, (info >> 30) & 1, (info >> 31) & 1
        settings.setdefault(names[default], (invoke, group, length))
        categories = [names[default]] + [name for index, name in enumerate(names) if kinds >> index & 1 and index != default]
        if ranges and ranges[-1][1] == code - 1 and ranges[-1][2] == categories:
            ranges[-1] = (ranges[-1][0], code, categories)
        else:
            ranges.append((code, code, categories))
    for name in names:
        invoke, group, length = settings.get(name, (0, 0, 0))
        yield f"{name} {invoke} {group} {length}"
    for first, last, categories in ranges:
        if categories == [names[0]]:
            continue  # DEFAULT: what an unlisted code point is
        span = f"0x{first:04X}" if first == last else f"0x{first:04X}..0x{last:04X}"
        yield f"{span} {' '.join(categories)}"


def _counts_things(feature: str) -> bool:
    """A counter (名詞,接尾,助数詞) or an adverbial noun (名詞,副詞可能): what set_digit reads after a numeral."""
    pos, pos1, pos2 = (feature.split(",") + ["", "", ""])[:3]
    return pos == "名詞" and (pos2 == "助数詞" or pos1 == "副詞可能")


def write_sources(dictionary: Path, folder: Path) -> dict[str, int]:
    """MeCab's text sources of the compiled dictionary in ``dictionary``, written into ``folder``, and the
    entries set_digit reads together (``counters.txt``, ``numerals.txt``); returns counts."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"entries": 0, "skipped": 0}
    counters: set[str] = set()
    numerals: set[str] = set()
    with (folder / "naist-jdic.csv").open("w", encoding="utf-8") as csv:
        for entry in read_dictionary(dictionary / "sys.dic"):
            line = _csv_line(entry)
            counts["entries" if line else "skipped"] += 1
            if line:
                csv.write(line + "\n")
            if _counts_things(entry.feature):
                counters.add(f"{entry.surface},{entry.feature}")
            if entry.surface in NUMERAL_SURFACES and entry.feature.startswith("名詞,数,"):
                numerals.add(f"{entry.surface},{entry.feature}")
    for name, lines in ((COUNTERS_NAME, counters), (NUMERAL_WORDS_NAME, numerals)):
        (folder / name).write_text("".join(f"{line}\n" for line in sorted(lines)), encoding="utf-8")
    (folder / "unk.def").write_text(
        "".join(f"{line}\n" for entry in read_dictionary(dictionary / "unk.dic") if (line := _csv_line(entry))), encoding="utf-8"
    )
    (folder / "matrix.def").write_text("\n".join(_matrix_lines(dictionary / "matrix.bin")) + "\n", encoding="utf-8")
    (folder / "char.def").write_text("\n".join(_char_lines(dictionary / "char.bin")) + "\n", encoding="utf-8")
    return counts


def _fingerprint(dictionary: Path) -> str:
    digest = hashlib.sha256(f"{_BUILD_FORMAT} {pyopenjtalk_version()}".encode())
    for name in ("sys.dic", "unk.dic", "matrix.bin", "char.bin"):
        digest.update(hashlib.sha256((dictionary / name).read_bytes()).digest())
    return digest.hexdigest()[:16]


def built_dictionary() -> Path | None:
    """The built kuromoji dictionary of the installed pyopenjtalk, None when it is not built yet."""
    folder = DICTIONARY_CACHE / _fingerprint(pyopenjtalk_dictionary())
    return folder if all((folder / name).is_file() for name in (*DICTIONARY_FILES, COUNTERS_NAME, NUMERAL_WORDS_NAME)) else None


def build_dictionary(kuromoji: Path) -> Path:
    """kuromoji's dictionary of the installed pyopenjtalk's (``kuromoji``: the npm package's folder); built once
    and kept by the dictionary's fingerprint."""
    dictionary = pyopenjtalk_dictionary()
    target = DICTIONARY_CACHE / _fingerprint(dictionary)
    if all((target / name).is_file() for name in (*DICTIONARY_FILES, COUNTERS_NAME, NUMERAL_WORDS_NAME)):
        return target
    node = shutil.which("node")
    if node is None:
        raise JapaneseDictionaryError("building the page's Japanese dictionary needs node (apt-get install nodejs)")
    if not (kuromoji / "src" / "dict" / "builder" / "DictionaryBuilder.js").is_file():
        raise JapaneseDictionaryError(f"kuromoji's dictionary builder is not in {kuromoji}: run `npm ci --prefix {WEB_SOURCE}`")
    try:
        return _build(dictionary, kuromoji, node, target)
    except subprocess.TimeoutExpired as error:
        raise JapaneseDictionaryError(f"kuromoji's dictionary builder took more than {_BUILD_SECONDS} s") from error
    except OSError as error:
        raise JapaneseDictionaryError(f"cannot build the Japanese dictionary in {DICTIONARY_CACHE}: {error.strerror or error}") from error


def _build(dictionary: Path, kuromoji: Path, node: str, target: Path) -> Path:
    DICTIONARY_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DICTIONARY_CACHE) as scratch:
        sources, built = Path(scratch) / "sources", Path(scratch) / "dict"
        counts = write_sources(dictionary, sources)
        logger.info("converted %d entries of %s (%d skipped); building kuromoji's dictionary", counts["entries"], dictionary, counts["skipped"])
        result = subprocess.run(
            [node, f"--max-old-space-size={_NODE_MEMORY_MB}", str(BUILDER), str(kuromoji), str(sources), str(built)],
            capture_output=True, text=True, timeout=_BUILD_SECONDS, check=False,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
            raise JapaneseDictionaryError(f"kuromoji's dictionary builder ({BUILDER.name}) failed: {last}")
        shutil.copyfile(dictionary / LICENCE_NAME, built / LICENCE_NAME)
        for name in (COUNTERS_NAME, NUMERAL_WORDS_NAME):
            shutil.copyfile(sources / name, built / name)
        if target.exists():  # a build left incomplete
            shutil.rmtree(target)
        built.rename(target)
    return target


if __name__ == "__main__":
    from polyvox.export.web_export import runtime_folder

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logger.info("%s", build_dictionary(runtime_folder() / "kuromoji"))
