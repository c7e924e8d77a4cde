"""Cold start: spawn the server over stdio, initialize, list tools, exit; against the floor server."""

from __future__ import annotations

import sys

import anyio
from mcp import Client, StdioServerParameters

from .measure import Plan, Row, atimed, median, ms, within
from .servers import floor_over_stdio, ours_over_stdio

COLD_START_AIM = 1.15

# What each server imports before it can serve: our serve path, and the SDK alone.
OURS_IMPORT = "import notehub_jobs_mcp.cli, notehub_jobs_mcp.serve"
FLOOR_IMPORT = "from mcp.server import MCPServer"


async def spawn_list_exit(params: StdioServerParameters) -> None:
    # "legacy" is the initialize handshake Claude Desktop and Claude Code do today.
    async with Client(params, mode="legacy") as client:
        tools = await client.list_tools()
        if not tools.tools:
            raise RuntimeError(f"{params.args} listed no tools")


async def python_import(statement: str) -> None:
    await anyio.run_process([sys.executable, "-c", statement])


async def measure(plan: Plan, notehub_url: str) -> list[Row]:
    ours, floor = ours_over_stdio(notehub_url), floor_over_stdio(notehub_url)
    if not plan.quick:
        # The first start of each pays for compiling bytecode and warming the page cache.
        await spawn_list_exit(ours)
        await spawn_list_exit(floor)
    start_ours, start_floor, import_ours, import_floor = [], [], [], []
    # Interleaved, so drift in the machine's load falls on both sides alike.
    for _ in range(plan.reps):
        start_ours.append(await atimed(lambda: spawn_list_exit(ours)))
        start_floor.append(await atimed(lambda: spawn_list_exit(floor)))
        import_ours.append(await atimed(lambda: python_import(OURS_IMPORT)))
        import_floor.append(await atimed(lambda: python_import(FLOOR_IMPORT)))
    start = median(start_ours) / median(start_floor)
    imports = median(import_ours) / median(import_floor)
    return [
        Row(
            "cold start: spawn, initialize, tools/list, exit (stdio)",
            ms(median(start_ours)),
            f"one-tool MCPServer {ms(median(start_floor))}",
            start,
            f"<= {COLD_START_AIM:.2f}x",
            within(start, COLD_START_AIM),
        ),
        Row(
            "  imports alone: `python -c 'import …'`",
            ms(median(import_ours)),
            f"SDK import {ms(median(import_floor))}",
            imports,
        ),
    ]
