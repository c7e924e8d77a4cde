"""Whatever the model sends, the server answers with a tool result (never a crash, never a
protocol error), and only ever requests paths inside the project's jobs.

Random UIDs (path characters, dots, percent signs, controls, unicode), random job definitions
(right and wrong shapes, objects sent as JSON strings) and arguments of the wrong JSON type are
thrown at every tool, through a real MCP session, against the simulator, which records every
request that reached it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult

from notehub_jobs_mcp import paths
from notehub_jobs_mcp.models import JobDefinition
from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, STAGING_FLEET_UID, Simulator

from .conftest import SIM_URL, config


class Schemas(dict[str, dict[str, Any]]):
    def __repr__(self) -> str:  # keeps Hypothesis' report of a failing example short
        return "<tool schemas>"


@dataclass
class Harness:
    portal: BlockingPortal
    client: Client
    sim: Simulator
    schemas: Schemas
    known_uids: list[str]
    """Real job and report UIDs, so that odd arguments also reach the paths that succeed."""

    def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        return self.portal.call(self.client.call_tool, tool, arguments)


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    # One session for all examples: the server must survive every one of them in a row.
    sim = Simulator(devices=20, seed=11, pace=0.01)
    server = create_server(
        config(timeout_s=2.0, retry_budget_s=2.0, retry_base_delay_s=0.01),
        transport=httpx.ASGITransport(app=sim.app),
    )
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(Client(server, mode="legacy")) as client,
    ):
        tools = portal.call(client.list_tools).tools
        known = [job["job_uid"] for job in portal.call(_seeded_jobs, sim)]
        known += [report for job in known for report in portal.call(_seeded_runs, sim, job)]
        yield Harness(portal, client, sim, Schemas({t.name: t.input_schema for t in tools}), known)


async def _seeded_jobs(sim: Simulator) -> list[dict[str, Any]]:
    async with _sim_http(sim) as http:
        return list((await http.get(f"/v1/projects/{DEMO_PROJECT_UID}/jobs")).json()["jobs"])


async def _seeded_runs(sim: Simulator, job_uid: str) -> list[str]:
    async with _sim_http(sim) as http:
        runs = (await http.get(f"/v1/projects/{DEMO_PROJECT_UID}/jobs/{job_uid}/runs")).json()["runs"]
    return [run["report_uid"] for run in runs]


def _sim_http(sim: Simulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url=SIM_URL,
        headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"},
    )


# --- Strategies ---------------------------------------------------------------------------------

HOSTILE = [
    "..", ".", "...", "../..", "/", "a/b", "?x=1", "x?dry_run=false", "#", "x#y", "%", "%2F", "%2e%2e",
    "..%2F..", " ", " a ", "a b", "\t", "\n", "\x00", "\u202e", "\u200b", "runs", "run", "cancel",
    "jobs", "app:x/../../devices", "\\..\\", "é", "🙂", ";", "&dry_run=false", "x" * 300,
]  # fmt: skip
uids = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.text(alphabet="./%?#: \\", max_size=8))


def _field_names() -> list[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(JobDefinition.model_json_schema())
    return sorted(names)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20), uids
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(_field_names()), st.text(max_size=8)), children, max_size=4
        ),
    ),
    max_leaves=12,
)
plausible_definitions = st.fixed_dictionaries(
    {"select": st.fixed_dictionaries({"devices_in_fleets": st.just([STAGING_FLEET_UID])})},
    optional={
        "default_requests": st.fixed_dictionaries(
            {"vars_to_set": st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=3)}
        ),
        "comment": st.text(max_size=30),
    },
)
definitions = st.one_of(
    json_values,
    plausible_definitions,
    plausible_definitions.map(json.dumps),  # an object sent as a JSON string
    json_values.map(json.dumps),
)
booleanish = st.sampled_from(
    [True, False, "true", "false", "TRUE", " true ", "yes", "no", "off", "0", "1", 0, 1, "", None, [], {}]
)


def value_for(name: str, draw: st.DrawFn, known_uids: list[str]) -> Any:
    if draw(st.integers(0, 9)) == 0:  # now and then, anything at all: the wrong JSON type
        return draw(json_values)
    if name == "project_uid":
        return draw(st.one_of(st.sampled_from([DEMO_PROJECT_UID, f" {DEMO_PROJECT_UID} ", ""]), uids))
    if name.endswith("_uid"):
        return draw(st.one_of(uids, st.sampled_from(known_uids)))
    if name == "name":
        return draw(st.one_of(st.text(min_size=1, max_size=30), scalars))
    if name == "definition":
        return draw(definitions)
    if name == "dry_run":
        return draw(booleanish)
    if name == "wait_seconds":
        return draw(st.sampled_from([0, -1, 10**9, "0", 1.5, None]))
    if name in ("limit", "offset"):
        return draw(st.one_of(st.integers(-5, 500), st.just("10")))
    return draw(st.one_of(st.text(max_size=30), scalars))


@st.composite
def tool_calls(draw: st.DrawFn, harness: Harness) -> tuple[str, dict[str, Any]]:
    schemas = harness.schemas
    tool = draw(st.sampled_from(sorted(schemas)))
    properties = schemas[tool].get("properties", {})
    required = set(schemas[tool].get("required", []))
    arguments = {}
    for name in properties:
        if name in required or draw(st.integers(0, 3)) == 0:
            arguments[name] = value_for(name, draw, harness.known_uids)
    if draw(st.integers(0, 9)) == 0:
        arguments.pop(draw(st.sampled_from(sorted(properties))), None) if properties else None
    if draw(st.integers(0, 9)) == 0:
        arguments[draw(st.text(min_size=1, max_size=10))] = draw(scalars)
    return tool, arguments


# --- The properties ---------------------------------------------------------------------------

# What may follow /v1/projects/{project}/jobs: (shape, which arguments the variable parts are).
SHAPES = {
    (): (),
    ("*",): ("job_uid",),
    ("*", "run"): ("job_uid",),
    ("*", "runs"): ("job_uid",),
    ("runs", "*"): ("report_uid",),
    ("runs", "*", "cancel"): ("report_uid",),
}


def _expected_project(arguments: dict[str, Any]) -> str:
    given = arguments.get("project_uid")
    if isinstance(given, str) and given.strip():
        return given.strip()
    return DEMO_PROJECT_UID


def _check_path(raw_path: str, arguments: dict[str, Any]) -> None:
    parts = raw_path.split("/")
    assert parts[:3] == ["", "v1", "projects"], raw_path
    assert parts[3] == paths.segment(_expected_project(arguments)), raw_path
    assert parts[4] == "jobs", raw_path
    rest = _tail(raw_path)
    job_uid = arguments.get("job_uid")
    # run_job reads back the run it just started, which Notehub names <job_uid>-<milliseconds>.
    if (
        len(rest) == 2
        and rest[0] == "runs"
        and isinstance(job_uid, str)
        and unquote(rest[1]).startswith(job_uid.strip() + "-")
    ):
        return
    matching = []
    for shape, names in SHAPES.items():
        if len(shape) != len(rest) or any(s != "*" and s != r for s, r in zip(shape, rest, strict=True)):
            continue
        variables = [r for s, r in zip(shape, rest, strict=True) if s == "*"]
        given = [arguments.get(name) for name in names]
        if all(isinstance(g, str) and unquote(v) == g.strip() for v, g in zip(variables, given, strict=True)):
            matching.append(shape)
    assert matching, f"{raw_path} is not a path these arguments should produce: {arguments!r}"


def _tail(raw_path: str) -> list[str]:
    """What follows /v1/projects/{project}/jobs."""
    return raw_path.split("/")[5:]


def _clearly_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


@given(data=st.data())
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_arguments_to_any_tool_get_a_tool_result_and_stay_inside_the_projects_jobs(
    harness: Harness, data: st.DataObject
) -> None:
    tool, arguments = data.draw(tool_calls(harness), label="call")
    harness.sim.requests.clear()

    result = harness.call(tool, arguments)  # a protocol-level error would raise here

    event(f"{tool}: {'tool error' if result.is_error else 'success'}")
    event(f"requests that reached Notehub: {min(len(harness.sim.requests.entries), 3)}")
    assert isinstance(result, CallToolResult)
    # Text for the model first; besides it only links to resources (a job, a run report).
    assert result.content and result.content[0].type == "text"
    assert all(block.type in ("text", "resource_link") for block in result.content)
    assert "Traceback" not in result.content[0].text  # type: ignore[union-attr]
    for request in harness.sim.requests.entries:
        _check_path(request["raw_path"], arguments)
        query = dict(parse_qsl(request["raw_query"]))
        if request["method"] == "POST" and _tail(request["raw_path"])[1:] == ["run"]:
            # Only an unmistakable false may start a real run.
            assert query.get("dry_run") in ("true", "false"), request
            if query["dry_run"] == "false":
                assert _clearly_false(arguments.get("dry_run")), arguments


def test_the_session_is_still_healthy_after_the_fuzzing(harness: Harness) -> None:
    result = harness.call("list_jobs", {})
    assert not result.is_error
