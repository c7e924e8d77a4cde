"""Typed failures of a Notehub call, each knowing whose fault it is and what to do next.

The tool layer turns these into tool errors the model reads; the text here is written for it.
Notehub's own ``err`` text is kept separately (``notehub_err``) so the formatter can show it as
quoted data rather than mixing it into our sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Fault = Literal["configuration", "permissions", "input", "notehub", "network"]


class NotehubError(Exception):
    """Base of every failure the Notehub client reports."""

    fault: Fault = "notehub"

    def __init__(
        self,
        message: str,
        *,
        hint: str,
        status: int | None = None,
        notehub_err: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status
        self.notehub_err = notehub_err

    def redact(self, scrub: Callable[[str], str]) -> None:
        """Pass every text this error can show through ``scrub`` (which removes secrets)."""
        self.message = scrub(self.message)
        self.hint = scrub(self.hint)
        self.notehub_err = scrub(self.notehub_err) if self.notehub_err is not None else None
        self.args = (self.message,)


class NotConfigured(NotehubError):
    fault: Fault = "configuration"


def no_credentials() -> NotConfigured:
    """Nothing to authenticate with: said the same way wherever it is noticed first."""
    return NotConfigured(
        "No Notehub credentials are configured.",
        hint="Set NOTEHUB_API_TOKEN to a Notehub personal access token (notehub.io → your account → "
        "API access), or NOTEHUB_CLIENT_ID and NOTEHUB_CLIENT_SECRET, and NOTEHUB_PROJECT_UID to the "
        "default project, then restart the server. To try it without an account, start it with --demo.",
    )


class AuthenticationFailed(NotehubError):
    fault: Fault = "configuration"


class PermissionDenied(NotehubError):
    fault: Fault = "permissions"


class NotFound(NotehubError):
    fault: Fault = "input"


class InvalidRequest(NotehubError):
    fault: Fault = "input"


class Conflict(NotehubError):
    fault: Fault = "input"


class RateLimited(NotehubError):
    def __init__(self, message: str, *, hint: str, retry_after_s: float | None, **kw: object) -> None:
        super().__init__(message, hint=hint, **kw)  # type: ignore[arg-type]
        self.retry_after_s = retry_after_s


class NotehubUnavailable(NotehubError):
    """Notehub answered with a server error, or with a body that makes no sense."""


class NotehubUnreachable(NotehubError):
    """No usable answer: refused, dropped or timed out.

    ``may_have_reached`` is True when the request might have been received and acted on; for a
    write that is the dangerous case (a retry could run a job twice), so the hint says to check.
    """

    fault: Fault = "network"

    def __init__(self, message: str, *, hint: str, may_have_reached: bool) -> None:
        super().__init__(message, hint=hint)
        self.may_have_reached = may_have_reached
