"""Keep secrets out of everything this process shows or logs: one registry, one scrub function.

Known secrets (the Notehub token, the OAuth client secret, the MCP endpoint's bearer token) are
registered once with :func:`remember`; :func:`scrub` replaces them, and anything that looks like
a credential in an HTTP header or form (``Bearer …``, ``Basic …``, ``client_secret=…``), in any
text: an upstream error that echoes the request, a log line, a traceback. The registry is
process-wide because logging is.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, quote_plus

REDACTED = "<redacted>"

# A "secret" shorter than this is not a real credential (tests use "x"), and replacing every
# occurrence of a short string would garble ordinary text.
MIN_SECRET_LENGTH = 8

_CREDENTIAL_PATTERNS = (
    # An echoed header, as text or JSON: "Authorization: Bearer …", "authorization": "Basic …".
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,}]+"),
    # A scheme and a long value; the length keeps prose such as "bearer token" intact.
    re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{16,}"),
    # Credentials in a URL: userinfo, or a token in the query string.
    re.compile(r"(?i)(\bhttps?://)[^/@\s\"']+(@)"),
    re.compile(r"(?i)([?&](?:token|api_?key|key|password|secret)=)[^&\s#\"']+"),
    # Form or JSON fields of the OAuth client-credentials exchange.
    re.compile(r"(?i)\b(client_secret|access_token|refresh_token)([\"']?\s*[:=]\s*[\"']?)[^\s&\"',}]+"),
)

_known: set[str] = set()


def remember(*secrets: str | None) -> None:
    """Register secret values (and their URL-encoded forms) to be scrubbed from then on."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            _known.update({secret, quote(secret, safe=""), quote_plus(secret)})


def scrub(text: str) -> str:
    """``text`` with every known secret and every credential-looking value replaced."""
    # Longest first, so a secret that contains another is replaced whole.
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(_redact_match, text)
    return text


def _redact_match(match: re.Match[str]) -> str:
    # Keep what names the credential (the header, the field, the scheme); replace the value. A
    # pattern whose last group follows the value (the "@" of userinfo) keeps that group too.
    groups = match.groups()
    if len(groups) == 2 and groups[1] == "@":
        return f"{groups[0]}{REDACTED}@"
    return "".join(groups) + REDACTED


class RedactingFormatter(logging.Formatter):
    """A log formatter whose whole output (message, arguments, traceback) passes :func:`scrub`."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
