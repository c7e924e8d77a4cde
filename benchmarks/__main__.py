"""``python -m benchmarks [--quick] [--profile]``: measure everything, print one table of ratios."""

from __future__ import annotations

import argparse
import sys
import time

import anyio
from mcp import Client

from . import calls, startup, summary, tokens
from .measure import FULL, QUICK, Plan, Row, table
from .servers import floor_over_stdio, loopback_notehub, ours_over_http, ours_over_stdio


async def run(plan: Plan, *, profile: bool) -> tuple[list[Row], str]:
    rows: list[Row] = []
    async with loopback_notehub() as notehub:
        job_body = (await notehub.http.get(notehub.job_path)).content
        rows += await startup.measure(plan, notehub.url)
        async with (
            Client(ours_over_stdio(notehub.url), mode="legacy") as ours,
            Client(floor_over_stdio(notehub.url), mode="legacy") as floor,
        ):
            rows += await calls.per_call(plan, ours, floor, notehub)
            rows.append(await calls.concurrency(plan, "stdio", calls.get_job(ours, notehub)))
            listing = await ours.list_tools()
        async with (
            ours_over_http(notehub.url) as url,
            Client(url, mode="legacy") as over_http,
        ):
            rows.append(await calls.concurrency(plan, "Streamable HTTP", calls.get_job(over_http, notehub)))
    rows += tokens.measure(listing)
    rows += await summary.measure(plan)
    if not profile:
        return rows, ""
    from . import profiles

    return rows, await profiles.report(plan, listing, job_body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="Tiny sizes, one repetition: proves it runs, measures nothing."
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="Also print the import-time profile against the SDK's and the summary hot path.",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    rows, profile = anyio.run(lambda: run(plan, profile=args.profile))
    print(table(rows))
    print(
        f"\n{'quick mode: one repetition of tiny sizes; not a measurement. ' if plan.quick else ''}"
        f"Medians of {plan.reps} repetitions; ratios against the floor measured in this run; summary "
        "times with the garbage collector paused. "
        f"Took {time.perf_counter() - started:.0f} s on {sys.platform}, Python {sys.version.split()[0]}."
    )
    if profile:
        print(f"\n{profile}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
