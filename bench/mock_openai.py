"""Benchmark mock-openai: chat completions per second and the latency the mock adds, plain requests and
requests with tools or a json_schema measured side by side in one run.

Starts `python -m mocks.openai_mock` on a free loopback port (journal on, as in the stack), then, for each
request body in turn and for several rounds (interleaved, so the machine's other load falls on each alike):
  1. throughput: a raw keep-alive HTTP/1.1 client, C connections, N requests (bounded in count and time);
  2. latency: one connection, sequential requests; the median round trip is what the mock adds to a call;
and finally the official `openai` SDK, sequential, end to end (SDK parsing included), for reference.
Writes bench/results/mock_openai.json and .md (the load average beside each figure) and prints the figures.

    .venv/bin/python bench/mock_openai.py [--requests 6000] [--connections 8] [--rounds 3] [--seconds 60]

Bodies: `plain` (a summary request); `tools` offers two strict function tools and names one (the answer is
a tool call whose arguments are filled from its schema); `schema` asks for a strict `json_schema` response
format. Targets: each >= 500 req/s; tools and schema add < 2 ms to the plain request's median.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
KEY = "sk-staging-local"
TRANSCRIPT = " ".join(
    "Alice said the launch moves to March because the budget review comes first. Bob owns the checklist "
    "and will share the draft with the design team on Monday. We agreed to track risks weekly.".split() * 6
)
MESSAGES = [{"role": "system", "content": "Summarize this meeting."}, {"role": "user", "content": TRANSCRIPT}]
_ACTION = {"type": "object", "additionalProperties": False, "required": ["owner", "task", "due", "priority"],
           "properties": {"owner": {"type": "string"}, "task": {"type": "string"},
                          "due": {"type": ["string", "null"], "format": "date"},
                          "priority": {"type": "string", "enum": ["low", "medium", "high"]}}}
_MINUTES = {"type": "object", "additionalProperties": False, "required": ["title", "decisions", "actions"],
            "properties": {"title": {"type": "string"}, "decisions": {"type": "array", "items": {"type": "string"}},
                           "actions": {"type": "array", "items": {"$ref": "#/$defs/action"}}},
            "$defs": {"action": _ACTION}}
EXTRA = {
    "plain": {},
    "tools": {"tools": [{"type": "function", "function": {"name": "create_task", "strict": True, "parameters": _ACTION}},
                        {"type": "function", "function": {"name": "save_minutes", "strict": True,
                                                          "parameters": _MINUTES}}],
              "tool_choice": {"type": "function", "function": {"name": "save_minutes"}}},
    "schema": {"response_format": {"type": "json_schema", "json_schema": {"name": "minutes", "strict": True,
                                                                         "schema": _MINUTES}}},
}
TARGET_RPS, TARGET_MEDIAN_MS, TARGET_EXTRA_MS = 500, 2.0, 2.0


def body_bytes(kind: str) -> bytes:
    """Return the JSON body of one chat completion request of that kind."""
    return json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES, **EXTRA[kind]}).encode()


def request_bytes(port: int, body: bytes) -> bytes:
    """Return one raw chat completion request."""
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> float:
    """Send one request on an open connection and return its round trip in seconds."""
    started = time.perf_counter()
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {head[:80]!r}")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    await reader.readexactly(length)
    return time.perf_counter() - started


async def load(port: int, raw: bytes, total: int, connections: int, seconds: float) -> tuple[list[float], float]:
    """Send `total` requests `raw` over `connections` keep-alive connections; stop early after `seconds`."""
    latencies, deadline = [], time.monotonic() + seconds
    remaining = [total]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while remaining[0] > 0 and time.monotonic() < deadline:
            remaining[0] -= 1
            latencies.append(await _one(reader, writer, raw))
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, time.perf_counter() - started


def sdk_latencies(port: int, body: bytes, count: int) -> list[float]:
    """Time sequential chat completions through the official SDK."""
    from openai import OpenAI

    out = []
    with OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0) as client:
        for _ in range(count):
            started = time.perf_counter()
            client.chat.completions.create(**json.loads(body))
            out.append(time.perf_counter() - started)
    return out


def percentiles(samples: list[float]) -> dict:
    """Return p50/p90/p99/max in milliseconds."""
    ordered = sorted(samples)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)  # noqa: E731
    return {"p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99), "max_ms": round(ordered[-1] * 1000, 3)}


def _load_range(loads: list[float]) -> str:
    return f"{min(loads):.1f}" if max(loads) - min(loads) < 0.05 else f"{min(loads):.1f}-{max(loads):.1f}"


def markdown(result: dict) -> str:
    """Render the result as the table in bench/results/mock_openai.md, one row per request body."""
    rows = []
    for kind, figures in result["bodies"].items():
        t, a, s = figures["throughput"], figures["added_latency"], figures["sdk_end_to_end"]
        extra = "" if kind == "plain" else f"{figures['extra_vs_plain_p50_ms']:+.3f} ms"
        rows.append((kind, f"{figures['body_bytes']}", f"{t['requests_per_second']:.0f} req/s",
                     f"p50 {t['p50_ms']} / p99 {t['p99_ms']} ms", f"{a['p50_ms']} ms", extra, f"{s['p50_ms']} ms",
                     _load_range(figures["load_average_1m"])))
    lines = [
        "# mock-openai benchmark", "",
        f"Measured {result['when']} on {result['machine']['cpus']} cores, Python {result['machine']['python']}, by "
        "`.venv/bin/python bench/mock_openai.py`: a raw keep-alive HTTP/1.1 client on the same machine against "
        "`python -m mocks.openai_mock` (journal on); the bodies interleaved over "
        f"{result['rounds']} rounds of {result['connections']} connections, so other load falls on each alike. "
        f"Targets (each >= {TARGET_RPS} req/s; plain median < {TARGET_MEDIAN_MS} ms; tools and schema add "
        f"< {TARGET_EXTRA_MS} ms to it): {'met' if result['meets_targets'] else 'NOT met'}.", "",
        "| body | bytes | throughput | latency under load | added latency, median (1 connection) | "
        "vs plain | official SDK end to end, median | load average (1 min) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *(f"| {' | '.join(row)} |" for row in rows), "",
    ]
    return "\n".join(lines)


def start_server() -> tuple[subprocess.Popen, int]:
    """Start mock-openai on a free port and wait until it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "mocks.openai_mock", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env={**os.environ, "MOCK_OPENAI_PROFILE": ""}, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("mock-openai did not start within 20 s")


