"""URL paths of the Notehub Jobs API, with every UID encoded as exactly one path segment."""

from __future__ import annotations

from urllib.parse import quote

from .errors import InvalidRequest


def segment(uid: str) -> str:
    """Percent-encode ``uid`` so that it can only ever be one path segment.

    ``:`` stays literal (a legal path character, and how Notehub documents ``app:…`` UIDs);
    ``/``, ``?``, ``#``, ``%``, whitespace and the rest are percent-encoded. Dots are left alone,
    and URL normalisation (httpx's included) collapses a ``.`` or ``..`` segment into a different
    path. A segment made only of dots is therefore encoded dot by dot. An empty UID would
    leave an empty segment (``//``), which servers may collapse, so it is refused.
    """
    if not uid:
        raise InvalidRequest(
            "A UID argument is empty.", hint="Pass the UID exactly as a list tool printed it."
        )
    try:
        encoded = quote(uid, safe=":")
    except UnicodeEncodeError:  # a lone surrogate, which JSON can carry but UTF-8 cannot
        raise InvalidRequest(
            "A UID argument is not valid text.", hint="Pass the UID exactly as a list tool printed it."
        ) from None
    if encoded and set(encoded) == {"."}:
        return "%2E" * len(encoded)
    return encoded


def jobs(project: str) -> str:
    return f"/v1/projects/{segment(project)}/jobs"


def job(project: str, job_uid: str) -> str:
    return f"{jobs(project)}/{segment(job_uid)}"


def job_run_now(project: str, job_uid: str) -> str:
    return f"{job(project, job_uid)}/run"


def job_runs(project: str, job_uid: str) -> str:
    return f"{job(project, job_uid)}/runs"


def run(project: str, report_uid: str) -> str:
    return f"{jobs(project)}/runs/{segment(report_uid)}"


def run_cancel(project: str, report_uid: str) -> str:
    return f"{run(project, report_uid)}/cancel"
