"""Sentence grammars, one module per language; each defines ``GRAMMAR`` (imported on demand)."""
