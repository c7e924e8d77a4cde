"""What the benchmarks talk to: the simulator on a loopback port, our server and the floor server.

Our server is started the way an MCP client starts it (a subprocess over stdio, or over Streamable
HTTP on a port); the simulator plays Notehub on loopback, so every tool call is a real HTTP request.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
from mcp import StdioServerParameters

from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, STAGING_FLEET_UID

REPO = Path(__file__).resolve().parent.parent
FLOOR_SERVER = REPO / "benchmarks" / "floor_server.py"

# The job every per-call benchmark reads back with get_job: a typical fleet change.
STAGING_LOG_LEVEL = {
    "comment": "Move staging to verbose logging",
    "select": {"devices_in_fleets": [STAGING_FLEET_UID]},
    "default_requests": {"vars_to_set": {"log_level": "3"}},
}


@dataclass(frozen=True)
class Notehub:
    """The simulator on loopback, one saved job, and a plain httpx client for the same API."""

    url: str
    job_uid: str
    http: httpx.AsyncClient

    @property
    def job_path(self) -> str:
        return f"/v1/projects/{DEMO_PROJECT_UID}/jobs/{self.job_uid}"


@asynccontextmanager
async def loopback_notehub() -> AsyncIterator[Notehub]:
    """The simulator in its own process, so our server reaches it across processes, as it would
    reach Notehub, and the direct request it is compared with does too."""
    port = free_port()
    async with (
        listening([sys.executable, "-m", "benchmarks.notehub_server", str(port)], port, env=process_env()),
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {DEVELOPER_TOKEN}"}
        ) as http,
    ):
        response = await http.post(
            f"/v1/projects/{DEMO_PROJECT_UID}/jobs",
            params={"name": "Staging verbose"},
            json=STAGING_LOG_LEVEL,
        )
        response.raise_for_status()
        yield Notehub(url=str(http.base_url).rstrip("/"), job_uid=response.json()["job_uid"], http=http)


def server_env(notehub_url: str) -> dict[str, str]:
    # The simulator's built-in developer token: a fixture, not a secret.
    return {
        "NOTEHUB_API_URL": notehub_url,
        "NOTEHUB_API_TOKEN": DEVELOPER_TOKEN,
        "NOTEHUB_PROJECT_UID": DEMO_PROJECT_UID,
    }


def process_env(notehub_url: str | None = None) -> dict[str, str]:
    """This process's environment for a child, without the user's NOTEHUB_* settings (a
    NOTEHUB_READ_ONLY or NOTEHUB_MCP_AUTH_TOKEN must not change what is measured), with ours."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("NOTEHUB_")}
    return inherited | (server_env(notehub_url) if notehub_url else {})


def ours_over_stdio(notehub_url: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "notehub_jobs_mcp"], env=server_env(notehub_url)
    )


def floor_over_stdio(notehub_url: str) -> StdioServerParameters:
    # Same interpreter and environment as ours, so the difference is the server alone.
    return StdioServerParameters(
        command=sys.executable, args=[str(FLOOR_SERVER)], env=server_env(notehub_url)
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def ours_over_http(notehub_url: str) -> AsyncIterator[str]:
    """Start ``notehub-jobs-mcp serve --transport http`` on a free loopback port; yield its MCP URL."""
    port = free_port()
    command = [sys.executable, "-m", "notehub_jobs_mcp", "serve", "--transport", "http", "--port", str(port)]
    async with listening(command, port, env=process_env(notehub_url)):
        yield f"http://127.0.0.1:{port}/mcp"


@asynccontextmanager
async def listening(
    command: list[str], port: int, *, env: dict[str, str], timeout: float = 30.0
) -> AsyncIterator[None]:
    """Run ``command`` until the block ends, entering once it accepts connections on ``port``."""
    with tempfile.TemporaryFile() as output:
        process = await anyio.open_process(
            command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
        try:
            await _until_listening(port, process, timeout)
            yield
        except BaseException:
            output.seek(0)
            print(output.read().decode(errors="replace")[-2000:], file=sys.stderr)
            raise
        finally:
            process.terminate()
            with anyio.move_on_after(5):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _until_listening(port: int, process: anyio.abc.Process, timeout: float) -> None:
    with anyio.fail_after(timeout):
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"{process} exited with status {process.returncode}")
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.05)
                continue
            await stream.aclose()
            return
