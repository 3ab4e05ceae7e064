"""Idle CPU of the app under staging's command with `--reload`: gunicorn's polling engine vs the
image's inotify engine (docker/python/gunicorn_replica.conf.py), side by side in one window.

Two extra containers of the replica's app image run on its network beside its own app, with its
environment and command: one as the image has it (GUNICORN_CMD_ARGS names the config: inotify),
one with GUNICORN_CMD_ARGS empty (gunicorn's default: a poll of every loaded module each second).
Once both have booted, their cgroups' CPU is read over --window s. Nothing is published; both are
removed after. The load average is kept beside the figures. Writes bench/results/reload_idle.json
and .md.

    STAGING_NAME=watch PYTHONPATH=. .venv/bin/python bench/reload_idle.py [--window 60]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import time
from datetime import datetime, timezone
from pathlib import Path

from dotenv import dotenv_values

from idle_cost import _container_cpu, load
from replica.commands.service import running_stack
from replica.engine import health
from replica.stack.settings import from_environment

RESULTS = Path(__file__).parent / "results"
ENGINES = {"poll (gunicorn's default)": "", "inotify (the image's)": None}
BOOT_S = 45  # both workers of both containers booted, their imports done, at any load seen here


def start(client, stack, name: str, cmd_args: str | None):
    environment = dict(dotenv_values(stack.settings.state_dir / "app.env"))
    if cmd_args is not None:
        environment["GUNICORN_CMD_ARGS"] = cmd_args
    return client.containers.run(stack.compose_env["APP_IMAGE"],
                                 shlex.split(stack.compose_env["APP_COMMAND"]), name=name,
                                 environment=environment, network=f"{stack.settings.project}_default",
                                 detach=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60)
    args = parser.parse_args()
    stack = running_stack(from_environment())
    client = health.engine_client()
    containers = {}
    try:
        for index, (engine, cmd_args) in enumerate(ENGINES.items()):
            containers[engine] = start(client, stack, f"{stack.settings.name}-reload-bench-{index}",
                                       cmd_args)
        time.sleep(BOOT_S)
        load_before = load()
        first = {engine: _container_cpu(client, c.id) for engine, c in containers.items()}
        started = time.monotonic()
        time.sleep(args.window)
        last = {engine: _container_cpu(client, c.id) for engine, c in containers.items()}
        elapsed = time.monotonic() - started
        engines_seen = {engine: c.exec_run(["sh", "-c", "ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c inotify"])
                        .output.decode().strip() for engine, c in containers.items()}
    finally:
        for container in containers.values():
            container.remove(force=True)
    pct = {engine: round(100 * (last[engine] - first[engine]) / elapsed, 2) for engine in containers}
    (poll, poll_pct), (inotify, inotify_pct) = pct.items()
    result = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores", "window_s": round(elapsed, 1),
              "load_before": load_before, "load_after": load(), "pct_of_a_core": pct,
              "inotify_descriptors": engines_seen,
              "inotify_vs_poll": round(inotify_pct / poll_pct, 2) if poll_pct else None}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reload_idle.json").write_text(json.dumps(result, indent=2) + "\n")
    text = "\n".join([
        f"Idle app container, staging's command with `--reload`, side by side over "
        f"{result['window_s']:.0f} s ({result['when']}, {result['machine']}, load "
        f"{load_before[0]:.1f}→{result['load_after'][0]:.1f}).", "",
        "| reload engine | % of one core | inotify descriptors in the container |", "|---|---|---|",
        *[f"| {engine} | {value} % | {engines_seen[engine]} |" for engine, value in pct.items()],
        f"| ratio inotify / poll | {result['inotify_vs_poll']}× | |", ""])
    (RESULTS / "reload_idle.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
