"""The gate's end: a run record beside its report, and an announcement that never changes the verdict."""
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from invoke import Context
from invoke.exceptions import Exit

from replica.commands import validate as validate_module
from replica.reporting import history, notify
from replica.stack.settings import from_environment
from replica.tasks import gate_tasks

from tests.support.webhook_receiver import SilentWebhook, WebhookReceiver

ROOT = Path(__file__).resolve().parents[3]
K6_SUMMARY = ROOT / "tests" / "unit" / "gate" / "fixtures" / "summary_smoke_passed.json"


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A committed checkout with what the gate task reads, as the settings' root."""
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text("print('v1')\n")
    (root / ".gitignore").write_text(".staging/\nresults/\n")
    for name in ("staging.declared.yml", "docker-compose.staging.yml"):
        shutil.copy(ROOT / name, root / name)
    git(tmp_path, "init", "-q", str(root))
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first")
    settings = dataclasses.replace(from_environment({"STAGING_NAME": "history-unit"}), root=root)
    monkeypatch.setattr(gate_tasks, "settings_for", lambda name: settings)
    monkeypatch.setattr(validate_module, "current_profiles", lambda settings: [])
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.setattr(notify, "TIMEOUT_S", 0.5)
    return settings


class Finished:
    """What a gate run leaves: its checklist's verdict and results folder."""

    def __init__(self, passed, results):
        self.passed, self.results = passed, results

    def verdict(self):
        return "READY" if self.passed else "NOT READY"


@pytest.fixture
def gate(repo, monkeypatch):
    """The task with the gate replaced by one that writes a report as staging.validate does."""
    def fake_validate(settings, **options):
        run_dir = settings.root / "results" / "validate-20261202T030000Z"
        run_dir.mkdir(parents=True, exist_ok=True)
        items = [{"key": "starts", "title": "Application starts without errors", "result": "passed"},
                 {"key": "performance", "title": "Performance within SLO targets",
                  "result": "passed" if gate.passed else "failed"}]
        report = {"passed": gate.passed, "verdict": "READY" if gate.passed else "NOT READY",
                  "items": items, "replica": settings.name, "base_url": "http://127.0.0.1:5123"}
        (run_dir / "report.json").write_text(json.dumps(report))
        shutil.copy(K6_SUMMARY, run_dir / "metrics.json")
        gate.runs += 1
        return Finished(gate.passed, str(run_dir))
    monkeypatch.setattr(validate_module, "validate", fake_validate)
    gate.passed, gate.runs = True, 0
    return gate


def test_a_green_gate_is_recorded_with_commit_tree_and_latencies_and_announced(gate, repo, monkeypatch):
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", receiver.url)
        gate_tasks.validate(Context(), force=True)
        text = receiver.next_post()["body"]["blocks"][0]["text"]["text"]
    commit = git(repo.root, "rev-parse", "HEAD")
    assert f"Commit: {commit}" in text and "URL: http://127.0.0.1:5123" in text
    [run] = history.load_runs(repo.root / "results")
    assert (run.kind, run.verdict, run.commit) == ("gate", "passed", commit)
    assert run.tree == git(repo.root, "rev-parse", "HEAD^{tree}")  # a clean checkout: HEAD's tree
    assert run.latencies_ms["http_req_duration"] == 530.6 and run.duration_s is not None


def test_a_webhook_that_never_answers_leaves_a_red_verdict_red(gate, monkeypatch, capsys):
    gate.passed = False
    with SilentWebhook() as silent:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", silent.url)
        with pytest.raises(Exit) as caught:
            gate_tasks.validate(Context(), force=True)
    assert caught.value.code == 1
    assert "did not answer" in " ".join(capsys.readouterr().err.split())


def test_a_webhook_that_never_answers_leaves_a_green_verdict_green(gate, monkeypatch, capsys):
    with SilentWebhook() as silent:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", silent.url)
        gate_tasks.validate(Context(), force=True)  # no Exit: exit 0
    assert gate.runs == 1 and "did not answer" in " ".join(capsys.readouterr().err.split())


def test_a_red_gate_records_its_failed_items(gate, repo):
    gate.passed = False
    with pytest.raises(Exit):
        gate_tasks.validate(Context(), force=True)
    [run] = history.load_runs(repo.root / "results")
    assert run.verdict == "failed" and run.failed == ["Performance within SLO targets"]


