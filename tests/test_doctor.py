"""`notehub-jobs-mcp doctor` says what works, what does not, and how to fix it; exit 0 only when all works."""

from __future__ import annotations

import io
import socket
import subprocess
import sys

import anyio
import httpx
import pytest

from notehub_jobs_mcp.doctor import run_doctor
from notehub_jobs_mcp.simulator import (
    DEMO_PRODUCT_UID,
    DEMO_PROJECT_NAME,
    DEMO_PROJECT_UID,
    DEVELOPER_TOKEN,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    VIEWER_TOKEN,
    Simulator,
)
from notehub_jobs_mcp.simulator.background import serve_in_background

from .conftest import SIM_URL

GOOD = {
    "NOTEHUB_API_URL": SIM_URL,
    "NOTEHUB_API_TOKEN": DEVELOPER_TOKEN,
    "NOTEHUB_PROJECT_UID": DEMO_PROJECT_UID,
}


def doctor(sim: Simulator, **env: str) -> tuple[int, str]:
    out = io.StringIO()
    settings = {k: v for k, v in {**GOOD, **env}.items() if v}
    code = run_doctor(settings, out=out, transport=httpx.ASGITransport(app=sim.app))
    return code, out.getvalue()


def test_all_good_with_a_token(sim: Simulator) -> None:
    code, out = doctor(sim)
    assert code == 0, out
    assert "Credentials: a personal access token (NOTEHUB_API_TOKEN)." in out
    assert f"Default project: {DEMO_PROJECT_UID}" in out
    assert f"Notehub API URL: {SIM_URL}" in out
    assert "The API token was accepted" in out
    assert f'"{DEMO_PROJECT_NAME}": your role is developer, so every tool works.' in out
    assert "the project has 2 jobs" in out
    assert "All checks passed" in out
    assert "[FAIL]" not in out and "[warn]" not in out
    assert DEVELOPER_TOKEN not in out


def test_all_good_with_oauth_client_credentials(sim: Simulator) -> None:
    code, out = doctor(
        sim,
        NOTEHUB_API_TOKEN="",
        NOTEHUB_CLIENT_ID=OAUTH_CLIENT_ID,
        NOTEHUB_CLIENT_SECRET=OAUTH_CLIENT_SECRET,
    )
    assert code == 0, out
    assert "OAuth client credentials (NOTEHUB_CLIENT_ID sim-client-id, NOTEHUB_CLIENT_SECRET set)" in out
    assert "token valid for 1800 s" in out
    assert OAUTH_CLIENT_SECRET not in out and "sim-oauth-" not in out


def test_bad_token(sim: Simulator) -> None:
    wrong = "pat-that-was-revoked-0000"
    code, out = doctor(sim, NOTEHUB_API_TOKEN=wrong)
    assert code == 1
    assert "[FAIL] The API token was not accepted by Notehub (401)." in out
    assert "Fix: Create a new personal access token" in out and "NOTEHUB_API_TOKEN" in out
    assert wrong not in out
    assert "1 problem found. Fix it" in out
    assert "Project" not in out.split("Notehub\n", 1)[1]  # nothing is checked past a refused token


def test_bad_client_secret(sim: Simulator) -> None:
    code, out = doctor(
        sim, NOTEHUB_API_TOKEN="", NOTEHUB_CLIENT_ID=OAUTH_CLIENT_ID, NOTEHUB_CLIENT_SECRET="guessed"
    )
    assert code == 1
    assert "[FAIL] Notehub refused the OAuth client credentials (401)." in out
    assert "NOTEHUB_CLIENT_SECRET" in out and "guessed" not in out


def test_unknown_project_lists_the_visible_ones(sim: Simulator) -> None:
    code, out = doctor(sim, NOTEHUB_PROJECT_UID="app:00000000-dead-beef-0000-000000000000")
    assert code == 1
    assert "no such project visible to these credentials (404)" in out
    assert "Fix: Check NOTEHUB_PROJECT_UID" in out
    assert f'{DEMO_PROJECT_UID} "{DEMO_PROJECT_NAME}" (developer)' in out


