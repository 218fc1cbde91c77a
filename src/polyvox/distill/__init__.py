"""``polyvox distill``: any voice made fast. The source voice speaks a corpus (its own phoneme durations
included) and a student with polyvox's fast decoder learns from it, keeping the source's symbols, languages
and speakers, so it reads the same text."""

from polyvox.distill.options import DistillError, DistillOptions
from polyvox.distill.run import DistillResult, distill

__all__ = ["DistillError", "DistillOptions", "DistillResult", "distill"]
