"""Compare a k6 summary with the stored baseline (k6/baselines/<suite>.json) within slo.json's margins."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import BaselineError


@dataclass(frozen=True)
class Regression:
    metric: str
    stat: str
    baseline: float
    current: float
    allowed: float

    def __str__(self) -> str:
        return (f"{self.metric} {self.stat} regressed: {self.current:.3f} vs baseline "
                f"{self.baseline:.3f} (allowed {self.allowed:.3f})")


@dataclass(frozen=True)
class Comparison:
    """The verdict of one comparison; `recorded` is True when this run became the baseline."""

    regressions: list[Regression]
    recorded: bool
    compared: list[str]
    path: Path

    @property
    def ok(self) -> bool:
        return not self.regressions

    def describe(self) -> str:
        if self.recorded:
            return f"no baseline yet: recorded this run as {self.path.name}"
        if self.regressions:
            return "; ".join(str(r) for r in self.regressions)
        return f"within margin of baseline on {len(self.compared)} metrics"


def stat_of(summary: dict, metric: str, stat: str) -> float | None:
    """Read one statistic of one metric from a --summary-export summary (rates live in 'value')."""
    values = summary.get("metrics", {}).get(metric)
    if values is None:
        return None
    if stat == "rate" and "passes" in values:  # a Rate metric: its rate is `value`
        return float(values["value"])
    found = values.get(stat)
    return None if found is None else float(found)


def allowed_value(base: float, rule: dict) -> float:
    """Return the worst value still accepted: margin (relative) and floor (absolute), whichever is wider."""
    slack = max(abs(base) * float(rule.get("margin", 0)), float(rule.get("floor", 0)))
    return base + slack if rule.get("worse", "higher") == "higher" else base - slack


def compare(summary: dict, baseline: dict, rules: dict[str, dict], path: Path) -> Comparison:
    """Compare each rule's metric; a metric missing from either side is skipped, not failed."""
    regressions, compared = [], []
    for metric, rule in rules.items():
        current = stat_of(summary, metric, rule["stat"])
        base = stat_of(baseline, metric, rule["stat"])
        if current is None or base is None:
            continue
        compared.append(metric)
        limit = allowed_value(base, rule)
        worse = current > limit if rule.get("worse", "higher") == "higher" else current < limit
        if worse:
            regressions.append(Regression(metric, rule["stat"], base, current, limit))
    return Comparison(regressions, False, compared, path)


def check(summary: dict, suite: str, baselines_dir: Path, rules: dict[str, dict]) -> Comparison:
    """Compare with k6/baselines/<suite>.json; with no baseline, record this summary as one."""
    path = baselines_dir / f"{suite}.json"
    if not path.is_file():
        record(summary, path)
        return Comparison([], True, [], path)
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BaselineError(f"baseline {path} cannot be read: {error}",
                            hint="delete it to record a fresh one on the next run") from None
    return compare(summary, stored, rules, path)


def record(summary: dict, path: Path) -> None:
    """Store the metrics of a summary as the suite's baseline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {"recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "metrics": summary.get("metrics", {})}
    path.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n")


def rules_from(slo_path: Path) -> dict[str, dict]:
    """Read the baseline rules from k6/slo.json."""
    return json.loads(slo_path.read_text())["baseline"]["metrics"]
