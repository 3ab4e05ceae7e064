"""`staging.watch` on the test replica: an edit to a view is served by both gunicorn workers
without an image rebuild, and a template edit too (copied through the engine's API)."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest
import requests

from replica.engine import health
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
WORKERS = 2  # staging's command


@pytest.fixture
def watching(start_watch):
    """staging.watch running on the test replica until the test ends."""
    return start_watch()


@pytest.fixture
def edited(replica):
    """Edit a file of the checkout for one test, putting it back afterwards (its content, so the
    image tags, which hash the files, are as before)."""
    originals = {}

    def edit(relative, old, new):
        path = replica.settings.root / relative
        originals.setdefault(path, path.read_text())
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
    yield edit
    for path, text in originals.items():
        path.write_text(text)


def workers_serving(url: str, marker: str) -> set[int]:
    """Ask on new connections (so both workers answer) which worker pids serve the marker."""
    serving = set()
    for _ in range(20):
        try:
            answer = requests.get(url, timeout=5, headers={"Connection": "close"})
        except requests.RequestException:
            continue
        if marker in answer.text:
            serving.add(answer.json()["worker_pid"])
        if len(serving) == WORKERS:
            break
    return serving


def served_by_both_workers(url: str, marker: str, rewrite) -> None:
    """Wait until both workers serve the marker; write the edit again every 20 s meanwhile (the
    watcher may have begun just after the first write)."""
    deadline = [time.monotonic() + 20]

    def served():
        if time.monotonic() > deadline[0]:
            rewrite()
            deadline[0] = time.monotonic() + 20
        return len(workers_serving(url, marker)) == WORKERS
    wait_until(served, f"both workers serving {marker} at {url}", timeout=240, pause=1)


def test_an_edited_view_is_served_by_both_workers_without_a_rebuild(watching, edited):
    image = watching.compose_env["APP_IMAGE"]
    since = datetime.now(timezone.utc)
    marker = f"watched-{uuid.uuid4().hex[:8]}"
    edited("app/mina/health.py", '"worker_pid": os.getpid()})\n\n\ndef check_database',
           f'"worker_pid": os.getpid(), "watch": "{marker}"}})\n\n\ndef check_database')
    served_by_both_workers(watching.url("app") + "/version", marker,
                           lambda: (watching.settings.root / "app/mina/health.py").touch())
    (app,) = [c for c in health.engine_client().containers.list(filters={"label": [
        f"{health.PROJECT_LABEL}={watching.settings.project}", f"{health.SERVICE_LABEL}=app"]})]
    assert app.attrs["Config"]["Image"] == image  # the same container and image: nothing rebuilt
    forks = app.logs(since=since).decode(errors="replace")
    assert "Booting worker" in forks  # the workers were restarted...
    assert "Control server error" not in forks  # ...with no control socket broken by eventlet


def test_an_edited_template_is_served_by_every_worker(watching, edited):
    marker = f"watched-{uuid.uuid4().hex[:8]}"
    edited("app/mina/templates/login.html", "<h1>Log in</h1>", f"<h1>Log in {marker}</h1>")

    def every_answer_has_it():  # 10 new connections in a row: both workers restarted
        try:
            pages = [requests.get(watching.url("app") + "/login", timeout=5,
                                  headers={"Connection": "close"}) for _ in range(10)]
        except requests.RequestException:
            return False  # a worker restarting
        return all(marker in page.text for page in pages)
    wait_until(every_answer_has_it, f"every worker serving the edited login page ({marker})",
               timeout=240, pause=1)
