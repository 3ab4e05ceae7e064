"""`staging.validate` around the checklist (commands/validate.py): which set-up to gate (staging's
declared one and its variants, the profiles asked for, or an app at --base-url), the verdict cache
keyed by tree and set-up, and whether the gate passed."""
from __future__ import annotations

from ..core import console
from ..core.errors import ConfigError
from ..reporting import revision
from ..stack import profiles as profiles_module, variants as variants_module
from ..stack.settings import Settings
from . import validate as validate_module, variant_apps as variant_gate, verdict_cache
from .gate_run import GateRun


def gate(settings: Settings, full=False, reset=True, rebaseline=False, base_url=None, sink_url=None,
         profile=None, force=False, strict_slo=False, variants=True, shards=1) -> bool:
    """Run the gate (or answer from the verdict cache); return whether it passed."""
    for flag, url in (("--base-url", base_url), ("--sink-url", sink_url)):
        _check_loopback_url(flag, url)
    if shards > 1 and not full:
        raise ConfigError(f"--shards {shards} splits the --full suites (load, stress): add --full",
                          hint=f"invoke staging.validate --full --shards {shards}")
    chosen = [p.name for p in profiles_module.resolve(list(profile))] if profile else None
    if base_url:
        gate_run = GateRun.begin(settings.root)
        checklist = validate_module.validate_target(settings, base_url.rstrip("/"), sink_url,
                                                    full=full, rebaseline=rebaseline,
                                                    strict_slo=strict_slo, shards=shards)
        gate_run.end(checklist)
        return checklist.passed
    profiles, with_variants = ((chosen, False) if chosen is not None
                               else validate_module.default_set_up(settings))
    planned = variants_module.for_root(settings.root) if with_variants and variants else []
    variant_gate.check_services(settings.compose_file, planned)
    if chosen is None and not with_variants:
        console.info(f"gating the replica as it is up (profiles {', '.join(profiles)}), not staging's "
                     "declared set-up: no variants")
    options = {"full": full, "reset": reset, "rebaseline": rebaseline, "strict_slo": strict_slo,
               "variants": [f"{v.name}:{','.join(v.profiles)}" for v in planned],
               **({"shards": shards} if shards > 1 else {})}  # 1: the keys cached before shards
    tree = revision.judged_tree(settings.root)
    gate_run = GateRun.begin(settings.root, tree=tree)  # a malformed webhook URL stops here, before the gate
    if tree is None:
        console.warning(f"{settings.root} is not a git work tree: this gate's verdict is not cached")
    elif not force and not rebaseline:
        cached = _answer_from_cache(settings, profiles, options, tree)
        if cached is not None:
            gate_run.end_cached(cached, settings.results_dir, settings.name)
            return cached.passed
    checklist = validate_module.validate(settings, full=full, reset=reset, rebaseline=rebaseline,
                                         profiles=profiles, strict_slo=strict_slo, variants=planned,
                                         shards=shards)
    gate_run.end(checklist)  # the run's record in the history, then the announcement
    if tree is None:
        pass
    elif revision.judged_tree(settings.root) != tree:
        console.warning("files the gate reads changed during the run: its verdict is not cached")
    else:  # keyed after `up`, which may rewrite the replica's compose env (profiles, image tags)
        verdict_cache.store(settings, verdict_cache.key_for(settings, profiles, options, tree),
                            checklist.passed, checklist.verdict(), checklist.results, tree)
    return checklist.passed


def _answer_from_cache(settings, profiles: list[str], options: dict,
                       tree: str) -> verdict_cache.Cached | None:
    """Print the cached verdict of this exact tree and set-up and return it; None when there is none."""
    key = verdict_cache.key_for(settings, profiles, options, tree)
    try:
        cached = verdict_cache.lookup(settings, key)
    except verdict_cache.CorruptEntry as error:
        console.warning(f"{error}: ignoring it and running the gate again")
        return None
    if cached is None:
        return None
    say = console.success if cached.passed else console.failure
    say(f"cached verdict (nothing the gate reads changed since run {cached.run}, "
        f"{cached.finished_at}): {cached.verdict}")
    console.info("run it again anyway: invoke staging.validate --force")
    return cached


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
