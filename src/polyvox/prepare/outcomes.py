"""What becomes of each checked clip under the ``--flagged`` policy: kept, flagged and kept, or dropped. The
outcomes go to the run's store (the report's list of flagged clips reads them back), to the report's counts
and, for clips in the manifest, to the manifest, one clip at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict

from polyvox.data.manifest import Utterance
from polyvox.prepare.checks import ClipVerdict
from polyvox.prepare.clip_store import ClipStore
from polyvox.prepare.report import DROPPED, FLAGGED_KEPT, KEPT, ClipOutcome, PrepareReport


def record_outcomes(store: ClipStore, report: PrepareReport, policy: str) -> None:
    for key, clip, phonemes, problems in store.verdicts():
        outcome = clip_outcome(ClipVerdict(clip, phonemes, problems), policy)
        store.add_outcome(key, asdict(outcome), outcome.in_manifest)
        report.add_clip(outcome)
    store.connection.commit()


def new_utterances(store: ClipStore) -> Iterator[Utterance]:
    """The manifest's lines for this run's clips, in input order."""
    for outcome in store.outcomes("in_manifest"):
        yield Utterance(outcome["audio"], outcome["text"] or "", outcome["speaker"], outcome["language"], outcome["duration"])


def clip_outcome(verdict: ClipVerdict, policy: str) -> ClipOutcome:
    clip = verdict.clip
    if verdict.must_drop() or (verdict.problems and policy == "drop"):
        action = DROPPED
    else:
        action = FLAGGED_KEPT if verdict.problems else KEPT
    return ClipOutcome(
        audio=clip.audio,
        source=clip.source,
        speaker=clip.speaker,
        language=clip.language,
        text=clip.text,
        start_s=clip.start_s,
        end_s=clip.end_s,
        duration=round(clip.duration, 3),
        phonemes_per_second=round(verdict.rate, 2) if verdict.rate is not None else None,
        action=action,
        reasons=[{"reason": reason, "detail": detail} for reason, detail in verdict.problems],
    )
