"""Does the default gate catch a break that shows only in one of staging's allowed variants?

On a replica the default gate has run on (so its variant apps run beside it: `--name`), this runs
the whole gate (`invoke staging.validate --force`, the declared set-up plus every variant) `--runs`
times on each seeded regression and `--clean-runs` times on the unmodified app. A regression is
patched into the app's source in every app container of the replica (the replica's own and each
variant's: docker cp; gunicorn --reload restarts the workers) and restored afterwards, so it never
exists in app/ or its image, as bench/gate_noise.py does (its helpers are reused here):
  redis-only   a summary throttle counted in Redis (`redis.Redis.from_url(REDIS_URL).incr(...)`),
               which assumes Redis is always there: only the redis-off variant breaks
  pooler-only  every database connection sets `statement_timeout` through the `options` startup
               parameter, which PgBouncer (Neon's pooled endpoint) refuses: only the pooled one breaks
A run counts as caught when the gate is red and the expected variant's item is among the failed
ones; the figures also say which other items failed. Writes bench/results/gate_variants.json and
.md (load average before and after every run).

    .venv/bin/invoke staging.validate --name variants          # once: starts the variants
    .venv/bin/python bench/gate_variants.py --name variants [--runs 3] [--clean-runs 1]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from gate_noise import APP_DIR, load, worker_pids  # noqa: E402
from replica.stack import plan as stack_module, variants as variants_module  # noqa: E402
from replica.commands import variant_apps as variant_gate  # noqa: E402
from replica.stack.settings import from_environment  # noqa: E402
from replica.stack.services import compose_variable  # noqa: E402
from replica.engine.compose import Compose

RESULTS = ROOT / "bench" / "results"
# name: (file under app/, anchor, replacement, the variant whose item must fail)
SEEDED = {
    "redis-only": ("mina/summary.py",
                   '        raise ApiError(409, "this meeting has no transcript yet; nothing to summarise")\n',
                   '        raise ApiError(409, "this meeting has no transcript yet; nothing to summarise")\n'
                   '    __import__("redis").Redis.from_url(__import__("os").environ.get("REDIS_URL", ""))'
                   '.incr(f"mina:summaries:{meeting_id}")  # seeded: a throttle that assumes Redis\n',
                   "redis-off"),
    "pooler-only": ("mina/__init__.py",
                    'CONNECT_ARGS = {"connect_timeout": 5, "application_name": "mina"}',
                    'CONNECT_ARGS = {"connect_timeout": 5, "application_name": "mina",'
                    ' "options": "-c statement_timeout=30000"}  # seeded: a session setting at connect',
                    "pooled"),
}
RELOAD_WAIT_S = 300


def app_urls(settings, stack) -> dict[str, str]:
    """The replica's own app and each variant app: service -> URL on this machine."""
    env = {}
    path = settings.state_dir / variant_gate.ENV_FILE
    for line in path.read_text().splitlines() if path.is_file() else []:
        key, _, value = line.partition("=")
        env[key] = value.strip("'\"")
    urls = {"app": stack.url("app")}
    for variant in variants_module.for_root(settings.root):
        port = env.get(compose_variable(variant.service, "PORT"))
        if not port:
            raise SystemExit(f"variant {variant.name} was never started here: run "
                             f"invoke staging.validate --name {settings.name} first")
        urls[variant.service] = f"http://127.0.0.1:{port}"
    return urls


def put_source(stack, services: dict[str, str], files: dict[str, str]) -> dict[str, bool]:
    """Put each text at app/<relative> (files: relative -> text) in every app container, all
    before one wait; return which services reloaded their workers."""
    before = {service: worker_pids(url) for service, url in services.items()}
    containers = {service: Compose(stack.settings).run("ps", "-q", service).stdout.strip()
                  for service in services}
    # one `docker cp` of a tree per container: every file lands at once. Copied one by one, the
    # first file reloaded the workers and a later one could land while they were importing the
    # app, after which their reloader never saw it (pooler-only went unseeded: a bench defect)
    with tempfile.TemporaryDirectory(prefix="seed-src-") as tree:
        os.chmod(tree, 0o755)
        for relative, text in files.items():
            path = Path(tree, relative)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            path.write_text(text)
            path.chmod(0o644)
        for container in containers.values():
            subprocess.run(["docker", "cp", f"{tree}/.", f"{container}:{APP_DIR}"], check=True)
    reloaded = {service: False for service in services}
    deadline = time.monotonic() + RELOAD_WAIT_S
    while time.monotonic() < deadline and not all(reloaded.values()):
        time.sleep(3)
        for service, url in services.items():  # a worker that cannot start never answers: time out
            now = worker_pids(url, asks=6)
            reloaded[service] = reloaded[service] or (len(now) >= 2 and not now & before[service])
    return reloaded


