"""``notehub-jobs-mcp doctor``: is this server configured, can it reach Notehub, may it do its work?

Checks run in order and stop where a later one could only fail for the same reason: configuration
(which credentials, which project, which URL), then reaching Notehub, the credentials, the
project and the caller's role on it, and the Jobs API. Each problem comes with the fix. The exit
code is 0 only when nothing failed; warnings (say, no default project) do not fail.

This talks to people in a terminal, so it prints to stdout. It never prints a secret: only the
names of the variables that hold them.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

import anyio
import httpx

from . import __version__
from .auth import client_credentials_auth
from .client import BearerAuth
from .config import DEFAULT_API_URL, Config, ConfigError
from .errors import NotehubError
from .formatting import data
from .paths import segment

Status = Literal["ok", "info", "warn", "fail"]
MARKS: dict[Status, str] = {"ok": "[ok]  ", "info": "[--]  ", "warn": "[warn]", "fail": "[FAIL]"}
WRITE_ROLES = ("owner", "developer")
MAX_PROJECTS_LISTED = 10
TOKEN_HELP = "notehub.io → your account → API access"


@dataclass
class Check:
    status: Status
    text: str
    fix: str = ""


@dataclass
class Report:
    configuration: list[Check] = field(default_factory=list)
    notehub: list[Check] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(1 for c in self.configuration + self.notehub if c.status == "fail")

    @property
    def warnings(self) -> int:
        return sum(1 for c in self.configuration + self.notehub if c.status == "warn")


def run_doctor(
    env: Mapping[str, str] | None = None,
    *,
    out: TextIO | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    read_only: bool = False,
) -> int:
    """Check the configuration in ``env`` (default: the process environment); 0 when all is well.

    ``read_only`` checks as if the server were started with ``--read-only``.
    """
    env = dict(os.environ if env is None else env)
    if read_only:
        env["NOTEHUB_READ_ONLY"] = "true"
    report = anyio.run(lambda: diagnose(env, transport=transport))
    print_report(report, out or sys.stdout)
    return 0 if report.failures == 0 else 1


async def diagnose(env: Mapping[str, str], *, transport: httpx.AsyncBaseTransport | None = None) -> Report:
    report = Report()
    try:
        config = Config.from_env(env)
    except ConfigError as exc:
        report.configuration.append(
            Check(
                "fail",
                f"The configuration cannot be read: {exc}",
                "Correct that setting in the environment (or in the Claude Desktop extension's "
                "settings) and run doctor again.",
            )
        )
        return report
    report.configuration.extend(_configuration(config, env))
    if _url_problem(config.api_url) is not None:
        return report
    async with httpx.AsyncClient(
        base_url=config.api_url,
        transport=transport,
        timeout=httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s),
        headers={"Accept": "application/json", "User-Agent": f"notehub-jobs-mcp/{__version__} (doctor)"},
        follow_redirects=False,
    ) as http:
        await _notehub(http, config, report.notehub)
    return report


# --- Configuration ------------------------------------------------------------------------------


def _configuration(config: Config, env: Mapping[str, str]) -> list[Check]:
    checks = [_credentials(config), _project(config), _api_url(config)]
    if config.read_only:
        checks.append(
            Check(
                "info", "Read-only mode is on (--read-only or NOTEHUB_READ_ONLY): only the four read tools."
            )
        )
    else:
        checks.append(Check("info", "Read-only mode is off: all nine tools are offered."))
    unfilled = sorted(k for k, v in env.items() if k.startswith("NOTEHUB_") and v.strip().startswith("${"))
    if unfilled:
        checks.append(
            Check("info", f"Unfilled Claude Desktop fields, treated as unset: {', '.join(unfilled)}.")
        )
    return checks


def _credentials(config: Config) -> Check:
    if config.token is not None:
        text = "Credentials: a personal access token (NOTEHUB_API_TOKEN)."
        if config.client_id or config.client_secret is not None:
            text += " NOTEHUB_CLIENT_ID/NOTEHUB_CLIENT_SECRET are set too and are ignored while it is."
        return Check("ok", text)
    if config.auth_method == "client_credentials":
        return Check(
            "ok",
            f"Credentials: OAuth client credentials (NOTEHUB_CLIENT_ID {config.client_id}, "
            "NOTEHUB_CLIENT_SECRET set).",
        )
    if config.client_id or config.client_secret is not None:
        missing = "NOTEHUB_CLIENT_SECRET" if config.client_id else "NOTEHUB_CLIENT_ID"
        return Check(
            "fail",
            f"Credentials: half of an OAuth client: {missing} is not set.",
            f"Set {missing} as well (Notehub → project → Settings → Programmatic API access), "
            "or set NOTEHUB_API_TOKEN instead.",
        )
    return Check(
        "fail",
        "Credentials: none. Every tool would answer that Notehub credentials are missing.",
        f"Set NOTEHUB_API_TOKEN to a personal access token ({TOKEN_HELP}), or NOTEHUB_CLIENT_ID and "
        "NOTEHUB_CLIENT_SECRET to a project's OAuth client. To try the server without an account, "
        "serve it with --demo.",
    )


def _project(config: Config) -> Check:
    if config.project_uid:
        return Check("ok", f"Default project: {config.project_uid} (NOTEHUB_PROJECT_UID).")
    return Check(
        "warn",
        "Default project: none. The model must pass project_uid to every tool.",
        "Set NOTEHUB_PROJECT_UID to the project UID (app:…) or product UID the tools should use "
        "(Notehub → project → Settings).",
    )


def _api_url(config: Config) -> Check:
    problem = _url_problem(config.api_url)
    if problem is not None:
        return Check("fail", f"Notehub API URL {data(config.api_url, 200)}: {problem}", _URL_FIX)
    if config.api_url == DEFAULT_API_URL:
        return Check("ok", f"Notehub API URL: {config.api_url} (the default).")
    parts = urlsplit(config.api_url)
    if parts.scheme == "http" and not _is_local(parts.hostname or ""):
        return Check(
            "warn",
            f"Notehub API URL: {config.api_url} (NOTEHUB_API_URL) is plain HTTP: credentials "
            "travel unencrypted.",
            "Use https:// unless this is a simulator on your own machine.",
        )
    return Check("ok", f"Notehub API URL: {config.api_url} (NOTEHUB_API_URL).")


_URL_FIX = f"Set NOTEHUB_API_URL to Notehub's API, {DEFAULT_API_URL}, or unset it to use that default."


def _is_local(host: str) -> bool:
    # Loopback, or a name reserved never to resolve on the internet (RFC 6761).
    return host in ("localhost", "127.0.0.1", "::1") or host.endswith((".localhost", ".test", ".invalid"))


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a valid URL."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http:// or https:// URL."
    return None


# --- Notehub ------------------------------------------------------------------------------------


class _Stop(Exception):
    """A check failed in a way that makes the checks after it meaningless."""


async def _notehub(http: httpx.AsyncClient, config: Config, checks: list[Check]) -> None:
    try:
        await _reach(http, config, checks)
        if config.auth_method is None:
            return
        projects = await _sign_in(http, config, checks)
        if config.project_uid:
            await _project_access(http, config, config.project_uid, projects, checks)
        elif projects:
            checks.append(Check("info", "Projects these credentials see: " + _listing(projects)))
    except _Stop:
        return


async def _reach(http: httpx.AsyncClient, config: Config, checks: list[Check]) -> None:
    """Any HTTP answer means Notehub (or something at that URL) is reachable; no credentials sent."""
    started = time.monotonic()
    response = await _get(http, "/v1/projects", config, checks, auth=None)
    ms = (time.monotonic() - started) * 1000
    if response.status_code in (200, 401, 403) and _is_json(response):
        checks.append(Check("ok", f"Reached {config.api_url} (answered in {ms:.0f} ms)."))
        return
    if response.status_code >= 500:
        checks.append(
            Check(
                "fail",
                f"Reached {config.api_url}, but it answered with a server error "
                f"(HTTP {response.status_code}).",
                "Notehub may be having trouble: try again in a few minutes.",
            )
        )
        raise _Stop
    checks.append(
        Check(
            "fail",
            f"Reached {config.api_url}, but it does not answer like Notehub's API "
            f"(HTTP {response.status_code}, {response.headers.get('content-type', 'no content type')}).",
            _URL_FIX,
        )
    )
    raise _Stop


async def _sign_in(http: httpx.AsyncClient, config: Config, checks: list[Check]) -> list[dict[str, Any]]:
    """Confirm the credentials work; returns the projects they see (empty if Notehub won't list them)."""
    auth: httpx.Auth | None = (
        BearerAuth(config.token.reveal()) if config.token is not None else client_credentials_auth(config)
    )
    if auth is not None:
        http.auth = auth
    try:
        response = await _get(http, "/v1/projects", config, checks)
    except NotehubError as exc:  # the OAuth token endpoint refused or failed
        checks.append(Check("fail", exc.message + _said(exc.notehub_err), exc.hint))
        raise _Stop from None
    who = "The API token" if config.token is not None else "The OAuth client"
    if response.status_code == 401:
        fix = (
            f"Create a new personal access token ({TOKEN_HELP}), put it in NOTEHUB_API_TOKEN, and "
            "restart the server."
            if config.token is not None
            else "Check NOTEHUB_CLIENT_ID and NOTEHUB_CLIENT_SECRET (Notehub → project → Settings → "
            "Programmatic API access)."
        )
        checks.append(Check("fail", f"{who} was not accepted by Notehub (401).{_said(_err(response))}", fix))
        raise _Stop
    lifetime = getattr(auth, "expires_in", None)
    token_note = f" (token valid for {lifetime:.0f} s, renewed automatically)" if lifetime else ""
    if response.status_code != 200:
        # Some credentials (a project's OAuth client) may not list projects; the project check
        # below still tells whether they work.
        checks.append(Check("info", f"{who} was not allowed to list projects (HTTP {response.status_code})."))
        return []
    projects = _projects(response)
    checks.append(Check("ok", f"{who} was accepted{token_note}; it sees {_count(len(projects), 'project')}."))
    return projects


async def _project_access(
    http: httpx.AsyncClient,
    config: Config,
    project: str,
    projects: list[dict[str, Any]],
    checks: list[Check],
) -> None:
    response = await _get(http, f"/v1/projects/{segment(project)}", config, checks)
    if response.status_code == 404 and not project.startswith("app:"):
        # A product UID: Get Project takes project UIDs; the Jobs API takes either.
        response = await _get(http, f"/v1/projects/{segment(project)}/jobs", config, checks)
        if response.status_code == 200:
            checks.append(
                Check("ok", f"Product {project}: visible (its role is shown for project UIDs only).")
            )
            await _jobs(http, config, project, checks)
            return
    if response.status_code == 404:
        known = f" Projects these credentials see: {_listing(projects)}" if projects else ""
        checks.append(
            Check(
                "fail",
                f"Project {project}: Notehub has no such project visible to these credentials (404).",
                "Check NOTEHUB_PROJECT_UID: a project UID looks like app:… (Notehub → project → "
                f"Settings), and the credentials' account must be a member of it.{known}",
            )
        )
        return
    if response.status_code in (401, 403):
        checks.append(
            Check(
                "fail",
                f"Project {project}: access refused (HTTP {response.status_code}).{_said(_err(response))}",
                "Ask a project owner to add this account to the project (viewer role or better).",
            )
        )
        return
    if response.status_code != 200 or not isinstance(_json(response), dict):
        checks.append(
            Check("fail", f"Project {project}: unexpected answer from Notehub (HTTP {response.status_code}).")
        )
        return
    body: dict[str, Any] = _json(response)
    checks.append(_role(project, body, config))
    await _jobs(http, config, project, checks)


def _role(project: str, body: dict[str, Any], config: Config) -> Check:
    label = data(body.get("label") or "", 80)
    role = body.get("role")
    where = f"Project {project} {label}"
    if role in WRITE_ROLES:
        return Check("ok", f"{where}: your role is {role}, so every tool works.")
    if role == "viewer":
        if config.read_only:
            return Check("ok", f"{where}: your role is viewer, which suits read-only mode.")
        return Check(
            "fail",
            f"{where}: your role is viewer, so creating, running, cancelling and deleting jobs "
            "will be refused (403).",
            "Ask a project owner for the developer role, or set NOTEHUB_READ_ONLY=true so that the "
            "server offers only the read tools.",
        )
    return Check(
        "warn",
        f"{where}: visible, but Notehub did not say your role ({data(role, 40)}).",
        "If writes are refused, ask a project owner for the developer role.",
    )


async def _jobs(http: httpx.AsyncClient, config: Config, project: str, checks: list[Check]) -> None:
    response = await _get(http, f"/v1/projects/{segment(project)}/jobs", config, checks)
    body = _json(response)
    if response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("jobs"), list):
        checks.append(Check("ok", f"Jobs API: answers; the project has {_count(len(body['jobs']), 'job')}."))
        return
    checks.append(
        Check(
            "fail",
            f"Jobs API: unexpected answer (HTTP {response.status_code}).{_said(_err(response))}",
            "If this persists, Notehub may be having trouble; try again later.",
        )
    )


