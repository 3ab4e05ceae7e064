"""Merge N k6 shards' results into the one summary the gate reads, and judge its thresholds there.

Each shard writes k6's `--summary-export` (metrics.json) and its raw samples (`--out json=…gz`).
- counters: counts summed; their per-second `rate` summed (every shard runs the same timeline, its
  share of the load over the whole test, so the rates add up as the counts do);
- rates (`http_req_failed`, `checks`, …): passes and fails summed, the value recomputed from them;
- trends: a summary only carries percentiles, and percentiles of parts do not combine (the p(95)
  of two halves is not the mean of their p(95)s), so every statistic is computed again from all
  shards' raw samples, exactly as k6 does (the mean; percentiles interpolated linearly between
  the sorted samples, k6's TrendSink.P);
- gauges (`vus`, `vus_max`): summed, as the shards' VUs add up (min and max then bound the whole);
- thresholds: every expression a shard's summary lists is judged again on the merged metric (a
  shard's own verdict saw only its share).

    >>> merged = merge_dirs([Path("run/shard-1"), Path("run/shard-2")])
    >>> crossed = k6_runner.failed_thresholds(merged)
"""
from __future__ import annotations

import gzip
import json
import operator
import re
from pathlib import Path

import numpy

from .errors import GateError

SUMMARY = "metrics.json"
SAMPLES = "samples.json.gz"
THRESHOLD = re.compile(r"^\s*(?P<stat>avg|min|max|med|count|rate|value|p\((?P<pct>[\d.]+)\))\s*"
                       r"(?P<op><=|>=|===|==|!=|<|>)\s*(?P<bound>[-+\d.eE]+)\s*$")
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
             "==": operator.eq, "===": operator.eq, "!=": operator.ne}


def merge_dirs(shard_dirs: list[Path]) -> dict:
    """Merge the summaries and samples that k6 wrote into each shard's folder (absent ones skipped)."""
    finished = [d for d in shard_dirs if (d / SUMMARY).is_file()]
    for folder in finished:
        if not (folder / SAMPLES).is_file():
            raise GateError(f"k6 wrote a summary but no samples in {folder}",
                            hint="its trends cannot be merged; run the suite again")
    return merge([json.loads((d / SUMMARY).read_text() or "{}") for d in finished],
                 [d / SAMPLES for d in finished])


def merge(summaries: list[dict], sample_files: list[Path]) -> dict:
    """One `--summary-export` document for the whole test, thresholds judged on it."""
    names = sorted({name for summary in summaries for name in summary.get("metrics", {})})
    parts = {name: [s["metrics"][name] for s in summaries if name in s.get("metrics", {})]
             for name in names}
    trends = [name for name in names if _is_trend(parts[name])]
    samples = trend_samples(sample_files, trends)
    metrics = {}
    for name in names:
        values = (_trend(parts[name], samples[name]) if name in trends else _scalar(parts[name]))
        expressions = sorted({e for part in parts[name] for e in part.get("thresholds") or {}})
        if expressions:
            values["thresholds"] = {e: not holds(e, values, samples.get(name)) for e in expressions}
        metrics[name] = values
    return {"root_group": merge_groups([s.get("root_group", {}) for s in summaries]),
            "metrics": metrics}


def holds(expression: str, values: dict, samples: numpy.ndarray | None = None) -> bool:
    """Judge one k6 threshold expression (`p(95)<250`, `rate>0.99`, `count>0`) on merged values."""
    match = THRESHOLD.match(expression)
    if not match:
        raise GateError(f"cannot judge the k6 threshold {expression!r} on merged shards",
                        hint="use k6's `stat op number` form (p(95)<250, rate<0.01, count>0)")
    stat, bound = match["stat"], float(match["bound"])
    if samples is not None:  # a trend: any statistic, from every sample
        actual = _trend_stat(stat, samples)
    elif stat == "rate" and "passes" in values:  # a Rate metric's rate is its value
        actual = values["value"]
    elif stat in values:
        actual = values[stat]
    else:
        raise GateError(f"the k6 threshold {expression!r} asks for {stat}, which this metric lacks")
    return OPERATORS[match["op"]](actual, bound)


