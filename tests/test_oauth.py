"""OAuth2 client credentials against the simulator: one token fetched, reused, and renewed when due."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from notehub_jobs_mcp.auth import ClientCredentialsAuth
from notehub_jobs_mcp.config import Config, Secret
from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, Simulator

from .conftest import SIM_URL, Connect, FakeClock, SimAPI, fails, ok

pytestmark = pytest.mark.anyio

JOBS = f"/v1/projects/{DEMO_PROJECT_UID}/jobs"
LIFETIME = 1800  # the simulator's token lifetime, on its clock


def oauth_config(**changes: object) -> Config:
    base = Config(
        api_url=SIM_URL,
        client_id=OAUTH_CLIENT_ID,
        client_secret=Secret(OAUTH_CLIENT_SECRET),
        project_uid=DEMO_PROJECT_UID,
    )
    return base.with_overrides(**changes)


async def token_posts(api: SimAPI) -> int:
    return sum(1 for r in await api.requests() if r["method"] == "POST" and r["path"] == "/oauth2/token")


class SeenTokens(httpx.AsyncBaseTransport):
    """Passes requests to the simulator and remembers the bearer token each API request carried."""

    def __init__(self, sim: Simulator) -> None:
        self._inner = httpx.ASGITransport(app=sim.app)
        self.bearers: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/oauth2/token":
            self.bearers.append(request.headers.get("Authorization", ""))
        return await self._inner.handle_async_request(request)


@pytest.fixture
def seen(sim: Simulator) -> SeenTokens:
    return SeenTokens(sim)


@pytest.fixture
async def http(
    seen: SeenTokens, clock: FakeClock
) -> AsyncIterator[tuple[httpx.AsyncClient, ClientCredentialsAuth]]:
    # The auth runs on the same fake clock as the simulator, so a test can move both past expiry.
    auth = ClientCredentialsAuth(
        SIM_URL + "/oauth2/token", OAUTH_CLIENT_ID, Secret(OAUTH_CLIENT_SECRET), clock=clock
    )
    async with httpx.AsyncClient(base_url=SIM_URL, transport=seen, auth=auth) as client:
        yield client, auth


async def test_the_server_fetches_one_token_and_reuses_it(connect: Connect, api: SimAPI) -> None:
    async with connect(oauth_config()) as client:
        assert "Project" in await ok(client, "list_jobs")
        await ok(client, "list_jobs")
        await ok(client, "list_jobs")
    assert await token_posts(api) == 1
    form = next(r for r in await api.requests() if r["path"] == "/oauth2/token")
    assert form["method"] == "POST"


async def test_concurrent_calls_share_one_token_fetch(connect: Connect, api: SimAPI) -> None:
    async with connect(oauth_config()) as client, anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(ok, client, "list_jobs")
    assert await token_posts(api) == 1
    assert sum(1 for r in await api.requests() if r["path"] == JOBS) == 8


async def test_token_is_reused_until_shortly_before_it_expires(
    http: tuple[httpx.AsyncClient, ClientCredentialsAuth], seen: SeenTokens, clock: FakeClock
) -> None:
    client, auth = http
    assert (await client.get(JOBS)).status_code == 200
    clock.advance(LIFETIME - 120)  # still well inside its life: reused
    assert (await client.get(JOBS)).status_code == 200
    assert auth.fetches == 1 and len(set(seen.bearers)) == 1
    assert auth.expires_in == LIFETIME

    clock.advance(90)  # 30 s before expiry: inside the margin, so renewed before it is sent
    assert (await client.get(JOBS)).status_code == 200
    assert auth.fetches == 2
    assert len(set(seen.bearers)) == 2
    assert seen.bearers[-1] != seen.bearers[0]


async def test_a_401_fetches_a_new_token_once_and_retries(
    sim: Simulator, seen: SeenTokens, clock: FakeClock
) -> None:
    # The auth's own clock stands still while Notehub's moves past the token's expiry, so the
    # first sign of expiry is Notehub's 401.
    auth = ClientCredentialsAuth(
        SIM_URL + "/oauth2/token", OAUTH_CLIENT_ID, Secret(OAUTH_CLIENT_SECRET), clock=lambda: 0.0
    )
    async with httpx.AsyncClient(base_url=SIM_URL, transport=seen, auth=auth) as client:
        assert (await client.get(JOBS)).status_code == 200
        clock.advance(LIFETIME + 1)
        response = await client.get(JOBS)
    assert response.status_code == 200
    assert auth.fetches == 2
    assert len(seen.bearers) == 3  # ok, 401 with the expired token, ok with the new one
    assert seen.bearers[1] == seen.bearers[0] != seen.bearers[2]


async def test_a_401_that_persists_is_not_retried_again(
    connect: Connect, sim: Simulator, api: SimAPI
) -> None:
    async with connect(oauth_config()) as client:
        await ok(client, "list_jobs")
        sim.inject_fault(status=401, times=5, method="GET", path_contains="/jobs")
        out = await fails(client, "list_jobs")
    assert "401" in out
    assert await token_posts(api) == 2  # the first token, and one refresh: no loop
    assert sum(1 for r in await api.requests() if r["path"] == JOBS) == 3


async def test_wrong_client_secret_is_a_configuration_error_without_the_secret(
    connect: Connect, api: SimAPI
) -> None:
    wrong = "not-the-right-secret-1234"
    async with connect(oauth_config(client_secret=Secret(wrong))) as client:
        out = await fails(client, "list_jobs")
    assert "refused the OAuth client credentials (401)" in out
    assert "NOTEHUB_CLIENT_SECRET" in out
    assert "configuration" in out
    assert wrong not in out and OAUTH_CLIENT_SECRET not in out
    assert sum(1 for r in await api.requests() if r["path"] == JOBS) == 0


async def test_half_a_pair_of_client_credentials_is_not_configured(connect: Connect, api: SimAPI) -> None:
    async with connect(Config(api_url=SIM_URL, client_id=OAUTH_CLIENT_ID, project_uid=DEMO_PROJECT_UID)) as c:
        out = await fails(c, "list_jobs")
    assert "No Notehub credentials" in out
    assert "NOTEHUB_CLIENT_ID and NOTEHUB_CLIENT_SECRET" in out
    assert await api.requests() == []


async def test_neither_token_nor_secret_is_ever_logged(
    connect: Connect, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with connect(oauth_config()) as client:
        await ok(client, "list_jobs")
        sim.inject_fault(status=401, times=1, method="GET", path_contains="/jobs")
        await ok(client, "list_jobs")
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert "oauth2/token" in logged, "expected httpx to log its requests at DEBUG"
    # Every token the simulator issues starts with this prefix.
    assert "sim-oauth-" not in logged
    assert OAUTH_CLIENT_SECRET not in logged
    assert OAUTH_CLIENT_SECRET not in repr(oauth_config())
