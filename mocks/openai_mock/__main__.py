"""Run mock-openai: `python -m mocks.openai_mock --host 0.0.0.0 --port 8080` (HOST/PORT env as defaults)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

import uvicorn

from .app import create_app
from .settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    """Parse flags, build the app and serve it until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m mocks.openai_mock", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--profile", default=None, help="fault profile (overrides MOCK_OPENAI_PROFILE)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.profile is not None:
            settings = dataclasses.replace(settings, profile=args.profile)
        app = create_app(settings)
    except SettingsError as exc:
        print(f"mock-openai: {exc}", file=sys.stderr)
        return 2
    print(f"mock-openai listening on http://{args.host}:{args.port} profile={settings.profile or 'healthy'}",
          flush=True)
    # uvicorn writes access lines at INFO, so the level follows the access-log switch.
    uvicorn.run(app, host=args.host, port=args.port, log_level="info" if settings.access_log else "warning",
                access_log=settings.access_log, lifespan="off", timeout_graceful_shutdown=5,
                timeout_keep_alive=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
