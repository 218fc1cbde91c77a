"""Synthetic multilingual, multi-speaker speech corpus generated with espeak-ng."""

from polyvox.data.corpus.generator import CorpusReport, LanguageReport, generate_corpus

__all__ = ["CorpusReport", "LanguageReport", "generate_corpus"]
