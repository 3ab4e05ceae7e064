"""Is the gate honest under machine load: green on the unmodified app, red on each seeded regression?

Two checks, one bench (`--gate`):

whole (default): the gate as a user runs it, `invoke staging.validate --force` on a replica up with
  `--profile tls --profile prod-scale` (staging's declared set-up on production-size data, its
  variants redis-off and pooled beside it; k6 smoke, the query counts, hub blocking and the latency
  ratios all decide). First one run on the unmodified app with `--rebaseline` and no extra load
  (baselines in a throwaway XDG_CACHE_HOME), then, under load:
    unmodified  `--runs` gates: every one must be green (exit 0)
    seeded      `--seeded-runs` gates with four regressions patched into the source of every app
                container of the replica (docker cp; gunicorn --reload restarts the workers; restored
                after, so none ever exists in app/ or an image), each in a place of its own, so each
                is judged by its own checklist item; the run counts for a regression when that item
                is red and names it, and the table says whether the failed items were exactly these:
      n-plus-one   GET /api/meetings (kind `list`) issues one COUNT per listed meeting: item
                   `performance`, naming `(list)` (the replica's own app: the declared set-up)
      blocking     GET /api/meetings/<id> (kind `show`) blocks the eventlet hub 30 ms: item
                   `performance`, naming `(show)`
      redis-only   a summary throttle counted in Redis: item `variant-redis-off` (and no other variant)
      pooler-only  a session setting in the connection's startup `options`, which PgBouncer refuses:
                   item `variant-pooled` (and no other variant)
                (the last two are bench/gate_variants.py's, read from there)
performance: the gate's performance item alone (replica/gate/performance.check_suite, or
  `--verdicts queries`: the server-side checks alone), the two performance regressions seeded in the
  replica's own app only: the earlier form of this bench (bench/results/gate_noise_server.md).

The load is bench/cpu_load.py: busy processes steering the 1-minute load average to `--load-target`
(default 4x the cores; none added while other work already keeps it there), at most `--load-procs`,
each ending by itself after `--load-seconds`, none inside a `--pause` window (UTC) or after `--until`:
a run that would reach into one waits for its end (or is not started), so others measuring then see
a quiet machine. Every run records the load average before, after and sampled during it. Targets:
0 red of the unmodified app; every seeded regression red and named in every run. Writes
bench/results/gate_noise.json and .md (`--output`), after every run.

    .venv/bin/invoke staging.up --name perf --profile tls --profile prod-scale
    .venv/bin/python bench/gate_noise.py --name perf [--runs 10] [--seeded-runs 10] [--pause 19:15-19:30]
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
from replica.engine.compose import Compose  # noqa: E402
sys.path.insert(0, str(ROOT / "bench"))
from cpu_load import CpuLoad, paused, window  # noqa: E402

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


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="perf")
    parser.add_argument("--gate", choices=["whole", "performance"], default="whole",
                        help="whole: `staging.validate --force` as a user runs it; performance: the "
                             "performance item alone (the earlier form of this bench)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seeded-runs", type=int, default=10)
    parser.add_argument("--load-target", type=float, default=4.0 * (os.cpu_count() or 1),
                        help="the 1-minute load average the busy processes steer towards")
    parser.add_argument("--load-procs", type=int, default=4 * (os.cpu_count() or 1),
                        help="at most this many busy processes at once")
    parser.add_argument("--load-seconds", type=float, default=3600, help="each busy process ends after")
    parser.add_argument("--pause", action="append", default=[], metavar="HH:MM-HH:MM",
                        help="UTC window with no load and no run of ours (others measure then)")
    parser.add_argument("--until", metavar="HH:MM", help="UTC: start no run that would end after it")
    parser.add_argument("--only", choices=[*SEEDED, *WHOLE_ONLY, "unmodified", "seeded"],
                        action="append")
    parser.add_argument("--cache", metavar="DIR",
                        help="--gate whole: an XDG_CACHE_HOME whose baselines an earlier gate run of this "
                             "replica recorded: no baseline run (default: a fresh one, and a baseline run)")
    parser.add_argument("--output", help="results file name (default gate_noise; gate_noise_server "
                                         "for --gate performance)")
    parser.add_argument("--seeded-k6", action="store_true",
                        help="--gate performance: run k6 smoke in the seeded runs too (its latency SLOs "
                             "only warn locally; the ratios decide), ~2 min more per run at load 30")
    parser.add_argument("--verdicts", choices=["all", "queries"], default="all",
                        help="--gate performance: queries: the server-side checks alone (query counts "
                             "and hub blocking), without k6 or the latency ratios")
    return parser.parse_args()


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background (SIGINT ignored)
    args = arguments()
    settings = from_environment({**os.environ, "STAGING_NAME": args.name})
    stack = stack_module.load(settings)
    if stack is None:
        raise SystemExit(f"replica {args.name} is not up: invoke staging.up --name {args.name} "
                         "--profile tls --profile prod-scale")
    os.environ["XDG_CACHE_HOME"] = args.cache or tempfile.mkdtemp(prefix="gate-noise-cache-")
    pauses = [window(text) for text in args.pause]
    until = window(f"{args.until}-{args.until}")[0] if args.until else None
    cpu = CpuLoad(args.load_target, args.load_procs, args.load_seconds, pauses, until)
    (whole_bench if args.gate == "whole" else performance_bench)(args, stack, cpu)


def performance_bench(args, stack, cpu: CpuLoad) -> None:
    """The performance item alone, the two performance regressions in the replica's own app."""
    base_url = stack.url("app")
    target = performance.Target.of(base_url, stack=stack)
    work = Path(tempfile.mkdtemp(prefix="gate-noise-"))
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record = check_once(target, work / "baseline", rebaseline=True, k6=False, verdicts=args.verdicts)
    print(f"baseline (no extra load): load {record['load_before']}: {record['evidence'][:400]}", flush=True)
    report = {"started": started, "replica": args.name, "config": target.config,
              "cores": os.cpu_count(), "load_procs": args.load_procs, "baseline_run": record,
              "scenarios": [], "output": args.output or "gate_noise_server"}
    with cpu:
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


