"""The HTTP server behind ``polyvox serve``: an OpenAI-compatible speech endpoint on FastAPI.

``create_app`` imports FastAPI when first used; the voice catalog and cache modules need only
polyvox, so the web UI shares them without the server.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from polyvox.server.app import create_app

        return create_app
    if name == "ServerSettings":
        from polyvox.server.settings import ServerSettings

        return ServerSettings
    raise AttributeError(f"module 'polyvox.server' has no attribute {name!r}")
