"""The nine Notehub Jobs API operations."""

from __future__ import annotations

import copy
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .context import Context, path_param
from .definition import DefinitionError, validate_definition
from .errors import ApiError
from .routing import route
from .runs import cancel_run, run_detail, run_listing, run_summary, submit_run
from .seed import new_uid
from .state import Job, JSONObject, Project, Run

JOBS = "/v1/projects/{project}/jobs"


def job_routes(ctx: Context) -> list[Route]:
    """Routes in matching order.

    `/jobs/runs/{report_uid}` comes before `/jobs/{job_uid}/runs`, so `GET .../jobs/runs/runs`
    reads the run "runs" (as Notehub's documented paths imply), never the runs of a job "runs".
    """
    api = JobsApi(ctx)
    return [
        route(JOBS, {"GET": api.get_jobs, "POST": api.create_job}),
        route(JOBS + "/runs/{report_uid}/cancel", {"POST": api.cancel_job_run}),
        route(JOBS + "/runs/{report_uid}", {"GET": api.get_job_run, "DELETE": api.delete_job_run}),
        route(JOBS + "/{job_uid}", {"GET": api.get_job, "DELETE": api.delete_job}),
        route(JOBS + "/{job_uid}/run", {"POST": api.run_job}),
        route(JOBS + "/{job_uid}/runs", {"GET": api.get_job_runs}),
    ]


class JobsApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def get_jobs(self, request: Request) -> JSONResponse:
        project, _, _ = self.ctx.open(request, "viewer")
        return JSONResponse({"jobs": [job_entry(project, job) for job in project.jobs.values()]})

    async def create_job(self, request: Request) -> JSONResponse:
        project, principal, now = self.ctx.open(request, "developer")
        name = request.query_params.get("name", "")
        if not name:
            raise ApiError(400, "missing required name parameter")
        definition = parse_definition(await request.body())
        job = Job(new_uid(self.ctx.rng), name, int(now), principal.email, definition)
        project.jobs[job.uid] = job
        return JSONResponse({"job_uid": job.uid}, status_code=201)

    async def get_job(self, request: Request) -> JSONResponse:
        project, _, _ = self.ctx.open(request, "viewer")
        job = find_job(project, request)
        return JSONResponse({**job_entry(project, job), "definition": job.definition})

    async def delete_job(self, request: Request) -> JSONResponse:
        project, _, _ = self.ctx.open(request, "developer")
        job = find_job(project, request)
        if any(run.in_progress for run in job_runs(project, job)):
            raise ApiError(409, "job has a run in progress; cancel it first")
        for report_uid in job.run_uids:
            project.runs.pop(report_uid, None)
        del project.jobs[job.uid]
        return JSONResponse({"success": True})

    async def run_job(self, request: Request) -> JSONResponse:
        project, principal, now = self.ctx.open(request, "developer")
        dry_run = parse_bool(request, "dry_run")
        job = find_job(project, request)
        run = submit_run(
            project,
            job,
            dry_run=bool(dry_run),
            submitted_by=principal.email,
            now=now,
            pace=self.ctx.pace,
            start_delay=self.ctx.start_delay,
            seq=self.ctx.store.next_run_seq(),
        )
        return JSONResponse({"report_uid": run.report_uid})

    async def get_job_runs(self, request: Request) -> JSONResponse:
        project, _, _ = self.ctx.open(request, "viewer")
        dry_run = parse_bool(request, "dry_run")
        status = request.query_params.get("status")
        job = find_job(project, request)
        runs = [
            run_listing(run)
            for run in reversed(job_runs(project, job))
            if (status is None or run.status == status) and (dry_run is None or run.dry_run == dry_run)
        ]
        return JSONResponse({"runs": runs})

    async def get_job_run(self, request: Request) -> JSONResponse:
        project, _, _ = self.ctx.open(request, "viewer")
        view = request.query_params.get("view", "summary")
        if view not in ("summary", "detail"):
            raise ApiError(400, f"invalid view parameter '{view}': must be summary or detail")
        run = find_run(project, request)
        return JSONResponse(run_detail(run) if view == "detail" else run_summary(run))

    async def cancel_job_run(self, request: Request) -> JSONResponse:
        project, _, now = self.ctx.open(request, "developer")
        run = find_run(project, request)
        return JSONResponse({"successful": cancel_run(project, run, now)})

    async def delete_job_run(self, request: Request) -> JSONResponse:
        project, _, _ = self.ctx.open(request, "developer")
        run = find_run(project, request)
        if run.in_progress:
            raise ApiError(409, "run is in progress; cancel it first")
        del project.runs[run.report_uid]
        job = project.jobs.get(run.job_uid)
        if job is not None:
            job.run_uids.remove(run.report_uid)
        return JSONResponse({})


def job_entry(project: Project, job: Job) -> JSONObject:
    entry: JSONObject = {
        "job_uid": job.uid,
        "name": job.name,
        "created": job.created,
        "created_by": job.created_by,
    }
    runs = job_runs(project, job)
    if runs:
        latest = runs[-1]
        entry["last_run_status"] = latest.status
        entry["last_run_submitted"] = int(latest.submitted)
        entry["last_run_completed"] = 0 if latest.completed is None else int(latest.completed)
    return entry


def job_runs(project: Project, job: Job) -> list[Run]:
    """The job's runs, oldest first."""
    return [project.runs[uid] for uid in job.run_uids if uid in project.runs]


def find_job(project: Project, request: Request) -> Job:
    job = project.jobs.get(path_param(request, "job_uid"))
    if job is None:
        raise ApiError(404, "job not found")
    return job


def find_run(project: Project, request: Request) -> Run:
    run = project.runs.get(path_param(request, "report_uid"))
    if run is None:
        raise ApiError(404, "run not found")
    return run


def parse_bool(request: Request, name: str) -> bool | None:
    """A boolean query parameter: absent is None; present must read exactly true or false."""
    value = request.query_params.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise ApiError(400, f"invalid {name} parameter '{value}': must be true or false")
    return value == "true"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_definition(body: bytes) -> JSONObject:
    """The request body as a validated job definition, or a 400 naming what is wrong."""
    try:
        definition = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid job definition: the request body is not valid JSON") from None
    try:
        validate_definition(definition)
    except DefinitionError as exc:
        raise ApiError(400, f"invalid job definition: {exc}") from None
    # Stored exactly as submitted; a copy so nothing else can alias it.
    result: JSONObject = copy.deepcopy(definition)
    return result
