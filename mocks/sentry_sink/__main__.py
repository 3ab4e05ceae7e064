"""Run the sink: `python -m mocks.sentry_sink --host 0.0.0.0 --port 9000` (HOST/PORT env as defaults)."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from .app import create_app


def main(argv: list[str] | None = None) -> int:
    """Parse flags, build the app and serve it until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m mocks.sentry_sink", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "9000")))
    parser.add_argument("--max-events", type=int, default=None, help="events kept (SENTRY_SINK_MAX_EVENTS)")
    parser.add_argument("--max-spans", type=int, default=None, help="spans kept (SENTRY_SINK_MAX_SPANS)")
    args = parser.parse_args(argv)
    try:
        app = create_app(args.max_events, args.max_spans)
    except ValueError as exc:
        print(f"sentry-sink: {exc}", file=sys.stderr)
        return 2
    print(f"sentry-sink listening on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off",
                timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
