"""What every API handler needs: the store, the clock, run settings, and auth."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from starlette.requests import Request

from .errors import ApiError
from .runs import FailurePolicy, advance
from .state import Principal, Project, Role, Store

ROLE_RANK: dict[Role, int] = {"viewer": 0, "developer": 1}


@dataclass
class Context:
    store: Store
    clock: Callable[[], float]
    rng: random.Random
    pace: float
    start_delay: float
    failure: FailurePolicy | None

    def principal(self, request: Request) -> Principal:
        """The caller behind the bearer token, or a 401."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized: send a token in an 'Authorization: Bearer <token>' header")
        principal = self.store.tokens.get(token)
        if principal is None or (principal.expires is not None and principal.expires <= self.clock()):
            raise ApiError(401, "unauthorized: the token is not valid or has expired")
        return principal

    def open(self, request: Request, role: Role) -> tuple[Project, Principal, float]:
        """Authenticate, find the project, check the role, and bring its runs up to now."""
        principal = self.principal(request)
        project = self.store.find_project(path_param(request, "project"))
        if project is None:
            raise ApiError(404, "project not found")
        if ROLE_RANK[principal.role] < ROLE_RANK[role]:
            raise ApiError(403, f"forbidden: this action requires the {role} role on the project")
        now = self.clock()
        advance(project, now, self.failure)
        return project, principal, now


def path_param(request: Request, name: str) -> str:
    # Routing runs on the raw path (see app.py), so each segment is still percent-encoded.
    value: str = request.path_params[name]
    return unquote(value)
