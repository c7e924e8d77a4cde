"""The safe path is the easy one: read-only mode, dry run first, and the person's confirmation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult

from notehub_jobs_mcp.http_transport import http_app
from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import STAGING_FLEET_UID, Simulator
from notehub_jobs_mcp.simulator.background import serve_in_background

from .conftest import (
    Connect,
    FakeClock,
    SimAPI,
    config,
    fails,
    job_uid_from,
    ok,
    report_uid_from,
    staging_job,
)

pytestmark = pytest.mark.anyio

READ_TOOLS = {"list_jobs", "get_job", "list_job_runs", "get_job_run"}
WRITE_TOOLS = {"create_job", "delete_job", "run_job", "cancel_job_run", "delete_job_run"}
PROTOCOLS = ["legacy", "2026-07-28"]


async def _dry_run_done(client: Client, clock: FakeClock, job_uid: str) -> str:
    report = report_uid_from(await ok(client, "run_job", job_uid=job_uid, dry_run=True))
    clock.advance(600)
    assert "dry run completed successfully" in await ok(client, "get_job_run", report_uid=report)
    return report


async def _staging(client: Client) -> str:
    return job_uid_from(
        await ok(client, "create_job", name="Staging logs", definition=staging_job(STAGING_FLEET_UID))
    )


# --- Read-only mode -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_read_only_offers_only_reads_and_refuses_writes(
    connect: Connect, api: SimAPI, mode: str
) -> None:
    job = (await api.jobs())[0]["job_uid"]
    before = await api.jobs()
    async with connect(config(read_only=True), mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == READ_TOOLS
        for tool, args in [
            ("run_job", {"job_uid": job, "dry_run": True}),
            ("delete_job", {"job_uid": job}),
            ("create_job", {"name": "x", "definition": {}}),
        ]:
            err = await fails(client, tool, **args)
            assert "read-only" in err and "Nothing was changed" in err
        assert "jobs, newest first" in await ok(client, "list_jobs")
    assert await api.jobs() == before


# --- Dry run first --------------------------------------------------------------------------------


async def test_real_run_is_refused_until_a_dry_run_has_finished(
    client: Client, api: SimAPI, clock: FakeClock
) -> None:
    job = await _staging(client)
    err = await fails(client, "run_job", job_uid=job, dry_run=False)
    assert "Refused" in err and "dry_run=true first" in err
    assert await api.runs(job) == []

    # A dry run still in progress does not count either.
    report_uid_from(await ok(client, "run_job", job_uid=job, dry_run=True))
    assert "Refused" in await fails(client, "run_job", job_uid=job, dry_run=False)

    clock.advance(600)
    out = await ok(client, "run_job", job_uid=job, dry_run=False)
    assert "real run — changes are applied" in out
    assert [r["dry_run"] for r in await api.runs(job)] == [False, True]


async def test_the_dry_run_rule_can_be_turned_off(connect: Connect, api: SimAPI) -> None:
    async with connect(config(require_dry_run=False)) as client:
        job = await _staging(client)
        assert "real run" in await ok(client, "run_job", job_uid=job, dry_run=False)


# --- Confirmation by the person -------------------------------------------------------------------


class Person:
    """An elicitation callback that answers as told and remembers what it was shown."""

    def __init__(self, action: str, confirm: bool = True) -> None:
        self.action = action
        self.confirm = confirm
        self.asked: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        content: dict[str, Any] | None = {"confirm": self.confirm} if self.action == "accept" else None
        return ElicitResult(action=self.action, content=content)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_accepted_confirmation_runs_and_shows_what_the_dry_run_said(
    connect: Connect, api: SimAPI, clock: FakeClock, mode: str
) -> None:
    person = Person("accept")
    async with connect(elicitation_callback=person, mode=mode) as client:
        job = await _staging(client)
        await _dry_run_done(client, clock, job)
        assert person.asked == [], "a dry run is not confirmed"
        assert "real run" in await ok(client, "run_job", job_uid=job, dry_run=False)
    assert len(person.asked) == 1
    message = person.asked[0]
    assert '"Staging logs"' in message and "for real" in message
    assert "selected 11 devices" in message and 'vars_set "log_level=3"' in message
    assert [r["dry_run"] for r in await api.runs(job)] == [False, True]


@pytest.mark.parametrize("mode", PROTOCOLS)
@pytest.mark.parametrize(
    "person, said",
    [
        (Person("decline"), "declined"),
        (Person("cancel"), "cancelled"),
        (Person("accept", confirm=False), "unticked"),
    ],
)
async def test_declined_or_cancelled_confirmation_changes_nothing(
    connect: Connect, api: SimAPI, clock: FakeClock, mode: str, person: Person, said: str
) -> None:
    async with connect(elicitation_callback=person, mode=mode) as client:
        job = await _staging(client)
        dry = await _dry_run_done(client, clock, job)
        err = await fails(client, "run_job", job_uid=job, dry_run=False)
        assert said in err and "Nothing was changed" in err
        assert said in await fails(client, "delete_job_run", report_uid=dry)
        assert said in await fails(client, "delete_job", job_uid=job)
    assert [r["report_uid"] for r in await api.runs(job)] == [dry]
    assert job in {j["job_uid"] for j in await api.jobs()}
    assert any("cannot be undone" in m for m in person.asked)


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_deletions_are_confirmed_then_done(
    connect: Connect, api: SimAPI, clock: FakeClock, mode: str
) -> None:
    person = Person("accept")
    async with connect(elicitation_callback=person, mode=mode) as client:
        job = await _staging(client)
        dry = await _dry_run_done(client, clock, job)
        assert "Deleted the results" in await ok(client, "delete_job_run", report_uid=dry)
        assert "Deleted job" in await ok(client, "delete_job", job_uid=job)
    status = '"dry run completed successfully"'
    assert [m.split("?")[0] for m in person.asked] == [
        f'Delete the results of the dry run {dry} of job "Staging logs" (status {status})',
        f'Delete job "Staging logs" ({job}) and its 0 runs',
    ]


async def test_a_client_without_elicitation_is_not_blocked(
    client: Client, api: SimAPI, clock: FakeClock
) -> None:
    job = await _staging(client)
    dry = await _dry_run_done(client, clock, job)
    assert "real run" in await ok(client, "run_job", job_uid=job, dry_run=False)
    assert "Deleted the results" in await ok(client, "delete_job_run", report_uid=dry)


# --- The guarded tools' annotations say so ---------------------------------------------------------


async def test_annotations_mark_reads_writes_and_destruction(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    for name, tool in tools.items():
        ann = tool.annotations
        assert ann is not None and ann.title and tool.title == ann.title
        assert ann.open_world_hint is True
        assert ann.read_only_hint is (name in READ_TOOLS)
        assert ann.destructive_hint is (name in {"delete_job", "delete_job_run", "run_job", "cancel_job_run"})
        assert ann.idempotent_hint is (name not in {"create_job", "run_job"})


async def test_over_stateless_http_the_2026_protocol_still_asks_the_person() -> None:
    # Stateless HTTP keeps no session between requests, so only the 2026-07-28 protocol (whose
    # input-required rounds carry the question in the call itself) can ask; see the README.
    simulator = Simulator(pace=0.0)
    app = http_app(create_server(config(), transport=httpx.ASGITransport(app=simulator.app)))
    person = Person("decline")
    async with (
        serve_in_background(app, lifespan="on") as base,
        Client(f"{base}/mcp", mode="2026-07-28", elicitation_callback=person) as client,
    ):
        job = await _staging(client)
        await ok(client, "run_job", job_uid=job, dry_run=True, wait_seconds=5)
        err = await fails(client, "run_job", job_uid=job, dry_run=False)
    assert "declined" in err and len(person.asked) == 1


class SilentPerson(Person):
    """Accepts, but sends no content: not a yes."""

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        return ElicitResult(action="accept", content={})


async def test_an_accept_without_the_tick_is_not_a_yes(
    connect: Connect, api: SimAPI, clock: FakeClock
) -> None:
    async with connect(elicitation_callback=SilentPerson("accept")) as client:
        job = await _staging(client)
        await _dry_run_done(client, clock, job)
        err = await fails(client, "run_job", job_uid=job, dry_run=False)
    assert "unticked" in err and "Nothing was changed" in err and "notehub_jobs_mcp" not in err
    assert len(await api.runs(job)) == 1


async def test_a_real_run_without_a_confirmation_says_the_user_was_not_asked(
    client: Client, clock: FakeClock
) -> None:
    job = await _staging(client)
    dry = await ok(client, "run_job", job_uid=job, dry_run=True)
    assert "not asked to confirm" not in dry
    clock.advance(600)
    real = await ok(client, "run_job", job_uid=job, dry_run=False)
    assert "the user was not asked to confirm this real run" in real
