"""Serving the simulator over HTTP with uvicorn, for anything that wants a real port."""

from __future__ import annotations

import copy
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from .seed import DEMO_PRODUCT_UID, DEMO_PROJECT_UID, DEVELOPER_TOKEN, VIEWER_TOKEN
from .simulator import Simulator
from .state import Role

CLI_TOKEN_EMAIL = "cli-token@example.com"


def serve_simulator(
    host: str = "127.0.0.1",
    port: int = 8080,
    devices: int = 60,
    token: str | None = None,
    pace: float = 0.5,
    start_delay: float = 2.0,
    seed: int = 1,
    failure_rate: float = 0.0,
) -> None:
    """Run the simulator until interrupted; `port=0` picks a free port.

    `token` adds one more developer token. The URL and tokens to use are printed to stderr
    once the port is open, and uvicorn logs to stderr too: stdout stays free for callers.
    """
    extra_tokens: dict[str, tuple[Role, str]] | None = (
        {token: ("developer", CLI_TOKEN_EMAIL)} if token else None
    )
    simulator = Simulator(
        devices=devices,
        seed=seed,
        pace=pace,
        start_delay=start_delay,
        extra_tokens=extra_tokens,
        failure_rate=failure_rate,
    )
    config = uvicorn.Config(
        simulator.app,
        host=host,
        port=port,
        lifespan="off",
        log_config=_stderr_logging(),
        log_level="info",
    )
    _AnnouncingServer(config, devices=devices, with_cli_token=token is not None).run()


def _stderr_logging() -> dict[str, Any]:
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return log_config


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says where it listens once the (possibly ephemeral) port is bound."""

    def __init__(self, config: uvicorn.Config, *, devices: int, with_cli_token: bool) -> None:
        super().__init__(config)
        self.devices = devices
        self.with_cli_token = with_cli_token

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers or not self.servers[0].sockets:
            return
        address = self.servers[0].sockets[0].getsockname()
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        url = f"http://{host}:{address[1]}"
        tokens = f"{DEVELOPER_TOKEN} (developer), {VIEWER_TOKEN} (viewer)"
        if self.with_cli_token:
            tokens += ", and the --token you gave (developer)"
        banner = (
            f"Notehub Jobs simulator listening on {url}\n"
            f"  project  {DEMO_PROJECT_UID} (product {DEMO_PRODUCT_UID}), {self.devices} devices\n"
            f"  tokens   {tokens}\n"
            f"  use      NOTEHUB_API_URL={url} NOTEHUB_API_TOKEN={DEVELOPER_TOKEN} "
            f"NOTEHUB_PROJECT_UID={DEMO_PROJECT_UID}"
        )
        print(banner, file=sys.stderr, flush=True)
