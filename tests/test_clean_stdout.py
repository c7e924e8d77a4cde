"""On stdio, stdout is the protocol: even at DEBUG, with Notehub misbehaving on every other call,
every line the server writes there is a JSON-RPC message, and the logs (on stderr) keep the token.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from anyio.abc import ByteReceiveStream

from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, STAGING_FLEET_UID, Simulator
from notehub_jobs_mcp.simulator.background import serve_in_background

from .conftest import job_uid_from, staging_job
from .test_stdio import _rpc

pytestmark = pytest.mark.anyio

CANARY = "stdout-canary-4e2b8d1f9a7c"


@pytest.fixture
async def sim_url() -> AsyncIterator[str]:
    sim = Simulator(devices=20, seed=9, pace=0.01, extra_tokens={CANARY: ("developer", "canary@example.com")})
    async with serve_in_background(sim.app) as url:
        yield url


class Session:
    """A raw JSON-RPC conversation over the server's stdin/stdout, keeping every stdout line."""

    def __init__(self, process: anyio.abc.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.lines: list[bytes] = []
        self._buffer = b""
        self._next_id = 0

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        assert self.process.stdin is not None and self.process.stdout is not None
        await self.process.stdin.send(_rpc(self._next_id, method, params))
        with anyio.fail_after(30):
            while True:
                for message in await self._read_lines(self.process.stdout):
                    if message.get("id") == self._next_id:
                        return message

    async def notify(self, method: str) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send(_rpc(None, method))

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        return await self.request("tools/call", {"name": tool, "arguments": arguments})

    async def _read_lines(self, stdout: ByteReceiveStream) -> list[dict[str, Any]]:
        self._buffer += await stdout.receive()
        *complete, self._buffer = self._buffer.split(b"\n")
        messages = []
        for line in complete:
            self.lines.append(line)
            message = json.loads(line)  # every line on stdout must be JSON…
            assert message.get("jsonrpc") == "2.0", line  # …and JSON-RPC
            messages.append(message)
        return messages


def _text(message: dict[str, Any]) -> str:
    return "\n".join(block["text"] for block in message["result"]["content"] if block["type"] == "text")


async def _drain(stream: ByteReceiveStream, into: bytearray) -> None:
    try:
        async for chunk in stream:
            into.extend(chunk)
    except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
        pass


async def test_stdout_is_only_json_rpc_at_debug_level_through_faults(sim_url: str) -> None:
    env = {
        **os.environ,
        "NOTEHUB_API_URL": sim_url,
        "NOTEHUB_API_TOKEN": CANARY,
        "NOTEHUB_PROJECT_UID": DEMO_PROJECT_UID,
        "NOTEHUB_LOG_LEVEL": "DEBUG",
        "NOTEHUB_TIMEOUT_S": "0.5",
        "NOTEHUB_RETRY_BUDGET_S": "3",
    }
    stderr = bytearray()
    async with (
        httpx.AsyncClient(base_url=sim_url) as sim,
        await anyio.open_process([sys.executable, "-m", "notehub_jobs_mcp"], env=env) as process,
        anyio.create_task_group() as tg,
    ):
        assert process.stderr is not None
        tg.start_soon(_drain, process.stderr, stderr)
        session = Session(process)

        async def fault(**spec: Any) -> None:
            (await sim.post("/_sim/faults", json=spec)).raise_for_status()

        init = await session.request(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        )
        assert "result" in init
        await session.notify("notifications/initialized")
        tools = {tool["name"] for tool in (await session.request("tools/list", {}))["result"]["tools"]}

        await fault(status=429, retry_after=0, method="GET")
        assert not (await session.call("list_jobs"))["result"]["isError"]
        created = await session.call("create_job", name="stdout", definition=staging_job(STAGING_FLEET_UID))
        job = job_uid_from(_text(created))
        await fault(status=503, method="GET")
        assert not (await session.call("get_job", job_uid=job))["result"]["isError"]
        await fault(truncate=True, method="POST", path_contains="/run")
        assert "list_job_runs" in _text(await session.call("run_job", job_uid=job, dry_run=True))
        runs = (await session.call("list_job_runs", job_uid=job))["result"]
        report = runs["structuredContent"]["runs"][0]["report_uid"]
        await fault(drop=True, method="GET")
        assert not (await session.call("get_job_run", report_uid=report))["result"]["isError"]
        await fault(status=500, echo=True, method="POST", path_contains="/cancel")
        await session.call("cancel_job_run", report_uid=report)
        await fault(latency=1.0, method="DELETE")
        assert (await session.call("delete_job_run", report_uid=report))["result"]["isError"]
        await fault(body="<html>502 Bad Gateway</html>", status=502, method="GET")
        assert not (await session.call("list_jobs"))["result"]["isError"]
        assert not (await session.call("delete_job", job_uid=job))["result"]["isError"]
        assert (await session.call("get_job", job_uid="../../x\n"))["result"]["isError"]
        await session.call("no_such_tool")  # a protocol error is fine: still JSON-RPC on stdout
        called = {"list_jobs", "create_job", "get_job", "run_job", "list_job_runs", "get_job_run"}
        called |= {"cancel_job_run", "delete_job_run", "delete_job"}
        assert tools <= called, f"add these tools to the session: {tools - called}"

        assert process.stdin is not None
        await process.stdin.aclose()
        with anyio.fail_after(10):
            await process.wait()
        tg.cancel_scope.cancel()

    assert session.lines and all(line.strip() for line in session.lines)
    logged = stderr.decode()
    assert " DEBUG " in logged and "after 2 attempt(s)" in logged  # DEBUG really was on, retries too
    everything = b"\n".join(session.lines).decode() + logged
    assert CANARY not in everything