# --gate whole: the regressions of bench/gate_variants.py beside this file's two, each with the
# checklist item that must name it (and, for the performance item, the request kind it must name).
WHOLE_ONLY = ("redis-only", "pooler-only")


def whole_regressions() -> dict[str, tuple[str, str, str, str, str | None]]:
    """name: (file under app/, anchor, replacement, item that must be red, kind it must name)."""
    import gate_variants
    from replica.commands.variant_apps import ITEM_PREFIX

    table = {name: (*SEEDED[name][:3], "performance", SEEDED[name][3]) for name in SEEDED}
    for name in WHOLE_ONLY:
        file, anchor, replacement, variant = gate_variants.SEEDED[name]
        table[name] = (file, anchor, replacement, f"{ITEM_PREFIX}{variant}", None)
    return table


def patched_sources(names: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(original, patched) texts of the app's files the named regressions change, all at once."""
    table = whole_regressions()
    original, patched = {}, {}
    for name in names:
        relative, anchor, replacement = table[name][:3]
        original.setdefault(relative, (ROOT / "app" / relative).read_text())
        text = patched.get(relative, original[relative])
        if text.count(anchor) != 1:
            raise SystemExit(f"seeded regression {name}: its anchor is not in app/{relative} exactly once")
        patched[relative] = text.replace(anchor, replacement)
    return original, patched


def judge_whole(result: dict, names: list[str]) -> None:
    """Mark which regressions the run named (their item red, naming their kind) and whether the
    failed items were exactly theirs (nothing else red: no other variant, no other item)."""
    table = whole_regressions()
    result["named"] = {}
    for name in names:
        item, kind = table[name][3:]
        evidence = result["failed"].get(item)
        result["named"][name] = bool(evidence) and (
            kind is None or bool(named_by({"red": True, "evidence": evidence}, kind)))
    result["exact"] = set(result["failed"]) == {table[name][3] for name in names}


def wait_for_slot(cpu: CpuLoad, expected_s: float) -> bool:
    """Before a run: wait out a pause window it would reach into; False when past --until."""
    now = datetime.now(timezone.utc)
    if cpu.until and now.timestamp() + expected_s > cpu.until.timestamp():
        print(f"no time for another run (~{expected_s:.0f} s) before {cpu.until:%H:%M} UTC", flush=True)
        return False
    window_hit = paused(cpu.pauses, now, ahead_s=expected_s)
    if window_hit:
        wait_s = (window_hit[1] - now).total_seconds()
        print(f"pausing (no load, no run) until {window_hit[1]:%H:%M} UTC: {wait_s:.0f} s", flush=True)
        time.sleep(max(0.0, wait_s))
        time.sleep(30)  # the busy processes come back; let the load average climb again
    return True


def whole_scenario(label: str, args, cpu: CpuLoad, runs: int, names: list[str], report: dict) -> None:
    import gate_variants

    entry = {"label": label, "seeded": names, "runs": 0, "red": 0, "results": []}
    report["scenarios"].append(entry)
    for n in range(runs):
        took = ([r["seconds"] for s in report["scenarios"] for r in s["results"]]
                or [2 * report["baseline_run"]["seconds"] or 400])  # under load: twice the quiet run
        if not wait_for_slot(cpu, max(took)):
            entry["stopped"] = "out of time (--until)"
            break
        started = time.time()
        result = gate_variants.gate_once(args.name)
        result["gate_commit"] = gate_commit()
        result["load_during"] = cpu.during(started, time.time())
        judge_whole(result, names)
        entry["results"].append(result)
        entry.update(runs=len(entry["results"]), red=sum(r["red"] for r in entry["results"]))
        write(report)
        print(f"{label} #{n + 1}: {'RED' if result['red'] else 'green'} in {result['seconds']} s "
              f"(load {result['load_before'][0]} → {result['load_after'][0]}, during "
              f"{result['load_during'].get('load_1m')}), named {result['named']}, failed: "
              f"{ {k: v[:200] for k, v in result['failed'].items()} }", flush=True)


def gate_commit() -> str:
    """The commit of the gate's code that judged a run (its tree may carry edits on top)."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def whole_bench(args, stack, cpu: CpuLoad) -> None:
    """The whole gate: a baseline run without extra load, then the unmodified and seeded cases."""
    import gate_variants

    report = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "gate": "whole",
              "replica": args.name, "profiles": list(stack.profiles), "cores": os.cpu_count(),
              "load_target": args.load_target, "load_procs": args.load_procs,
              "pauses": args.pause, "scenarios": [], "output": args.output or "gate_noise"}
    if args.cache:
        report["baseline_run"] = {"cache": args.cache, "red": False, "seconds": 0, "load_before": [0],
                                  "failed": {}, "note": "baselines of an earlier gate run reused"}
    else:
        report["baseline_run"] = gate_variants.gate_once(args.name, ("--rebaseline",))
    baseline = report["baseline_run"]
    print(f"baseline (--rebaseline, no extra load): {'RED' if baseline['red'] else 'green'} in "
          f"{baseline['seconds']} s, load {baseline['load_before']}: {baseline['failed'] or ''}", flush=True)
    write(report)
    if baseline["red"]:
        raise SystemExit("the baseline run was red: no baseline recorded, nothing to compare with")
    services = gate_variants.app_urls(stack.settings, stack)
    wanted = args.only or ["unmodified", "seeded"]
    names = [name for name in whole_regressions() if name in wanted or "seeded" in wanted]
    with cpu:
        time.sleep(30)  # let the load average climb
        if "unmodified" in wanted:
            whole_scenario("unmodified", args, cpu, args.runs, [], report)
        if names:
            original, patched = patched_sources(names)
            try:
                report["seeding"] = {"reloaded": gate_variants.put_source(stack, services, patched)}
                print(f"seeded {', '.join(names)} in {', '.join(services)}: {report['seeding']}", flush=True)
                whole_scenario("seeded", args, cpu, args.seeded_runs, names, report)
            finally:
                restored = gate_variants.put_source(stack, services, original)
                print(f"restored app/{', app/'.join(original)}: reloaded {restored}", flush=True)


def write(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = report["output"]
    (RESULTS / f"{output}.json").write_text(json.dumps(report, indent=2) + "\n")
    if report.get("gate") == "whole":
        (RESULTS / f"{output}.md").write_text(whole_markdown(report))
        return
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
    (RESULTS / f"{output}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:8 + len(report["scenarios"])]))


def whole_markdown(report: dict) -> str:
    """The whole-gate results: a line per case and per regression, then every run."""
    base = report["baseline_run"]
    lines = [f"# gate_noise: the whole gate under load ({report['started']})", "",
             f"Replica `{report['replica']}` up with profiles {', '.join(report['profiles'])}: each run is "
             "`invoke staging.validate --force` as a user runs it (staging's declared set-up with its "
             f"variants redis-off and pooled beside it, k6 smoke and every verdict), on {report['cores']} "
             f"cores, busy processes steering the load average to {report['load_target']:g} (at most "
             f"{report['load_procs']}; the machine is shared, so others' work counts towards it). "
             + (f"Baselines: {base['note']} ({base['cache']}). " if base.get("cache") else
                f"Baseline: one `--rebaseline` run without extra load, {'red' if base['red'] else 'green'} in "
                f"{base['seconds']} s (load {base['load_before'][0]}). ")
             + "The four regressions are seeded together, "
             "each where only its own item sees it.", "",
             "| case | must be red | red / runs | named (item red, naming it) | failed items exactly these | "
             "gate s (min–max) | load average (1 min) during runs, min–max |", "|---|---|---|---|---|---|---|"]
    table = whole_regressions()
    for s in [s for s in report["scenarios"] if s["results"]]:
        results = s["results"]
        secs = [r["seconds"] for r in results]
        loads = [x for r in results for x in (r.get("load_during", {}).get("load_1m") or r["load_before"][:1])]
        span = f"{min(secs):.0f}–{max(secs):.0f} | {min(loads):.1f}–{max(loads):.1f}"
        if not s["seeded"]:
            lines.append(f"| unmodified | nothing | {s['red']} / {s['runs']} | — | — | {span} |")
        exact = sum(r["exact"] for r in results)
        for name in s["seeded"]:
            item, kind = table[name][3:]
            must = f"`{item}`" + (f" naming `({kind})`" if kind else "")
            lines.append(f"| {name} | {must} | {s['red']} / {s['runs']} | "
                         f"{sum(r['named'][name] for r in results)} / {s['runs']} | {exact} / {s['runs']} | {span} |")
    lines += [f"\n{note}" for note in report.get("notes", [])]
    lines += ["", "## Every run", "",
              "| case | # | gate commit | verdict | s | load before → after (during) | own busy procs | "
              "failed items (evidence) |", "|---|---|---|---|---|---|---|---|"]
    for s in report["scenarios"]:
        for n, r in enumerate(s["results"], 1):
            failed = "; ".join(f"**{k}**: {v[:260]}" for k, v in r["failed"].items()) or "none"
            failed = failed.replace("|", "\\|").replace("\n", " ")
            during = r.get("load_during", {})
            lines.append(f"| {s['label']} | {n} | {r.get('gate_commit', '')} | {'red' if r['red'] else 'green'} | "
                         f"{r['seconds']} | {r['load_before'][0]} → {r['load_after'][0]} ({during.get('load_1m')}) | "
                         f"{during.get('own_procs')} | {failed} |")
    timed = [(s["label"], r["timings"]) for s in report["scenarios"] for r in s["results"] if r.get("timings")]
    if timed:
        lines += ["", "## Where the time went (report.json `timings`, seconds per step)", "",
                  "| case | total | steps, slowest first |", "|---|---|---|"]
        for label, timings in timed:
            steps = sorted(timings.get("steps_s", {}).items(), key=lambda step: -step[1])
            lines.append(f"| {label} | {timings.get('total_s')} | " + ", ".join(f"{k} {v}" for k, v in steps) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
