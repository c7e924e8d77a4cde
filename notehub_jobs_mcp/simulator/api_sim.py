"""Routes that are not the Jobs API: the simulator's introspection, and OAuth2 tokens."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .context import Context
from .errors import ApiError
from .faults import FaultQueue, fault_from_json
from .recorder import RequestLog
from .routing import route
from .state import Principal

OAUTH_CLIENT_ID = "sim-client-id"
OAUTH_CLIENT_SECRET = "sim-client-secret"
OAUTH_CLIENT_EMAIL = "sim-client-id@oauth.example.com"
OAUTH_TOKEN_LIFETIME = 1800


def sim_routes(log: RequestLog, faults: FaultQueue) -> list[Route]:
    async def get_requests(request: Request) -> JSONResponse:
        return JSONResponse({"requests": log.entries})

    async def clear_requests(request: Request) -> JSONResponse:
        log.clear()
        return JSONResponse({})

    async def get_faults(request: Request) -> JSONResponse:
        return JSONResponse({"faults": faults.describe()})

    async def add_fault(request: Request) -> JSONResponse:
        try:
            faults.add(fault_from_json(json.loads(await request.body())))
        except (ValueError, TypeError) as exc:
            raise ApiError(400, f"invalid fault: {exc}") from None
        return JSONResponse({"faults": faults.describe()})

    async def clear_faults(request: Request) -> JSONResponse:
        faults.clear()
        return JSONResponse({})

    return [
        route("/_sim/requests", {"GET": get_requests, "DELETE": clear_requests}),
        route("/_sim/faults", {"GET": get_faults, "POST": add_fault, "DELETE": clear_faults}),
    ]


def oauth_routes(ctx: Context) -> list[Route]:
    """`POST /oauth2/token` with the client-credentials grant, as Notehub offers it."""

    async def token(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
        client_id, client_secret = _basic_credentials(request) or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        if client_id != OAUTH_CLIENT_ID or client_secret != OAUTH_CLIENT_SECRET:
            return oauth_error(401, "invalid_client", "client authentication failed")
        access_token = f"sim-oauth-{secrets.token_hex(16)}"
        expires = ctx.clock() + OAUTH_TOKEN_LIFETIME
        ctx.store.tokens[access_token] = Principal("developer", OAUTH_CLIENT_EMAIL, expires)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "bearer",
                "expires_in": OAUTH_TOKEN_LIFETIME,
                "scope": "",
            }
        )

    return [route("/oauth2/token", {"POST": token})]


def oauth_error(code: int, error: str, description: str) -> JSONResponse:
    # OAuth2 endpoints answer in RFC 6749's error shape, not Notehub's {"err": ...}.
    return JSONResponse({"error": error, "error_description": description}, status_code=code)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, client_secret
