"""Fixtures of the gate's unit tests: recorded k6 summaries (small JSON files next to the tests)."""
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def summary():
    """Load a recorded k6 --summary-export file by name."""
    return lambda name: json.loads((FIXTURES / f"summary_{name}.json").read_text())
