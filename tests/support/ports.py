"""Free loopback ports and waiting for a server to accept connections."""
from __future__ import annotations

import socket
import time

from replica.stack.ports import free_port  # noqa: F401 (the one free_port: the replica's own)


def wait_for_port(port: int, timeout: float = 15.0, proc=None) -> None:
    """Wait until 127.0.0.1:port accepts TCP connections; fail early if proc exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")
