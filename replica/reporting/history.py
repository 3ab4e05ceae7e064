"""Every gate and deploy run on this machine, and the runbook's staging metrics computed from them.

A run is one folder under the results directory (replica/gate/results.py) holding `run.json`, a
`RunRecord`: the gate writes one at its end, and a deploy flow writes one of kind "deploy" the same
way (`write_record(run_dir, RunRecord(...))`). Gate runs from before records existed are read from
their `report.json` (no duration, commit or tree then). The runbook's "Metrics": deployment
frequency, test pass rate, time to promote to production (from git tags: `vX.Y.Z-staging` to
`vX.Y.Z`) and staging environment health (the last runs' verdicts). A gate answered from the
verdict cache is recorded too (results/cached-<time>/run.json, `cached_from` naming the run whose
verdict it gave): shown as cached, never counted in the test pass rate (no test ran).
"""
from __future__ import annotations

import json
import statistics
import subprocess
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..core import console

RECORD_FILE = "run.json"
REPORT_FILE = "report.json"      # what `staging.validate` writes (replica/commands/validate.py)
METRICS_FILE = "metrics.json"    # k6's --summary-export of the gate's smoke suite
KINDS = ("gate", "deploy")
PASSED, FAILED = "passed", "failed"
OVERALL_LATENCY = "http_req_duration"  # every request of the k6 smoke suite
STAGING_TAG_SUFFIX = "-staging"


@dataclass(frozen=True)
class RunRecord:
    """One run: what it judged (commit, tree), how it ended, how long it took, what it measured."""

    kind: str                     # "gate" or "deploy"
    verdict: str                  # "passed" or "failed"
    started: str                  # ISO 8601, UTC
    duration_s: float | None      # None: not recorded (gate runs older than records)
    commit: str | None
    tree: str | None              # git tree object of the files judged (replica/reporting/revision.py)
    failed: list[str] = field(default_factory=list)  # titles of the failed items
    latencies_ms: dict[str, float] = field(default_factory=dict)  # k6 p(95) per key metric
    replica: str | None = None
    summary: str = ""             # the run's verdict sentence
    name: str = ""                # its folder under the results directory
    cached_from: str | None = None  # a cache hit: the run whose verdict was answered (no test ran)

    @property
    def passed(self) -> bool:
        return self.verdict == PASSED

    @property
    def started_at(self) -> datetime:
        return datetime.fromisoformat(self.started)

    @classmethod
    def from_json(cls, data: dict, name: str) -> "RunRecord":
        """Read a record; raise ValueError naming the first field that is missing or wrong."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("kind") not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if data.get("verdict") not in (PASSED, FAILED):
            raise ValueError(f"verdict must be {PASSED} or {FAILED}")
        started = datetime.fromisoformat(str(data.get("started")))
        if started.tzinfo is None:
            raise ValueError("started has no time zone")
        known = {f for f in cls.__dataclass_fields__ if f != "name"}
        return cls(**{k: v for k, v in data.items() if k in known}, name=name)


def write_record(run_dir: Path, record: RunRecord) -> Path:
    """Write run_dir/run.json (whole or not at all: a reader never sees half a record)."""
    path = Path(run_dir) / RECORD_FILE
    partial = path.with_suffix(".json.partial")
    data = {k: v for k, v in asdict(record).items() if k != "name"}
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)
    return path


def gate_record(run_dir: Path, started: datetime, duration_s: float, commit: str | None,
                tree: str | None) -> RunRecord:
    """Build the record of a finished gate run from what it wrote in run_dir (report, k6 metrics)."""
    report = json.loads((Path(run_dir) / REPORT_FILE).read_text())
    return RunRecord("gate", PASSED if report.get("passed") else FAILED,
                     started.astimezone(timezone.utc).isoformat(timespec="seconds"),
                     round(duration_s, 1), commit, tree, failed_items(report),
                     key_latencies(Path(run_dir) / METRICS_FILE), report.get("replica"),
                     report.get("verdict", ""), Path(run_dir).name)


def cached_record(run_dir: Path, started: datetime, duration_s: float, commit: str | None,
                  tree: str | None, passed: bool, verdict: str, replica: str | None,
                  cached_from: str) -> RunRecord:
    """Build the record of a gate answered from the verdict cache: the verdict of run cached_from
    (its failed items, when its record can be read), nothing measured."""
    try:
        failed = RunRecord.from_json(json.loads((Path(cached_from) / RECORD_FILE).read_text()),
                                     Path(cached_from).name).failed
    except (OSError, ValueError, TypeError):
        failed = []
    return RunRecord("gate", PASSED if passed else FAILED,
                     started.astimezone(timezone.utc).isoformat(timespec="seconds"),
                     round(duration_s, 1), commit, tree, failed, {}, replica,
                     f"cached verdict of {Path(cached_from).name}: {verdict}", Path(run_dir).name,
                     cached_from)


def failed_items(report: dict) -> list[str]:
    return [item.get("title", item.get("key", "?")) for item in report.get("items", [])
            if item.get("result") == FAILED]


def key_latencies(metrics_path: Path) -> dict[str, float]:
    """Return k6's p(95) in ms of every request and of each metric k6/slo.json sets a p(95) SLO on."""
    from ..gate.performance import SLO  # the one list of the metrics the team holds to a p(95)

    try:
        metrics = json.loads(Path(metrics_path).read_text()).get("metrics", {})
        thresholds = json.loads(SLO.read_text())["thresholds"]
    except (OSError, ValueError, KeyError, AttributeError):
        return {}
    keys = [OVERALL_LATENCY] + [name for name, rules in thresholds.items()
                                if any(rule.startswith("p(95)") for rule in rules)]
    return {key: round(metrics[key]["p(95)"], 1) for key in keys
            if isinstance(metrics.get(key), dict) and "p(95)" in metrics[key]}


