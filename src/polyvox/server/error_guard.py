"""The outermost layer of the application: no exception leaves it. An error before the response has
started is answered with the JSON 500; one in the middle of a streamed body ends that body cleanly.
Either way the server logs the traceback and the client's keep-alive connection stays usable."""

from __future__ import annotations

import logging
from typing import Any

from polyvox.server.errors import internal_error_response

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]


class ContainErrors:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "finished": False}

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                state["finished"] = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:  # noqa: BLE001 - the point of this layer: log it, answer, keep the connection
            logger.exception("internal error answering %s %s", scope.get("method"), scope.get("path"))
            if not state["started"]:
                await internal_error_response()(scope, receive, send)
            elif not state["finished"]:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
