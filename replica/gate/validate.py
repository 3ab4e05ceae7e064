"""`staging.validate`: up, reset, migrate, smoke suite, k6 smoke (+ --full suites), error sink, verdict.

    >>> checklist = validate(from_environment(), full=False)
    >>> checklist.passed
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import console
from ..errors import StagingError
from ..settings import Settings
from . import baseline, k6_runner, smoke
from .checklist import FAILED, PASSED, RUNBOOK_ITEMS, Checklist, ItemFailed, ItemSkipped
from .results import prepare_dir, results_root, run_name

SMOKE_ITEMS = ["starts", "migrations", "auth", "api", "websocket", "transcription", "summary",
               "accessibility", "sentry"]
GATE_STEPS = {"stack": "Replica up (staging.up)", "reset": "Data reset to fixtures (staging.db.reset)",
              "migrate": "Migrations run (flask db upgrade)"}
FULL_SUITES = ("load", "stress")


@dataclass
class Run:
    """One gate run: where its evidence goes and what it targets."""

    settings: Settings
    run_dir: Path
    checklist: Checklist = field(default_factory=Checklist)
    base_url: str | None = None
    sink_url: str | None = None
    started: float = field(default_factory=time.time)


def validate(settings: Settings, full: bool = False, reset: bool = True,
             rebaseline: bool = False) -> Checklist:
    """Run every checklist item against the replica; print the table and write report.json."""
    run = Run(settings, prepare_dir(results_root(settings.root) / run_name()))
    console.info(f"evidence goes to {run.run_dir}")

    def body():
        stack = _bring_up(run)
        if stack is not None:
            if reset:
                run.checklist.run("reset", lambda: _reset(stack), GATE_STEPS["reset"])
            run.checklist.run("migrate", lambda: _migrate(stack), GATE_STEPS["migrate"])
            run_checks(run, full=full, rebaseline=rebaseline)
    return _run_to_end(run, body)


def validate_target(settings: Settings, base_url: str, sink_url: str | None = None,
                    full: bool = False, rebaseline: bool = False) -> Checklist:
    """Run the checks against an app that is already running (no up, reset or migrate)."""
    run = Run(settings, prepare_dir(results_root(settings.root) / run_name()), base_url=base_url,
              sink_url=sink_url)
    return _run_to_end(run, lambda: run_checks(run, full=full, rebaseline=rebaseline))


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
    """The checks proper, against run.base_url: smoke suite, k6 smoke (+ full suites), sink."""
    code, log_path = smoke.run(run.settings.root, run.base_url, run.sink_url, run.run_dir)
    smoke.record(run.checklist, SMOKE_ITEMS, code, run.run_dir, log_path)
    run.checklist.item("performance")
    _k6_item(run, "performance", "smoke", run.run_dir, rebaseline)
    for suite in FULL_SUITES if full else ():
        _k6_item(run, suite, suite, run.run_dir / suite, rebaseline, f"k6 {suite} suite within SLOs")
    if run.sink_url:
        run.checklist.run("sentry", lambda: _sink_clean(run))


def _bring_up(run: Run):
    from ..commands.up import up

    item_started = time.monotonic()
    try:
        stack = up(run.settings)
    except StagingError as error:
        run.checklist.item("stack", GATE_STEPS["stack"])
        run.checklist.record("stack", FAILED, f"{error}" + (f" → {error.hint}" if error.hint else ""),
                             time.monotonic() - item_started)
        return None
    run.base_url, run.sink_url = stack.url("app"), (
        stack.url("error-sink") if "error-sink" in stack.services else None)
    run.checklist.item("stack", GATE_STEPS["stack"])
    run.checklist.record("stack", PASSED, f"app at {run.base_url}", time.monotonic() - item_started)
    return stack


def _reset(stack) -> str:
    try:
        from ..data.reset import reset
        from ..data.errors import DataError
    except ImportError as error:
        raise ItemSkipped(f"data reset not available ({error.name}); data kept as is") from None
    try:
        result = reset(stack.url("db"))
    except DataError as error:
        if "no loaded fixtures" not in str(error):
            raise ItemFailed(f"{error}") from None
        return _seed_once(stack)
    return f"{result.database} cloned from {result.template} in {result.seconds:.2f} s"


def _seed_once(stack) -> str:
    """First gate run on this replica: load the default fixtures (later runs reset to them)."""
    from ..data import fixtures, reset as reset_module, target
    from ..data.errors import DataError
    started = time.time()
    try:
        fixture_set = fixtures.ensure(target.fixtures_dir(stack.settings), "default")
        reset_module.seed(stack.url("db"), fixture_set)
    except DataError as error:
        raise ItemFailed(f"no fixtures were loaded, and seeding them failed: {error}") from None
    return (f"no fixtures were loaded yet: seeded the default scale once in "
            f"{time.time() - started:.0f} s (later runs reset to them)")


def _migrate(stack) -> str:
    at_head = _migrations_at_head(stack.url("app"))
    if at_head:
        return at_head  # `docker compose exec` costs seconds; the app's own check is exact
    try:
        done = stack.compose.run("exec", "-T", "app", "flask", "--app", "main", "db", "upgrade",
                                 timeout=180)
    except StagingError as error:
        raise ItemFailed(str(error)) from None
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    ran = [line.split("Running upgrade", 1)[1].strip() for line in lines if "Running upgrade" in line]
    return f"applied: {'; '.join(ran)}" if ran else "already at head"


def _migrations_at_head(app_url: str) -> str | None:
    """Return evidence when /health/ready says the database is at the newest migration."""
    import requests

    try:
        migrations = requests.get(f"{app_url}/health/ready", timeout=10).json().get("migrations", {})
    except (requests.RequestException, ValueError, AttributeError):
        return None
    if migrations.get("status") == "ok":
        return f"already at head {migrations.get('head')} (per /health/ready)"
    return None


def _k6_item(run: Run, key: str, suite: str, run_dir: Path, rebaseline: bool, title=None) -> None:
    def check():
        result = k6_runner.run_suite(suite, run.base_url, run_dir)
        if not result.ok:
            raise ItemFailed(f"{result.describe()} (report: {result.html_path})")
        empty = k6_runner.missing_samples(result.summary)
        if empty:
            raise ItemFailed(f"k6 {suite}: no samples for {', '.join(empty)}: the journey never completed")
        if rebaseline:
            baseline.record(result.summary, _baselines() / f"{suite}.json")
            return f"{result.describe()}; baseline re-recorded"
        comparison = baseline.check(result.summary, suite, _baselines(),
                                    baseline.rules_from(k6_runner.K6_DIR / "slo.json"))
        if not comparison.ok:
            raise ItemFailed(f"k6 {suite}: {comparison.describe()}")
        return f"{result.describe()}; {comparison.describe()}"
    run.checklist.run(key, check, title)


def _baselines() -> Path:
    return k6_runner.K6_DIR / "baselines"


def _sink_clean(run: Run) -> str:
    from mocks import control

    try:
        events = [e for e in control.sink_events(run.sink_url, min_level="error")
                  if (e.get("received_at") or 0) >= run.started]
    except control.ControlError as error:
        raise ItemFailed(f"cannot read the error sink: {error}") from None
    if events:
        first = events[0]
        raise ItemFailed(f"{len(events)} error event(s) during the run, first: "
                         f"{first.get('exception_type') or ''} "
                         f"{first.get('exception_value') or first.get('message')}")
    return "no error events captured during the smoke and k6 runs"


def _finish(run: Run, interrupted: bool = False) -> None:
    for key in RUNBOOK_ITEMS:
        item = run.checklist.item(key)
        if item.evidence == "not run":
            item.evidence = "interrupted" if interrupted else "not run (an earlier step failed)"
    report = {**run.checklist.to_dict(), "interrupted": interrupted, "replica": run.settings.name,
              "base_url": run.base_url, "results": str(run.run_dir)}
    (run.run_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    console.console.print(run.checklist.table(f"staging validation ({run.settings.name})"))
    say = console.success if run.checklist.passed else console.failure
    say(run.checklist.verdict())
    console.info(f"report: {run.run_dir / 'report.json'}")
