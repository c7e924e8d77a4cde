"""Shared fixtures: a simulator, and MCP client sessions to our server pointed at it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.types import CallToolResult

from notehub_jobs_mcp.config import Config, Secret
from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, Simulator

SIM_URL = "http://notehub.test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """Simulator time that only moves when a test says so: runs progress without sleeping."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Simulator:
    # One second per device and a one-second queue, on a clock that tests advance by hand.
    return Simulator(devices=60, seed=1, pace=1.0, start_delay=1.0, clock=clock)


def config(**changes: Any) -> Config:
    base = Config(api_url=SIM_URL, token=Secret(DEVELOPER_TOKEN), project_uid=DEMO_PROJECT_UID)
    return base.with_overrides(**changes)


Connect = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def connect(sim: Simulator) -> Connect:
    """Open an MCP client session to a server built from ``config(**changes)``.

    The default session speaks JSON-RPC over in-memory streams with the 2025-11-25 handshake;
    pass ``mode="2026-07-28"`` for the newer protocol.
    """

    @asynccontextmanager
    async def _connect(cfg: Config | None = None, **client_kwargs: Any) -> AsyncIterator[Client]:
        server = create_server(cfg or config(), transport=httpx.ASGITransport(app=sim.app))
        client_kwargs.setdefault("mode", "legacy")
        async with Client(server, **client_kwargs) as client:
            yield client

    return _connect


@pytest.fixture
async def client(connect: Connect) -> AsyncIterator[Client]:
    async with connect() as c:
        yield c


def text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


async def ok(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text(result)
    return text(result)


async def fails(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, text(result)
    return text(result)


class SimAPI:
    """The simulator's own HTTP API, for checking what really changed and what was sent."""

    def __init__(self, sim: Simulator) -> None:
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sim.app),
            base_url=SIM_URL,
            headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"},
        )

    async def devices(self) -> dict[str, dict[str, Any]]:
        response = await self._http.get(f"/v1/projects/{DEMO_PROJECT_UID}/devices")
        response.raise_for_status()
        return {d["uid"]: d for d in response.json()["devices"]}

    async def requests(self) -> list[dict[str, Any]]:
        response = await self._http.get("/_sim/requests")
        return list(response.json()["requests"])

    async def clear_requests(self) -> None:
        await self._http.delete("/_sim/requests")

    async def jobs(self) -> list[dict[str, Any]]:
        response = await self._http.get(f"/v1/projects/{DEMO_PROJECT_UID}/jobs")
        return list(response.json()["jobs"])

    async def runs(self, job_uid: str) -> list[dict[str, Any]]:
        response = await self._http.get(f"/v1/projects/{DEMO_PROJECT_UID}/jobs/{job_uid}/runs")
        return list(response.json()["runs"])


@pytest.fixture
async def api(sim: Simulator) -> AsyncIterator[SimAPI]:
    api = SimAPI(sim)
    yield api
    await api._http.aclose()


def job_uid_from(output: str) -> str:
    return _field(output, "job_uid")


def report_uid_from(output: str) -> str:
    return _field(output, "report_uid")


def _field(output: str, name: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"{name}: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"no {name} line in:\n{output}")


STAGING_LOG_LEVEL = {
    "comment": "Move staging to verbose logging",
    "select": {"devices_in_fleets": ["<staging>"]},
    "default_requests": {"vars_to_set": {"log_level": "3"}},
}


def staging_job(staging_fleet_uid: str) -> dict[str, Any]:
    definition = json.loads(json.dumps(STAGING_LOG_LEVEL))
    definition["select"]["devices_in_fleets"] = [staging_fleet_uid]
    return definition


SNAPSHOTS = Path(__file__).parent / "snapshots"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def check_snapshot(name: str, actual: str) -> None:
    """Compare with tests/snapshots/<name>; ``UPDATE_SNAPSHOTS=1`` rewrites it for review.

    Random UUIDs (job UIDs) are normalised; everything else must be deterministic.
    """
    actual = UUID.sub("<uuid>", actual).rstrip("\n") + "\n"
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} changed; see the diff above"
