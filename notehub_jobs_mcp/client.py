"""The Notehub Jobs API over one long-lived ``httpx.AsyncClient``.

One method per operation, returning the project's models. Every failure becomes a typed
:class:`~notehub_jobs_mcp.errors.NotehubError` with a hint written for the model.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from . import __version__, paths
from .auth import client_credentials_auth
from .config import Config
from .errors import (
    AuthenticationFailed,
    Conflict,
    InvalidRequest,
    NotConfigured,
    NotehubError,
    NotehubUnavailable,
    NotehubUnreachable,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from .models import Job, JobDefinition, JobDetail, JobRun, NotehubErrorBody

Resource = Literal["job", "run"]
View = Literal["summary", "detail"]


@dataclass(frozen=True)
class Operation:
    """What a call is, for error messages: its name, the role it needs, what it addresses."""

    name: str
    role: Literal["viewer", "developer"]
    resource: Resource
    uid: str


class BearerAuth(httpx.Auth):
    """Adds the token per request, so it never sits in the client's default headers or reprs."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(<redacted>)"


class NotehubClient:
    def __init__(self, config: Config, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._config = config
        auth: httpx.Auth | None = (
            BearerAuth(config.token.reveal()) if config.token is not None else client_credentials_auth(config)
        )
        self._http = httpx.AsyncClient(
            base_url=config.api_url,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s),
            headers={"Accept": "application/json", "User-Agent": f"notehub-jobs-mcp/{__version__}"},
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> NotehubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- Operations ---------------------------------------------------------------------------

    async def list_jobs(self, project: str) -> list[Job]:
        op = Operation("list jobs", "viewer", "job", "")
        body = await self._call(op, "GET", paths.jobs(project), project=project)
        return [Job.model_validate(j) for j in _list_field(body, "jobs")]

    async def create_job(self, project: str, name: str, definition: JobDefinition) -> str:
        op = Operation("create a job", "developer", "job", "")
        body = await self._call(
            op,
            "POST",
            paths.jobs(project),
            project=project,
            params={"name": name},
            json_body=definition.to_api(),
        )
        return _str_field(body, "job_uid")

    async def get_job(self, project: str, job_uid: str) -> JobDetail:
        op = Operation("read a job", "viewer", "job", job_uid)
        body = await self._call(op, "GET", paths.job(project, job_uid), project=project)
        return JobDetail.model_validate(_object(body))

    async def delete_job(self, project: str, job_uid: str) -> bool:
        op = Operation("delete a job", "developer", "job", job_uid)
        body = await self._call(op, "DELETE", paths.job(project, job_uid), project=project)
        return bool(_object(body).get("success", True))

    async def run_job(self, project: str, job_uid: str, *, dry_run: bool) -> str:
        op = Operation("run a job", "developer", "job", job_uid)
        body = await self._call(
            op, "POST", paths.job_run_now(project, job_uid), project=project, params={"dry_run": dry_run}
        )
        return _str_field(body, "report_uid")

    async def list_job_runs(
        self, project: str, job_uid: str, *, status: str | None = None, dry_run: bool | None = None
    ) -> list[JobRun]:
        op = Operation("list a job's runs", "viewer", "job", job_uid)
        body = await self._call(
            op,
            "GET",
            paths.job_runs(project, job_uid),
            project=project,
            params={"status": status, "dry_run": dry_run},
        )
        return [JobRun.model_validate(r) for r in _list_field(body, "runs")]

    async def get_job_run(self, project: str, report_uid: str, *, view: View = "summary") -> JobRun:
        op = Operation("read a job run", "viewer", "run", report_uid)
        body = await self._call(
            op, "GET", paths.run(project, report_uid), project=project, params={"view": view}
        )
        return JobRun.model_validate(_object(body))

    async def cancel_job_run(self, project: str, report_uid: str) -> bool:
        op = Operation("cancel a job run", "developer", "run", report_uid)
        body = await self._call(op, "POST", paths.run_cancel(project, report_uid), project=project)
        return bool(_object(body).get("successful", False))

    async def delete_job_run(self, project: str, report_uid: str) -> None:
        op = Operation("delete a job run", "developer", "run", report_uid)
        await self._call(op, "DELETE", paths.run(project, report_uid), project=project)

    # --- Transport ----------------------------------------------------------------------------

    async def _call(
        self,
        op: Operation,
        method: str,
        path: str,
        *,
        project: str,
        params: dict[str, str | bool | None] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> Any:
        if self._config.auth_method is None:
            raise NotConfigured(
                "No Notehub credentials are configured.",
                hint="Set NOTEHUB_API_TOKEN to a Notehub personal access token (notehub.io → your "
                "account → API access), or NOTEHUB_CLIENT_ID and NOTEHUB_CLIENT_SECRET, then restart "
                "the server. To try the server without an account, start it with --demo.",
            )
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        try:
            response = await self._http.request(method, path, params=query, json=json_body)
        except httpx.TimeoutException as exc:
            raise _unreachable(op, method, exc, timed_out=True) from None
        except httpx.TransportError as exc:
            raise _unreachable(op, method, exc, timed_out=False) from None
        if response.is_success:
            return _parse_success(response, op)
        raise _error_from_response(response, op, project)


def _query_value(value: str | bool) -> str:
    # Notehub expects lowercase JSON booleans in the query string, not Python's True/False.
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _parse_success(response: httpx.Response, op: Operation) -> Any:
    if not response.content.strip():
        return {}
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise NotehubUnavailable(
            f"Notehub answered the request to {op.name} with a body that is not JSON "
            f"(HTTP {response.status_code}).",
            hint="This is a problem on Notehub's side or a proxy in between. Check the state with a "
            "read tool (get_job / list_job_runs) before trying again.",
            status=response.status_code,
        ) from None


def _error_body(response: httpx.Response) -> str | None:
    """Notehub's ``err`` text, or None when the body is not Notehub's error JSON (e.g. a proxy page)."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    body = NotehubErrorBody.model_validate(data)
    return body.err or None


def _error_from_response(response: httpx.Response, op: Operation, project: str) -> NotehubError:
    status = response.status_code
    err = _error_body(response)
    common: dict[str, Any] = {"status": status, "notehub_err": err}
    what = f"Notehub refused to {op.name}"
    if status == 401:
        return AuthenticationFailed(
            f"{what}: the credentials were not accepted (401).",
            hint="The API token is missing, expired or revoked. Create a new personal access token "
            "at notehub.io (account → API access), set NOTEHUB_API_TOKEN, and restart the server.",
            **common,
        )
    if status == 403:
        return PermissionDenied(
            f"{what}: permission denied (403). This needs at least the {op.role} role on project {project}.",
            hint=f"Ask a project owner to give your account the {op.role} role, or use a token of "
            "an account that has it. Read-only tools still work with a viewer role.",
            **common,
        )
    if status == 404:
        return _not_found(op, project, err, common)
    if status == 409:
        return Conflict(
            f"{what}: it conflicts with the current state (409).",
            hint="A run is probably still in progress. Wait for it to finish (get_job_run) or "
            "cancel it (cancel_job_run), then try again.",
            **common,
        )
    if status in (400, 422):
        return InvalidRequest(
            f"{what}: the request was invalid ({status}).",
            hint="Read Notehub's message, correct the arguments, and call the tool again.",
            **common,
        )
    if status == 429:
        retry_after = _retry_after_s(response)
        wait = f" Notehub asked to retry after {retry_after:g} s." if retry_after is not None else ""
        return RateLimited(
            f"{what}: too many requests (429).{wait}",
            hint="Wait before calling again; this is a rate limit, not an error in the request.",
            retry_after_s=retry_after,
            **common,
        )
    if status >= 500:
        return NotehubUnavailable(
            f"Notehub failed to {op.name}: server error ({status}).",
            hint="This is trouble on Notehub's side, not in the request. Try again in a minute; "
            + _check_before_retry(op),
            **common,
        )
    return NotehubUnavailable(
        f"Notehub answered the request to {op.name} with unexpected HTTP {status}.",
        hint="Try again later. " + _check_before_retry(op),
        **common,
    )


def _not_found(op: Operation, project: str, err: str | None, common: dict[str, Any]) -> NotFound:
    if err and "project" in err.lower():
        return NotFound(
            f"Notehub has no project {project!r} visible to these credentials (404).",
            hint="Check project_uid or NOTEHUB_PROJECT_UID: a project UID looks like app:… and a "
            "product UID like com.company.user:product (Notehub → project → Settings).",
            **common,
        )
    if op.resource == "run":
        return NotFound(
            f"No job run with report_uid {op.uid!r} in project {project} (404).",
            hint="Call list_job_runs with the job's job_uid to see its runs and their report UIDs.",
            **common,
        )
    if op.uid:
        return NotFound(
            f"No job with job_uid {op.uid!r} in project {project} (404).",
            hint="Call list_jobs to see the project's jobs and their UIDs.",
            **common,
        )
    return NotFound(
        f"Notehub could not find what was asked to {op.name} (404).",
        hint="Check project_uid or NOTEHUB_PROJECT_UID, and NOTEHUB_API_URL.",
        **common,
    )


def _check_before_retry(op: Operation) -> str:
    if op.role == "developer":
        return "the change may or may not have been made, so check with a read tool before retrying."
    return "reading again is safe."


def _unreachable(
    op: Operation, method: str, exc: httpx.TransportError, *, timed_out: bool
) -> NotehubUnreachable:
    # A connect failure means nothing was sent; anything later may have reached Notehub.
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    may_have_reached = method != "GET" and not never_sent
    what = "timed out" if timed_out else "could not be completed"
    cause = type(exc).__name__
    if may_have_reached:
        hint = (
            "The request may have reached Notehub before the connection failed, so it may have "
            "taken effect. Do not simply retry: check first (list_jobs, list_job_runs or "
            "get_job_run), then act on what you find."
        )
    elif never_sent:
        hint = (
            "Notehub could not be reached, so nothing was changed. Check the network and "
            "NOTEHUB_API_URL, then try again."
        )
    else:
        hint = "Nothing was changed by this read. Try again in a moment."
    return NotehubUnreachable(
        f"The request to {op.name} {what} ({cause}).", hint=hint, may_have_reached=may_have_reached
    )


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _object(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        return body
    raise NotehubUnavailable(
        "Notehub answered with JSON of an unexpected shape.",
        hint="This is a problem on Notehub's side. Try again later.",
    )


def _list_field(body: Any, name: str) -> list[Any]:
    value = _object(body).get(name) or []
    if not isinstance(value, list):
        raise NotehubUnavailable(
            f"Notehub's answer had {name!r} that is not a list.",
            hint="This is a problem on Notehub's side. Try again later.",
        )
    return [item for item in value if isinstance(item, dict)]


def _str_field(body: Any, name: str) -> str:
    value = _object(body).get(name)
    if not isinstance(value, str) or not value:
        raise NotehubUnavailable(
            f"Notehub's answer lacked {name!r}.",
            hint="The call may have taken effect anyway. Check with a read tool before retrying.",
        )
    return value