async def _get(
    http: httpx.AsyncClient, path: str, config: Config, checks: list[Check], **kwargs: Any
) -> httpx.Response:
    try:
        return await http.get(path, **kwargs)
    except httpx.TransportError as exc:
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        checks.append(
            Check(
                "fail",
                f"Could not reach Notehub at {config.api_url}: the connection {what} ({type(exc).__name__}).",
                "Check the network (and any proxy or firewall) and NOTEHUB_API_URL. Notehub's API is "
                f"{DEFAULT_API_URL}; a simulator runs with `notehub-jobs-mcp simulator`.",
            )
        )
        raise _Stop from None


# --- Helpers ------------------------------------------------------------------------------------


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _is_json(response: httpx.Response) -> bool:
    return _json(response) is not None


def _err(response: httpx.Response) -> str | None:
    body = _json(response)
    err = body.get("err") if isinstance(body, dict) else None
    return err if isinstance(err, str) and err else None


def _said(err: str | None) -> str:
    return f" Notehub said: {data(err, 200)}" if err else ""


def _projects(response: httpx.Response) -> list[dict[str, Any]]:
    body = _json(response)
    projects = body.get("projects") if isinstance(body, dict) else None
    if not isinstance(projects, list):
        return []
    return [p for p in projects if isinstance(p, dict) and isinstance(p.get("uid"), str)]


