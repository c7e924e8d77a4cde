"""Bad input gets a tool error the model can act on, nothing changes, and the session stays usable."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from notehub_jobs_mcp.config import Config, Secret
from notehub_jobs_mcp.simulator import STAGING_FLEET_UID, VIEWER_TOKEN

from .conftest import Connect, SimAPI, config, fails, job_uid_from, ok, staging_job

pytestmark = pytest.mark.anyio


async def _still_usable(client: Client) -> None:
    assert "jobs, newest first" in await ok(client, "list_jobs")


async def test_unknown_job_uid_says_to_list_jobs(client: Client) -> None:
    err = await fails(client, "get_job", job_uid="no-such-job")
    assert "No job with job_uid 'no-such-job'" in err
    assert "call list_jobs" in err.lower()
    assert "Whose problem: the request's arguments" in err
    await _still_usable(client)


async def test_unknown_report_uid_says_to_list_runs(client: Client) -> None:
    err = await fails(client, "get_job_run", report_uid="nope-1700000000000")
    assert "No job run with report_uid 'nope-1700000000000'" in err
    assert "list_job_runs" in err
    await _still_usable(client)


@pytest.mark.parametrize(
    "hostile", ["a/b", "x?dry_run=false", "../../jobs", "..", "runs", "x#y", "%2F", "a b"]
)
async def test_uids_with_path_characters_stay_one_segment(client: Client, api: SimAPI, hostile: str) -> None:
    await api.clear_requests()
    err = await fails(client, "get_job", job_uid=hostile)
    assert "No job with job_uid" in err
    err = await fails(client, "delete_job", job_uid=hostile)
    assert "No job with job_uid" in err
    sent = await api.requests()
    prefix = "/v1/projects/"
    for request in sent:
        raw = request["raw_path"]
        assert raw.startswith(prefix)
        # project, "jobs", and exactly one more segment: the hostile UID, encoded.
        assert raw.count("/") == 5, raw
        assert request["query"] in ("", {}, None), request
    await _still_usable(client)


async def test_definition_with_unknown_field_is_refused_by_name(client: Client, api: SimAPI) -> None:
    jobs_before = await api.jobs()
    definition = staging_job(STAGING_FLEET_UID)
    definition["default_requests"]["vars_to_sett"] = {"x": "1"}
    err = await fails(client, "create_job", name="typo", definition=definition)
    assert "vars_to_sett" in err
    assert await api.jobs() == jobs_before
    await _still_usable(client)


@pytest.mark.parametrize(
    "definition, field",
    [
        ({"select": {"all_devices": "yes please"}}, "all_devices"),
        ({"select": {"devices": "dev:1"}}, "devices"),
        ({"default_requests": {"vars_to_set": {"log_level": 3}}}, "log_level"),
        ({"default_requests": {"note_reqs": [{"req": "note.frob", "file": "a.qi"}]}}, "req"),
    ],
)
async def test_definition_with_wrong_type_is_refused(
    client: Client, api: SimAPI, definition: dict[str, Any], field: str
) -> None:
    jobs_before = await api.jobs()
    err = await fails(client, "create_job", name="bad", definition=definition)
    assert field in err
    assert await api.jobs() == jobs_before
    await _still_usable(client)


async def test_definition_sent_as_a_json_string_is_decoded(client: Client) -> None:
    import json

    out = await ok(
        client, "create_job", name="stringly typed", definition=json.dumps(staging_job(STAGING_FLEET_UID))
    )
    assert job_uid_from(out)


async def test_missing_project_says_how_to_set_one(connect: Connect) -> None:
    async with connect(Config(api_url="http://notehub.test", token=Secret("x"))) as client:
        err = await fails(client, "list_jobs")
        assert "NOTEHUB_PROJECT_UID" in err and "project_uid" in err


async def test_unknown_project_is_named(client: Client) -> None:
    err = await fails(client, "list_jobs", project_uid="app:does-not-exist")
    assert "app:does-not-exist" in err and "NOTEHUB_PROJECT_UID" in err
    await _still_usable(client)


async def test_missing_token_is_a_configuration_error(connect: Connect) -> None:
    async with connect(Config(api_url="http://notehub.test", project_uid="app:x")) as client:
        err = await fails(client, "list_jobs")
        assert "NOTEHUB_API_TOKEN" in err and "--demo" in err


async def test_wrong_token_is_a_401_with_a_fix(connect: Connect) -> None:
    async with connect(config(token=Secret("not-a-real-token-7731"))) as client:
        err = await fails(client, "list_jobs")
        assert "(401)" in err and "NOTEHUB_API_TOKEN" in err
        assert "not-a-real-token-7731" not in err


async def test_viewer_cannot_delete_and_is_told_which_role(connect: Connect, api: SimAPI) -> None:
    jobs = await api.jobs()
    async with connect(config(token=Secret(VIEWER_TOKEN))) as client:
        err = await fails(client, "delete_job", job_uid=jobs[0]["job_uid"])
        assert "(403)" in err and "developer role" in err
        assert "Whose problem: permissions" in err
        await _still_usable(client)
    assert await api.jobs() == jobs


@pytest.mark.parametrize("value", ["no", "off", "0", "maybe", 0, "", None])
async def test_dry_run_must_be_an_unmistakable_boolean(client: Client, api: SimAPI, value: Any) -> None:
    job = (await api.jobs())[0]["job_uid"]
    runs_before = await api.runs(job)
    result = await client.call_tool("run_job", {"job_uid": job, "dry_run": value})
    assert result.is_error
    assert "dry_run" in result.content[0].text  # type: ignore[union-attr]
    assert await api.runs(job) == runs_before


async def test_dry_run_is_required(client: Client, api: SimAPI) -> None:
    job = (await api.jobs())[0]["job_uid"]
    err = await fails(client, "run_job", job_uid=job)
    assert "dry_run" in err


@pytest.mark.parametrize(
    "tool, arguments, field",
    [
        ("run_job", {"job_uid": "j", "dry_run": True, "wait_seconds": 999}, "wait_seconds"),
        ("run_job", {"job_uid": "j"}, "dry_run"),
        ("get_job_run", {"report_uid": "r", "view": "full"}, "view"),
        ("list_jobs", {"limit": 0}, "limit"),
        ("create_job", {"name": "x" * 201, "definition": {}}, "name"),
        (
            "create_job",
            {"name": "n", "definition": {"select": {"all_devices": True, "fleet": "x"}}},
            "select.fleet",
        ),
    ],
)
async def test_argument_errors_name_the_field_and_what_to_do_without_pydantic_noise(
    client: Client, tool: str, arguments: dict[str, Any], field: str
) -> None:
    err = await fails(client, tool, **arguments)
    assert err.startswith(f"Invalid arguments for {tool}; nothing was sent to Notehub.")
    assert f"- {field}" in err or f".{field}" in err
    assert "Whose problem: the request's arguments." in err and f"call {tool} again" in err
    for noise in ("pydantic", "validation error for", "input_type=", "[type="):
        assert noise not in err, err
