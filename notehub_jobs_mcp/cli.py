"""Command line: ``serve`` (default), ``demo``, ``simulator``.

stdout belongs to the MCP protocol when serving over stdio, so every diagnostic goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from . import __version__, logs
from .config import Config, ConfigError

log = logging.getLogger("notehub_jobs_mcp")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notehub-jobs-mcp",
        description="MCP server for Blues Notehub batch jobs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _serve_flags(parser)
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="Serve MCP (default: stdio, for Claude Desktop and Claude Code).")
    _serve_flags(serve)

    sub.add_parser("demo", help="Play a scripted session: an MCP client, this server, and the simulator.")

    doctor = sub.add_parser(
        "doctor", help="Check configuration, credentials and project access, and say how to fix problems."
    )
    doctor.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS, help="Check as if serving --read-only."
    )

    sim = sub.add_parser("simulator", help="Run the Notehub Jobs simulator as an HTTP server.")
    sim.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
    sim.add_argument("--port", type=int, default=8080, help="Port (default 8080).")
    sim.add_argument("--devices", type=int, default=60, help="Devices in the demo project (default 60).")
    sim.add_argument("--token", help="An extra developer token to accept, besides the built-in ones.")
    sim.add_argument(
        "--pace", type=float, default=0.5, help="Seconds per device while a run goes (default 0.5)."
    )
    return parser


def _serve_flags(parser: argparse.ArgumentParser) -> None:
    # Defaults are None so that a flag given before the subcommand is not reset by the subparser.
    parser.add_argument(
        "--transport",
        choices=["stdio", "http"],
        default=argparse.SUPPRESS,
        help="stdio (default: for Claude Desktop and Claude Code) or http (Streamable HTTP at /mcp).",
    )
    parser.add_argument("--host", default=argparse.SUPPRESS, help="HTTP bind address (default 127.0.0.1).")
    parser.add_argument(
        "--port", type=int, default=argparse.SUPPRESS, help="HTTP port (default 8000), path /mcp."
    )
    parser.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS, help="Offer only the read tools."
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="Serve against the embedded Notehub simulator (no account needed).",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure()
    command = args.command or "serve"
    try:
        if command == "serve":
            return _serve(args)
        if command == "demo":
            from .demo import run_demo

            return run_demo()
        if command == "doctor":
            from .doctor import run_doctor

            return run_doctor(read_only=getattr(args, "read_only", False))
        if command == "simulator":
            from .simulator import serve_simulator

            serve_simulator(
                host=args.host, port=args.port, devices=args.devices, token=args.token, pace=args.pace
            )
            return 0
    except ConfigError as exc:
        print(f"notehub-jobs-mcp: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    raise AssertionError(command)


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    config = Config.from_env()
    if getattr(args, "read_only", False):
        config = config.with_overrides(read_only=True)
    serve(
        config,
        transport=getattr(args, "transport", "stdio"),
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 8000),
        demo=getattr(args, "demo", False),
    )
    return 0
