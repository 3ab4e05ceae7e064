"""The doctor's maintenance checks on a running replica: the heartbeat probe in the app container,
a worker stopped there, a transaction left open on its database, the mocks answering."""

import psycopg
import pytest

from replica.commands import maintenance
from replica.engine.compose import Compose
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack


def signal_in_app(replica, pid, name):
    """Send a signal to a process of the app container (its image has no `kill` binary)."""
    Compose(replica.settings).run("exec", "-T", "app", "python3", "-c",
                        f"import os, signal; os.kill({pid}, signal.{name})", timeout=60)


def test_the_app_containers_two_workers_check_in(replica):
    workers = wait_until(lambda: len(maintenance.app_heartbeats(replica)) == 2
                         and maintenance.app_heartbeats(replica), "2 workers did not check in",
                         timeout=120.0, pause=1)
    assert maintenance.hung_workers(workers).same


def test_a_worker_stopped_in_the_container_is_reported_hung(replica):
    stopped = min(maintenance.app_heartbeats(replica))
    signal_in_app(replica, stopped, "SIGSTOP")
    try:
        found = wait_until(lambda: [f for f in [maintenance.hung_workers(
            maintenance.app_heartbeats(replica), 5)] if f"worker {stopped} silent" in f.replica],
            f"worker {stopped} was not reported", timeout=120.0, pause=1)[0]
        assert not found.same
    finally:
        signal_in_app(replica, stopped, "SIGCONT")
    wait_until(lambda: maintenance.hung_workers(maintenance.app_heartbeats(replica), 5).same,
               "the resumed worker did not check in again", timeout=120.0, pause=1)


def test_the_report_on_a_running_replica(replica):
    with psycopg.connect(replica.url("db"), application_name="left-open") as holder:
        holder.execute("SELECT 1")
        assert "left-open" in maintenance.idle_in_transaction(replica.url("db"), 0).replica
        rows = {row["item"]: row for row in maintenance.report(replica.settings)}
    for item in ("migrations applied", "images", "hung workers", "long-running transactions",
                 "external service OPENAI_BASE_URL", "external service SENTRY_DSN"):
        assert rows[item]["same"], rows[item]
    assert "could not check" not in " ".join(row["replica"] for row in rows.values())
