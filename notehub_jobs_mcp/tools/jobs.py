"""Tools for batch jobs: list, create, read, delete, run."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult

from .. import formatting, ui
from ..models import JobDefinition, param
from ..outputs import ActionOut, JobOut, JobsPage, RunOut
from .common import (
    ProjectUid,
    StrictBool,
    ToolContext,
    ToolSpec,
    job_link,
    notehub_errors,
    project,
    reading,
    result,
    run_link,
    state,
    text_only,
    uid,
    writing,
)
from .safety import DeleteJobConfirmation, RunConfirmation, require_yes
from .waiting import WaitSeconds, read_run

JobUid = Annotated[str, param("The job's job_uid, as list_jobs or create_job printed it.")]
Limit = Annotated[int, param("Page size.", ge=1, le=200)]
Offset = Annotated[int, param("Items to skip (next page).", ge=0)]


async def list_jobs(
    ctx: ToolContext, project_uid: ProjectUid = None, limit: Limit = 50, offset: Offset = 0
) -> Annotated[CallToolResult, JobsPage]:
    """The project's batch jobs, newest first, each with its last run. Use it to find a job_uid."""
    proj = project(ctx, project_uid)
    async with notehub_errors():
        jobs = await state(ctx).client.list_jobs(proj)
    return result(formatting.jobs_page(jobs, proj, offset=offset, limit=limit))


async def create_job(
    ctx: ToolContext,
    name: Annotated[str, param("Short name people will recognise.", min_length=1, max_length=200)],
    definition: JobDefinition,
    project_uid: ProjectUid = None,
) -> Annotated[CallToolResult, ActionOut]:
    """Create a batch job (a saved definition; nothing runs yet) and return its job_uid.

    Example definition: {"select": {"devices_in_fleets": ["fleet:…"]}, "default_requests":
    {"vars_to_set": {"log_level": "3"}}}. Next: run_job with dry_run=true.
    """
    proj = project(ctx, project_uid)
    async with notehub_errors():
        job_uid = await state(ctx).client.create_job(proj, name.strip(), definition)
    return result(
        formatting.job_created(job_uid, name.strip(), proj, _definition_warnings(definition)),
        job_link(proj, job_uid),
    )


def _definition_warnings(definition: JobDefinition) -> list[str]:
    warnings = []
    sel = definition.select
    if sel is None or not (sel.all_devices or sel.devices or sel.devices_by_sn or sel.devices_in_fleets):
        warnings.append("Warning: the definition selects no devices, so a run will change nothing.")
    if (
        definition.default_requests is None
        and not definition.device_requests
        and definition.report_options is None
    ):
        warnings.append("Warning: the definition has no requests and no report options, so it does nothing.")
    return warnings


async def get_job(
    ctx: ToolContext, job_uid: JobUid, project_uid: ProjectUid = None
) -> Annotated[CallToolResult, JobOut]:
    """Show one job: its name, creator, last run, and its full definition (select and requests)."""
    proj = project(ctx, project_uid)
    job_id = uid(job_uid, "job_uid")
    async with notehub_errors():
        job = await state(ctx).client.get_job(proj, job_id)
    return result(formatting.job_out(job), job_link(proj, job_id))


async def delete_job(
    ctx: ToolContext,
    confirmation: DeleteJobConfirmation,
    job_uid: JobUid,
    project_uid: ProjectUid = None,
) -> CallToolResult:
    """Delete a job and its run history. Devices are not changed. Cannot be undone."""
    proj = project(ctx, project_uid)
    job_id = uid(job_uid, "job_uid")
    require_yes(confirmation, f"deleting job {job_id}")
    async with notehub_errors():
        await state(ctx).client.delete_job(proj, job_id)
    return text_only(formatting.job_deleted(job_id, proj))


async def run_job(
    ctx: ToolContext,
    confirmation: RunConfirmation,
    job_uid: JobUid,
    dry_run: Annotated[
        StrictBool,
        param(
            "true: simulate and report what would change, changing nothing. "
            "false: really change the devices. Dry-run first and show the user the result."
        ),
    ],
    project_uid: ProjectUid = None,
    wait_seconds: WaitSeconds = 0,
) -> Annotated[CallToolResult, RunOut]:
    """Start a run of a job: a dry run (dry_run=true) or for real (false; needs a finished dry run).

    Returns report_uid and the run's state, or its summary if it ends within wait_seconds. Each call
    starts a new run: to "retry", check list_job_runs first.
    """
    proj = project(ctx, project_uid)
    job_id = uid(job_uid, "job_uid")
    asked = require_yes(confirmation, f"a real run of job {job_id}")
    async with notehub_errors():
        report_uid = await state(ctx).client.run_job(proj, job_id, dry_run=dry_run)
    try:
        run, digest = await read_run(ctx, proj, report_uid, wait_seconds)
    except ToolError as exc:
        # The run exists: whatever went wrong reading it back, it must not be started again.
        return result(
            formatting.run_submitted_unread(report_uid, job_id, dry_run=dry_run, problem=str(exc)),
            run_link(proj, report_uid),
        )
    out = formatting.run_summary(run, digest)
    if not dry_run and not asked:
        out = formatting.unconfirmed(out)
    return result(out, run_link(proj, report_uid))


TOOLS: list[ToolSpec] = [
    (list_jobs, reading("List batch jobs")),
    (get_job, reading("Get a batch job")),
    (create_job, writing("Create a batch job", destructive=False, idempotent=False)),
    # Deleting again changes nothing more: idempotent, though destructive.
    (delete_job, writing("Delete a batch job", destructive=True, idempotent=True)),
    # Every call starts another run: never idempotent.
    # Hosts with MCP Apps show the run report beside the result.
    (run_job, writing("Run a batch job", destructive=True, idempotent=False), ui.TOOL_META),
]
