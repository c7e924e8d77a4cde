"""Shapes of the tools' structured results (``structuredContent`` and its declared output schema).

Some clients show the model only the structured result, so each one stands on its own: it carries
the readable ``summary`` (the same text as the text result) next to the fields a program would use,
and it is bounded like the text is. Schemas carry no per-field titles: they would be paid for in
tokens in every conversation, and the field names say the same (see ``compact_schema``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from .models import compact_schema


class Out(BaseModel):
    model_config = ConfigDict(json_schema_extra=compact_schema)

    summary: str


class JobRow(BaseModel):
    model_config = ConfigDict(json_schema_extra=compact_schema)

    job_uid: str
    name: str
    created: str
    created_by: str
    last_run_status: str | None = None
    last_run_submitted: str | None = None


class JobsPage(Out):
    project_uid: str
    total: int
    jobs: list[JobRow]
    next_offset: int | None = None


class JobOut(Out):
    job_uid: str
    name: str
    created: str
    created_by: str
    last_run_status: str | None = None
    # The stored definition, unless it is too large to return whole (then see the summary).
    definition: dict[str, Any] | None = None


class ActionOut(Out):
    """The outcome of a write: what was done, and the IDs to use next."""

    outcome: str
    project_uid: str
    job_uid: str | None = None
    report_uid: str | None = None


class RunRow(BaseModel):
    model_config = ConfigDict(json_schema_extra=compact_schema)

    report_uid: str
    dry_run: bool
    status: str
    state: str
    submitted: str
    submitted_by: str


class RunsPage(Out):
    job_uid: str
    total: int
    runs: list[RunRow]
    next_offset: int | None = None


class Change(BaseModel):
    model_config = ConfigDict(json_schema_extra=compact_schema)

    kind: str
    detail: str
    devices: int


class FailureGroupOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=compact_schema)

    reason: str
    devices: int
    examples: list[str]


class DeviceRow(BaseModel):
    model_config = ConfigDict(json_schema_extra=compact_schema)

    device_uid: str
    status: str
    detail: str


class RunOut(Out):
    report_uid: str
    job_uid: str
    job_name: str
    # queued | running | succeeded | dry_run_succeeded | completed_with_errors | cancelled | finished
    state: str
    status: str
    dry_run: bool
    submitted_by: str
    submitted: str
    started: str
    completed: str
    devices_total: int
    devices_done: int
    by_status: dict[str, int]
    # summary view: aggregated changes and failures (capped; the summary says how many more)
    changes: list[Change] | None = None
    failures: list[FailureGroupOut] | None = None
    # detail view: one page of devices
    devices: list[DeviceRow] | None = None
    devices_matching: int | None = None
    next_offset: int | None = None
