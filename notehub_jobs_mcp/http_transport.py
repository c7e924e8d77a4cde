"""MCP over Streamable HTTP: stateless, on loopback by default, guarded against DNS rebinding,
and behind a bearer token whenever it listens beyond this machine.

Stateless means no session lives in the process: any request can go to any server process
behind one address, and a restart loses nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
from collections.abc import Iterable
from typing import Any

import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .config import ConfigError, Secret

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


MIN_TOKEN_LENGTH = 16


def check_bind(host: str, auth_token: Secret | None) -> None:
    """Refuse to listen beyond this machine without a token: anyone who can reach the port could
    otherwise create and run jobs on the fleet with the server's Notehub credentials."""
    if not is_loopback(host) and auth_token is None:
        raise ConfigError(
            f"refusing to serve MCP over HTTP on {host}, which is reachable from other machines, "
            "without a bearer token. Set NOTEHUB_MCP_AUTH_TOKEN to a long random value (clients send "
            "it as 'Authorization: Bearer <token>'), or bind to 127.0.0.1."
        )
    if not is_loopback(host) and auth_token is not None and len(auth_token.reveal()) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"NOTEHUB_MCP_AUTH_TOKEN is too short to guard a server reachable from other machines: use "
            f"at least {MIN_TOKEN_LENGTH} random characters, e.g. the output of "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )


def security_settings(host: str, extra_hosts: Iterable[str] = ()) -> TransportSecuritySettings:
    """Host and Origin values a request may carry: loopback names, the bound address, and any
    names configured in NOTEHUB_MCP_ALLOWED_HOSTS. Anything else is a DNS-rebinding attempt."""
    names = list(LOOPBACK_NAMES)
    bound = host.strip("[]")
    if bound not in ("0.0.0.0", "::") and not is_loopback(host):
        names.append(f"[{bound}]" if ":" in bound else bound)
    names.extend(extra_hosts)
    hosts = [pattern for name in names for pattern in (name, f"{name}:*")]
    origins = [f"{scheme}://{pattern}" for scheme in ("http", "https") for pattern in hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class RequireBearer:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: Secret) -> None:
        self.app = app
        self._expected = f"Bearer {token.reveal()}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = Headers(scope=scope).get("authorization", "").encode("latin-1", "replace")
            # Constant time, so the token cannot be guessed byte by byte from response times.
            if not hmac.compare_digest(given, self._expected):
                response = PlainTextResponse(
                    "Unauthorized: send 'Authorization: Bearer <NOTEHUB_MCP_AUTH_TOKEN>'.",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="notehub-jobs-mcp"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_app(
    server: MCPServer[Any],
    *,
    host: str = "127.0.0.1",
    auth_token: Secret | None = None,
    allowed_hosts: Iterable[str] = (),
) -> ASGIApp:
    """The ASGI app serving ``server`` at ``/mcp``; its lifespan opens the Notehub client once."""
    check_bind(host, auth_token)
    allowed_hosts = list(allowed_hosts)
    if host.strip("[]") in ("0.0.0.0", "::") and not allowed_hosts:
        log.warning(
            "listening on all interfaces, but requests must name this machine in Host: other machines "
            "get 421 until NOTEHUB_MCP_ALLOWED_HOSTS lists the host names or addresses they use"
        )
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        transport_security=security_settings(host, allowed_hosts),
        host=host,
    )
    return RequireBearer(app, auth_token) if auth_token is not None else app


def run(app: ASGIApp, *, host: str, port: int, log_level: str) -> None:
    """Serve ``app`` until interrupted; ``port=0`` picks a free port, and the URL is logged."""
    # log_config=None: uvicorn's loggers go through ours (stderr, secrets scrubbed).
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, log_level=log_level.lower(), lifespan="on"
    )
    _AnnouncingServer(config).run()


class _AnnouncingServer(uvicorn.Server):
    """Says where it listens once the (possibly ephemeral) port is bound."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers or not self.servers[0].sockets:
            return
        address = self.servers[0].sockets[0].getsockname()
        where = f"[{address[0]}]" if ":" in address[0] else address[0]
        # WARNING, so that it shows at the default log level: the user needs the URL.
        log.warning("serving MCP over HTTP at http://%s:%d%s", where, address[1], MCP_PATH)
