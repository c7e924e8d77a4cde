"""Injected faults (latency, error statuses such as 429 with Retry-After, dropped connections,
truncated answers, odd error bodies).

A fault is queued with a count and matches requests by method and path substring; it only
ever applies to API routes, never to the simulator's own `/_sim/` routes.

Faults differ in whether the request reached the API: `drop` and `status` answer *instead of*
the API (nothing happened), while `truncate` lets the API act and then cuts its answer short,
the case where a client cannot know whether a write took effect.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio
import httpx
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response
from .recorder import UNRECORDED_PREFIX, _read_body
from .state import JSONObject

FAULT_MESSAGES = {
    429: "rate limit exceeded; retry later",
    500: "internal server error",
    502: "bad gateway",
    503: "service temporarily unavailable",
    504: "gateway timeout",
}


class SimulatedDisconnect(httpx.RemoteProtocolError):
    """The server went away mid-response.

    In-process (httpx's ASGI transport) this is what the client sees; over a socket,
    uvicorn drops the connection and the client gets its own RemoteProtocolError.
    """


@dataclass
class Fault:
    status: int = 0
    retry_after: int | None = None
    latency: float = 0.0
    drop: bool = False
    times: int = 1
    method: str = ""
    path_contains: str = ""
    truncate: bool = False
    """Let the API act, then send half its answer and drop the connection."""
    body: str | None = None
    """With `status`: answer with this raw text (an HTML proxy page, "", broken JSON)."""
    echo: bool = False
    """With `status`: an error whose `err`, `debug` and `request` echo the request's headers."""

    def __post_init__(self) -> None:
        if self.status and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599), or 0 for none")
        if self.times < 1 or self.latency < 0:
            raise ValueError("times must be at least 1 and latency not negative")
        if (self.body is not None or self.echo) and not self.status:
            raise ValueError("body and echo need a status")

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method.upper() == method) and self.path_contains in path


@dataclass
class FaultQueue:
    faults: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, used up once."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def describe(self) -> list[JSONObject]:
        return [asdict(fault) for fault in self.faults]


def fault_from_json(data: Any) -> Fault:
    if not isinstance(data, dict):
        raise ValueError("a fault must be a JSON object")
    known = set(Fault.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
    return Fault(**data)


class InjectFaults:
    """ASGI middleware applying queued faults before the request reaches the API."""

    def __init__(self, app: ASGIApp, queue: FaultQueue) -> None:
        self.app = app
        self.queue = queue

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = None
        if scope["type"] == "http" and not scope["path"].startswith(UNRECORDED_PREFIX):
            fault = self.queue.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.latency:
            await anyio.sleep(fault.latency)
        if fault.drop:
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
            )
            raise SimulatedDisconnect("simulated dropped connection")
        if fault.status:
            request_body = await _read_body(receive) if fault.echo else b""
            await _fault_response(fault, scope, request_body)(scope, receive, send)
            return
        if fault.truncate:
            await self.app(scope, receive, _truncating(send))
            return
        await self.app(scope, receive, send)


def _fault_response(fault: Fault, scope: Scope, request_body: bytes) -> Response:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
    if fault.body is not None:
        media_type = "text/html" if fault.body.lstrip().startswith("<") else "application/json"
        return Response(fault.body, status_code=fault.status, headers=headers, media_type=media_type)
    message = FAULT_MESSAGES.get(fault.status, "simulated error")
    if not fault.echo:
        return error_response(fault.status, message, headers)
    # A misbehaving upstream that echoes the request, credentials included: what a client must
    # never pass on.
    headers_seen = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    sent = request_body.decode("latin-1")
    body = {
        "err": f"{message}: authorization {headers_seen.get('authorization')!r}, body {sent!r}, "
        f"while handling {scope['method']} {scope['path']} with headers {headers_seen}",
        "code": fault.status,
        "debug": json.dumps(headers_seen),
        "request": {"method": scope["method"], "path": scope["path"], "headers": headers_seen, "body": sent},
    }
    return Response(
        json.dumps(body), status_code=fault.status, headers=headers, media_type="application/json"
    )


def _truncating(send: Send) -> Send:
    """Pass the response start on, then half of the body, then fail as a dropped connection."""

    async def truncated(message: Message) -> None:
        if message["type"] == "http.response.start":
            await send(message)
            return
        if message["type"] == "http.response.body":
            body: bytes = message.get("body", b"")
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise SimulatedDisconnect("simulated connection drop in the middle of the answer")
        await send(message)

    return truncated
