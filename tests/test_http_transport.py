"""MCP over HTTP faces callers that are not the user: a web page in the user's browser (DNS
rebinding), anyone on the network, and many calls at once. It refuses the first two and serves
the third, statelessly, so that any number of server processes can stand behind one address.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.types import ASGIApp

from notehub_jobs_mcp.config import ConfigError, Secret
from notehub_jobs_mcp.http_transport import check_bind, http_app
from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, STAGING_FLEET_UID, Simulator
from notehub_jobs_mcp.simulator.background import serve_in_background

from .conftest import config, job_uid_from, report_uid_from, staging_job, text

pytestmark = pytest.mark.anyio

MCP_TOKEN = "mcp-endpoint-token-5f1c9e7a2b"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}
JSON_AND_SSE = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """The MCP endpoint of ``app`` on a free loopback port; the lifespan opens the Notehub client."""
    async with serve_in_background(app, lifespan="on") as base:
        yield f"{base}/mcp"


@pytest.fixture
def sim() -> Simulator:
    return Simulator(devices=60, seed=5, pace=0.01, start_delay=0.0)


def mcp_app(sim: Simulator, **kwargs: Any) -> ASGIApp:
    return http_app(create_server(config(), transport=httpx.ASGITransport(app=sim.app)), **kwargs)


@asynccontextmanager
async def mcp_client(url: str, token: str | None = None, **kwargs: Any) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with (
        httpx2.AsyncClient(headers=headers, **kwargs) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


# --- Who may call ---------------------------------------------------------------------------


async def test_a_page_from_another_origin_gets_403_and_reaches_nothing(sim: Simulator) -> None:
    async with serving(mcp_app(sim)) as url, httpx.AsyncClient() as http:
        port = url.split(":")[2].split("/")[0]
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_jobs"}}
        for origin in ("http://evil.example", "null", f"http://127.0.0.1.evil.example:{port}"):
            response = await http.post(url, json=call, headers={**JSON_AND_SSE, "Origin": origin})
            assert response.status_code == 403, origin
        # A rebound DNS name reaches the right port with the wrong Host.
        response = await http.post(url, json=INITIALIZE, headers={**JSON_AND_SSE, "Host": "evil.example"})
        assert response.status_code == 421
        assert sim.requests.entries == []

        ok = await http.post(
            url, json=INITIALIZE, headers={**JSON_AND_SSE, "Origin": f"http://127.0.0.1:{port}"}
        )
        assert ok.status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.com"])
def test_listening_beyond_loopback_without_a_token_is_refused(host: str) -> None:
    with pytest.raises(ConfigError, match="NOTEHUB_MCP_AUTH_TOKEN"):
        check_bind(host, None)
    check_bind(host, Secret(MCP_TOKEN))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    check_bind(host, None)


async def test_the_server_will_not_start_on_a_public_address_without_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTEHUB_")}
    argv = [sys.executable, "-m", "notehub_jobs_mcp", "serve", "--transport", "http", "--host", "0.0.0.0"]
    with anyio.fail_after(30):
        result = await anyio.run_process([*argv, "--port", "0", "--demo"], env=env, check=False)
    assert result.returncode == 2
    assert b"NOTEHUB_MCP_AUTH_TOKEN" in result.stderr and b"refusing" in result.stderr
    assert result.stdout == b""


async def test_with_a_token_every_request_must_carry_it(sim: Simulator) -> None:
    # Built as for a public address, served on loopback: tests never listen beyond it.
    app = mcp_app(sim, host="0.0.0.0", auth_token=Secret(MCP_TOKEN))
    async with serving(app) as url:
        async with httpx.AsyncClient() as http:
            for auth in (None, "Bearer wrong", f"Bearer {MCP_TOKEN[:-1]}", MCP_TOKEN, f"Basic {MCP_TOKEN}"):
                headers = {**JSON_AND_SSE, **({"Authorization": auth} if auth else {})}
                response = await http.post(url, json=INITIALIZE, headers=headers)
                assert response.status_code == 401, auth
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert MCP_TOKEN not in response.text
            assert (await http.get(url)).status_code == 401
            assert (await http.delete(url)).status_code == 401
        assert sim.requests.entries == []

        async with mcp_client(url, MCP_TOKEN) as client:
            assert len((await client.list_tools()).tools) >= 9
            assert not (await client.call_tool("list_jobs", {})).is_error


# --- Many calls, many processes ---------------------------------------------------------------


async def test_fifty_concurrent_tool_calls_over_one_http_server_all_succeed(sim: Simulator) -> None:
    async with serving(mcp_app(sim)) as url, mcp_client(url) as client:
        job = job_uid_from(
            text(
                await client.call_tool(
                    "create_job", {"name": "c", "definition": staging_job(STAGING_FLEET_UID)}
                )
            )
        )
        report = report_uid_from(text(await client.call_tool("run_job", {"job_uid": job, "dry_run": True})))
        calls = itertools.cycle(
            [
                ("list_jobs", {}),
                ("get_job", {"job_uid": job}),
                ("list_job_runs", {"job_uid": job}),
                ("get_job_run", {"report_uid": report}),
                ("get_job_run", {"report_uid": report, "view": "detail"}),
            ]
        )
        failures: list[str] = []
        done = 0

        async def call(tool: str, arguments: dict[str, Any]) -> None:
            nonlocal done
            result = await client.call_tool(tool, arguments)
            if result.is_error:
                failures.append(text(result))
            done += 1

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for tool, arguments in itertools.islice(calls, 50):
                    tg.start_soon(call, tool, arguments)
    assert failures == []
    assert done == 50


class RoundRobin(httpx2.AsyncBaseTransport):
    """One address in front of several servers: each request goes to the next one in turn."""

    def __init__(self, ports: list[int]) -> None:
        self._next = itertools.cycle(ports)
        self._inner = httpx2.AsyncHTTPTransport()
        self.hits: Counter[int] = Counter()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self._next)
        self.hits[port] += 1
        request.url = request.url.copy_with(port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@asynccontextmanager
async def server_process(sim_url: str) -> AsyncIterator[int]:
    """``notehub-jobs-mcp serve --transport http --port 0`` as its own process; yields its port."""
    env = {
        **os.environ,
        "NOTEHUB_API_URL": sim_url,
        "NOTEHUB_API_TOKEN": DEVELOPER_TOKEN,
        "NOTEHUB_PROJECT_UID": DEMO_PROJECT_UID,
        "NOTEHUB_MCP_AUTH_TOKEN": MCP_TOKEN,
    }
    argv = [sys.executable, "-m", "notehub_jobs_mcp", "serve", "--transport", "http", "--port", "0"]
    async with await anyio.open_process(argv, env=env) as proc:
        assert proc.stderr is not None
        seen = b""
        with anyio.fail_after(30):
            while not (match := re.search(rb"serving MCP over HTTP at http://127\.0\.0\.1:(\d+)/mcp", seen)):
                seen += await proc.stderr.receive()
        try:
            async with anyio.create_task_group() as tg:
                # Keep reading stderr, so that a chatty server never blocks on a full pipe.
                tg.start_soon(_drain, proc.stderr)
                yield int(match.group(1))
                tg.cancel_scope.cancel()
        finally:
            proc.terminate()
            await proc.wait()
    assert MCP_TOKEN.encode() not in seen and DEVELOPER_TOKEN.encode() not in seen


async def _drain(stream: Any) -> None:
    try:
        async for _ in stream:
            pass
    except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
        pass


async def test_two_server_processes_behind_one_address_serve_one_client(sim: Simulator) -> None:
    async with (
        serve_in_background(sim.app) as sim_url,
        server_process(sim_url) as port_a,
        server_process(sim_url) as port_b,
    ):
        balancer = RoundRobin([port_a, port_b])
        url = f"http://127.0.0.1:{port_a}/mcp"
        async with mcp_client(url, MCP_TOKEN, transport=balancer) as client:
            outputs = []
            job = job_uid_from(
                text(
                    await client.call_tool(
                        "create_job", {"name": "two", "definition": staging_job(STAGING_FLEET_UID)}
                    )
                )
            )
            report = report_uid_from(
                text(await client.call_tool("run_job", {"job_uid": job, "dry_run": True}))
            )
            for tool, arguments in [
                ("get_job", {"job_uid": job}),
                ("list_job_runs", {"job_uid": job}),
                ("get_job_run", {"report_uid": report}),
                ("list_jobs", {}),
            ]:
                result = await client.call_tool(tool, arguments)
                assert not result.is_error, text(result)
                outputs.append(text(result))
    assert report in outputs[1]
    # Both processes served this one client's requests, in turn.
    assert balancer.hits[port_a] >= 3 and balancer.hits[port_b] >= 3, balancer.hits


def test_a_short_token_does_not_guard_a_server_beyond_loopback() -> None:
    with pytest.raises(ConfigError, match="too short"):
        check_bind("0.0.0.0", Secret("abc"))
    check_bind("0.0.0.0", Secret(MCP_TOKEN))
    check_bind("127.0.0.1", Secret("abc"))  # on loopback a token is optional, so any will do