@contextmanager
def seeded(stack, services: dict[str, str], name: str):
    relative, anchor, replacement, _variant = SEEDED[name]
    original = (ROOT / "app" / relative).read_text()
    if original.count(anchor) != 1:
        raise SystemExit(f"seeded regression {name}: its anchor is not in app/{relative} exactly once")
    try:
        print(f"{name}: patching app/{relative} in {', '.join(services)}", flush=True)
        patched = {relative: original.replace(anchor, replacement)}
        print(f"  reloaded: {put_source(stack, services, patched)}", flush=True)
        yield
    finally:
        print(f"{name}: restoring app/{relative}", flush=True)
        print(f"  reloaded: {put_source(stack, services, {relative: original})}", flush=True)


def gate_once(name: str, extra: tuple[str, ...] = ()) -> dict:
    """Run the default gate once (extra: more flags); return its verdict, failed items and time."""
    before, started = load(), time.perf_counter()
    # `python -m invoke` from this tree: the venv's own `invoke` script may import another checkout's code
    done = subprocess.run([sys.executable, "-m", "invoke", "staging.validate", "--name", name,
                           "--force", *extra], cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "COLUMNS": "200"})
    seconds = round(time.perf_counter() - started, 1)
    found = re.search(r"report: (\S+report\.json)", done.stdout)
    report = json.loads(Path(found.group(1)).read_text()) if found else {}
    failed = {i["key"]: i["evidence"] for i in report.get("items", []) if i["result"] == "failed"}
    times = {i["key"]: i["seconds"] for i in report.get("items", [])}
    return {"exit": done.returncode, "red": done.returncode != 0, "seconds": seconds,
            "load_before": before, "load_after": load(), "failed": failed, "item_seconds": times,
            "verdict": report.get("verdict") or (done.stdout + done.stderr).strip()[-400:],
            "results": report.get("results"), "timings": report.get("timings")}


def variants_once(name: str, extra: tuple[str, ...] = ()) -> dict:
    """Run only the gate's variant step (its own code: launch, wait, `-m variant` smoke, items)."""
    from replica.commands import validate as validate_module
    from replica.gate.checklist import Checklist
    from replica.gate.results import prepare_dir, run_name

    settings = from_environment({**os.environ, "STAGING_NAME": name})
    stack = stack_module.load(settings)
    before, started = load(), time.perf_counter()
    run = validate_module.Run(settings, prepare_dir(settings.results_dir / run_name()),
                              sink_url=stack.url("error-sink"), stack=stack)
    run.checklist = Checklist()
    planned = variants_module.for_root(ROOT)
    run.variants = variant_gate.start(stack, planned)
    run.variant_hosts = variant_gate.hosts(settings.project, run.variants)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=len(planned)) as pool:
        codes = {s.variant.name: pool.submit(validate_module._variant_smoke, run, s)
                 for s in run.variants if not s.error}
    for s in run.variants:
        variant_gate.record(run.checklist, s, codes[s.variant.name].result() if not s.error else None,
                            validate_module._variant_dir(run, s),
                            validate_module._variant_errors(run, s.variant.name))
    failed = {i.key: i.evidence for i in run.checklist.items if i.result == "failed"}
    return {"exit": 1 if failed else 0, "red": bool(failed), "seconds": round(time.perf_counter() - started, 1),
            "load_before": before, "load_after": load(), "failed": failed,
            "item_seconds": {i.key: i.seconds for i in run.checklist.items},
            "verdict": run.checklist.verdict(), "results": str(run.run_dir)}


