"""npm packages for the tests that drive the mocks with real Node clients: one cache, defined here.

Each set of packages (a checked-in package.json, or npm specs such as "@sentry/node@11") is installed
once into `~/.cache/mina-staging/npm/<hash of its package.json>/` (`MINA_NODE_CACHE` moves it), shared
by every clone and both test tiers: the npm registry is needed the first time (bounded in time), then
nothing. An install lands in a temporary folder renamed into place, so concurrent runs never see half
of one. Without `node` and `npm` the tests that need them skip, saying why.

    modules = installed("@sentry/node@11")              # NODE_PATH=modules node client.js
    modules = from_manifest(Path("node/package.json"))
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

INSTALL_TIMEOUT_S = 300
MARKER = ".installed"


def cache_root() -> Path:
    """Where every npm install of the tests lives."""
    return Path(os.environ.get("MINA_NODE_CACHE") or Path.home() / ".cache" / "mina-staging" / "npm")


def node_or_skip() -> str:
    """The `node` binary, or skip the test saying why."""
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed: the Node client tests need Node 18+ and npm on PATH "
                    "(Debian: apt-get install nodejs npm)")
    return node


def _spec(package: str) -> tuple[str, str]:
    """Split an npm spec into (name, range): "@sentry/node@11" -> ("@sentry/node", "11")."""
    name, at, version = package[1:].rpartition("@") if package.startswith("@") else package.rpartition("@")
    if not at:
        return package, "*"
    return (f"@{name}" if package.startswith("@") else name), version


def installed(*packages: str) -> Path:
    """Install npm specs once; return their node_modules directory."""
    manifest = {"private": True, "dependencies": dict(sorted(_spec(p) for p in packages))}
    return _install((json.dumps(manifest, indent=2) + "\n").encode())


def from_manifest(path: Path) -> Path:
    """Install a package.json's dependencies once; return their node_modules directory."""
    return _install(path.read_bytes())


def _install(manifest: bytes) -> Path:
    node_or_skip()
    npm = shutil.which("npm")
    if not npm:
        pytest.fail("node is installed but npm is not: install npm to run the Node client tests")
    root = cache_root()
    target = root / hashlib.sha256(manifest).hexdigest()[:16]
    if (target / MARKER).exists():
        return target / "node_modules"
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=".install-"))
    (work / "package.json").write_bytes(manifest)
    try:
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=work,
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
                              env={**os.environ, "npm_config_update_notifier": "false"})
    except subprocess.TimeoutExpired:
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"npm install took over {INSTALL_TIMEOUT_S} s (is the npm registry reachable?)")
    if done.returncode:
        shutil.rmtree(work, ignore_errors=True)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.fail(f"npm install of {manifest.decode()[:200]!r} failed (exit {done.returncode}): {last}")
    (work / MARKER).write_text("")
    try:
        work.rename(target)  # atomic: a concurrent run that won keeps its copy
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
    return target / "node_modules"
