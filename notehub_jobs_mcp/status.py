"""What a run's Notehub ``status`` string means.

Notehub reports a run's state as free text: a handful of terminal values, ``submitted``, and while
the run goes, the latest per-device line (``dev:… completed``, ``dev:… updated: …``).
"""

from __future__ import annotations

from typing import Literal

from .models import JobRun

RunState = Literal[
    "queued", "running", "succeeded", "dry_run_succeeded", "completed_with_errors", "cancelled", "finished"
]

_TERMINAL: dict[str, RunState] = {
    "completed successfully": "succeeded",
    "dry run completed successfully": "dry_run_succeeded",
    "completed with errors": "completed_with_errors",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "failed": "completed_with_errors",
}

TERMINAL_STATES: frozenset[RunState] = frozenset(
    {"succeeded", "dry_run_succeeded", "completed_with_errors", "cancelled", "finished"}
)


def run_state(run: JobRun) -> RunState:
    status = run.status.strip().lower()
    if status in _TERMINAL:
        return _TERMINAL[status]
    if status == "submitted" and not run.started:
        return "queued"
    if run.completed:
        # A completion time with a status we do not know: finished, outcome as Notehub words it.
        return "finished"
    return "running"


def is_terminal(run: JobRun) -> bool:
    return run_state(run) in TERMINAL_STATES
