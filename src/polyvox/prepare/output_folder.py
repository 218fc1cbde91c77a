"""The output folder of ``polyvox prepare``: a dataset already there (a corpus, an import, a prepare of
other recordings) is never replaced; ``--append`` adds to it. A re-run of the same input replaces its own manifest."""

from __future__ import annotations

import json
from pathlib import Path

from polyvox.data.manifest import ManifestError, Utterance, read_manifest
from polyvox.prepare.errors import PrepareError
from polyvox.prepare.report import REPORT_FILE


def clips_to_keep(out: Path, manifest_name: str, input_path: str | Path, append: bool) -> list[Utterance]:
    """The utterances of ``out``'s manifest that the new one must keep: all of them with ``append``, none when
    the manifest came from a prepare of this same input. Anything else is refused with ``PrepareError``."""
    manifest = out / manifest_name
    if not manifest.is_file():
        return []
    if not append and _previous_input(out) == Path(input_path).resolve():
        return []
    try:
        existing = read_manifest(manifest)
    except ManifestError as error:
        raise PrepareError(f"{out} holds a manifest that cannot be read ({error}); choose another -o folder") from error
    if append:
        return existing
    raise PrepareError(
        f"{out} already holds a dataset ({manifest_name} with {len(existing)} clip(s), not from a prepare of {input_path}); "
        "add --append to add these recordings to it, or choose another -o folder"
    )


def merged(kept: list[Utterance], new: list[Utterance]) -> list[Utterance]:
    """``kept`` then ``new``; a clip in both (the same audio file, made again) appears once, as now made."""
    remade = {utterance.audio for utterance in new}
    return [utterance for utterance in kept if utterance.audio not in remade] + new


def _previous_input(out: Path) -> Path | None:
    try:
        recorded = json.loads((out / REPORT_FILE).read_text(encoding="utf-8")).get("input")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(recorded).resolve() if isinstance(recorded, str) else None
