"""Tasks of the runbook's flows after the gate: `staging.remote.install`, `staging.remote.deploy`
(what the remote's post-receive hook runs) and `staging.promote`. Each imports what it runs in its
body: the deploy and gate modules cost every other task's start ~0.2 s (invoke imports all tasks)."""
from __future__ import annotations

from invoke import Collection
from invoke.exceptions import Exit

from ..core import console
from ..deploy.layout import DEPLOY_BRANCH, REMOTE_NAME
from ..core.exit_status import ExitStatus
from .cli import task
from .reporting import reported, settings_for
from .stack_tasks import NAME_HELP


@task(help={"name": NAME_HELP, "force": "repoint a `staging` remote or replace a hook this tool did not write"})
@reported
def install(c, name=None, force=False):
    """Add the git remote `staging`: a push to its `staging` branch deploys this replica and smoke-tests it."""
    from ..deploy import git, remote as remote_module

    settings = settings_for(name)
    root = git.top_level(settings.root)
    layout = remote_module.install(root, settings, force=force)
    console.success(f"git remote {REMOTE_NAME!r} → {layout.remote} (replica {settings.name!r})")
    console.info(f"deploy with: git push {REMOTE_NAME} HEAD:{DEPLOY_BRANCH}  (the verdict prints "
                 "here and is recorded under results/deploy-*/)")


@task(positional=["rev"],
      help={"rev": f"the commit to deploy (default: the remote's {DEPLOY_BRANCH} branch)",
            "name": NAME_HELP, "ref": "the pushed ref, for the record (the hook passes it)"})
@reported
def deploy(c, rev=None, name=None, ref=None):
    """Deploy a commit of the staging remote: judged on a candidate replica (up, data, migrate, smoke), served if green."""
    from ..deploy import deploy as deploy_module

    settings = settings_for(name)
    outcome = deploy_module.deploy(settings, rev or DEPLOY_BRANCH, ref)
    if not outcome.passed:
        raise Exit(code=ExitStatus.FAILED)


@task(positional=["version"],
      help={"version": "the release, vMAJOR.MINOR.PATCH (tags VERSION-staging and VERSION)",
            "push": "also push the branch and both tags, atomically (never without this flag)",
            "remote": "where --push pushes (default origin)",
            "staging_branch": "the branch whose head is promoted (default staging)",
            "production_branch": "the branch it is merged into with --no-ff (default main)"})
@reported
def promote(c, version, push=False, remote="origin", staging_branch="staging",
            production_branch="main"):
    """Promote staging: tag VERSION-staging, merge --no-ff into production, tag VERSION; needs a green gate."""
    from ..deploy import promote as promote_module

    done = promote_module.promote(settings_for(None).root, version, staging_branch, production_branch,
                                  push_to=remote if push else None)
    plan = done.plan
    console.success(f"promoted {plan.staging_commit[:12]} as {version}: tagged {plan.staging_tag}, "
                    f"merged into {production_branch} ({done.merge_commit[:12]}), tagged {version}")
    console.info(f"evidence: gate run {plan.record.run} ({plan.record.finished_at})")
    if done.pushed_to:
        console.success(f"pushed {production_branch}, {plan.staging_tag} and {version} to {done.pushed_to}")
    else:
        console.info(f"nothing pushed; to publish: git push --atomic {remote} {production_branch} "
                     f"{plan.staging_tag} {version}  (or promote with --push)")


remote = Collection("remote", install, deploy)
PROMOTE_TASKS = [promote]
