"""`staging.promote`: the runbook's local promotion steps, refused without the gate's evidence.

The runbook's "Staging-to-Production Workflow": tag the staging commit `vX.Y.Z-staging`, merge it
into the production branch with `--no-ff`, tag the merge `vX.Y.Z`. Everything is checked before
anything is written (the version, both tags, a clean tree, the branches, a passing gate verdict
for the staging commit's tree, a merge without conflicts); the merge is computed without touching
the work tree (`git merge-tree`), and the tags and the branch move in one ref transaction, so a
refusal leaves no tag and no merge. With push, the same refs are pushed atomically first: when the
remote refuses, nothing is promoted here either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import evidence, git
from .errors import PromotionRefused, PushFailed

VERSION = re.compile(r"v\d+\.\d+\.\d+")
STAGING_SUFFIX = "-staging"


@dataclass(frozen=True)
class Plan:
    """What a promotion will write, every part checked."""

    version: str
    staging_commit: str
    production_branch: str
    production_before: str
    record: evidence.Record

    @property
    def staging_tag(self) -> str:
        return f"{self.version}{STAGING_SUFFIX}"


@dataclass(frozen=True)
class Promoted:
    plan: Plan
    merge_commit: str
    pushed_to: str | None


def promote(repo: Path, version: str, staging_branch: str = "staging",
            production_branch: str = "main", push_to: str | None = None) -> Promoted:
    """Tag, merge --no-ff and tag as the runbook does; push the three refs only when push_to is set.

    repo: any folder of the work tree to promote in.
    """
    _check_version(version)
    repo = git.top_level(repo)
    plan = check(repo, version, staging_branch, production_branch, push_to)
    merged_tree = _merged_tree(repo, plan)
    staging_tag = _tag_object(repo, plan.staging_tag, plan.staging_commit,
                              f"Staging release {version}")
    merge = git.output(repo, "commit-tree", merged_tree, "-p", plan.production_before,
                       "-p", plan.staging_commit, "-m",
                       f"Merge tag '{plan.staging_tag}' into {production_branch}")
    production_tag = _tag_object(repo, version, merge, f"Production release {version}")
    refs = {f"refs/tags/{plan.staging_tag}": staging_tag, f"refs/tags/{version}": production_tag,
            f"refs/heads/{production_branch}": merge}
    if push_to:
        _push(repo, push_to, refs)
    _write_refs(repo, plan, refs)
    return Promoted(plan, merge, push_to)


def check(repo: Path, version: str, staging_branch: str, production_branch: str,
          push_to: str | None = None) -> Plan:
    """Return the promotion's plan; PromotionRefused naming the first thing that is wrong."""
    _check_version(version)
    for tag in (f"{version}{STAGING_SUFFIX}", version):
        if git.resolve(repo, f"refs/tags/{tag}", "object"):
            raise PromotionRefused(f"tag {tag} exists already: {version} was promoted before",
                                   hint="promote the next version (tags are never moved)")
    changed = git.tracked_changes(repo)
    if changed:
        raise PromotionRefused(f"the work tree has uncommitted changes ({changed[0].strip()}"
                               f"{' and more' if len(changed) > 1 else ''})",
                               hint="commit or stash them first")
    staging_commit = _branch(repo, staging_branch, "staging")
    production_before = _branch(repo, production_branch, "production")
    elsewhere = [p for p in git.checked_out_at(repo, production_branch) if p != repo]
    if elsewhere:
        raise PromotionRefused(f"{production_branch} is checked out in another work tree, {elsewhere[0]}",
                               hint="promote from that work tree, or check another branch out there")
    if git.run(repo, "merge-base", "--is-ancestor", staging_commit, production_before,
               check=False).returncode == 0:
        raise PromotionRefused(f"{production_branch} already holds {staging_branch} "
                               f"({staging_commit[:12]}): nothing to promote")
    if push_to and git.run(repo, "remote", "get-url", push_to, check=False).returncode != 0:
        raise PromotionRefused(f"there is no git remote {push_to!r} to push to",
                               hint="`git remote -v` lists them; --remote NAME picks one")
    record = _evidence(repo, staging_branch, staging_commit)
    return Plan(version, staging_commit, production_branch, production_before, record)


