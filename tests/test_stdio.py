"""The server as Claude Desktop runs it: a subprocess on stdio, Notehub (the simulator) on a port."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, STAGING_FLEET_UID, Simulator
from notehub_jobs_mcp.simulator.background import serve_in_background

from .conftest import job_uid_from, report_uid_from, staging_job, text

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sim_url() -> AsyncIterator[str]:
    sim = Simulator(devices=60, seed=3, pace=0.01, start_delay=0.0)
    async with serve_in_background(sim.app) as url:
        yield url


def _env(url: str) -> dict[str, str]:
    return {
        "NOTEHUB_API_URL": url,
        "NOTEHUB_API_TOKEN": DEVELOPER_TOKEN,
        "NOTEHUB_PROJECT_UID": DEMO_PROJECT_UID,
        "NOTEHUB_REQUIRE_DRY_RUN": "true",
    }


async def _devices(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"}
    ) as http:
        response = await http.get(f"/v1/projects/{DEMO_PROJECT_UID}/devices")
        return {d["uid"]: d for d in response.json()["devices"]}


async def _call(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text(result)
    return text(result)


async def _until_done(client: Client, report_uid: str) -> str:
    with anyio.fail_after(30):
        while True:
            out = await _call(client, "get_job_run", report_uid=report_uid)
            if "Next: still running" not in out:
                return out
            await anyio.sleep(0.05)


async def test_all_nine_tools_over_stdio_against_the_simulator(sim_url: str) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "notehub_jobs_mcp"], env=_env(sim_url))
    before = await _devices(sim_url)
    staging = {uid for uid, d in before.items() if STAGING_FLEET_UID in d["fleets"]}

    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == {
            "list_jobs", "create_job", "get_job", "delete_job", "run_job",
            "list_job_runs", "get_job_run", "cancel_job_run", "delete_job_run",
        }  # fmt: skip
        assert "jobs" in await _call(client, "list_jobs")
        job_uid = job_uid_from(
            await _call(
                client, "create_job", name="Staging verbose", definition=staging_job(STAGING_FLEET_UID)
            )
        )
        assert "log_level" in await _call(client, "get_job", job_uid=job_uid)

        dry = report_uid_from(await _call(client, "run_job", job_uid=job_uid, dry_run=True))
        assert "dry run completed successfully" in await _until_done(client, dry)
        assert await _devices(sim_url) == before

        real = report_uid_from(await _call(client, "run_job", job_uid=job_uid, dry_run=False))
        assert "completed successfully" in await _until_done(client, real)
        after = await _devices(sim_url)
        changed = {uid for uid in after if after[uid] != before[uid]}
        assert changed == {
            uid for uid in staging if before[uid]["environment_variables"].get("log_level") != "3"
        }
        assert all(after[uid]["environment_variables"]["log_level"] == "3" for uid in staging)

        runs = await _call(client, "list_job_runs", job_uid=job_uid)
        assert dry in runs and real in runs
        assert "Nothing to cancel" in await _call(client, "cancel_job_run", report_uid=real)
        assert "Deleted the results" in await _call(client, "delete_job_run", report_uid=dry)
        assert "Deleted job" in await _call(client, "delete_job", job_uid=job_uid)


def _rpc(id_: int | None, method: str, params: dict[str, Any] | None = None) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        message["id"] = id_
    if params is not None:
        message["params"] = params
    return (json.dumps(message) + "\n").encode()


async def test_stdout_carries_only_protocol_messages(sim_url: str) -> None:
    calls = [
        ("list_jobs", {}),
        ("get_job", {"job_uid": "missing/../job"}),
        ("create_job", {"name": "bad", "definition": {"select": {"nope": 1}}}),
        ("run_job", {"job_uid": "x", "dry_run": "perhaps"}),
        ("list_jobs", {"project_uid": "app:unknown"}),
        ("get_job_run", {"report_uid": "none-1"}),
        ("no_such_tool", {}),
    ]
    env = {**os.environ, **_env(sim_url)}
    async with await anyio.open_process(
        [sys.executable, "-m", "notehub_jobs_mcp", "serve"], env=env, stderr=None
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        await proc.stdin.send(
            _rpc(
                0,
                "initialize",
                {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "0"},
                },
            )
        )
        await proc.stdin.send(_rpc(None, "notifications/initialized"))
        await proc.stdin.send(_rpc(1, "tools/list", {}))
        for i, (tool, args) in enumerate(calls, start=2):
            await proc.stdin.send(_rpc(i, "tools/call", {"name": tool, "arguments": args}))

        wanted = set(range(len(calls) + 2))
        buffer = b""
        lines: list[bytes] = []
        with anyio.fail_after(30):
            while wanted:
                buffer += await proc.stdout.receive()
                *complete, buffer = buffer.split(b"\n")
                for line in complete:
                    lines.append(line)
                    message = json.loads(line)  # every line must be JSON…
                    assert message["jsonrpc"] == "2.0"  # …and JSON-RPC
                    wanted.discard(message.get("id"))
        await proc.stdin.aclose()
        with anyio.fail_after(10):
            await proc.wait()

    responses = {json.loads(line)["id"]: json.loads(line) for line in lines if "id" in json.loads(line)}
    assert responses[2]["result"]["isError"] is False
    for i in range(3, len(calls) + 1):  # the bad calls; the last (unknown tool) may be a protocol error
        assert responses[i]["result"]["isError"] is True, responses[i]
    assert "error" in responses[len(calls) + 1] or responses[len(calls) + 1]["result"]["isError"]


async def test_demo_mode_serves_the_simulators_project_without_credentials() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTEHUB_")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "notehub_jobs_mcp", "--demo"], env=env)
    async with Client(params) as client:
        listing = await _call(client, "list_jobs")
    assert "Nightly debug token cleanup" in listing


async def test_without_credentials_every_tool_says_how_to_configure() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTEHUB_")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "notehub_jobs_mcp"], env=env)
    async with Client(params) as client:
        result = await client.call_tool("list_jobs", {"project_uid": "app:x"})
    assert result.is_error
    assert "NOTEHUB_API_TOKEN" in text(result) and "--demo" in text(result)


async def test_the_demo_command_plays_a_whole_session() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTEHUB_")}
    with anyio.fail_after(120):
        done = await anyio.run_process(
            [sys.executable, "-m", "notehub_jobs_mcp", "demo"], env=env, check=False
        )
    out = done.stdout.decode()
    assert done.returncode == 0, out + done.stderr.decode()
    steps = [line for line in out.splitlines() if line.startswith("▶ ")]
    assert [s.split()[1] for s in steps] == ["list_jobs", "create_job", "run_job", "run_job", "list_job_runs"]
    assert "dry run completed successfully" in out
    assert out.rstrip().endswith("the real run changed the Staging fleet.")
