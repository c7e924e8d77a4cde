"""Notehub's error shape, `{"err", "code", "status"}`, for every error the simulator returns."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ApiError(Exception):
    """Raised by a handler to answer with an error status and a human-readable `err`."""

    def __init__(self, code: int, err: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(err)
        self.code = code
        self.err = err
        self.headers = dict(headers or {})


def error_response(code: int, err: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"err": err, "code": code, "status": HTTPStatus(code).phrase}
    return JSONResponse(body, status_code=code, headers=headers)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.err, exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (no route) and 405 (wrong method), in Notehub's shape."""
    assert isinstance(exc, HTTPException)
    messages = {
        404: "not found: no such API route",
        405: f"method {request.method} not allowed on this route",
    }
    err = messages.get(exc.status_code, HTTPStatus(exc.status_code).phrase.lower())
    return error_response(exc.status_code, err, exc.headers)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal error in the Notehub simulator")