def test_an_uncommitted_edit_is_a_different_tree_than_heads(gate, repo):
    (repo.root / "app" / "views.py").write_text("print('v2')\n")
    gate_tasks.validate(Context(), force=True)
    [run] = history.load_runs(repo.root / "results")
    assert run.tree != git(repo.root, "rev-parse", "HEAD^{tree}")
    assert git(repo.root, "status", "--porcelain") == "M app/views.py"  # the real index untouched


def test_a_malformed_webhook_url_exits_2_before_the_gate_runs(gate, monkeypatch, capsys):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "hooks.slack.com/services/T/B/secret")
    with pytest.raises(Exit) as caught:
        gate_tasks.validate(Context(), force=True)
    assert caught.value.code == 2 and gate.runs == 0
    assert "secret" not in capsys.readouterr().err


@pytest.mark.parametrize("edited", [False, True], ids=["clean", "uncommitted-edit"])
def test_the_cache_the_history_and_promotions_evidence_judge_one_tree(gate, repo, edited):
    """One definition of the tree judged: a drift of any of the three would split them."""
    from replica.commands import verdict_cache
    from replica.deploy import evidence
    from replica.reporting import revision
    if edited:
        (repo.root / "app" / "views.py").write_text("print('v2')\n")
    gate_tasks.validate(Context())
    [run] = history.load_runs(repo.root / "results")
    [entry] = (repo.state_dir / verdict_cache.CACHE_DIR).glob("*.json")
    judged = revision.judged_tree(repo.root)
    assert json.loads(entry.read_text())["tree"] == run.tree == judged
    found = evidence.passing_record(repo.root, judged)
    assert found is not None and found.path == entry
    heads = evidence.commit_tree(repo.root, "HEAD")
    assert (heads == judged) is (not edited)  # promotion finds only a verdict of the commit's files


def test_a_cached_verdict_is_announced_and_recorded_as_a_cache_hit(gate, repo, monkeypatch, capsys):
    from replica.tasks import history_tasks
    monkeypatch.setattr(history_tasks, "settings_for", lambda name: repo)
    gate_tasks.validate(Context())
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", receiver.url)
        gate_tasks.validate(Context())  # nothing changed: answered from the cache
        text = receiver.next_post()["body"]["blocks"][0]["text"]["text"]
    assert gate.runs == 1
    [hit] = [run for run in history.load_runs(repo.root / "results") if run.cached_from]
    [ran] = [run for run in history.load_runs(repo.root / "results") if not run.cached_from]
    assert "Cached: the verdict of" in text and ran.name in text
    assert hit.name.startswith("cached-") and hit.cached_from.endswith(ran.name)
    assert (hit.verdict, hit.commit, hit.tree) == ("passed", ran.commit, ran.tree)
    figures = history.metrics([ran, hit], [], hit.started_at)
    assert (figures["gate_runs"], figures["cache_hits"]) == (1, 1)  # a hit ran no test
    capsys.readouterr()
    history_tasks.history(Context(), json_=True)
    shown = json.loads(capsys.readouterr().out)
    assert [run["cached_from"] is not None for run in shown["runs"]].count(True) == 1
    assert shown["metrics"]["cache_hits"] == 1
    from replica.commands.history import _verdict
    assert _verdict(hit) == "[green]passed (cached)[/]" and _verdict(ran) == "[green]passed[/]"


def test_a_webhook_that_never_answers_leaves_a_cached_red_verdict_red(gate, repo, monkeypatch,
                                                                       capsys):
    gate.passed = False
    with pytest.raises(Exit):
        gate_tasks.validate(Context())
    with SilentWebhook() as silent:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", silent.url)
        with pytest.raises(Exit) as caught:
            gate_tasks.validate(Context())  # answered from the cache
    assert caught.value.code == 1 and gate.runs == 1
    assert "did not answer" in " ".join(capsys.readouterr().err.split())
    [hit] = [run for run in history.load_runs(repo.root / "results") if run.cached_from]
    assert hit.verdict == "failed" and hit.failed == ["Performance within SLO targets"]
