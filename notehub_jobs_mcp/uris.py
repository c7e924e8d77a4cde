"""URIs of the server's resources: a job's definition, a run's full report, the definition schema.

Apart from resources.py so that tool results can link to resources without importing them.
UIDs go into a URI as one percent-encoded segment each, as in API paths.
"""

from __future__ import annotations

from .paths import segment

SCHEME = "notehub"
JOB_TEMPLATE = "notehub://projects/{project_uid}/jobs/{job_uid}"
RUN_TEMPLATE = "notehub://projects/{project_uid}/runs/{report_uid}"
SCHEMA_URI = "notehub://schema/job-definition"


def job_uri(project_uid: str, job_uid: str) -> str:
    """The resource URI of a job's definition, e.g. for a link in a tool result."""
    return f"{SCHEME}://projects/{_part(project_uid)}/jobs/{_part(job_uid)}"


def run_uri(project_uid: str, report_uid: str) -> str:
    """The resource URI of a run's full report, e.g. for a link in a tool result."""
    return f"{SCHEME}://projects/{_part(project_uid)}/runs/{_part(report_uid)}"


def _part(uid: str) -> str:
    # As in API paths, plus "," and "&", which the URI template reads as separators.
    return segment(uid).replace(",", "%2C").replace("&", "%26")
