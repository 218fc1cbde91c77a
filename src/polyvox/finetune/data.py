"""Which clips a fine-tuning run trains on, checked against the voice it starts from.

``--data`` is the new material (a new speaker, or a new language with ``--add-language``); ``--replay``
is material of languages the voice already speaks, mixed back in so they are not forgotten. Both go
into one manifest in the run folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from polyvox.voice_file import VoiceMetadata
from polyvox.data.manifest import Utterance, read_manifest, write_manifest
from polyvox.finetune.errors import FinetuneSetupError

logger = logging.getLogger(__name__)

COMBINED_MANIFEST = "finetune_manifest.jsonl"


@dataclass(frozen=True)
class FinetuneData:
    manifest: Path  # the combined manifest in the run folder
    utterances: tuple[Utterance, ...]
    new_languages: tuple[str, ...]
    new_speakers: tuple[str, ...]
    warnings: tuple[str, ...]  # also logged; the CLI repeats them


def _ordered(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def added_languages(add_language: str | None) -> tuple[str, ...]:
    """``--add-language es`` or ``es,fr,de``: the languages taught in one run."""
    if add_language is None:
        return ()
    languages = _ordered([language.strip() for language in add_language.split(",")])
    if "" in languages:
        raise FinetuneSetupError(f"--add-language {add_language!r}: give language codes separated by commas, e.g. es,fr")
    return languages


def _check_languages(voice: VoiceMetadata, data: list[Utterance], data_path: Path, add_language: str | None) -> None:
    foreign = [language for language in _ordered([u.language for u in data]) if language not in voice.languages]
    spoken = ", ".join(voice.languages)
    added = added_languages(add_language)
    if not added:
        if foreign:
            raise FinetuneSetupError(
                f"{data_path} has clips in language(s) {', '.join(foreign)}, which the voice does not speak (it speaks {spoken}). "
                f"To teach it new languages, add --add-language {','.join(foreign)} with --replay OLD_MANIFEST (clips of "
                "its languages, so they are not forgotten); otherwise remove those clips"
            )
        return
    known = [language for language in added if language in voice.languages]
    if known:
        raise FinetuneSetupError(f"the voice already speaks {', '.join(known)}; leave it out of --add-language to fine-tune it")
    others = [language for language in foreign if language not in added]
    if others:
        raise FinetuneSetupError(
            f"{data_path} has clips in {', '.join(others)} besides the new language(s) {', '.join(added)}, which the voice "
            f"does not speak either (it speaks {spoken}); add them to --add-language or remove their clips"
        )
    absent = [language for language in added if language not in foreign]
    if absent:
        raise FinetuneSetupError(f"--add-language {add_language}: {data_path} has no clips in {', '.join(absent)}")


def _choose_speaker(data: list[Utterance], data_path: Path, speaker: str | None, add_language: str | None) -> tuple[list[Utterance], list[str]]:
    speakers = _ordered([u.speaker for u in data])
    if speaker is not None:
        if speaker not in speakers:
            raise FinetuneSetupError(f"--speaker {speaker}: no clip of {data_path} has that speaker; it has {', '.join(speakers)}")
        return [u for u in data if u.speaker == speaker], []
    if len(speakers) > 1 and add_language is None:
        shown = ", ".join(f"{name} ({sum(u.speaker == name for u in data)} clips)" for name in speakers)
        return data, [
            f"{data_path} has {len(speakers)} speakers: {shown}. All of them are fine-tuned, each as its own speaker "
            "of the voice; to fine-tune a single voice, choose one with --speaker NAME"
        ]
    return data, []


def _check_replay(voice: VoiceMetadata, replay: list[Utterance], replay_path: Path) -> list[str]:
    foreign = [language for language in _ordered([u.language for u in replay]) if language not in voice.languages]
    if foreign:
        raise FinetuneSetupError(
            f"--replay {replay_path} has clips in {', '.join(foreign)}, which the voice does not speak; the replay is for "
            f"the languages it already speaks ({', '.join(voice.languages)}); put new-language clips in --data"
        )
    warnings = []
    absent = [language for language in voice.languages if language not in {u.language for u in replay}]
    if absent:
        warnings.append(
            f"--replay {replay_path} has no clips in {', '.join(absent)}: those languages are neither trained nor validated "
            "in this run, so forgetting them cannot be seen; add clips of them to the replay"
        )
    strangers = [name for name in _ordered([u.speaker for u in replay]) if name not in voice.speakers]
    if strangers:
        warnings.append(
            f"--replay {replay_path} has speakers the voice does not have ({', '.join(strangers)}): they are added as new "
            "speakers; replay clips of the voice's own speakers keep them as they are"
        )
    return warnings


def select_data(
    voice: VoiceMetadata,
    data_path: Path,
    run_dir: Path,
    replay_path: Path | None = None,
    add_language: str | None = None,
    speaker: str | None = None,
    require_replay: bool = True,
) -> FinetuneData:
    """Check ``--data`` (and ``--replay``) against ``voice`` and write the combined manifest into ``run_dir``.

    ``require_replay=False`` lets a new language train alone (a warning says what it costs), e.g. for a
    benchmark showing the forgetting that replay prevents."""
    data = read_manifest(data_path)
    if not data:
        raise FinetuneSetupError(f"{data_path} has no clips")
    _check_languages(voice, data, data_path, add_language)
    data, warnings = _choose_speaker(data, data_path, speaker, add_language)
    replay: list[Utterance] = []
    if add_language is not None and replay_path is None and not require_replay:
        warnings.append(
            f"training on {add_language} alone, without --replay: the voice's other languages are neither trained nor "
            "validated and are likely to be forgotten"
        )
    elif add_language is not None and replay_path is None:
        raise FinetuneSetupError(
            f"--add-language {add_language} needs --replay OLD_MANIFEST: clips of the languages the voice speaks "
            f"({', '.join(voice.languages)}), mixed into training so they are not forgotten (for the bundled voice, "
            "generate them with `polyvox corpus`; see docs/finetuning.md)"
        )
    if replay_path is not None:
        replay = read_manifest(replay_path)
        warnings += _check_replay(voice, replay, replay_path)
    utterances = data + replay
    for warning in warnings:
        logger.warning("%s", warning)
    manifest = run_dir / COMBINED_MANIFEST
    write_manifest(manifest, utterances)
    return FinetuneData(
        manifest=manifest,
        utterances=tuple(utterances),
        new_languages=tuple(language for language in _ordered([u.language for u in data]) if language not in voice.languages),
        new_speakers=tuple(name for name in _ordered([u.speaker for u in utterances]) if name not in voice.speakers),
        warnings=tuple(warnings),
    )
