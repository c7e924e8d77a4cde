"""Job runs over time: submission, lazy progression device by device, cancel, and views.

There are no background tasks. Every request first advances the project's runs to the
current clock, replaying every event that fell due since the last request in time order,
so interleaved runs touch shared devices in the same order a live system would.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from .engine import effective_requests, failed, plan_device, select_devices, status_line
from .state import (
    CANCELLED,
    COMPLETED,
    COMPLETED_WITH_ERRORS,
    DRY_RUN_COMPLETED,
    Job,
    JSONObject,
    Project,
    Run,
)

FailurePolicy = Callable[[str], str | None]

PENDING_ENTRY: JSONObject = {"status": "pending"}
CANCELLED_ENTRY: JSONObject = {"status": "cancelled"}


def submit_run(
    project: Project,
    job: Job,
    *,
    dry_run: bool,
    submitted_by: str,
    now: float,
    pace: float,
    start_delay: float,
    seq: int,
) -> Run:
    """Queue a run of `job`; it starts `start_delay` seconds after `now`."""
    run = Run(
        report_uid=_new_report_uid(project, job, now),
        job_uid=job.uid,
        job_name=job.name,
        dry_run=dry_run,
        submitted_by=submitted_by,
        submitted=now,
        definition=job.definition,
        device_uids=select_devices(project, job.definition.get("select") or {}),
        pace=pace,
        start_delay=start_delay,
        seq=seq,
        updated=now,
    )
    project.runs[run.report_uid] = run
    job.run_uids.append(run.report_uid)
    return run


def _new_report_uid(project: Project, job: Job, now: float) -> str:
    # Notehub's form is <job_uid>-<milliseconds>; two runs in one millisecond take the next one.
    millis = int(now * 1000)
    while f"{job.uid}-{millis}" in project.runs:
        millis += 1
    return f"{job.uid}-{millis}"


def advance(project: Project, now: float, failure: FailurePolicy | None = None) -> None:
    """Process every run event due at or before `now`, earliest first."""
    queue = [(_next_event(run), run.seq, run) for run in project.runs.values() if run.in_progress]
    heapq.heapify(queue)
    while queue and queue[0][0] <= now:
        when, seq, run = heapq.heappop(queue)
        _step(project, run, when, failure)
        if run.in_progress:
            heapq.heappush(queue, (_next_event(run), seq, run))


def _next_event(run: Run) -> float:
    return run.start_time if run.started is None else run.device_time(run.next_index)


def _step(project: Project, run: Run, when: float, failure: FailurePolicy | None) -> None:
    run.updated = when
    if run.started is None:
        run.started = when
    else:
        _process_device(project, run, run.device_uids[run.next_index], failure)
        run.next_index += 1
    if run.next_index == len(run.device_uids):
        _finish(project, run, when)


def _process_device(project: Project, run: Run, device_uid: str, failure: FailurePolicy | None) -> None:
    reason = failure(device_uid) if failure else None
    if reason:
        result, after = failed(reason), None
    else:
        requests = effective_requests(run.definition, device_uid)
        result, after = plan_device(project.devices.get(device_uid), requests, project.fleets)
    if result["status"] == "failed":
        run.failures += 1
    elif after is not None and not run.dry_run:
        project.devices[device_uid] = after
    run.results[device_uid] = result
    run.status = status_line(device_uid, result)


def _finish(project: Project, run: Run, when: float) -> None:
    run.completed = when
    if run.failures:
        run.status = COMPLETED_WITH_ERRORS
    else:
        run.status = DRY_RUN_COMPLETED if run.dry_run else COMPLETED
    run.report = build_report(project, run)


def cancel_run(project: Project, run: Run, now: float) -> bool:
    """Stop a run where it is; False (and no change) when it had already ended."""
    if not run.in_progress:
        return False
    run.cancel = True
    run.status = CANCELLED
    run.completed = run.updated = now
    run.report = build_report(project, run)
    return True


def build_report(project: Project, run: Run) -> JSONObject | None:
    """The inventory `report_options` asks for, as of the moment the run ended."""
    options = run.definition.get("report_options") or {}
    report: JSONObject = {}
    if options.get("app_info"):
        report["app"] = {"uid": project.uid, "name": project.name, "product_uid": project.product_uid}
    if options.get("app_fleets"):
        report["fleets"] = [{"uid": fleet.uid, "label": fleet.label} for fleet in project.fleets.values()]
    if options.get("app_vars"):
        report["app_vars"] = dict(project.env)
    wanted = [
        name
        for name in ("device_vars", "device_info", "device_health", "device_activity")
        if options.get(name)
    ]
    if wanted:
        devices: JSONObject = {}
        for uid in run.device_uids:
            device = project.devices.get(uid)
            if device is None:
                continue
            entry: JSONObject = {}
            if "device_vars" in wanted:
                entry["vars"] = dict(device.env)
            if "device_info" in wanted:
                entry["info"] = {
                    "serial_number": device.serial_number,
                    "fleets": list(device.fleets),
                    "product_uid": device.product_uid,
                    "disabled": device.disabled,
                }
            if "device_health" in wanted:
                entry["health"] = {"voltage": device.voltage, "last_seen": device.last_seen}
            if "device_activity" in wanted:
                entry["activity"] = {"last_seen": device.last_seen}
            devices[uid] = entry
        report["devices"] = devices
    return report or None


def _epoch(moment: float | None) -> int:
    return 0 if moment is None else int(moment)


def run_listing(run: Run) -> JSONObject:
    """A run as Get Job Runs lists it (the documented list entry has no `completed`)."""
    return {
        "report_uid": run.report_uid,
        "job_uid": run.job_uid,
        "job_name": run.job_name,
        "status": run.status,
        "dry_run": run.dry_run,
        "submitted_by": run.submitted_by,
        "submitted": _epoch(run.submitted),
        "started": _epoch(run.started),
        "updated": _epoch(run.updated),
        "cancel": run.cancel,
    }


def run_summary(run: Run) -> JSONObject:
    """A run as Get Job Run returns it with `view=summary`."""
    return {**run_listing(run), "completed": _epoch(run.completed)}


def run_detail(run: Run) -> JSONObject:
    """A run with `view=detail`: the summary plus the per-device `results`."""
    unprocessed = CANCELLED_ENTRY if run.cancel else PENDING_ENTRY
    results: JSONObject = {
        "devices": {uid: run.results.get(uid, unprocessed) for uid in run.device_uids},
        "job": {
            "dry_run": run.dry_run,
            "job_name": run.job_name,
            "job_uid": run.job_uid,
            "status": run.status,
            "when_submitted": _epoch(run.submitted),
            "when_started": _epoch(run.started),
            "when_updated": _epoch(run.updated),
            "when_completed": _epoch(run.completed),
            "who_submitted": run.submitted_by,
        },
    }
    if run.report is not None:
        results["report"] = run.report
    return {**run_summary(run), "results": results}
