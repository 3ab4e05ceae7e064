"""The official OpenAI Node SDK's suite against a mock-openai URL: `tests/unit/mocks/node/sdk_suite.cjs`.

One suite for both tiers: the unit tier runs it against the mock served in-process, the integration
tier against the mock's container as the stack runs it. Its packages (`node/package.json`: `openai`,
`zod`) come from the one npm cache (tests/support/npm_cache.py).

    results = run_suite("http://127.0.0.1:18080")       # {check name: "ok" or the failure}
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from .npm_cache import from_manifest, node_or_skip

SUITE_DIR = Path(__file__).resolve().parents[1] / "unit" / "mocks" / "node"
SUITE = SUITE_DIR / "sdk_suite.cjs"
CHECKS = re.findall(r'^checks\["(.+?)"\]', SUITE.read_text(), re.MULTILINE)


def run_suite(base_url: str) -> dict[str, str]:
    """Run every check against `base_url`; return each check's result."""
    node = node_or_skip()
    modules = from_manifest(SUITE_DIR / "package.json")
    done = subprocess.run([node, str(SUITE), base_url], env={**os.environ, "NODE_PATH": str(modules)},
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
