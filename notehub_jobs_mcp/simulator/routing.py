"""Routing on the path exactly as it arrived, so an encoded `/` stays inside its segment.

ASGI servers hand applications a percent-decoded `path`; routing on that would send
`jobs/a%2Fb` to a different route than `jobs/{job_uid}`. The simulator routes on
`raw_path` instead, and handlers decode each path parameter on its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[JSONResponse]]


def route(path: str, endpoints: Mapping[str, Endpoint]) -> Route:
    """One route per path with a handler per method, so a 405 lists every allowed method."""

    async def dispatch(request: Request) -> JSONResponse:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return Route(path, dispatch, methods=list(endpoints))


class RawPathRouting:
    """ASGI middleware: replace the decoded `path` with the raw, still-encoded one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") if scope["type"] == "http" else None
        if raw_path:
            # Some clients send the query in the request target; it is not part of the path.
            scope = {**scope, "path": raw_path.split(b"?", 1)[0].decode("latin-1")}
        await self.app(scope, receive, send)
