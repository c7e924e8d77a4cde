"""Validation of a job definition body the way Notehub accepts it.

Written from the API reference on purpose, independently of the project's client models,
so that a mistake in those models shows up as a rejected request in the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class DefinitionError(ValueError):
    """A job definition Notehub would refuse; the message names the offending field."""


Check = Callable[[Any, str], None]

NOTE_REQS = ("note.add", "note.update", "note.delete")
DATABASE_SUFFIXES = (".dbs", ".db")
QUEUE_SUFFIXES = (".qi", ".qo")


def validate_definition(definition: Any) -> None:
    """Raise DefinitionError unless `definition` is a valid JobDefinition object."""
    if not isinstance(definition, dict):
        raise DefinitionError("the job definition must be a JSON object")
    _check_object(definition, "job definition", "", JOB_DEFINITION)


def _where(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check_object(value: Any, label: str, path: str, fields: Mapping[str, Check]) -> None:
    if not isinstance(value, dict):
        raise DefinitionError(f"{path} must be an object")
    for name in value:
        if name not in fields:
            raise DefinitionError(f"unknown field '{name}' in {label}")
    for name, item in value.items():
        fields[name](item, _where(path, name))


def _string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise DefinitionError(f"{path} must be a string")


def _boolean(value: Any, path: str) -> None:
    # JSON true/false only: 1, "true" and null are what buggy clients send.
    if not isinstance(value, bool):
        raise DefinitionError(f"{path} must be a boolean")


def _strings(value: Any, path: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DefinitionError(f"{path} must be an array of strings")


def _string_map(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise DefinitionError(f"{path} must be an object mapping names to string values")
    for key, item in value.items():
        if not isinstance(item, str):
            raise DefinitionError(f"{path}['{key}'] must be a string")


def _note_requests(value: Any, path: str) -> None:
    if not isinstance(value, list):
        raise DefinitionError(f"{path} must be an array of note requests")
    for index, item in enumerate(value):
        _note_request(item, f"{path}[{index}]")


def _note_request(value: Any, path: str) -> None:
    _check_object(value, path, path, NOTE_REQUEST)
    for required in ("req", "file"):
        if required not in value:
            raise DefinitionError(f"{path}.{required} is required")
    req, file = value["req"], value["file"]
    if req not in NOTE_REQS:
        raise DefinitionError(f"{path}.req must be one of {', '.join(NOTE_REQS)}")
    if not file:
        raise DefinitionError(f"{path}.file must not be empty")
    has_note = bool(value.get("note"))
    if req in ("note.update", "note.delete") and not has_note:
        raise DefinitionError(f"{path}.note is required for {req}")
    if req == "note.add" and file.endswith(DATABASE_SUFFIXES) and not has_note:
        raise DefinitionError(f"{path}.note is required for note.add to a database notefile ({file})")
    if req == "note.add" and file.endswith(QUEUE_SUFFIXES) and "note" in value:
        raise DefinitionError(f"{path}.note must be omitted for note.add to a queue notefile ({file})")


def _json_object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise DefinitionError(f"{path} must be an object")


def _requests(value: Any, path: str) -> None:
    _check_object(value, path, path, BATCH_JOB_REQUESTS)


def _device_requests(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise DefinitionError(f"{path} must be an object keyed by device UID")
    for device_uid, requests in value.items():
        if not device_uid.startswith("dev:"):
            raise DefinitionError(f"{path} key '{device_uid}' is not a device UID (expected 'dev:...')")
        _requests(requests, f"{path}['{device_uid}']")


def _section(fields: Mapping[str, Check]) -> Check:
    def check(value: Any, path: str) -> None:
        _check_object(value, path, path, fields)

    return check


NOTE_REQUEST: Mapping[str, Check] = {
    "req": _string,
    "file": _string,
    "note": _string,
    "body": _json_object,
}

BATCH_JOB_REQUESTS: Mapping[str, Check] = {
    "comment": _string,
    "connectivity_assurance_disable": _boolean,
    "connectivity_assurance_enable": _boolean,
    "disable": _boolean,
    "enable": _boolean,
    "fleets_to_default": _strings,
    "fleets_to_join": _strings,
    "fleets_to_leave": _strings,
    "provision_product": _string,
    "sn_to_default": _string,
    "sn_to_set": _string,
    "vars_to_default": _string_map,
    "vars_to_set": _string_map,
    "note_reqs": _note_requests,
}

REPORT_OPTIONS: Mapping[str, Check] = {
    "app_fleets": _boolean,
    "app_info": _boolean,
    "app_vars": _boolean,
    "comment": _string,
    "device_activity": _boolean,
    "device_health": _boolean,
    "device_info": _boolean,
    "device_vars": _boolean,
}

SELECT: Mapping[str, Check] = {
    "all_devices": _boolean,
    "comment": _string,
    "devices": _strings,
    "devices_by_sn": _strings,
    "devices_in_fleets": _strings,
}

JOB_DEFINITION: Mapping[str, Check] = {
    "comment": _string,
    "default_requests": _requests,
    "device_requests": _device_requests,
    "report_options": _section(REPORT_OPTIONS),
    "select": _section(SELECT),
}