def scenario(label: str, runs: int, gate: str, expect: str | None, report: dict,
             extra: tuple[str, ...] = ()) -> None:
    entry = {"label": label, "expect_variant": expect, "runs": 0, "red": 0, "caught": 0, "results": []}
    report["scenarios"].append(entry)
    for n in range(runs):
        result = (variants_once if report.get("variants_only") else gate_once)(gate, extra)
        entry["results"].append(result)
        entry["runs"] += 1
        entry["red"] += result["red"]
        entry["caught"] += bool(expect and result["red"] and f"variant-{expect}" in result["failed"])
        write(report)
        print(f"{label} #{n + 1}: {'RED' if result['red'] else 'green'} in {result['seconds']} s "
              f"(load {result['load_before'][0]} → {result['load_after'][0]}), failed: "
              f"{ {k: v[:160] for k, v in result['failed'].items()} }", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="variants")
    parser.add_argument("--runs", type=int, default=3, help="gate runs per seeded regression")
    parser.add_argument("--clean-runs", type=int, default=1, help="gate runs on the unmodified app")
    parser.add_argument("--only", choices=[*SEEDED, "unmodified"], action="append")
    parser.add_argument("--variants-only", action="store_true",
                        help="run only the gate's variant step (its launch, `-m variant` smoke subsets "
                             "and items), not the whole gate: minutes less per run on a loaded machine")
    parser.add_argument("--output", default="gate_variants")
    parser.add_argument("--timing-runs", type=int, default=0,
                        help="instead: warm runs of the unmodified app, with and without --no-variants "
                             "(alternating), written to gate_variants_timing.json/.md")
    args = parser.parse_args()
    settings = from_environment({**os.environ, "STAGING_NAME": args.name})
    stack = stack_module.load(settings)
    if stack is None:
        raise SystemExit(f"replica {args.name} is not up: invoke staging.validate --name {args.name}")
    services = app_urls(settings, stack)
    report = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "replica": args.name, "cores": os.cpu_count(), "apps": services, "scenarios": [],
              "variants_only": args.variants_only, "output": args.output}
    if args.timing_runs:
        report["output"] = "gate_variants_timing"
        for n in range(args.timing_runs):
            scenario(f"default gate, round {n + 1}", 1, args.name, None, report)
            scenario(f"--no-variants, round {n + 1}", 1, args.name, None, report, ("--no-variants",))
        return
    wanted = args.only or [*SEEDED, "unmodified"]
    if "unmodified" in wanted:
        scenario("unmodified", args.clean_runs, args.name, None, report)
    for name in SEEDED:
        if name in wanted:
            with seeded(stack, services, name):
                scenario(name, args.runs, args.name, SEEDED[name][3], report)


def write(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = report.get("output", "gate_variants")
    (RESULTS / f"{output}.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# gate_variants: seeded variant-only regressions through the default gate ({report['started']})",
             "", f"Replica `{report['replica']}`, {report['cores']} cores, machine shared with other work. " + (
                 "Each run is the gate's variant step alone (replica/commands/variant_apps.py: start or keep the "
                 "variant apps, their `-m variant` smoke subsets in parallel, one item each), not the "
                 "whole gate." if report.get("variants_only") else
                 "Each run is a whole `invoke staging.validate --force` (declared set-up: tls; variants "
                 "redis-off and pooled beside it)."), "",
             "| scenario | must fail | red / runs | named the variant | gate s (min–max) | load average (1 min) min–max |",
             "|---|---|---|---|---|---|"]
    for s in [s for s in report["scenarios"] if s["results"]]:
        loads = [x for r in s["results"] for x in (r["load_before"][0], r["load_after"][0])]
        secs = [r["seconds"] for r in s["results"]]
        lines.append(f"| {s['label']} | {('variant ' + s['expect_variant']) if s['expect_variant'] else 'nothing'} "
                     f"| {s['red']} / {s['runs']} | {s['caught'] if s['expect_variant'] else '—'} | "
                     f"{min(secs):.0f}–{max(secs):.0f} | {min(loads):.1f}–{max(loads):.1f} |")
    lines += ["", "## Every run", "", "| scenario | # | verdict | s | load before → after | failed items (evidence) |",
              "|---|---|---|---|---|---|"]
    for s in report["scenarios"]:
        for n, r in enumerate(s["results"], 1):
            failed = "; ".join(f"**{k}**: {v[:220]}" for k, v in r["failed"].items()) or "none"
            failed = failed.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {s['label']} | {n} | {'red' if r['red'] else 'green'} | {r['seconds']} | "
                         f"{r['load_before'][0]} → {r['load_after'][0]} | {failed} |")
    timed = [(s["label"], r["timings"]) for s in report["scenarios"] for r in s["results"] if r.get("timings")]
    if timed:  # report.json's timings block: where each gate's time went
        lines += ["", "## Where the time went (report.json `timings`: seconds per step)", "",
                  "| run | total | steps, slowest first |", "|---|---|---|"]
        for label, timings in timed:
            steps = sorted(timings["steps_s"].items(), key=lambda step: -step[1])
            lines.append(f"| {label} | {timings['total_s']} | "
                         + ", ".join(f"{k} {v}" for k, v in steps) + " |")
    (RESULTS / f"{output}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
