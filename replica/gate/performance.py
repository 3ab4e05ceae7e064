"""The gate's performance items: k6's SLOs against a real target; same-run ratios on the local replica.

Against a target that is not on this machine, k6's thresholds (k6/slo.json) and the baseline of its
metrics are the verdict. On a local replica the machine's other work moves every absolute latency,
so there a crossed latency threshold is a warning that names the load average (a failure with
`--strict-slo`), while functional thresholds (failed requests, checks, live sessions) still fail,
and latency is judged by ratios to a calibration request drawn in the same run (ratios.py), and an
N+1 by the app's query counts as the lightest and the heaviest fixture user (querycounts.py). k6's
odd virtual users log in as the replica's heaviest fixture users (fixture_users.py).

    >>> target = Target.of("http://127.0.0.1:5000", strict_slo=False, stack=stack_module.load(settings))
    >>> evidence = check_suite(target, "smoke", Path("results/run-1"), rebaseline=False, ratios=True)
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..core import console
from . import baseline, fixture_users, k6_runner, querycounts, ratios
from .checklist import ItemFailed

SLO = k6_runner.K6_DIR / "slo.json"


@dataclass(frozen=True)
class Target:
    """What the performance items run against, and how strictly absolute SLOs are held there."""

    base_url: str
    local: bool
    strict_slo: bool
    config: str
    database_url: str | None = None

    @property
    def strict(self) -> bool:
        return self.strict_slo or not self.local

    @property
    def fixture_database(self) -> str | None:
        """The database whose fixture users the gate may read: a replica's on this machine only."""
        return self.database_url if self.local else None

    @classmethod
    def of(cls, base_url: str, strict_slo: bool = False, stack=None) -> "Target":
        """Describe base_url; the replica's own app (stack: what `up` prepared) gets its profile
        set and database."""
        local = is_loopback(base_url)
        if local and stack is not None and "app" in stack.ports and stack.url("app") == base_url:
            return cls(base_url, True, strict_slo, baseline.config_name(stack.profiles), stack.url("db"))
        parts = urlsplit(base_url)
        return cls(base_url, local, strict_slo, f"url-{parts.hostname}-{parts.port or parts.scheme}")


def is_loopback(url: str) -> bool:
    """True for 127.0.0.0/8, localhost and [::1]: a target on this machine."""
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def latency_thresholds(result: k6_runner.K6Result) -> list[str]:
    """The crossed thresholds that are on latency (k6 Trend metrics), not on failures."""
    metrics = result.summary.get("metrics", {})
    return [crossed for crossed in result.failed_thresholds
            if "avg" in metrics.get(crossed.split(": ", 1)[0], {})]


def load_note() -> str:
    one, five, fifteen = baseline.load_average()
    return f"load average {one:.1f}/{five:.1f}/{fifteen:.1f} on {os.cpu_count()} cores"


def check_suite(target: Target, suite: str, run_dir: Path, rebaseline: bool, ratios_too: bool,
                env: dict[str, str] | None = None, shards: int = 1) -> str:
    """Run one k6 suite (and, for the performance item on a local replica, the ratio verdict).

    env: more `__ENV` values for the suite (the fault profiles' expectations); shards: as that
    many k6 processes, judged on their merged results (shards.py)."""
    notes = [k6_verdict(target, suite, run_dir, rebaseline, env, shards)]
    if ratios_too and target.local:
        notes.append(local_verdicts(target, rebaseline))
    return "; ".join(notes)


def beside_the_smoke_suite(target: Target) -> bool:
    """Whether the k6 smoke suite may run while the smoke suite does: on a local replica, where its
    latency is a warning and the ratio and server-side verdicts, run after both, alone, judge it;
    never where k6's absolute SLOs are the verdict (--strict-slo, a target off this machine)."""
    return target.local and not target.strict


