"""The Notehub Jobs API over one long-lived ``httpx.AsyncClient``.

One method per operation, returning the project's models. Every failure becomes a typed
:class:`~notehub_jobs_mcp.errors.NotehubError` with a hint written for the model.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import ValidationError

from . import __version__, paths, redaction
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
    no_credentials,
)
from .models import Job, JobDefinition, JobDetail, JobRun, NotehubErrorBody
from .retry import AttemptFailed, Attempts, Retrier, RetryPolicy

log = logging.getLogger(__name__)

Resource = Literal["job", "run"]
View = Literal["summary", "detail"]


@dataclass(frozen=True)
class Operation:
    """What a call is, for error messages: its name, the role it needs, what it addresses, and
    (for a write) how to find out whether it took effect when the answer was lost."""

    name: str
    role: Literal["viewer", "developer"]
    resource: Resource
    uid: str
    check: str = ""


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
        redaction.remember(*config.secrets())
        auth: httpx.Auth | None = (
            BearerAuth(config.token.reveal()) if config.token is not None else client_credentials_auth(config)
        )
        self._auth = auth
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._retrier = Retrier(
            RetryPolicy(
                budget_s=config.retry_budget_s,
                attempt_timeout_s=config.timeout_s,
                base_delay_s=config.retry_base_delay_s,
            )
        )

    def _connection(self) -> httpx.AsyncClient:
        """The one client (and connection pool) for the server's lifetime, made on first use.

        Making it loads httpcore and a TLS context (~30 ms), which a server start that never calls
        Notehub (a client listing tools, a configuration error) should not pay for.
        """
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self._config.api_url,
                auth=self._auth,
                transport=self._transport,
                timeout=httpx.Timeout(self._config.timeout_s, connect=self._config.connect_timeout_s),
                headers={"Accept": "application/json", "User-Agent": f"notehub-jobs-mcp/{__version__}"},
                follow_redirects=False,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> NotehubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- Operations ---------------------------------------------------------------------------

    async def list_jobs(self, project: str) -> list[Job]:
        op = Operation("list jobs", "viewer", "job", "")
        body = await self._call(op, "GET", paths.jobs(project), project=project)
        with _expected_shape(op):
            return [Job.model_validate(j) for j in _list_field(body, "jobs")]

    async def create_job(self, project: str, name: str, definition: JobDefinition) -> str:
        check = (
            "Call list_jobs and look for a job with this name before calling create_job again; "
            "otherwise a second, identical job is created."
        )
        op = Operation("create a job", "developer", "job", "", check)
        body = await self._call(
            op,
            "POST",
            paths.jobs(project),
            project=project,
            params={"name": name},
            json_body=definition.to_api(),
        )
        return _str_field(body, "job_uid", op)

    async def get_job(self, project: str, job_uid: str) -> JobDetail:
        op = Operation("read a job", "viewer", "job", job_uid)
        body = await self._call(op, "GET", paths.job(project, job_uid), project=project)
        with _expected_shape(op):
            return JobDetail.model_validate(_object(body))

    async def delete_job(self, project: str, job_uid: str) -> bool:
        check = f"Call get_job with job_uid={job_uid}: if Notehub has no such job, the delete went through."
        op = Operation("delete a job", "developer", "job", job_uid, check)
        body = await self._call(op, "DELETE", paths.job(project, job_uid), project=project)
        return bool(_object(body).get("success", True))

    async def run_job(self, project: str, job_uid: str, *, dry_run: bool) -> str:
        check = (
            f"Do not call run_job again yet: call list_job_runs with job_uid={job_uid} to see whether "
            "a new run started. Every run_job call starts another run."
        )
        op = Operation("run a job", "developer", "job", job_uid, check)
        body = await self._call(
            op, "POST", paths.job_run_now(project, job_uid), project=project, params={"dry_run": dry_run}
        )
        return _str_field(body, "report_uid", op)

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
        with _expected_shape(op):
            return [JobRun.model_validate(r) for r in _list_field(body, "runs")]

    async def get_job_run(self, project: str, report_uid: str, *, view: View = "summary") -> JobRun:
        op = Operation("read a job run", "viewer", "run", report_uid)
        body = await self._call(
            op, "GET", paths.run(project, report_uid), project=project, params={"view": view}
        )
        with _expected_shape(op):
            return JobRun.model_validate(_object(body))

    async def cancel_job_run(self, project: str, report_uid: str) -> bool:
        check = f"Call get_job_run with report_uid={report_uid} to see whether the run stopped."
        op = Operation("cancel a job run", "developer", "run", report_uid, check)
        body = await self._call(op, "POST", paths.run_cancel(project, report_uid), project=project)
        return bool(_object(body).get("successful", False))

    async def delete_job_run(self, project: str, report_uid: str) -> None:
        check = (
            f"Call get_job_run with report_uid={report_uid}: if Notehub has no such run, the delete "
            "went through."
        )
        op = Operation("delete a job run", "developer", "run", report_uid, check)
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
        # The one place every failure passes: nothing we show may carry a secret, even when
        # Notehub (or a proxy) echoes the request back in its error text.
        try:
            return await self._send(op, method, path, project=project, params=params, json_body=json_body)
        except NotehubError as exc:
            exc.redact(redaction.scrub)
            raise

    async def _send(
        self,
        op: Operation,
        method: str,
        path: str,
        *,
        project: str,
        params: dict[str, str | bool | None] | None,
        json_body: dict[str, Any] | None,
    ) -> Any:
        if self._config.auth_method is None:
            raise no_credentials()
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}

        async def attempt() -> httpx.Response:
            return await self._connection().request(method, path, params=query, json=json_body)

        try:
            response, attempts = await self._retrier.send(method, attempt)
        except AttemptFailed as failed:
            raise _unreachable(op, failed, self._config) from None
        log.debug(
            "%s %s -> %s after %d attempt(s), %.2f s",
            method,
            path,
            response.status_code,
            attempts.count,
            attempts.elapsed_s,
        )
        if response.is_success:
            return _parse_success(response, op)
        raise _error_from_response(response, op, project, attempts, self._config)


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
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep JSON
        raise NotehubUnavailable(
            f"Notehub answered the request to {op.name} with HTTP {response.status_code} but a body "
            f"that is not JSON ({_describe_body(response)}).",
            hint="This is a problem on Notehub's side or a proxy in between. " + _check_before_retry(op),
            status=response.status_code,
        ) from None


def _error_body(response: httpx.Response) -> str | None:
    """Notehub's ``err`` text, or None when the body is not Notehub's error JSON (e.g. a proxy page).

    Only ``err`` is kept: fields such as ``debug`` and ``request`` may echo the request, headers
    included, and are never passed on.
    """
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep JSON
        return None
    if not isinstance(data, dict):
        return None
    try:
        body = NotehubErrorBody.model_validate(data)
    except ValidationError:
        return None
    return body.err.strip() or None


def _describe_body(response: httpx.Response) -> str:
    if not response.content.strip():
        return "the body was empty"
    content_type = response.headers.get("content-type", "").lower()
    if "html" in content_type or response.content.lstrip()[:1] == b"<":
        return "the body was an HTML page, probably from a proxy in between"
    try:
        response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep JSON
        return "the body was not JSON"
    return "the body was not Notehub's error format"


def _error_from_response(
    response: httpx.Response, op: Operation, project: str, attempts: Attempts, config: Config
) -> NotehubError:
    status = response.status_code
    err = _error_body(response)
    common: dict[str, Any] = {"status": status, "notehub_err": err}
    what = f"Notehub refused to {op.name}"
    if status == 401:
        credentials = (
            "NOTEHUB_CLIENT_ID and NOTEHUB_CLIENT_SECRET"
            if config.auth_method == "client_credentials"
            else "NOTEHUB_API_TOKEN"
        )
        return AuthenticationFailed(
            f"{what}: the credentials were not accepted (401).",
            hint="The credentials are missing, expired or revoked. Create new ones at notehub.io "
            f"(account → API access), set {credentials}, and restart the server.",
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
        return _rate_limited(op, attempts, config, common)
    if 300 <= status < 400:
        return NotConfigured(
            f"Notehub answered the request to {op.name} with a redirect (HTTP {status}), which this "
            "server does not follow.",
            hint=f"Check NOTEHUB_API_URL (now {config.api_url}); Notehub's API is at https://api.notefile.net.",
            **common,
        )
    body = "" if err else f" ({_describe_body(response)})"
    tried = _tried(attempts)
    if status >= 500:
        return NotehubUnavailable(
            f"Notehub failed to {op.name}: server error ({status}){body}{tried}." + _outcome_unknown(op),
            hint="This is trouble on Notehub's side, not in the request. " + _check_before_retry(op),
            **common,
        )
    return NotehubUnavailable(
        f"Notehub answered the request to {op.name} with unexpected HTTP {status}{body}."
        + _outcome_unknown(op),
        hint="Try again later. " + _check_before_retry(op),
        **common,
    )


def _rate_limited(op: Operation, attempts: Attempts, config: Config, common: dict[str, Any]) -> RateLimited:
    wait = attempts.retry_after_s
    asked = f" Notehub asked to retry after {wait:g} s" if wait is not None else ""
    if attempts.retry_after_too_long:
        detail = f".{asked}, longer than this server waits ({config.retry_budget_s:g} s)."
    elif op.role == "viewer":
        detail = f"{_tried(attempts)}.{asked}{'.' if asked else ''}"
    else:
        detail = f". Notehub turned the request away, so nothing was changed.{asked}{'.' if asked else ''}"
    after = f"{wait:g} s" if wait is not None else "a minute"
    return RateLimited(
        f"Notehub refused to {op.name}: too many requests (429){detail}",
        hint=f"Wait {after}, then call the tool again; this is a rate limit, not a mistake in the "
        "request, and nothing was changed.",
        retry_after_s=wait,
        **common,
    )


def _tried(attempts: Attempts) -> str:
    if attempts.count < 2:
        return ""
    return f", still after {attempts.count} attempts over {attempts.elapsed_s:.1f} s"


def _outcome_unknown(op: Operation) -> str:
    if op.role == "viewer":
        return ""
    return " The change may or may not have been made."


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
    if op.role == "viewer":
        return "Reading again is safe: try again in a minute."
    return op.check


def _unreachable(op: Operation, failed: AttemptFailed, config: Config) -> NotehubUnreachable:
    # A write is only ever retried when nothing was sent, so a write that failed any other way
    # may have reached Notehub and taken effect.
    may_have_reached = op.role == "developer" and not failed.never_sent
    cause = f" ({type(failed.cause).__name__}{_tried(failed.attempts)})"
    if failed.never_sent:
        what = f"could not reach Notehub at {config.api_url}{cause}"
    elif failed.timed_out:
        what = f"got no answer within {config.timeout_s:g} s{_tried(failed.attempts)}"
    else:
        what = f"lost the connection before the answer was complete{cause}"
    if may_have_reached:
        hint = f"The request may have reached Notehub and taken effect. {op.check}"
    elif failed.never_sent:
        hint = (
            "Nothing was sent, so nothing was changed. Check the network and NOTEHUB_API_URL, then try again."
        )
    else:
        hint = "Nothing was changed by this read. Try again in a moment."
    return NotehubUnreachable(
        f"The request to {op.name} {what}.",
        hint=hint,
        may_have_reached=may_have_reached,
    )


@contextmanager
def _expected_shape(op: Operation) -> Iterator[None]:
    """Notehub's answer, parsed into our models; a malformed one is Notehub's problem, said so."""
    try:
        yield
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})[:5]
        raise NotehubUnavailable(
            f"Notehub's answer to the request to {op.name} did not have the expected shape "
            f"(fields: {', '.join(fields)}).",
            hint="This is a problem on Notehub's side. Try again later.",
        ) from None


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


def _str_field(body: Any, name: str, op: Operation) -> str:
    value = _object(body).get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise NotehubUnavailable(
            f"Notehub's answer to the request to {op.name} lacked {name!r}.",
            hint=f"The call may have taken effect anyway. {op.check}",
        )
    return value
