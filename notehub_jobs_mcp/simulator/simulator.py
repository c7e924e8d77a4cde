"""The Simulator: one object holding the seeded state and the ASGI app that serves it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from starlette.types import ASGIApp

from .app import build_app
from .context import Context
from .engine import DEFAULT_FAILURE_REASONS, injected_failure
from .faults import Fault, FaultQueue
from .recorder import RequestLog
from .seed import DEFAULT_TOKENS, seed_store
from .state import Principal, Role, Store


class Simulator:
    """An in-memory Notehub Jobs API with one seeded demo project.

    `pace` is seconds per device while a run progresses and `start_delay` the seconds a run
    stays `submitted`; both are measured on `clock`, which tests may replace with a fake.
    With `failure_rate > 0` each processed device fails with that probability, decided by
    `seed` and the device UID, with a reason drawn from `failure_reasons`.
    """

    def __init__(
        self,
        devices: int = 60,
        seed: int = 1,
        pace: float = 0.05,
        start_delay: float = 0.0,
        clock: Callable[[], float] | None = None,
        extra_tokens: Mapping[str, tuple[Role, str]] | None = None,
        failure_rate: float = 0.0,
        failure_reasons: Sequence[str] | None = None,
    ) -> None:
        if devices < 0 or pace < 0 or start_delay < 0 or not 0 <= failure_rate <= 1:
            raise ValueError("devices, pace and start_delay must not be negative; failure_rate is 0..1")
        self.clock: Callable[[], float] = clock or time.time
        self._store = Store(tokens=dict(DEFAULT_TOKENS))
        for token, (role, email) in (extra_tokens or {}).items():
            if role not in ("viewer", "developer"):
                raise ValueError(f"unknown role {role!r}; use 'viewer' or 'developer'")
            self._store.tokens[token] = Principal(role, email)
        rng = random.Random(seed)
        seed_store(self._store, devices=devices, rng=rng, now=self.clock())
        reasons = tuple(failure_reasons or DEFAULT_FAILURE_REASONS)
        failure = (
            partial(injected_failure, seed, rate=failure_rate, reasons=reasons) if failure_rate else None
        )
        self._context = Context(self._store, self.clock, rng, pace, start_delay, failure)
        self.requests = RequestLog()
        self.faults = FaultQueue()
        self.app: ASGIApp = build_app(self._context, self.requests, self.faults)

    def inject_fault(
        self,
        *,
        status: int = 0,
        retry_after: int | None = None,
        latency: float = 0.0,
        drop: bool = False,
        times: int = 1,
        method: str = "",
        path_contains: str = "",
        truncate: bool = False,
        body: str | None = None,
        echo: bool = False,
    ) -> None:
        """Make the next `times` matching API requests slow, fail with `status`, drop, or cut short."""
        self.faults.add(
            Fault(status, retry_after, latency, drop, times, method, path_contains, truncate, body, echo)
        )