def k6_verdict(target: Target, suite: str, run_dir: Path, rebaseline: bool,
               env: dict[str, str] | None = None, shards: int = 1) -> str:
    """Run one k6 suite; return its evidence (outcome, baseline comparison) or fail the item."""
    env = {**fixture_env(target), **(env or {})}
    if shards > 1:  # imported here: its merge reads samples with numpy (~0.13 s to import)
        from . import shards as shards_module
        result = shards_module.run_sharded(suite, target.base_url, run_dir, shards, env=env)
    else:
        result = k6_runner.run_suite(suite, target.base_url, run_dir, env=env)
    notes = [result.describe()]
    if not result.ok:
        crossed = latency_thresholds(result)
        only_latency = result.outcome is k6_runner.Outcome.THRESHOLDS_FAILED and \
            crossed == result.failed_thresholds
        if target.strict or not only_latency:
            raise ItemFailed(f"{result.describe()} (report: {result.html_path})")
        notes = [_warn(f"k6 {suite}: latency SLOs crossed on this busy machine ({load_note()}): "
                       f"{', '.join(crossed)}; a warning on a local replica (--strict-slo fails it)")]
    empty = k6_runner.missing_samples(result.summary)
    if empty:
        raise ItemFailed(f"k6 {suite}: no samples for {', '.join(empty)}: the journey never completed")
    notes.append(_k6_baseline(target, suite, result.summary, rebaseline))
    return "; ".join(notes)


def fixture_env(target: Target) -> dict[str, str]:
    """k6's fixture users: the replica's heaviest, so the load touches data of the size it holds."""
    if not target.fixture_database:
        return {}
    heavy = fixture_users.heaviest(target.fixture_database, fixture_users.MOST)
    if not heavy:
        return {}
    return {"FIXTURE_USERS": json.dumps([user.to_json() for user in heavy]),
            "FIXTURE_PASSWORD": fixture_users.PASSWORD}


def local_verdicts(target: Target, rebaseline: bool) -> str:
    """On a local replica: the N+1 check (query counts), then the latency ratios; both always run."""
    rule = ratios.Rule.from_slo(SLO)
    notes, failures = [], []
    for verdict in (lambda: querycounts.check(target.base_url, rule.kinds, target.database_url),
                    lambda: ratio_verdict(target, rebaseline)):
        try:
            notes.append(verdict())
        except ItemFailed as failed:
            failures.append(str(failed))
    if failures:
        raise ItemFailed("; ".join(failures + notes))
    return "; ".join(notes)


def _k6_baseline(target: Target, suite: str, summary: dict, rebaseline: bool) -> str:
    folder, shape = baseline.folder(target.config), k6_runner.suite_plan(suite)
    if rebaseline:
        baseline.record(summary, folder / f"k6-{suite}.json", shape)
        return "k6 baseline re-recorded"
    comparison = baseline.check(summary, f"k6-{suite}", folder, baseline.rules_from(SLO), shape)
    if comparison.ok:
        return comparison.describe()
    if target.strict:
        raise ItemFailed(f"k6 {suite}: {comparison.describe()}")
    return _warn(f"k6 {suite} absolute figures vs baseline ({load_note()}): {comparison.describe()}; "
                 "a warning on a local replica (--strict-slo fails it)")


def ratio_verdict(target: Target, rebaseline: bool) -> str:
    """Judge latency by same-run ratios against this machine's baseline (record it on a first run)."""
    from .probe import Probe

    rule = ratios.Rule.from_slo(SLO)
    path = baseline.folder(target.config) / ratios.BASELINE_FILE
    reference = None if rebaseline else ratios.load_reference(path, rule)
    probe = Probe.open(target.base_url, rule, target.database_url)
    context = f"as {probe.user}, config '{target.config}', {load_note()}"
    if reference is None:
        drawn = probe.measure(list(rule.kinds), 2 * rule.pairs)  # twice a batch: a steadier reference
        ratios.record_reference(path, rule, drawn)
        verb = "re-recorded" if rebaseline else "no baseline yet: recorded"
        return f"latency ratios {verb} as this machine's baseline {path} ({_medians(probe)}; {context})"
    verdicts, _ = ratios.judge_all(probe.measure, rule, reference)
    text = f"{ratios.summarize(verdicts)} ({context})"
    if any(v.regressed for v in verdicts):
        raise ItemFailed(text)
    return text


def _medians(probe) -> str:
    return ", ".join(f"{kind} {m:.1f}/{c:.1f} ms" for kind, (m, c) in probe.medians_ms().items())


def _warn(message: str) -> str:
    console.warning(message)
    return f"warning: {message}"
