"""Tasks of the pre-push gate: `staging.validate` and `hooks.install`."""
from __future__ import annotations

from invoke.exceptions import Exit

from .. import console, profiles as profiles_module, variants as variants_module
from ..errors import ConfigError
from ..exit_status import ExitStatus
from ..gate import hooks as hooks_module, validate as validate_module, variants as variant_gate
from ..gate import verdict_cache
from .cli import task
from .reporting import reported, settings_for
from .stack_tasks import NAME_HELP


@task(iterable=["profile"],
      help={"name": NAME_HELP, "full": "also run the longer k6 load and stress suites",
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
             profile=None, force=False, strict_slo=False, variants=True):
    """Run the runbook's validation checklist (smoke suite, k6 smoke, error sink); exit 1 unless green.

    Without --profile: staging's declared set-up (staging.declared.yml), and each allowed variant
    as an extra app beside it; a replica up with other profiles is gated as it is, without variants.
    """
    for flag, url in (("--base-url", base_url), ("--sink-url", sink_url)):
        _check_loopback_url(flag, url)
    settings = settings_for(name)
    chosen = [p.name for p in profiles_module.resolve(list(profile))] if profile else None
    if base_url:
        checklist = validate_module.validate_target(settings, base_url.rstrip("/"), sink_url,
                                                    full=full, rebaseline=rebaseline,
                                                    strict_slo=strict_slo)
        if not checklist.passed:
            raise Exit(code=ExitStatus.FAILED)
        return
    profiles, with_variants = ((chosen, False) if chosen is not None
                               else validate_module.default_set_up(settings))
    planned = variants_module.for_root(settings.root) if with_variants and variants else []
    variant_gate.check_services(settings.compose_file, planned)
    if chosen is None and not with_variants:
        console.info(f"gating the replica as it is up (profiles {', '.join(profiles)}), not staging's "
                     "declared set-up: no variants")
    options = {"full": full, "reset": reset, "rebaseline": rebaseline, "strict_slo": strict_slo,
               "variants": [f"{v.name}:{','.join(v.profiles)}" for v in planned]}
    if not force and not rebaseline and _answer_from_cache(settings, profiles, options):
        return
    tree = verdict_cache.tree_digest(settings.root)
    checklist = validate_module.validate(settings, full=full, reset=reset, rebaseline=rebaseline,
                                         profiles=profiles, strict_slo=strict_slo, variants=planned)
    if verdict_cache.tree_digest(settings.root) != tree:
        console.warning("files the gate reads changed during the run: its verdict is not cached")
    else:  # keyed after `up`, which may rewrite the replica's compose env (profiles, image tags)
        verdict_cache.store(settings, verdict_cache.key_for(settings, profiles, options, tree),
                            checklist.passed, checklist.verdict(), checklist.results, tree)
    if not checklist.passed:
        raise Exit(code=ExitStatus.FAILED)


def _answer_from_cache(settings, profiles: list[str], options: dict) -> bool:
    """Print the cached verdict of this exact tree and set-up; True when it answered (exit 1 if red)."""
    key = verdict_cache.key_for(settings, profiles, options)
    try:
        cached = verdict_cache.lookup(settings, key)
    except verdict_cache.CorruptEntry as error:
        console.warning(f"{error}: ignoring it and running the gate again")
        return False
    if cached is None:
        return False
    say = console.success if cached.passed else console.failure
    say(f"cached verdict (nothing the gate reads changed since run {cached.run}, "
        f"{cached.finished_at}): {cached.verdict}")
    console.info("run it again anyway: invoke staging.validate --force")
    if not cached.passed:
        raise Exit(code=ExitStatus.FAILED)
    return True


def _check_loopback_url(flag: str, url: str | None) -> None:
    """Refuse a URL that is not http(s) on this machine: the gate's load runs only hit loopback."""
    if url is None:
        return
    import ipaddress
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises on a bad port
    except ValueError as error:
        raise ConfigError(f"{flag} {url!r} is not a URL: {error}",
                          hint="e.g. http://127.0.0.1:5000") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{flag} {url!r} is not an http(s) URL", hint="e.g. http://127.0.0.1:5000")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"{flag} {url!r} is not on this machine (127.0.0.1, ::1 or localhost)",
                          hint="for real staging run the smoke suite itself: pytest "
                               "tests/e2e/test_01_smoke_tests.py --base-url=URL")


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
