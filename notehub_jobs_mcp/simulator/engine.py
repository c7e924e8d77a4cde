"""What a job does to one device: which devices it selects and what each request changes.

Pure functions over the state objects; nothing here decides *when* a device is processed.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from fnmatch import translate
from typing import Any

from .definition import DATABASE_SUFFIXES
from .state import Device, JSONObject, Project

DEFAULT_FAILURE_REASONS: tuple[str, ...] = (
    "timeout waiting for device",
    "device is disabled",
    "device not found",
    "fleet not found: fleet:5e2a61d0-0000-4000-8000-0000000000ff",
)

# Result keys that describe a change, in the order the status line lists them.
CHANGE_KEYS = (
    "vars_set",
    "vars_deleted",
    "vars_defaulted",
    "fleets_left",
    "fleets_joined",
    "fleets_defaulted",
    "sn_set",
    "sn_defaulted",
    "enabled",
    "disabled",
    "provisioned",
    "connectivity_assurance_enabled",
    "connectivity_assurance_disabled",
    "notes",
)

STATUS_LINE_LIMIT = 200


def select_devices(project: Project, select: Mapping[str, Any]) -> list[str]:
    """Device UIDs a `select` block picks, sorted so runs are deterministic.

    UIDs named in `select.devices` are kept even when the project lacks them: the run then
    reports them as failed, which is how a typo in a device UID becomes visible.
    """
    chosen: set[str] = set()
    if select.get("all_devices"):
        chosen.update(project.devices)
    chosen.update(select.get("devices") or ())
    patterns = [re.compile(translate(pattern)) for pattern in select.get("devices_by_sn") or ()]
    fleets = set(select.get("devices_in_fleets") or ())
    if patterns or fleets:
        for device in project.devices.values():
            if (fleets and not fleets.isdisjoint(device.fleets)) or (
                device.serial_number and any(p.match(device.serial_number) for p in patterns)
            ):
                chosen.add(device.uid)
    return sorted(chosen)


def effective_requests(definition: Mapping[str, Any], device_uid: str) -> JSONObject:
    """`default_requests` with the device's own requests on top (maps merge key by key)."""
    defaults: JSONObject = definition.get("default_requests") or {}
    override = (definition.get("device_requests") or {}).get(device_uid)
    if not override:
        return defaults
    merged = dict(defaults)
    for key, value in override.items():
        base = merged.get(key)
        merged[key] = {**base, **value} if isinstance(value, dict) and isinstance(base, dict) else value
    return merged


def failed(reason: str) -> JSONObject:
    return {"status": "failed", "error": reason}


def plan_device(
    device: Device | None, requests: Mapping[str, Any], fleet_uids: Collection[str]
) -> tuple[JSONObject, Device | None]:
    """The per-device result and the device as it would be afterwards.

    Either everything in `requests` applies or nothing does: a failed device comes back
    with `None` instead of a changed copy.
    """
    if device is None:
        return failed("device not found"), None
    for key in ("fleets_to_leave", "fleets_to_join", "fleets_to_default"):
        for fleet_uid in requests.get(key) or ():
            if fleet_uid not in fleet_uids:
                return failed(f"fleet not found: {fleet_uid}"), None
    after = device.copy()
    changes: JSONObject = {}
    _apply_vars(after, requests, changes)
    _apply_fleets(after, requests, changes)
    _apply_serial_number(after, requests, changes)
    _apply_flags(device, after, requests, changes)
    error = _apply_notes(after, requests.get("note_reqs") or (), changes)
    if error:
        return failed(error), None
    return {"status": "completed", **changes}, after


def _apply_vars(device: Device, requests: Mapping[str, Any], changes: JSONObject) -> None:
    vars_set: dict[str, str] = {}
    vars_deleted: list[str] = []
    for name, value in (requests.get("vars_to_set") or {}).items():
        if value == "-":
            if device.env.pop(name, None) is not None:
                vars_deleted.append(name)
        elif device.env.get(name) != value:
            device.env[name] = value
            vars_set[name] = value
    vars_defaulted: dict[str, str] = {}
    for name, value in (requests.get("vars_to_default") or {}).items():
        if name not in device.env:
            device.env[name] = value
            vars_defaulted[name] = value
    _record(changes, vars_set=vars_set, vars_deleted=vars_deleted, vars_defaulted=vars_defaulted)


