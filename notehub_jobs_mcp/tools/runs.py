"""Tools for job runs: list, read (summary or per-device detail), cancel, delete."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import CallToolResult

from .. import formatting, ui
from ..digest import device_rows
from ..models import param
from ..outputs import ActionOut, RunOut, RunsPage
from ..status import is_terminal
from .common import (
    ProjectUid,
    StrictBool,
    ToolContext,
    ToolSpec,
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
from .jobs import JobUid, Limit, Offset
from .safety import DeleteRunConfirmation, require_yes
from .waiting import WaitSeconds, read_run

ReportUid = Annotated[str, param("The run's report_uid, as run_job or list_job_runs printed it.")]


async def list_job_runs(
    ctx: ToolContext,
    job_uid: JobUid,
    status: Annotated[
        str | None,
        param('Only runs whose status is exactly this, e.g. "completed with errors".'),
    ] = None,
    dry_run: Annotated[StrictBool | None, param("Only dry runs (true) or only real runs (false).")] = None,
    project_uid: ProjectUid = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Annotated[CallToolResult, RunsPage]:
    """A job's runs, newest first: report_uid, dry or real, status, who, when. Check it before re-running."""
    proj = project(ctx, project_uid)
    job_id = uid(job_uid, "job_uid")
    status_filter = status.strip() if status and status.strip() else None
    async with notehub_errors():
        runs = await state(ctx).client.list_job_runs(proj, job_id, status=status_filter, dry_run=dry_run)
    filters = []
    if status_filter:
        filters.append(f"status {formatting.data(status_filter, 60)}")
    if dry_run is not None:
        filters.append("dry runs only" if dry_run else "real runs only")
    described = f" ({', '.join(filters)})" if filters else ""
    return result(formatting.runs_page(runs, job_id, offset=offset, limit=limit, filters=described))


async def get_job_run(
    ctx: ToolContext,
    report_uid: ReportUid,
    view: Annotated[
        Literal["summary", "detail"],
        param("summary: counts, changes and failures. detail: per-device rows, paged."),
    ] = "summary",
    status: Annotated[str | None, param('detail: only devices with this status, e.g. "failed".')] = None,
    limit: Annotated[int, param("detail: devices per page.", ge=1, le=200)] = 50,
    offset: Annotated[int, param("detail: devices to skip.", ge=0)] = 0,
    project_uid: ProjectUid = None,
    wait_seconds: WaitSeconds = 0,
) -> Annotated[CallToolResult, RunOut]:
    """Show a job run: status, dry or real, timing, per-status device counts, what changed (or would
    change), and failures grouped by reason, with the next step. view=detail pages through devices.
    """
    proj = project(ctx, project_uid)
    report = uid(report_uid, "report_uid")
    # The summary needs per-device results to count them, and Notehub only sends those in its
    # detail view; the digest keeps what the model reads small however large that payload is.
    run, digest = await read_run(ctx, proj, report, wait_seconds)
    if view == "summary":
        return result(formatting.run_summary(run, digest), run_link(proj, report))
    status_filter = status.strip().lower() if status and status.strip() else None
    rows = device_rows(run.results, status_filter)
    return result(
        formatting.run_devices_page(
            run, digest, rows, offset=offset, limit=limit, status_filter=status_filter
        ),
        run_link(proj, report),
    )


async def cancel_job_run(
    ctx: ToolContext, report_uid: ReportUid, project_uid: ProjectUid = None
) -> Annotated[CallToolResult, ActionOut]:
    """Cancel a run in progress: Notehub stops at the current device; processed devices keep their changes."""
    proj = project(ctx, project_uid)
    report = uid(report_uid, "report_uid")
    client = state(ctx).client
    async with notehub_errors():
        run = await client.get_job_run(proj, report)
        if is_terminal(run):
            return result(formatting.run_cancelled(report, proj, accepted=False, run=run))
        accepted = await client.cancel_job_run(proj, report)
        if not accepted:
            run = await client.get_job_run(proj, report)
    return result(formatting.run_cancelled(report, proj, accepted=accepted, run=run))


async def delete_job_run(
    ctx: ToolContext,
    confirmation: DeleteRunConfirmation,
    report_uid: ReportUid,
    project_uid: ProjectUid = None,
) -> CallToolResult:
    """Delete a finished run's results from Notehub. Devices and the job are not changed."""
    proj = project(ctx, project_uid)
    report = uid(report_uid, "report_uid")
    require_yes(confirmation, f"deleting run {report}")
    async with notehub_errors():
        await state(ctx).client.delete_job_run(proj, report)
    return text_only(formatting.run_deleted(report))


TOOLS: list[ToolSpec] = [
    (list_job_runs, reading("List a job's runs")),
    # Hosts with MCP Apps show the run report beside the result.
    (get_job_run, reading("Get a job run"), ui.TOOL_META),
    # Cancelling stops device changes midway, which cannot be resumed: destructive.
    (cancel_job_run, writing("Cancel a job run", destructive=True, idempotent=True)),
    (delete_job_run, writing("Delete a job run", destructive=True, idempotent=True)),
]
