"""k6 in shards on this machine: do N shards add up to one process, and what rate do 2 shards reach?

Against a running app (`--base-url`, a loopback URL; or the app of replica `--name`), through the
gate's own runners (replica/gate/k6_runner.run_suite for one process, shards.run_sharded for N, each
with its dashboard export as the gate runs them):
  1. totals: a shared-iterations scenario (`--iterations` GETs of /health over `--vus` VUs) as one
     process and as 2 and 3 shards: the merged iterations and http_reqs must equal one process's
     exactly (k6 splits a shared-iterations test over the segments without loss or overlap);
  2. rate: a constant-vus scenario (`--rate-vus` VUs, no think time, `--seconds` long) hitting
     /health as one process and as 2 shards side by side, `--rounds` times interleaved: the merged
     request rate, the k6 processes' CPU time per 1000 requests, and the load average before each.
Writes bench/results/k6_shards.json and .md.

    .venv/bin/python bench/k6_shards.py --name h-shards [--iterations 600] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from replica.stack import plan as stack_module  # noqa: E402
from replica.gate import k6_runner, shards  # noqa: E402
from replica.gate.performance import is_loopback  # noqa: E402
from replica.stack.settings import from_environment  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SCRIPT = """import http from 'k6/http';
import {{ check }} from 'k6';
export const options = {options};
export default function () {{
  check(http.get(`${{__ENV.BASE_URL}}/health`), {{ 'status 200': (r) => r.status === 200 }});
}}
"""


def suites_dir(folder: Path, args) -> Path:
    """A k6/ folder with the bench's two scenarios and the slo.json the runners read."""
    totals = {"scenarios": {"totals": {"executor": "shared-iterations", "vus": args.vus,
                                       "iterations": args.iterations, "maxDuration": "120s"}},
              "thresholds": {"http_req_failed": ["rate<0.01"]}}
    rate = {"scenarios": {"rate": {"executor": "constant-vus", "vus": args.rate_vus,
                                   "duration": f"{args.seconds}s"}},
            "thresholds": {"http_req_failed": ["rate<0.01"]}}
    for name, options in (("totals", totals), ("rate", rate)):
        (folder / f"{name}.js").write_text(SCRIPT.format(options=json.dumps(options)))
    (folder / "slo.json").write_text(json.dumps({"suites": {
        "totals": {"duration": "20s", "max_seconds": 150},
        "rate": {"duration": f"{args.seconds}s", "max_seconds": args.seconds + 60}}}))
    return folder


