"""What the model reads for representative runs, pinned as reviewed text.

A change to any of these summaries shows up as a diff of tests/snapshots/*.txt. To accept a
deliberate change, run ``UPDATE_SNAPSHOTS=1 pytest tests/test_summary_snapshots.py`` and review
the diff before committing it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from notehub_jobs_mcp.simulator import PRODUCTION_FLEET_UID, STAGING_FLEET_UID

from .conftest import (
    Connect,
    FakeClock,
    SimAPI,
    check_snapshot,
    config,
    job_uid_from,
    ok,
    report_uid_from,
    staging_job,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(connect: Connect) -> AsyncIterator[Client]:
    # These scenarios pin how runs read, not the dry-run-first rule (tested on its own).
    async with connect(config(require_dry_run=False)) as c:
        yield c


async def _job(client: Client, name: str, definition: dict[str, Any]) -> str:
    return job_uid_from(await ok(client, "create_job", name=name, definition=definition))


async def _run(client: Client, job_uid: str, *, dry_run: bool) -> str:
    return report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=dry_run))


async def test_small_real_run(client: Client, clock: FakeClock) -> None:
    job = await _job(client, "Staging: verbose logging", staging_job(STAGING_FLEET_UID))
    report = await _run(client, job, dry_run=False)
    clock.advance(600)
    check_snapshot("small_real_run.txt", await ok(client, "get_job_run", report_uid=report))


async def test_dry_run(client: Client, clock: FakeClock) -> None:
    definition = {
        "select": {"devices_in_fleets": [STAGING_FLEET_UID]},
        "default_requests": {
            "vars_to_set": {"log_level": "3", "debug_token": "-"},
            "vars_to_default": {"sample_interval_s": "120"},
            "fleets_to_join": [PRODUCTION_FLEET_UID],
        },
    }
    job = await _job(client, "Promote staging", definition)
    report = await _run(client, job, dry_run=True)
    clock.advance(600)
    check_snapshot("dry_run.txt", await ok(client, "get_job_run", report_uid=report))


async def test_run_with_failures(client: Client, api: SimAPI, clock: FakeClock) -> None:
    devices = sorted(await api.devices())[:6]
    definition = {
        "select": {"devices": [*devices, "dev:000000000000000"]},
        "default_requests": {"vars_to_set": {"site": "north"}},
        "device_requests": {
            devices[0]: {"fleets_to_join": ["fleet:00000000-0000-4000-8000-00000000dead"]},
            devices[1]: {"fleets_to_join": ["fleet:00000000-0000-4000-8000-00000000dead"]},
        },
    }
    job = await _job(client, "North site rollout", definition)
    report = await _run(client, job, dry_run=False)
    clock.advance(600)
    check_snapshot("run_with_failures.txt", await ok(client, "get_job_run", report_uid=report))


async def test_cancelled_run(client: Client, clock: FakeClock) -> None:
    job = await _job(client, "Everyone: sample every 600 s", {
        "select": {"all_devices": True},
        "default_requests": {"vars_to_set": {"sample_interval_s": "600"}},
    })  # fmt: skip
    report = await _run(client, job, dry_run=False)
    clock.advance(10.5)
    await ok(client, "cancel_job_run", report_uid=report)
    clock.advance(600)
    check_snapshot("cancelled_run.txt", await ok(client, "get_job_run", report_uid=report))


async def test_run_in_progress(client: Client, clock: FakeClock) -> None:
    job = await _job(client, "Everyone: sample every 600 s", {
        "select": {"all_devices": True},
        "default_requests": {"vars_to_set": {"sample_interval_s": "600"}},
    })  # fmt: skip
    report = await _run(client, job, dry_run=True)
    clock.advance(20.5)
    check_snapshot("run_in_progress.txt", await ok(client, "get_job_run", report_uid=report))
