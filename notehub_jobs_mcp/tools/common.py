"""What every tool shares: the server's state, argument types, and turning failures into tool errors."""

from __future__ import annotations

import inspect
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ResourceLink, TextContent, ToolAnnotations
from pydantic import BeforeValidator

from .. import uris
from ..client import NotehubClient
from ..config import Config
from ..errors import NotehubError, no_credentials
from ..formatting import error_text
from ..models import compact_schema, param
from ..outputs import Out

MAX_UID_LENGTH = 256


@dataclass
class AppState:
    """Lives for the server's lifetime: one config, one Notehub client (one connection pool)."""

    config: Config
    client: NotehubClient


ToolContext = Context[AppState, Any]


def state(ctx: ToolContext) -> AppState:
    return ctx.request_context.lifespan_context


def _strict_bool(value: Any) -> Any:
    # Some clients send booleans as strings. Accept only an unmistakable "true"/"false": pydantic's
    # lax parsing would also turn "no", "off" or "0" into False, and for dry_run False means a
    # real run that changes devices.
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise ValueError("expected a JSON boolean, true or false")
    if not isinstance(value, bool):
        raise ValueError("expected a JSON boolean, true or false")
    return value


StrictBool = Annotated[bool, BeforeValidator(_strict_bool)]

# Said once per tool, so kept short: nine tools repeat it in every conversation.
ProjectUid = Annotated[str | None, param("app:… or product UID; default: the server's project.")]


def uid(value: str, name: str) -> str:
    """Validate an opaque UID argument; it is URL-encoded later, this only refuses the impossible."""
    cleaned = value.strip()
    if not cleaned:
        raise ToolError(f"{name} is empty. Pass the UID exactly as a list tool printed it.")
    if len(cleaned) > MAX_UID_LENGTH:
        raise ToolError(f"{name} is {len(cleaned)} characters long; Notehub UIDs are far shorter. Check it.")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in cleaned):
        raise ToolError(
            f"{name} contains control characters; pass the UID exactly as a list tool printed it."
        )
    return cleaned


def project(ctx: ToolContext, project_uid: str | None) -> str:
    # Missing credentials come first: with nothing configured (a fresh Claude Desktop extension),
    # "no project" would send the user to fix the lesser problem.
    if state(ctx).config.auth_method is None:
        raise ToolError(error_text(no_credentials()))
    if project_uid is not None and project_uid.strip():
        return uid(project_uid, "project_uid")
    configured = state(ctx).config.project_uid
    if configured:
        return configured
    raise ToolError(
        "No project given. Pass project_uid (a project UID like app:… or a product UID), or set "
        "NOTEHUB_PROJECT_UID in the server's environment so every tool uses it by default."
    )


@asynccontextmanager
async def notehub_errors() -> AsyncIterator[None]:
    """Turn a Notehub failure into a tool error the model can read and act on."""
    try:
        yield
    except NotehubError as exc:
        raise ToolError(error_text(exc)) from None


def text_only(text: str) -> CallToolResult:
    """For tools that return no data, only what happened: no structured content to declare."""
    return CallToolResult(content=[TextContent(type="text", text=text)])


def result(out: Out, *links: ResourceLink) -> CallToolResult:
    """The text for the model, the same result as structured content for programs, and links to
    resources (a job's definition, a run's full report) a client can attach without a tool call."""
    return CallToolResult(
        content=[TextContent(type="text", text=out.summary), *links],
        structured_content=out.model_dump(mode="json", exclude_none=True),
    )


def job_link(project_uid: str, job_uid: str) -> ResourceLink:
    return ResourceLink(
        type="resource_link",
        uri=uris.job_uri(project_uid, job_uid),
        name="job-definition",
        title="The job's definition (JSON)",
        mime_type="application/json",
    )


def run_link(project_uid: str, report_uid: str) -> ResourceLink:
    return ResourceLink(
        type="resource_link",
        uri=uris.run_uri(project_uid, report_uid),
        name="run-report",
        title="The run's full report, every device (JSON)",
        mime_type="application/json",
    )


# All four hints are always explicit: clients decide from them how hard to ask the user.
def reading(title: str) -> ToolAnnotations:
    return ToolAnnotations(
        title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    )


def writing(title: str, *, destructive: bool, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=True,
    )


# A tool function, its annotations, and optionally its ``_meta`` (e.g. an MCP Apps view).
ToolSpec = tuple[Any, ToolAnnotations] | tuple[Any, ToolAnnotations, dict[str, Any]]


def build_tools(specs: list[ToolSpec]) -> list[Tool]:
    """The SDK tools for ``specs``, each titled and annotated, with a compact input schema."""
    tools = []
    for fn, ann, *meta in specs:
        # The docstring is the description the model reads; dedented, it wastes no tokens.
        tool = Tool.from_function(
            fn,
            title=ann.title,
            description=inspect.cleandoc(fn.__doc__ or ""),
            annotations=ann,
            meta=meta[0] if meta else None,
        )
        # The arguments' schema is paid for in tokens in every conversation: drop the titles the
        # SDK derives from parameter names. Validation uses the pydantic model, not this schema.
        compact_schema(tool.parameters)
        tools.append(tool)
    return tools
