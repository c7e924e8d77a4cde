"""Configuration from the environment and command-line flags (flags win).

Secrets are held in :class:`Secret`, whose ``str``/``repr`` never show the value, so a config
object can be logged or appear in a traceback without leaking a token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_API_URL = "https://api.notefile.net"
DEFAULT_POLL_INTERVAL_S = 2.0
# One request may take 15 s and one call, retries included, 20 s: well inside the ~60 s after
# which MCP clients give up on a tool call, so the model always hears what happened.
DEFAULT_TIMEOUT_S = 15.0
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_RETRY_BUDGET_S = 20.0
DEFAULT_RETRY_BASE_DELAY_S = 0.5
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Secret:
    """A string that only reveals itself through :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def clean(value: str | None) -> str | None:
    """A configured value, or None when it is empty or an unfilled Claude Desktop placeholder.

    Claude Desktop passes an optional ``user_config`` field the user left blank as the literal
    text ``${user_config.name}``; that must read as "not set", not as a token or project UID.
    """
    if value is None:
        return None
    value = value.strip()
    if not value or (value.startswith("${") and value.endswith("}")):
        return None
    return value


def parse_bool(value: str | None, *, name: str) -> bool | None:
    value = clean(value)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}.")


def parse_seconds(value: str | None, *, name: str, default: float) -> float:
    value = clean(value)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}.") from None
    if not 0 < seconds <= 600:
        raise ConfigError(f"{name} must be between 0 and 600 seconds, got {value}.")
    return seconds


def parse_api_url(value: str | None) -> str:
    url = (clean(value) or DEFAULT_API_URL).rstrip("/")
    # (Whether it is an http(s) URL at all is for `doctor` and the first request to say.)
    if "@" in url.partition("://")[2].split("/", 1)[0]:
        # Credentials in the URL would end up in every error and log line that names it; the
        # value is deliberately not echoed here either.
        raise ConfigError(
            "NOTEHUB_API_URL must not contain credentials (user:password@); "
            "set NOTEHUB_API_TOKEN or NOTEHUB_CLIENT_ID and NOTEHUB_CLIENT_SECRET instead."
        )
    return url


def parse_log_level(value: str | None) -> str:
    value = clean(value)
    if value is None:
        return "WARNING"
    level = value.upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"NOTEHUB_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}.")
    return level


def parse_list(value: str | None) -> tuple[str, ...]:
    value = clean(value)
    if value is None:
        return ()
    return tuple(item.strip() for item in value.split(",") if item.strip())


class ConfigError(Exception):
    """The configuration is wrong in a way the user must fix."""


@dataclass(frozen=True)
class Config:
    api_url: str = DEFAULT_API_URL
    token: Secret | None = field(default=None)
    client_id: str | None = None
    client_secret: Secret | None = field(default=None)
    project_uid: str | None = None
    read_only: bool = False
    require_dry_run: bool = True
    # How often a waiting tool (wait_seconds) re-reads a run: often enough for progress, gentle on Notehub.
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    retry_budget_s: float = DEFAULT_RETRY_BUDGET_S
    # Not in the environment: tests shrink it so that retries do not sleep for real.
    retry_base_delay_s: float = DEFAULT_RETRY_BASE_DELAY_S
    log_level: str = "WARNING"
    # The HTTP transport: a bearer token callers must present, and extra Host names to accept.
    mcp_auth_token: Secret | None = field(default=None)
    mcp_allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        token = clean(env.get("NOTEHUB_API_TOKEN"))
        secret = clean(env.get("NOTEHUB_CLIENT_SECRET"))
        mcp_token = clean(env.get("NOTEHUB_MCP_AUTH_TOKEN"))
        return cls(
            api_url=parse_api_url(env.get("NOTEHUB_API_URL")),
            token=Secret(token) if token else None,
            client_id=clean(env.get("NOTEHUB_CLIENT_ID")),
            client_secret=Secret(secret) if secret else None,
            project_uid=clean(env.get("NOTEHUB_PROJECT_UID")),
            read_only=parse_bool(env.get("NOTEHUB_READ_ONLY"), name="NOTEHUB_READ_ONLY") or False,
            require_dry_run=_default_true(
                parse_bool(env.get("NOTEHUB_REQUIRE_DRY_RUN"), name="NOTEHUB_REQUIRE_DRY_RUN")
            ),
            timeout_s=parse_seconds(
                env.get("NOTEHUB_TIMEOUT_S"), name="NOTEHUB_TIMEOUT_S", default=DEFAULT_TIMEOUT_S
            ),
            connect_timeout_s=parse_seconds(
                env.get("NOTEHUB_CONNECT_TIMEOUT_S"),
                name="NOTEHUB_CONNECT_TIMEOUT_S",
                default=DEFAULT_CONNECT_TIMEOUT_S,
            ),
            retry_budget_s=parse_seconds(
                env.get("NOTEHUB_RETRY_BUDGET_S"),
                name="NOTEHUB_RETRY_BUDGET_S",
                default=DEFAULT_RETRY_BUDGET_S,
            ),
            log_level=parse_log_level(env.get("NOTEHUB_LOG_LEVEL")),
            poll_interval_s=parse_seconds(
                env.get("NOTEHUB_POLL_INTERVAL_S"),
                name="NOTEHUB_POLL_INTERVAL_S",
                default=DEFAULT_POLL_INTERVAL_S,
            ),
            mcp_auth_token=Secret(mcp_token) if mcp_token else None,
            mcp_allowed_hosts=parse_list(env.get("NOTEHUB_MCP_ALLOWED_HOSTS")),
        )

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with the given fields replaced; ``None`` means "leave as configured"."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def auth_method(self) -> str | None:
        if self.token is not None:
            return "token"
        if self.client_id and self.client_secret is not None:
            return "client_credentials"
        return None

    def secrets(self) -> list[str]:
        """Every secret value, for redaction of anything that might echo one."""
        return [s.reveal() for s in (self.token, self.client_secret, self.mcp_auth_token) if s is not None]


def _default_true(value: bool | None) -> bool:
    return True if value is None else value
