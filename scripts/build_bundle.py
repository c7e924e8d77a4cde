"""Build the Claude Desktop bundle: dist/notehub-jobs-mcp-<version>.mcpb.

    .venv/bin/python scripts/build_bundle.py                  # for this machine's Python only
    .venv/bin/python scripts/build_bundle.py --targets all    # macOS, Windows, Linux; Python 3.11-3.14

The bundle carries everything the server needs, so it starts on a Python that has none of our
dependencies (Claude Desktop runs ``python3 ${__dirname}/server/main.py``):

- ``server/lib/``: this package and its pure-Python dependencies (``pip install --target``);
- ``server/native/<platform>-<machine>-cp<version>/``: the compiled dependencies (pydantic-core,
  rpds-py), one directory per target, picked at start-up by ``server/main.py``;
- ``manifest.json``: the repository's, with ``compatibility`` narrowed to the targets built.

It is packed with the official packer, ``mcpb pack`` (from ``.ci/node``, installed with
``npm ci --prefix .ci/node``; otherwise fetched with npx). Needs the Python package index for the
dependencies. Build output goes to build/ and dist/, which git ignores.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "notehub_jobs_mcp"
NODE_TOOLS = ROOT / ".ci" / "node"
MCPB_VERSION = json.loads((NODE_TOOLS / "package.json").read_text())["devDependencies"]["@anthropic-ai/mcpb"]

PYTHONS = ("3.11", "3.12", "3.13", "3.14")
# Target key (as server/main.py computes it, minus the Python version) -> pip platform tags.
PLATFORMS: dict[str, list[str]] = {
    # macOS wheels name the oldest release they support: accept any up to macOS 14.
    "darwin-arm64": [
        *(f"macosx_{major}_0_{arch}" for major in (11, 12, 13, 14) for arch in ("arm64", "universal2")),
        "macosx_10_9_universal2",
    ],
    "darwin-x86_64": [
        *(f"macosx_10_{minor}_x86_64" for minor in (9, 12, 13, 15)),
        *(f"macosx_{major}_0_x86_64" for major in (11, 12, 13, 14)),
        "macosx_10_9_universal2",
    ],
    "linux-x86_64": ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64"],
    "linux-arm64": ["manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64"],
    "win32-x86_64": ["win_amd64"],
}
RUNTIME_RANGE = ">=3.11.0 <3.15.0"


def host_key() -> str:
    """The key server/main.py will look for when run by this interpreter."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return f"{sys.platform}-{machine}-cp{sys.version_info[0]}{sys.version_info[1]}"


def all_keys() -> list[str]:
    return [f"{plat}-cp{v.replace('.', '')}" for plat in PLATFORMS for v in PYTHONS]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--targets",
        default="host",
        help="'host' (this Python, the default), 'all', or comma-separated keys such as "
        "darwin-arm64-cp312,win32-x86_64-cp313",
    )
    parser.add_argument(
        "--out", type=Path, help="Where to write the .mcpb (default dist/<name>-<version>.mcpb)."
    )
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "bundle")
    args = parser.parse_args()
    targets = _targets(args.targets)
    manifest = json.loads((ROOT / "manifest.json").read_text())
    _check_version(manifest)
    out = args.out or ROOT / "dist" / f"{manifest['name']}-{manifest['version']}.mcpb"
    built = stage_bundle(args.build_dir, manifest, targets, skip_missing=args.targets == "all")
    pack(args.build_dir, out)
    print(f"built {out} ({out.stat().st_size / 1e6:.1f} MB) for {', '.join(built)}", file=sys.stderr)
    return 0


def _targets(spec: str) -> list[str]:
    if spec == "host":
        return [host_key()]
    if spec == "all":
        return all_keys()
    keys = [k.strip() for k in spec.split(",") if k.strip()]
    unknown = [k for k in keys if k not in all_keys() and k != host_key()]
    if unknown:
        raise SystemExit(f"unknown targets {unknown}; known: {', '.join(all_keys())}")
    return keys


def _check_version(manifest: dict[str, object]) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    if manifest["version"] != version:
        raise SystemExit(f"manifest.json version {manifest['version']} != pyproject.toml version {version}")


