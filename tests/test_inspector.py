"""End to end with the MCP Inspector's CLI: a TypeScript client written by other people.

The Inspector starts our server over stdio, as any MCP host would, and the server talks to the
simulator on a loopback port. Each Inspector call is a fresh session, like a host restarting.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, Simulator
from notehub_jobs_mcp.simulator.background import serve_in_background
from notehub_jobs_mcp.uris import job_uri

from .node_tools import node_tool

pytestmark = pytest.mark.anyio

CLEANUP_JOB = "Nightly debug token cleanup"  # seeded: clears debug_token on every device


@pytest.fixture
async def sim_url() -> AsyncIterator[str]:
    async with serve_in_background(Simulator(devices=30, pace=0.01, start_delay=0.0).app) as url:
        yield url


@pytest.fixture
async def notehub(sim_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"{sim_url}/v1/projects/{DEMO_PROJECT_UID}",
        headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"},
    ) as http:
        yield http


async def inspector(sim_url: str, home: Path, method: str, *options: str) -> Any:
    """Run one ``mcp-inspector --cli`` call against our server; its JSON answer."""
    settings = {
        "NOTEHUB_API_URL": sim_url,
        "NOTEHUB_API_TOKEN": DEVELOPER_TOKEN,
        "NOTEHUB_PROJECT_UID": DEMO_PROJECT_UID,
    }
    command = [
        *node_tool("mcp-inspector", "@modelcontextprotocol/inspector"),
        "--cli",
        *(arg for name, value in settings.items() for arg in ("-e", f"{name}={value}")),
        "--method",
        method,
        *options,
        "--",
        sys.executable,
        "-m",
        "notehub_jobs_mcp",
    ]
    with anyio.fail_after(240):
        result = await anyio.run_process(
            command, check=False, env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home)}
        )
    stdout, stderr = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, stdout + stderr
    return json.loads(stdout)


async def test_the_inspector_lists_tools_and_dry_runs_a_job(
    sim_url: str, notehub: httpx.AsyncClient, tmp_path: Path
) -> None:
    listed = await inspector(sim_url, tmp_path, "tools/list")
    names = {tool["name"] for tool in listed["tools"]}
    assert names == {
        "list_jobs", "create_job", "get_job", "delete_job", "run_job",
        "list_job_runs", "get_job_run", "cancel_job_run", "delete_job_run",
    }  # fmt: skip
    run_job = next(tool for tool in listed["tools"] if tool["name"] == "run_job")
    assert "dry_run" in run_job["inputSchema"]["required"]

    jobs = (await notehub.get("/jobs")).json()["jobs"]
    job_uid = next(job["job_uid"] for job in jobs if job["name"] == CLEANUP_JOB)
    before = (await notehub.get("/devices")).json()["devices"]
    runs_before = {run["report_uid"] for run in (await notehub.get(f"/jobs/{job_uid}/runs")).json()["runs"]}

    started = await inspector(
        sim_url, tmp_path, "tools/call", "--tool-name", "run_job", "--tool-arg", f"job_uid={job_uid}",
        "--tool-arg", "dry_run=true",
    )  # fmt: skip
    started_text = "\n".join(block["text"] for block in started["content"] if block["type"] == "text")
    assert started.get("isError") is not True, started_text
    runs = (await notehub.get(f"/jobs/{job_uid}/runs")).json()["runs"]
    (new_run,) = [run for run in runs if run["report_uid"] not in runs_before]
    report_uid = new_run["report_uid"]
    assert new_run["dry_run"] is True and report_uid in started_text

    with anyio.fail_after(30):
        while not (await notehub.get(f"/jobs/runs/{report_uid}")).json().get("completed"):
            await anyio.sleep(0.05)
    summary = await inspector(
        sim_url,
        tmp_path,
        "tools/call",
        "--tool-name",
        "get_job_run",
        "--tool-arg",
        f"report_uid={report_uid}",
    )
    summary_text = "\n".join(block["text"] for block in summary["content"] if block["type"] == "text")
    assert summary.get("isError") is not True, summary_text
    assert "dry run completed successfully" in summary_text
    assert "debug_token" in summary_text  # what would change
    assert (await notehub.get("/devices")).json()["devices"] == before  # a dry run changes nothing


async def test_the_inspector_reads_a_job_resource_and_lists_the_prompts(
    sim_url: str, notehub: httpx.AsyncClient, tmp_path: Path
) -> None:
    jobs = (await notehub.get("/jobs")).json()["jobs"]
    job_uid = next(job["job_uid"] for job in jobs if job["name"] == CLEANUP_JOB)
    read = await inspector(sim_url, tmp_path, "resources/read", "--uri", job_uri(DEMO_PROJECT_UID, job_uid))
    (content,) = read["contents"]
    assert content["mimeType"] == "application/json"
    assert json.loads(content["text"])["definition"]["default_requests"]["vars_to_set"] == {
        "debug_token": "-"
    }

    prompts = await inspector(sim_url, tmp_path, "prompts/list")
    assert {p["name"] for p in prompts["prompts"]} == {"change_fleet_env_vars", "investigate_failed_run"}
