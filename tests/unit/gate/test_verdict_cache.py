"""The verdict cache: keyed by the working tree and the set-up; a corrupt entry is never a pass."""
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from invoke import Context
from invoke.exceptions import Exit

from replica.commands import validate as validate_module, verdict_cache
from replica.reporting import revision
from replica.stack.settings import from_environment
from replica.tasks import gate_tasks

OPTIONS = {"full": False, "reset": True, "rebaseline": False}


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A small git work tree with an app/ file, as the settings' root."""
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text("print('v1')\n")
    (root / ".gitignore").write_text(".staging/\nresults/\n.env.staging\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    settings = dataclasses.replace(from_environment({"STAGING_NAME": "cache-unit"}), root=root)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return settings


def key(settings, profiles=()):
    return verdict_cache.key_for(settings, list(profiles), OPTIONS)


def test_the_key_changes_with_an_uncommitted_edit_a_new_file_and_the_profiles(repo):
    first = key(repo)
    assert key(repo) == first
    (repo.root / "app" / "views.py").write_text("print('v2')\n")
    edited = key(repo)
    (repo.root / "app" / "new.py").write_text("x = 1\n")
    assert len({first, edited, key(repo), key(repo, ["redis-off"])}) == 4


def test_the_users_env_file_and_the_replicas_compose_env_change_the_key_though_ignored(repo):
    first = key(repo)
    (repo.root / ".env.staging").write_text("DEBUG=False\n")
    with_env = key(repo)
    (repo.state_dir / "compose.env").write_text("APP_IMAGE=mina-staging/app:abc\n")
    assert len({first, with_env, key(repo)}) == 3


def test_ignored_files_do_not_change_the_key(repo):
    first = key(repo)
    (repo.root / "results").mkdir()
    (repo.root / "results" / "report.json").write_text("{}")
    assert key(repo) == first


def test_a_stored_verdict_comes_back_with_its_run(repo):
    verdict_cache.store(repo, key(repo), False, "NOT READY: 1 item(s) failed", "results/validate-1")
    cached = verdict_cache.lookup(repo, key(repo))
    assert (cached.passed, cached.run) == (False, "results/validate-1")


@pytest.mark.parametrize("content", ["{not json", json.dumps({"passed": True}), json.dumps([1, 2])])
def test_a_corrupt_entry_is_an_error_naming_the_file(repo, content):
    path = verdict_cache.entry_path(repo, key(repo))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    with pytest.raises(verdict_cache.CorruptEntry, match=str(path)):
        verdict_cache.lookup(repo, key(repo))


def test_an_entry_under_another_key_is_corrupt_not_a_pass(repo):
    verdict_cache.store(repo, "0" * 64, True, "READY", "results/validate-0")
    verdict_cache.entry_path(repo, "0" * 64).rename(verdict_cache.entry_path(repo, key(repo)))
    with pytest.raises(verdict_cache.CorruptEntry, match="does not match"):
        verdict_cache.lookup(repo, key(repo))


class FakeChecklist:
    def __init__(self, passed):
        self.passed, self.results = passed, "results/validate-fake"

    def verdict(self):
        return "READY" if self.passed else "NOT READY: performance failed"


@pytest.fixture
def gate(repo, monkeypatch):
    """The task with the gate itself replaced by a counter of runs."""
    runs = []

    def fake_validate(settings, passed=True, **options):
        runs.append(options)
        return FakeChecklist(gate.passed)
    gate.passed = True
    for name in ("staging.declared.yml", "docker-compose.staging.yml"):  # the default set-up's
        shutil.copy(Path(__file__).resolve().parents[3] / name, repo.root / name)
    monkeypatch.setattr(gate_tasks, "settings_for", lambda name: repo)
    monkeypatch.setattr(validate_module, "validate", fake_validate)
    monkeypatch.setattr(validate_module, "current_profiles", lambda settings: [])
    gate.runs = runs
    return gate


def test_an_unchanged_tree_answers_from_the_cache_and_force_runs_again(gate, capsys):
    gate_tasks.validate(Context())
    gate_tasks.validate(Context())
    assert len(gate.runs) == 1
    assert "cached verdict" in capsys.readouterr().out
    gate_tasks.validate(Context(), force=True)
    assert len(gate.runs) == 2


def test_a_cached_red_says_it_is_cached_and_exits_1(gate, capsys):
    gate.passed = False
    with pytest.raises(Exit):
        gate_tasks.validate(Context())
    with pytest.raises(Exit) as caught:
        gate_tasks.validate(Context())
    printed = capsys.readouterr()
    assert caught.value.code == 1 and len(gate.runs) == 1
    assert "cached verdict" in printed.out + printed.err and "NOT READY" in printed.out + printed.err


def test_a_corrupt_entry_says_so_and_runs_the_gate_again(gate, repo, capsys):
    gate_tasks.validate(Context())
    entry = next((repo.state_dir / verdict_cache.CACHE_DIR).glob("*.json"))
    entry.write_text("{truncated")
    gate_tasks.validate(Context())
    printed = capsys.readouterr()
    assert len(gate.runs) == 2 and "cannot be read" in printed.out + printed.err


def test_a_verdict_is_not_cached_when_files_change_during_the_run(gate, repo, monkeypatch, capsys):
    def validate_while_editing(settings, **options):
        (repo.root / "app" / "views.py").write_text("print('edited mid-run')\n")
        return FakeChecklist(True)
    monkeypatch.setattr(validate_module, "validate", validate_while_editing)
    gate_tasks.validate(Context())
    printed = capsys.readouterr()
    assert "not cached" in printed.out + printed.err
    assert not list((repo.state_dir / verdict_cache.CACHE_DIR).glob("*.json"))


def test_an_unknown_profile_is_a_one_line_error_with_exit_2(gate, capsys):
    with pytest.raises(Exit) as caught:
        gate_tasks.validate(Context(), profile=["redis-of"])
    printed = capsys.readouterr()
    assert caught.value.code == 2 and "unknown profile redis-of" in printed.out + printed.err
    assert gate.runs == []


def test_the_gate_keeps_the_replicas_profiles_unless_told(gate, monkeypatch):
    monkeypatch.setattr(validate_module, "current_profiles", lambda settings: ["redis-off"])
    gate_tasks.validate(Context(), force=True)
    gate_tasks.validate(Context(), force=True, profile=["openai-ratelimit"])
    assert [run["profiles"] for run in gate.runs] == [["redis-off"], ["openai-ratelimit"]]


def test_by_default_the_gate_runs_the_declared_set_up_and_its_variants(gate):
    gate_tasks.validate(Context(), force=True)
    gate_tasks.validate(Context(), force=True, variants=False)
    gate_tasks.validate(Context(), force=True, profile=["redis-off"])
    assert [run["profiles"] for run in gate.runs] == [["tls"], ["tls"], ["redis-off"]]
    assert [[v.name for v in run["variants"]] for run in gate.runs] == [["redis-off", "pooled"], [], []]


def test_a_stored_verdict_keeps_the_tree_it_gated_so_a_promotion_can_find_it(gate, repo):
    gate_tasks.validate(Context())
    entry = json.loads(next((repo.state_dir / verdict_cache.CACHE_DIR).glob("*.json")).read_text())
    assert entry["tree"] == revision.judged_tree(repo.root)
