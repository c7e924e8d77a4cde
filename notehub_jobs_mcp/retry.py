"""Send a Notehub request, trying again only where that cannot repeat a change.

- A read (GET) is tried again on 429 (after its ``Retry-After``), 502/503/504, a dropped
  connection and a time-out, with jittered exponential backoff.
- A write (POST, DELETE) is never sent twice once it may have reached Notehub: a job must not be
  created or run twice because an answer got lost. It is tried again only when the connection
  could not even be opened, because then nothing was sent.
- Every attempt and every wait fits in one budget (``budget_s``), well inside a client's tool
  time-out (about 60 s), so the model gets an answer rather than a time-out of its own. A
  ``Retry-After`` that does not fit is not waited for: the caller fails fast and says why.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import anyio
import httpx

RETRY_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD"})

# Failures raised before any byte of the request went out: safe to repeat for any method.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    budget_s: float = 20.0
    """The most one call may take: every attempt and every wait between attempts."""
    attempt_timeout_s: float = 15.0
    """The most one attempt may take, start to finish (connect, send, whole answer)."""
    base_delay_s: float = 0.5
    max_delay_s: float = 4.0
    max_attempts: int = 4

    @property
    def min_attempt_s(self) -> float:
        # Not worth starting an attempt that would have less time than this.
        return min(1.0, self.attempt_timeout_s)


@dataclass
class Attempts:
    """What happened across the attempts of one call, for the error message."""

    count: int = 0
    elapsed_s: float = 0.0
    retry_after_s: float | None = None
    retry_after_too_long: bool = False
    """Notehub asked for a wait longer than the budget allows, so we did not wait."""


class AttemptFailed(Exception):
    """No answer: the connection failed, dropped, or the attempt ran out of time."""

    def __init__(self, cause: Exception, attempts: Attempts, *, timed_out: bool, never_sent: bool) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause
        self.attempts = attempts
        self.timed_out = timed_out
        self.never_sent = never_sent


@dataclass
class Retrier:
    policy: RetryPolicy
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep
    rng: random.Random = field(default_factory=random.Random)

    async def send(
        self, method: str, attempt: Callable[[], Awaitable[httpx.Response]]
    ) -> tuple[httpx.Response, Attempts]:
        """The response to the last attempt made (maybe an error status), or :class:`AttemptFailed`."""
        policy = self.policy
        started = self.clock()
        attempts = Attempts()
        safe = method.upper() in SAFE_METHODS
        while True:
            attempts.count += 1
            remaining = policy.budget_s - (self.clock() - started)
            response: httpx.Response | None = None
            failure: AttemptFailed | None = None
            try:
                with anyio.fail_after(max(0.0, min(policy.attempt_timeout_s, remaining))):
                    response = await attempt()
            except (TimeoutError, httpx.TransportError) as exc:
                failure = AttemptFailed(
                    exc,
                    attempts,
                    timed_out=isinstance(exc, TimeoutError | httpx.TimeoutException),
                    never_sent=isinstance(exc, NEVER_SENT),
                )
            attempts.elapsed_s = self.clock() - started
            remaining = policy.budget_s - attempts.elapsed_s

            if failure is not None:
                if not (safe or failure.never_sent):
                    raise failure
                delay = self._backoff(attempts.count)
            else:
                assert response is not None
                wait = retry_after_s(response)
                attempts.retry_after_s = wait
                if not safe or response.status_code not in RETRY_STATUSES:
                    return response, attempts
                if wait is not None and wait + policy.min_attempt_s > remaining:
                    attempts.retry_after_too_long = True
                    return response, attempts
                # Honour Retry-After, plus a little jitter so that many clients do not return at once.
                delay = self._backoff(attempts.count) if wait is None else wait + self._jitter()

            if attempts.count >= policy.max_attempts or delay + policy.min_attempt_s > remaining:
                if failure is not None:
                    raise failure
                assert response is not None
                return response, attempts
            await self.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        # "Equal jitter": half the exponential step is fixed, half is random.
        step = min(self.policy.max_delay_s, self.policy.base_delay_s * 2.0 ** (attempt - 1))
        return step / 2 + self.rng.uniform(0, step / 2)

    def _jitter(self) -> float:
        return self.rng.uniform(0, self.policy.base_delay_s)


def retry_after_s(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (it may be a number or an HTTP date), or None when absent or bad."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, float(when.timestamp()) - time.time())
