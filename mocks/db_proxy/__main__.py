"""Run db-proxy: `python -m mocks.db_proxy --listen HOST:PORT --upstream HOST:PORT` (DB_PROXY_* env)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .server import Proxy
from .settings import Settings, SettingsError
from .tls import TLSSetupError, self_signed_context


async def serve(settings: Settings) -> None:
    """Start the proxy and run it until SIGTERM or SIGINT."""
    context = self_signed_context() if settings.tls == "require" else None
    proxy = await Proxy(settings, context).start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    host, port = settings.listen
    print(f"db-proxy listening on {host}:{proxy.port} -> {settings.upstream[0]}:{settings.upstream[1]}"
          f" (latency {settings.latency_ms:g}ms, tls {settings.tls}, cold start "
          f"{settings.cold_start_ms:g}ms after {settings.idle_s:g}s idle"
          f"{', ' + settings.cold_start_mode if settings.scale_to_zero else ': off'})", flush=True)
    await stop.wait()
    await proxy.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse flags over the environment, then serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m mocks.db_proxy", description=__doc__)
    parser.add_argument("--listen", help="HOST:PORT to accept clients on (DB_PROXY_LISTEN)")
    parser.add_argument("--upstream", help="HOST:PORT of the real PostgreSQL (DB_PROXY_UPSTREAM)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="db-proxy: %(message)s", stream=sys.stdout)
    try:
        settings = Settings.from_env(listen=args.listen, upstream=args.upstream)
        asyncio.run(serve(settings))
    except (SettingsError, TLSSetupError) as exc:
        print(f"db-proxy: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
