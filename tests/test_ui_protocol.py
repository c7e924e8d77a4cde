"""MCP Apps over the protocol: a host that announces Apps finds the run report; others see no change.

The report is one ``ui://`` resource named in ``_meta.ui`` of run_job and get_job_run. The server
never branches on the client's support, so what the model reads is the same for every client.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID, client_supports_apps
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from notehub_jobs_mcp.server import create_server
from notehub_jobs_mcp.simulator import Simulator
from notehub_jobs_mcp.ui import RUN_REPORT_URI, run_report_html

from .conftest import FakeClock, config, job_uid_from, ok, report_uid_from

pytestmark = pytest.mark.anyio

APPS = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
UI_TOOLS = {"run_job", "get_job_run"}
MAX_HTML_BYTES = 30_000

Connect = Callable[..., Any]


@pytest.fixture
def connect(sim: Simulator) -> Connect:
    """A session to the real server, plus a probe tool that says whether it saw Apps support."""

    @asynccontextmanager
    async def _connect(*, apps: bool, mode: str = "legacy") -> AsyncIterator[Client]:
        server = create_server(config(), transport=httpx.ASGITransport(app=sim.app))

        def apps_probe(ctx: Context[Any, Any]) -> bool:
            return client_supports_apps(ctx)

        server.add_tool(apps_probe)
        async with Client(server, mode=mode, extensions=[APPS] if apps else None) as client:
            yield client

    return _connect


async def seen_as_apps_host(client: Client) -> bool:
    result = await client.call_tool("apps_probe", {})
    assert not result.is_error
    return result.structured_content == {"result": True}


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_an_apps_host_finds_the_report_linked_from_both_run_tools_and_reads_it(
    connect: Connect, mode: str
) -> None:
    async with connect(apps=True, mode=mode) as client:
        assert await seen_as_apps_host(client)
        tools = {t.name: t for t in (await client.list_tools()).tools if t.name != "apps_probe"}
        linked = {name for name, t in tools.items() if (t.meta or {}).get("ui")}
        assert linked == UI_TOOLS
        for name in UI_TOOLS:
            assert tools[name].meta == {"ui": {"resourceUri": RUN_REPORT_URI}}

        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        assert listed[RUN_REPORT_URI].mime_type == APP_MIME_TYPE
        (content,) = (await client.read_resource(RUN_REPORT_URI)).contents
        assert content.mime_type == APP_MIME_TYPE
        assert content.text == run_report_html()  # type: ignore[union-attr]
        assert content.meta == {"ui": {"prefersBorder": True}}


async def test_a_client_without_apps_gets_the_same_results_as_one_with_it(
    connect: Connect, clock: FakeClock
) -> None:
    definition = {"select": {"all_devices": True}, "default_requests": {"vars_to_set": {"log_level": "3"}}}
    async with connect(apps=False) as plain, connect(apps=True) as host:
        assert not await seen_as_apps_host(plain)
        assert await seen_as_apps_host(host)
        job = job_uid_from(await ok(plain, "create_job", name="verbose logs", definition=definition))
        report = report_uid_from(await ok(plain, "run_job", job_uid=job, dry_run=True))
        clock.advance(20)  # part way through: a run in progress

        calls: list[tuple[str, dict[str, Any]]] = [
            ("get_job_run", {"report_uid": report}),
            ("get_job_run", {"report_uid": report, "view": "detail", "limit": 5, "offset": 3}),
            ("get_job_run", {"report_uid": report, "view": "detail", "status": "pending"}),
            ("list_job_runs", {"job_uid": job}),
        ]
        for name, arguments in calls:
            without, with_apps = await plain.call_tool(name, arguments), await host.call_tool(name, arguments)
            assert wire(without) == wire(with_apps), name
            # Nothing of the report rides in the result itself: hosts find it through the tool.
            assert "ui://" not in json.dumps(wire(without)) and not without.is_error

        # run_job starts a new run each time, so compare two fresh runs by their shape and text.
        started = [
            wire(await c.call_tool("run_job", {"job_uid": job, "dry_run": True})) for c in (plain, host)
        ]
        assert same_but_report_uid(started[0], started[1])

    async with connect(apps=False) as plain, connect(apps=True) as host:
        plain_tools = [t for t in (await plain.list_tools()).tools if t.name != "apps_probe"]
        host_tools = [t for t in (await host.list_tools()).tools if t.name != "apps_probe"]
        # The listing is one for every client; a client without Apps ignores _meta.
        assert [t.model_dump() for t in plain_tools] == [t.model_dump() for t in host_tools]


def wire(result: CallToolResult) -> dict[str, Any]:
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


def same_but_report_uid(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def masked(result: dict[str, Any]) -> str:
        return repr(result).replace(result["structuredContent"]["report_uid"], "<report_uid>")

    return masked(a) == masked(b)


def test_the_report_is_one_small_self_contained_document_safe_under_a_strict_csp() -> None:
    html = run_report_html()
    assert len(html.encode()) < MAX_HTML_BYTES
    assert html.count("<script") == 1 and html.count("<style") == 1
    # Nothing from the network: no links, no remote sources, no imported CSS or fonts.
    assert not re.search(r"\b(src|href)\s*=", html, re.I)
    assert not re.search(r"https?://|@import|url\(|<link|<iframe|fetch\(|XMLHttpRequest|WebSocket", html)
    # Nothing a strict CSP forbids, and no way for data to become markup.
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler attribute"
    assert not re.search(r"\beval\(|new Function|setTimeout\(\s*['\"]", html)
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", html)
