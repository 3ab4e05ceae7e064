"""Baselines: where they live (per machine and configuration), reading them safely, and k6's.

A baseline is only worth comparing with on the machine and configuration that recorded it, so it lives
in `$XDG_CACHE_HOME/mina-staging/baselines/<machine-id>/<config>/` (default `~/.cache/...`), shared by
every clone on the machine; each file also names the machine that wrote it, and a file from another
machine or one that cannot be read is an error that says how to re-record, never a silent pass.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
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
    why_recorded: str = "no baseline yet"

    @property
    def ok(self) -> bool:
        return not self.regressions

    def describe(self) -> str:
        if self.recorded:
            return f"{self.why_recorded}: recorded this run as {self.path.name}"
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


def check(summary: dict, suite: str, baselines_dir: Path, rules: dict[str, dict],
          shape: dict | None = None) -> Comparison:
    """Compare with <baselines_dir>/<suite>.json; with no baseline, or one recorded under another
    load shape (shape: the suite's plan in k6/slo.json; its figures measured another load), record
    this summary as one."""
    path = baselines_dir / f"{suite}.json"
    stored = read(path, required=("metrics",))
    if stored is None or stored.get("shape") != shape:
        record(summary, path, shape)
        return Comparison([], True, [], path, "no baseline yet" if stored is None else
                          "the suite's load shape changed since its baseline")
    return compare(summary, stored, rules, path)


def record(summary: dict, path: Path, shape: dict | None = None) -> None:
    """Store the metrics of a summary (and the load shape they were measured under) as the
    suite's baseline."""
    write(path, {"metrics": summary.get("metrics", {}), "shape": shape})


REBASELINE = "re-record it on this machine: invoke staging.validate --rebaseline (or delete the file)"


def cache_root(environ: dict[str, str] | None = None) -> Path:
    """Return the folder holding every baseline of this user: $XDG_CACHE_HOME or ~/.cache."""
    env = os.environ if environ is None else environ
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "mina-staging" / "baselines"


def machine() -> dict:
    """Identify this machine: its machine-id (hashed host name without one), CPU model and cores."""
    ident = ""
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            ident = Path(candidate).read_text().strip()
        except OSError:
            continue
        if ident:
            break
    ident = ident or hashlib.sha256(socket.gethostname().encode()).hexdigest()
    return {"id": ident[:32], "cpu": _cpu_model(), "cores": os.cpu_count() or 1}


def config_name(profiles) -> str:
    """Name a configuration by its profile set: 'default', or the sorted names joined by '+'."""
    return "+".join(sorted(set(profiles))) or "default"


def folder(config: str, environ: dict[str, str] | None = None, identity: dict | None = None) -> Path:
    """Return the baselines folder of this machine and configuration."""
    return cache_root(environ) / (identity or machine())["id"] / config


def read(path: Path, required: tuple[str, ...] = (), identity: dict | None = None) -> dict | None:
    """Return a stored baseline, None when there is none; refuse a corrupt one or another machine's."""
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BaselineError(f"baseline {path} is corrupt: {error}", hint=REBASELINE) from None
    missing = [key for key in ("machine", *required) if not isinstance(stored, dict) or key not in stored]
    if missing:
        raise BaselineError(f"baseline {path} is corrupt: no {', '.join(missing)}", hint=REBASELINE)
    here, there = identity or machine(), stored["machine"]
    if there != here:
        raise BaselineError(f"baseline {path} was recorded on another machine ({_describe(there)}; "
                            f"this one: {_describe(here)})", hint=REBASELINE)
    return stored


def write(path: Path, data: dict, identity: dict | None = None) -> None:
    """Store a baseline, stamped with this machine, the time and the load average."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = {"machine": identity or machine(), "load_average": list(load_average()),
               "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **data}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stamped, indent=2, sort_keys=True) + "\n")
    temporary.replace(path)  # a run stopped half-way never leaves a truncated baseline


def load_average() -> tuple[float, float, float]:
    """Return the 1, 5 and 15 minute load averages (zeros where the OS has none)."""
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return (0.0, 0.0, 0.0)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _describe(identity) -> str:
    if not isinstance(identity, dict):
        return "unknown"
    return f"{identity.get('cpu', '?')}, {identity.get('cores', '?')} cores, id {str(identity.get('id'))[:8]}"


def rules_from(slo_path: Path) -> dict[str, dict]:
    """Read the baseline rules from k6/slo.json."""
    return json.loads(slo_path.read_text())["baseline"]["metrics"]
