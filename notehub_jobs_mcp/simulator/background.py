"""Serve a simulator on a loopback port for the length of an ``async with`` block."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import anyio
import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def serve_in_background(
    app: ASGIApp, host: str = "127.0.0.1", *, lifespan: Literal["on", "off"] = "off"
) -> AsyncIterator[str]:
    """Yield the base URL of ``app`` served on a free port of ``host``; stop it on exit.

    ``lifespan="on"`` runs the app's startup and shutdown (an MCP app needs them; the simulator not).
    """
    # Bind first, then hand the socket to uvicorn: the port is known before the server starts,
    # and no other process can take it in between. IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY
    # only on sockets whose proto says TCP, and without it every keep-alive request waits ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        while not server.started:
            await anyio.sleep(0.01)
        try:
            yield f"http://{host}:{port}"
        finally:
            server.should_exit = True
    sock.close()
