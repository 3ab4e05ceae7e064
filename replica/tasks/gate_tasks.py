"""Tasks of the pre-push gate: `staging.validate` and `hooks.install`."""
from __future__ import annotations

from invoke.exceptions import Exit

from ..core import console
from ..core.exit_status import ExitStatus
from ..commands import hooks as hooks_module
from .cli import task
from .reporting import reported, settings_for
from .stack_tasks import NAME_HELP


@task(iterable=["profile"], numbers={"shards": 1},
      help={"name": NAME_HELP, "full": "also run the longer k6 load and stress suites",
            "shards": "with --full: run the load and stress suites as N k6 processes, judged on "
                      "their merged results (default 1)",
            "reset": "reset the data to the fixtures first (--no-reset keeps it)",
            "rebaseline": "record this run's k6 metrics as the new baselines",
            "base_url": "check an app that is already running at this loopback URL (no up/reset/migrate)",
            "sink_url": "with --base-url: the error sink to check",
            "profile": "gate the replica with exactly these fault profiles (repeatable; default: the "
                       "profiles it is up with)",
            "force": "run the gate even when this tree's verdict is cached",
            "variants": "run staging's allowed variants (staging.declared.yml `variants`) beside the "
                        "declared set-up, each its own app (--no-variants: the declared set-up alone)",
            "strict_slo": "fail on crossed latency SLOs on a local replica too (default: a warning "
                          "with the load average; latency is judged by same-run ratios)"})
@reported
def validate(c, name=None, full=False, reset=True, rebaseline=False, base_url=None, sink_url=None,
             profile=None, force=False, strict_slo=False, variants=True, shards=1):
    """Run the runbook's validation checklist (smoke suite, k6 smoke, error sink); exit 1 unless green.

    Without --profile: staging's declared set-up (staging.declared.yml), and each allowed variant
    as an extra app beside it; a replica up with other profiles is gated as it is, without variants.
    """
    from ..commands.gate import gate

    if not gate(settings_for(name), full=full, reset=reset, rebaseline=rebaseline, base_url=base_url,
                sink_url=sink_url, profile=profile, force=force, strict_slo=strict_slo,
                variants=variants, shards=shards):
        raise Exit(code=ExitStatus.FAILED)


@task(help={"force": "replace a pre-push hook that this tool did not write"})
@reported
def install(c, force=False):
    """Install the git pre-push hook that runs `invoke staging.validate` (skip: git push --no-verify)."""
    root = settings_for(None).root
    path = hooks_module.install_pre_push(root, force=force)
    console.success(f"pre-push hook installed at {path}")
    console.info("every `git push` now runs `invoke staging.validate` (an unchanged tree answers "
                 "from the verdict cache); skip it only with `git push --no-verify`")
    console.info(hooks_module.install_pre_commit(root))


VALIDATE_TASKS = [validate]
HOOK_TASKS = [install]
