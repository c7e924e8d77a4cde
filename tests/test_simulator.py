"""The embedded Notehub Jobs simulator, exercised only through HTTP as a client would."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notehub_jobs_mcp.simulator import (
    DEMO_PRODUCT_UID,
    DEMO_PROJECT_UID,
    DEVELOPER_TOKEN,
    FIELD_TEST_FLEET_UID,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    PRODUCTION_FLEET_UID,
    STAGING_FLEET_UID,
    VIEWER_TOKEN,
    SimulatedDisconnect,
    Simulator,
)

from .conftest import FakeClock

JOBS = f"/v1/projects/{DEMO_PROJECT_UID}/jobs"
DEVICES = f"/v1/projects/{DEMO_PROJECT_UID}/devices"
START = 1_780_000_000.0

pytestmark = pytest.mark.anyio
TERMINAL = {"completed successfully", "dry run completed successfully", "completed with errors", "cancelled"}

STAGING_VERBOSE = {
    "comment": "Move staging to verbose logging",
    "select": {"devices_in_fleets": [STAGING_FLEET_UID]},
    "default_requests": {"vars_to_set": {"log_level": "3", "firmware_channel": "beta"}},
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sim(clock: FakeClock) -> Simulator:
    # One device per second after a two-second queue: easy arithmetic for progress tests.
    return Simulator(devices=60, seed=1, pace=1.0, start_delay=2.0, clock=clock)


def make_client(sim: Simulator, token: str | None = DEVELOPER_TOKEN) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=sim.app)
    return httpx.AsyncClient(transport=transport, base_url="http://notehub.test", headers=headers)


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(sim) as http:
        yield http


@pytest.fixture
async def viewer(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(sim, VIEWER_TOKEN) as http:
        yield http


async def create_job(client: httpx.AsyncClient, definition: dict[str, Any], name: str = "test job") -> str:
    response = await client.post(JOBS, params={"name": name}, json=definition)
    assert response.status_code == 201, response.text
    job_uid: str = response.json()["job_uid"]
    return job_uid


async def start_run(client: httpx.AsyncClient, job_uid: str, dry_run: bool) -> str:
    response = await client.post(f"{JOBS}/{job_uid}/run", params={"dry_run": str(dry_run).lower()})
    assert response.status_code == 200, response.text
    report_uid: str = response.json()["report_uid"]
    return report_uid


async def get_run(client: httpx.AsyncClient, report_uid: str, view: str = "summary") -> dict[str, Any]:
    response = await client.get(f"{JOBS}/runs/{report_uid}", params={"view": view})
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


async def run_to_end(
    client: httpx.AsyncClient, clock: FakeClock, definition: dict[str, Any], dry_run: bool = False
) -> dict[str, Any]:
    job_uid = await create_job(client, definition)
    report_uid = await start_run(client, job_uid, dry_run)
    clock.advance(1_000_000)
    return await get_run(client, report_uid, "detail")


async def devices(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get(DEVICES)
    assert response.status_code == 200
    return {device["uid"]: device for device in response.json()["devices"]}


def assert_error(response: httpx.Response, code: int, err: str | None = None) -> None:
    assert response.status_code == code, response.text
    body = response.json()
    assert set(body) == {"err", "code", "status"}
    assert body["code"] == code
    assert body["status"] == httpx.codes.get_reason_phrase(code)
    if err is not None:
        assert err in body["err"]


# --- the seeded demo project -------------------------------------------------------------


async def test_seeded_project_has_the_requested_devices_with_realistic_variety(
    client: httpx.AsyncClient,
) -> None:
    seeded = await devices(client)
    assert len(seeded) == 60
    assert all(re.fullmatch(r"dev:86447504\d{7}", uid) for uid in seeded)
    serials = [device["serial_number"] for device in seeded.values()]
    assert 2 <= serials.count("") <= 3
    assert sum(sn.startswith("PUMP-2025-1") for sn in serials) >= 3
    assert sum(sn.startswith("PUMP-2026-") for sn in serials) >= 40
    assert 1 <= sum(device["disabled"] for device in seeded.values()) <= 2
    assert any(not device["provisioned"] for device in seeded.values())
    assert sum(len(device["fleets"]) == 0 for device in seeded.values()) == 1
    assert sum(len(device["fleets"]) == 2 for device in seeded.values()) >= 2
    fleets = [fleet for device in seeded.values() for fleet in device["fleets"]]
    assert fleets.count(PRODUCTION_FLEET_UID) > fleets.count(STAGING_FLEET_UID) > 0
    assert fleets.count(FIELD_TEST_FLEET_UID) > 0
    assert all(device["environment_variables"]["log_level"] == "1" for device in seeded.values())

    response = await client.get(f"/v1/projects/{DEMO_PROJECT_UID}/fleets")
    assert response.json() == {
        "fleets": [
            {"uid": STAGING_FLEET_UID, "label": "Staging"},
            {"uid": PRODUCTION_FLEET_UID, "label": "Production"},
            {"uid": FIELD_TEST_FLEET_UID, "label": "Field-Test"},
        ]
    }


async def test_seed_is_deterministic_and_sizes_scale(clock: FakeClock) -> None:
    async def snapshot(sim: Simulator) -> dict[str, dict[str, Any]]:
        async with make_client(sim) as http:
            return await devices(http)

    first = await snapshot(Simulator(devices=50, seed=7, clock=clock))
    again = await snapshot(Simulator(devices=50, seed=7, clock=clock))
    other = await snapshot(Simulator(devices=50, seed=8, clock=clock))
    assert first == again
    assert first != other
    assert len(await snapshot(Simulator(devices=3, clock=clock))) == 3

    began = time.perf_counter()
    big = Simulator(devices=20_000, clock=clock)
    assert time.perf_counter() - began < 1.0
    assert len(await snapshot(big)) == 20_000


async def test_last_nights_job_shows_which_devices_failed_and_why(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    jobs = {job["name"]: job for job in (await client.get(JOBS)).json()["jobs"]}
    assert set(jobs) == {"Nightly debug token cleanup", "Move PUMP-2025 units to Production"}
    cleanup = jobs["Nightly debug token cleanup"]
    assert cleanup["last_run_status"] == "completed successfully"
    move = jobs["Move PUMP-2025 units to Production"]
    assert move["last_run_status"] == "completed with errors"
    assert clock() - 2 * 86400 < move["last_run_submitted"] < move["last_run_completed"] < clock() - 3600

    runs = (await client.get(f"{JOBS}/{move['job_uid']}/runs")).json()["runs"]
    assert len(runs) == 1
    detail = await get_run(client, runs[0]["report_uid"], "detail")
    outcomes = detail["results"]["devices"]
    failures = {uid: result for uid, result in outcomes.items() if result["status"] == "failed"}
    assert len(failures) == 2
    assert all(result["error"].startswith("fleet not found: fleet:") for result in failures.values())
    succeeded = [uid for uid, result in outcomes.items() if result["status"] == "completed"]
    assert succeeded
    after = await devices(client)
    assert all(after[uid]["fleets"] == [PRODUCTION_FLEET_UID] for uid in succeeded)
    assert all(after[uid]["fleets"] == [STAGING_FLEET_UID] for uid in failures)


async def test_product_uid_addresses_the_same_project(client: httpx.AsyncClient) -> None:
    by_project = (await client.get(JOBS)).json()
    by_product = (await client.get(f"/v1/projects/{DEMO_PRODUCT_UID}/jobs")).json()
    assert by_project == by_product


# --- each route's response shape ----------------------------------------------------------


async def test_create_get_list_and_delete_a_job(client: httpx.AsyncClient, clock: FakeClock) -> None:
    response = await client.post(JOBS, params={"name": "Verbose staging"}, json=STAGING_VERBOSE)
    assert response.status_code == 201
    assert set(response.json()) == {"job_uid"}
    job_uid = response.json()["job_uid"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", job_uid)

    job = (await client.get(f"{JOBS}/{job_uid}")).json()
    assert job == {
        "job_uid": job_uid,
        "name": "Verbose staging",
        "created": int(clock()),
        "created_by": "dev@example.com",
        "definition": STAGING_VERBOSE,
    }
    listed = [entry for entry in (await client.get(JOBS)).json()["jobs"] if entry["job_uid"] == job_uid]
    assert listed == [{key: value for key, value in job.items() if key != "definition"}]

    response = await client.delete(f"{JOBS}/{job_uid}")
    assert response.json() == {"success": True}
    assert_error(await client.get(f"{JOBS}/{job_uid}"), 404, "job not found")


async def test_job_listing_reports_the_latest_run(client: httpx.AsyncClient, clock: FakeClock) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE)
    await start_run(client, job_uid, dry_run=True)
    entry = (await client.get(f"{JOBS}/{job_uid}")).json()
    assert entry["last_run_status"] == "submitted"
    assert entry["last_run_submitted"] == int(clock())
    assert entry["last_run_completed"] == 0
    clock.advance(1000)
    entry = (await client.get(f"{JOBS}/{job_uid}")).json()
    assert entry["last_run_status"] == "dry run completed successfully"
    assert entry["last_run_completed"] > entry["last_run_submitted"]


async def test_run_shapes_for_summary_detail_and_listing(client: httpx.AsyncClient, clock: FakeClock) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE, name="Verbose staging")
    report_uid = await start_run(client, job_uid, dry_run=False)
    assert re.fullmatch(re.escape(job_uid) + r"-\d{13}", report_uid)
    clock.advance(1000)

    summary = await get_run(client, report_uid)
    assert set(summary) == {
        "report_uid", "job_uid", "job_name", "status", "dry_run", "submitted_by",
        "submitted", "started", "updated", "completed", "cancel",
    }  # fmt: skip
    assert summary["job_name"] == "Verbose staging"
    assert summary["submitted_by"] == "dev@example.com"
    assert summary["cancel"] is False
    assert summary["submitted"] <= summary["started"] <= summary["updated"] == summary["completed"]
    assert summary == await get_run(client, report_uid, "summary")  # summary is the default view

    detail = await get_run(client, report_uid, "detail")
    assert {key: value for key, value in detail.items() if key != "results"} == summary
    job = detail["results"]["job"]
    assert job == {
        "dry_run": False,
        "job_name": "Verbose staging",
        "job_uid": job_uid,
        "status": "completed successfully",
        "when_submitted": summary["submitted"],
        "when_started": summary["started"],
        "when_updated": summary["updated"],
        "when_completed": summary["completed"],
        "who_submitted": "dev@example.com",
    }

    runs = (await client.get(f"{JOBS}/{job_uid}/runs")).json()["runs"]
    assert runs == [{key: value for key, value in summary.items() if key != "completed"}]


async def test_listing_runs_newest_first_with_filters(client: httpx.AsyncClient, clock: FakeClock) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE)
    dry = await start_run(client, job_uid, dry_run=True)
    clock.advance(1000)
    real = await start_run(client, job_uid, dry_run=False)

    async def listed(**params: str) -> list[str]:
        response = await client.get(f"{JOBS}/{job_uid}/runs", params=params)
        assert response.status_code == 200
        return [run["report_uid"] for run in response.json()["runs"]]

    assert await listed() == [real, dry]
    assert await listed(dry_run="true") == [dry]
    assert await listed(dry_run="false") == [real]
    assert await listed(status="dry run completed successfully") == [dry]
    assert await listed(status="submitted") == [real]
    assert await listed(status="completed successfully") == []
    assert_error(await client.get(f"{JOBS}/{job_uid}/runs", params={"dry_run": "yes"}), 400, "dry_run")


async def test_deleting_runs_and_jobs(client: httpx.AsyncClient, clock: FakeClock) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE)
    first = await start_run(client, job_uid, dry_run=True)
    clock.advance(1000)
    assert (await client.delete(f"{JOBS}/runs/{first}")).json() == {}
    assert_error(await client.get(f"{JOBS}/runs/{first}"), 404, "run not found")
    assert (await client.get(f"{JOBS}/{job_uid}/runs")).json() == {"runs": []}
    assert "last_run_status" not in (await client.get(f"{JOBS}/{job_uid}")).json()

    second = await start_run(client, job_uid, dry_run=True)
    clock.advance(1000)
    assert (await client.delete(f"{JOBS}/{job_uid}")).json() == {"success": True}
    assert_error(await client.get(f"{JOBS}/runs/{second}"), 404, "run not found")


# --- auth, roles and errors ------------------------------------------------------------------


async def test_missing_or_unknown_token_is_401(sim: Simulator) -> None:
    async with make_client(sim, token=None) as anonymous:
        assert_error(await anonymous.get(JOBS), 401, "unauthorized")
    async with make_client(sim, token="not-a-token") as stranger:
        assert_error(await stranger.get(JOBS), 401, "unauthorized")
    async with make_client(sim, token=None) as basic:
        assert_error(await basic.get(JOBS, headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401)


async def test_viewer_can_read_but_not_write(
    client: httpx.AsyncClient, viewer: httpx.AsyncClient, clock: FakeClock
) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE)
    report_uid = await start_run(client, job_uid, dry_run=True)
    for path in (JOBS, f"{JOBS}/{job_uid}", f"{JOBS}/{job_uid}/runs", f"{JOBS}/runs/{report_uid}", DEVICES):
        assert (await viewer.get(path)).status_code == 200, path

    writes = [
        viewer.post(JOBS, params={"name": "x"}, json={}),
        viewer.delete(f"{JOBS}/{job_uid}"),
        viewer.post(f"{JOBS}/{job_uid}/run", params={"dry_run": "true"}),
        viewer.post(f"{JOBS}/runs/{report_uid}/cancel"),
        viewer.delete(f"{JOBS}/runs/{report_uid}"),
    ]
    for write in writes:
        assert_error(await write, 403, "forbidden: this action requires the developer role on the project")
    assert (await get_run(client, report_uid))["cancel"] is False


async def test_extra_tokens_carry_their_role(clock: FakeClock) -> None:
    custom = Simulator(
        devices=5,
        clock=clock,
        extra_tokens={"ci-token": ("developer", "ci@example.com"), "ro": ("viewer", "ro@example.com")},
    )
    async with make_client(custom, "ci-token") as ci:
        job_uid = await create_job(ci, {})
        assert (await ci.get(f"{JOBS}/{job_uid}")).json()["created_by"] == "ci@example.com"
    async with make_client(custom, "ro") as read_only:
        assert_error(await read_only.delete(f"{JOBS}/{job_uid}"), 403)


async def test_unknown_project_job_and_run_are_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v1/projects/app:nope/jobs"), 404, "project not found")
    assert_error(await client.get(f"{JOBS}/no-such-job"), 404, "job not found")
    assert_error(await client.delete(f"{JOBS}/no-such-job"), 404, "job not found")
    assert_error(await client.post(f"{JOBS}/no-such-job/run"), 404, "job not found")
    assert_error(await client.get(f"{JOBS}/no-such-job/runs"), 404, "job not found")
    assert_error(await client.get(f"{JOBS}/runs/no-such-run"), 404, "run not found")
    assert_error(await client.post(f"{JOBS}/runs/no-such-run/cancel"), 404, "run not found")
    assert_error(await client.delete(f"{JOBS}/runs/no-such-run"), 404, "run not found")
    assert_error(await client.get(f"{DEVICES}/dev:000000000000000"), 404, "device not found")


async def test_unknown_routes_and_wrong_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v1/nothing/here"), 404)
    assert_error(await client.get(f"{JOBS}/a/b/c/d"), 404)
    assert_error(await client.get(f"{JOBS}/"), 404)
    response = await client.put(JOBS)
    assert_error(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert_error(await client.get(f"{JOBS}/some-job/run"), 405)
    assert_error(await client.post(f"{JOBS}/runs/some-run"), 405)


async def test_bad_query_parameters_are_400(client: httpx.AsyncClient) -> None:
    assert_error(await client.post(JOBS, json={}), 400, "missing required name parameter")
    assert_error(
        await client.post(JOBS, params={"name": ""}, json={}), 400, "missing required name parameter"
    )
    job_uid = await create_job(client, STAGING_VERBOSE)
    for value in ("yes", "True", "1", ""):
        response = await client.post(f"{JOBS}/{job_uid}/run", params={"dry_run": value})
        assert_error(response, 400, "dry_run")
    report_uid = await start_run(client, job_uid, dry_run=True)
    assert_error(await client.get(f"{JOBS}/runs/{report_uid}", params={"view": "full"}), 400, "view")


async def test_run_without_dry_run_parameter_is_a_real_run(client: httpx.AsyncClient) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE)
    report_uid = (await client.post(f"{JOBS}/{job_uid}/run")).json()["report_uid"]
    assert (await get_run(client, report_uid))["dry_run"] is False


async def test_in_progress_runs_block_deletion_with_409(client: httpx.AsyncClient, clock: FakeClock) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE)
    report_uid = await start_run(client, job_uid, dry_run=False)
    assert_error(await client.delete(f"{JOBS}/{job_uid}"), 409, "job has a run in progress; cancel it first")
    assert_error(await client.delete(f"{JOBS}/runs/{report_uid}"), 409, "run is in progress; cancel it first")
    assert (await client.post(f"{JOBS}/runs/{report_uid}/cancel")).json() == {"successful": True}
    assert (await client.delete(f"{JOBS}/runs/{report_uid}")).json() == {}


# --- job definition validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"default_requests": {"vars_to_sett": {"a": "1"}}},
            "unknown field 'vars_to_sett' in default_requests",
        ),
        ({"selct": {"all_devices": True}}, "unknown field 'selct' in job definition"),
        ({"select": {"all": True}}, "unknown field 'all' in select"),
        ({"report_options": {"device_varz": True}}, "unknown field 'device_varz' in report_options"),
        ({"select": {"devices": "dev:864475040000001"}}, "select.devices must be an array of strings"),
        ({"select": {"devices": [1, 2]}}, "select.devices must be an array of strings"),
        ({"select": {"devices": None}}, "select.devices must be an array of strings"),
        ({"select": {"all_devices": "true"}}, "select.all_devices must be a boolean"),
        ({"select": {"all_devices": 1}}, "select.all_devices must be a boolean"),
        ({"comment": 5}, "comment must be a string"),
        (
            {"default_requests": {"vars_to_set": {"log_level": 3}}},
            "default_requests.vars_to_set['log_level']",
        ),
        (
            {"default_requests": {"vars_to_set": ["log_level=3"]}},
            "default_requests.vars_to_set must be an object",
        ),
        ({"default_requests": {"disable": "yes"}}, "default_requests.disable must be a boolean"),
        (
            {"default_requests": {"fleets_to_join": "fleet:x"}},
            "default_requests.fleets_to_join must be an array",
        ),
        ({"default_requests": {"sn_to_set": 7}}, "default_requests.sn_to_set must be a string"),
        ({"device_requests": {"864475040000001": {}}}, "not a device UID"),
        ({"device_requests": {"dev:1": {"sn": "x"}}}, "unknown field 'sn' in device_requests['dev:1']"),
        ({"device_requests": []}, "device_requests must be an object"),
        ({"default_requests": {"note_reqs": {}}}, "default_requests.note_reqs must be an array"),
        ({"default_requests": {"note_reqs": [{"file": "data.qo"}]}}, "note_reqs[0].req is required"),
        ({"default_requests": {"note_reqs": [{"req": "note.add"}]}}, "note_reqs[0].file is required"),
        (
            {"default_requests": {"note_reqs": [{"req": "note.get", "file": "data.qo"}]}},
            "note_reqs[0].req must be one of note.add, note.update, note.delete",
        ),
        (
            {"default_requests": {"note_reqs": [{"req": "note.update", "file": "config.dbs"}]}},
            "note_reqs[0].note is required for note.update",
        ),
        (
            {"default_requests": {"note_reqs": [{"req": "note.delete", "file": "config.db"}]}},
            "note_reqs[0].note is required for note.delete",
        ),
        (
            {"default_requests": {"note_reqs": [{"req": "note.add", "file": "config.dbs", "body": {}}]}},
            "note_reqs[0].note is required for note.add to a database notefile",
        ),
        (
            {"default_requests": {"note_reqs": [{"req": "note.add", "file": "data.qo", "note": "n1"}]}},
            "note_reqs[0].note must be omitted for note.add to a queue notefile",
        ),
        (
            {"default_requests": {"note_reqs": [{"req": "note.add", "file": "data.qi", "body": "x"}]}},
            "note_reqs[0].body must be an object",
        ),
        (
            {"default_requests": {"note_reqs": [{"req": "note.add", "file": "data.qi", "id": "x"}]}},
            "unknown field 'id' in default_requests.note_reqs[0]",
        ),
    ],
)
async def test_invalid_definitions_are_rejected_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    response = await client.post(JOBS, params={"name": "bad"}, json=body)
    assert_error(response, 400, "invalid job definition: ")
    assert message in response.json()["err"]


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b'"text"', b"", b'{"comment": NaN}'])
async def test_a_body_that_is_not_a_json_object_is_400(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(JOBS, params={"name": "x"}, content=content)
    assert_error(response, 400, "invalid job definition")


@pytest.mark.parametrize(
    "definition",
    [
        {},
        STAGING_VERBOSE,
        {
            "select": {"all_devices": True, "comment": "everything"},
            "default_requests": {
                "vars_to_set": {"debug_token": "-"},
                "vars_to_default": {"sample_interval_s": "300"},
            },
        },
        {
            "select": {"devices_in_fleets": [STAGING_FLEET_UID]},
            "default_requests": {
                "provision_product": DEMO_PRODUCT_UID,
                "fleets_to_default": [PRODUCTION_FLEET_UID],
                "note_reqs": [
                    {"req": "note.add", "file": "config.dbs", "note": "thresholds", "body": {"max_psi": 120}},
                    {"req": "note.add", "file": "commands.qi", "body": {"cmd": "reboot"}},
                    {"req": "note.update", "file": "config.db", "note": "limits", "body": {}},
                    {"req": "note.delete", "file": "config.dbs", "note": "old"},
                ],
            },
            "report_options": {"device_health": True, "device_info": True, "comment": "for RMA"},
        },
    ],
)
async def test_valid_definitions_are_stored_exactly_as_submitted(
    client: httpx.AsyncClient, definition: dict[str, Any]
) -> None:
    job_uid = await create_job(client, definition)
    assert (await client.get(f"{JOBS}/{job_uid}")).json()["definition"] == definition


# --- selection ----------------------------------------------------------------------------


async def test_each_selection_criterion(client: httpx.AsyncClient, clock: FakeClock) -> None:
    seeded = await devices(client)
    some = sorted(seeded)[:3]

    async def selected(select: dict[str, Any]) -> list[str]:
        run = await run_to_end(client, clock, {"select": select}, dry_run=True)
        return list(run["results"]["devices"])

    assert await selected({"all_devices": True}) == sorted(seeded)
    assert await selected({"devices": list(reversed(some))}) == some
    staging = sorted(uid for uid, device in seeded.items() if STAGING_FLEET_UID in device["fleets"])
    assert await selected({"devices_in_fleets": [STAGING_FLEET_UID]}) == staging
    pilots = sorted(
        uid for uid, device in seeded.items() if device["serial_number"].startswith("PUMP-2025-1")
    )
    assert await selected({"devices_by_sn": ["PUMP-2025-1[0-9]*"]}) == pilots
    with_serial = sorted(uid for uid, device in seeded.items() if device["serial_number"])
    assert await selected({"devices_by_sn": ["*"]}) == with_serial
    assert await selected({"devices": some[:1], "devices_by_sn": ["PUMP-2025-1*"]}) == sorted(
        {some[0], *pilots}
    )
    assert await selected({}) == []
    assert await selected({"all_devices": False, "devices_in_fleets": ["fleet:unknown"]}) == []


async def test_a_run_selecting_nothing_completes_with_zero_devices(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    run = await run_to_end(client, clock, {"default_requests": {"vars_to_set": {"a": "1"}}})
    assert run["status"] == "completed successfully"
    assert run["results"]["devices"] == {}


async def test_an_unknown_device_uid_fails_only_that_device(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    known = sorted(await devices(client))[0]
    definition = {
        "select": {"devices": [known, "dev:000000000000000"]},
        "default_requests": {"vars_to_set": {"site": "north"}},
    }
    run = await run_to_end(client, clock, definition)
    assert run["status"] == "completed with errors"
    assert run["results"]["devices"]["dev:000000000000000"] == {
        "status": "failed",
        "error": "device not found",
    }
    assert run["results"]["devices"][known] == {"status": "completed", "vars_set": {"site": "north"}}


# --- what runs change --------------------------------------------------------------------


async def test_a_dry_run_shows_what_would_change_and_changes_nothing(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    before = await devices(client)
    run = await run_to_end(client, clock, STAGING_VERBOSE, dry_run=True)
    assert run["status"] == "dry run completed successfully"
    assert run["dry_run"] is True
    staging = [uid for uid, device in before.items() if STAGING_FLEET_UID in device["fleets"]]
    assert sorted(run["results"]["devices"]) == sorted(staging)
    for uid in staging:
        would = run["results"]["devices"][uid]
        assert would["status"] == "completed"
        assert would["vars_set"]["log_level"] == "3"
        assert (
            "firmware_channel" not in would["vars_set"]
            or before[uid]["environment_variables"].get("firmware_channel") != "beta"
        )
    assert await devices(client) == before


async def test_a_real_run_changes_exactly_the_selected_devices(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    before = await devices(client)
    run = await run_to_end(client, clock, STAGING_VERBOSE)
    assert run["status"] == "completed successfully"
    after = await devices(client)
    for uid, device in before.items():
        if STAGING_FLEET_UID in device["fleets"]:
            assert after[uid]["environment_variables"] == {
                **device["environment_variables"],
                "log_level": "3",
                "firmware_channel": "beta",
            }
        else:
            assert after[uid] == device


async def test_a_device_with_nothing_to_change_reports_completed_without_changes(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    uid = sorted(await devices(client))[0]
    definition = {"select": {"devices": [uid]}, "default_requests": {"vars_to_set": {"log_level": "1"}}}
    run = await run_to_end(client, clock, definition)
    assert run["results"]["devices"][uid] == {"status": "completed"}


async def test_per_device_requests_override_the_defaults(client: httpx.AsyncClient, clock: FakeClock) -> None:
    first, second, third = sorted(await devices(client))[:3]
    definition = {
        "select": {"devices": [first, second]},
        "default_requests": {"vars_to_set": {"site": "north", "zone": "a"}},
        "device_requests": {
            first: {"sn_to_set": "NORTH-01"},
            second: {"sn_to_set": "NORTH-02", "vars_to_set": {"site": "north-annex"}},
            third: {"sn_to_set": "NOT-SELECTED"},
        },
    }
    run = await run_to_end(client, clock, definition)
    assert run["results"]["devices"][second] == {
        "status": "completed",
        "vars_set": {"site": "north-annex", "zone": "a"},
        "sn_set": "NORTH-02",
    }
    after = await devices(client)
    assert after[first]["serial_number"] == "NORTH-01"
    assert after[first]["environment_variables"]["site"] == "north"
    assert after[second]["serial_number"] == "NORTH-02"
    assert after[second]["environment_variables"]["site"] == "north-annex"
    assert after[third]["serial_number"] != "NOT-SELECTED"
    assert third not in run["results"]["devices"]


async def test_a_dash_clears_variables_and_serial_numbers(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    with_token = sorted(
        uid
        for uid, device in (await devices(client)).items()
        if "debug_token" in device["environment_variables"]
    )
    assert with_token  # seeded: field service left some behind
    definition = {
        "select": {"all_devices": True},
        "default_requests": {
            "vars_to_set": {"debug_token": "-"},
            "vars_to_default": {"sample_interval_s": "300"},
        },
        "device_requests": {with_token[0]: {"sn_to_set": "-"}},
    }
    run = await run_to_end(client, clock, definition)
    changed = {uid: result for uid, result in run["results"]["devices"].items() if len(result) > 1}
    assert sorted(uid for uid, result in changed.items() if "vars_deleted" in result) == with_token
    assert changed[with_token[0]]["sn_set"] == ""
    after = await devices(client)
    assert not any("debug_token" in device["environment_variables"] for device in after.values())
    assert after[with_token[0]]["serial_number"] == ""
    assert all(device["environment_variables"]["sample_interval_s"] for device in after.values())


async def test_vars_to_default_only_fills_unset_variables(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    uid = sorted(await devices(client))[0]
    definition = {
        "select": {"devices": [uid]},
        "default_requests": {"vars_to_default": {"log_level": "9", "region": "eu"}},
    }
    run = await run_to_end(client, clock, definition)
    assert run["results"]["devices"][uid] == {"status": "completed", "vars_defaulted": {"region": "eu"}}
    env = (await client.get(f"{DEVICES}/{uid}")).json()["environment_variables"]
    assert env["log_level"] == "1"
    assert env["region"] == "eu"


async def test_fleets_join_leave_and_default(client: httpx.AsyncClient, clock: FakeClock) -> None:
    seeded = await devices(client)
    in_staging = next(uid for uid, device in seeded.items() if device["fleets"] == [STAGING_FLEET_UID])
    fleetless = next(uid for uid, device in seeded.items() if not device["fleets"])
    definition = {
        "select": {"devices": [in_staging, fleetless]},
        "default_requests": {
            "fleets_to_leave": [STAGING_FLEET_UID],
            "fleets_to_join": [FIELD_TEST_FLEET_UID],
            "fleets_to_default": [PRODUCTION_FLEET_UID],
        },
        "device_requests": {fleetless: {"fleets_to_join": [], "fleets_to_leave": []}},
    }
    run = await run_to_end(client, clock, definition)
    assert run["results"]["devices"][in_staging] == {
        "status": "completed",
        "fleets_left": [STAGING_FLEET_UID],
        "fleets_joined": [FIELD_TEST_FLEET_UID],
    }
    assert run["results"]["devices"][fleetless] == {
        "status": "completed",
        "fleets_defaulted": [PRODUCTION_FLEET_UID],
    }
    after = await devices(client)
    assert after[in_staging]["fleets"] == [FIELD_TEST_FLEET_UID]
    assert after[fleetless]["fleets"] == [PRODUCTION_FLEET_UID]


async def test_an_unknown_fleet_fails_the_device_and_changes_nothing_on_it(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    uid = sorted(await devices(client))[0]
    before = (await client.get(f"{DEVICES}/{uid}")).json()
    definition = {
        "select": {"devices": [uid]},
        "default_requests": {"vars_to_set": {"log_level": "3"}, "fleets_to_join": ["fleet:typo"]},
    }
    run = await run_to_end(client, clock, definition)
    assert run["status"] == "completed with errors"
    assert run["results"]["devices"][uid] == {"status": "failed", "error": "fleet not found: fleet:typo"}
    assert (await client.get(f"{DEVICES}/{uid}")).json() == before


async def test_enable_disable_provision_and_connectivity_assurance(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    seeded = await devices(client)
    disabled = next(uid for uid, device in seeded.items() if device["disabled"])
    unprovisioned = next(uid for uid, device in seeded.items() if not device["provisioned"])
    enabled = next(uid for uid, device in seeded.items() if not device["disabled"] and device["provisioned"])
    definition = {
        "select": {"devices": [disabled, unprovisioned, enabled]},
        "default_requests": {
            "provision_product": "com.example.ops:valves",
            "connectivity_assurance_enable": True,
        },
        "device_requests": {disabled: {"enable": True}, enabled: {"disable": True, "comment": "RMA 4471"}},
    }
    run = await run_to_end(client, clock, definition)
    results = run["results"]["devices"]
    assert results[disabled].get("enabled") is True
    assert results[enabled].get("disabled") is True
    assert results[unprovisioned]["provisioned"] == "com.example.ops:valves"
    assert "provisioned" not in results[enabled]
    after = await devices(client)
    assert after[disabled]["disabled"] is False
    assert after[enabled]["disabled"] is True
    assert after[unprovisioned]["product_uid"] == "com.example.ops:valves"
    assert after[enabled]["product_uid"] == DEMO_PRODUCT_UID
    assert all(after[uid]["connectivity_assurance"] for uid in (disabled, unprovisioned, enabled))


async def test_sn_to_default_only_sets_missing_serial_numbers(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    seeded = await devices(client)
    blank = next(uid for uid, device in seeded.items() if not device["serial_number"])
    named = next(uid for uid, device in seeded.items() if device["serial_number"])
    definition = {
        "select": {"devices": [blank, named]},
        "default_requests": {"sn_to_default": "PUMP-UNKNOWN"},
    }
    run = await run_to_end(client, clock, definition)
    assert run["results"]["devices"][blank] == {"status": "completed", "sn_defaulted": "PUMP-UNKNOWN"}
    assert run["results"]["devices"][named] == {"status": "completed"}


async def test_note_requests_reach_the_device_notefiles(client: httpx.AsyncClient, clock: FakeClock) -> None:
    uid = sorted(await devices(client))[0]
    add = {
        "select": {"devices": [uid]},
        "default_requests": {
            "note_reqs": [
                {"req": "note.add", "file": "config.dbs", "note": "thresholds", "body": {"max_psi": 120}},
                {"req": "note.add", "file": "commands.qi", "body": {"cmd": "reboot"}},
            ]
        },
    }
    run = await run_to_end(client, clock, add)
    assert run["results"]["devices"][uid]["notes"] == [
        {"req": "note.add", "file": "config.dbs", "note": "thresholds"},
        {"req": "note.add", "file": "commands.qi"},
    ]
    notefiles = (await client.get(f"{DEVICES}/{uid}")).json()["notefiles"]
    assert notefiles == {"config.dbs": {"thresholds": {"max_psi": 120}}, "commands.qi": [{"cmd": "reboot"}]}

    update_missing = {
        "select": {"devices": [uid]},
        "default_requests": {"note_reqs": [{"req": "note.update", "file": "config.dbs", "note": "nope"}]},
    }
    run = await run_to_end(client, clock, update_missing)
    assert run["results"]["devices"][uid] == {"status": "failed", "error": "note not found: config.dbs/nope"}

    delete = {
        "select": {"devices": [uid]},
        "default_requests": {
            "note_reqs": [{"req": "note.delete", "file": "config.dbs", "note": "thresholds"}]
        },
    }
    await run_to_end(client, clock, delete)
    assert (await client.get(f"{DEVICES}/{uid}")).json()["notefiles"]["config.dbs"] == {}


async def test_report_options_add_an_inventory(client: httpx.AsyncClient, clock: FakeClock) -> None:
    uid = sorted(await devices(client))[0]
    definition = {
        "select": {"devices": [uid]},
        "report_options": {"device_vars": True, "app_fleets": True, "device_health": True},
    }
    report = (await run_to_end(client, clock, definition))["results"]["report"]
    assert report["devices"][uid]["vars"]["log_level"] == "1"
    assert set(report["devices"][uid]["health"]) == {"voltage", "last_seen"}
    assert [fleet["label"] for fleet in report["fleets"]] == ["Staging", "Production", "Field-Test"]
    assert "report" not in (await run_to_end(client, clock, {"select": {"devices": [uid]}}))["results"]


async def test_overlapping_runs_apply_in_time_order(client: httpx.AsyncClient, clock: FakeClock) -> None:
    # The first run reaches the last device after the second run has already set it.
    uids = sorted(await devices(client))[:5]
    slow = await create_job(
        client, {"select": {"devices": uids}, "default_requests": {"vars_to_set": {"v": "1"}}}
    )
    fast = await create_job(
        client, {"select": {"devices": uids[-1:]}, "default_requests": {"vars_to_set": {"v": "2"}}}
    )
    await start_run(client, slow, dry_run=False)
    clock.advance(3)
    await start_run(client, fast, dry_run=False)
    clock.advance(100)
    assert (await client.get(f"{DEVICES}/{uids[-1]}")).json()["environment_variables"]["v"] == "1"


FLEET_CHOICES = st.sampled_from([STAGING_FLEET_UID, PRODUCTION_FLEET_UID, FIELD_TEST_FLEET_UID, "fleet:gone"])
VAR_MAPS = st.dictionaries(
    st.sampled_from(["log_level", "site", "debug_token", "sample_interval_s"]),
    st.sampled_from(["1", "3", "-", "north"]),
    max_size=3,
)
REQUESTS = st.fixed_dictionaries(
    {},
    optional={
        "vars_to_set": VAR_MAPS,
        "vars_to_default": VAR_MAPS,
        "fleets_to_join": st.lists(FLEET_CHOICES, max_size=2),
        "fleets_to_leave": st.lists(FLEET_CHOICES, max_size=2),
        "fleets_to_default": st.lists(FLEET_CHOICES, max_size=2),
        "enable": st.booleans(),
        "disable": st.booleans(),
        "sn_to_set": st.sampled_from(["-", "PUMP-X-1"]),
        "sn_to_default": st.just("PUMP-X-2"),
        "provision_product": st.just("com.example.ops:valves"),
    },
)
SELECTIONS = st.one_of(
    st.just({"all_devices": True}),
    st.builds(lambda fleet: {"devices_in_fleets": [fleet]}, FLEET_CHOICES),
    st.just({"devices_by_sn": ["PUMP-2026-00[0-2]*"]}),
)


@settings(max_examples=25, deadline=None, database=None)
@given(select=SELECTIONS, requests=REQUESTS)
async def test_a_dry_run_predicts_the_real_run_and_changes_nothing(
    select: dict[str, Any], requests: dict[str, Any]
) -> None:
    definition = {"select": select, "default_requests": requests}
    outcomes = []
    for dry_run in (True, False):
        clock = FakeClock()
        async with make_client(Simulator(devices=60, pace=0, clock=clock)) as http:
            before = await devices(http)
            run = await run_to_end(http, clock, definition, dry_run=dry_run)
            if dry_run:
                assert await devices(http) == before
        outcomes.append(run["results"]["devices"])
    assert outcomes[0] == outcomes[1]


# --- progress over time and cancelling ----------------------------------------------------


async def test_a_run_progresses_device_by_device(client: httpx.AsyncClient, clock: FakeClock) -> None:
    staging = sorted(
        uid for uid, device in (await devices(client)).items() if STAGING_FLEET_UID in device["fleets"]
    )
    job_uid = await create_job(client, STAGING_VERBOSE)
    submitted = int(clock())
    report_uid = await start_run(client, job_uid, dry_run=False)

    run = await get_run(client, report_uid, "detail")
    assert (run["status"], run["started"], run["completed"]) == ("submitted", 0, 0)
    assert set(map(str, run["results"]["devices"].values())) == {str({"status": "pending"})}

    clock.advance(2)  # start_delay: the first device is processed as the run starts
    run = await get_run(client, report_uid, "detail")
    assert run["started"] == submitted + 2
    assert run["status"].startswith(f"{staging[0]} updated: vars_set log_level=3")
    assert run["results"]["devices"][staging[0]]["status"] == "completed"
    assert run["results"]["devices"][staging[1]] == {"status": "pending"}
    assert run["completed"] == 0

    clock.advance(1)
    run = await get_run(client, report_uid)
    assert run["status"].startswith(f"{staging[1]} ")
    assert run["updated"] == submitted + 3

    clock.advance(len(staging))
    run = await get_run(client, report_uid)
    assert run["status"] == "completed successfully"
    assert run["completed"] == run["updated"] == submitted + 2 + len(staging) - 1


async def test_pace_zero_finishes_at_the_first_read(clock: FakeClock) -> None:
    quick = Simulator(devices=60, pace=0, start_delay=0, clock=clock)
    async with make_client(quick) as http:
        job_uid = await create_job(http, STAGING_VERBOSE)
        report_uid = await start_run(http, job_uid, dry_run=True)
        assert (await get_run(http, report_uid))["status"] == "dry run completed successfully"


async def test_cancel_stops_a_run_where_it_is(client: httpx.AsyncClient, clock: FakeClock) -> None:
    before = await devices(client)
    staging = sorted(uid for uid, device in before.items() if STAGING_FLEET_UID in device["fleets"])
    job_uid = await create_job(client, STAGING_VERBOSE)
    report_uid = await start_run(client, job_uid, dry_run=False)
    clock.advance(2 + 2)  # three devices processed
    response = await client.post(f"{JOBS}/runs/{report_uid}/cancel")
    assert response.json() == {"successful": True}
    cancelled_at = int(clock())

    clock.advance(1000)
    run = await get_run(client, report_uid, "detail")
    assert run["status"] == "cancelled"
    assert run["cancel"] is True
    assert run["completed"] == run["updated"] == cancelled_at
    results = run["results"]["devices"]
    assert [results[uid]["status"] for uid in staging[:3]] == ["completed"] * 3
    assert all(results[uid] == {"status": "cancelled"} for uid in staging[3:])
    after = await devices(client)
    assert all(after[uid]["environment_variables"]["log_level"] == "3" for uid in staging[:3])
    assert all(after[uid] == before[uid] for uid in staging[3:])

    assert (await client.post(f"{JOBS}/runs/{report_uid}/cancel")).json() == {"successful": False}
    job = (await client.get(f"{JOBS}/{job_uid}")).json()
    assert (job["last_run_status"], job["last_run_completed"]) == ("cancelled", cancelled_at)


async def test_cancelling_a_finished_run_changes_nothing(client: httpx.AsyncClient, clock: FakeClock) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE)
    report_uid = await start_run(client, job_uid, dry_run=True)
    clock.advance(1000)
    before = await get_run(client, report_uid, "detail")
    clock.advance(10)
    assert (await client.post(f"{JOBS}/runs/{report_uid}/cancel")).json() == {"successful": False}
    assert await get_run(client, report_uid, "detail") == before


async def test_report_uids_are_unique_within_the_same_millisecond(client: httpx.AsyncClient) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE)
    report_uids = [await start_run(client, job_uid, dry_run=True) for _ in range(5)]
    assert len(set(report_uids)) == 5
    assert all(uid.startswith(f"{job_uid}-") for uid in report_uids)


# --- paths: the runs route and percent-encoded UIDs ---------------------------------------


async def test_the_runs_route_is_not_confused_with_a_job_called_runs(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    job_uid = await create_job(client, STAGING_VERBOSE, name="runs")
    report_uid = await start_run(client, job_uid, dry_run=True)
    assert (await get_run(client, report_uid))["job_name"] == "runs"
    # A job whose UID were literally "runs" is addressed by the job routes.
    assert_error(await client.get(f"{JOBS}/runs"), 404, "job not found")
    assert_error(await client.delete(f"{JOBS}/runs"), 404, "job not found")
    assert_error(await client.post(f"{JOBS}/runs/run"), 404, "job not found")
    assert_error(await client.get(f"{JOBS}/runs/runs"), 404, "run not found")


@pytest.mark.parametrize(
    "uid", ["a/b", "../jobs", "a?dry_run=true", "a#frag", "..", "runs/x/cancel", "sp ace"]
)
async def test_percent_encoded_uids_stay_one_path_segment(client: httpx.AsyncClient, uid: str) -> None:
    encoded = quote(uid, safe="").replace(".", "%2E")
    await client.delete("/_sim/requests")
    assert_error(await client.get(f"{JOBS}/{encoded}"), 404, "job not found")
    assert_error(await client.delete(f"{JOBS}/{encoded}"), 404, "job not found")
    assert_error(await client.post(f"{JOBS}/{encoded}/run", params={"dry_run": "true"}), 404, "job not found")
    assert_error(await client.get(f"{JOBS}/runs/{encoded}"), 404, "run not found")
    assert_error(await client.post(f"{JOBS}/runs/{encoded}/cancel"), 404, "run not found")
    log = (await client.get("/_sim/requests")).json()["requests"]
    assert log[0]["raw_path"] == f"{JOBS}/{encoded}"


# --- messy runs and scale -----------------------------------------------------------------


async def test_failure_rate_gives_mixed_outcomes_deterministically(clock: FakeClock) -> None:
    async def outcomes(seed: int) -> dict[str, Any]:
        messy = Simulator(devices=200, seed=seed, pace=0, clock=clock, failure_rate=0.3)
        async with make_client(messy) as http:
            run = await run_to_end(http, clock, {"select": {"all_devices": True}}, dry_run=True)
        assert run["status"] == "completed with errors"
        return dict(run["results"]["devices"])

    first = await outcomes(seed=3)
    assert first == await outcomes(seed=3)
    assert first != await outcomes(seed=4)
    failures = [result for result in first.values() if result["status"] == "failed"]
    assert 30 <= len(failures) <= 90
    assert len({result["error"] for result in failures}) > 1

    custom = Simulator(devices=20, pace=0, clock=clock, failure_rate=1.0, failure_reasons=["modem asleep"])
    async with make_client(custom) as http:
        run = await run_to_end(http, clock, {"select": {"all_devices": True}})
    assert {result["error"] for result in run["results"]["devices"].values()} == {"modem asleep"}


async def test_a_twenty_thousand_device_run(clock: FakeClock) -> None:
    large = Simulator(devices=20_000, pace=0.01, clock=clock, failure_rate=0.01)
    async with make_client(large) as http:
        definition = {
            "select": {"all_devices": True},
            "default_requests": {"vars_to_set": {"log_level": "3"}},
        }
        job_uid = await create_job(http, definition)
        report_uid = await start_run(http, job_uid, dry_run=False)
        clock.advance(100)  # halfway
        assert (await get_run(http, report_uid))["status"].startswith("dev:")
        clock.advance(1000)
        began = time.perf_counter()
        run = await get_run(http, report_uid, "detail")
        elapsed = time.perf_counter() - began
    assert run["status"] == "completed with errors"
    assert len(run["results"]["devices"]) == 20_000
    assert elapsed < 1.0


# --- the request log, faults and OAuth -----------------------------------------------------


async def test_the_request_log_shows_what_arrived_without_secrets(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    await client.delete("/_sim/requests")
    await client.post(JOBS, params={"name": "Log me"}, json={"comment": "hi"})
    await client.get(f"{JOBS}/a%2Fb")
    log = (await client.get("/_sim/requests")).json()["requests"]
    assert [entry["method"] for entry in log] == ["POST", "GET"]
    assert log[0]["query"] == {"name": "Log me"}
    assert log[0]["raw_query"] == "name=Log+me"
    assert log[0]["json"] == {"comment": "hi"}
    assert "authorization" in log[0]["headers_present"]
    assert log[1]["path"] == f"{JOBS}/a/b"
    assert log[1]["raw_path"] == f"{JOBS}/a%2Fb"
    assert log[1]["json"] is None
    assert DEVELOPER_TOKEN not in str(log)

    assert (await client.delete("/_sim/requests")).json() == {}
    assert (await client.get("/_sim/requests")).json() == {"requests": []}


async def test_injected_faults(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.inject_fault(status=429, retry_after=2, times=2, path_contains="/jobs")
    for _ in range(2):
        response = await client.get(JOBS)
        assert_error(response, 429)
        assert response.headers["retry-after"] == "2"
    assert (await client.get(JOBS)).status_code == 200

    response = await client.post("/_sim/faults", json={"status": 503, "method": "GET"})
    assert response.status_code == 200
    assert_error(await client.get(DEVICES), 503)

    sim.inject_fault(drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(JOBS)
    sim.inject_fault(drop=True)
    with pytest.raises(SimulatedDisconnect):
        await client.get(JOBS)

    assert_error(await client.post("/_sim/faults", json={"status": 200}), 400, "invalid fault")
    assert_error(await client.post("/_sim/faults", json={"bogus": 1}), 400, "invalid fault")


async def test_oauth_client_credentials(sim: Simulator, clock: FakeClock) -> None:
    async with make_client(sim, token=None) as http:
        form = {"grant_type": "client_credentials", "client_id": OAUTH_CLIENT_ID, "client_secret": "wrong"}
        response = await http.post("/oauth2/token", data=form)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

        response = await http.post("/oauth2/token", data={**form, "client_secret": OAUTH_CLIENT_SECRET})
        assert response.status_code == 200
        token = response.json()
        assert token["token_type"] == "bearer"
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert (await http.post(JOBS, params={"name": "x"}, json={}, headers=headers)).status_code == 201

        clock.advance(token["expires_in"] + 1)
        assert_error(await http.get(JOBS, headers=headers), 401)


# --- serving on a port --------------------------------------------------------------------


def test_serve_simulator_answers_on_a_loopback_port() -> None:
    code = "from notehub_jobs_mcp.simulator import serve_simulator; serve_simulator(port=0, devices=5)"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        url = ""
        deadline = time.monotonic() + 20
        while not url and time.monotonic() < deadline:
            line = process.stderr.readline()
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            url = match.group(1) if match else ""
        assert url, "the simulator never said where it listens"
        response = httpx.get(f"{url}{JOBS}", headers={"Authorization": f"Bearer {VIEWER_TOKEN}"})
        assert response.status_code == 200
        assert len(response.json()["jobs"]) == 2
    finally:
        process.terminate()
        stdout, _ = process.communicate(timeout=10)
    assert stdout == ""
