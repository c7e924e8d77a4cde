"""What every benchmark shares: the plan (full or quick), medians, rows and the table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """How much to measure: the full run, or a quick one that only proves the code still works."""

    reps: int  # repetitions of each measurement; the table shows their median
    calls_per_rep: int  # sequential tool calls timed together in one repetition
    concurrent: int  # calls in flight at once for the concurrency rows
    summary_sizes: tuple[int, ...]  # devices in the runs summarized

    @property
    def quick(self) -> bool:
        return self.reps == 1


FULL = Plan(reps=7, calls_per_rep=40, concurrent=100, summary_sizes=(1_000, 10_000, 100_000))
QUICK = Plan(reps=1, calls_per_rep=3, concurrent=10, summary_sizes=(20, 50, 100))


@dataclass(frozen=True)
class Row:
    """One line of the table: what we measured, against what, their ratio and the aim."""

    measure: str
    ours: str
    against: str = ""
    ratio: float | None = None
    aim: str = ""
    met: bool | None = None


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


async def atimed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.2f} ms"


def mib(size: float) -> str:
    return f"{size / 2**20:,.1f} MiB" if size >= 2**20 else f"{size / 1024:,.1f} KiB"


def within(ratio: float, aim: float) -> bool:
    # Judged on the figure the table prints, so "1.15x" never reads as missing a 1.15x aim.
    return round(ratio, 2) <= aim


def table(rows: Sequence[Row]) -> str:
    """The rows as an aligned plain-text table (GitHub-flavoured Markdown renders it too)."""
    header = ("measure", "ours", "against", "ratio", "aim", "met")
    cells = [header] + [
        (
            row.measure,
            row.ours,
            row.against,
            "" if row.ratio is None else f"{row.ratio:.2f}x",
            row.aim,
            "" if row.met is None else ("yes" if row.met else "NO"),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def render(line: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([render(cells[0]), rule, *(render(line) for line in cells[1:])])
