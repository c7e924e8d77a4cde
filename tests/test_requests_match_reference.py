"""Every request the client sends matches the Notehub reference: method, path, query and body.

Checked on the simulator's side of the wire (its request log), so what is asserted is what
actually arrived, not what our code meant to send.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest
from mcp import Client

from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, STAGING_FLEET_UID

from .conftest import FakeClock, SimAPI, job_uid_from, ok, report_uid_from, staging_job

pytestmark = pytest.mark.anyio

P = f"/v1/projects/{DEMO_PROJECT_UID}"


def _query(request: dict[str, Any]) -> dict[str, list[str]]:
    query = request["query"]
    if isinstance(query, dict):
        return {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    return parse_qs(query or "", keep_blank_values=True)


async def _one_request(api: SimAPI) -> dict[str, Any]:
    sent = await api.requests()
    assert len(sent) == 1, sent
    await api.clear_requests()
    request = sent[0]
    assert "authorization" in {h.lower() for h in request["headers_present"]}
    return request


async def test_each_tool_sends_exactly_the_reference_request(
    client: Client, api: SimAPI, clock: FakeClock
) -> None:
    await api.clear_requests()

    await ok(client, "list_jobs")
    r = await _one_request(api)
    assert (r["method"], r["raw_path"], _query(r)) == ("GET", f"{P}/jobs", {})

    definition = staging_job(STAGING_FLEET_UID)
    job_uid = job_uid_from(
        await ok(client, "create_job", name="Staging: verbose logs", definition=definition)
    )
    r = await _one_request(api)
    assert (r["method"], r["raw_path"]) == ("POST", f"{P}/jobs")
    assert _query(r) == {"name": ["Staging: verbose logs"]}
    # Only the fields given: no nulls for the unset ones.
    assert r["json"] == definition

    await ok(client, "get_job", job_uid=job_uid)
    r = await _one_request(api)
    assert (r["method"], r["raw_path"], _query(r)) == ("GET", f"{P}/jobs/{job_uid}", {})

    # run_job posts the run, then reads it back once so the model sees how many devices it covers.
    report_uid = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True))
    sent = await api.requests()
    await api.clear_requests()
    assert [(s["method"], s["raw_path"], _query(s)) for s in sent] == [
        ("POST", f"{P}/jobs/{job_uid}/run", {"dry_run": ["true"]}),
        ("GET", f"{P}/jobs/runs/{report_uid}", {"view": ["detail"]}),
    ]
    assert sent[0]["json"] is None

    await ok(client, "list_job_runs", job_uid=job_uid)
    r = await _one_request(api)
    assert (r["method"], r["raw_path"], _query(r)) == ("GET", f"{P}/jobs/{job_uid}/runs", {})

    await ok(client, "list_job_runs", job_uid=job_uid, status="cancelled", dry_run=False)
    r = await _one_request(api)
    assert _query(r) == {"status": ["cancelled"], "dry_run": ["false"]}

    await ok(client, "get_job_run", report_uid=report_uid, view="detail")
    r = await _one_request(api)
    assert (r["method"], r["raw_path"], _query(r)) == (
        "GET",
        f"{P}/jobs/runs/{report_uid}",
        {"view": ["detail"]},
    )

    # cancel reads the run first (to tell "already finished" apart), then posts the cancel.
    await ok(client, "cancel_job_run", report_uid=report_uid)
    sent = await api.requests()
    await api.clear_requests()
    assert [(s["method"], s["raw_path"]) for s in sent] == [
        ("GET", f"{P}/jobs/runs/{report_uid}"),
        ("POST", f"{P}/jobs/runs/{report_uid}/cancel"),
    ]

    clock.advance(10_000)
    await ok(client, "delete_job_run", report_uid=report_uid)
    r = await _one_request(api)
    assert (r["method"], r["raw_path"], _query(r)) == ("DELETE", f"{P}/jobs/runs/{report_uid}", {})

    await ok(client, "delete_job", job_uid=job_uid)
    r = await _one_request(api)
    assert (r["method"], r["raw_path"], _query(r)) == ("DELETE", f"{P}/jobs/{job_uid}", {})


async def test_project_override_and_product_uid_are_encoded_as_one_segment(
    client: Client, api: SimAPI
) -> None:
    await api.clear_requests()
    await ok(client, "list_jobs", project_uid="com.example.ops:pumps")
    r = await _one_request(api)
    assert r["raw_path"] == "/v1/projects/com.example.ops:pumps/jobs"
