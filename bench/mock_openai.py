"""Benchmark mock-openai: non-stream chat completions per second and the latency the mock adds.

Starts `python -m mocks.openai_mock` on a free loopback port (journal on, as in the stack), then:
  1. throughput: a raw keep-alive HTTP/1.1 client, C connections, N requests (bounded in count and time);
  2. latency: one connection, sequential requests; the median round trip is what the mock adds to a call;
  3. the official `openai` SDK, sequential, end to end (SDK parsing included), for reference.
Writes bench/results/mock_openai.json and .md and prints the figures.

    .venv/bin/python bench/mock_openai.py [--requests 6000] [--connections 8] [--seconds 60] [--body plain]

`--body tools` offers two strict function tools and asks for one (the answer is a tool call whose
arguments are filled from its schema); `--body schema` asks for a strict `json_schema` response format.
Those write bench/results/mock_openai_<body>.json and .md.
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
BODY = b""  # set by main() from --body
TARGET_RPS, TARGET_MEDIAN_MS = 500, 2.0


def request_bytes(port: int) -> bytes:
    """Return one raw chat completion request."""
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n")
    return head.encode() + BODY


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


async def load(port: int, total: int, connections: int, seconds: float) -> tuple[list[float], float]:
    """Send `total` requests over `connections` keep-alive connections; stop early after `seconds`."""
    raw, latencies, deadline = request_bytes(port), [], time.monotonic() + seconds
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


def sdk_latencies(port: int, count: int) -> list[float]:
    """Time sequential chat completions through the official SDK."""
    from openai import OpenAI

    out = []
    with OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0) as client:
        for _ in range(count):
            started = time.perf_counter()
            client.chat.completions.create(**json.loads(BODY))
            out.append(time.perf_counter() - started)
    return out


def percentiles(samples: list[float]) -> dict:
    """Return p50/p90/p99/max in milliseconds."""
    ordered = sorted(samples)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)  # noqa: E731
    return {"p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99), "max_ms": round(ordered[-1] * 1000, 3)}


def markdown(result: dict) -> str:
    """Render the result as the short table in bench/results/mock_openai.md."""
    t, a, s = result["throughput"], result["added_latency"], result["sdk_end_to_end"]
    rows = [
        (f"Throughput, non-stream chat completions ({result['request']['body']} body)",
         f"{t['requests_per_second']:.0f} req/s",
         f">= {TARGET_RPS} req/s", f"{t['requests']} requests, {t['connections']} keep-alive connections"),
        ("Latency under that load", f"p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms", "", ""),
        ("Added latency, median (1 connection)", f"{a['p50_ms']} ms", f"< {TARGET_MEDIAN_MS} ms",
         f"p90 {a['p90_ms']} ms, p99 {a['p99_ms']} ms over {a['requests']} requests"),
        ("Official SDK end to end, median", f"{s['p50_ms']} ms", "", "includes the SDK's own parsing"),
    ]
    lines = [
        "# mock-openai benchmark", "",
        f"Measured {result['when']} on {result['machine']['cpus']} cores (load average "
        f"{result['machine']['load_average_1m_at_end']} from other work sharing them), "
        f"Python {result['machine']['python']}, "
        "by `.venv/bin/python bench/mock_openai.py` (raw keep-alive HTTP/1.1 client in the same machine; "
        "the mock is `python -m mocks.openai_mock` with its journal on). "
        f"Targets {'met' if result['meets_targets'] else 'NOT met'}.", "",
        "| Measure | Result | Target | Notes |", "| --- | --- | --- | --- |",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0, help="time bound of each phase")
    parser.add_argument("--body", choices=sorted(EXTRA), default="plain", help="what the requests ask for")
    args = parser.parse_args()
    global BODY
    BODY = json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES, **EXTRA[args.body]}).encode()
    proc, port = start_server()
    try:
        asyncio.run(load(port, 500, args.connections, args.seconds))  # warm-up
        latencies, elapsed = asyncio.run(load(port, args.requests, args.connections, args.seconds))
        sequential, _ = asyncio.run(load(port, min(2000, args.requests), 1, args.seconds))
        sdk = sdk_latencies(port, 500)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rps = len(latencies) / elapsed
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
        "request": {"endpoint": "POST /v1/chat/completions", "stream": False, "body": args.body,
                    "body_bytes": len(BODY)},
        "throughput": {"connections": args.connections, "requests": len(latencies), "seconds": round(elapsed, 3),
                       "requests_per_second": round(rps, 1), **percentiles(latencies)},
        "added_latency": {"connections": 1, "requests": len(sequential), **percentiles(sequential)},
        "sdk_end_to_end": {"client": "openai SDK, sequential", "requests": len(sdk), **percentiles(sdk)},
        "targets": {"requests_per_second": TARGET_RPS, "added_median_ms": TARGET_MEDIAN_MS},
    }
    result["meets_targets"] = rps >= TARGET_RPS and result["added_latency"]["p50_ms"] < TARGET_MEDIAN_MS
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "mock_openai" if args.body == "plain" else f"mock_openai_{args.body}"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(result))
    print(f"throughput: {rps:.0f} req/s over {len(latencies)} requests, {args.connections} connections "
          f"(p50 {result['throughput']['p50_ms']} ms, p99 {result['throughput']['p99_ms']} ms)")
    print(f"added latency (1 connection): p50 {result['added_latency']['p50_ms']} ms, "
          f"p99 {result['added_latency']['p99_ms']} ms")
    print(f"official SDK end to end: p50 {result['sdk_end_to_end']['p50_ms']} ms")
    print(f"targets (>= {TARGET_RPS} req/s, p50 < {TARGET_MEDIAN_MS} ms): "
          f"{'met' if result['meets_targets'] else 'NOT met'}")


if __name__ == "__main__":
    main()
