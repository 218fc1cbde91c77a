"""Shared fixtures: one espeak-ng engine per test process and a small generated corpus."""

from __future__ import annotations

import os

# One thread per test process (and per subprocess a test starts): the models under test are tiny, and
# with two cores shared by other work, torch's thread pool costs far more than it gives (measured: a
# test file took 145 s on two threads against 21 s on one on a loaded machine).
os.environ.setdefault("OMP_NUM_THREADS", "1")

from collections.abc import Iterator
from pathlib import Path

import pytest

from polyvox.data.corpus import CorpusReport, generate_corpus
from polyvox.data.corpus.espeak_engine import EspeakEngine


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> None:
    import torch

    torch.set_num_threads(1)


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


@pytest.fixture(scope="session", autouse=True)
def small_corpus_spoken_first(small_corpus: tuple[Path, CorpusReport]) -> None:
    """espeak-ng's pitch flutter carries over from one call to the next (``EspeakEngine.synthesize``): the shared
    corpus is the first thing the session's engine says, so its audio is the same whichever tests run before it."""
