"""Shared fixtures: one espeak-ng engine per test process and a small generated corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from polyvox.data.corpus import CorpusReport, generate_corpus
from polyvox.data.corpus.espeak_engine import EspeakEngine


@pytest.fixture(scope="session")
def engine() -> Iterator[EspeakEngine]:
    # espeak-ng is initialised once per process: a second initialisation shifts its audio slightly.
    yield EspeakEngine()


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory, engine: EspeakEngine) -> tuple[Path, CorpusReport]:
    """English (with espeak durations) and Mandarin (aligned by search): 2 speakers x 5 clips each."""
    out = tmp_path_factory.mktemp("small_corpus")
    report = generate_corpus(out, ["en", "zh"], 2, 5, sample_rate=22050, seed=3, progress=False, engine=engine)
    return out, report
