"""Does the gate's performance verdict cancel machine noise and still catch real regressions?

On a running replica (`--name`, brought up with `--profile prod-scale`), this runs the gate's own
performance check (replica/gate/performance.check_suite: k6 smoke, then the local verdicts: the N+1
check by query counts of the lightest and the heaviest fixture user, and the same-run latency ratios)
  1. once on the unmodified app to record the baseline (in a throwaway XDG_CACHE_HOME),
  2. `--runs` times on the unmodified app while `--load-procs` busy processes (default 4x the cores,
     each bounded to `--load-seconds` and killed at the end) keep the machine loaded,
  3. `--seeded-runs` times on the seeded regressions (first), under the same load: the app's source in
     the running container is patched (docker cp; gunicorn --reload restarts the workers) and restored
     afterwards, so no regression ever exists in app/ or its image. Both are seeded at once, each in
     its own request kind, and each counts as caught only when the verdict names its kind, by the
     query counts (`(list): 21 statements as ... vs 2 as ...`), by the app's own hub-blocking
     measure (`(show) blocks the eventlet hub 30.2 ms per request`) or by the ratios
     (`show 3.4× ...`); the table says which (a worker reload costs ~2 min at load 30):
       n-plus-one  GET /api/meetings (kind `list`) issues one COUNT query per listed meeting
       blocking    GET /api/meetings/<id> (kind `show`) blocks the eventlet hub for 30 ms
                   (eventlet's unpatched time.sleep)
The seeded runs judge by the local verdicts alone unless --seeded-k6 (k6's latency SLOs only warn on a
local replica). Targets: 0 red of the unmodified app; every seeded regression red in every run. Writes
bench/results/gate_noise.json and .md (load average beside every run).

    .venv/bin/invoke staging.up --name perf --profile prod-scale
    .venv/bin/python bench/gate_noise.py --name perf [--runs 10] [--seeded-runs 10]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from replica.stack import plan as stack_module  # noqa: E402
from replica.core.errors import StagingError  # noqa: E402
from replica.gate import performance  # noqa: E402
from replica.gate.checklist import ItemFailed  # noqa: E402
from replica.stack.settings import from_environment  # noqa: E402
from replica.engine.compose import Compose

RESULTS = ROOT / "bench" / "results"
APP_DIR = "/srv/app"  # where docker/python/Dockerfile puts app/
# (file under app/, text the patch replaces, replacement): each must match the shipped source once.
SEEDED = {  # name: (file, anchor, replacement, the request kind it slows)
    "n-plus-one": ("mina/meetings.py",
                   '"items": [meeting_json(m) for m in rows]',
                   '"items": [dict(meeting_json(m), segments=db.session.scalar(select(func.count())'
                   '.select_from(TranscriptSegment).where(TranscriptSegment.meeting_id == m.id)))'
                   ' for m in rows]', "list"),
    "blocking": ("mina/meetings.py",
                 "    return jsonify(meeting_json(find_meeting_row(meeting_id)))",
                 "    __import__('eventlet').patcher.original('time').sleep(0.03)\n"
                 "    return jsonify(meeting_json(find_meeting_row(meeting_id)))", "show"),
}
RELOAD_WAIT_S = 600


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@contextmanager
def cpu_load(processes: int, seconds: float):
    """Keep `processes` busy loops running, each ending by itself after `seconds`; kill them at exit."""
    loop = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"
    busy = [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(processes)]
    try:
        yield busy
    finally:
        for process in busy:
            process.kill()
        for process in busy:
            process.wait()


def query_verdict(target) -> str:
    """The server-side checks alone (query counts, hub blocking: the local verdicts' first half):
    seconds, where the ratios take minutes."""
    rule = performance.ratios.Rule.from_slo(performance.SLO)
    return performance.querycounts.check(target.base_url, rule.kinds, target.database_url)


def check_once(target, run_dir: Path, rebaseline: bool = False, k6: bool = True,
               verdicts: str = "all") -> dict:
    """Run the gate's performance check once (k6=False: its local verdicts only; verdicts="queries":
    the N+1 check alone); return the verdict."""
    before, started = load(), time.perf_counter()
    try:
        if verdicts == "queries":
            evidence = query_verdict(target)
        elif k6:
            evidence = performance.check_suite(target, "smoke", run_dir, rebaseline, ratios_too=True)
        else:
            evidence = performance.local_verdicts(target, rebaseline)
        red = False
    except (ItemFailed, StagingError) as failure:
        evidence, red = str(failure), True
    return {"red": red, "seconds": round(time.perf_counter() - started, 1), "load_before": before,
            "load_after": load(), "evidence": evidence}


def container(stack) -> str:
    done = Compose(stack.settings).run("ps", "-q", "app")
    return done.stdout.strip()


def worker_pids(base_url: str, asks: int = 12) -> set[int]:
    pids = set()
    for _ in range(asks):
        try:
            pids.add(requests.get(f"{base_url}/health/ready", timeout=10).json()["worker_pid"])
        except (requests.RequestException, ValueError, KeyError):
            pass
    return pids


def swap_source(stack, relative: str, text: str, base_url: str) -> None:
    """Put `text` at app/<relative> in the running container and wait for fresh workers."""
    old = worker_pids(base_url)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(text)
    os.chmod(handle.name, 0o644)
    subprocess.run(["docker", "cp", handle.name, f"{container(stack)}:{APP_DIR}/{relative}"], check=True)
    os.unlink(handle.name)
    deadline = time.monotonic() + RELOAD_WAIT_S
    while time.monotonic() < deadline:
        time.sleep(2)
        now = worker_pids(base_url)
        if len(now) >= 2 and not now & old:
            return
    raise SystemExit(f"the app's workers did not reload after patching {relative} (pids {old})")


@contextmanager
def seeded(stack, names: list[str], base_url: str):
    """Patch every named regression into the running app (one file: one reload); restore it after."""
    relative = SEEDED[names[0]][0]
    original = patched = (ROOT / "app" / relative).read_text()
    for name in names:
        file, anchor, replacement, _kind = SEEDED[name]
        if file != relative or original.count(anchor) != 1:
            raise SystemExit(f"seeded regression {name}: its anchor is not in app/{relative} exactly once")
        patched = patched.replace(anchor, replacement)
    try:
        swap_source(stack, relative, patched, base_url)
        yield
    finally:
        swap_source(stack, relative, original, base_url)


QUERIES_RED = "queries per request grow with the user's data (N+1): "
RATIOS_RED = "latency ratio regressed: "
HUB_RED = ") blocks the eventlet hub "  # replica/gate/hubblock.py: "<path> (<kind>) blocks the ..."


def named_by(result: dict, kind: str) -> list[str]:
    """Which red verdicts of the run name this request kind: "queries", "hub", "ratios", or none."""
    if not result["red"]:
        return []
    evidence = result["evidence"]
    by_queries = f"({kind}): " in evidence.partition(QUERIES_RED)[2].partition(" (heavy ")[0]
    by_hub = f"({kind}{HUB_RED}" in evidence
    by_ratios = any(part.startswith(f"{kind} ") for part in evidence.partition(RATIOS_RED)[2].split("; "))
    return [name for name, hit in (("queries", by_queries), ("hub", by_hub), ("ratios", by_ratios))
            if hit]


def caught(result: dict, kind: str) -> bool:
    """True when the run is red and its verdict names this request kind as regressed."""
    return bool(named_by(result, kind))


def scenario(label: str, target, runs: int, work: Path, k6: bool, report: dict, verdicts: str = "all") -> dict:
    results = []
    entry = {"label": label, "runs": 0, "red": 0, "k6": k6, "verdicts": verdicts, "results": results}
    report["scenarios"].append(entry)
    for n in range(runs):
        result = check_once(target, work / f"{label}-{n}", k6=k6, verdicts=verdicts)
        results.append(result)
        entry.update(runs=len(results), red=sum(r["red"] for r in results))
        if label in SEEDED:
            entry["caught"] = sum(caught(r, SEEDED[label][3]) for r in results)
        write(report)  # after every run: a stopped bench keeps what it measured
        print(f"{label} #{n + 1}: {'RED' if result['red'] else 'green'} in {result['seconds']} s, "
              f"load {result['load_before']} → {result['load_after']}: {result['evidence'][:300]}",
              flush=True)
    return entry


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM too runs the finally blocks: the app restored, the load stopped


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background (SIGINT ignored)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="perf")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seeded-runs", type=int, default=10)
    parser.add_argument("--load-procs", type=int, default=4 * (os.cpu_count() or 1))
    parser.add_argument("--load-seconds", type=float, default=3600)
    parser.add_argument("--only", choices=[*SEEDED, "unmodified"], action="append")
    parser.add_argument("--seeded-k6", action="store_true",
                        help="run k6 smoke in the seeded runs too (its latency SLOs only warn locally; "
                             "the ratios decide), ~2 min more per run at load 30")
    parser.add_argument("--verdicts", choices=["all", "queries"], default="all",
                        help="queries: the server-side checks alone (query counts and hub blocking, on "
                             "the same requests), without k6 or the latency ratios (runs in seconds "
                             "where the ratios take minutes on a machine at load 40+)")
    args = parser.parse_args()
    settings = from_environment({**os.environ, "STAGING_NAME": args.name})
    stack = stack_module.load(settings)
    if stack is None:
        raise SystemExit(f"replica {args.name} is not up: invoke staging.up --name {args.name} --profile prod-scale")
    base_url = stack.url("app")
    target = performance.Target.of(base_url, stack=stack)
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="gate-noise-cache-")
    work = Path(tempfile.mkdtemp(prefix="gate-noise-"))
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record = check_once(target, work / "baseline", rebaseline=True, k6=False, verdicts=args.verdicts)
    print(f"baseline (no extra load): load {record['load_before']}: {record['evidence'][:400]}", flush=True)
    report = {"started": started, "replica": args.name, "config": target.config,
              "cores": os.cpu_count(), "load_procs": args.load_procs, "baseline_run": record,
              "scenarios": []}
    with cpu_load(args.load_procs, args.load_seconds):
        time.sleep(20)  # let the load average climb
        wanted = args.only or [*SEEDED, "unmodified"]
        regressions = [name for name in SEEDED if name in wanted]
        if regressions:
            with seeded(stack, regressions, base_url):
                label = "+".join(regressions)
                entry = scenario(label, target, args.seeded_runs, work, args.seeded_k6, report, args.verdicts)
            for name in regressions:  # each regression: caught when its own kind is named
                kind = SEEDED[name][3]
                by = [named_by(r, kind) for r in entry["results"]]
                report["scenarios"].append({**entry, "label": f"{name} (kind {kind})",
                                            "red": sum(bool(b) for b in by),
                                            "by_queries": sum("queries" in b for b in by),
                                            "by_hub": sum("hub" in b for b in by),
                                            "by_ratios": sum("ratios" in b for b in by)})
            report["scenarios"].remove(entry)
            write(report)
        if "unmodified" in wanted:
            scenario("unmodified", target, args.runs, work, args.verdicts == "all", report, args.verdicts)


def write(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "gate_noise.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# gate_noise: performance verdict under load ({report['started']})", "",
             f"Replica `{report['replica']}`, configuration `{report['config']}`, {report['cores']} cores, "
             f"{report['load_procs']} busy processes during every run below. Baseline recorded by one run "
             f"with no extra load (load average {report['baseline_run']['load_before']}).", "",
             "| scenario | check | red / runs | named by query counts / hub blocking / latency ratios | target | "
             "load average (1 min) min–max |",
             "|---|---|---|---|---|---|"]
    for s in report["scenarios"]:
        loads = [r["load_before"][0] for r in s["results"]] + [r["load_after"][0] for r in s["results"]]
        goal = "0 red" if s["label"] == "unmodified" else "all red"
        check = ("query counts + hub blocking" if s.get("verdicts") == "queries" else
                 "k6 smoke + query counts + hub blocking + ratios" if s["k6"]
                 else "query counts + hub blocking + ratios")
        by = (f"{s['by_queries']} / {s.get('by_hub', 0)} / {s['by_ratios']}" if "by_queries" in s
              else "–")
        lines.append(f"| {s['label']} | {check} | {s['red']} / {s['runs']} | {by} | {goal} | "
                     f"{min(loads):.1f}–{max(loads):.1f} |")
    lines += ["", "## Every run", "", "| scenario | # | verdict | s | load before → after | evidence |",
              "|---|---|---|---|---|---|"]
    for s in report["scenarios"]:
        for n, r in enumerate(s["results"], 1):
            evidence = r["evidence"].replace("|", "\\|").replace("\n", " ")[:600]
            lines.append(f"| {s['label']} | {n} | {'red' if r['red'] else 'green'} | {r['seconds']} | "
                         f"{r['load_before'][0]} → {r['load_after'][0]} | {evidence} |")
    (RESULTS / "gate_noise.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:8 + len(report["scenarios"])]))


if __name__ == "__main__":
    main()
