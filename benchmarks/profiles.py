"""``--profile``: where the time goes, for whoever acts on the table.

- cold start in phases (imports, building the server, creating the Notehub client), against the
  floor server's, each in a fresh interpreter;
- what a real serve start imports beyond the floor server (``python -X importtime``), by package;
- one tool call in-process with Notehub's answer canned, against the floor's call and bare httpx,
  so the CPU our code adds shows without stdio or sockets; and where it goes (cProfile);
- descriptions the tool list repeats;
- the summary hot path at the largest size (cProfile).
"""

from __future__ import annotations

import cProfile
import json
import pstats
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from mcp import Client
from mcp.types import ListToolsResult

from .measure import Plan, median
from .servers import FLOOR_SERVER, process_env, server_env
from .summary import detail_payload, summarize
from .tokens import repeated_descriptions

UNUSED_URL = "http://127.0.0.1:9"
# Our code, the client's check of structured results, and httpx building and sending the request.
CALL_HOT_PATH = (
    r"notehub_jobs_mcp|validate_tool_result|convert_result|httpx/_client.py:(request|build_request)$"
)

OUR_PHASES = """
import json, time
t0 = time.perf_counter()
import notehub_jobs_mcp.cli, notehub_jobs_mcp.serve
from notehub_jobs_mcp.client import NotehubClient
from notehub_jobs_mcp.config import Config
from notehub_jobs_mcp.server import create_server
t1 = time.perf_counter()
config = Config.from_env()
create_server(config)
t2 = time.perf_counter()
NotehubClient(config)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "client": t3 - t2}))
"""

FLOOR_PHASES = """
import json, sys, time
sys.path.insert(0, {folder!r})
t0 = time.perf_counter()
from mcp.server import MCPServer
t1 = time.perf_counter()
import floor_server
t2 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "build": t2 - t1, "client": 0.0}}))
"""


def _phases(code: str, reps: int) -> dict[str, float]:
    env = process_env(UNUSED_URL)
    runs = [
        json.loads(
            subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=True).stdout
        )
        for _ in range(reps)
    ]
    return {phase: median([run[phase] for run in runs]) for phase in runs[0]}


def startup_phases(plan: Plan) -> str:
    reps = max(3, plan.reps)
    ours = _phases(OUR_PHASES, reps)
    floor = _phases(FLOOR_PHASES.format(folder=str(FLOOR_SERVER.parent)), reps)
    python = median([_timed_run([sys.executable, "-c", "pass"]) for _ in range(reps)])
    return "\n".join(
        [
            f"Cold start in phases (fresh interpreter each, median of {reps}; ours vs the floor server):",
            f"  interpreter start alone      {python * 1000:6.1f} ms",
            f"  imports                      {_vs(ours, floor, 'import')}",
            f"  building the server          {_vs(ours, floor, 'build')}",
            f"  Notehub client (lifespan)    {ours['client'] * 1000:6.1f} ms vs    0.0 ms "
            "(runs before the first response)",
        ]
    )


def _vs(ours: dict[str, float], floor: dict[str, float], phase: str) -> str:
    return f"{ours[phase] * 1000:6.1f} ms vs {floor[phase] * 1000:6.1f} ms"


