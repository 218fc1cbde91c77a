"""The web UI behind ``polyvox ui`` (Gradio; extra ``ui``). Importing it imports Gradio."""

from __future__ import annotations

from polyvox.ui.app import build_ui

__all__ = ["build_ui"]