def test_a_product_uid_is_a_visible_project(sim: Simulator) -> None:
    code, out = doctor(sim, NOTEHUB_PROJECT_UID=DEMO_PRODUCT_UID)
    assert code == 0, out
    assert f"{DEMO_PRODUCT_UID}" in out and "the project has 2 jobs" in out


def test_unreachable_url() -> None:
    # A port that was just free on loopback: the connection is refused at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = io.StringIO()
    code = run_doctor({**GOOD, "NOTEHUB_API_URL": f"http://127.0.0.1:{port}"}, out=out)
    text = out.getvalue()
    assert code == 1
    assert (
        f"[FAIL] Could not reach Notehub at http://127.0.0.1:{port}: the connection failed (ConnectError)"
        in text
    )
    assert "Fix: Check the network" in text
    assert "Credentials accepted" not in text


def test_a_url_that_is_not_notehub(sim: Simulator) -> None:
    code, out = doctor(sim, NOTEHUB_API_URL="ftp://files.example.com")
    assert code == 1
    assert "not an http:// or https:// URL" in out
    assert "Notehub\n" not in out  # nothing is sent to a URL that cannot be Notehub


def test_viewer_role_fails_unless_read_only(sim: Simulator) -> None:
    code, out = doctor(sim, NOTEHUB_API_TOKEN=VIEWER_TOKEN)
    assert code == 1
    assert "your role is viewer, so creating, running, cancelling and deleting jobs will be refused" in out
    assert "NOTEHUB_READ_ONLY=true" in out

    code, out = doctor(sim, NOTEHUB_API_TOKEN=VIEWER_TOKEN, NOTEHUB_READ_ONLY="true")
    assert code == 0, out
    assert "your role is viewer, which suits read-only mode" in out


def test_no_credentials_and_no_project(sim: Simulator) -> None:
    code, out = doctor(sim, NOTEHUB_API_TOKEN="", NOTEHUB_PROJECT_UID="${user_config.project_uid}")
    assert code == 1
    assert "[FAIL] Credentials: none." in out
    assert "[warn] Default project: none." in out
    assert "Unfilled Claude Desktop fields, treated as unset: NOTEHUB_PROJECT_UID." in out
    assert "Reached" in out  # reachability is still checked


def test_a_default_project_is_only_a_warning(sim: Simulator) -> None:
    code, out = doctor(sim, NOTEHUB_PROJECT_UID="")
    assert code == 0, out
    assert "Projects these credentials see:" in out
    assert "(1 warning above)" in out


@pytest.mark.anyio
async def test_the_command_line_exit_code_and_output() -> None:
    sim = Simulator(devices=5)
    async with serve_in_background(sim.app) as url:
        env = {"PATH": "/usr/bin:/bin", **GOOD, "NOTEHUB_API_URL": url}
        good = await anyio.run_process(
            [sys.executable, "-m", "notehub_jobs_mcp", "doctor"], env=env, check=False
        )
        bad = await anyio.run_process(
            [sys.executable, "-m", "notehub_jobs_mcp", "doctor"],
            env={**env, "NOTEHUB_API_TOKEN": "nope-not-a-token"},
            check=False,
        )
        viewer = {**env, "NOTEHUB_API_TOKEN": VIEWER_TOKEN}
        as_viewer = await anyio.run_process(
            [sys.executable, "-m", "notehub_jobs_mcp", "doctor"], env=viewer, check=False
        )
        read_only = await anyio.run_process(
            [sys.executable, "-m", "notehub_jobs_mcp", "doctor", "--read-only"], env=viewer, check=False
        )
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()
    assert b"All checks passed" in good.stdout
    assert bad.returncode == 1
    assert b"not accepted by Notehub (401)" in bad.stdout
    assert b"nope-not-a-token" not in bad.stdout + bad.stderr
    assert as_viewer.returncode == 1 and read_only.returncode == 0, read_only.stdout.decode()
    assert b"Read-only mode is on" in read_only.stdout


def test_doctor_is_listed_in_the_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "notehub_jobs_mcp", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "doctor" in out


def test_plain_http_to_a_public_host_is_a_warning(sim: Simulator) -> None:
    code, out = doctor(sim, NOTEHUB_API_URL="http://notehub.example.com")
    assert code == 0, out
    assert "[warn] Notehub API URL: http://notehub.example.com (NOTEHUB_API_URL) is plain HTTP" in out
