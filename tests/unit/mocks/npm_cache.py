"""npm packages for the tests that drive the mocks with real Node clients, installed once into the
gitignored `.cache/npm/<spec>/` of the checkout (bounded in time); without `node` those tests skip."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
INSTALL_TIMEOUT_S = 240


def node_or_skip() -> str:
    """The `node` binary, or skip the test saying why."""
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed: the Node SDK tests need Node 18+ and npm on PATH")
    return node


def installed(*packages: str) -> Path:
    """Install `packages` (npm specs, e.g. "@sentry/node@11") once; return their node_modules directory."""
    node_or_skip()
    npm = shutil.which("npm")
    if not npm:
        pytest.fail("node is installed but npm is not: install npm to run the Node SDK tests")
    key = hashlib.sha256(" ".join(sorted(packages)).encode()).hexdigest()[:12]
    prefix = ROOT / ".cache" / "npm" / key
    modules = prefix / "node_modules"
    if (prefix / ".installed").exists():
        return modules
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "package.json").write_text('{"private": true}\n')
    try:
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *packages],
                              cwd=prefix, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
                              env={**os.environ, "npm_config_update_notifier": "false"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm install {' '.join(packages)} took over {INSTALL_TIMEOUT_S} s (is the registry reachable?)")
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.fail(f"npm install {' '.join(packages)} failed (exit {done.returncode}): {last}")
    (prefix / ".installed").write_text(" ".join(packages) + "\n")
    return modules
