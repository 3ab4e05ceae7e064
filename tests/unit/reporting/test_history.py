"""The history reads every run's record and computes the runbook's metrics from runs and tags."""
import json
import subprocess
from datetime import timedelta

import pytest

from replica.reporting import history
from replica.reporting.history import RunRecord

from tests.unit.reporting.history_data import START, a_run, three_weeks, write_runs

NOW = START + timedelta(days=21)


def test_every_run_is_read_oldest_first(tmp_path):
    runs = three_weeks(tmp_path)
    loaded = history.load_runs(tmp_path)
    assert loaded == sorted(runs, key=lambda run: run.started)
    assert {run.kind for run in loaded} == {"gate", "deploy"}


def test_the_runbooks_metrics(tmp_path):
    three_weeks(tmp_path)
    metrics = history.metrics(history.load_runs(tmp_path), [], NOW)
    assert metrics["test_pass_rate"] == 0.7 and metrics["gate_runs"] == 10
    assert metrics["deploys_per_week"] == round(3 / (19.5 / 7), 2)  # since the first (day 1.5)
    assert metrics["deploys_by_week"] == {"2026-W45": 1, "2026-W46": 1, "2026-W47": 1}
    assert metrics["health"]["status"] == "healthy"


def test_health_counts_the_red_runs_since_the_last_green(tmp_path):
    runs = [a_run(day=0), a_run(day=1, passed=False), a_run("deploy", day=2, passed=False)]
    health = history.health(runs, START + timedelta(days=3))
    assert health["status"] == "failing" and health["failing_runs_in_a_row"] == 2
    assert "last green validate-20261102T090000Z 3 d ago" in health["detail"]
    assert history.health([], START)["status"] == "unknown"


def test_a_gate_run_older_than_records_is_read_from_its_report(tmp_path):
    folder = tmp_path / "validate-20261126T033500Z"
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps({"passed": False, "verdict": "NOT READY", "items": [
        {"key": "api", "title": "All API endpoints returning expected responses", "result": "failed"}]}))
    [run] = history.load_runs(tmp_path)
    assert (run.kind, run.verdict, run.started) == ("gate", "failed", "2026-11-26T03:35:00+00:00")
    assert run.failed == ["All API endpoints returning expected responses"] and run.duration_s is None


@pytest.mark.parametrize("content, reason", [
    ("{truncated", "Expecting"),
    ('{"kind": "release", "verdict": "passed", "started": "2026-11-02T09:00:00+00:00"}', "kind must be"),
    ('{"kind": "deploy", "verdict": "green", "started": "2026-11-02T09:00:00+00:00"}', "verdict must be"),
    ('{"kind": "deploy", "verdict": "passed", "started": "yesterday"}', "isoformat"),
    ('{"kind": "deploy", "verdict": "passed", "started": "2026-11-02T09:00:00"}', "time zone"),
    ('[1, 2]', "not a JSON object"),
])
def test_an_unreadable_record_is_left_out_with_a_warning_naming_it(tmp_path, capsys, content, reason):
    write_runs(tmp_path, [a_run(day=0)])
    (tmp_path / "deploy-bad").mkdir()
    (tmp_path / "deploy-bad" / "run.json").write_text(content)
    assert [run.name for run in history.load_runs(tmp_path)] == ["validate-20261102T090000Z"]
    err = " ".join(capsys.readouterr().err.split())
    assert "deploy-bad" in err and reason in err


def test_a_deploy_flow_writes_a_record_the_history_reads_back(tmp_path):
    record = RunRecord("deploy", "passed", "2026-11-03T10:00:00+00:00", 95.5, "abc123", "def456",
                       [], {"http_req_duration": 210.0}, "main", "deployed abc123", "deploy-1")
    (tmp_path / "deploy-1").mkdir()
    history.write_record(tmp_path / "deploy-1", record)
    assert history.load_runs(tmp_path) == [record]
    assert not list(tmp_path.rglob("*.partial"))


def git(root, *args, when=None):
    env = {"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when} if when else {}
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    *args], check=True, capture_output=True, env={**__import__("os").environ, **env})


def test_time_to_promote_pairs_each_staging_tag_with_its_release(tmp_path):
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "one", when="2026-11-02T09:00:00+00:00")
    git(tmp_path, "tag", "-a", "v1.2.3-staging", "-m", "Staging release v1.2.3",
        when="2026-11-02T10:00:00+00:00")
    git(tmp_path, "tag", "-a", "v1.2.3", "-m", "Production release v1.2.3",
        when="2026-11-03T16:00:00+00:00")
    git(tmp_path, "tag", "-a", "v1.3.0-staging", "-m", "not promoted yet",
        when="2026-11-04T10:00:00+00:00")
    [promotion] = history.promotions(tmp_path)
    assert (promotion.version, promotion.hours) == ("v1.2.3", 30.0)
    metrics = history.metrics([], [promotion], NOW)
    assert metrics["median_hours_to_promote"] == 30.0
    assert history.describe(metrics)["Time to promote to production"] == "median 30.0 h over 1 promotion(s)"


def test_latencies_are_the_p95_of_every_request_and_of_each_p95_slo(tmp_path):
    from pathlib import Path
    summary = Path(__file__).resolve().parents[1] / "gate" / "fixtures" / "summary_smoke_passed.json"
    latencies = history.key_latencies(summary)
    assert latencies["http_req_duration"] == 530.6
    assert latencies["socketio_segment_latency"] == 180
    assert "iteration_duration" not in latencies  # no SLO on it
    assert history.key_latencies(tmp_path / "missing.json") == {}


def test_a_trees_newest_green_gate_run_is_its_evidence(tmp_path):
    write_runs(tmp_path, [a_run(day=0, commit="aaa"), a_run(day=1, commit="aaa", passed=False),
                          a_run(day=2, commit="bbb"), a_run("deploy", day=3, commit="ccc")])
    assert history.passing_gate_run(tmp_path, "treeaaa").name == "validate-20261102T090000Z"
    assert history.passing_gate_run(tmp_path, "treeccc") is None  # a deploy is not a gate's pass
    assert history.passing_gate_run(tmp_path, "treezzz") is None
