"""Fixtures for the data unit tests: the repo's policy, a salt, a sanitize helper."""
from __future__ import annotations

import io

import pytest

from replica.data.dumps import policy as policy_module
from replica.data.dumps.rows import NATIVE
from replica.data.dumps.sanitize import Sanitizer
from tests.unit.data.dumpmaker import ROOT, SALT


@pytest.fixture(scope="session")
def policy():
    return policy_module.load(ROOT / "db" / "sanitize.yml")


@pytest.fixture(scope="session")
def run(policy):
    """Sanitize dump bytes with the repo policy (or another) and return the output bytes."""
    def do(dump: bytes, salt: bytes = SALT, rules=None, workers: int = 0,
           native: bool = NATIVE) -> bytes:
        out = io.BytesIO()
        Sanitizer(rules or policy, salt, workers=workers, native=native).run(io.BytesIO(dump), out)
        return out.getvalue()
    return do
