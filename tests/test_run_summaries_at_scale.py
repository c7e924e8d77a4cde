"""A run over any number of devices reads in a page: exact counts, bounded size.

Budgets (4 characters a token): a run summary stays under 1,500 tokens (6,000 characters);
no tool result, text and structured content together, exceeds 20,000 tokens (80,000 characters).
"""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest
from mcp import Client
from mcp.types import CallToolResult

from notehub_jobs_mcp.config import Config, Secret
from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, Simulator

from .conftest import SIM_URL, job_uid_from, report_uid_from, text

pytestmark = pytest.mark.anyio

SUMMARY_BUDGET_CHARS = 1_500 * 4
RESULT_BUDGET_CHARS = 20_000 * 4


def size(result: CallToolResult) -> int:
    return len(text(result)) + len(json.dumps(result.structured_content or {}, ensure_ascii=False))


@pytest.mark.parametrize("devices", [10, 1_000, 20_000])
async def test_summary_counts_are_exact_and_size_is_bounded(devices: int) -> None:
    sim = Simulator(devices=devices, seed=7, pace=0.0, failure_rate=0.07)
    config = Config(api_url=SIM_URL, token=Secret(DEVELOPER_TOKEN), project_uid=DEMO_PROJECT_UID)
    server = create_server(config, transport=httpx.ASGITransport(app=sim.app))
    async with Client(server, mode="legacy") as client:
        created = await client.call_tool(
            "create_job",
            {
                "name": f"All {devices} devices",
                "definition": {
                    "select": {"all_devices": True},
                    "default_requests": {"vars_to_set": {"log_level": "3", "site": "north"}},
                },
            },
        )
        job_uid = job_uid_from(text(created))
        run = await client.call_tool("run_job", {"job_uid": job_uid, "dry_run": True})
        report_uid = report_uid_from(text(run))
        summary = await client.call_tool("get_job_run", {"report_uid": report_uid})
        detail = await client.call_tool(
            "get_job_run", {"report_uid": report_uid, "view": "detail", "limit": 200, "status": "failed"}
        )

    # What Notehub (the simulator) says, counted independently of our digest.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url=SIM_URL,
        headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"},
    ) as http:
        raw = (
            await http.get(
                f"/v1/projects/{DEMO_PROJECT_UID}/jobs/runs/{report_uid}", params={"view": "detail"}
            )
        ).json()
    entries = raw["results"]["devices"]
    truth = Counter(entry["status"] for entry in entries.values())
    assert sum(truth.values()) == devices

    out = text(summary)
    structured = summary.structured_content
    assert structured is not None
    assert structured["devices_total"] == devices
    assert structured["by_status"] == dict(truth)
    assert f"Devices: {devices:,} selected" in out
    for status, n in truth.items():
        assert f"{n:,} {status}" in out
    failed = truth.get("failed", 0)
    if failed:
        assert f"Failed: {failed:,} device" in out
        assert sum(g["devices"] for g in structured["failures"]) == failed
    assert len(out) < SUMMARY_BUDGET_CHARS, len(out)
    assert size(summary) < RESULT_BUDGET_CHARS

    assert size(detail) < RESULT_BUDGET_CHARS
    assert detail.structured_content is not None
    assert detail.structured_content["devices_matching"] == failed


async def test_the_run_report_resource_is_bounded_and_says_what_it_left_out() -> None:
    sim = Simulator(devices=20_000, seed=7, pace=0.0, failure_rate=0.07)
    config = Config(api_url=SIM_URL, token=Secret(DEVELOPER_TOKEN), project_uid=DEMO_PROJECT_UID)
    server = create_server(config, transport=httpx.ASGITransport(app=sim.app))
    async with Client(server, mode="legacy") as client:
        created = await client.call_tool(
            "create_job",
            {
                "name": "All",
                "definition": {
                    "select": {"all_devices": True},
                    "default_requests": {"vars_to_set": {"a": "1"}},
                },
            },
        )
        run = await client.call_tool("run_job", {"job_uid": job_uid_from(text(created)), "dry_run": True})
        link = next(block for block in run.content if block.type == "resource_link")
        resource = await client.read_resource(link.uri)
    body = resource.contents[0].text  # type: ignore[union-attr]
    assert len(body) < RESULT_BUDGET_CHARS
    report = json.loads(body)
    shown = len(report["results"]["devices"])
    assert shown + report["devices_omitted"] == 20_000 and report["devices_shown"] == shown
    assert "offset=" in report["more_devices"]
    assert "Devices: 20,000 selected" in report["summary"]
