"""Run the server on a transport, against Notehub or (``demo``) the embedded simulator."""

from __future__ import annotations

import logging
from typing import Literal

import httpx

from . import http_transport, logs, redaction
from .config import Config
from .server import create_server

log = logging.getLogger("notehub_jobs_mcp")

DEMO_API_URL = "http://notehub-simulator.invalid"


def demo_config(config: Config) -> tuple[Config, httpx.AsyncBaseTransport]:
    """Point ``config`` at a fresh in-process simulator with its seeded demo project."""
    from .config import Secret
    from .simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, Simulator

    sim = Simulator(pace=0.5)
    demo = config.with_overrides(
        api_url=DEMO_API_URL,
        token=Secret(DEVELOPER_TOKEN),
        project_uid=DEMO_PROJECT_UID,
    )
    return demo, httpx.ASGITransport(app=sim.app)


def serve(
    config: Config,
    *,
    transport: Literal["stdio", "http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    demo: bool = False,
) -> None:
    logs.set_level(config.log_level)
    redaction.remember(*config.secrets())
    if transport == "http":
        # Before anything else: an unprotected non-loopback bind must not even start.
        http_transport.check_bind(host, config.mcp_auth_token)
    asgi: httpx.AsyncBaseTransport | None = None
    if demo:
        config, asgi = demo_config(config)
        log.warning(
            "demo mode: serving against the embedded Notehub simulator (project %s)", config.project_uid
        )
    elif config.auth_method is None:
        log.warning(
            "no Notehub credentials: set NOTEHUB_API_TOKEN (or start with --demo to try the simulator); "
            "every tool will answer with this error until then"
        )
    server = create_server(config, transport=asgi)
    if transport == "stdio":
        server.run("stdio")
    else:
        app = http_transport.http_app(
            server, host=host, auth_token=config.mcp_auth_token, allowed_hosts=config.mcp_allowed_hosts
        )
        http_transport.run(app, host=host, port=port, log_level=config.log_level)