def _check_version(version: str) -> None:
    if not VERSION.fullmatch(version):
        raise PromotionRefused(f"version {version!r} is not vMAJOR.MINOR.PATCH",
                               hint="e.g. invoke staging.promote v1.2.3")


def _branch(repo: Path, branch: str, role: str) -> str:
    commit = git.resolve(repo, f"refs/heads/{branch}")
    if commit is None:
        raise PromotionRefused(f"there is no {role} branch {branch!r} here",
                               hint=f"create it, or name another with --{role}-branch")
    return commit


def _evidence(repo: Path, branch: str, commit: str) -> evidence.Record:
    tree = evidence.commit_tree(repo, commit)
    record = evidence.passing_record(repo, tree)
    if record is None:
        red = evidence.records_for(repo, tree)
        said = (f"its last gate verdict is red (run {red[0].run})" if red
                else "no gate verdict was recorded for its tree")
        raise PromotionRefused(f"{branch} ({commit[:12]}) has no passing gate record: {said}",
                               hint=f"check out {branch} clean and run `invoke staging.validate`; "
                                    "promote once it is green")
    return record


def _merged_tree(repo: Path, plan: Plan) -> str:
    """Return the tree of merging the staging commit into production; refuse on conflicts."""
    done = git.run(repo, "merge-tree", "--write-tree", "--name-only", "--no-messages",
                   plan.production_before, plan.staging_commit, check=False)
    lines = done.stdout.split()
    if done.returncode == 1:
        raise PromotionRefused(f"merging {plan.staging_commit[:12]} into {plan.production_branch} "
                               f"conflicts in {', '.join(lines[1:4])}",
                               hint=f"merge {plan.production_branch} into staging, gate it, promote again")
    if done.returncode != 0 or not lines:
        raise git.GitFailed(f"`git merge-tree` failed: {done.stderr.strip()}")
    return lines[0]


def _tag_object(repo: Path, name: str, commit: str, message: str) -> str:
    """Write an annotated tag object (no ref yet) and return its id, as `git tag -a` would."""
    tagger = git.output(repo, "var", "GIT_COMMITTER_IDENT")
    return git.output(repo, "mktag", stdin=f"object {commit}\ntype commit\ntag {name}\n"
                                            f"tagger {tagger}\n\n{message}\n")


def _push(repo: Path, remote: str, refs: dict[str, str]) -> None:
    done = git.run(repo, "push", "--atomic", "--quiet", remote,
                   *(f"{value}:{ref}" for ref, value in refs.items()), check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["(no output)"]
        raise PushFailed(f"{remote} refused the promotion push: {lines[-1]}",
                         hint="nothing was tagged or merged; fix the remote and promote again")


def _write_refs(repo: Path, plan: Plan, refs: dict[str, str]) -> None:
    """Create both tags and move the branch in one transaction; update the work tree if it is on it."""
    branch_ref = f"refs/heads/{plan.production_branch}"
    here = git.current_branch(repo) == plan.production_branch
    lines = [f"create {ref} {value}" for ref, value in refs.items() if ref != branch_ref]
    if not here:
        lines.append(f"update {branch_ref} {refs[branch_ref]} {plan.production_before}")
    git.run(repo, "update-ref", "--stdin", stdin="start\n" + "\n".join(lines) + "\ncommit\n")
    if here:  # git moves the checked-out branch and its files together, or neither
        done = git.run(repo, "merge", "--ff-only", "--quiet", refs[branch_ref], check=False)
        if done.returncode != 0:
            for ref, value in refs.items():
                if ref != branch_ref:
                    git.run(repo, "update-ref", "-d", ref, value, check=False)
            raise PromotionRefused(f"cannot move {plan.production_branch} in this work tree: "
                                   f"{(done.stderr.strip().splitlines() or ['?'])[-1]}",
                                   hint="nothing was tagged or merged; clear the way and promote again")
