"""The core story: set log_level=3 on the Staging fleet, see what would change first, then do it."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, STAGING_FLEET_UID

from .conftest import FakeClock, SimAPI, job_uid_from, ok, report_uid_from, staging_job, text

pytestmark = pytest.mark.anyio


async def _staging_job(client: Client) -> str:
    out = await ok(
        client, "create_job", name="Staging verbose logging", definition=staging_job(STAGING_FLEET_UID)
    )
    assert "Nothing has run yet" in out
    return job_uid_from(out)


async def _finish(client: Client, clock: FakeClock, report_uid: str) -> str:
    clock.advance(10_000)
    return await ok(client, "get_job_run", report_uid=report_uid)


async def test_dry_run_on_staging_shows_what_would_change_and_changes_nothing(
    client: Client, api: SimAPI, clock: FakeClock
) -> None:
    before = await api.devices()
    staging = sorted(uid for uid, d in before.items() if STAGING_FLEET_UID in d["fleets"])
    would_change = [u for u in staging if before[u]["environment_variables"].get("log_level") != "3"]
    assert would_change, "the seed should have staging devices without log_level=3"

    job_uid = await _staging_job(client)
    report_uid = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True))
    summary = await _finish(client, clock, report_uid)

    assert "dry run completed successfully" in summary
    assert "nothing was changed" in summary
    assert f"Devices: {len(staging)} selected" in summary
    assert f'vars_set "log_level=3": {len(would_change)} device' in summary
    assert await api.devices() == before


async def test_real_run_changes_exactly_the_selected_devices(
    client: Client, api: SimAPI, clock: FakeClock
) -> None:
    before = await api.devices()
    staging = {uid for uid, d in before.items() if STAGING_FLEET_UID in d["fleets"]}

    job_uid = await _staging_job(client)
    dry = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True))
    await _finish(client, clock, dry)
    real = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=False))
    summary = await _finish(client, clock, real)

    assert "completed successfully (real run — changes are applied)" in summary
    after = await api.devices()
    for uid, device in after.items():
        expected = dict(before[uid]["environment_variables"])
        if uid in staging:
            expected["log_level"] = "3"
        assert device["environment_variables"] == expected, uid
        assert {k: v for k, v in device.items() if k != "environment_variables"} == {
            k: v for k, v in before[uid].items() if k != "environment_variables"
        }


async def test_a_run_in_progress_says_so_and_what_to_do(client: Client, clock: FakeClock) -> None:
    job_uid = await _staging_job(client)
    report_uid = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True))

    queued = await ok(client, "get_job_run", report_uid=report_uid)
    assert "submitted, waiting to start" in queued

    clock.advance(3.5)  # the queue second, then a couple of devices
    running = await ok(client, "get_job_run", report_uid=report_uid)
    assert "in progress" in running
    assert "Latest update from Notehub:" in running
    assert "Progress: " in running
    assert f"still running — call get_job_run with report_uid={report_uid}" in running


async def test_list_runs_then_cancel_and_delete(client: Client, api: SimAPI, clock: FakeClock) -> None:
    job_uid = await _staging_job(client)
    first = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True))
    await _finish(client, clock, first)
    second = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=False))
    clock.advance(3.5)

    runs = await ok(client, "list_job_runs", job_uid=job_uid)
    assert "2 runs" in runs
    assert runs.index(second) < runs.index(first), "newest first"
    only_dry = await ok(client, "list_job_runs", job_uid=job_uid, dry_run=True)
    assert first in only_dry and second not in only_dry

    cancelled = await ok(client, "cancel_job_run", report_uid=second)
    assert "Cancel requested" in cancelled
    summary = await _finish(client, clock, second)
    assert "cancelled" in summary and "kept their changes" in summary
    again = await ok(client, "cancel_job_run", report_uid=second)
    assert "Nothing to cancel" in again and "already finished" in again

    assert "Deleted the results" in await ok(client, "delete_job_run", report_uid=first)
    assert [r["report_uid"] for r in await api.runs(job_uid)] == [second]
    assert "Deleted job" in await ok(client, "delete_job", job_uid=job_uid)
    assert job_uid not in {j["job_uid"] for j in await api.jobs()}


async def test_list_and_get_jobs_show_the_seeded_project(client: Client) -> None:
    listing = await ok(client, "list_jobs")
    assert "jobs, newest first" in listing
    seeded = [
        line.split(" · ")[0].removeprefix("- ") for line in listing.splitlines() if line.startswith("- ")
    ]
    assert seeded
    detail = await ok(client, "get_job", job_uid=seeded[0])
    assert f"job_uid: {seeded[0]}" in detail
    assert '"select"' in detail


async def test_detail_view_pages_through_devices(client: Client, clock: FakeClock) -> None:
    job_uid = job_uid_from(
        await ok(
            client,
            "create_job",
            name="Everyone: sample every 600 s",
            definition={
                "select": {"all_devices": True},
                "default_requests": {"vars_to_set": {"sample_interval_s": "600"}},
            },
        )
    )
    report_uid = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True))
    clock.advance(10_000)
    page = await ok(client, "get_job_run", report_uid=report_uid, view="detail", limit=25)
    assert "Devices: 60 of 60 (showing 1-25)" in page
    assert "… 35 more devices — call get_job_run" in page and "offset=25" in page
    last = await ok(client, "get_job_run", report_uid=report_uid, view="detail", limit=25, offset=50)
    assert "(showing 51-60)" in last and "more devices" not in last


async def test_results_link_to_the_job_and_the_full_report(client: Client, clock: FakeClock) -> None:
    created = await client.call_tool(
        "create_job", {"name": "Staging verbose logging", "definition": staging_job(STAGING_FLEET_UID)}
    )
    job_uid = job_uid_from(text(created))
    run = await client.call_tool("run_job", {"job_uid": job_uid, "dry_run": True})
    report_uid = report_uid_from(text(run))
    clock.advance(600)
    summary = await client.call_tool("get_job_run", {"report_uid": report_uid})

    links = {
        r: [b for b in res.content if b.type == "resource_link"]
        for r, res in [("job", created), ("run", summary)]
    }
    assert [link.uri for link in links["job"]] == [f"notehub://projects/{DEMO_PROJECT_UID}/jobs/{job_uid}"]
    assert [link.uri for link in links["run"]] == [f"notehub://projects/{DEMO_PROJECT_UID}/runs/{report_uid}"]

    # The links resolve: the full report has every device, which the summary only counts.
    report = await client.read_resource(links["run"][0].uri)
    body = json.loads(report.contents[0].text)  # type: ignore[union-attr]
    assert len(body["results"]["devices"]) == 11


async def test_a_dry_run_after_the_change_says_nothing_is_left_to_do(
    client: Client, clock: FakeClock
) -> None:
    job_uid = await _staging_job(client)
    await _finish(client, clock, report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True)))
    await _finish(client, clock, report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=False)))

    again = await _finish(
        client, clock, report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True))
    )
    assert "Would change: nothing on any device." in again
    assert "Already as requested (no change): 11 devices." in again
    assert "Next: nothing to change" in again and "dry_run=false" not in again


async def test_a_status_filter_that_matches_nothing_lists_the_statuses(client: Client) -> None:
    job_uid = await _staging_job(client)
    out = await ok(client, "list_job_runs", job_uid=job_uid, status="done")
    assert "has no runs" in out and '"completed with errors"' in out and "without status" in out
