"""A log of every API request as it arrived, so tests can check what a client really sent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .state import JSONObject

# The simulator's own introspection routes are not part of what a client sent to "Notehub".
UNRECORDED_PREFIX = "/_sim/"


@dataclass
class RequestLog:
    entries: list[JSONObject] = field(default_factory=list)

    def clear(self) -> None:
        self.entries.clear()


class RecordRequests:
    """ASGI middleware that appends each request to a RequestLog before passing it on.

    Only header *names* are kept: the Authorization value is a credential.
    """

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNRECORDED_PREFIX):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        raw_query = scope.get("query_string", b"").decode("latin-1")
        self.log.entries.append(
            {
                "method": scope["method"],
                "path": scope["path"],
                "raw_path": raw_path.split(b"?", 1)[0].decode("latin-1"),
                "query": dict(parse_qsl(raw_query, keep_blank_values=True)),
                "raw_query": raw_query,
                "headers_present": [name.decode("latin-1") for name, _ in scope.get("headers", [])],
                "json": _json_or_none(body),
            }
        )
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands the already-read body to the app once, then defers."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _json_or_none(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body, parse_constant=lambda name: None)
    except (ValueError, UnicodeDecodeError):
        return None
