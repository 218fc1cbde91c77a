"""``export_web``: a voice -> a static folder whose page speaks typed text entirely in the browser.

The folder holds the page (``index.html``), its modules (``polyvox.js`` and those it imports), the
voice's ONNX graphs and ``voice.onnx.json`` from :func:`export_onnx`, the front end's tables
(``web.json``), pypinyin's dictionaries (``mandarin.json``, for a voice that speaks zh), pyopenjtalk's tables
(``japanese.json``, for a voice that speaks ja) and, under ``vendor/``, espeak-ng compiled to WebAssembly,
onnxruntime-web and, for ja, kuromoji with pyopenjtalk's dictionary in its format (``web_japanese_dictionary``:
built once with node, 37 MB). Those come from the npm step committed in ``polyvox/web`` (package.json and
package-lock.json; ~40 MB that is not in git): the export copies them and stops with the npm command when
they are missing. A voice trained with text features is refused: its sentences need a BERT-family model, which the
page cannot run (its ONNX export speaks with ``polyvox say --engine onnx --text-features``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from polyvox.errors import PolyvoxError
from polyvox.export.onnx_export import DEFAULT_OPSET, export_onnx
from polyvox.export.operator_check import UnsupportedOperator
from polyvox.export.quantize import Quantization
from polyvox.export.web_japanese import DICTIONARY_FOLDER, JAPANESE_NAME, KUROMOJI_SCRIPT, japanese_tables
from polyvox.export.web_japanese_dictionary import DICTIONARY_FILES, LICENCE_NAME, build_dictionary
from polyvox.export.web_mandarin import MANDARIN_NAME, mandarin_tables
from polyvox.export.web_tables import web_tables
from polyvox.files import atomic_path

logger = logging.getLogger(__name__)

WEB_SOURCE = Path(__file__).resolve().parent.parent / "web"
# Where `npm ci` puts the runtime; POLYVOX_WEB_RUNTIME names another node_modules folder (an installed polyvox).
RUNTIME_ENV = "POLYVOX_WEB_RUNTIME"
NPM_COMMAND = f"npm ci --prefix {WEB_SOURCE}"
PAGE_FILES = (
    "index.html", "polyvox.js", "style.js", "style_reference.js", "text.js", "espeak.js", "mandarin.js", "japanese.js",
    "numbers.js", "num2words.js", "num2words_en.js", "num2words_es.js", "num2words_fr.js", "num2words_de.js", "num2words_ja.js",
)
# node_modules path -> name under vendor/: what the page loads, nothing else of the packages.
RUNTIME_FILES = {
    "@echogarden/espeak-ng-emscripten/espeak-ng.js": "espeak-ng.js",
    "@echogarden/espeak-ng-emscripten/espeak-ng.data": "espeak-ng.data",
    "onnxruntime-web/dist/ort.wasm.min.mjs": "ort.wasm.min.mjs",
    "onnxruntime-web/dist/ort-wasm-simd-threaded.mjs": "ort-wasm-simd-threaded.mjs",
    "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm": "ort-wasm-simd-threaded.wasm",
}
MODEL_NAME = "voice.onnx"
TABLES_NAME = "web.json"


class WebExportError(PolyvoxError, RuntimeError):
    """The browser runtime is missing or the folder cannot be written; the message says what to run."""


@dataclass(frozen=True)
class ExportedPage:
    directory: Path
    index: Path
    files: tuple[Path, ...]
    unsupported: tuple[UnsupportedOperator, ...] = ()  # as ExportedVoice.unsupported


def runtime_folder() -> Path:
    """The node_modules folder the vendored runtime is copied from."""
    return Path(os.environ.get(RUNTIME_ENV) or WEB_SOURCE / "node_modules")


def missing_runtime() -> list[str]:
    """The runtime files not installed (empty when the export can run)."""
    folder = runtime_folder()
    return [source for source in RUNTIME_FILES if not (folder / source).is_file()]


def _copy(source: Path, target: Path) -> Path:
    with atomic_path(target) as temporary:
        shutil.copyfile(source, temporary)
    return target


def _write_japanese(directory: Path) -> list[Path]:
    """japanese.json, kuromoji's browser build and pyopenjtalk's dictionary in kuromoji's format (with its licence)."""
    dictionary = build_dictionary(runtime_folder() / "kuromoji")
    with atomic_path(directory / JAPANESE_NAME) as temporary:
        temporary.write_text(json.dumps(japanese_tables(dictionary), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    written = [directory / JAPANESE_NAME, _copy(runtime_folder() / "kuromoji" / "build" / "kuromoji.js", directory / KUROMOJI_SCRIPT)]
    for name in (*DICTIONARY_FILES, LICENCE_NAME):
        written.append(_copy(dictionary / name, directory / DICTIONARY_FOLDER / name))
    return written


def web_refusal(voice_path: str | Path) -> str | None:
    """Why the page cannot speak the voice at ``voice_path`` (one line), or None; raises ``VoiceFileError`` for a bad file."""
    from polyvox.voice_file import read_metadata

    features = read_metadata(voice_path).config.model.text_features
    if not features.enabled:
        return None
    return (
        f"{voice_path} reads text features from {features.name!r}, a BERT-family model the web page cannot run in the "
        f"browser: export it without --web and speak it with polyvox say --engine onnx --text-features FOLDER"
    )


def export_web(
    voice_path: str | Path, directory: str | Path, opset: int = DEFAULT_OPSET, quantize: Quantization | None = None
) -> ExportedPage:
    """Write the page for the voice at ``voice_path`` into ``directory`` (created if needed); ``quantize``
    ships the smaller graphs (``export_onnx``).

    Raises ``WebExportError`` for a voice with text features or when the npm runtime is not installed (before any
    work), and the errors of :func:`export_onnx` for the voice itself.
    """
    refusal = web_refusal(voice_path)
    if refusal is not None:
        raise WebExportError(refusal)
    missing = missing_runtime()
    if missing:
        raise WebExportError(
            f"the browser runtime is not installed ({', '.join(missing)} missing in {runtime_folder()}): run `{NPM_COMMAND}` "
            f"(or set {RUNTIME_ENV} to a node_modules folder that has @echogarden/espeak-ng-emscripten and onnxruntime-web)"
        )
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        exported = export_onnx(voice_path, directory / MODEL_NAME, opset, quantize)
        written = [*exported.graph_paths.values(), exported.metadata_path]
        tables = web_tables(exported.metadata.languages)
        with atomic_path(directory / TABLES_NAME) as temporary:
            temporary.write_text(json.dumps(tables, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(directory / TABLES_NAME)
        if "zh" in tables["languages"]:  # pypinyin's dictionaries, minified (~0.8 MB)
            with atomic_path(directory / MANDARIN_NAME) as temporary:
                temporary.write_text(json.dumps(mandarin_tables(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            written.append(directory / MANDARIN_NAME)
        if "ja" in tables["languages"]:  # pyopenjtalk's tables, kuromoji and its dictionary (~37 MB, built once)
            written.extend(_write_japanese(directory))
        for name in PAGE_FILES:
            written.append(_copy(WEB_SOURCE / name, directory / name))
        for source, name in RUNTIME_FILES.items():
            written.append(_copy(runtime_folder() / source, directory / "vendor" / name))
    except OSError as error:
        raise WebExportError(f"cannot write the page into {directory}: {error.strerror or error}") from error
    logger.info("wrote the page for %s into %s", voice_path, directory)
    return ExportedPage(directory, directory / "index.html", tuple(written), exported.unsupported)