def load_runs(results_dir: Path) -> list[RunRecord]:
    """Every run recorded under results_dir, oldest first; an unreadable record is a warning."""
    runs = []
    for folder in sorted(p for p in Path(results_dir).glob("*") if p.is_dir()):
        try:
            if (folder / RECORD_FILE).is_file():
                runs.append(RunRecord.from_json(json.loads((folder / RECORD_FILE).read_text()),
                                                folder.name))
            elif (folder / REPORT_FILE).is_file():
                runs.append(_from_report(folder))
        except (OSError, ValueError, TypeError) as error:
            console.warning(f"{folder}: run record left out: {error}")
    return sorted(runs, key=lambda run: run.started_at)


def passing_gate_run(results_dir: Path, tree: str) -> RunRecord | None:
    """Return the newest green gate run of exactly this tree (e.g. `git rev-parse TAG^{tree}`)."""
    green = [run for run in load_runs(results_dir)
             if run.kind == "gate" and run.passed and run.tree == tree]
    return green[-1] if green else None


def _from_report(folder: Path) -> RunRecord:
    """Read a gate run older than records: its started time is in its folder's name."""
    report = json.loads((folder / REPORT_FILE).read_text())
    stamp = folder.name.rpartition("-")[2]
    started = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    return RunRecord("gate", PASSED if report.get("passed") else FAILED, started.isoformat(),
                     None, None, None, failed_items(report), key_latencies(folder / METRICS_FILE),
                     report.get("replica"), report.get("verdict", ""), folder.name)


@dataclass(frozen=True)
class Promotion:
    version: str
    staging_tagged: datetime      # when `vX.Y.Z-staging` was made
    promoted: datetime            # when `vX.Y.Z` was made

    @property
    def hours(self) -> float:
        return round((self.promoted - self.staging_tagged).total_seconds() / 3600, 2)


