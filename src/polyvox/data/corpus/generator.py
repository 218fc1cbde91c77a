"""Generate a synthetic multilingual, multi-speaker speech corpus with espeak-ng.

Every utterance gets audio (``wavs/<speaker>/<id>.wav``), its text, and, when the polyvox
front end's tokens match espeak's phonemes, the duration of every token taken from espeak's
phoneme events. The corpus is a manifest (``manifest.jsonl``) that training reads directly.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from polyvox.audio.io import resample, save_audio
from polyvox.audio.prosody_shape import applied_gain
from polyvox.data.corpus.alignment import align_token_durations, resample_boundaries
from polyvox.data.corpus.errors import CorpusError
from polyvox.data.corpus.espeak_engine import EspeakEngine, EspeakError
from polyvox.data.corpus.plan import plan_corpus
from polyvox.data.corpus.sentence_kinds import SENTENCE_KIND_STYLES, check_style_assignment, sentence_style
from polyvox.data.corpus.sentences import GRAMMAR_MODULES
from polyvox.data.corpus.silence import trim_silence
from polyvox.data.corpus.speakers import MAX_SPEAKERS_PER_LANGUAGE, Speaker
from polyvox.data.corpus.styles import CORPUS_STYLES, CorpusStyle, corpus_styles
from polyvox.data.manifest import Utterance, write_manifest

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"
REPORT_NAME = "corpus_report.json"
# The check on the token durations: they must add up to the clip length within this many samples.
DURATION_TOLERANCE_SAMPLES = 256
# After this many utterances of a language with not one aligned, stop asking the front end for its
# tokens (it reads that language differently from espeak, e.g. zh and ja; some front ends are slow).
ALIGNMENT_GIVE_UP_AFTER = 25
_INT16_SCALE = 32768.0


class TokenSource(Protocol):
    """What the generator needs from the text front end: tokens (their symbols) for a text."""

    def __call__(self, text: str, language: str) -> Sequence[str] | None: ...


@dataclass(frozen=True)
class LanguageReport:
    """Counts for one language; ``aligned`` utterances carry phoneme durations."""

    language: str
    utterances: int
    aligned: int
    duration_s: float
    # Phonemes and phoneme x accent pairs of the language's inventory the sentences cover (None: no inventory).
    coverage: dict[str, Any] | None = None

    @property
    def alignment_rate(self) -> float:
        return self.aligned / self.utterances if self.utterances else 0.0


@dataclass(frozen=True)
class CorpusReport:
    """What :func:`generate_corpus` made: where, how much, and how many utterances got durations."""

    out_dir: str
    manifest: str
    sample_rate: int
    utterances: int
    duration_s: float
    speakers: tuple[str, ...]
    languages: tuple[LanguageReport, ...]
    elapsed_s: float
    styles: tuple[str, ...] = ()  # the style labels (none: unlabelled)
    style_by: str = "turn"  # how the labels were given: in turn over each speaker's utterances, or by sentence kind

    def summary(self) -> str:
        lines = [
            f"{self.utterances} utterances, {self.duration_s / 60:.1f} min of audio, {len(self.speakers)} speakers, "
            f"in {self.elapsed_s:.1f} s -> {self.manifest}"
        ]
        lines += [
            f"  {report.language}: {report.utterances} utterances, {report.duration_s / 60:.1f} min, "
            f"durations aligned for {report.aligned} ({report.alignment_rate:.0%}){_coverage_text(report.coverage)}"
            for report in self.languages
        ]
        if self.styles and self.style_by == "sentence":
            mapping = ", ".join(f"{kind}s {style}" for kind, style in SENTENCE_KIND_STYLES.items())
            lines.append(f"  styles by sentence kind: {mapping}")
        elif self.styles:
            lines.append(f"  styles, in turn over each speaker's utterances: {', '.join(self.styles)}")
        return "\n".join(lines)


def generate_corpus(
    out_dir: str | os.PathLike[str],
    languages: Sequence[str],
    speakers_per_language: int,
    utterances_per_speaker: int,
    sample_rate: int = 22050,
    seed: int = 0,
    progress: bool = True,
    engine: EspeakEngine | None = None,
    token_source: TokenSource | None = None,
    styles: Sequence[str] = (),
    style_by: str = "turn",
) -> CorpusReport:
    """Synthesise a corpus into ``out_dir`` and return a report.

    For each language in ``languages`` (any of en, es, fr, de, zh, ja, ru, ar),
    ``speakers_per_language`` speakers (``"en_f3"``, ``"en_m1"``, ...: an espeak voice variant with
    its own pitch and rate, the same settings for the same name every time) each read
    ``utterances_per_speaker`` different sentences; no sentence repeats within a language.
    Sentences come from per-language templates and depend only on ``seed``; they are chosen to cover
    each language's phoneme inventory (``polyvox.data.corpus.plan``; the report says what is covered).

    Writes ``wavs/<speaker>/<speaker>_<n>.wav`` (16-bit PCM at ``sample_rate``, leading and
    trailing silence trimmed to 0.1 s), ``manifest.jsonl`` and ``corpus_report.json``. An
    utterance's ``phonemes`` are the polyvox front end's tokens and ``phoneme_durations`` their
    lengths in seconds (summing to the clip's duration), taken from espeak's phoneme events; both
    are ``None`` where the tokens and espeak's phonemes differ (expected for zh and ja, whose
    front ends do not use espeak). ``styles`` (names from ``polyvox.data.corpus.styles``: neutral, calm,
    excited, sad, whisper) label the utterances: a speaker's n-th utterance is spoken in the
    (n mod len(styles))-th style, with that style's settings relative to the speaker's own, and its
    ``style`` field says which; without styles the corpus is unlabelled. ``style_by="sentence"`` labels each
    utterance by its sentence's kind instead (exclamations excited, questions calm, statements neutral; ``styles``
    must be those three) and draws the kinds in equal shares (``polyvox.data.corpus.sentence_kinds``). ``engine`` reuses an :class:`EspeakEngine` (create one per
    process); ``token_source`` replaces the front end (``(text, language) -> symbols``).
    """
    started = time.perf_counter()
    languages = tuple(dict.fromkeys(languages))
    _check_request(languages, speakers_per_language, utterances_per_speaker, sample_rate)
    chosen_styles = corpus_styles(styles)
    check_style_assignment(style_by, styles)
    by_sentence = style_by == "sentence"
    root = Path(out_dir)
    _check_folder(root)
    root.mkdir(parents=True, exist_ok=True)
    engine = engine if engine is not None else EspeakEngine()
    tokens_of = token_source if token_source is not None else frontend_token_source(languages)
    corpus_plan = plan_corpus(languages, speakers_per_language, utterances_per_speaker, seed, balance_kinds=by_sentence)
    for coverage in corpus_plan.coverage:
        (logger.warning if coverage.missing_phonemes else logger.info)("corpus phoneme coverage %s", coverage.line())
    coverage_of = {coverage.language: coverage.to_dict() for coverage in corpus_plan.coverage}
    plan = corpus_plan.utterances
    utterances: list[Utterance] = []
    aligned: dict[str, int] = {language: 0 for language in languages}
    attempted: dict[str, int] = {language: 0 for language in languages}
    for index, (speaker, text) in enumerate(_progress(plan, progress)):
        language = speaker.language
        align = attempted[language] < ALIGNMENT_GIVE_UP_AFTER or aligned[language] > 0
        if not align and attempted[language] == ALIGNMENT_GIVE_UP_AFTER:
            logger.info(
                "%s: the front end's tokens matched espeak's phonemes for none of the first %d utterances; "
                "generating the rest without phoneme durations",
                language,
                ALIGNMENT_GIVE_UP_AFTER,
            )
        attempted[language] += 1
        number = index % utterances_per_speaker
        style = chosen_styles[number % len(chosen_styles)] if chosen_styles else None
        if by_sentence:
            style = CORPUS_STYLES[sentence_style(text)]
        identifier = f"{speaker.name}_{number:05d}"
        utterance = _make_utterance(
            engine, tokens_of if align else None, speaker, style, text, root, identifier, sample_rate, random_seed=seed + index
        )
        aligned[language] += utterance.phonemes is not None
        utterances.append(utterance)
    manifest = root / MANIFEST_NAME
    write_manifest(manifest, utterances)
    report = CorpusReport(
        out_dir=str(root),
        manifest=str(manifest),
        sample_rate=sample_rate,
        utterances=len(utterances),
        duration_s=sum(u.duration for u in utterances),
        speakers=tuple(dict.fromkeys(u.speaker for u in utterances)),
        languages=tuple(
            LanguageReport(
                language=language,
                utterances=sum(u.language == language for u in utterances),
                aligned=aligned[language],
                duration_s=sum(u.duration for u in utterances if u.language == language),
                coverage=coverage_of.get(language),
            )
            for language in languages
        ),
        elapsed_s=time.perf_counter() - started,
        styles=tuple(style.name for style in chosen_styles),
        style_by=style_by,
    )
    (root / REPORT_NAME).write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    logger.info("corpus generated:\n%s", report.summary())
    return report


def _check_request(languages: Sequence[str], speakers: int, utterances: int, sample_rate: int) -> None:
    if not languages:
        raise CorpusError(f"give at least one language; available: {sorted(GRAMMAR_MODULES)}")
    unknown = [language for language in languages if language not in GRAMMAR_MODULES]
    if unknown:
        raise CorpusError(f"no corpus generator for language(s) {unknown}; available: {sorted(GRAMMAR_MODULES)}")
    if speakers < 1 or utterances < 1:
        raise CorpusError(f"speakers_per_language and utterances_per_speaker must be >= 1, got {speakers} and {utterances}")
    if speakers > MAX_SPEAKERS_PER_LANGUAGE:
        raise CorpusError(f"speakers_per_language must be in 1..{MAX_SPEAKERS_PER_LANGUAGE}, got {speakers}")
    if sample_rate < 8000:
        raise CorpusError(f"sample_rate must be >= 8000 Hz, got {sample_rate}")


def _coverage_text(coverage: dict[str, Any] | None) -> str:
    if coverage is None:
        return ""
    return (
        f", phonemes {coverage['phonemes_covered']}/{coverage['phonemes']}, "
        f"phoneme x accent {coverage['pairs_covered']}/{coverage['pairs']}"
    )


def frontend_token_source(languages: Sequence[str]) -> TokenSource:
    from polyvox.text.errors import TextError
    from polyvox.text.frontend import TextFrontend

    frontend = TextFrontend(languages)

    def tokens_of(text: str, language: str) -> Sequence[str] | None:
        try:
            return [token.symbol for token in frontend.phonemize(text, language)]
        except TextError as error:
            logger.warning("front end cannot phonemize %r (%s): %s; no durations for it", text, language, error)
            return None

    return tokens_of


def _make_utterance(
    engine: EspeakEngine,
    tokens_of: TokenSource | None,
    speaker: Speaker,
    style: CorpusStyle | None,
    text: str,
    root: Path,
    identifier: str,
    sample_rate: int,
    random_seed: int,
) -> Utterance:
    settings = style.settings_for(speaker) if style is not None else speaker.settings
    synthesis = engine.synthesize(text, settings, random_seed)
    if synthesis.samples.size == 0:
        raise EspeakError(f"espeak-ng produced no audio for {text!r} with voice {settings.voice_names}")
    tokens = tokens_of(text, speaker.language) if tokens_of is not None else None
    durations = align_token_durations(tokens, synthesis.events, synthesis.samples.size) if tokens else None
    samples = resample(synthesis.samples.astype(np.float32) / _INT16_SCALE, synthesis.sample_rate, sample_rate)
    if style is not None:
        samples = applied_gain(samples, style.gain_db)
    if durations is not None:
        durations = resample_boundaries(durations, synthesis.sample_rate, sample_rate, samples.size)
    samples, durations = trim_silence(samples, sample_rate, durations)
    if durations is not None and abs(int(durations.sum()) - samples.size) > DURATION_TOLERANCE_SAMPLES:
        logger.warning("durations of %s add up to %d samples, not %d; dropped", identifier, durations.sum(), samples.size)
        durations = None
    path = root / "wavs" / speaker.name / f"{identifier}.wav"
    save_audio(path, samples, sample_rate)
    aligned = durations is not None and tokens is not None
    return Utterance(
        audio=str(path.resolve()),
        text=text,
        speaker=speaker.name,
        language=speaker.language,
        duration=samples.size / sample_rate,
        phonemes=tuple(tokens) if aligned and tokens is not None else None,
        phoneme_durations=tuple(float(d) / sample_rate for d in durations) if aligned and durations is not None else None,
        style=style.name if style is not None else None,
    )


def _progress(plan: list[tuple[Speaker, str]], enabled: bool) -> Sequence[tuple[Speaker, str]]:
    if not enabled:
        return plan
    from tqdm.auto import tqdm

    return tqdm(plan, desc="synthesising corpus", unit="utt")  # type: ignore[no-any-return]


def _check_folder(root: Path) -> None:
    """A generated corpus may be made again in its folder; any other dataset there is never replaced."""
    if (root / MANIFEST_NAME).is_file() and not (root / REPORT_NAME).is_file():
        raise CorpusError(
            f"{root} already holds a dataset ({MANIFEST_NAME}) that polyvox corpus did not make; choose another folder"
        )
