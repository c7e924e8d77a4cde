"""Resources a client can attach without a tool call, and prompts for the common tasks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.shared.uri_template import UriTemplate

from notehub_jobs_mcp.models import JobDefinition
from notehub_jobs_mcp.prompts import parse_variables
from notehub_jobs_mcp.resources import EXAMPLES
from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, STAGING_FLEET_UID, Simulator
from notehub_jobs_mcp.uris import JOB_TEMPLATE, RUN_TEMPLATE, SCHEMA_URI, job_uri, run_uri

from .conftest import SIM_URL, FakeClock, staging_job

pytestmark = pytest.mark.anyio


@pytest.fixture
async def notehub(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """Notehub itself (the simulator), to set up jobs and runs without going through our tools."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url=f"{SIM_URL}/v1/projects/{DEMO_PROJECT_UID}",
        headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"},
    ) as http:
        yield http


async def create_job(notehub: httpx.AsyncClient, definition: dict[str, Any], name: str = "t") -> str:
    response = await notehub.post("/jobs", params={"name": name}, json=definition)
    assert response.status_code == 201, response.text
    return str(response.json()["job_uid"])


async def read_json(client: Client, uri: str) -> Any:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type in ("application/json", "application/schema+json")
    return json.loads(content.text)  # type: ignore[union-attr]


async def test_templates_and_the_schema_are_listed(client: Client) -> None:
    templates = {t.uri_template: t for t in (await client.list_resource_templates()).resource_templates}
    assert {JOB_TEMPLATE, RUN_TEMPLATE} <= set(templates)
    assert templates[JOB_TEMPLATE].mime_type == templates[RUN_TEMPLATE].mime_type == "application/json"
    resources = {str(r.uri): r for r in (await client.list_resources()).resources}
    assert resources[SCHEMA_URI].mime_type == "application/schema+json"


async def test_a_job_definition_resource_is_the_stored_definition(
    client: Client, notehub: httpx.AsyncClient
) -> None:
    definition = staging_job(STAGING_FLEET_UID)
    job_uid = await create_job(notehub, definition, name="Staging verbose")
    document = await read_json(client, job_uri(DEMO_PROJECT_UID, job_uid))
    assert document["definition"] == definition
    assert document["job_uid"] == job_uid and document["name"] == "Staging verbose"
    assert document["uri"] == job_uri(DEMO_PROJECT_UID, job_uid)
    assert document["created"].endswith("Z")
    # What the resource holds can be passed straight back to create_job.
    JobDefinition.model_validate(document["definition"])


async def test_a_run_report_resource_has_the_summary_and_every_device(
    client: Client, notehub: httpx.AsyncClient, clock: FakeClock
) -> None:
    job_uid = await create_job(notehub, staging_job(STAGING_FLEET_UID))
    report_uid = (await notehub.post(f"/jobs/{job_uid}/run", params={"dry_run": "true"})).json()["report_uid"]
    clock.advance(600)
    document = await read_json(client, run_uri(DEMO_PROJECT_UID, report_uid))
    notehub_view = (await notehub.get(f"/jobs/runs/{report_uid}", params={"view": "detail"})).json()
    assert document["report_uid"] == report_uid and document["dry_run"] is True
    assert document["status"] == "dry run completed successfully"
    assert document["job"] == job_uri(DEMO_PROJECT_UID, job_uid)
    assert "dry run completed successfully" in document["summary"]
    assert document["results"] == notehub_view["results"]
    assert document["completed"].endswith("Z")


async def test_uids_with_colons_read_whether_or_not_the_colon_is_encoded(
    client: Client, notehub: httpx.AsyncClient
) -> None:
    job_uid = await create_job(notehub, staging_job(STAGING_FLEET_UID))
    plain = f"notehub://projects/{DEMO_PROJECT_UID}/jobs/{job_uid}"
    encoded = plain.replace("app:", "app%3A")
    assert (await read_json(client, plain))["job_uid"] == job_uid
    assert (await read_json(client, encoded))["job_uid"] == job_uid


