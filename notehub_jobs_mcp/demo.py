"""``notehub-jobs-mcp demo``: a scripted session, shown as the model would see it.

Three real parts talk over real transports: the SDK's MCP client spawns this server over stdio,
and the server calls the Notehub Jobs simulator served on a loopback port.
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from .simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, STAGING_FLEET_UID, Simulator
from .simulator.background import serve_in_background

STAGING_VERBOSE = {
    "comment": "Move staging to verbose logging",
    "select": {"devices_in_fleets": [STAGING_FLEET_UID]},
    "default_requests": {"vars_to_set": {"log_level": "3", "firmware_channel": "beta"}},
}

WAIT_S = 30


def run_demo() -> int:
    return anyio.run(_demo)


async def _demo() -> int:
    sim = Simulator(devices=60, pace=0.1, start_delay=0.3)
    async with serve_in_background(sim.app) as url:
        _say(f"Notehub simulator on {url}, demo project {DEMO_PROJECT_UID} (60 devices, 3 fleets).")
        _say("Starting notehub-jobs-mcp over stdio, as Claude Desktop would.\n")
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "notehub_jobs_mcp", "serve"],
            env={
                "NOTEHUB_API_URL": url,
                "NOTEHUB_API_TOKEN": DEVELOPER_TOKEN,
                "NOTEHUB_PROJECT_UID": DEMO_PROJECT_UID,
            },
        )
        async with Client(params) as client:
            tools = await client.list_tools()
            _say(
                f"The model is offered {len(tools.tools)} tools: {', '.join(t.name for t in tools.tools)}.\n"
            )
            _say('User: "Set log_level=3 on the Staging fleet, show me what would change first."\n')
            await _call(client, "list_jobs", {})
            created = await _call(
                client, "create_job", {"name": "Staging: verbose logging", "definition": STAGING_VERBOSE}
            )
            job_uid = _field(created, "job_uid")
            # The model waits inside the call (with progress) instead of polling.
            await _call(client, "run_job", {"job_uid": job_uid, "dry_run": True, "wait_seconds": WAIT_S})
            _say('User: "Looks right. Go ahead."\n')
            final = await _call(
                client, "run_job", {"job_uid": job_uid, "dry_run": False, "wait_seconds": WAIT_S}
            )
            await _call(client, "list_job_runs", {"job_uid": job_uid})
    if "completed successfully" not in final:
        _say("The demo's real run did not complete successfully; see above.")
        return 1
    _say("Demo complete: the dry run changed nothing, the real run changed the Staging fleet.")
    return 0


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    out = _text(result)
    _show(tool, arguments, out, error=bool(result.is_error))
    if result.is_error:
        raise SystemExit(f"demo stopped: {tool} failed")
    return out


def _show(tool: str, arguments: dict[str, Any], out: str, *, error: bool = False) -> None:
    args = json.dumps(arguments, ensure_ascii=False)
    _say(f"▶ {tool} {args}")
    _say(("  ✗ tool error:\n" if error else "") + textwrap.indent(out, "  │ ") + "\n")


def _text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def _field(output: str, name: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"{name}: "):
            return line.split(": ", 1)[1].strip()
    raise SystemExit(f"demo stopped: no {name} in the tool's answer")


def _say(line: str) -> None:
    print(line, flush=True)
