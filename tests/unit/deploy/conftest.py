"""A small project repository for promotion and push-to-deploy: main, and staging one commit ahead."""
from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from replica.deploy import evidence
from replica.commands import verdict_cache
from replica.stack.settings import from_environment

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.test",
                "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.test"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def commit_file(repo: Path, path: str, content: str, message: str) -> str:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(content)
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A repository whose `staging` branch has one commit `main` lacks; `work` is checked out."""
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, ".gitignore", ".staging/\nresults/\n.env.staging\n", "ignore state")
    commit_file(repo, "app/views.py", "print('v1')\n", "app v1")
    git(repo, "checkout", "-q", "-b", "staging")
    commit_file(repo, "app/views.py", "print('v2')\n", "app v2")
    git(repo, "checkout", "-q", "-b", "work")
    return repo


@pytest.fixture
def gate_record(project):
    """Record a gate verdict for a branch's tree, as `staging.validate` stores it (no engine)."""
    def record(branch: str = "staging", passed: bool = True, replica: str = "unit-gate"):
        settings = dataclasses.replace(from_environment({"STAGING_NAME": replica}), root=project)
        tree = evidence.commit_tree(project, git(project, "rev-parse", branch))
        return verdict_cache.store(settings, f"{'1' if passed else '0'}{tree[1:]}", passed,
                                   "READY" if passed else "NOT READY", "results/validate-x", tree)
    return record


def refs(repo: Path) -> str:
    """Every ref with its object, HEAD, and the work tree's state: what a refusal must not change."""
    return "\n".join([git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
                      git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")])
