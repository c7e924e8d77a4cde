"""The benchmark command cannot rot: its quick mode runs end to end and prints every row of the table.

Quick mode measures nothing worth reading (one repetition of tiny sizes), so no figure is checked
here, only that each measurement still runs against the server as it is today.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TOOLS = [
    "list_jobs", "create_job", "get_job", "delete_job", "run_job",
    "list_job_runs", "get_job_run", "cancel_job_run", "delete_job_run",
]  # fmt: skip

ROWS_WITH_AIMS = [
    "cold start: spawn, initialize, tools/list, exit (stdio)",
    "per call: what we add on top of the HTTP request",
    "concurrency: 10 get_job calls at once over one stdio session",
    "concurrency: 10 get_job calls at once over one Streamable HTTP session",
    "tools/list: all 9 tools, as sent",
    "summary: 20-device run, time",
    "summary: 50-device run, time",
    "summary: 100-device run, time",
]

OTHER_ROWS = [
    "imports alone",
    "per call: get_job over stdio (includes its HTTP request)",
    "of which the model reads (name, description, schema)",
    *(f"tools/list: {tool}" for tool in TOOLS),
    "summary: 20-device run, peak memory",
    "summary: 100-device run, peak memory",
]


def _rows(output: str) -> dict[str, list[str]]:
    """Table rows by their first cell, each as its list of cells."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("| ") and line.endswith(" |"):
            cells = [cell.strip() for cell in line[2:-2].split(" | ")]
            rows[cells[0]] = cells
    return rows


def test_quick_benchmark_prints_every_row_in_seconds() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _rows(done.stdout)

    for label in ROWS_WITH_AIMS:
        _, ours, _against, ratio, aim, met = rows[label]
        assert re.search(r"\d", ours), (label, ours)
        assert aim, label
        assert met in ("yes", "NO"), (label, met)
        if not label.startswith("tools/list"):
            assert re.fullmatch(r"\d+\.\d\dx", ratio), (label, ratio)
    for label in OTHER_ROWS:
        assert any(row.startswith(label) for row in rows), f"no row {label!r} in:\n{done.stdout}"

    # Both concurrency rows ran every call without an error.
    for label in ROWS_WITH_AIMS[2:4]:
        assert rows[label][1].endswith(", 0 errors"), rows[label]
    assert "quick mode: one repetition of tiny sizes" in done.stdout
    assert elapsed < 90, f"quick mode took {elapsed:.0f} s"
