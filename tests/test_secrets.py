"""No secret ever leaves the server: not in a tool result, an error, a log line at any level, a
repr, or text Notehub (or a proxy) echoes back.

A distinctive canary token is configured, every tool is driven through every failure mode, and
everything the server said is searched for it.
"""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import Client

from notehub_jobs_mcp.client import NotehubClient
from notehub_jobs_mcp.config import Config, ConfigError, Secret
from notehub_jobs_mcp.logs import FORMAT
from notehub_jobs_mcp.redaction import RedactingFormatter, remember, scrub
from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import (
    DEMO_PROJECT_UID,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    STAGING_FLEET_UID,
    Simulator,
)

from .conftest import SIM_URL, staging_job

pytestmark = pytest.mark.anyio

CANARY = "canary-7f3a9c1e5b2d4f60-secret"
MCP_CANARY = "mcp-canary-0d9e8f7a6b5c4d3e"
# Access tokens the simulator hands out for client credentials all start like this.
OAUTH_TOKEN_PREFIX = "sim-oauth-"
FAST = {"timeout_s": 0.1, "connect_timeout_s": 0.1, "retry_budget_s": 0.3, "retry_base_delay_s": 0.01}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


FAILURE_MODES: dict[str, dict[str, Any]] = {
    "401": {"fault": {"status": 401, "echo": True}},
    "401 from Notehub": {"unknown_token": True},
    "500 echoing the request": {"fault": {"status": 500, "echo": True}},
    "refused connection": {"refused": True},
    "time-out": {"fault": {"latency": 2.0}},
    "no failure": {},
}


def _arguments(job_uid: str, report_uid: str) -> dict[str, dict[str, Any]]:
    return {
        "list_jobs": {},
        "create_job": {"name": "canary", "definition": staging_job(STAGING_FLEET_UID)},
        "get_job": {"job_uid": job_uid},
        "run_job": {"job_uid": job_uid, "dry_run": True},
        "list_job_runs": {"job_uid": job_uid},
        "get_job_run": {"report_uid": report_uid},
        "cancel_job_run": {"report_uid": report_uid},
        "delete_job_run": {"report_uid": report_uid},
        "delete_job": {"job_uid": job_uid},
    }


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Every log record, at every level, as the server's own (scrubbing) handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(FORMAT))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@asynccontextmanager
async def session(cfg: Config, sim: Simulator, *, refused: bool = False) -> AsyncIterator[Client]:
    transport = None if refused else httpx.ASGITransport(app=sim.app)
    async with Client(create_server(cfg, transport=transport), mode="legacy") as client:
        yield client


def _sim() -> Simulator:
    return Simulator(
        devices=20, seed=7, pace=0.01, extra_tokens={CANARY: ("developer", "canary@example.com")}
    )


async def _existing_ids(sim: Simulator, cfg: Config) -> tuple[str, str]:
    async with NotehubClient(cfg, transport=httpx.ASGITransport(app=sim.app)) as client:
        jobs = await client.list_jobs(DEMO_PROJECT_UID)
        job = jobs[0].job_uid
        report = await client.run_job(DEMO_PROJECT_UID, job, dry_run=True)
    return job, report


def _assert_no_secret(where: str, output: str) -> None:
    for secret in (CANARY, MCP_CANARY, OAUTH_CLIENT_SECRET):
        assert secret not in output, f"{where} leaked a secret"
    assert OAUTH_TOKEN_PREFIX not in output, f"{where} leaked an OAuth access token"


