"""The .mcpb bundle starts the way Claude Desktop starts it, on a Python without our dependencies.

One test, because building takes a while (pip installs the dependencies into the bundle): build
with the official packer, unpack, then run the manifest's ``mcp_config`` with ``${__dirname}``
and ``${user_config.*}`` filled in as Claude Desktop fills them, with ``python3`` found on a
PATH that leads to a fresh virtual environment holding nothing but the standard library.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from notehub_jobs_mcp.simulator import DEMO_PROJECT_UID, DEVELOPER_TOKEN, Simulator
from notehub_jobs_mcp.simulator.background import serve_in_background

from .conftest import text
from .node_tools import ROOT, node_tool

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sim_url() -> AsyncIterator[str]:
    async with serve_in_background(Simulator(devices=10).app) as url:
        yield url


def fill(value: str, dirname: Path, user_config: dict[str, str]) -> str:
    """Substitute as Claude Desktop does: ${__dirname}, and each user_config field the user set."""
    value = value.replace("${__dirname}", str(dirname))
    return re.sub(r"\$\{user_config\.(\w+)\}", lambda m: user_config.get(m.group(1), m.group(0)), value)


def build(tmp: Path) -> Path:
    node_tool("mcpb", "@anthropic-ai/mcpb")  # skips, saying why, where Node.js is missing
    out = tmp / "notehub-jobs-mcp.mcpb"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_bundle.py"),
            "--build-dir",
            str(tmp / "stage"),
            "--out",
            str(out),
        ],
        check=True,
        timeout=540,
    )
    return out


async def test_the_bundle_starts_from_its_manifest_on_a_bare_python(tmp_path: Path, sim_url: str) -> None:
    bundle = build(tmp_path)
    unpacked = tmp_path / "installed"  # where Claude Desktop unpacks an extension
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(unpacked)
    manifest: dict[str, Any] = json.loads((unpacked / "manifest.json").read_text())
    assert not list(unpacked.rglob("__pycache__")), "the bundle should carry no compiled bytecode"

    bare = tmp_path / "bare-python"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(bare)], check=True)
    bare_bin = bare / ("Scripts" if os.name == "nt" else "bin")
    path = os.pathsep.join([str(bare_bin), "/usr/bin", "/bin"])
    probe = subprocess.run(
        ["python3", "-c", "import pydantic"], env={"PATH": path}, capture_output=True, text=True, check=False
    )
    assert "No module named 'pydantic'" in probe.stderr, "the bare Python must not have our dependencies"

    # The user filled in the token, the project and the URL; read-only and the OAuth fields are left
    # empty, so they arrive as the literal placeholders.
    user_config = {"api_token": DEVELOPER_TOKEN, "project_uid": DEMO_PROJECT_UID, "api_url": sim_url}
    mcp_config = manifest["server"]["mcp_config"]
    command = shutil.which(mcp_config["command"], path=path)
    assert command is not None and Path(command).parent == bare_bin
    env = {name: fill(value, unpacked, user_config) for name, value in mcp_config["env"].items()}
    assert env["NOTEHUB_READ_ONLY"] == "${user_config.read_only}"
    params = StdioServerParameters(
        command=command,
        args=[fill(arg, unpacked, user_config) for arg in mcp_config["args"]],
        env={**env, "PATH": path, "HOME": str(tmp_path)},
        cwd=str(tmp_path),
    )
    async with Client(params) as client:
        tools = sorted(t.name for t in (await client.list_tools()).tools)
        result = await client.call_tool("list_jobs", {})
    assert tools == sorted(t["name"] for t in manifest["tools"])
    assert not result.is_error, text(result)
    assert DEMO_PROJECT_UID in text(result)

    # The packed manifest claims only what this bundle can run on.
    compatibility = manifest["compatibility"]
    minor = sys.version_info[1]
    assert compatibility["platforms"] == [sys.platform]
    assert compatibility["runtimes"]["python"] == f">=3.{minor}.0 <3.{minor + 1}.0"
    assert (unpacked / "server" / "native").is_dir() and (
        unpacked / "server" / "lib" / "notehub_jobs_mcp"
    ).is_dir()


def test_a_python_without_compiled_libraries_for_it_is_told_so(tmp_path: Path) -> None:
    server = tmp_path / "server"
    (server / "native" / "plan9-mips-cp399").mkdir(parents=True)
    shutil.copy2(ROOT / "bundle" / "main.py", server / "main.py")
    result = subprocess.run(
        [sys.executable, str(server / "main.py")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "has no compiled libraries for this Python" in result.stderr
    assert "it has them for: plan9-mips-cp399" in result.stderr
