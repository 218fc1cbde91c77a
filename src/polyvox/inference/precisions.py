"""Names of the decoder precisions, torch-free so the command line and the server check them at start-up."""

from __future__ import annotations

# "bfloat16" runs the decoder's convolutions in bfloat16; "auto" uses it only where the CPU computes it
# natively (inference/speed.py set_decoder_precision applies them).
PRECISIONS = ("float32", "bfloat16", "auto")


def precision_option_error(value: str) -> str | None:
    """The one-line message for a ``--precision`` value that is not a precision; None when it is one."""
    if value in PRECISIONS:
        return None
    return f"--precision must be {', '.join(PRECISIONS[:-1])} or {PRECISIONS[-1]}, got {value!r}"