def _timed_run(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


@dataclass(frozen=True)
class Imported:
    self_us: int
    cumulative_us: int


def import_times(args: list[str], env: dict[str, str]) -> dict[str, Imported]:
    """Every module a process imports before stdin closes, from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        input=b"",
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    modules: dict[str, Imported] = {}
    for line in done.stderr.decode(errors="replace").splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line.removeprefix("import time:").split("|")
        modules[name.strip()] = Imported(int(self_us), int(cumulative))
    return modules


def import_profile() -> str:
    env = process_env(UNUSED_URL)
    ours = import_times(["-m", "notehub_jobs_mcp", "serve"], env)
    floor = import_times([str(FLOOR_SERVER)], env)
    extra = {name: m for name, m in ours.items() if name not in floor}
    by_package: dict[str, int] = defaultdict(int)
    for name, module in extra.items():
        by_package[name.split(".")[0]] += module.self_us
    lines = [
        "Imports of a real `serve` start (stdio, stdin closed at once) beyond the floor server's, "
        "from -X importtime (inflated by the profiler; compare, don't add):",
        f"  ours {len(ours)} modules, {sum(m.self_us for m in ours.values()) / 1000:.0f} ms; "
        f"floor {len(floor)} modules, {sum(m.self_us for m in floor.values()) / 1000:.0f} ms; "
        f"only ours: {len(extra)} modules, {sum(by_package.values()) / 1000:.1f} ms",
    ]
    for package, self_us in sorted(by_package.items(), key=lambda p: -p[1]):
        if self_us >= 100:
            lines.append(f"  {self_us / 1000:6.1f} ms  {package}")
    lines.append("Our own modules, cumulative (includes what each pulls in first):")
    ours_own = sorted(
        ((name, m) for name, m in ours.items() if name.startswith("notehub_jobs_mcp")),
        key=lambda item: -item[1].cumulative_us,
    )
    for name, module in ours_own[:12]:
        lines.append(f"  {module.cumulative_us / 1000:6.1f} ms  {name} (self {module.self_us / 1000:.1f} ms)")
    return "\n".join(lines)


async def _per_call(call: Callable[[], Awaitable[object]], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - started) / n


async def call_profile(plan: Plan, job_body: bytes) -> str:
    """get_job in-process with Notehub's answer canned, against the floor's echo and bare httpx."""
    from mcp.server import MCPServer

    from notehub_jobs_mcp.config import Config
    from notehub_jobs_mcp.server import create_server

    def canned(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=job_body, headers={"Content-Type": "application/json"})

    config = Config.from_env(server_env("http://notehub.invalid"))
    ours = create_server(config, transport=httpx.MockTransport(canned))
    floor = MCPServer("floor", log_level="WARNING")

    @floor.tool(structured_output=False)
    async def echo(text: str) -> str:
        return text

    n = max(20, plan.calls_per_rep * 5)
    async with (
        Client(ours, mode="legacy") as our_client,
        Client(floor, mode="legacy") as floor_client,
        httpx.AsyncClient(transport=httpx.MockTransport(canned), base_url="http://notehub.invalid") as http,
    ):

        async def get_job() -> None:
            await our_client.call_tool("get_job", {"job_uid": "job"})

        async def floor_echo() -> None:
            await floor_client.call_tool("echo", {"text": "ping"})

        async def bare() -> None:
            (await http.get("/v1/projects/p/jobs/job")).json()

        times: dict[str, list[float]] = {"ours": [], "floor": [], "http": []}
        for _ in range(max(3, plan.reps)):
            times["ours"].append(await _per_call(get_job, n))
            times["floor"].append(await _per_call(floor_echo, n))
            times["http"].append(await _per_call(bare, n))
        profiler = cProfile.Profile()
        profiler.enable()
        await _per_call(get_job, n)
        profiler.disable()
    o, f, h = (median(times[k]) for k in ("ours", "floor", "http"))
    return "\n".join(
        [
            "One get_job call in-process (memory streams, Notehub's answer canned by httpx.MockTransport), "
            f"median of {max(3, plan.reps)} x {n} calls:",
            f"  ours {o * 1000:.3f} ms = floor call {f * 1000:.3f} ms + bare httpx GET {h * 1000:.3f} ms "
            f"+ our own code {(o - f - h) * 1000:.3f} ms",
            "Where it goes (cProfile, cumulative ms per call, profiler overhead included):",
            *top(profiler, CALL_HOT_PATH, per=n, key="cumulative"),
        ]
    )


def top(profiler: cProfile.Profile, pattern: str, *, per: int, key: str, limit: int = 12) -> list[str]:
    """The functions matching ``pattern``, costliest first, in ms per ``per`` runs."""
    index = 3 if key == "cumulative" else 2
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = [
        (timing[index] / per * 1000, _where(file, line, name))
        for (file, line, name), timing in stats.items()
        if re.search(pattern, f"{file}:{name}")
    ]
    return [f"  {cost:8.3f} ms  {where}" for cost, where in sorted(rows, reverse=True)[:limit]]


def tool_list_profile(listing: ListToolsResult) -> str:
    repeats = repeated_descriptions(listing)
    lines = [
        f"Descriptions repeated across the tool list ({sum(r[1] for r in repeats):,} tokens on repeats):"
    ]
    for times, spent, text in repeats:
        lines.append(f"  {times}x, {spent} tokens beyond the first: {json.dumps(text)[:100]}")
    return "\n".join(lines)


def _where(file: str, line: int, name: str) -> str:
    if file == "~":  # a built-in
        return name
    return f"{Path(file).parent.name}/{Path(file).name}:{line} {name}"


async def summary_profile(plan: Plan) -> str:
    devices = plan.summary_sizes[-1]
    payload = json.loads(await detail_payload(devices))
    profiler = cProfile.Profile()
    profiler.runcall(summarize, payload)
    return f"Summary hot path, {devices:,}-device run (cProfile, own time in ms):\n" + "\n".join(
        top(profiler, r".", per=1, key="own", limit=10)
    )


async def report(plan: Plan, listing: ListToolsResult, job_body: bytes) -> str:
    sections = [
        startup_phases(plan),
        import_profile(),
        await call_profile(plan, job_body),
        tool_list_profile(listing),
        await summary_profile(plan),
    ]
    return "\n\n".join(sections)