def _listing(projects: list[dict[str, Any]]) -> str:
    shown = [
        f"{p['uid']} {data(p.get('label') or '', 60)} ({p.get('role') or 'role unknown'})" for p in projects
    ]
    more = len(shown) - MAX_PROJECTS_LISTED
    text = "; ".join(shown[:MAX_PROJECTS_LISTED])
    return text + (f"; and {more} more." if more > 0 else ".")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def print_report(report: Report, out: TextIO) -> None:
    print(f"notehub-jobs-mcp doctor {__version__}", file=out)
    for title, checks in (("Configuration", report.configuration), ("Notehub", report.notehub)):
        if not checks:
            continue
        print(f"\n{title}", file=out)
        for check in checks:
            print(f"  {MARKS[check.status]} {check.text}", file=out)
            if check.fix and check.status in ("warn", "fail"):
                print(f"         Fix: {check.fix}", file=out)
    print(file=out)
    if report.failures:
        problems = _count(report.failures, "problem")
        them = "it" if report.failures == 1 else "them"
        print(f"{problems} found. Fix {them}, then run `notehub-jobs-mcp doctor` again.", file=out)
    elif report.warnings:
        print(
            f"Notehub works with this configuration ({_count(report.warnings, 'warning')} above).", file=out
        )
    else:
        print("All checks passed: the server is ready to use.", file=out)
