"""MCP resources: a job's definition, a run's full report, and the job-definition schema.

A client can attach these to a conversation without a tool call, and tool results can point at
them by URI. UIDs go into a URI as one percent-encoded segment each (``:`` stays literal, as in
``app:…``), so :func:`job_uri` and :func:`run_uri` round-trip any UID Notehub may hand out.

- ``notehub://projects/{project_uid}/jobs/{job_uid}``: the job with its definition, as JSON.
- ``notehub://projects/{project_uid}/runs/{report_uid}``: the run, its summary and every device's
  result, as JSON.
- ``notehub://schema/job-definition``: the JSON Schema of a job definition, with worked examples.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.resources import ResourceSecurity

from . import formatting
from .digest import digest_results
from .errors import NotehubError
from .models import JobDefinition
from .tools.common import ToolContext, state
from .uris import JOB_TEMPLATE, RUN_TEMPLATE, SCHEMA_URI, job_uri, run_uri

JSON = "application/json"

# The UIDs in these URIs never touch a file system: they are URL-encoded into Notehub API paths.
# The SDK's default path checks would refuse UIDs such as "a:b" (it reads a drive letter), so
# only the NUL check stays.
UID_SECURITY = ResourceSecurity(reject_path_traversal=False, reject_absolute_paths=False)


def register(server: MCPServer[Any]) -> None:
    server.resource(
        JOB_TEMPLATE,
        name="job_definition",
        title="Batch job definition",
        description="A Notehub batch job with its full definition (select, default_requests, "
        "device_requests, report_options), as JSON. Its definition can be passed to create_job.",
        mime_type=JSON,
        security=UID_SECURITY,
    )(job_definition)
    server.resource(
        RUN_TEMPLATE,
        name="job_run_report",
        title="Job run report",
        description="A job run's report as JSON (up to ~500 devices; more are counted and paged by "
        "get_job_run): status and timing, the summary get_job_run "
        "gives, and each device's result as Notehub reported it.",
        mime_type=JSON,
        security=UID_SECURITY,
    )(job_run_report)
    server.resource(
        SCHEMA_URI,
        name="job_definition_schema",
        title="Job definition JSON Schema",
        description="The JSON Schema of a batch job definition (create_job's definition), with "
        "worked examples: env vars on a fleet, clearing a variable, moving devices between fleets, "
        "per-device overrides, disabling devices, provisioning with a config note, a report only.",
        mime_type="application/schema+json",
    )(job_definition_schema)


# --- Handlers -----------------------------------------------------------------------------------


async def job_definition(project_uid: str, job_uid: str, ctx: ToolContext) -> str:
    async with _notehub_errors():
        job = await state(ctx).client.get_job(_uid(project_uid), _uid(job_uid))
    document = {
        "uri": job_uri(project_uid, job.job_uid),
        "project_uid": project_uid,
        "job_uid": job.job_uid,
        "name": job.name,
        "created": formatting.when(job.created),
        "created_by": job.created_by,
        "last_run_status": job.last_run_status,
        "definition": job.definition,
    }
    return _json(document)


async def job_run_report(project_uid: str, report_uid: str, ctx: ToolContext) -> str:
    async with _notehub_errors():
        run = await state(ctx).client.get_job_run(_uid(project_uid), _uid(report_uid), view="detail")
    document = {
        "uri": run_uri(project_uid, run.report_uid),
        "project_uid": project_uid,
        "report_uid": run.report_uid,
        "job_uid": run.job_uid,
        "job": job_uri(project_uid, run.job_uid) if run.job_uid else None,
        "job_name": run.job_name,
        "dry_run": run.dry_run,
        "status": run.status,
        "submitted_by": run.submitted_by,
        "submitted": formatting.when(run.submitted),
        "started": formatting.when(run.started),
        "completed": formatting.when(run.completed),
        "summary": formatting.run_summary(run, digest_results(run.results)).summary,
        "results": run.results,
    }
    return _bounded_report(document, run.report_uid)


# A client attaches a resource to the conversation whole, so the report keeps to the same
# ~20,000-token ceiling as tool results: devices beyond it are counted and paged by get_job_run.
REPORT_BUDGET_CHARS = 80_000
REPORT_MAX_DEVICES = 500


def _bounded_report(document: dict[str, Any], report_uid: str) -> str:
    text = _json(document)
    results = document["results"]
    devices = results.get("devices") if isinstance(results, dict) else None
    if len(text) <= REPORT_BUDGET_CHARS or not isinstance(devices, dict):
        return (
            text
            if len(text) <= REPORT_BUDGET_CHARS
            else _json({**document, "results": _too_large(report_uid)})
        )
    keep = REPORT_MAX_DEVICES
    while True:
        shown = dict(itertools.islice(devices.items(), keep))
        trimmed = {
            **document,
            "results": {**results, "devices": shown},
            "devices_shown": len(shown),
            "devices_omitted": len(devices) - len(shown),
            "more_devices": f"get_job_run with report_uid={report_uid} view=detail offset={len(shown)} "
            "pages through the rest (status= filters them).",
        }
        text = _json(trimmed)
        if len(text) <= REPORT_BUDGET_CHARS:
            return text
        if keep <= 1:
            return _json({**document, "results": _too_large(report_uid)})
        keep //= 2


def _too_large(report_uid: str) -> dict[str, str]:
    return {
        "omitted": "The results are too large to attach whole.",
        "instead": f"get_job_run with report_uid={report_uid} (summary) or view=detail (pages of devices).",
    }


def job_definition_schema() -> str:
    schema = JobDefinition.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_URI
    schema["examples"] = EXAMPLES
    return _json(schema)


# --- Helpers ------------------------------------------------------------------------------------


def _uid(value: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > 256 or any(ord(ch) < 32 for ch in cleaned):
        raise ResourceError(f"Not a Notehub UID: {formatting.data(cleaned, 80)}.")
    return cleaned


@asynccontextmanager
async def _notehub_errors() -> AsyncIterator[None]:
    try:
        yield
    except NotehubError as exc:
        raise ResourceError(formatting.error_text(exc)) from None


def _json(document: Any) -> str:
    # ASCII escapes keep any control or bidirectional character from Notehub inert.
    return json.dumps(document, indent=2, ensure_ascii=True)


# Job definitions a fleet engineer would write; each one's comment says what it does. UIDs are
# made up. Kept valid against JobDefinition by a test.
EXAMPLES: list[dict[str, Any]] = [
    {
        "comment": "Env vars on one fleet: move staging to verbose logging on the beta channel",
        "select": {"devices_in_fleets": ["fleet:5e2a61d0-0000-4000-8000-000000000001"]},
        "default_requests": {"vars_to_set": {"log_level": "3", "firmware_channel": "beta"}},
    },
    {
        "comment": 'Clear a variable everywhere ("-" clears it) and default another where unset',
        "select": {"all_devices": True},
        "default_requests": {
            "vars_to_set": {"debug_token": "-"},
            "vars_to_default": {"sample_interval_s": "300"},
        },
    },
    {
        "comment": "Move devices by serial-number pattern from one fleet to another",
        "select": {"devices_by_sn": ["PUMP-2026-*", "PUMP-2025-1[0-9]*"]},
        "default_requests": {
            "fleets_to_leave": ["fleet:5e2a61d0-0000-4000-8000-00000000000a"],
            "fleets_to_join": ["fleet:5e2a61d0-0000-4000-8000-00000000000b"],
        },
    },
    {
        "comment": "Per-device overrides on top of defaults: a site for all, a serial number each",
        "select": {"devices": ["dev:864475044211111", "dev:864475044222222"]},
        "default_requests": {"vars_to_set": {"site": "north"}},
        "device_requests": {
            "dev:864475044211111": {"sn_to_set": "NORTH-01"},
            "dev:864475044222222": {"sn_to_set": "NORTH-02", "vars_to_set": {"site": "north-annex"}},
        },
    },
    {
        "comment": "Disable a returned device and ask for a health report",
        "select": {"devices": ["dev:864475044233333"]},
        "default_requests": {"disable": True, "comment": "RMA 4471"},
        "report_options": {"device_health": True, "device_info": True},
    },
    {
        "comment": "Provision new devices, default their fleet, and seed a config note",
        "select": {"devices_in_fleets": ["fleet:5e2a61d0-0000-4000-8000-00000000000c"]},
        "default_requests": {
            "provision_product": "com.example.ops:pumps",
            "fleets_to_default": ["fleet:5e2a61d0-0000-4000-8000-000000000002"],
            "note_reqs": [
                {
                    "req": "note.add",
                    "file": "config.dbs",
                    "note": "thresholds",
                    "body": {"max_psi": 120, "min_psi": 15},
                }
            ],
        },
    },
    {
        "comment": "Report only, changing nothing: an inventory of variables and fleets",
        "select": {"all_devices": True},
        "report_options": {"device_vars": True, "app_fleets": True, "app_vars": True},
    },
]
