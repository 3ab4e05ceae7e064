"""Idle cost of a replica and its start-up time: the compose file of --before vs this checkout's.

One run measures both, same machine, same images:
- `up` time from nothing running (volumes removed) to all healthy, alternating the two files, for
  `staging.up` and for a bare `docker compose up -d --wait` of the same file;
- idle cost: CPU seconds over --window s (default 60), starting when `up` returns, used by the
  replica's containers (their cgroups' cpuacct, every probe process included), their
  containerd shims (the `runc exec` of each probe), and dockerd + containerd minus what those two
  use with neither replica up (measured before and after: other stacks share the engine).
The load average is recorded beside every figure. Writes bench/results/idle_cost.json and .md.

    .venv/bin/python bench/idle_cost.py [--before 29ac6aa] [--window 60] [--rounds 1] [--name N]

`staging.up` runs with seed=False (the first `up` of a replica also loads the fixtures, which a
bare compose does not: that is timed apart, by stack_bench.py).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from replica.engine import health
from replica.commands.down import down
from replica.commands.up import up
from replica.engine.compose import Compose
from replica.stack.settings import ROOT, Settings, from_environment

RESULTS = Path(__file__).parent / "results"
REPLICA = "idle-bench"
BEFORE = "29ac6aa"   # the last commit with 1 s healthchecks for the life of the stack
TICK = os.sysconf("SC_CLK_TCK")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@contextmanager
def compose_file(path: Path | None):
    """Run the tooling with another compose file (None: this checkout's)."""
    original = Settings.__dict__["compose_file"]
    if path is not None:
        Settings.compose_file = property(lambda self: path)
    try:
        yield
    finally:
        Settings.compose_file = original


def bare_up(settings, services: list[str]) -> None:
    subprocess.run([*Compose(settings).base_command(), "up", "--detach", "--wait", *services,
                    "migrate"], check=True, capture_output=True, env=Compose(settings)._process_env())


def timed(action) -> dict:
    before = load()
    started = time.perf_counter()
    action()
    print(f"[bench] {time.perf_counter() - started:.2f} s (load {before[0]:.1f})", flush=True)
    return {"s": round(time.perf_counter() - started, 2), "load_before": before, "load_after": load()}


# --- CPU accounting -------------------------------------------------------------------------------

def _proc_cpu(pid: int, children: bool = False) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / TICK


def _pids(name: str) -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", "-x", name], capture_output=True,
                                           text=True).stdout.split()]


def _shims() -> dict[str, int]:
    """containerd shim pid by container id."""
    shims = {}
    for pid in _pids("containerd-shim") + _pids("containerd-shim-runc-v2"):
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"-id" in args:
            shims[args[args.index(b"-id") + 1].decode()] = pid
    return shims


def _container_cpu(client, container_id: str) -> float:
    for path in (f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage",
                 f"/sys/fs/cgroup/cpu,cpuacct/docker/{container_id}/cpuacct.usage",
                 f"/sys/fs/cgroup/cpuacct/system.slice/docker-{container_id}.scope/cpuacct.usage"):
        if os.path.exists(path):
            return int(Path(path).read_text()) / 1e9
    for path in (f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat",
                 f"/sys/fs/cgroup/docker/{container_id}/cpu.stat"):
        if os.path.exists(path):
            usage = dict(line.split() for line in Path(path).read_text().splitlines())
            return int(usage["usage_usec"]) / 1e6
    stats = client.api.stats(container_id, stream=False)   # the engine's own figure
    return stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9


def _engine_cpu() -> float:
    return sum(_proc_cpu(pid) for name in ("dockerd", "containerd") for pid in _pids(name))


def sample(client, project: str | None) -> dict:
    containers = {}
    if project:
        for c in client.containers.list(filters={"label": f"{health.PROJECT_LABEL}={project}"}):
            containers[c.labels[health.SERVICE_LABEL]] = c.id
    shims = _shims()
    return {"engine": _engine_cpu(),
            "containers": {s: _container_cpu(client, cid) for s, cid in containers.items()},
            "shims": {s: _proc_cpu(shims[cid], children=True)
                      for s, cid in containers.items() if cid in shims}}


