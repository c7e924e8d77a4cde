"""In-memory Notehub data: projects with their devices, fleets, jobs and job runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["viewer", "developer"]
JSONObject = dict[str, Any]

# Run statuses that end a run; anything else (submitted, per-device lines) means in progress.
COMPLETED = "completed successfully"
DRY_RUN_COMPLETED = "dry run completed successfully"
COMPLETED_WITH_ERRORS = "completed with errors"
CANCELLED = "cancelled"
SUBMITTED = "submitted"


@dataclass(slots=True)
class Device:
    uid: str
    serial_number: str = ""
    fleets: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    disabled: bool = False
    product_uid: str = ""
    connectivity_assurance: bool = False
    # Notefile name -> {note id: body} for databases, or a list of bodies for queues.
    notefiles: dict[str, Any] = field(default_factory=dict)
    last_seen: int = 0
    voltage: float = 0.0

    def copy(self) -> Device:
        """A copy whose containers can be changed without touching this device."""
        return Device(
            uid=self.uid,
            serial_number=self.serial_number,
            fleets=list(self.fleets),
            env=dict(self.env),
            disabled=self.disabled,
            product_uid=self.product_uid,
            connectivity_assurance=self.connectivity_assurance,
            notefiles={
                name: (list(content) if isinstance(content, list) else dict(content))
                for name, content in self.notefiles.items()
            },
            last_seen=self.last_seen,
            voltage=self.voltage,
        )


@dataclass(slots=True)
class Fleet:
    uid: str
    label: str


@dataclass(slots=True)
class Job:
    uid: str
    name: str
    created: int
    created_by: str
    definition: JSONObject
    # Report UIDs in submission order; the last one is the job's latest run.
    run_uids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Run:
    report_uid: str
    job_uid: str
    job_name: str
    dry_run: bool
    submitted_by: str
    submitted: float
    definition: JSONObject
    device_uids: list[str]
    # Each run keeps the pace it was submitted with, so seeded history can be replayed
    # at a realistic speed while new runs use the simulator's pace.
    pace: float
    start_delay: float
    seq: int
    status: str = SUBMITTED
    started: float | None = None
    completed: float | None = None
    updated: float = 0.0
    cancel: bool = False
    next_index: int = 0
    failures: int = 0
    results: dict[str, JSONObject] = field(default_factory=dict)
    report: JSONObject | None = None

    @property
    def in_progress(self) -> bool:
        return self.completed is None

    @property
    def start_time(self) -> float:
        return self.submitted + self.start_delay

    def device_time(self, index: int) -> float:
        """When the device at `index` in the selection is processed."""
        return self.start_time + index * self.pace


@dataclass
class Project:
    uid: str
    name: str
    product_uid: str
    created: float = 0.0
    fleets: dict[str, Fleet] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    email: str
    expires: float | None = None


@dataclass
class Store:
    projects: dict[str, Project] = field(default_factory=dict)
    tokens: dict[str, Principal] = field(default_factory=dict)
    run_seq: int = 0

    def add_project(self, project: Project) -> None:
        self.projects[project.uid] = project

    def find_project(self, project_or_product_uid: str) -> Project | None:
        """The API takes either a project UID or a product UID in the same path segment."""
        project = self.projects.get(project_or_product_uid)
        if project is not None:
            return project
        for candidate in self.projects.values():
            if candidate.product_uid and candidate.product_uid == project_or_product_uid:
                return candidate
        return None

    def next_run_seq(self) -> int:
        self.run_seq += 1
        return self.run_seq
