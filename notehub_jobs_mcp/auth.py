"""OAuth2 client credentials: Notehub's second way to authenticate, besides a personal access token.

:class:`ClientCredentialsAuth` fetches a token from ``{base}/oauth2/token`` through the same HTTP
client as the API calls (same transport, proxies and time-outs), keeps it until shortly before it
expires, and fetches a new one once if Notehub answers 401. A lock makes concurrent calls share
one fetch. Neither the token nor the client secret ever appears in a log line, an error or a repr.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import anyio
import httpx

from .config import Config, Secret
from .errors import AuthenticationFailed, NotehubError, NotehubUnavailable

TOKEN_PATH = "/oauth2/token"
# Refresh this long before the token's stated expiry (or a tenth of its life, if shorter), so a
# request never leaves with a token that expires on the way.
EXPIRY_MARGIN_S = 60.0

CREDENTIALS_HINT = (
    "Check NOTEHUB_CLIENT_ID and NOTEHUB_CLIENT_SECRET: they are the OAuth client of the Notehub "
    "project (Notehub → project → Settings → Programmatic API access). Create a new secret there "
    "if this one was revoked, then restart the server. Or set NOTEHUB_API_TOKEN instead."
)


class ClientCredentialsAuth(httpx.Auth):
    """httpx auth that sends ``Authorization: Bearer <token>`` with a client-credentials token."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: Secret,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._lock = anyio.Lock()
        self._token: Secret | None = None
        self._refresh_at: float | None = None
        self.fetches = 0
        """How many tokens were fetched so far (for tests and ``doctor``)."""
        self.expires_in: float | None = None
        """The lifetime, in seconds, Notehub gave the current token (None: not stated)."""

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(client_id={self._client_id!r}, secret=<redacted>)"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("ClientCredentialsAuth works with httpx.AsyncClient only")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        async with self._lock:
            if not self._is_fresh():
                response = yield self._token_request(request)
                await response.aread()
                self._store(response)
            token = self._current()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if response.status_code != 401:
            return
        # The token was revoked or expired early: fetch a new one, once, and try once more. If a
        # concurrent call already replaced it, use that one instead of fetching again.
        async with self._lock:
            if self._token is None or self._token == token:
                response = yield self._token_request(request)
                await response.aread()
                self._store(response)
            token = self._current()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        yield request

    # --- Token cache --------------------------------------------------------------------------

    def _is_fresh(self) -> bool:
        if self._token is None:
            return False
        return self._refresh_at is None or self._clock() < self._refresh_at

    def _current(self) -> Secret:
        assert self._token is not None
        return self._token

    def _token_request(self, original: httpx.Request) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret.reveal(),
        }
        # A request made here bypasses the client's defaults, so carry over the time-out.
        return httpx.Request(
            "POST",
            self._token_url,
            data=form,
            headers={"Accept": "application/json", "User-Agent": original.headers.get("User-Agent", "")},
            extensions={k: v for k, v in original.extensions.items() if k == "timeout"},
        )

    def _store(self, response: httpx.Response) -> None:
        self._token = None
        if response.status_code != 200:
            raise _token_error(response)
        body = _json_object(response)
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise NotehubUnavailable(
                "Notehub's OAuth token endpoint answered without an access_token.",
                hint="This is a problem on Notehub's side or a proxy in between. Try again later.",
                status=response.status_code,
            )
        expires_in = _seconds(body.get("expires_in"))
        self.fetches += 1
        self.expires_in = expires_in
        self._token = Secret(access_token)
        if expires_in is None:
            self._refresh_at = None  # no stated lifetime: keep it until Notehub answers 401
        else:
            self._refresh_at = self._clock() + expires_in - min(EXPIRY_MARGIN_S, expires_in / 10)


def client_credentials_auth(config: Config) -> ClientCredentialsAuth | None:
    """The OAuth auth for ``config``, or None when it has no complete pair of client credentials."""
    if config.auth_method != "client_credentials" or config.client_id is None:
        return None
    assert config.client_secret is not None
    return ClientCredentialsAuth(config.api_url + TOKEN_PATH, config.client_id, config.client_secret)


def _token_error(response: httpx.Response) -> NotehubError:
    status = response.status_code
    body = _json_object(response, strict=False)
    # RFC 6749 error code ("invalid_client"); the description is Notehub's text, shown as data.
    error = body.get("error") if isinstance(body.get("error"), str) else None
    description = body.get("error_description")
    said = ": ".join(str(part) for part in (error, description) if part) or None
    if status in (400, 401, 403) and error in (None, "invalid_client", "unauthorized_client"):
        return AuthenticationFailed(
            f"Notehub refused the OAuth client credentials ({status}).",
            hint=CREDENTIALS_HINT,
            status=status,
            notehub_err=said,
        )
    if status < 500 and status != 429:
        return AuthenticationFailed(
            f"Notehub's OAuth token endpoint refused the request ({status}).",
            hint=CREDENTIALS_HINT + " If they are right, check NOTEHUB_API_URL.",
            status=status,
            notehub_err=said,
        )
    return NotehubUnavailable(
        f"Notehub's OAuth token endpoint failed (HTTP {status}).",
        hint="This is trouble on Notehub's side, not in the request. Nothing was changed; try again "
        "in a minute.",
        status=status,
        notehub_err=said,
    )


def _json_object(response: httpx.Response, *, strict: bool = True) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        return body
    if not strict:
        return {}
    raise NotehubUnavailable(
        f"Notehub's OAuth token endpoint answered with a body that is not a JSON object "
        f"(HTTP {response.status_code}).",
        hint="Check NOTEHUB_API_URL: it should be Notehub's API (https://api.notefile.net), not a web page.",
        status=response.status_code,
    )


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds > 0 else None
