"""The simulator's ASGI application: routes, error handling and the middleware around them."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from .api_devices import device_routes
from .api_jobs import job_routes
from .api_projects import project_routes
from .api_sim import oauth_routes, sim_routes
from .context import Context
from .errors import ApiError, api_error_handler, http_error_handler, server_error_handler
from .faults import FaultQueue, InjectFaults
from .recorder import RecordRequests, RequestLog
from .routing import RawPathRouting


def build_app(ctx: Context, log: RequestLog, faults: FaultQueue) -> ASGIApp:
    """Requests pass, outermost first: recorder, fault injection, raw-path routing, API."""
    api = Starlette(
        routes=[
            *project_routes(ctx),
            *job_routes(ctx),
            *device_routes(ctx),
            *oauth_routes(ctx),
            *sim_routes(log, faults),
        ],
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error_handler,
            Exception: server_error_handler,
        },
    )
    # Notehub has no trailing-slash redirects; a wrong path is a 404 in the API's error shape.
    api.router.redirect_slashes = False
    return RecordRequests(InjectFaults(RawPathRouting(api), faults), log)
