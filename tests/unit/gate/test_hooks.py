"""`hooks.install`: the pre-push hook runs the gate, blocks a failing push, and yields to --no-verify."""
import os
import stat
import subprocess

import pytest

from replica.commands import hooks
from replica.core.errors import ConfigError


def git(repo, *args, check=True):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=check, env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                                            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.fixture
def repo(tmp_path):
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    (work / "README").write_text("x\n")
    git(work, "add", "README")
    git(work, "commit", "-qm", "first")
    git(work, "remote", "add", "origin", str(remote))
    return work


def fake_invoke(repo, exit_code):
    path = repo / ".venv" / "bin" / "invoke"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho \"fake invoke $*\"\nexit {exit_code}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_install_writes_an_executable_hook_that_mentions_no_verify(repo):
    path = hooks.install_pre_push(repo)
    assert path == repo / ".git" / "hooks" / "pre-push"
    assert os.access(path, os.X_OK)
    assert "invoke staging.validate" in path.read_text() and "--no-verify" in path.read_text()
    assert hooks.install_pre_push(repo) == path  # reinstalling is fine


def test_failing_gate_blocks_the_push_and_no_verify_skips_it(repo):
    hooks.install_pre_push(repo)
    fake_invoke(repo, 1)
    blocked = git(repo, "push", "-q", "origin", "main", check=False)
    assert blocked.returncode != 0
    assert "fake invoke staging.validate" in blocked.stdout + blocked.stderr
    assert "git push --no-verify" in blocked.stdout + blocked.stderr
    assert git(repo, "push", "-q", "--no-verify", "origin", "main", check=False).returncode == 0


def test_passing_gate_lets_the_push_through(repo):
    hooks.install_pre_push(repo)
    fake_invoke(repo, 0)
    assert git(repo, "push", "-q", "origin", "main", check=False).returncode == 0


def test_the_hook_lets_the_verdict_cache_answer_an_unchanged_tree(repo):
    hooks.install_pre_push(repo)
    fake_invoke(repo, 0)
    pushed = git(repo, "push", "-q", "origin", "main", check=False)
    ran = [line for line in (pushed.stdout + pushed.stderr).splitlines() if line.startswith("fake invoke")]
    assert ran == ["fake invoke staging.validate"]  # no --force: the cache may answer
    assert "verdict cache" in (repo / ".git" / "hooks" / "pre-push").read_text()


def test_someone_elses_hook_is_kept_unless_forced(repo):
    theirs = repo / ".git" / "hooks" / "pre-push"
    theirs.write_text("#!/bin/sh\nexit 0\n")
    with pytest.raises(ConfigError, match="not installed by this tool"):
        hooks.install_pre_push(repo)
    assert hooks.MARKER in hooks.install_pre_push(repo, force=True).read_text()


def test_outside_a_repository_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not a git repository"):
        hooks.install_pre_push(tmp_path)
