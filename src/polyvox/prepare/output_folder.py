"""The output folder of ``polyvox prepare``: a dataset already there (a corpus, an import, a prepare of
other recordings) is never replaced; ``--append`` adds to it. A re-run of the same input replaces its own manifest."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from polyvox.data.manifest import ManifestError, Utterance, iter_manifest
from polyvox.prepare.errors import PrepareError
from polyvox.prepare.report import REPORT_FILE


def clips_to_keep(out: Path, manifest_name: str, input_path: str | Path, append: bool) -> Path | None:
    """The manifest in ``out`` whose utterances the new one must keep (all of them): with ``append``; None when
    there is none or it came from a prepare of this same input. Anything else is refused with ``PrepareError``.
    It is read through once here, a line at a time, so that a bad line stops the run before any work."""
    manifest = out / manifest_name
    if not manifest.is_file():
        return None
    if not append and _previous_input(out) == Path(input_path).resolve():
        return None
    try:
        count = sum(1 for _ in iter_manifest(manifest))
    except ManifestError as error:
        raise PrepareError(f"{out} holds a manifest that cannot be read ({error}); choose another -o folder") from error
    if append:
        return manifest
    raise PrepareError(
        f"{out} already holds a dataset ({manifest_name} with {count} clip(s), not from a prepare of {input_path}); "
        "add --append to add these recordings to it, or choose another -o folder"
    )


def merged(kept: Iterable[Utterance], new: Iterable[Utterance], remade: Callable[[str], bool]) -> Iterator[Utterance]:
    """``kept`` then ``new``; a clip in both (the same audio file, made again: ``remade``) appears once, as now made."""
    yield from (utterance for utterance in kept if not remade(utterance.audio))
    yield from new


def _previous_input(out: Path) -> Path | None:
    try:
        recorded = json.loads((out / REPORT_FILE).read_text(encoding="utf-8")).get("input")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(recorded).resolve() if isinstance(recorded, str) else None