def measure(client, project: str | None, window: float) -> dict:
    load_before = load()
    first = sample(client, project)
    started = time.monotonic()
    time.sleep(window)
    last = sample(client, project)
    elapsed = time.monotonic() - started
    per_service = {s: round(last["containers"][s] - first["containers"][s], 3)
                   for s in first["containers"] if s in last["containers"]}
    shims = sum(last["shims"][s] - first["shims"][s] for s in first["shims"] if s in last["shims"])
    return {"window_s": round(elapsed, 1), "load_before": load_before, "load_after": load(),
            "containers_cpu_s": per_service,
            "containers_total_cpu_s": round(sum(per_service.values()), 3),
            "shims_cpu_s": round(shims, 3),
            "dockerd_containerd_cpu_s": round(last["engine"] - first["engine"], 3)}


def pct(cpu_s: float, window_s: float) -> float:
    return round(100 * cpu_s / window_s, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of the compose file to compare")
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--name", default=REPLICA, help="the throwaway replica's name")
    parser.add_argument("--no-bare", action="store_true",
                        help="skip the bare `docker compose up -d --wait` timings (a busy machine)")
    args = parser.parse_args()
    settings = replace(from_environment().with_name(args.name), pinned_ports={})
    old = Path(tempfile.mkdtemp(prefix="idle-bench-")) / "docker-compose.staging.yml"
    old.write_text(subprocess.run(["git", "-C", str(ROOT), "show",
                                   f"{args.before}:docker-compose.staging.yml"],
                                  check=True, capture_output=True, text=True).stdout)
    variants = {"before": old, "after": None}
    client = health.engine_client()
    services = up(settings, seed=False).services  # images built, compose env written
    timings = {name: {"staging_up": [], "bare_compose_up_wait": []} for name in variants}
    try:
        down(settings, volumes=True)
        idle = {"engine_alone_first": measure(client, None, args.window)}
        for round_ in range(args.rounds):
            for name, path in variants.items():
                with compose_file(path):
                    down(settings, volumes=True)
                    timings[name]["staging_up"].append(timed(lambda: up(settings, seed=False)))
                    if round_ == 0:   # idle, from the moment `up` returns
                        idle[name] = measure(client, settings.project, args.window)
                    if not args.no_bare:
                        down(settings, volumes=True)
                        timings[name]["bare_compose_up_wait"].append(
                            timed(lambda: bare_up(settings, services)))
        down(settings, volumes=True)
        idle["engine_alone_last"] = measure(client, None, args.window)
    finally:
        with compose_file(None):
            down(settings, volumes=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "idle_cost.json").write_text(json.dumps({"idle": idle, "up_timings": timings}) + "\n")
    result = summarise(args, timings, idle)
    (RESULTS / "idle_cost.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "idle_cost.md").write_text(render(result))
    print(render(result))


def summarise(args, timings: dict, idle: dict) -> dict:
    alone = [idle["engine_alone_first"], idle["engine_alone_last"]]
    engine_alone_rate = statistics.mean(m["dockerd_containerd_cpu_s"] / m["window_s"] for m in alone)
    summary = {}
    for name in ("before", "after"):
        m = idle[name]
        engine_extra = max(0.0, m["dockerd_containerd_cpu_s"] - engine_alone_rate * m["window_s"])
        summary[name] = {
            "containers_pct_of_a_core": pct(m["containers_total_cpu_s"], m["window_s"]),
            "engine_pct_of_a_core": pct(engine_extra + m["shims_cpu_s"], m["window_s"]),
            "staging_up_median_s": statistics.median(t["s"] for t in timings[name]["staging_up"]),
            "bare_compose_up_wait_median_s": statistics.median(
                t["s"] for t in timings[name]["bare_compose_up_wait"]) if not args.no_bare else None,
        }
    summary["after"]["staging_up_vs_bare_before"] = round(
        summary["after"]["staging_up_median_s"] / summary["before"]["bare_compose_up_wait_median_s"],
        2) if not args.no_bare else None
    return {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "engine": subprocess.getoutput("docker version --format '{{.Server.Version}}'"),
            "before": args.before, "window_s": args.window, "rounds": args.rounds,
            "summary": summary, "idle": idle, "up_timings": timings,
            "engine_alone_pct_of_a_core": round(100 * engine_alone_rate, 2),
            "targets": {"containers_pct_max": 2, "engine_pct_max": 2, "up_ratio_max": 1.1}}


def render(r: dict) -> str:
    s, idle = r["summary"], r["idle"]

    def loads(m):
        return f"{m['load_before'][0]:.1f}→{m['load_after'][0]:.1f}"

    def up_loads(name, kind):
        runs = r["up_timings"][name][kind]
        return ", ".join(f"{t['s']:.1f} s ({t['load_before'][0]:.1f})" for t in runs)

    lines = [f"Idle cost and start-up ({r['when']}, {r['machine']}, engine {r['engine']}); "
             f"before = compose file of `{r['before']}`, after = this checkout's.", "",
             "| measure | before | after | target |", "|---|---|---|---|"]
    lines.append(f"| containers, % of one core over {r['window_s']:.0f} s idle (load 1 min) "
                 f"| {s['before']['containers_pct_of_a_core']} % ({loads(idle['before'])}) "
                 f"| {s['after']['containers_pct_of_a_core']} % ({loads(idle['after'])}) | ≤ 2 % |")
    lines.append(f"| engine (dockerd + containerd above their {r['engine_alone_pct_of_a_core']} % "
                 f"without the replica, + its shims), % of one core "
                 f"| {s['before']['engine_pct_of_a_core']} % | {s['after']['engine_pct_of_a_core']} % "
                 f"| ≤ 2 % |")
    lines.append(f"| `staging.up`, nothing running → all healthy (median of {r['rounds']}) "
                 f"| {s['before']['staging_up_median_s']:.2f} s | {s['after']['staging_up_median_s']:.2f} s | |")
    if s["after"]["staging_up_vs_bare_before"] is not None:
        lines.append(f"| bare `docker compose up -d --wait` of the same file (median) "
                     f"| {s['before']['bare_compose_up_wait_median_s']:.2f} s "
                     f"| {s['after']['bare_compose_up_wait_median_s']:.2f} s | |")
        lines.append(f"| `staging.up` after vs bare compose before | | "
                     f"{s['after']['staging_up_vs_bare_before']}× | ≤ 1.1× |")
    else:
        lines.append("| bare `docker compose up -d --wait` | not measured in this run (--no-bare) | | |")
    lines += ["", "Per service, CPU seconds over the window:", "",
              "| service | before | after |", "|---|---|---|"]
    for service in idle["before"]["containers_cpu_s"]:
        lines.append(f"| {service} | {idle['before']['containers_cpu_s'][service]:.3f} "
                     f"| {idle['after']['containers_cpu_s'].get(service, float('nan')):.3f} |")
    lines.append(f"| shims (probe execs) | {idle['before']['shims_cpu_s']:.3f} "
                 f"| {idle['after']['shims_cpu_s']:.3f} |")
    lines.append(f"| dockerd + containerd (whole machine) | {idle['before']['dockerd_containerd_cpu_s']:.3f} "
                 f"| {idle['after']['dockerd_containerd_cpu_s']:.3f} |")
    lines += ["", "Each `up` (load average at its start): "]
    for name in ("before", "after"):
        for kind in ("staging_up", "bare_compose_up_wait"):
            if r["up_timings"][name][kind]:
                lines.append(f"- {name}, {kind}: {up_loads(name, kind)}")
    alone = [idle["engine_alone_first"], idle["engine_alone_last"]]
    lines.append(f"- dockerd + containerd with neither replica up: "
                 + ", ".join(f"{m['dockerd_containerd_cpu_s']:.2f} s over {m['window_s']:.0f} s "
                             f"(load {loads(m)})" for m in alone))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