def promotions(root: Path) -> list[Promotion]:
    """Pair every `vX.Y.Z-staging` tag with its `vX.Y.Z` tag (a tag's own date when annotated)."""
    done = subprocess.run(["git", "-C", str(root), "for-each-ref", "refs/tags",
                           "--format=%(refname:short) %(creatordate:iso-strict)"],
                          capture_output=True, text=True)
    dates = {}
    for line in done.stdout.splitlines() if done.returncode == 0 else []:
        tag, _, when = line.partition(" ")
        dates[tag] = datetime.fromisoformat(when)
    return sorted((Promotion(tag.removesuffix(STAGING_TAG_SUFFIX), when,
                             dates[tag.removesuffix(STAGING_TAG_SUFFIX)])
                   for tag, when in dates.items()
                   if tag.endswith(STAGING_TAG_SUFFIX) and tag.removesuffix(STAGING_TAG_SUFFIX) in dates),
                  key=lambda p: p.promoted)


def gate_runs_tested(runs: list[RunRecord]) -> list[RunRecord]:
    """The gate runs that ran their tests: what pass rate, gate time and latency are taken over
    (a cache hit repeats an earlier run's verdict and measured nothing)."""
    return [run for run in runs if run.kind == "gate" and not run.cached_from]


def metrics(runs: list[RunRecord], promoted: list[Promotion], now: datetime) -> dict:
    """The runbook's metrics: deployment frequency, test pass rate, time to promote, health."""
    gates = gate_runs_tested(runs)
    deploys = [run for run in runs if run.kind == "deploy"]
    hours = [p.hours for p in promoted]
    return {
        "deploys_per_week": _per_week(deploys, now),
        "deploys_by_week": dict(Counter(_week(run.started_at) for run in deploys)),
        "test_pass_rate": round(sum(r.passed for r in gates) / len(gates), 3) if gates else None,
        "gate_runs": len(gates),
        "cache_hits": sum(1 for run in runs if run.cached_from),
        "promotions": [{"version": p.version, "staging_tagged": p.staging_tagged.isoformat(),
                        "promoted": p.promoted.isoformat(), "hours": p.hours} for p in promoted],
        "median_hours_to_promote": statistics.median(hours) if hours else None,
        "health": health(runs, now),
    }


def describe(metrics: dict) -> dict[str, str]:
    """Say each of the runbook's metrics in words, under the runbook's name for it."""
    rate, per_week = metrics["test_pass_rate"], metrics["deploys_per_week"]
    hours, health_now = metrics["median_hours_to_promote"], metrics["health"]
    return {
        "Deployment frequency": (f"{per_week} per week" if per_week is not None
                                 else "no deploys recorded"),
        "Test pass rate": (f"{rate:.0%} of {metrics['gate_runs']} gate runs" if rate is not None
                           else "no gate runs recorded"),
        "Time to promote to production": (
            f"median {hours} h over {len(metrics['promotions'])} promotion(s)" if hours is not None
            else f"no v1.2.3{STAGING_TAG_SUFFIX} tag promoted to v1.2.3 yet"),
        "Staging environment health": f"{health_now['status']}: {health_now['detail']}",
    }


def _week(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def _per_week(deploys: list[RunRecord], now: datetime) -> float | None:
    """Deploys per week since the first one (at least a week, so one deploy today is 1/week)."""
    if not deploys:
        return None
    weeks = max((now - deploys[0].started_at) / timedelta(weeks=1), 1.0)
    return round(len(deploys) / weeks, 2)


def health(runs: list[RunRecord], now: datetime) -> dict:
    """Staging environment health as the runs tell it: the last verdict, and how long since green."""
    if not runs:
        return {"status": "unknown", "detail": "no runs recorded yet"}
    last = runs[-1]
    green = [run for run in runs if run.passed]
    failing = len(runs) - 1 - max((i for i, run in enumerate(runs) if run.passed), default=-1)
    detail = (f"last run {last.name} ({last.kind}) {last.verdict} {_ago(now - last.started_at)} ago; "
              + (f"last green {green[-1].name} {_ago(now - green[-1].started_at)} ago"
                 if green else "never green"))
    return {"status": "healthy" if last.passed else "failing", "failing_runs_in_a_row": failing,
            "last_run": last.name, "last_green": green[-1].name if green else None, "detail": detail}


def _ago(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h" if minutes < 48 * 60 else f"{minutes // 1440} d"
