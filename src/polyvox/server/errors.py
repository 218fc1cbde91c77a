"""One JSON error shape for every failure, as OpenAI's API answers: ``{"error": {message, type, code, param}}``.

Known bad input raises ``ApiError`` with a 4xx status; anything else is answered with a plain 500
that carries no traceback (``error_guard``), while the server logs the traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

_ENDPOINTS = "POST /v1/audio/speech, GET /v1/models, GET /v1/voices, GET /health"
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


class ApiError(Exception):
    """A request the server answers with ``status`` and a message saying what to change."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = dict(headers or {})


def error_type(status: int) -> str:
    if status == 429:
        return "rate_limit_error"
    return "invalid_request_error" if status < 500 else "server_error"


def error_body(status: int, code: str, message: str, param: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"message": message, "type": error_type(status), "code": code, "param": param}}


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error.status, error.code, error.message, error.param), error.status, headers=error.headers)


def validation_message(errors: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    """A one-line message from pydantic's error list, and the first field it names."""
    parts = []
    param = None
    for entry in errors:
        location = ".".join(str(part) for part in entry.get("loc", ()) if part != "body")
        param = param or location or None
        parts.append(f"{location or 'request body'}: {entry.get('msg')}")
    return "; ".join(parts), param


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(error)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    message, param = validation_message(error.errors())
    return error_response(ApiError(400, "invalid_request", message, param))


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    message = str(error.detail)
    if error.status_code in (404, 405):
        message = f"{message}: {request.method} {request.url.path}; the API has {_ENDPOINTS}"
    return error_response(ApiError(error.status_code, code, message, headers=error.headers))


def internal_error_response() -> JSONResponse:
    return error_response(ApiError(500, "internal_error", "internal server error; the server log has the details"))


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Any other exception is answered by error_guard.ContainErrors, which keeps the connection open.
