"""Wait for a run inside one tool call, with progress, without outliving the client's patience.

MCP clients give up on a tool call after about a minute, so a wait is capped well below that;
a longer run is followed by calling again. If the client cancels the call, the wait simply stops
(anyio cancellation): the Notehub run is left alone, since stopping it is cancel_job_run's job.
"""

from __future__ import annotations

from typing import Annotated

import anyio

from ..digest import Digest, digest_results
from ..formatting import data
from ..models import JobRun, param
from ..status import is_terminal
from .common import ToolContext, notehub_errors, state

MAX_WAIT_S = 45

WaitSeconds = Annotated[
    int,
    param(f"Seconds (0-{MAX_WAIT_S}) to wait for the run to end, with progress.", ge=0, le=MAX_WAIT_S),
]


async def read_run(ctx: ToolContext, proj: str, report_uid: str, wait_seconds: int) -> tuple[JobRun, Digest]:
    """The run with per-device results, after waiting up to ``wait_seconds`` for it to end."""
    app = state(ctx)
    deadline = anyio.current_time() + wait_seconds
    async with notehub_errors():
        run = await app.client.get_job_run(proj, report_uid, view="detail")
        digest = digest_results(run.results)
        last_reported: tuple[int, str] | None = None
        while wait_seconds:
            progress = (digest.done, run.status)
            if progress != last_reported:
                last_reported = progress
                await _report(ctx, run, digest)
            remaining = deadline - anyio.current_time()
            if is_terminal(run) or remaining <= 0:
                break
            await anyio.sleep(min(app.config.poll_interval_s, remaining))
            run = await app.client.get_job_run(proj, report_uid, view="detail")
            digest = digest_results(run.results)
    return run, digest


async def _report(ctx: ToolContext, run: JobRun, digest: Digest) -> None:
    # A no-op unless the client asked for progress (sent a progress token).
    total = digest.total or None
    message = f"{digest.done:,} of {digest.total:,} devices done — {data(run.status, 100)}"
    await ctx.report_progress(digest.done, total, message)
