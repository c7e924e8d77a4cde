"""Pydantic models of the Notehub Jobs API, written from Blues' OpenAPI document.

Two kinds live here, on purpose with different strictness:

- What the model *sends* (the job definition) forbids unknown fields, so a typo such as
  ``vars_to_sett`` is refused by name before anything reaches Notehub.
- What Notehub *returns* (jobs, runs, errors) allows unknown fields, because Notehub adds fields
  over time and ``results`` "varies by job type"; reading must never fail on something new.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def compact_schema(schema: dict[str, Any]) -> None:
    """Shrink a model's JSON Schema to what a reader needs: it is paid for in tokens in every
    conversation. Per-property titles repeat the field name, and an optional field's
    ``anyOf: [X, null]`` with ``default: null`` says no more than leaving it out of ``required``.
    """
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            compact_field(prop)


def compact_field(prop: dict[str, Any]) -> None:
    """:func:`compact_schema` for one property; also usable as a ``Field(json_schema_extra=…)``."""
    prop.pop("title", None)
    options = prop.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        prop.pop("anyOf")
        kept = next(o for o in options if o != {"type": "null"})
        prop.update({k: v for k, v in kept.items() if k not in prop})
    if "default" in prop and prop["default"] is None:
        prop.pop("default")


def param(description: str, **kwargs: Any) -> Any:
    """A tool parameter's ``Field``: its description, and a schema without the noise."""
    return Field(description=description, json_schema_extra=compact_field, **kwargs)


# --- Job definition: what create_job sends --------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_schema)


class NoteRequest(_Strict):
    """One note.add/note.update/note.delete against a notefile on the device."""

    req: Literal["note.add", "note.update", "note.delete"]
    file: str = Field(description="Notefile, e.g. config.dbs or data.qi.")
    note: str | None = Field(
        default=None,
        description="Note ID: required for note.update/note.delete and for note.add to a .dbs/.db file; "
        "omit for note.add to a .qi/.qo queue.",
    )
    body: dict[str, Any] | None = Field(default=None, description="Note body (add/update).")


class BatchJobRequests(_Strict):
    """Changes to make on each selected device; only the fields given apply."""

    comment: str | None = None
    vars_to_set: dict[str, str] | None = Field(
        default=None, description='Env vars to set; value "-" deletes the var.'
    )
    vars_to_default: dict[str, str] | None = Field(default=None, description="Env vars set only where unset.")
    fleets_to_join: list[str] | None = Field(default=None, description="Fleet UIDs to add the device to.")
    fleets_to_leave: list[str] | None = Field(default=None, description="Fleet UIDs to remove it from.")
    fleets_to_default: list[str] | None = Field(
        default=None, description="Fleet UIDs assigned only if the device has no fleet."
    )
    enable: bool | None = None
    disable: bool | None = None
    sn_to_set: str | None = Field(default=None, description='Serial number to set; "-" clears it.')
    sn_to_default: str | None = Field(default=None, description="Serial number set only where unset.")
    provision_product: str | None = Field(
        default=None, description="Product UID to provision with, if not provisioned."
    )
    connectivity_assurance_enable: bool | None = None
    connectivity_assurance_disable: bool | None = None
    note_reqs: list[NoteRequest] | None = Field(default=None, description="Notefile requests to perform.")


class DeviceSelection(_Strict):
    """Devices to act on: the union of every criterion given."""

    all_devices: bool | None = Field(default=None, description="Every device in the project.")
    devices: list[str] | None = Field(default=None, description="Device UIDs (dev:…).")
    devices_by_sn: list[str] | None = Field(default=None, description="Serial-number globs (*, ?, [...]).")
    devices_in_fleets: list[str] | None = Field(default=None, description="Fleet UIDs (fleet:…).")
    comment: str | None = None


class ReportOptions(_Strict):
    """Extra inventory to include in the run's report."""

    app_fleets: bool | None = None
    app_info: bool | None = None
    app_vars: bool | None = None
    device_activity: bool | None = None
    device_health: bool | None = None
    device_info: bool | None = None
    device_vars: bool | None = None
    comment: str | None = None


class JobDefinition(_Strict):
    """A Notehub batch job: which devices (select) and what to change on them."""

    comment: str | None = Field(default=None, description="What the job is for, for people.")
    select: DeviceSelection | None = None
    default_requests: BatchJobRequests | None = Field(
        default=None, description="Changes applied to every selected device."
    )
    device_requests: dict[str, BatchJobRequests] | None = Field(
        default=None, description="Per-device overrides keyed by device UID, merged over default_requests."
    )
    report_options: ReportOptions | None = None

    def to_api(self) -> dict[str, Any]:
        """The JSON body Notehub expects: only the fields that were given."""
        return self.model_dump(mode="json", exclude_none=True)


# --- What Notehub returns -------------------------------------------------------------------------


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class Job(_Lenient):
    job_uid: str
    name: str = ""
    created: int = 0
    created_by: str = ""
    last_run_status: str | None = None
    last_run_submitted: int | None = None
    last_run_completed: int | None = None


class JobDetail(Job):
    # Kept as raw JSON: the definition is shown back to the model as it is stored, including any
    # field newer than our models.
    definition: dict[str, Any] | None = None


class JobRun(_Lenient):
    report_uid: str
    job_uid: str = ""
    job_name: str = ""
    status: str = ""
    dry_run: bool = False
    submitted_by: str = ""
    submitted: int = 0
    started: int = 0
    updated: int = 0
    # Absent (None) in Get Job Runs list entries; only Get Job Run reports it.
    completed: int | None = None
    cancel: bool = False
    results: Any = None


class NotehubErrorBody(_Lenient):
    """Notehub's error shape. ``debug`` and ``request`` exist upstream but are never shown."""

    err: str = ""
    code: int | None = None
    status: str | None = None
