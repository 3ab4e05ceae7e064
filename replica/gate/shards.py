"""k6 in shards: one suite as N k6 processes over execution segments, judged on their merged results.

k6 splits a test with `--execution-segment` (the share one process runs) and
`--execution-segment-sequence` (every boundary, so the N processes stripe VUs and iterations
without overlap): shard i of N runs `(i-1)/N:i/N` of the sequence `0,1/N,…,1`, as k6-operator's
runners do. Each shard runs in run_dir/shard-i/ (its own summary, raw samples, log and HTML report,
its REST API on a free port); run_dir/metrics.json is their merge (shard_merge.py), and the
verdict is that merge's: a shard crossing a threshold on its own share is not a failure.

    >>> [s.flags() for s in segments(2)][1]
    ['--execution-segment', '1/2:1', '--execution-segment-sequence', '0,1/2,1']
    >>> result = run_sharded("load", "http://127.0.0.1:5000", Path("results/run-1/load"), 2)
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..core.errors import ConfigError
from . import k6_runner, shard_merge
from .errors import GateError
from .k6_runner import K6Result, Outcome
from .results import prepare_dir

JUDGED_ON_MERGE = (Outcome.PASSED, Outcome.THRESHOLDS_FAILED)  # the other outcomes stand


@dataclass(frozen=True)
class Segment:
    """Shard `index` (from 1) of `count`: the share of the test one k6 process runs."""

    index: int
    count: int

    @property
    def sequence(self) -> list[Fraction]:
        return [Fraction(i, self.count) for i in range(self.count + 1)]

    @property
    def segment(self) -> str:
        bounds = self.sequence
        return f"{bounds[self.index - 1]}:{bounds[self.index]}"

    def flags(self) -> list[str]:
        """k6's flags for this share (one process, the whole test when count is 1: no flags)."""
        if self.count == 1:
            return []
        return ["--execution-segment", self.segment,
                "--execution-segment-sequence", ",".join(str(b) for b in self.sequence)]


def segments(count: int) -> list[Segment]:
    """Split a test into `count` equal shares; raise ConfigError for fewer than one."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ConfigError(f"--shards must be a whole number of at least 1, not {count!r}",
                          hint="e.g. --shards 2: the load and stress suites as 2 k6 processes")
    return [Segment(index, count) for index in range(1, count + 1)]


def shard_dir(run_dir: Path, segment: Segment) -> Path:
    return run_dir / f"shard-{segment.index}"


def shard_command(binary: Path, script: Path, base_url: str, run_dir: Path, segment: Segment,
                  env: dict[str, str] | None = None) -> list[str]:
    """The gate's k6 command for one shard: its segment, and its raw samples kept for the merge."""
    folder = shard_dir(run_dir, segment)
    samples = ["--out", f"json={folder / shard_merge.SAMPLES}"]  # .gz: k6 compresses it
    return k6_runner.command(binary, script, base_url, folder, env, segment.flags() + samples)


@dataclass
class ShardRun:
    """What one shard's process did (its own summary's verdict is not the suite's)."""

    segment: Segment
    folder: Path
    exit_code: int
    outcome: Outcome
    message: str


@dataclass
class ShardedResult(K6Result):
    """A suite run as shards: the merged summary in run_dir/metrics.json, each shard in shard-i/."""

    shards: list[ShardRun] = field(default_factory=list)

    @property
    def html_path(self) -> Path:
        """k6 writes one dashboard report per process: the first shard's stands for the run."""
        return self.run_dir / "shard-1" / "report.html"

    def describe(self) -> str:
        reports = f"per-shard reports {self.run_dir}/shard-*/report.html"
        return f"{super().describe()}; {len(self.shards)} k6 shards merged ({reports})"


def run_sharded(suite: str, base_url: str, run_dir: Path, shards: int, *,
                k6_dir: Path = k6_runner.K6_DIR, timeout: float | None = None,
                binary: Path | None = None, env: dict[str, str] | None = None) -> ShardedResult:
    """Run k6/<suite>.js as `shards` k6 processes side by side; merge and judge their results."""
    plan = segments(shards)
    script = k6_runner.suite_script(suite, k6_dir)
    prepare_dir(run_dir)
    binary = binary or k6_runner.find_k6()
    deadline = time.monotonic() + (timeout or k6_runner.suite_budget(suite, k6_dir))
    started = time.monotonic()
    runs = _run_all(suite, plan, lambda s: shard_command(binary, script, base_url, run_dir, s, env),
                    run_dir, k6_dir, deadline)
    failed = next((run for run in runs if run.outcome not in JUDGED_ON_MERGE), None)
    try:
        summary = shard_merge.merge_dirs([run.folder for run in runs])
    except GateError:
        if failed is None:
            raise
        summary = {}  # what a failed shard left cannot be merged: its failure is the verdict
    (run_dir / shard_merge.SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    crossed = k6_runner.failed_thresholds(summary)
    code, outcome, message, tail_of = _verdict(runs, failed, crossed)
    return ShardedResult(suite, code, outcome, message, time.monotonic() - started, run_dir,
                         summary=summary, failed_thresholds=crossed,
                         log_tail=k6_runner.read_tail(tail_of.folder / "k6.log"), shards=runs)


def _run_all(suite: str, plan: list[Segment], argv, run_dir: Path, k6_dir: Path,
             deadline: float) -> list[ShardRun]:
    """Start every shard, then wait for each until the shared deadline (Ctrl-C stops them all)."""
    logs, processes = [], []
    try:
        for segment in plan:
            folder = prepare_dir(shard_dir(run_dir, segment))
            logs.append((folder / "k6.log").open("w"))
            processes.append(k6_runner.start(suite, argv(segment), folder, logs[-1], k6_dir))
        runs, interrupted = [], False
        for segment, process in zip(plan, processes):
            if interrupted:
                code, override = k6_runner.stop(process), (Outcome.INTERRUPTED, "interrupted")
            else:
                code, override = k6_runner.wait_for(process, max(0.01, deadline - time.monotonic()))
            interrupted = interrupted or (override is not None and override[0] is Outcome.INTERRUPTED)
            outcome, message = override or k6_runner.classify(code)
            runs.append(ShardRun(segment, shard_dir(run_dir, segment), code, outcome, message))
    finally:
        for process in processes:
            if process.poll() is None:  # a shard not waited for (an error starting the next)
                k6_runner.stop(process)
        for log in logs:
            log.close()
    if interrupted:
        raise KeyboardInterrupt
    return runs


def _verdict(runs: list[ShardRun], failed: ShardRun | None,
             crossed: list[str]) -> tuple[int, Outcome, str, ShardRun]:
    """The suite's exit code, outcome and sentence: a shard's failure, else the merged thresholds."""
    if failed is not None:
        index = f"shard {failed.segment.index}/{failed.segment.count}"
        return failed.exit_code, failed.outcome, f"{index}: {failed.message}", failed
    code = 99 if crossed else 0
    outcome, message = k6_runner.classify(code)
    return code, outcome, f"{message}, judged on the merged shards", runs[0]
