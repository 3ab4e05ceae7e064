"""Promotion: the runbook's tags and --no-ff merge, only with a passing gate record, all or nothing."""
from __future__ import annotations

import subprocess

import pytest

from replica.deploy import promote
from replica.deploy.errors import PromotionRefused, PushFailed
from replica.core.exit_status import ExitStatus

from .conftest import commit_file, git, refs


def test_a_gated_staging_commit_is_tagged_merged_no_ff_and_tagged_again(project, gate_record):
    gate_record()
    staging, main_before = git(project, "rev-parse", "staging"), git(project, "rev-parse", "main")
    promoted = promote.promote(project, "v1.2.3")
    assert git(project, "rev-parse", "v1.2.3-staging^{commit}") == staging
    assert git(project, "cat-file", "-t", "v1.2.3-staging") == "tag"  # annotated, as the runbook's -a
    assert "Staging release v1.2.3" in git(project, "cat-file", "-p", "v1.2.3-staging")
    merge = git(project, "rev-parse", "main")
    assert merge == promoted.merge_commit == git(project, "rev-parse", "v1.2.3^{commit}")
    assert git(project, "rev-list", "--parents", "-n1", "main").split()[1:] == [main_before, staging]
    assert git(project, "show", "main:app/views.py") == "print('v2')"
    assert "Production release v1.2.3" in git(project, "cat-file", "-p", "v1.2.3")


def test_with_the_production_branch_checked_out_its_files_move_with_it(project, gate_record):
    gate_record()
    git(project, "checkout", "-q", "main")
    promote.promote(project, "v1.2.3")
    assert (project / "app" / "views.py").read_text() == "print('v2')\n"
    assert git(project, "status", "--porcelain") == ""


def test_without_a_gate_record_nothing_is_tagged_or_merged(project):
    before = refs(project)
    with pytest.raises(PromotionRefused, match="no passing gate record: no gate verdict was recorded"):
        promote.promote(project, "v1.2.3")
    assert refs(project) == before


def test_a_red_record_is_named_and_refused(project, gate_record):
    gate_record(passed=False)
    with pytest.raises(PromotionRefused, match=r"its last gate verdict is red \(run results/validate-x\)"):
        promote.promote(project, "v1.2.3")


def test_a_record_of_an_earlier_staging_tree_is_not_evidence_for_a_later_commit(project, gate_record):
    gate_record()
    git(project, "checkout", "-q", "staging")
    commit_file(project, "app/views.py", "print('v3, never gated')\n", "app v3")
    git(project, "checkout", "-q", "work")
    with pytest.raises(PromotionRefused, match="no passing gate record"):
        promote.promote(project, "v1.2.3")


def test_a_gated_commit_promotes_whichever_replica_gated_it(project, gate_record):
    gate_record(passed=False, replica="one")
    gate_record(passed=True, replica="other")
    assert promote.promote(project, "v1.2.3").plan.record.passed


@pytest.mark.parametrize("existing", ["v1.2.3-staging", "v1.2.3"])
def test_a_tag_that_exists_is_refused_and_nothing_changes(project, gate_record, existing):
    gate_record()
    git(project, "tag", existing, "main")
    before = refs(project)
    with pytest.raises(PromotionRefused, match=f"tag {existing} exists already"):
        promote.promote(project, "v1.2.3")
    assert refs(project) == before


def test_a_dirty_tree_is_refused_and_nothing_changes(project, gate_record):
    gate_record()
    (project / "app" / "views.py").write_text("print('edited, not committed')\n")
    before = refs(project)
    with pytest.raises(PromotionRefused, match=r"uncommitted changes \(M app/views.py\)"):
        promote.promote(project, "v1.2.3")
    assert refs(project) == before


@pytest.mark.parametrize("version", ["1.2.3", "v1.2", "v1.2.3-staging", "v1.2.3; rm -rf /", ""])
def test_a_version_that_is_not_vX_Y_Z_is_refused(project, version):
    with pytest.raises(PromotionRefused, match="is not vMAJOR.MINOR.PATCH"):
        promote.promote(project, version)


@pytest.mark.parametrize("option, message", [
    ({"staging_branch": "stage"}, "no staging branch 'stage'"),
    ({"production_branch": "prod"}, "no production branch 'prod'"),
])
def test_an_unknown_branch_is_named(project, option, message):
    with pytest.raises(PromotionRefused, match=message):
        promote.promote(project, "v1.2.3", **option)


def test_a_conflicting_merge_is_refused_before_anything_is_written(project, gate_record):
    gate_record()
    git(project, "checkout", "-q", "main")
    commit_file(project, "app/views.py", "print('hotfix on main')\n", "hotfix")
    git(project, "checkout", "-q", "work")
    before = refs(project)
    with pytest.raises(PromotionRefused, match="conflicts in app/views.py"):
        promote.promote(project, "v1.2.3")
    assert refs(project) == before


def test_a_staging_commit_production_already_holds_is_nothing_to_promote(project, gate_record):
    gate_record(branch="main")
    with pytest.raises(PromotionRefused, match="staging already holds main"):
        promote.promote(project, "v1.2.3", staging_branch="main", production_branch="staging")


def test_nothing_is_pushed_unless_asked_and_push_sends_all_three_refs(project, gate_record, tmp_path):
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main")
    gate_record()
    promote.promote(project, "v1.2.2")
    assert git(remote, "tag") == ""
    git(project, "checkout", "-q", "staging")
    commit_file(project, "app/views.py", "print('v3')\n", "app v3")
    git(project, "checkout", "-q", "work")
    gate_record()
    promote.promote(project, "v1.2.3", push_to="origin")
    assert git(remote, "tag").split() == ["v1.2.3", "v1.2.3-staging"]
    assert git(remote, "rev-parse", "main") == git(project, "rev-parse", "main")


def test_a_refused_push_promotes_nothing_here_or_there(project, gate_record, tmp_path):
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected: releases need a review' >&2\nexit 1\n")
    hook.chmod(0o755)
    git(project, "remote", "add", "origin", str(remote))
    gate_record()
    before = refs(project)
    with pytest.raises(PushFailed) as caught:
        promote.promote(project, "v1.2.3", push_to="origin")
    assert caught.value.exit_code == ExitStatus.PUSH_FAILED
    assert refs(project) == before
    assert subprocess.run(["git", "-C", str(remote), "rev-parse", "--verify", "-q", "main"],
                          capture_output=True).returncode != 0


def test_a_push_to_a_remote_that_is_not_there_is_refused_up_front(project, gate_record):
    gate_record()
    before = refs(project)
    with pytest.raises(PromotionRefused, match="no git remote 'origin'"):
        promote.promote(project, "v1.2.3", push_to="origin")
    assert refs(project) == before


def test_the_production_branch_checked_out_in_another_work_tree_is_refused(project, gate_record, tmp_path):
    gate_record()
    git(project, "worktree", "add", "-q", str(tmp_path / "main-tree"), "main")
    with pytest.raises(PromotionRefused, match="checked out in another work tree"):
        promote.promote(project, "v1.2.3")
