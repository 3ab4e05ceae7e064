"""The gate fails for real on a broken app and names the item: an app whose database is unreachable."""
import json
import os
import subprocess
import sys

import pytest

from tests.support.gunicorn import StagingGunicorn
from tests.support.ports import free_port

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def broken_app():
    """The real app under staging's gunicorn command, its DATABASE_URL pointing at a closed port."""
    env = {"DATABASE_URL": f"postgresql://nobody:nothing@127.0.0.1:{free_port()}/absent",
           "SECRET_KEY": "a-random-gate-test-secret-of-sufficient-length", "OPENAI_API_KEY": "sk-x",
           "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "GIT_SHA": "broken"}
    with StagingGunicorn(env) as server:
        yield server


def test_validate_fails_and_names_the_broken_items(broken_app, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "staging.validate", "--base-url", broken_app.url],
        cwd=REPO, capture_output=True, text=True, timeout=280,
        env={**os.environ, "STAGING_RESULTS_DIR": str(tmp_path), "COLUMNS": "200"})
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "NOT READY" in done.stderr and "Application starts without errors" in done.stderr
    report = json.loads(next(tmp_path.glob("validate-*/report.json")).read_text())
    items = {item["key"]: item for item in report["items"]}
    assert items["starts"]["result"] == "failed"
    assert "/health/ready 503" in items["starts"]["evidence"]
    assert items["auth"]["result"] == "failed" and not report["passed"]
    assert (tmp_path / next(tmp_path.glob("validate-*")).name / "metrics.json").is_file()
