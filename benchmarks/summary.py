"""Summary cost: turning a run's detail payload into what the model reads, against parsing it.

The payload is the simulator's own answer to ``GET …/jobs/runs/{report_uid}?view=detail`` for a run
over every device of a large project, with failures mixed in: what ``get_job_run`` really receives.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import httpx

from notehub_jobs_mcp.digest import digest_results
from notehub_jobs_mcp.formatting import run_summary
from notehub_jobs_mcp.models import JobRun
from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, STAGING_FLEET_UID, Simulator

from .measure import Plan, Row, median, mib, ms, timed, within

SUMMARY_AIM = 2.0

# Changes that land differently per device (some already have the value, some are disabled,
# a few lack a serial number), a device UID that does not exist, and 10% injected failures
# spread over four reasons: the mess a real fleet run reports.
MESSY_JOB = {
    "comment": "Verbose logging everywhere, everyone into Staging",
    "select": {"all_devices": True, "devices": ["dev:000000000000000"]},
    "default_requests": {
        "vars_to_set": {"log_level": "3", "sample_interval_s": "300"},
        "vars_to_default": {"region": "eu-west"},
        "fleets_to_join": [STAGING_FLEET_UID],
        "sn_to_default": "PUMP-UNASSIGNED",
        "enable": True,
    },
}


async def detail_payload(devices: int) -> bytes:
    """The detail view of a finished dry run over ``devices`` devices, as Notehub's bytes."""
    sim = Simulator(devices=devices, pace=0.0, start_delay=0.0, failure_rate=0.1)
    projects = f"/v1/projects/{DEMO_PROJECT_UID}"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url="http://simulator.invalid",
        headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"},
        timeout=300,
    ) as http:
        created = await http.post(f"{projects}/jobs", params={"name": "bench"}, json=MESSY_JOB)
        created.raise_for_status()
        run = await http.post(f"{projects}/jobs/{created.json()['job_uid']}/run", params={"dry_run": "true"})
        run.raise_for_status()
        # With pace 0 every device is processed by the time the next request arrives.
        detail = await http.get(f"{projects}/jobs/runs/{run.json()['report_uid']}", params={"view": "detail"})
        detail.raise_for_status()
        return detail.content


def summarize(payload: Any) -> tuple[str, dict[str, Any]]:
    """What ``get_job_run`` does with the parsed payload: validate, digest, write the summary (as text
    and as structured content)."""
    run = JobRun.model_validate(payload)
    out = run_summary(run, digest_results(run.results))
    return out.summary, out.model_dump(mode="json", exclude_none=True)


def without_gc(fn: Callable[[], object]) -> float:
    """Seconds ``fn`` takes with the collector paused.

    Parsing a large payload while an earlier one is alive triggers collections that walk both:
    at 100,000 devices that more than doubles ``json.loads``, and would flatter the ratio.
    """
    gc.collect()
    gc.disable()
    try:
        return timed(fn)
    finally:
        gc.enable()


def peak_bytes(fn: Any, *args: Any) -> int:
    """Peak memory newly allocated while ``fn(*args)`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure_size(plan: Plan, devices: int, body: bytes) -> list[Row]:
    payload = json.loads(body)
    if "Per-device results: none" in summarize(payload)[0]:
        raise RuntimeError("the payload has no per-device results to summarize")
    parse, digest = [], []
    for _ in range(plan.reps):
        parse.append(without_gc(lambda: json.loads(body)))
        digest.append(without_gc(lambda: summarize(payload)))
    ratio = median(digest) / median(parse)
    parsed = peak_bytes(json.loads, body)
    summary_peak = peak_bytes(summarize, payload)
    return [
        Row(
            f"summary: {devices:,}-device run, time",
            ms(median(digest)),
            f"json.loads {ms(median(parse))} of {mib(len(body))}",
            ratio,
            f"<= {SUMMARY_AIM:.2f}x",
            within(ratio, SUMMARY_AIM),
        ),
        Row(
            f"summary: {devices:,}-device run, peak memory",
            mib(summary_peak),
            f"payload {mib(len(body))} (parsed {mib(parsed)})",
            summary_peak / len(body),
        ),
    ]


async def measure(plan: Plan) -> list[Row]:
    rows: list[Row] = []
    for devices in plan.summary_sizes:
        rows.extend(measure_size(plan, devices, await detail_payload(devices)))
    return rows
