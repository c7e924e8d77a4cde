"""Get Projects and Get Project: which projects a token sees, and the caller's role on each."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .context import Context, path_param
from .errors import ApiError
from .routing import route
from .state import JSONObject, Principal, Project


def project_routes(ctx: Context) -> list[Route]:
    async def get_projects(request: Request) -> JSONResponse:
        principal = ctx.principal(request)
        return JSONResponse({"projects": [project_entry(p, principal) for p in ctx.store.projects.values()]})

    async def get_project(request: Request) -> JSONResponse:
        principal = ctx.principal(request)
        project = ctx.store.find_project(path_param(request, "project"))
        if project is None:
            raise ApiError(404, "project not found")
        return JSONResponse(project_entry(project, principal))

    return [
        route("/v1/projects", {"GET": get_projects}),
        route("/v1/projects/{project}", {"GET": get_project}),
    ]


def project_entry(project: Project, principal: Principal) -> JSONObject:
    # Notehub gives `created` as an RFC 3339 string here (unlike the Jobs API's epoch seconds),
    # and `role` is the caller's own role on the project.
    created = datetime.fromtimestamp(project.created, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"uid": project.uid, "label": project.name, "created": created, "role": principal.role}
