"""Deprecated name of ``polyvox.voice_file`` (the voice file format): importing it still works, with a warning."""

from __future__ import annotations

import sys
import warnings

from polyvox import voice_file

warnings.warn("polyvox.checkpoint is now polyvox.voice_file; import from there", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = voice_file
