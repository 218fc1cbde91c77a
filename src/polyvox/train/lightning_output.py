"""Lightning's console output read as the program's own: each line once, in polyvox's log format,
without Lightning's adverts and without a deprecation warning about Lightning's own code."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

# Lightning adds a console handler to these loggers at import. Once polyvox's root handler is set up
# (setup_logging), a Lightning line went through both: printed twice.
LIGHTNING_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric")
# Where Lightning's information lines (rank_zero_info) are logged.
RANK_ZERO_LOGGERS = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")
# Lines that are not for the user: adverts for Lightning's services, a setting polyvox chose itself,
# and the interrupt note (the command says what Ctrl-C did and how to go on).
HIDDEN_LINES = ("💡 Tip:", "`Trainer(limit_val_batches=1)` was configured", "Detected KeyboardInterrupt")
# Lightning's own code uses a torch class torch has deprecated; the user can do nothing about it.
LIGHTNING_DEPRECATION = r"`isinstance\(treespec, LeafSpec\)` is deprecated"


class HiddenLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(part in message for part in HIDDEN_LINES)


@contextlib.contextmanager
def lightning_output() -> Iterator[None]:
    """While Lightning builds and runs a Trainer: its lines go through the root logger's handlers alone
    (when there are any), less the hidden ones; everything is restored afterwards."""
    root_has_handlers = bool(logging.getLogger().handlers)
    saved = {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate) for name in LIGHTNING_LOGGERS}
    hidden = HiddenLines()
    if root_has_handlers:
        for name in LIGHTNING_LOGGERS:
            logging.getLogger(name).handlers = []
            logging.getLogger(name).propagate = True
    for name in RANK_ZERO_LOGGERS:
        logging.getLogger(name).addFilter(hidden)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=LIGHTNING_DEPRECATION)
            yield
    finally:
        for name in RANK_ZERO_LOGGERS:
            logging.getLogger(name).removeFilter(hidden)
        for name, (handlers, propagate) in saved.items():
            logging.getLogger(name).handlers = handlers
            logging.getLogger(name).propagate = propagate
