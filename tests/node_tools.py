"""Node.js tools written by other people (the MCP Bundle packer, the MCP Inspector), for the tests.

CI installs them with ``npm ci --prefix .ci/node``; elsewhere npx fetches the pinned version. A
test that needs one is skipped, saying why, only where Node.js is not installed at all.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE_TOOLS = ROOT / ".ci" / "node"


def node_tool(binary: str, package: str) -> list[str]:
    """The command that runs ``binary`` from npm ``package`` at the version .ci/node pins."""
    local = NODE_TOOLS / "node_modules" / ".bin" / binary
    if local.exists():
        return [str(local)]
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip(
            f"needs Node.js (npx) for {package}; install Node.js 20+, then `npm ci --prefix .ci/node`"
        )
    version = json.loads((NODE_TOOLS / "package.json").read_text())["devDependencies"][package]
    return [npx, "--yes", "--package", f"{package}@{version}", "--", binary]
