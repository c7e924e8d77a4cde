"""Notehub has bad minutes: every fault on every kind of call ends in a success after a retry, a
fast clear failure, or "check before retrying", and no job is ever created, run or changed twice.

The faults come from the simulator, which records every request that reached it, so each case
also counts the attempts and checks the simulator's state for what really happened.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Literal

import anyio
import httpx
import pytest
from mcp import Client

from notehub_jobs_mcp.config import Config
from notehub_jobs_mcp.retry import AttemptFailed, Retrier, RetryPolicy, retry_after_s
from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import DEVELOPER_TOKEN, STAGING_FLEET_UID, Simulator

from .conftest import Connect, SimAPI, config, job_uid_from, ok, report_uid_from, staging_job, text

pytestmark = pytest.mark.anyio

# Small numbers so that the whole matrix runs in seconds: attempts time out after 0.3 s, backoff
# starts at 10 ms, and one call may take 3 s in all.
FAST = {"timeout_s": 0.3, "connect_timeout_s": 0.3, "retry_budget_s": 3.0, "retry_base_delay_s": 0.01}

Outcome = Literal["retried", "fast", "check"]


def fast_config(**changes: Any) -> Config:
    return config(**{**FAST, **changes})


@dataclass
class Kind:
    """One kind of call: how to prepare it, make it, and count how often its change happened."""

    name: str
    method: str
    path: str
    prepare: Callable[[Client, SimAPI], Awaitable[dict[str, Any]]]
    tool: str
    effects: Callable[[SimAPI, dict[str, Any]], Awaitable[int]]
    check_hint: str
    """What the error must tell the model to look at before trying a write again."""


async def _new_job(client: Client, name: str = "fault matrix") -> str:
    out = await ok(client, "create_job", name=name, definition=staging_job(STAGING_FLEET_UID))
    return job_uid_from(out)


async def _prepare_read(client: Client, api: SimAPI) -> dict[str, Any]:
    return {}


async def _prepare_create(client: Client, api: SimAPI) -> dict[str, Any]:
    return {"name": "fault matrix", "definition": staging_job(STAGING_FLEET_UID)}


async def _prepare_run(client: Client, api: SimAPI) -> dict[str, Any]:
    return {"job_uid": await _new_job(client), "dry_run": True}


async def _prepare_cancel(client: Client, api: SimAPI) -> dict[str, Any]:
    job = await _new_job(client)
    # The simulator's clock stands still in these tests, so the run stays queued: cancellable.
    report = report_uid_from(await ok(client, "run_job", job_uid=job, dry_run=True))
    return {"report_uid": report, "_job": job}


async def _prepare_delete(client: Client, api: SimAPI) -> dict[str, Any]:
    return {"job_uid": await _new_job(client)}


async def _no_effect(api: SimAPI, args: dict[str, Any]) -> int:
    return 0


async def _jobs_created(api: SimAPI, args: dict[str, Any]) -> int:
    return sum(1 for job in await api.jobs() if job["name"] == "fault matrix")


async def _runs_started(api: SimAPI, args: dict[str, Any]) -> int:
    return len(await api.runs(args["job_uid"]))


async def _runs_cancelled(api: SimAPI, args: dict[str, Any]) -> int:
    runs = await api.runs(args["_job"])
    return sum(1 for run in runs if run["report_uid"] == args["report_uid"] and run["status"] == "cancelled")


async def _jobs_deleted(api: SimAPI, args: dict[str, Any]) -> int:
    return 0 if any(job["job_uid"] == args["job_uid"] for job in await api.jobs()) else 1


KINDS = {
    "read": Kind("read", "GET", "/jobs", _prepare_read, "list_jobs", _no_effect, ""),
    "create": Kind("create", "POST", "/jobs", _prepare_create, "create_job", _jobs_created, "list_jobs"),
    "run": Kind("run", "POST", "/run", _prepare_run, "run_job", _runs_started, "list_job_runs"),
    "cancel": Kind(
        "cancel", "POST", "/cancel", _prepare_cancel, "cancel_job_run", _runs_cancelled, "get_job_run"
    ),
    "delete": Kind("delete", "DELETE", "/jobs/", _prepare_delete, "delete_job", _jobs_deleted, "get_job"),
}
WRITES = ("create", "run", "cancel", "delete")

# fault name → (simulator fault, outcome for a read, outcome for a write, whether a write took effect)
FAULTS: dict[str, tuple[dict[str, Any], Outcome, Outcome, int]] = {
    "429 Retry-After 0": ({"status": 429, "retry_after": 0}, "retried", "fast", 0),
    "429 Retry-After 120": ({"status": 429, "retry_after": 120}, "fast", "fast", 0),
    "502": ({"status": 502}, "retried", "check", 0),
    "503": ({"status": 503}, "retried", "check", 0),
    "504": ({"status": 504}, "retried", "check", 0),
    "500": ({"status": 500}, "fast", "check", 0),
    "dropped connection": ({"drop": True}, "retried", "check", 0),
    "truncated answer": ({"truncate": True}, "retried", "check", 1),
    "time-out": ({"latency": 1.0}, "retried", "check", 0),
    "HTML page from a proxy (502)": (
        {"status": 502, "body": "<html><body><h1>502 Bad Gateway</h1></body></html>"},
        "retried",
        "check",
        0,
    ),
}

MATRIX = [
    pytest.param(fault, kind, id=f"{fault} on {kind}") for fault in FAULTS for kind in ("read", *WRITES)
]


@pytest.mark.parametrize("fault, kind_name", MATRIX)
async def test_fault_matrix(
    connect: Connect, sim: Simulator, api: SimAPI, fault: str, kind_name: str
) -> None:
    kind = KINDS[kind_name]
    spec, read_outcome, write_outcome, write_effect = FAULTS[fault]
    outcome = read_outcome if kind.name == "read" else write_outcome
    async with connect(fast_config()) as client:
        args = await kind.prepare(client, api)
        before = await kind.effects(api, args)
        await api.clear_requests()
        sim.inject_fault(**spec, method=kind.method, path_contains=kind.path)

        started = time.monotonic()
        result = await client.call_tool(kind.tool, {k: v for k, v in args.items() if not k.startswith("_")})
        elapsed = time.monotonic() - started
        out = text(result)

        attempts = [r for r in await api.requests() if r["method"] == kind.method]
        happened = await kind.effects(api, args) - before

        if outcome == "retried":
            assert not result.is_error, out
            assert len(attempts) == 2, attempts
        else:
            assert result.is_error, out
            assert len(attempts) == 1, f"a {kind.name} was sent {len(attempts)} times"
            assert "Whose problem:" in out and "What to do:" in out
        if outcome == "fast":
            assert elapsed < 1.0, elapsed
            if spec.get("status") == 429:
                assert "nothing was changed" in out
                assert f"Notehub asked to retry after {spec['retry_after']} s" in out
        if outcome == "check":
            assert kind.check_hint in out, out
            assert "may" in out  # "may have reached" / "may or may not have been made"
            if kind.name == "run":
                assert "do not call run_job again" in out.lower()
        # The whole point: a change happens at most once, and exactly as often as Notehub acted.
        assert happened == (write_effect if kind.name != "read" else 0), out
        # Still a working session afterwards.
        assert not (await client.call_tool("list_jobs", {})).is_error


async def test_a_read_waits_as_long_as_retry_after_says(connect: Connect, sim: Simulator) -> None:
    async with connect(fast_config()) as client:
        sim.inject_fault(status=429, retry_after=1, method="GET")
        started = time.monotonic()
        await ok(client, "list_jobs")
        assert 1.0 <= time.monotonic() - started < 2.0


async def test_a_read_that_keeps_failing_gives_up_within_the_budget(
    connect: Connect, sim: Simulator, api: SimAPI
) -> None:
    async with connect(fast_config(retry_budget_s=1.0)) as client:
        sim.inject_fault(latency=5.0, times=100, method="GET")
        started = time.monotonic()
        result = await client.call_tool("list_jobs", {})
        elapsed = time.monotonic() - started
    assert result.is_error
    assert elapsed < 1.5, elapsed
    out = text(result)
    assert "got no answer within 0.3 s" in out and "attempts" in out
    assert "Nothing was changed by this read" in out


async def test_a_read_that_keeps_getting_503_stops_after_a_few_attempts(
    connect: Connect, sim: Simulator, api: SimAPI
) -> None:
    async with connect(fast_config()) as client:
        await api.clear_requests()
        sim.inject_fault(status=503, times=100, method="GET")
        out = text(await client.call_tool("get_job", {"job_uid": "any"}))
    assert "server error (503), still after 4 attempts" in out
    assert "Notehub (not the request)" in out
    assert len(await api.requests()) == 4


@pytest.mark.parametrize(
    "body, described",
    [
        ("<html><body>Bad gateway</body></html>", "an HTML page, probably from a proxy"),
        ("", "the body was empty"),
        ('{"err": "truncat', "the body was not JSON"),
        ("[1, 2, 3]", "not Notehub's error format"),
    ],
)
async def test_odd_error_bodies_are_described_not_shown(
    connect: Connect, sim: Simulator, body: str, described: str
) -> None:
    async with connect(fast_config()) as client:
        sim.inject_fault(status=500, body=body, method="GET")
        out = text(await client.call_tool("list_jobs", {}))
    assert "server error (500)" in out and described in out
    assert "Notehub said" not in out


async def test_notehubs_err_is_shown_as_data_and_its_debug_fields_are_not(
    connect: Connect, sim: Simulator
) -> None:
    async with connect(fast_config()) as client:
        sim.inject_fault(status=500, echo=True, method="GET")
        out = text(await client.call_tool("list_jobs", {}))
    assert 'Notehub said: "' in out  # the err text, quoted as data…
    assert '"debug"' not in out and '"request"' not in out  # …and nothing else from the body
    assert DEVELOPER_TOKEN not in out and "<redacted>" in out  # the echoed credential is scrubbed


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("kind_name", ["read", *WRITES])
async def test_refused_connection_is_retried_and_then_said_plainly(kind_name: str) -> None:
    # Nothing was sent when the connection is refused, so even a write may be tried again.
    cfg = fast_config(api_url=f"http://127.0.0.1:{_closed_port()}", retry_budget_s=1.0)
    args = {
        "read": {},
        "create": {"name": "x", "definition": staging_job(STAGING_FLEET_UID)},
        "run": {"job_uid": "job-1", "dry_run": True},
        "cancel": {"report_uid": "run-1"},
        "delete": {"job_uid": "job-1"},
    }[kind_name]
    async with Client(create_server(cfg), mode="legacy") as client:
        started = time.monotonic()
        result = await client.call_tool(KINDS[kind_name].tool, args)
        elapsed = time.monotonic() - started
    out = text(result)
    assert result.is_error
    assert "could not reach Notehub at http://127.0.0.1:" in out and "ConnectError" in out
    assert "Nothing was sent, so nothing was changed" in out
    assert "attempts" in out  # it did try again
    assert elapsed < 1.5


async def test_concurrent_reads_under_rate_limiting_all_succeed(connect: Connect, sim: Simulator) -> None:
    async with connect(fast_config()) as client:
        sim.inject_fault(status=429, retry_after=0, times=10, method="GET")
        results: list[str] = []

        async def read() -> None:
            results.append(await ok(client, "list_jobs"))

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(read)
    assert len(results) == 10


# --- The retry policy itself, on a fake clock -------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _retrier(fake: FakeTime, **policy: Any) -> Retrier:
    return Retrier(RetryPolicy(**policy), clock=fake.clock, sleep=fake.sleep, rng=random.Random(4))


async def test_backoff_grows_exponentially_with_jitter_and_stops_at_max_attempts() -> None:
    fake = FakeTime()
    retrier = _retrier(fake, budget_s=100, base_delay_s=1.0, max_delay_s=3.0, max_attempts=5)
    sent = 0

    async def unavailable() -> httpx.Response:
        nonlocal sent
        sent += 1
        return httpx.Response(503)

    response, attempts = await retrier.send("GET", unavailable)
    assert response.status_code == 503 and sent == attempts.count == 5
    steps = [1.0, 2.0, 3.0, 3.0]  # doubling, capped at max_delay_s
    assert len(fake.sleeps) == 4
    for slept, step in zip(fake.sleeps, steps, strict=True):
        assert step / 2 <= slept <= step
    assert len(set(fake.sleeps)) == 4  # jittered, not a fixed schedule


async def test_the_budget_bounds_attempts_and_waits() -> None:
    fake = FakeTime()
    retrier = _retrier(fake, budget_s=5.0, attempt_timeout_s=2.0, base_delay_s=1.0, max_attempts=10)

    async def slow_503() -> httpx.Response:
        fake.now += 1.5
        return httpx.Response(503)

    _, attempts = await retrier.send("GET", slow_503)
    assert fake.now <= 5.0 and attempts.count < 10


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_a_write_is_never_resent_after_a_lost_answer_but_is_when_nothing_was_sent(method: str) -> None:
    fake = FakeTime()
    retrier = _retrier(fake, budget_s=10.0, base_delay_s=0.1)
    failures = [httpx.ConnectError("refused"), httpx.ReadError("reset by peer")]
    sent = 0

    async def flaky() -> httpx.Response:
        nonlocal sent
        sent += 1
        raise failures.pop(0)

    with pytest.raises(AttemptFailed) as failed:
        await retrier.send(method, flaky)
    # The refused connection was tried again; the reset after sending was not.
    assert sent == 2 and not failed.value.never_sent and isinstance(failed.value.cause, httpx.ReadError)


def test_retry_after_may_be_seconds_or_an_http_date() -> None:
    assert retry_after_s(httpx.Response(429, headers={"Retry-After": "7"})) == 7
    later = formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after_s(httpx.Response(429, headers={"Retry-After": later})) or 0) <= 31
    assert retry_after_s(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after_s(httpx.Response(429)) is None
