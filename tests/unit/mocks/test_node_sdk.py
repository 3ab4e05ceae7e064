"""The official OpenAI Node SDK (6.x) against the mock: `node/sdk_suite.cjs`, one test per check.

The SDK is installed once per `node/package.json` into `~/.cache/mina-staging/node-sdk/<hash>/`
(`MINA_NODE_CACHE` moves it): `npm install` from the registry the first time, then nothing.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from mocks.openai_mock import Settings, create_app
from tests.unit.mocks.conftest import serve

HERE = Path(__file__).parent / "node"
SUITE = HERE / "sdk_suite.cjs"
CHECKS = re.findall(r'^checks\["(.+?)"\]', SUITE.read_text(), re.MULTILINE)
NODE, NPM = shutil.which("node"), shutil.which("npm")
pytestmark = pytest.mark.skipif(not (NODE and NPM), reason="node and npm are not on PATH: the Node SDK suite "
                                                             "needs Node 18+ (Debian: apt-get install nodejs npm)")


def node_modules() -> Path:
    """Return a node_modules holding the pinned SDK, installing it on first use."""
    manifest = (HERE / "package.json").read_bytes()
    root = Path(os.environ.get("MINA_NODE_CACHE") or Path.home() / ".cache" / "mina-staging" / "node-sdk")
    target = root / hashlib.sha256(manifest).hexdigest()[:16]
    if (target / "node_modules" / "openai" / "package.json").exists():
        return target / "node_modules"
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=".install-"))
    (work / "package.json").write_bytes(manifest)
    done = subprocess.run([NPM, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=work,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"npm install of the Node SDK failed: {done.stderr[-1500:]}"
    try:
        work.rename(target)  # atomic: a concurrent run that won keeps its copy
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
    return target / "node_modules"


@pytest.fixture(scope="module")
def results():
    modules = node_modules()
    with serve(create_app(Settings())) as url:
        done = subprocess.run([NODE, str(SUITE), url], env={**os.environ, "NODE_PATH": str(modules)},
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("check", CHECKS)
def test_node_sdk(results, check):
    assert results.get(check) == "ok", results.get(check, "the suite did not run this check")
