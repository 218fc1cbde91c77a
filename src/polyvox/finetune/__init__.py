"""Fine-tuning a trained voice: load (with a report of every tensor), grow tables, freeze, train briefly, keep the best step.

``plan_finetune`` -> ``FinetunePlan`` (source loaded, tables grown, freeze applied, load report) and
``run_finetune`` -> ``FinetuneResult``; ``finetune`` does both. See docs/finetuning.md.
"""

from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.freeze import FREEZE_PRESETS
from polyvox.finetune.plan import FinetuneOptions, FinetunePlan, plan_finetune
from polyvox.finetune.run import FinetuneResult, finetune, run_finetune

__all__ = [
    "FREEZE_PRESETS",
    "FinetuneOptions",
    "FinetunePlan",
    "FinetuneResult",
    "FinetuneSetupError",
    "finetune",
    "plan_finetune",
    "run_finetune",
]
