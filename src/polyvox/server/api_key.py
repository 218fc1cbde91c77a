"""Bearer-token authentication, as OpenAI clients send it (``Authorization: Bearer KEY``). ``/health``
stays open so that load balancers and container probes need no key."""

from __future__ import annotations

import hmac
from typing import Any

from polyvox.server.errors import ApiError, error_response

OPEN_PATHS = frozenset({"/health"})


class RequireApiKey:
    def __init__(self, app: Any, api_key: str) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", ())).get(b"authorization", b"")
        if hmac.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        message = (
            "missing API key: send the header 'Authorization: Bearer KEY' (OpenAI clients: api_key=KEY)"
            if not given
            else "invalid API key in the Authorization header"
        )
        error = ApiError(401, "invalid_api_key", message, headers={"WWW-Authenticate": "Bearer"})
        await error_response(error)(scope, receive, send)