def percentile(samples: numpy.ndarray, pct: float) -> float:
    """k6's percentile: linear interpolation between the sorted samples (0 with none)."""
    return float(numpy.percentile(samples, pct, method="linear")) if len(samples) else 0.0


def trend_samples(paths: list[Path], trends: list[str]) -> dict[str, numpy.ndarray]:
    """Every raw sample of each trend (and sub-metric `name{tag:value}`) across the shards' files."""
    wanted: dict[str, list[tuple[str, dict]]] = {}
    for name in trends:
        base, tags = parse_metric_name(name)
        wanted.setdefault(base, []).append((name, tags))
    found: dict[str, list[float]] = {name: [] for name in trends}
    for path in paths:
        for point in _points(path, wanted):
            tags = point["data"].get("tags") or {}
            for name, selector in wanted[point["metric"]]:
                if all(tags.get(key) == value for key, value in selector.items()):
                    found[name].append(float(point["data"]["value"]))
    return {name: numpy.asarray(values) for name, values in found.items()}


def parse_metric_name(name: str) -> tuple[str, dict[str, str]]:
    """Split k6's `metric{tag:value,tag:value}` into the metric and its tag selector."""
    base, brace, rest = name.partition("{")
    if not brace:
        return name, {}
    pairs = (pair.split(":", 1) for pair in rest.rstrip("}").split(",") if pair.strip())
    return base, {key.strip(): value.strip().strip("'\"") for key, value in pairs}


def merge_groups(groups: list[dict]) -> dict:
    """The summaries' `root_group`: each check's passes and fails summed, by group and name."""
    merged = json.loads(json.dumps(groups[0])) if groups else {}
    for group in groups[1:]:
        _add_group(merged, group)
    return merged


def _add_group(into: dict, group: dict) -> None:
    for name, check in (group.get("checks") or {}).items():
        mine = into.setdefault("checks", {}).setdefault(name, {**check, "passes": 0, "fails": 0})
        mine["passes"] += check.get("passes", 0)
        mine["fails"] += check.get("fails", 0)
    for name, child in (group.get("groups") or {}).items():
        mine = into.setdefault("groups", {}).setdefault(name, {**child, "checks": {}, "groups": {}})
        _add_group(mine, child)


def _points(path: Path, wanted: dict):
    try:
        with gzip.open(path, "rt") as lines:
            for line in lines:
                if '"Point"' not in line:
                    continue
                point = json.loads(line)
                if point.get("type") == "Point" and point.get("metric") in wanted:
                    yield point
    except (OSError, EOFError, ValueError) as error:
        raise GateError(f"cannot read the k6 samples {path}: {error}",
                        hint="the shard stopped before it finished writing; run the suite again") from None


def _is_trend(parts: list[dict]) -> bool:
    return any("avg" in part for part in parts)


def _trend(parts: list[dict], samples: numpy.ndarray) -> dict:
    """The same statistics the shards' summaries carry, computed from every shard's samples."""
    stats = [key for key in parts[0] if key != "thresholds"]
    return {stat: _trend_stat(stat, samples) for stat in stats}


def _trend_stat(stat: str, samples: numpy.ndarray) -> float:
    if stat == "count":
        return float(len(samples))
    if not len(samples):
        return 0.0
    if stat == "avg":
        return float(samples.mean())
    if stat in ("min", "max"):
        return float(samples.min() if stat == "min" else samples.max())
    if stat == "med":
        return percentile(samples, 50)
    match = re.fullmatch(r"p\(([\d.]+)\)", stat)
    if not match:
        raise GateError(f"k6 summary statistic {stat!r} cannot be merged across shards",
                        hint="use avg, min, med, max and p(N) in --summary-trend-stats")
    return percentile(samples, float(match[1]))


def _scalar(parts: list[dict]) -> dict:
    if "passes" in parts[0]:  # a Rate
        passes = sum(p.get("passes", 0) for p in parts)
        fails = sum(p.get("fails", 0) for p in parts)
        return {"passes": passes, "fails": fails, "value": passes / (passes + fails) if passes + fails else 0}
    return {key: sum(p.get(key, 0) for p in parts) for key in parts[0] if key != "thresholds"}
