"""manifest.json (the Claude Desktop bundle's) is valid, and agrees with the package it ships."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from typing import Any

import pytest

from notehub_jobs_mcp import __version__
from notehub_jobs_mcp.config import DEFAULT_API_URL, Config
from notehub_jobs_mcp.server import create_server

from .node_tools import ROOT, node_tool

MANIFEST: dict[str, Any] = json.loads((ROOT / "manifest.json").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PLACEHOLDER = re.compile(r"^\$\{user_config\.(\w+)\}$")


def test_the_official_validator_accepts_it() -> None:
    command = [*node_tool("mcpb", "@anthropic-ai/mcpb"), "validate", str(ROOT / "manifest.json")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validation passes" in result.stdout


def test_version_matches_the_package() -> None:
    assert MANIFEST["manifest_version"] == "0.3"
    assert MANIFEST["version"] == PYPROJECT["version"] == __version__


@pytest.mark.anyio
async def test_tools_match_the_server() -> None:
    offered = [tool.name for tool in await create_server(Config()).list_tools()]
    listed = [tool["name"] for tool in MANIFEST["tools"]]
    assert sorted(listed) == sorted(offered)
    assert len(listed) == 9 and all(tool.get("description") for tool in MANIFEST["tools"])


def test_it_describes_the_package() -> None:
    assert MANIFEST["name"] == PYPROJECT["name"]
    assert MANIFEST["license"] == PYPROJECT["license"]
    assert MANIFEST["author"]["name"] == PYPROJECT["authors"][0]["name"]
    assert MANIFEST["display_name"] and MANIFEST["description"] and MANIFEST["repository"]["url"]
    compatibility = MANIFEST["compatibility"]
    assert sorted(compatibility["platforms"]) == ["darwin", "linux", "win32"]
    assert compatibility["runtimes"]["python"] == PYPROJECT["requires-python"] == ">=3.11"


def test_the_server_entry_point_is_the_bundle_launcher() -> None:
    server = MANIFEST["server"]
    assert server["type"] == "python"
    assert server["entry_point"] == "server/main.py"
    assert server["mcp_config"]["args"] == ["${__dirname}/server/main.py"]
    assert (ROOT / "bundle" / "main.py").exists()  # staged as server/main.py by the build


def test_user_config_covers_every_setting_and_marks_secrets() -> None:
    fields = MANIFEST["user_config"]
    env = MANIFEST["server"]["mcp_config"]["env"]
    used = {name: PLACEHOLDER.match(value).group(1) for name, value in env.items()}  # type: ignore[union-attr]
    assert used == {
        "NOTEHUB_API_TOKEN": "api_token",
        "NOTEHUB_CLIENT_ID": "client_id",
        "NOTEHUB_CLIENT_SECRET": "client_secret",
        "NOTEHUB_PROJECT_UID": "project_uid",
        "NOTEHUB_API_URL": "api_url",
        "NOTEHUB_READ_ONLY": "read_only",
    }
    assert set(used.values()) == set(fields)
    assert {name for name, field in fields.items() if field.get("sensitive")} == {
        "api_token",
        "client_secret",
    }
    assert fields["read_only"]["type"] == "boolean" and fields["read_only"]["default"] is False
    assert fields["api_url"]["default"] == DEFAULT_API_URL
    assert not any(field.get("required") for field in fields.values())


def test_fields_left_empty_in_claude_desktop_count_as_unset() -> None:
    # Claude Desktop passes an optional field the user left empty as the placeholder text itself.
    unfilled = dict(MANIFEST["server"]["mcp_config"]["env"])
    config = Config.from_env(unfilled)
    assert config.auth_method is None and config.project_uid is None
    assert config.api_url == DEFAULT_API_URL and config.read_only is False

    filled = {
        **unfilled,
        "NOTEHUB_API_TOKEN": "t",
        "NOTEHUB_READ_ONLY": "true",
        "NOTEHUB_PROJECT_UID": "app:1",
    }
    config = Config.from_env(filled)
    assert config.auth_method == "token" and config.read_only is True and config.project_uid == "app:1"
