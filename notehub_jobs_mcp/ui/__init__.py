"""The run report: an MCP Apps view (``io.modelcontextprotocol/ui``) of a job run.

``run_job`` and ``get_job_run`` name :data:`RUN_REPORT_URI` in their ``_meta.ui``. A host that
supports MCP Apps (Claude Desktop) reads that resource and shows it in a sandboxed frame beside
the result: progress, outcomes, failure groups and a paged device table, fetched through the
host's bridge with the same tools the model uses. A client without Apps ignores ``_meta`` and gets
the result it always got; the model reads the same text either way.

``run_report.html`` is one self-contained document (no network, no external fonts or scripts), so
the host's default content security policy is all it needs.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from mcp.server.apps import Apps

# Short on purpose: each tool that names it pays for it in tokens in every conversation.
RUN_REPORT_URI = "ui://notehub/run.html"
TOOL_META: dict[str, Any] = {"ui": {"resourceUri": RUN_REPORT_URI}}


@cache
def run_report_html() -> str:
    return files(__name__).joinpath("run_report.html").read_text(encoding="utf-8")


def apps() -> Apps:
    """The Apps extension serving the run report, for ``MCPServer(extensions=[...])``."""
    extension = Apps()
    extension.add_html_resource(
        RUN_REPORT_URI,
        run_report_html(),
        name="run_report",
        title="Job run report",
        description="Interactive view of a job run: progress, outcomes, failures and a device table.",
        prefers_border=True,
    )
    return extension
