"""Guards on the tools that change devices or delete history: dry run first, and the person's yes.

Confirmation uses the SDK's resolvers (``Resolve``/``Elicit``), so it works on both protocol
generations: a mid-call ``elicitation/create`` on 2025-11-25, an input-required round trip on
2026-07-28. A resolver runs before the tool body (on every round), which is why the checks that
can refuse the call outright live here too: the person is never asked to approve something that
would then be refused.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import AcceptedElicitation, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from .. import formatting
from ..client import NotehubClient
from ..digest import digest_results
from ..models import JobRun
from ..status import run_state
from .common import ToolContext, notehub_errors, project, state, uid

# What a resolver returns when it did not ask (a plain value is injected as "accepted").
NOT_ASKED = "not asked: the client cannot show a confirmation"


class Confirm(BaseModel):
    # Unticked unless the person ticks it: an answer without the field is not a yes.
    confirm: bool = Field(
        default=False, title="Go ahead?", description="Tick to go ahead; leave unticked to stop."
    )


Confirmation = ElicitationResult[Confirm]


def require_yes(outcome: Confirmation, what: str) -> bool:
    """Go on only if the person said yes, or could not be asked; otherwise tell the model why not.

    Returns whether the person was actually asked (and said yes). Not going ahead is a tool error,
    so no client can mistake it for success.
    """
    if isinstance(outcome, AcceptedElicitation):
        if not isinstance(outcome.data, Confirm):
            return False
        if outcome.data.confirm:
            return True
        answer = "left the confirmation unticked"
    else:
        answer = "declined to confirm" if outcome.action == "decline" else "cancelled the confirmation"
    raise ToolError(
        f"Not done: the user {answer} ({what}). Nothing was changed. Do not try again unless "
        "the user asks; ask them what they want instead."
    )


def _can_elicit(ctx: ToolContext) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    # A bare `elicitation: {}` (before modes existed) means forms; url-only cannot show a form.
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


async def latest_dry_run(client: NotehubClient, proj: str, job_uid: str) -> JobRun | None:
    """The newest dry run of the job that finished (successfully or with errors), if any."""
    runs = await client.list_job_runs(proj, job_uid, dry_run=True)
    done = [r for r in runs if run_state(r) in ("dry_run_succeeded", "completed_with_errors", "finished")]
    return max(done, key=lambda r: r.submitted or 0, default=None)


async def confirm_run(
    ctx: ToolContext, job_uid: str, dry_run: bool, project_uid: str | None
) -> Elicit[Confirm] | str:
    if dry_run:
        return "dry run: nothing to confirm"
    proj = project(ctx, project_uid)
    job_id = uid(job_uid, "job_uid")
    app = state(ctx)
    ask = _can_elicit(ctx)
    async with notehub_errors():
        dry = await latest_dry_run(app.client, proj, job_id) if app.config.require_dry_run or ask else None
        if dry is None and app.config.require_dry_run:
            raise ToolError(
                f"Refused: job {job_id} has no finished dry run. Call run_job with dry_run=true first, "
                "wait for it (get_job_run), show the user what it would change, and run it for real "
                "only if they approve. (The server's operator can turn this rule off with "
                "NOTEHUB_REQUIRE_DRY_RUN=false.)"
            )
        if not ask:
            return NOT_ASKED
        job = await app.client.get_job(proj, job_id)
        dry_detail = await app.client.get_job_run(proj, dry.report_uid, view="detail") if dry else None
    digest = digest_results(dry_detail.results) if dry_detail is not None else None
    return Elicit(formatting.confirm_run_text(job, dry_detail, digest), Confirm)


async def confirm_delete_job(
    ctx: ToolContext, job_uid: str, project_uid: str | None
) -> Elicit[Confirm] | str:
    proj = project(ctx, project_uid)
    job_id = uid(job_uid, "job_uid")
    if not _can_elicit(ctx):
        return NOT_ASKED
    client = state(ctx).client
    async with notehub_errors():
        job = await client.get_job(proj, job_id)
        runs = await client.list_job_runs(proj, job_id)
    return Elicit(formatting.confirm_delete_job_text(job, len(runs)), Confirm)


async def confirm_delete_run(
    ctx: ToolContext, report_uid: str, project_uid: str | None
) -> Elicit[Confirm] | str:
    proj = project(ctx, project_uid)
    report = uid(report_uid, "report_uid")
    if not _can_elicit(ctx):
        return NOT_ASKED
    async with notehub_errors():
        run = await state(ctx).client.get_job_run(proj, report)
    return Elicit(formatting.confirm_delete_run_text(run), Confirm)


RunConfirmation = Annotated[Confirmation, Resolve(confirm_run)]
DeleteJobConfirmation = Annotated[Confirmation, Resolve(confirm_delete_job)]
DeleteRunConfirmation = Annotated[Confirmation, Resolve(confirm_delete_run)]