def measure(port: int, kinds: list[str], args) -> dict:
    """Throughput and sequential latency per body, interleaved over `args.rounds` rounds; then the SDK's."""
    raws = {kind: request_bytes(port, body_bytes(kind)) for kind in kinds}
    spent = {kind: {"throughput": [], "elapsed": 0.0, "sequential": [], "loads": []} for kind in kinds}
    for kind in kinds:  # warm-up: every code path loaded before anything is timed
        asyncio.run(load(port, raws[kind], 300, args.connections, args.seconds))
    for _round in range(args.rounds):
        for kind in kinds:
            latencies, elapsed = asyncio.run(load(port, raws[kind], args.requests // args.rounds, args.connections,
                                                  args.seconds))
            sequential, _ = asyncio.run(load(port, raws[kind], min(2000, args.requests) // args.rounds, 1,
                                             args.seconds))
            figures = spent[kind]
            figures["throughput"] += latencies
            figures["elapsed"] += elapsed
            figures["sequential"] += sequential
            figures["loads"].append(round(os.getloadavg()[0], 2))
    return {kind: {"body_bytes": len(body_bytes(kind)),
                   "throughput": {"requests": len(f["throughput"]), "seconds": round(f["elapsed"], 3),
                                  "requests_per_second": round(len(f["throughput"]) / f["elapsed"], 1),
                                  **percentiles(f["throughput"])},
                   "added_latency": {"connections": 1, "requests": len(f["sequential"]), **percentiles(f["sequential"])},
                   "sdk_end_to_end": {"client": "openai SDK, sequential", "requests": 300,
                                      **percentiles(sdk_latencies(port, body_bytes(kind), 300))},
                   "load_average_1m": f["loads"]}
            for kind, f in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="throughput requests per body")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over the bodies")
    parser.add_argument("--seconds", type=float, default=60.0, help="time bound of each phase")
    args = parser.parse_args()
    proc, port = start_server()
    try:
        bodies = measure(port, list(EXTRA), args)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    plain = bodies["plain"]["added_latency"]["p50_ms"]
    for figures in bodies.values():
        figures["extra_vs_plain_p50_ms"] = round(figures["added_latency"]["p50_ms"] - plain, 3)
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "request": {"endpoint": "POST /v1/chat/completions", "stream": False},
        "rounds": args.rounds, "connections": args.connections, "bodies": bodies,
        "targets": {"requests_per_second": TARGET_RPS, "plain_median_ms": TARGET_MEDIAN_MS,
                    "extra_median_ms": TARGET_EXTRA_MS},
    }
    result["meets_targets"] = (plain < TARGET_MEDIAN_MS and all(
        f["throughput"]["requests_per_second"] >= TARGET_RPS and f["extra_vs_plain_p50_ms"] < TARGET_EXTRA_MS
        for f in bodies.values()))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "mock_openai.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "mock_openai.md").write_text(markdown(result))
    for kind, f in bodies.items():
        print(f"{kind:>6}: {f['throughput']['requests_per_second']:.0f} req/s ({f['throughput']['requests']} requests, "
              f"{args.connections} connections; p99 {f['throughput']['p99_ms']} ms), added p50 "
              f"{f['added_latency']['p50_ms']} ms ({f['extra_vs_plain_p50_ms']:+.3f} vs plain), SDK p50 "
              f"{f['sdk_end_to_end']['p50_ms']} ms, load {_load_range(f['load_average_1m'])}")
    print(f"targets: {'met' if result['meets_targets'] else 'NOT met'}")


if __name__ == "__main__":
    main()
