"""Digest a job run's ``results`` into counts, aggregated changes and grouped failures.

Notehub documents ``results`` only by example and says it "varies by job type", so this reads
defensively: any JSON value is accepted, unknown keys become changes, per-device entries may be
objects, strings or lists, and statuses nobody listed are counted as they are. One pass, O(devices),
no exception for any input.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

EXAMPLES_PER_GROUP = 3

# Device statuses that mean "this device did not get its change".
FAILED_STATUSES = frozenset({"failed", "failure", "error", "errored"})
# Device statuses that mean "processed, done": only these can be "already as requested".
DONE_STATUSES = frozenset({"completed", "unchanged", "success", "succeeded", "ok", "done"})
# Device statuses that mean "not processed yet".
PENDING_STATUSES = frozenset({"pending", "queued", "submitted", "waiting"})
# Keys of a device entry that describe the outcome rather than a change.
_OUTCOME_KEYS = frozenset({"status", "error", "err", "reason", "message", "uid", "device", "device_uid"})


@dataclass
class FailureGroup:
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class Digest:
    """What a run did (or would do), aggregated over its devices."""

    has_devices: bool = False
    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    # (change kind, detail) -> devices, e.g. ("vars_set", "log_level=3") -> 1204
    changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: dict[str, FailureGroup] = field(default_factory=dict)
    unchanged: int = 0

    @property
    def pending(self) -> int:
        return sum(n for s, n in self.by_status.items() if s in PENDING_STATUSES)

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def failed(self) -> int:
        return sum(g.count for g in self.failures.values())


def digest_results(results: Any) -> Digest:
    digest = Digest()
    items = _device_items(results)
    if items is None:
        return digest
    digest.has_devices = True
    by_status = digest.by_status
    changes = digest.changes
    for uid, entry in items:
        digest.total += 1
        status, reason = _outcome(entry)
        by_status[status] += 1
        if reason is not None:
            group = digest.failures.get(reason)
            if group is None:
                group = digest.failures[reason] = FailureGroup()
            group.count += 1
            if len(group.examples) < EXAMPLES_PER_GROUP:
                group.examples.append(str(uid))
            continue
        if status in PENDING_STATUSES or not isinstance(entry, dict):
            continue
        changed = False
        for key, value in entry.items():
            if key in _OUTCOME_KEYS:
                continue
            changed = True
            if isinstance(value, dict):
                for name, v in value.items():
                    changes[(key, f"{name}={_scalar(v)}")] += 1
            elif isinstance(value, list):
                for item in value:
                    changes[(key, _scalar(item))] += 1
            elif value is True or value is None:
                changes[(key, "")] += 1
            else:
                changes[(key, _scalar(value))] += 1
        if not changed and status in DONE_STATUSES:
            digest.unchanged += 1
    return digest


def _device_items(results: Any) -> Iterable[tuple[Any, Any]] | None:
    """A run's devices as ``(uid, entry)`` pairs: Notehub's map, or a list of entries naming their
    device. None when the results have no per-device part at all."""
    devices = results.get("devices") if isinstance(results, dict) else None
    if isinstance(devices, dict):
        return devices.items()
    if isinstance(devices, list):
        return (_uid_of(entry, i) for i, entry in enumerate(devices))
    return None


def _uid_of(entry: Any, index: int) -> tuple[str, Any]:
    if isinstance(entry, dict):
        for key in ("uid", "device", "device_uid"):
            if isinstance(entry.get(key), str):
                return entry[key], entry
    return f"#{index}", entry


def _outcome(entry: Any) -> tuple[str, str | None]:
    """The device's status, and its failure reason when it failed."""
    if isinstance(entry, str):
        status = entry.strip().lower() or "unknown"
        return status, (status if status in FAILED_STATUSES else None)
    if not isinstance(entry, dict):
        return "unknown", None
    raw = entry.get("status")
    status = raw.strip().lower() if isinstance(raw, str) and raw.strip() else "unknown"
    error = entry.get("error") or entry.get("err") or entry.get("reason")
    if status in FAILED_STATUSES or (error and status not in PENDING_STATUSES and status != "completed"):
        return status, _scalar(error) if error else status
    return status, None


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def device_rows(results: Any, status: str | None = None) -> list[tuple[str, Any]]:
    """Per-device ``(uid, entry)`` rows in Notehub's order, optionally only those with ``status``.

    ``status="failed"`` also matches the other spellings of failure (error, errored, …).
    """
    items = _device_items(results)
    if items is None:
        return []
    rows = [(str(uid), entry) for uid, entry in items]
    if status is None:
        return rows
    wanted = FAILED_STATUSES if status in FAILED_STATUSES else frozenset({status})
    return [row for row in rows if _outcome(row[1])[0] in wanted]
