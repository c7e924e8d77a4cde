"""Per-call overhead and concurrency: real client sessions, real HTTP to the simulator on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from mcp import Client

from .measure import Plan, Row, atimed, median, ms, within
from .servers import Notehub

PER_CALL_AIM = 1.2
WARM_UP_CALLS = 5

Call = Callable[[], Awaitable[None]]


def get_job(client: Client, notehub: Notehub) -> Call:
    arguments = {"job_uid": notehub.job_uid}

    async def call() -> None:
        result = await client.call_tool("get_job", arguments)
        if result.is_error:
            raise RuntimeError(f"get_job failed: {result.content}")

    return call


def echo(client: Client) -> Call:
    async def call() -> None:
        result = await client.call_tool("echo", {"text": "ping"})
        if result.is_error:
            raise RuntimeError(f"echo failed: {result.content}")

    return call


def direct_get(notehub: Notehub) -> Call:
    async def call() -> None:
        response = await notehub.http.get(notehub.job_path)
        response.raise_for_status()

    return call


async def sequential(call: Call, n: int) -> None:
    for _ in range(n):
        await call()


async def per_call_seconds(call: Call, n: int) -> float:
    return await atimed(lambda: sequential(call, n)) / n


async def per_call(plan: Plan, ours: Client, floor: Client, notehub: Notehub) -> list[Row]:
    calls = {"ours": get_job(ours, notehub), "http": direct_get(notehub), "floor": echo(floor)}
    for call in calls.values():
        await sequential(call, WARM_UP_CALLS)
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(plan.reps):
        for name, call in calls.items():
            times[name].append(await per_call_seconds(call, plan.calls_per_rep))
    # Paired per repetition: the HTTP request and our call ran in the same stretch of time.
    added = median([o - h for o, h in zip(times["ours"], times["http"], strict=True)])
    floor_call = median(times["floor"])
    ratio = added / floor_call
    return [
        Row(
            "per call: get_job over stdio (includes its HTTP request)",
            ms(median(times["ours"])),
            f"same GET with httpx {ms(median(times['http']))}",
        ),
        Row(
            "per call: what we add on top of the HTTP request",
            ms(added),
            f"one-tool MCPServer call {ms(floor_call)}",
            ratio,
            f"<= {PER_CALL_AIM:.2f}x",
            within(ratio, PER_CALL_AIM),
        ),
    ]


async def concurrency(plan: Plan, transport: str, call: Call) -> Row:
    """``plan.concurrent`` calls at once against the same number one after another."""
    n = plan.concurrent
    errors: list[BaseException] = []

    async def counted() -> None:
        try:
            await call()
        except Exception as exc:
            errors.append(exc)

    async def at_once() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(n):
                tg.start_soon(counted)

    await sequential(counted, WARM_UP_CALLS)
    seq, conc = [], []
    for _ in range(plan.reps):
        seq.append(await atimed(lambda: sequential(counted, n)))
        conc.append(await atimed(at_once))
    together, apart = n / median(conc), n / median(seq)
    return Row(
        f"concurrency: {n} get_job calls at once over one {transport} session",
        f"{together:,.0f} calls/s, {len(errors)} errors",
        f"sequential {apart:,.0f} calls/s",
        together / apart,
        "0 errors",
        not errors,
    )