def run(suite: str, count: int, base_url: str, k6_dir: Path, out: Path) -> dict:
    """One run as `count` k6 processes: its merged totals, rate, and the k6 processes' CPU time."""
    load_before = os.getloadavg()
    cpu_before = _children_cpu()
    if count == 1:
        result = k6_runner.run_suite(suite, base_url, out, k6_dir=k6_dir)
    else:
        result = shards.run_sharded(suite, base_url, out, count, k6_dir=k6_dir)
    cpu = _children_cpu() - cpu_before
    metrics = result.summary["metrics"]
    requests = metrics["http_reqs"]["count"]
    return {"processes": count, "outcome": result.outcome.value,
            "iterations": metrics["iterations"]["count"], "http_reqs": requests,
            "failed": metrics["http_req_failed"]["passes"], "rate": round(metrics["http_reqs"]["rate"], 1),
            "p95_ms": round(metrics["http_req_duration"]["p(95)"], 2),
            "k6_cpu_s_per_1000": round(1000 * cpu / requests, 3) if requests else None,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def target(args) -> str:
    if args.base_url:
        url = args.base_url.rstrip("/")
    else:
        loaded = stack_module.load(from_environment({"STAGING_NAME": args.name}))
        if loaded is None:
            sys.exit(f"replica {args.name} is not up: invoke staging.up --name {args.name}")
        url = loaded.url("app")
    if not is_loopback(url):
        sys.exit(f"{url} is not a loopback URL: the bench loads only this machine")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url")
    parser.add_argument("--name", default="main")
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--vus", type=int, default=8)
    parser.add_argument("--rate-vus", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base_url = target(args)
    with tempfile.TemporaryDirectory(prefix="k6-shards-bench-") as scratch:
        k6_dir = suites_dir(Path(scratch), args)
        totals = [run("totals", n, base_url, k6_dir, Path(scratch) / f"totals-{n}") for n in (1, 2, 3)]
        rates = [run("rate", n, base_url, k6_dir, Path(scratch) / f"rate-{r}-{n}")
                 for r in range(args.rounds) for n in ((1, 2) if r % 2 == 0 else (2, 1))]
    report = summarize(args, base_url, totals, rates)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "k6_shards.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "k6_shards.md").write_text(markdown(report))
    print(markdown(report))


def summarize(args, base_url: str, totals: list[dict], rates: list[dict]) -> dict:
    equal = all((t["iterations"], t["http_reqs"]) == (args.iterations, args.iterations) for t in totals)
    median = {n: statistics.median(r["rate"] for r in rates if r["processes"] == n) for n in (1, 2)}
    rounds = [rates[i:i + 2] for i in range(0, len(rates), 2)]  # each round: one of each, side by side
    per_round = [round(next(r["rate"] for r in pair if r["processes"] == 2)
                       / next(r["rate"] for r in pair if r["processes"] == 1), 2) for pair in rounds]
    k6_cores = max(r["rate"] * r["k6_cpu_s_per_1000"] / 1000 for r in rates if r["k6_cpu_s_per_1000"])
    return {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
            "base_url": base_url, "k6": str(k6_runner.find_k6()),
            "settings": {"iterations": args.iterations, "vus": args.vus, "rate_vus": args.rate_vus,
                         "seconds": args.seconds, "rounds": args.rounds},
            "totals": totals, "totals_equal": equal, "rates": rates,
            "median_rate": median, "speedup_2_shards": round(median[2] / median[1], 2),
            "ratio_per_round": per_round, "median_ratio_per_round": statistics.median(per_round),
            "k6_cores_at_most": round(k6_cores, 2)}


def markdown(report: dict) -> str:
    s = report["settings"]
    lines = [
        "# k6 in shards on this machine", "",
        f"Measured {report['measured_at']} on {report['machine']['cpus']} CPUs against "
        f"`{report['base_url']}/health` (the app, its stack and k6 share this host), through the "
        "gate's runners (k6_runner.run_suite, shards.run_sharded; dashboard export on, as in the gate).",
        "", f"## Totals: {s['iterations']} shared iterations over {s['vus']} VUs", "",
        "| processes | iterations | http_reqs | failed | outcome | load avg before (1/5/15 min) |",
        "|---:|---:|---:|---:|---|---|"]
    lines += [f"| {t['processes']} | {t['iterations']} | {t['http_reqs']} | {t['failed']} | {t['outcome']} | "
              f"{'/'.join(map(str, t['load_before']))} |" for t in report["totals"]]
    lines += ["", f"Merged totals equal one process's: **{'yes' if report['totals_equal'] else 'NO'}**", "",
              f"## Rate: {s['rate_vus']} VUs, no think time, {s['seconds']} s, {s['rounds']} rounds "
              "interleaved", "",
              "| round | processes | requests/s | p95 ms | k6 CPU s per 1000 req | failed | "
              "load avg before (1/5/15 min) |", "|---:|---:|---:|---:|---:|---:|---|"]
    lines += [f"| {i // 2 + 1} | {r['processes']} | {r['rate']} | {r['p95_ms']} | {r['k6_cpu_s_per_1000']} | "
              f"{r['failed']} | {'/'.join(map(str, r['load_before']))} |" for i, r in enumerate(report["rates"])]
    median = report["median_rate"]
    lines += ["", f"Median rate: 1 process {median[1]:.0f} req/s, 2 shards {median[2]:.0f} req/s "
              f"(**{report['speedup_2_shards']}×**); 2 shards over 1 process round by round: "
              f"{', '.join(f'{r}×' for r in report['ratio_per_round'])} (median "
              f"{report['median_ratio_per_round']}×). The k6 processes used at most "
              f"{report['k6_cores_at_most']} of a core (CPU time per request × rate): on this "
              "machine one k6 process is not what limits the rate; the app and the machine's other "
              "work are, so the ratio is noise around what the app serves.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
