"""The doctor's other checks, each provoked: a stopped gunicorn worker, a mock that does not answer
or is not the one configured, an image older than its requirements, and the report's shape."""
import dataclasses
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from replica.commands import maintenance, parity
from replica.commands.maintenance import Image
from replica.stack.settings import from_environment
from replica.stack.plan import Stack

from tests.support.gunicorn import StagingGunicorn
from tests.support.ports import free_port
from tests.support.waiting import wait_until

SECRET = "a-random-test-secret-of-sufficient-length-123"


def heartbeats(server):
    probe = subprocess.run([sys.executable, "-c", maintenance.HEARTBEAT_PROBE], capture_output=True,
                           text=True, check=True)
    return maintenance.worker_heartbeats(probe.stdout, master=server.proc.pid)


def test_a_stopped_gunicorn_worker_is_named_as_hung_and_clears_once_it_runs(migrated_url):
    env = {"DATABASE_URL": migrated_url, "SECRET_KEY": SECRET, "OPENAI_API_KEY": "sk-test",
           "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "GIT_SHA": "test-sha"}
    with StagingGunicorn(env) as server:
        workers = wait_until(lambda: len(heartbeats(server)) == 2 and heartbeats(server),
                             "staging's 2 workers did not both check in")
        assert maintenance.hung_workers(workers).same
        stopped = min(workers)
        os.kill(stopped, signal.SIGSTOP)  # its hub can no longer check in, as a blocked one cannot
        try:
            found = wait_until(lambda: [f for f in [maintenance.hung_workers(heartbeats(server), 3)]
                                        if f"worker {stopped} silent" in f.replica],
                               f"worker {stopped} was not reported silent")[0]
            assert not found.same and "staging.restart app" in found.todo
        finally:
            os.kill(stopped, signal.SIGCONT)
        wait_until(lambda: maintenance.hung_workers(heartbeats(server), 3).same,
                   "the resumed worker did not check in again")


# A gunicorn-like pair: the parent makes a heartbeat file as the arbiter does, stamped {stamp},
# and its child inherits it as a worker does.
WORKER_PAIR = """
import os, tempfile, time
fd, name = tempfile.mkstemp(prefix="wgunicorn-")
os.unlink(name)
stamp = {stamp}
os.utime(fd, (stamp, stamp))
if os.fork() == 0:
    time.sleep(120)
else:
    print("ready", flush=True)
    time.sleep(120)
"""


def probed_worker(stamp: str) -> tuple[int, float]:
    """Start a pair whose heartbeat is stamped `stamp` (Python); return the probe's (worker, age)."""
    pair = subprocess.Popen([sys.executable, "-c", WORKER_PAIR.format(stamp=stamp)],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert pair.stdout.readline() == "ready\n"
        probe = subprocess.run([sys.executable, "-c", maintenance.HEARTBEAT_PROBE],
                               capture_output=True, text=True, check=True)
        [(worker, age)] = maintenance.worker_heartbeats(probe.stdout, master=pair.pid).items()
        return worker, age
    finally:
        os.killpg(pair.pid, signal.SIGKILL)
        pair.wait()


def test_a_worker_that_never_checked_in_is_aged_from_its_start():
    # like a worker stuck while booting: the file keeps its (wall-clock) creation time
    worker, age = probed_worker("time.time() - 100")
    assert age >= 100
    assert f"worker {worker} silent for" in maintenance.hung_workers({worker: age}).replica


def test_a_stamp_made_just_after_the_probe_read_its_clock_is_a_fresh_check_in():
    # a monotonic stamp just ahead of the probe's own clock (a race seen under load, once read
    # as 57 years of silence)
    _, age = probed_worker("time.monotonic() + 5")
    assert age == 0.0  # not wall-clock minus a monotonic stamp


def test_no_worker_at_all_is_a_finding():
    assert not maintenance.hung_workers({}).same


@pytest.fixture
def mock_health(tmp_path):
    """A child process answering GET /health with 200, as the mocks do."""
    (tmp_path / "health").write_text("ok")
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0",
                               "--directory", str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        yield int(server.stdout.readline().split(" port ")[1].split()[0])
    finally:
        server.kill()
        server.wait()


def a_stack(ports, **app_env):
    env = {"OPENAI_BASE_URL": "http://mock-openai:8080/v1",
           "SENTRY_DSN": "http://public@error-sink:9000/1", **app_env}
    return Stack(from_environment({}), list(ports), ports, {}, env)


def test_mocks_that_answer_are_ok_and_one_that_does_not_is_named(mock_health):
    stack = a_stack({"mock-openai": mock_health, "error-sink": free_port()})
    openai, sink = maintenance.external_services(stack)
    assert openai.same and openai.replica == "mock-openai: answers"
    assert not sink.same and sink.replica.startswith("error-sink: no answer")
    assert sink.todo == "invoke staging.restart error-sink"


def test_an_external_service_pointed_past_its_mock_is_named(mock_health):
    stack = a_stack({"mock-openai": mock_health, "error-sink": mock_health},
                    OPENAI_BASE_URL="https://api.openai.com/v1", SENTRY_DSN="")
    openai, sink = maintenance.external_services(stack)
    assert not openai.same and openai.replica == "points at api.openai.com"
    assert not sink.same and sink.replica == "points at (unset)"


def test_an_image_built_before_its_requirements_changed_is_stale(tmp_path):
    (tmp_path / "docker" / "python").mkdir(parents=True)
    (tmp_path / "app").mkdir()
    (tmp_path / "docker" / "python" / "Dockerfile").write_text("FROM debian\n")
    (tmp_path / "app" / "requirements.txt").write_text("flask==3.1.0\n")
    (tmp_path / "app" / "views.py").write_text("x = 1\n")  # code, not a dependency
    built = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    for name, when in (("docker/python/Dockerfile", built - timedelta(days=9)),
                       ("app/requirements.txt", built + timedelta(hours=2)),
                       ("app/views.py", built + timedelta(days=1))):
        os.utime(tmp_path / name, (when.timestamp(), when.timestamp()))
    change = maintenance.dependency_change(tmp_path, ["docker/python/Dockerfile", "app"])
    assert change == ("app/requirements.txt", built + timedelta(hours=2))
    found = maintenance.stale_images([Image("APP_IMAGE", built, change, current=False)])
    assert not found.same and "APP_IMAGE built 2026-11-30 12:00, app/requirements.txt changed" in found.replica
    assert "other files" in maintenance.stale_images(
        [Image("APP_IMAGE", built + timedelta(days=1), change, current=False)]).replica
    missing = maintenance.stale_images([Image("APP_IMAGE", None, change, current=False)])
    assert "APP_IMAGE not built" in missing.replica


def test_an_image_its_files_still_hash_to_is_current_though_they_were_touched_since():
    # a checkout rewrites files (new mtimes) without changing what an image is built from
    built = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    touched = ("app/requirements.txt", built + timedelta(days=2))
    assert maintenance.stale_images([Image("APP_IMAGE", built, touched, current=True)]).same


@pytest.mark.parametrize("text", ["2026-12-01T10:11:12.123456789Z", "2026-12-01T10:11:12Z"])
def test_the_engines_image_times_are_read_as_utc(text):
    assert maintenance._engine_time(text) == datetime(2026, 12, 1, 10, 11, 12, tzinfo=timezone.utc)


def test_a_replica_that_is_not_up_checks_nothing_and_differs_in_nothing(tmp_path):
    settings = dataclasses.replace(from_environment({}), root=tmp_path, name="not-up-here")
    [row] = maintenance.report(settings)
    assert row["same"] and row["replica"] == "not up: nothing checked"


def test_the_doctors_report_counts_maintenance_findings_as_differences(monkeypatch, tmp_path):
    settings = dataclasses.replace(from_environment({}), root=tmp_path)
    monkeypatch.setattr(parity, "staging_items", lambda settings, staging: [])
    monkeypatch.setattr(parity, "declared", lambda root: {})
    monkeypatch.setattr(parity, "machine_items", lambda settings: [])
    finding = maintenance.Finding("data age", "within 24 h", "72 h", False, "invoke staging.db.seed")
    monkeypatch.setattr(maintenance, "report", lambda settings: [dataclasses.asdict(finding)])
    result = parity.report(settings)
    assert result["maintenance"] == [dataclasses.asdict(finding)] and result["differences"] == 1