async def test_an_unknown_job_is_an_error_that_says_what_to_do(client: Client) -> None:
    with pytest.raises(MCPError) as failure:
        await client.read_resource(job_uri(DEMO_PROJECT_UID, "no-such:job/../x"))
    message = str(failure.value)
    assert "No job with job_uid" in message and "list_jobs" in message


async def test_the_schema_resource_validates_every_example(client: Client) -> None:
    schema = await read_json(client, SCHEMA_URI)
    assert schema["$id"] == SCHEMA_URI
    assert len(schema["examples"]) == 7
    validator = jsonschema.Draft202012Validator(schema)
    for example in schema["examples"]:
        validator.validate(example)
        JobDefinition.model_validate(example)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"select": {"all_devices": True}, "default_requests": {"vars_to_sett": {}}})
    assert schema["examples"] == EXAMPLES


@given(project=st.text(min_size=1, max_size=40), uid=st.text(min_size=1, max_size=40))
def test_resource_uris_round_trip_any_uid(project: str, uid: str) -> None:
    assert UriTemplate.parse(JOB_TEMPLATE).match(job_uri(project, uid)) == {
        "project_uid": project,
        "job_uid": uid,
    }
    assert UriTemplate.parse(RUN_TEMPLATE).match(run_uri(project, uid)) == {
        "project_uid": project,
        "report_uid": uid,
    }


def test_resource_uris_keep_notehub_uids_readable() -> None:
    assert job_uri("app:1234", "5678") == "notehub://projects/app:1234/jobs/5678"
    assert run_uri("com.example.ops:pumps", "job-1-1700000000000") == (
        "notehub://projects/com.example.ops:pumps/runs/job-1-1700000000000"
    )


async def test_prompts_are_listed_with_their_arguments(client: Client) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == {"change_fleet_env_vars", "investigate_failed_run"}
    args = {name: {a.name: a.required for a in p.arguments or []} for name, p in prompts.items()}
    assert args["change_fleet_env_vars"] == {"fleet_uid": True, "variables": True, "project_uid": False}
    assert args["investigate_failed_run"] == {"report_uid": True, "project_uid": False}


async def prompt_text(client: Client, name: str, **arguments: str) -> str:
    result = await client.get_prompt(name, arguments)
    (message,) = result.messages
    assert message.role == "user"
    return message.content.text  # type: ignore[union-attr]


async def test_the_fleet_prompt_writes_the_definition_and_the_safe_order(client: Client) -> None:
    text = await prompt_text(
        client, "change_fleet_env_vars", fleet_uid=STAGING_FLEET_UID, variables="log_level=3, debug_token=-"
    )
    definition = json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])
    assert JobDefinition.model_validate(definition).to_api() == {
        "comment": f"Set log_level, debug_token on fleet {STAGING_FLEET_UID}",
        "select": {"devices_in_fleets": [STAGING_FLEET_UID]},
        "default_requests": {"vars_to_set": {"log_level": "3", "debug_token": "-"}},
    }
    assert text.index("dry_run=true") < text.index("Ask me whether to go ahead") < text.index("dry_run=false")
    assert "not a name=value pair" not in text and "does not look like a fleet UID" not in text


async def test_the_fleet_prompt_flags_what_it_cannot_read(client: Client) -> None:
    text = await prompt_text(
        client, "change_fleet_env_vars", fleet_uid="Staging", variables="log_level=3, verbose"
    )
    assert '"verbose", which is not a name=value pair' in text
    assert '"Staging" does not look like a fleet UID' in text


async def test_the_investigation_prompt_reads_before_it_changes(client: Client) -> None:
    text = await prompt_text(
        client, "investigate_failed_run", report_uid="job-1-17", project_uid=DEMO_PROJECT_UID
    )
    assert "report_uid=job-1-17" in text and "status=failed" in text
    assert run_uri(DEMO_PROJECT_UID, "job-1-17") in text
    assert "Change nothing while investigating" in text


def test_parse_variables() -> None:
    assert parse_variables("a=1, b = two words ,c=") == ({"a": "1", "b": "two words", "c": ""}, [])
    assert parse_variables("a=1\n=2, x") == ({"a": "1"}, ["=2", "x"])
    assert parse_variables("url=http://x/?a=b") == ({"url": "http://x/?a=b"}, [])
