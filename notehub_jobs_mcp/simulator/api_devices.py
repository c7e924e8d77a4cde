"""Read-only device and fleet routes, so tests and the demo can see what a run changed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .context import Context, path_param
from .errors import ApiError
from .routing import route
from .state import Device, JSONObject

PROJECT = "/v1/projects/{project}"


def device_routes(ctx: Context) -> list[Route]:
    async def list_devices(request: Request) -> JSONResponse:
        project, _, _ = ctx.open(request, "viewer")
        return JSONResponse(
            {"devices": [device_entry(device) for device in project.devices.values()], "has_more": False}
        )

    async def get_device(request: Request) -> JSONResponse:
        project, _, _ = ctx.open(request, "viewer")
        device = project.devices.get(path_param(request, "device_uid"))
        if device is None:
            raise ApiError(404, "device not found")
        return JSONResponse(device_entry(device))

    async def list_fleets(request: Request) -> JSONResponse:
        project, _, _ = ctx.open(request, "viewer")
        fleets = [{"uid": fleet.uid, "label": fleet.label} for fleet in project.fleets.values()]
        return JSONResponse({"fleets": fleets})

    return [
        route(PROJECT + "/devices", {"GET": list_devices}),
        route(PROJECT + "/devices/{device_uid}", {"GET": get_device}),
        route(PROJECT + "/fleets", {"GET": list_fleets}),
    ]


def device_entry(device: Device) -> JSONObject:
    return {
        "uid": device.uid,
        "serial_number": device.serial_number,
        "fleets": list(device.fleets),
        "environment_variables": dict(device.env),
        "disabled": device.disabled,
        "product_uid": device.product_uid,
        "provisioned": bool(device.product_uid),
        "connectivity_assurance": device.connectivity_assurance,
        "notefiles": device.notefiles,
    }
