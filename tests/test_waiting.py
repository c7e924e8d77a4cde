"""Long runs: wait inside a call with progress, end by the bound, and stop cleanly on cancel.

These run the simulator on the real clock (a run moves one device every PACE seconds), since
what is tested is the server waiting in real time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
from mcp import Client

from notehub_jobs_mcp.config import Secret
from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, Simulator

from .conftest import SIM_URL, config, job_uid_from, ok, report_uid_from, text

pytestmark = pytest.mark.anyio

PACE = 0.03
EVERYONE = {"select": {"all_devices": True}, "default_requests": {"vars_to_set": {"sample_interval_s": "60"}}}


@asynccontextmanager
async def session(sim: Simulator) -> AsyncIterator[Client]:
    cfg = config(token=Secret(DEVELOPER_TOKEN), project_uid=DEMO_PROJECT_UID, poll_interval_s=0.05)
    server = create_server(cfg, transport=httpx.ASGITransport(app=sim.app))
    async with Client(server, mode="legacy") as client:
        yield client


async def _job(client: Client) -> str:
    return job_uid_from(
        await ok(client, "create_job", name="Everyone: sample every 60 s", definition=EVERYONE)
    )


async def _sim_run(sim: Simulator, report_uid: str) -> dict[str, object]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url=SIM_URL,
        headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"},
    ) as http:
        response = await http.get(f"/v1/projects/{DEMO_PROJECT_UID}/jobs/runs/{report_uid}")
        return dict(response.json())


async def test_run_job_waits_with_progress_in_order_and_returns_the_summary() -> None:
    sim = Simulator(devices=40, pace=PACE, start_delay=0.05)
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with session(sim) as client:
        job = await _job(client)
        with anyio.fail_after(30):
            result = await client.call_tool(
                "run_job",
                {"job_uid": job, "dry_run": True, "wait_seconds": 30},
                progress_callback=on_progress,
            )
    out = text(result)
    assert "dry run completed successfully" in out, out
    assert len(updates) >= 3, updates
    done = [p for p, _, _ in updates]
    assert done == sorted(done), "progress never goes backwards"
    assert all(total == 40 for _, total, _ in updates)
    assert updates[-1][0] == 40
    assert all(m and "devices done" in m for _, _, m in updates)


async def test_a_wait_ends_by_its_bound_and_says_how_to_check_again() -> None:
    sim = Simulator(devices=40, pace=10.0, start_delay=0.0)
    async with session(sim) as client:
        job = await _job(client)
        start = anyio.current_time()
        with anyio.fail_after(20):
            out = await ok(client, "run_job", job_uid=job, dry_run=True, wait_seconds=1)
        waited = anyio.current_time() - start
    report = report_uid_from(out)
    assert f"still running — call get_job_run with report_uid={report}" in out
    assert waited >= 1.0


async def test_waits_are_capped_below_client_timeouts() -> None:
    sim = Simulator(devices=5, pace=0.0)
    async with session(sim) as client:
        job = await _job(client)
        result = await client.call_tool("run_job", {"job_uid": job, "dry_run": True, "wait_seconds": 600})
    assert result.is_error and "wait_seconds" in text(result) and "45" in text(result)


async def test_cancelling_a_wait_leaves_the_run_going_and_the_server_answering() -> None:
    sim = Simulator(devices=40, pace=0.05, start_delay=0.0)
    async with session(sim) as client:
        job = await _job(client)
        report = report_uid_from(await ok(client, "run_job", job_uid=job, dry_run=True))
        with anyio.move_on_after(0.3) as scope:
            await client.call_tool("get_job_run", {"report_uid": report, "wait_seconds": 30})
        assert scope.cancelled_caught, "the wait should still have been going"

        # The server answers at once, and the run was not cancelled by the client's cancel.
        with anyio.fail_after(5):
            out = await ok(client, "get_job_run", report_uid=report)
        assert "cancelled" not in out.split("\n")[0]
        with anyio.fail_after(30):
            final = await ok(client, "get_job_run", report_uid=report, wait_seconds=30)
        assert "dry run completed successfully" in final
    run = await _sim_run(sim, report)
    assert run["cancel"] is False and run["status"] == "dry run completed successfully"