def _apply_fleets(device: Device, requests: Mapping[str, Any], changes: JSONObject) -> None:
    # Leave before join, so a job that names a fleet in both ends with the device in it.
    left = [uid for uid in dict.fromkeys(requests.get("fleets_to_leave") or ()) if uid in device.fleets]
    device.fleets = [uid for uid in device.fleets if uid not in left]
    joined = [uid for uid in dict.fromkeys(requests.get("fleets_to_join") or ()) if uid not in device.fleets]
    device.fleets.extend(joined)
    defaulted: list[str] = []
    if not device.fleets:
        defaulted = list(dict.fromkeys(requests.get("fleets_to_default") or ()))
        device.fleets.extend(defaulted)
    _record(changes, fleets_left=left, fleets_joined=joined, fleets_defaulted=defaulted)


def _apply_serial_number(device: Device, requests: Mapping[str, Any], changes: JSONObject) -> None:
    sn_to_set = requests.get("sn_to_set")
    if sn_to_set is not None:
        new_sn = "" if sn_to_set == "-" else sn_to_set
        if new_sn != device.serial_number:
            device.serial_number = new_sn
            changes["sn_set"] = new_sn
    sn_to_default = requests.get("sn_to_default")
    if sn_to_default and not device.serial_number:
        device.serial_number = sn_to_default
        changes["sn_defaulted"] = sn_to_default


def _apply_flags(before: Device, device: Device, requests: Mapping[str, Any], changes: JSONObject) -> None:
    if requests.get("enable"):
        device.disabled = False
    if requests.get("disable"):
        device.disabled = True
    if before.disabled and not device.disabled:
        changes["enabled"] = True
    if device.disabled and not before.disabled:
        changes["disabled"] = True
    product = requests.get("provision_product")
    if product and not device.product_uid:
        device.product_uid = product
        changes["provisioned"] = product
    if requests.get("connectivity_assurance_enable") and not device.connectivity_assurance:
        device.connectivity_assurance = True
        changes["connectivity_assurance_enabled"] = True
    if requests.get("connectivity_assurance_disable") and device.connectivity_assurance:
        device.connectivity_assurance = False
        changes["connectivity_assurance_disabled"] = True


def _apply_notes(device: Device, note_reqs: Sequence[Mapping[str, Any]], changes: JSONObject) -> str | None:
    """Perform note requests against the device's notefiles; a reason string if one fails."""
    done: list[JSONObject] = []
    for request in note_reqs:
        req, file, note = request["req"], request["file"], request.get("note")
        body = copy.deepcopy(request.get("body", {}))
        is_database = file.endswith(DATABASE_SUFFIXES) or (req == "note.add" and note)
        if req == "note.add" and not is_database:
            device.notefiles.setdefault(file, []).append(body)
            done.append({"req": req, "file": file})
            continue
        notes = device.notefiles.setdefault(file, {})
        if not isinstance(notes, dict) or (req != "note.add" and note not in notes):
            return f"note not found: {file}/{note}"
        if req == "note.delete":
            del notes[note]
        else:
            notes[note] = body
        done.append({"req": req, "file": file, "note": note})
    _record(changes, notes=done)
    return None


def _record(changes: JSONObject, **values: Any) -> None:
    changes.update({key: value for key, value in values.items() if value})


def status_line(device_uid: str, result: Mapping[str, Any]) -> str:
    """The run status Notehub shows right after processing a device."""
    if result["status"] == "failed":
        return f"{device_uid} failed: {result['error']}"
    parts = [_describe(key, result[key]) for key in CHANGE_KEYS if key in result]
    if not parts:
        return f"{device_uid} completed"
    line = f"{device_uid} updated: {'; '.join(parts)}"
    return line if len(line) <= STATUS_LINE_LIMIT else line[: STATUS_LINE_LIMIT - 3] + "..."


def _describe(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"{key} " + " ".join(f"{name}={item}" for name, item in value.items())
    if key == "notes":
        return f"notes {len(value)}"
    if isinstance(value, list):
        return f"{key} " + " ".join(value)
    if value is True:
        return key
    return f"{key} {value or '(cleared)'}"


def injected_failure(seed: int, device_uid: str, rate: float, reasons: Sequence[str]) -> str | None:
    """A reason this device fails, drawn from seed and UID alone so reruns fail alike."""
    if rate <= 0 or not reasons:
        return None
    digest = hashlib.blake2b(f"{seed}:{device_uid}".encode(), digest_size=16).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw >= rate:
        return None
    return reasons[int.from_bytes(digest[8:], "big") % len(reasons)]