def stage_bundle(
    stage: Path, manifest: dict[str, object], targets: list[str], *, skip_missing: bool = False
) -> list[str]:
    """Lay the bundle out in ``stage``; returns the targets it has compiled dependencies for."""
    if stage.exists():
        shutil.rmtree(stage)
    server = stage / "server"
    lib = server / "lib"
    lib.mkdir(parents=True)
    shutil.copy2(ROOT / "bundle" / "main.py", server / "main.py")
    shutil.copytree(ROOT / PACKAGE, lib / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, stage / name)

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    _pip("install", "--target", str(lib), *dependencies)
    shutil.rmtree(lib / "bin", ignore_errors=True)

    # Move the compiled distributions out of lib/ into native/<this host>/, then fetch the same
    # versions for every other target.
    compiled = _compiled_distributions(lib)
    host = host_key()
    native = server / "native"
    host_dir = native / host
    host_dir.mkdir(parents=True)
    for _, _, paths in compiled:
        for path in paths:
            shutil.move(str(lib / path), str(host_dir / path))
    if host not in targets:
        shutil.rmtree(host_dir)
    built = [host] if host in targets else []
    for key in targets:
        if key == host:
            continue
        plat, py = key.rsplit("-cp", 1)
        tags = [arg for tag in PLATFORMS[plat] for arg in ("--platform", tag)]
        try:
            _pip(
                "install",
                "--target",
                str(native / key),
                "--no-deps",
                "--implementation",
                "cp",
                "--python-version",
                f"{py[0]}.{py[1:]}",
                *tags,
                *(f"{name}=={version}" for name, version, _ in compiled),
            )
        except subprocess.CalledProcessError:
            if not skip_missing:
                raise
            # E.g. a dependency that no longer publishes wheels for Intel Macs.
            print(f"skipping {key}: not every compiled dependency has a wheel for it", file=sys.stderr)
            shutil.rmtree(native / key, ignore_errors=True)
            continue
        built.append(key)

    if not built:
        raise SystemExit("no target could be built")
    _share_stable_abi(native)
    (stage / "manifest.json").write_text(json.dumps(_narrowed(manifest, built), indent=2) + "\n")
    return built


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args]
    subprocess.run([*command, "--no-compile", "--only-binary=:all:"], check=True, stdout=sys.stderr)


def _compiled_distributions(lib: Path) -> list[tuple[str, str, list[str]]]:
    """(name, version, top-level paths) of each installed distribution that has extension modules."""
    found = []
    for dist_info in sorted(lib.glob("*.dist-info")):
        if not any(f.endswith((".so", ".pyd")) for f in _files(dist_info)):
            continue
        meta = _fields(dist_info / "METADATA")
        found.append((meta["Name"], meta["Version"], _top_levels(dist_info)))
    return found


def _share_stable_abi(native: Path) -> None:
    """Keep one copy per platform of what is built for the stable ABI (abi3), which every Python
    version can load, in native/<platform>-abi3/, instead of one per version."""
    for key_dir in sorted(native.iterdir()):
        shared = native / (key_dir.name.rsplit("-cp", 1)[0] + "-abi3")
        for dist_info in sorted(key_dir.glob("*.dist-info")):
            if "-abi3-" not in (dist_info / "WHEEL").read_text():
                continue
            for path in _top_levels(dist_info):
                if (shared / path).exists():
                    _remove(key_dir / path)
                else:
                    shared.mkdir(exist_ok=True)
                    shutil.move(str(key_dir / path), str(shared / path))


def _files(dist_info: Path) -> list[str]:
    return [line.split(",", 1)[0] for line in (dist_info / "RECORD").read_text().splitlines()]


def _fields(path: Path) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in path.read_text().splitlines() if ": " in line)
    return {name: value for name, value in pairs}


def _top_levels(dist_info: Path) -> list[str]:
    """The files and directories a distribution installed at the top of its target directory."""
    base = dist_info.parent
    tops = {f.split("/", 1)[0] for f in _files(dist_info) if not f.startswith(("..", "bin/"))}
    return sorted(t for t in tops if (base / t).exists())


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def _narrowed(manifest: dict[str, object], targets: Iterable[str]) -> dict[str, object]:
    """The manifest with compatibility saying only what this bundle can run on."""
    result = json.loads(json.dumps(manifest))
    keys = list(targets)
    platforms = sorted({key.split("-", 1)[0] for key in keys})
    versions = sorted({int(key.rsplit("-cp", 1)[1][1:]) for key in keys})
    compatibility = result.setdefault("compatibility", {})
    compatibility["platforms"] = platforms
    lowest, highest = versions[0], versions[-1]
    if sorted(set(versions)) == list(range(lowest, highest + 1)):
        compatibility.setdefault("runtimes", {})["python"] = f">=3.{lowest}.0 <3.{highest + 1}.0"
    else:
        compatibility.setdefault("runtimes", {})["python"] = RUNTIME_RANGE
    return dict(result)


def mcpb_command() -> list[str]:
    local = NODE_TOOLS / "node_modules" / ".bin" / "mcpb"
    if local.exists():
        return [str(local)]
    npx = shutil.which("npx")
    if npx is None:
        raise SystemExit("the official packer needs Node.js: install it, then `npm ci --prefix .ci/node`")
    return [npx, "--yes", f"@anthropic-ai/mcpb@{MCPB_VERSION}"]


def pack(stage: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    subprocess.run([*mcpb_command(), "pack", str(stage), str(out)], check=True, stdout=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
