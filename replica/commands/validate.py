"""`staging.validate`: up, reset, migrate, smoke suite, k6 smoke (+ --full suites), error sink, verdict.

    >>> checklist = validate(from_environment(), full=False)
    >>> checklist.passed
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ..core import console
from ..core.errors import StagingError
from ..stack.settings import Settings
from . import migrations_check, variant_apps as variant_gate
from ..gate import fixture_users, performance, resilience, security, smoke
from ..gate.k6_runner import FULL_SUITES
from ..gate.checklist import (FAILED, PASSED, REQUIRED_TESTS, RUNBOOK_ITEMS, SKIPPED, Checklist,
                              ItemFailed, ItemSkipped)
from ..gate.results import prepare_dir, run_name
from ..gate.timings import Timings

SMOKE_ITEMS = ["starts", "migrations", "auth", "api", "websocket", "transcription", "summary",
               "accessibility", "sentry"]
GATE_STEPS = {"stack": "Replica up (staging.up)", "reset": "Data reset to fixtures (staging.db.reset)",
              "migrate": "Migrations run on the fixtures (flask db upgrade)"}


@dataclass
class Run:
    """One gate run: where its evidence goes and what it targets."""

    settings: Settings
    run_dir: Path
    checklist: Checklist = field(default_factory=Checklist)
    base_url: str | None = None
    sink_url: str | None = None
    stack: object = None
    strict_slo: bool = False  # absolute latency SLOs fail on a local replica too
    errors_since: float = field(default_factory=time.time)  # the sink check counts events after it
    variants: list = field(default_factory=list)  # variant_gate.Started, once started
    variant_hosts: dict = field(default_factory=dict)  # a variant container's hostname: its name
    shards: int = 1  # k6 processes per --full suite (shards.py)
    timings: Timings = field(default_factory=Timings)  # report.json's "timings"
    round_trip: Callable[[], str] | None = None  # the migration tests, once the data is migrated
    static: Future | None = None  # the static security checks, when started before the checks


def current_profiles(settings: Settings) -> list[str]:
    """Return the profiles the replica was last brought up with (none if it never was)."""
    from ..stack import plan as stack_module

    stack = stack_module.load(settings)
    return list(stack.profiles) if stack is not None else []


def default_set_up(settings: Settings) -> tuple[list[str], bool]:
    """Return (profiles, whether to run the variants) of a gate run without --profile.

    A replica up with profiles of its own (e.g. `--profile redis-off`) is gated as it is, as
    `--profile` gates; otherwise the gate runs staging's declared set-up and its variants. A
    profile that changes only the data (prod-scale) is no set-up of its own: it is kept, with them.
    """
    from ..stack import profiles as profiles_module, variants as variants_module

    declared = variants_module.primary_profiles(settings.root)
    current = current_profiles(settings)
    data = profiles_module.data_only(current)
    if sorted(set(current) - set(data)) not in ([], sorted(declared)):
        return current, False
    return declared + [name for name in data if name not in declared], True


def validate(settings: Settings, full: bool = False, reset: bool = True,
             rebaseline: bool = False, profiles: list[str] | None = None,
             strict_slo: bool = False, variants: list | None = None, shards: int = 1) -> Checklist:
    """Run every checklist item against the replica; print the table and write report.json.

    profiles=None keeps the replica's own profiles; a list brings it up with exactly those.
    variants (replica/stack/variants.py): extra apps started beside it, each checked by the smoke
    suite's variant subset in parallel with the replica's own checks and named in the report.
    """
    run = Run(settings, prepare_dir(settings.results_dir / run_name()), strict_slo=strict_slo,
              shards=shards)
    console.info(f"evidence goes to {run.run_dir}")
    chosen = current_profiles(settings) if profiles is None else list(profiles)
    for variant in variants or ():  # listed up front: a variant never checked is never a pass
        run.checklist.item(variant_gate.item_key(variant), variant_gate.item_title(variant))

    def body():
        with ThreadPoolExecutor(max_workers=1) as early:
            # they need no app: from the start, while `up` and the reset mostly wait
            run.static = early.submit(_aside, _static_security(settings.root))
            if _prepare(run, chosen, reset, list(variants or ())):
                run_checks(run, full=full, rebaseline=rebaseline)
            else:
                _record_asides(run.checklist, [run.static])
    return _run_to_end(run, body)


def _prepare(run: Run, profiles: list[str], reset: bool, variants: list) -> bool:
    """Bring the replica up, reset and migrate its data, start the variants; False when what
    failed leaves nothing to check (no replica, or a migration that failed on the data)."""
    with run.timings.step("up"):
        stack = _bring_up(run, profiles)
    if stack is None:
        return False
    with run.timings.step("reset-migrate"), ThreadPoolExecutor(max_workers=1) as pool:
        # the variants start while the data is reset
        launching = pool.submit(variant_gate.launch, stack, variants)
        if reset:
            run.checklist.run("reset", lambda: _reset(stack), GATE_STEPS["reset"])
        migrated = run.checklist.run("migrate", lambda: _migrate(stack), GATE_STEPS["migrate"])
        launched = launching.result()
    with run.timings.step("variants-ready"):
        run.variants = variant_gate.wait_ready(stack, launched)
    run.variant_hosts = variant_gate.hosts(stack.settings.project, run.variants)
    for started in run.variants:
        if started.error:
            console.failure(started.error)
    if migrated.result == FAILED:  # the migration is to blame: what runs on its schema is moot
        run.checklist.record("migrations", FAILED, migrated.evidence)
        return False
    # on a scratch clone of the fixtures: beside the checks, which use the live database
    run.round_trip = lambda: migrations_check.round_trip(stack)
    return True


def validate_target(settings: Settings, base_url: str, sink_url: str | None = None,
                    full: bool = False, rebaseline: bool = False, strict_slo: bool = False,
                    shards: int = 1) -> Checklist:
    """Run the checks against an app that is already running (no up, reset or migrate)."""
    run = Run(settings, prepare_dir(settings.results_dir / run_name()), base_url=base_url,
              sink_url=sink_url, strict_slo=strict_slo, shards=shards)
    def body():
        run.checklist.record("migration-tests", SKIPPED, "not run against --base-url: the gate "
                             "changes no schema of a target it did not bring up")
        run_checks(run, full=full, rebaseline=rebaseline)
    return _run_to_end(run, body)


def _run_to_end(run: Run, body) -> Checklist:
    """Run the body, then print and write the report; on Ctrl-C keep what was done, marked so."""
    try:
        body()
    except KeyboardInterrupt:
        _finish(run, interrupted=True)
        raise
    _finish(run)
    return run.checklist


def run_checks(run: Run, full: bool = False, rebaseline: bool = False) -> None:
    """The checks proper, against run.base_url: smoke suite, security, k6 smoke (+ full suites), sink.

    Independent items run beside the replica's smoke suite, each recorded with its own verdict and
    time: the static security checks (no app needed), the migration round trip (on a scratch
    clone of the fixtures), each variant's smoke subset (its own app) and, on a local replica,
    the k6 smoke suite (performance.beside_the_smoke_suite). The latency ratios and server-side
    performance checks run after them, alone.
    """
    target = _performance_target(run)
    k6_beside = performance.beside_the_smoke_suite(target)
    # picked before k6 starts: its fixture users create (and delete) meetings while the suite counts
    picked = fixture_users.pinned(target.fixture_database) if target.fixture_database else {}
    workers = 3 + len(run.variants) + k6_beside
    with run.timings.step("smoke"), ThreadPoolExecutor(max_workers=workers) as pool:
        asides = [run.static or pool.submit(_aside, _static_security(run.settings.root))]
        asides += [pool.submit(_aside, {"migration-tests": run.round_trip})] if run.round_trip else []
        k6 = pool.submit(_aside, {"performance": lambda: performance.k6_verdict(
            target, "smoke", run.run_dir, rebaseline, _expectations(run).k6_env())}) if k6_beside else None
        checks = {started.variant.name: pool.submit(_variant_smoke, run, started)
                  for started in run.variants if not started.error}
        # with a sink, the gate's own `sentry` step reads it once k6 is done too: the suite's
        # check (the same question, asked earlier) is left out
        gate_reads_sink = bool(run.sink_url)
        code, log_path = smoke.run(run.settings.root, run.base_url, run.sink_url, run.run_dir,
                                   run.settings.name, ignore_hosts=list(run.variant_hosts),
                                   env=picked, sink_checked_after=gate_reads_sink)
        keys = [key for key in SMOKE_ITEMS if key != "sentry"] if gate_reads_sink else SMOKE_ITEMS
        smoke.record(run.checklist, keys, code, run.run_dir, log_path)
        _record_asides(run.checklist, asides)
        for started in run.variants:  # before k6: its latency ratios are measured without them
            code = checks[started.variant.name].result() if not started.error else None
            variant_gate.record(run.checklist, started, code, _variant_dir(run, started),
                                _variant_errors(run, started.variant.name))
    with run.timings.step("security-live"):
        run.checklist.run("security-live", lambda: _live_security(run))
    run.checklist.item("performance")
    with run.timings.step("performance"):
        if k6 is None:
            _k6_item(run, "performance", "smoke", run.run_dir, rebaseline)
        else:
            _after_k6(run, target, k6.result()["performance"], rebaseline)
    for suite in FULL_SUITES if full else ():
        with run.timings.step(suite):
            _k6_item(run, suite, suite, run.run_dir / suite, rebaseline, f"k6 {suite} suite within SLOs")
    if run.sink_url:
        with run.timings.step("sentry"):
            run.checklist.run("sentry", lambda: _sink_clean(run))
    if run.stack is not None:  # under an openai-* profile: how the app's AI client met the faults
        from ..stack.profiles import in_group

        resilience.record(run.checklist, run.stack.url("mock-openai"),
                          in_group(run.stack.profiles, "openai"), run.sink_url, run.errors_since)


def _variant_dir(run: Run, started) -> Path:
    return run.run_dir / variant_gate.item_key(started.variant)


def _variant_smoke(run: Run, started) -> int:
    code, _log = variant_gate.run_smoke(run.settings.root, started, _variant_dir(run, started),
                                        run.settings.name)
    return code


def _static_security(root: Path) -> dict:
    """The checks that need no app: bandit and the dependency audit, by item key."""
    return {"security-code": lambda: security.bandit_check(root),
            "security-deps": lambda: security.dependency_audit(root)}


def _record_asides(checklist: Checklist, asides: list[Future]) -> None:
    """Record, in order, what checks run beside the others found (_aside's results)."""
    for aside in asides:
        for key, (result, evidence, seconds) in aside.result().items():
            checklist.item(key)
            checklist.record(key, result, evidence, seconds)


def _aside(checks: dict) -> dict[str, tuple[str, str, float]]:
    """Run each check as Checklist.run does, off the gate's checklist (from a thread beside the
    smoke suite); return (result, evidence, seconds) per key, for the gate to record in order."""
    scratch = Checklist()
    for key, check in checks.items():
        scratch.run(key, check)
    return {item.key: (item.result, item.evidence, item.seconds) for item in scratch.items}


def _after_k6(run: Run, target, k6: tuple[str, str, float], rebaseline: bool) -> None:
    """Finish the performance item whose k6 run went beside the smoke suite: the latency ratios
    and server-side checks now, alone; its time is both parts'."""
    result, evidence, seconds = k6
    if result != PASSED:  # as check_suite: a red k6 run is the item's verdict
        run.checklist.record("performance", result, evidence, seconds)
        return
    item = run.checklist.run("performance", lambda: f"{evidence}; k6 ran beside the smoke suite; "
                             f"{performance.local_verdicts(target, rebaseline)}")
    item.seconds = round(item.seconds + seconds, 2)


def _live_security(run: Run) -> str:
    from ..engine import health
    from ..stack import declared

    edge_tls = security.declares_edge_tls(declared.read(run.settings.root))
    published = (None if run.stack is None else
                 health.published_addresses(health.engine_client(), run.settings.project))
    return security.live_checks(run.base_url, published, edge_tls)


def _bring_up(run: Run, profiles: list[str]):
    from .up import up

    item_started = time.monotonic()
    try:
        stack = up(run.settings, profiles=profiles, seed=False)  # it seeds what it needs itself
    except StagingError as error:
        run.checklist.item("stack", GATE_STEPS["stack"])
        run.checklist.record("stack", FAILED, f"{error}" + (f" → {error.hint}" if error.hint else ""),
                             time.monotonic() - item_started)
        _blame_a_failed_migration(run)
        return None
    run.base_url, run.sink_url = stack.url("app"), (
        stack.url("error-sink") if "error-sink" in stack.services else None)
    run.stack = stack
    # what the old containers reported while `up` replaced them (e.g. Redis gone under redis-off)
    # is the gate's own doing, not the app's
    run.errors_since = time.time()
    run.checklist.item("stack", GATE_STEPS["stack"])
    with_profiles = f" with profiles {', '.join(stack.profiles)}" if stack.profiles else " (no profiles)"
    run.checklist.record("stack", PASSED, f"app at {run.base_url}{with_profiles}",
                         time.monotonic() - item_started)
    return stack


def _blame_a_failed_migration(run: Run) -> None:
    """When `up` failed in its migrate service, the migration is to blame: say which, by name."""
    try:
        blame = migrations_check.migrate_service_failure(run.settings)
    except StagingError:
        return  # no engine to ask: the stack item's own evidence stands
    if blame:
        run.checklist.record("migrations", FAILED, blame)


def _reset(stack) -> str:
    try:
        from ..data.db.reset import reset
        from ..data.errors import DataError, NoFixturesError
    except ImportError as error:
        raise ItemSkipped(f"data reset not available ({error.name}); data kept as is") from None
    try:
        result = reset(stack.url("db"))
    except NoFixturesError:
        return _seed_once(stack)
    except DataError as error:
        raise ItemFailed(f"{error}") from None
    return f"{result.database} cloned from {result.template} in {result.seconds:.2f} s"


def _seed_once(stack) -> str:
    """First gate run on this replica: load the default fixtures (later runs reset to them)."""
    from ..data.errors import DataError
    from . import db

    try:
        seeded = db.seed_at_fixtures_revision(stack)
    except DataError as error:
        raise ItemFailed(f"no fixtures were loaded, and seeding them failed: {error}") from None
    return f"no fixtures were loaded yet{seeded} (later runs reset to them)"


def _migrate(stack) -> str:
    from . import db

    return db.migrate(stack)


def _performance_target(run: Run):
    from ..stack import plan as stack_module

    return performance.Target.of(run.base_url, run.strict_slo, run.stack or stack_module.load(run.settings))


def _k6_item(run: Run, key: str, suite: str, run_dir: Path, rebaseline: bool, title=None) -> None:
    target = _performance_target(run)
    shards = run.shards if suite in FULL_SUITES else 1  # the smoke suite stays one process
    run.checklist.run(key, lambda: performance.check_suite(target, suite, run_dir, rebaseline,
                                                          ratios_too=key == "performance",
                                                          env=_expectations(run).k6_env(),
                                                          shards=shards), title)


def _expectations(run: Run):
    """What the app must do under the replica's fault profiles (the happy path without any)."""
    from ..stack.profiles import expectations

    return expectations(run.stack.profiles if run.stack is not None else ())


def _app_errors(run: Run, from_host) -> list[dict]:
    """The error events since up that the app must not send, from the hosts `from_host` accepts."""
    from mocks import control

    if not run.sink_url:
        return []
    expects = _expectations(run)
    try:
        return [e for e in control.sink_events(run.sink_url, min_level="error")
                if (e.get("received_at") or 0) >= run.errors_since
                and not expects.reported_on_purpose(e) and from_host(e.get("server_name"))]
    except control.ControlError as error:
        raise ItemFailed(f"cannot read the error sink: {error}") from None


def _variant_errors(run: Run, name: str) -> list[dict]:
    """The error events of one variant app (an unreadable sink is one, saying so)."""
    try:
        return _app_errors(run, lambda host: run.variant_hosts.get(host) == name)
    except ItemFailed as error:
        return [{"message": str(error)}]


def _sink_clean(run: Run) -> str:
    # the variant apps report to the same sink: their events are their own items' evidence
    events = _app_errors(run, lambda host: host not in run.variant_hosts)
    if events:
        first = events[0]
        raise ItemFailed(f"{len(events)} error event(s) during the run, first: "
                         f"{first.get('exception_type') or ''} "
                         f"{first.get('exception_value') or first.get('message')}")
    return "no error events captured during the smoke and k6 runs"


def _finish(run: Run, interrupted: bool = False) -> None:
    for key in [*RUNBOOK_ITEMS, *REQUIRED_TESTS]:
        item = run.checklist.item(key)
        if item.evidence == "not run":
            item.evidence = "interrupted" if interrupted else "not run (an earlier step failed)"
    for item in run.checklist.items:  # a variant that was never checked fails, saying so
        if item.key.startswith(variant_gate.ITEM_PREFIX) and not item.ran:
            run.checklist.record(item.key, FAILED, f"{item.key.replace('-', ' ', 1)}: " + (
                "interrupted" if interrupted else "not checked (an earlier step failed)"))
    report = {**run.checklist.to_dict(), "interrupted": interrupted, "replica": run.settings.name,
              "base_url": run.base_url, "results": str(run.run_dir),
              "timings": run.timings.to_dict(run.checklist)}
    (run.run_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    run.checklist.results = str(run.run_dir)
    console.console.print(run.checklist.table(f"staging validation ({run.settings.name})"))
    say = console.success if run.checklist.passed else console.failure
    say(run.checklist.verdict())
    if run.timings.steps:
        console.info(f"time: {run.timings.summary()}")
    console.info(f"report: {run.run_dir / 'report.json'}")
