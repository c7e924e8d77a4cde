"""The run report in a real browser, hosted the way Claude Desktop hosts an MCP App.

Headless Chromium (Debian's ``chromium``, driven by Playwright) opens ``tests/ui_host.html``, which
plays the host: it puts the report in a sandboxed frame under the spec's default content security
policy, answers ``ui/initialize``, sends the tool call's input and result, and forwards every
``tools/call`` the report makes to the real MCP server, which talks to the simulator. So the
report is checked against real tool output, not against fixtures written to please it.

Screenshots (light and dark, 400 and 1200 px wide) are written to ``build/screenshots/``.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from notehub_jobs_mcp.simulator import Simulator
from notehub_jobs_mcp.ui import run_report_html

from .conftest import Connect, FakeClock, job_uid_from, ok, report_uid_from

try:
    from playwright.async_api import Browser, Frame, FrameLocator, Page, async_playwright, expect
except ImportError:  # pragma: no cover - the test extra installs it
    pytest.skip("playwright is not installed: pip install -e '.[test]'", allow_module_level=True)

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
HOST_PAGE = Path(__file__).with_name("ui_host.html")
# The spec's restrictive default, which a host applies when a resource declares no csp: nothing
# may be fetched, framed or connected to.
DEFAULT_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self' data:; connect-src 'none'; frame-src 'none'; "
    "object-src 'none'; base-uri 'self'"
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE_NAME = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1"> & "quotes"'
ALL_DEVICES = {"select": {"all_devices": True}, "default_requests": {"vars_to_set": {"log_level": "3"}}}
PAGE = 25  # devices per page, as the report asks for them


@pytest.fixture
def sim(clock: FakeClock) -> Simulator:
    # A fleet big enough to page, with one device in ten failing for one of four reasons.
    return Simulator(devices=300, seed=1, pace=1.0, start_delay=1.0, clock=clock, failure_rate=0.1)


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(
            "no Chromium on this machine, so the run report's browser test cannot run: install "
            "Debian's chromium package (apt-get install -y chromium; .ci/run does this)"
        )
    return path


@contextmanager
def host_site() -> Iterator[str]:
    """The host page and the report, served on loopback; the report under the default CSP."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/host.html":
                self._send(HOST_PAGE.read_bytes(), {})
            elif path == "/report.html":
                self._send(run_report_html().encode(), {"Content-Security-Policy": DEFAULT_CSP})
            elif path == "/favicon.ico":
                self.send_response(204)
                self.end_headers()
            else:
                self.send_error(404)

        def _send(self, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@asynccontextmanager
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


def wire(result: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


class Hosted:
    """One report in one page: its frame, what went wrong in the console, and the host's log."""

    def __init__(self, page: Page, problems: list[str]) -> None:
        self.page = page
        self.report: FrameLocator = page.frame_locator("#view")
        self.problems = problems

    @property
    def frame(self) -> Frame:
        frame = self.page.frame(url=re.compile(r"/report\.html$"))
        assert frame is not None
        return frame

    async def tool_calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = await self.page.evaluate(
            "window.hostLog.filter(m => m.method === 'tools/call').map(m => m.params)"
        )
        return calls

    async def texts(self, selector: str) -> list[str]:
        return [t.strip() for t in await self.report.locator(selector).all_text_contents()]


async def host(
    browser: Browser,
    site: str,
    client: Client,
    tool: str,
    arguments: dict[str, Any],
    *,
    width: int = 1200,
    theme: str = "light",
    color_scheme: str = "light",
) -> Hosted:
    """Open the report the way a host does after ``tool`` was called with ``arguments``."""
    context = await browser.new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)  # type: ignore[arg-type]
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    first = {"arguments": arguments, "result": wire(await client.call_tool(tool, arguments))}

    async def call_tool(name: str, args: dict[str, Any]) -> dict[str, Any]:
        return wire(await client.call_tool(name, args))

    await page.expose_function("hostCallTool", call_tool)
    await page.expose_function("hostFirstCall", lambda: first)
    await page.goto(f"{site}/host.html?theme={theme}")
    hosted = Hosted(page, problems)
    await expect(hosted.report.locator("#app")).to_have_attribute("aria-busy", "false")
    return hosted


def shown(first: int, last: int, total: int) -> str:
    """The line under the device table: first and last row shown (en dash between), and the total."""
    return f"{first}\u2013{last} of {total}"


async def snap(hosted: Hosted, name: str) -> None:
    """A screenshot of the whole report, once the host has fitted the frame to it."""
    fits = "Math.ceil(document.documentElement.getBoundingClientRect().height)"
    for _ in range(100):
        wanted = await hosted.frame.evaluate(fits)
        if await hosted.page.evaluate("document.getElementById('view').offsetHeight") == wanted:
            break
        await anyio.sleep(0.02)
    else:
        raise AssertionError("the host never fitted the frame: no ui/notifications/size-changed")
    # Chromium paints a cross-origin frame only inside the viewport, so the viewport takes the page.
    size = hosted.page.viewport_size or {"width": 1200}
    await hosted.page.set_viewport_size({"width": size["width"], "height": wanted})
    await hosted.frame.evaluate(
        "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await hosted.page.screenshot(path=SCREENSHOTS / name)


async def device_page(client: Client, report: str, offset: int, status: str | None = None) -> list[str]:
    """The device UIDs the server itself gives for one page, to hold the table against."""
    arguments: dict[str, Any] = {"report_uid": report, "view": "detail", "limit": PAGE, "offset": offset}
    if status:
        arguments["status"] = status
    result = await client.call_tool("get_job_run", arguments)
    return [row["device_uid"] for row in (result.structured_content or {})["devices"]]


async def test_a_finished_run_shows_its_figures_pages_filters_and_a_hostile_name_as_text(
    connect: Connect, clock: FakeClock, chromium: str
) -> None:
    async with connect() as client:
        job = job_uid_from(await ok(client, "create_job", name=HOSTILE_NAME, definition=ALL_DEVICES))
        report = report_uid_from(await ok(client, "run_job", job_uid=job, dry_run=True))
        clock.advance(400)  # every device processed
        run = (await client.call_tool("get_job_run", {"report_uid": report})).structured_content or {}
        assert run["state"] == "completed_with_errors" and len(run["by_status"]) >= 2, run
        failed = run["by_status"]["failed"]

        with host_site() as site:
            async with browser(chromium) as chrome:
                hosted = await host(chrome, site, client, "get_job_run", {"report_uid": report})
                r = hosted.report

                # The job's name is text, however much it looks like markup.
                await expect(r.locator("#job-name")).to_have_text(HOSTILE_NAME)
                assert await r.locator("img, #job-name *").count() == 0
                assert await hosted.frame.evaluate("typeof window.pwned") == "undefined"
                await expect(r.locator("#state")).to_have_text("Completed with errors")
                await expect(r.locator("#kind")).to_contain_text("Dry run")

                # Progress, and the chart's counts as the server counted them.
                await expect(r.locator("#progress-text")).to_have_text("300 of 300 devices done")
                await expect(r.locator("#progress-pct")).to_have_text("100%")
                await expect(r.locator("#progress")).to_have_attribute("aria-valuenow", "300")
                chart = r.locator("#chart li")
                await expect(chart).to_have_count(len(run["by_status"]))
                bars = {
                    await li.get_attribute("data-status"): (await li.locator(".n").text_content())
                    for li in await chart.all()
                }
                assert bars == {status: f"{n:,}" for status, n in run["by_status"].items()}

                # Failure groups: reason, count and examples, biggest first.
                groups = r.locator("#failures li")
                await expect(groups).to_have_count(len(run["failures"]))
                for li, group in zip(await groups.all(), run["failures"], strict=True):
                    assert (await li.locator(".reason").text_content()) == group["reason"]
                    assert (await li.locator(".badge").text_content()) == f"{group['devices']} devices"
                    assert await li.locator("code").all_text_contents() == group["examples"]
                assert sum(g["devices"] for g in run["failures"]) == failed

                # The device table pages through the server, a page at a time.
                info = r.locator("#page-info")
                await expect(info).to_have_text(shown(1, 25, 300))
                assert await hosted.texts("#devices tbody td.mono") == await device_page(client, report, 0)
                await r.locator("#next").click()
                await expect(info).to_have_text(shown(26, 50, 300))
                assert await hosted.texts("#devices tbody td.mono") == await device_page(client, report, 25)
                await r.locator("#prev").click()
                await expect(info).to_have_text(shown(1, 25, 300))
                await expect(r.locator("#prev")).to_be_disabled()

                # Filtered to failures: only failed devices, paged over the failed count.
                await r.locator("#status-filter").select_option("failed")
                await expect(info).to_have_text(shown(1, 25, failed))
                assert set(await hosted.texts("#devices tbody .badge")) == {"failed"}
                await r.locator("#next").click()
                await expect(info).to_have_text(shown(26, failed, failed))
                await expect(r.locator("#next")).to_be_disabled()
                failed_uids = await device_page(client, report, 25, "failed")
                assert await hosted.texts("#devices tbody td.mono") == failed_uids

                # Search narrows the page in hand without another call.
                await r.locator("#search").fill(failed_uids[1][-6:])
                await expect(r.locator("#devices tbody tr")).to_have_count(1)
                await expect(r.locator("#devices-note")).to_have_text(
                    f"1 of {len(failed_uids)} devices on this page match."
                )
                await r.locator("#search").fill("")
                await expect(r.locator("#devices tbody tr")).to_have_count(len(failed_uids))

                calls = await hosted.tool_calls()
                assert [c["name"] for c in calls] == ["get_job_run"] * 5
                assert all(
                    c["arguments"]["limit"] == PAGE and c["arguments"]["view"] == "detail" for c in calls
                )
                assert [(c["arguments"]["offset"], c["arguments"].get("status")) for c in calls] == [
                    (0, None),
                    (25, None),
                    (0, None),
                    (0, "failed"),
                    (25, "failed"),
                ]
                assert hosted.problems == [], "console errors or CSP violations"

                await screenshots(chrome, site, client, report)


async def screenshots(chrome: Browser, site: str, client: Client, report: str) -> None:
    """Both themes at both widths; the host's theme wins over the system's preference."""
    backgrounds = {}
    for theme in ("light", "dark"):
        for width in (400, 1200):
            other = "dark" if theme == "light" else "light"
            hosted = await host(
                chrome,
                site,
                client,
                "get_job_run",
                {"report_uid": report},
                width=width,
                theme=theme,
                color_scheme=other,
            )
            await expect(hosted.report.locator("#page-info")).to_have_text(shown(1, 25, 300))
            frame = hosted.frame
            backgrounds[theme] = await frame.evaluate("getComputedStyle(document.body).backgroundColor")
            assert await frame.evaluate("document.documentElement.scrollWidth <= innerWidth"), (
                f"the report overflows sideways at {width} px"
            )
            await snap(hosted, f"run-report-{theme}-{width}.png")
            assert hosted.problems == []
            await hosted.page.context.close()
    # Light has the report's own white; dark takes the host's variable.
    assert backgrounds == {"light": "rgb(255, 255, 255)", "dark": "rgb(31, 30, 29)"}

    # A host that says nothing about its theme gets the system's preference.
    hosted = await host(
        chrome, site, client, "get_job_run", {"report_uid": report}, theme="", color_scheme="dark"
    )
    assert await hosted.frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(28, 28, 30)"
    await hosted.page.context.close()


async def test_a_running_run_refreshes_and_cancels_after_confirmation(
    connect: Connect, clock: FakeClock, chromium: str
) -> None:
    async with connect() as client:
        job = job_uid_from(await ok(client, "create_job", name="Verbose logs", definition=ALL_DEVICES))
        await ok(client, "run_job", job_uid=job, dry_run=True)
        clock.advance(400)
        with host_site() as site:
            async with browser(chromium) as chrome:
                # The report opens on run_job's own result: a real run, just submitted.
                hosted = await host(chrome, site, client, "run_job", {"job_uid": job, "dry_run": False})
                r = hosted.report
                await expect(r.locator("#state")).to_have_text("Queued")
                await expect(r.locator("#kind")).to_contain_text("Real run")
                await expect(r.locator("#progress-text")).to_have_text("0 of 300 devices done")
                report = (await hosted.tool_calls())[0]["arguments"]["report_uid"]

                clock.advance(121)  # 120 devices processed
                await r.locator("#refresh").click()
                now = (await client.call_tool("get_job_run", {"report_uid": report})).structured_content or {}
                assert now["state"] == "running" and 0 < now["devices_done"] < 300, now
                done = now["devices_done"]
                await expect(r.locator("#progress-text")).to_have_text(f"{done} of 300 devices done")
                await expect(r.locator("#progress-pct")).to_have_text(f"{round(done / 3)}%")
                await expect(r.locator("#state")).to_have_text("Running")
                pending = r.locator("#chart li[data-status=pending] .n")
                await expect(pending).to_have_text(f"{now['by_status']['pending']:,}")
                await snap(hosted, "run-report-running-light-1200.png")

                # Cancel asks first; "Keep running" (and Escape) leave the run alone.
                await r.locator("#cancel").click()
                await expect(r.locator("#confirm")).to_be_visible()
                await expect(r.locator("#confirm-no")).to_be_focused()
                await r.locator("#confirm-no").press("Enter")
                await expect(r.locator("#confirm")).to_be_hidden()
                await r.locator("#cancel").press("Enter")
                await r.locator("#confirm").press("Escape")
                await expect(r.locator("#confirm")).to_be_hidden()
                assert "cancel_job_run" not in [c["name"] for c in await hosted.tool_calls()]

                await r.locator("#cancel").click()
                await r.locator("#confirm-yes").click()
                await expect(r.locator("#state")).to_have_text("Cancelled")
                await expect(r.locator("#message")).to_contain_text("Cancel requested")
                await expect(r.locator("#actions")).to_be_hidden()
                after = (
                    await client.call_tool("get_job_run", {"report_uid": report})
                ).structured_content or {}
                assert after["state"] == "cancelled"
                cancels = [c for c in await hosted.tool_calls() if c["name"] == "cancel_job_run"]
                assert cancels == [{"name": "cancel_job_run", "arguments": {"report_uid": report}}]
                assert hosted.problems == [], "console errors or CSP violations"
