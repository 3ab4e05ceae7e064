"""Fresh machine (no engine, no images) to a running, seeded stack: the README's `./dev staging.up`.

Refuses unless the machine is fresh: no engine answers and no `dockerd` runs, since a second run on
the same machine would time only what is left to do. The project's venv is made first (timed apart:
`./dev --version` installs it once per dependency change), then `./dev staging.up` is run with every
line of its output timestamped, and the phases are read off its progress lines. The load average is
recorded beside each figure. Writes bench/results/fresh_machine.json and .md.

    .venv/bin/python bench/fresh_machine.py      # or: python3 bench/fresh_machine.py before a venv
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_S = 150   # issue 16: fresh machine to running stack <= 2 min 30 s


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                          capture_output=True, text=True, timeout=15)
    return done.returncode == 0


def dockerd_runs() -> bool:
    return subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True).returncode == 0


def timed_lines(command: list[str]) -> tuple[int, float, list[tuple[float, str]]]:
    """Run command, its stderr merged into stdout; every line with its offset in seconds."""
    started = time.perf_counter()
    lines: list[tuple[float, str]] = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as process:
        for line in process.stdout:
            offset = round(time.perf_counter() - started, 2)
            lines.append((offset, line.rstrip()))
            print(f"[{offset:7.2f}] {line.rstrip()}", flush=True)
    return process.returncode, round(time.perf_counter() - started, 2), lines


def phases(lines: list[tuple[float, str]], total: float) -> list[dict]:
    """Each progress line (the tool's `•`/`✓` lines) and the time until the next one."""
    marks = [(offset, text.strip()) for offset, text in lines
             if text.strip()[:1] in {"•", "✓", "▸", "→"}]
    result = []
    for index, (offset, text) in enumerate(marks):
        end = marks[index + 1][0] if index + 1 < len(marks) else total
        result.append({"at_s": offset, "s": round(end - offset, 2), "line": text[:120]})
    return result


def main() -> int:
    if dockerd_runs() or engine_answers():
        print("fresh_machine: an engine already runs here: this bench needs a fresh machine "
              "(no dockerd, no images)", file=sys.stderr)
        return 2
    venv_existed = (ROOT / ".venv" / ".installed").exists()
    venv_load = load()
    venv_code, venv_s, _ = timed_lines(["./dev", "--version"])
    if venv_code != 0:
        print("fresh_machine: making the venv failed", file=sys.stderr)
        return 1
    up_load = load()
    code, total, lines = timed_lines(["./dev", "staging.up"])
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "venv": {"s": venv_s, "load_before": venv_load, "existed": venv_existed},
        "up": {"s": total, "exit": code, "load_before": up_load, "load_after": load(),
               "target_s": TARGET_S, "met": code == 0 and total <= TARGET_S},
        "phases": phases(lines, total),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fresh_machine.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(f"| {p['at_s']:.1f} | {p['s']:.1f} | {p['line'].replace('|', '/')} |"
                     for p in result["phases"])
    minutes, seconds = divmod(total, 60)
    (RESULTS / "fresh_machine.md").write_text(
        f"# Fresh machine to a running, seeded stack ({result['when']})\n\n"
        f"`./dev staging.up` on a machine with no engine and no images: **{int(minutes)} min "
        f"{seconds:.1f} s** (exit {code}; target {TARGET_S} s: "
        f"{'met' if result['up']['met'] else 'not met'}), load average "
        f"{up_load[0]:.2f} before, {result['up']['load_after'][0]:.2f} after, on "
        f"{os.cpu_count()} cores. Before it, the venv took {venv_s:.1f} s (load {venv_load[0]:.2f})"
        f"{': it existed already (made by an earlier ./dev), so it is in neither figure' if venv_existed else ''}.\n\n"
        "| at (s) | took (s) | progress line |\n|---:|---:|---|\n" + rows + "\n")
    print(f"[bench] fresh machine to running stack: {total:.1f} s (exit {code}, load "
          f"{up_load[0]:.2f} → {result['up']['load_after'][0]:.2f})")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
