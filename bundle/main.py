"""Entry point of the Claude Desktop bundle (.mcpb): run notehub-jobs-mcp from the bundled libraries.

Claude Desktop starts ``python3 ${__dirname}/server/main.py`` on the user's own Python, which has
none of our dependencies. Everything the server needs is in ``lib/`` beside this file, except the
compiled parts (pydantic-core, rpds-py), which exist once per platform and Python version in
``native/<platform>-<machine>-cp<version>/`` (or ``-abi3/`` for those built for the stable ABI, which
every version shares). This file puts the right ones first on ``sys.path``
and runs the server; anything it has to say goes to stderr, because stdout is the MCP protocol.

Kept to syntax Python 3.6 can run (macOS's own python3 is 3.9), so a too-old Python gets a clear
message rather than a SyntaxError.
"""

import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MINIMUM = (3, 11)


def platform_key() -> str:
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return f"{sys.platform}-{machine}"


def native_key() -> str:
    return f"{platform_key()}-cp{sys.version_info[0]}{sys.version_info[1]}"


def fail(message: str) -> None:
    sys.stderr.write("notehub-jobs-mcp bundle: " + message + "\n")
    sys.exit(1)


def main() -> None:
    if sys.version_info[:2] < MINIMUM:
        fail(
            f"needs Python {MINIMUM[0]}.{MINIMUM[1]} or newer, but {sys.executable} is Python "
            f"{platform.python_version()}. Install a newer Python from python.org and make it the "
            "python3 on your PATH, then restart Claude Desktop."
        )
    native_root = os.path.join(HERE, "native")
    native = os.path.join(native_root, native_key())
    if not os.path.isdir(native):
        listed = os.listdir(native_root) if os.path.isdir(native_root) else []
        built = sorted(name for name in listed if not name.endswith("-abi3"))
        fail(
            f"has no compiled libraries for this Python ({native_key()}, Python "
            f"{platform.python_version()} at {sys.executable}); it has them for: "
            f"{', '.join(built) or 'none'}. Use one of those Pythons, or build a bundle for this one "
            "with scripts/build_bundle.py."
        )
    # Ahead of site-packages, so that whatever the user's Python has installed cannot interfere.
    shared = os.path.join(native_root, platform_key() + "-abi3")
    sys.path[0:0] = [native, *([shared] if os.path.isdir(shared) else []), os.path.join(HERE, "lib")]
    from notehub_jobs_mcp.cli import main as cli_main

    sys.exit(cli_main())


if __name__ == "__main__":
    main()