@pytest.mark.parametrize("mode", FAILURE_MODES)
@pytest.mark.parametrize("auth", ["token", "client credentials"])
async def test_every_tool_in_every_failure_mode_keeps_the_secrets(
    mode: str, auth: str, log_output: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    sim = _sim()
    spec = FAILURE_MODES[mode]
    credentials: dict[str, Any] = (
        {"token": Secret(CANARY)}
        if auth == "token"
        else {"client_id": OAUTH_CLIENT_ID, "client_secret": Secret(OAUTH_CLIENT_SECRET)}
    )
    base = Config(api_url=SIM_URL, project_uid=DEMO_PROJECT_UID, mcp_auth_token=Secret(MCP_CANARY), **FAST)
    job, report = await _existing_ids(sim, base.with_overrides(token=Secret(CANARY)))
    cfg = base.with_overrides(**credentials)
    if spec.get("unknown_token"):
        cfg = cfg.with_overrides(token=Secret(CANARY + "-revoked"), client_secret=Secret("wrong-" + CANARY))
    if spec.get("refused"):
        cfg = cfg.with_overrides(api_url=f"http://127.0.0.1:{_closed_port()}")
    if "fault" in spec:
        sim.inject_fault(**spec["fault"], times=1000)

    results: list[str] = []
    errors: dict[str, bool] = {}
    async with session(cfg, sim, refused=bool(spec.get("refused"))) as client:
        arguments = _arguments(job, report)
        for tool in [tool.name for tool in (await client.list_tools()).tools]:
            result = await client.call_tool(tool, arguments.get(tool, {}))
            results.append(repr(result))
            errors[tool] = bool(result.is_error)
    assert set(arguments) <= set(errors), "a tool was not driven"
    if mode != "no failure":
        assert all(errors.values()), errors  # every tool really went through the failure

    _assert_no_secret("a tool result", "\n".join(results))
    _assert_no_secret("the log", log_output.getvalue())
    captured = capfd.readouterr()
    _assert_no_secret("stdout or stderr", captured.out + captured.err)
    assert log_output.getvalue(), "nothing was logged: the log check would prove nothing"


async def test_configuration_and_client_reprs_show_no_secret() -> None:
    cfg = Config(
        token=Secret(CANARY),
        client_id=OAUTH_CLIENT_ID,
        client_secret=Secret(OAUTH_CLIENT_SECRET),
        mcp_auth_token=Secret(MCP_CANARY),
    )
    async with NotehubClient(cfg) as client:
        shown = [
            repr(cfg),
            str(cfg),
            f"{cfg}",
            repr(client),
            repr(client._connection()),
            repr(client._connection().auth),
        ]
        shown.append(repr(client._connection().build_request("GET", "/v1/projects/x/jobs").headers))
    _assert_no_secret("a repr", "\n".join(shown))


@pytest.mark.parametrize(
    "echoed",
    [
        f"Authorization: Bearer {CANARY}",
        f'{{"authorization": "Bearer {CANARY}"}}',
        f"grant_type=client_credentials&client_id=x&client_secret={OAUTH_CLIENT_SECRET}&scope=",
        "Bearer sim-oauth-0123456789abcdef0123456789abcdef",
        f"GET https://me:{CANARY}@api.notefile.net/v1/projects failed",
        f"GET https://api.notefile.net/v1/projects?token={CANARY}&x=1 failed",
        "Basic c2ltLWNsaWVudC1pZDpzaW0tY2xpZW50LXNlY3JldA==",
    ],
)
def test_the_scrubber_catches_echoed_credentials(echoed: str) -> None:
    remember(CANARY, OAUTH_CLIENT_SECRET)
    _assert_no_secret("scrub()", scrub(f"upstream said: {echoed} (debug)"))
    assert "c2ltLWNsaWVudC1pZDpzaW0tY2xpZW50LXNlY3JldA" not in scrub(echoed)


def test_the_scrubber_leaves_ordinary_text_alone() -> None:
    prose = "Use a bearer token or basic authentication; the job_uid is 05628748-943e-425a-b053-6e9b8742ced2."
    assert scrub(prose) == prose


def test_a_log_line_with_a_secret_in_its_message_or_traceback_is_scrubbed(log_output: io.StringIO) -> None:
    remember(CANARY)
    log = logging.getLogger("notehub_jobs_mcp.test")
    try:
        raise RuntimeError(f"upstream echoed Authorization: Bearer {CANARY}")
    except RuntimeError:
        log.exception("request failed with token %s", CANARY)
    written = log_output.getvalue()
    assert "request failed with token <redacted>" in written and "RuntimeError" in written
    _assert_no_secret("a log line", written)


def test_a_url_with_credentials_in_it_is_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigError) as refused:
        Config.from_env({"NOTEHUB_API_URL": f"https://me:{CANARY}@api.notefile.net"})
    assert "NOTEHUB_API_TOKEN" in str(refused.value)
    _assert_no_secret("a configuration error", str(refused.value))
