"""The proxy's pure parts: message scanning, scale-to-zero bookkeeping, settings and the CLI."""
import struct
import subprocess
import sys

import pytest

from mocks.db_proxy.compute import Compute
from mocks.db_proxy.settings import Settings, SettingsError
from mocks.db_proxy.wire import MessageScanner, error_response

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


STREAM = (message(b"1") + message(b"T", b"x" * 30) + message(b"D", b"y" * 70_000)
          + message(b"C", b"SELECT 1\0") + message(b"Z", b"T") + message(b"2") + message(b"Z", b"I"))
EXPECTED = [(b"1", b""), (b"T", b""), (b"D", b""), (b"C", b""), (b"Z", b"T"), (b"2", b""),
            (b"Z", b"I")]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 6, 7, 64, 65_536])
def test_the_scanner_finds_every_message_whatever_the_chunking(size):
    scanner = MessageScanner()
    found = []
    for start in range(0, len(STREAM), size):
        found += scanner.feed(STREAM[start:start + size])
    assert found == EXPECTED


def test_error_response_is_a_well_formed_message():
    packet = error_response("57P03", "waking", detail="d")
    assert packet[:1] == b"E" and struct.unpack("!I", packet[1:5])[0] == len(packet) - 1
    assert b"C57P03\0" in packet and b"Mwaking\0" in packet and packet.endswith(b"\0\0")


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_compute_sleeps_after_idle_and_wakes_after_the_cold_start():
    clock = Clock()
    compute = Compute(idle_s=300, cold_start_s=0.5, clock=clock)
    clock.now += 1000
    assert not compute.should_suspend(busy=False)  # unused yet: its idle clock has not started
    compute.touch()
    clock.now += 299
    assert not compute.should_suspend(busy=False)
    clock.now += 1
    assert not compute.should_suspend(busy=True)  # a query or transaction keeps it awake
    assert compute.should_suspend(busy=False)
    compute.suspend()
    assert compute.admit() == 0.5                   # this connection starts the wake-up
    clock.now += 0.3
    assert compute.admit() == pytest.approx(0.2)    # still waking
    clock.now += 0.2
    assert compute.admit() == 0                     # awake
    compute.touch()
    assert not compute.should_suspend(busy=False)   # and its idle time starts again


def test_a_compute_without_cold_start_never_sleeps():
    clock = Clock()
    compute = Compute(idle_s=1, cold_start_s=0, clock=clock)
    compute.touch()
    clock.now += 3600
    assert not compute.should_suspend(busy=False) and compute.admit() == 0


def test_settings_come_from_the_environment_with_flags_winning():
    env = {"DB_PROXY_LISTEN": "0.0.0.0:6000", "DB_PROXY_UPSTREAM": "db:5432",
           "DB_PROXY_LATENCY_MS": "25", "DB_PROXY_TLS": "REQUIRE"}
    settings = Settings.from_env(env, listen="127.0.0.1:7000")
    assert settings.listen == ("127.0.0.1", 7000) and settings.upstream == ("db", 5432)
    assert settings.latency_ms == 25 and settings.tls == "require"
    assert settings.idle_s == 300 and not settings.scale_to_zero


@pytest.mark.parametrize("env, complaint", [
    ({}, "no upstream"),
    ({"DB_PROXY_UPSTREAM": "db"}, "HOST:PORT"),
    ({"DB_PROXY_UPSTREAM": "db:99999"}, "HOST:PORT"),
    ({"DB_PROXY_UPSTREAM": "db:5432", "DB_PROXY_LATENCY_MS": "slow"}, "must be a number"),
    ({"DB_PROXY_UPSTREAM": "db:5432", "DB_PROXY_COLD_START_MS": "-1"}, "must not be negative"),
    ({"DB_PROXY_UPSTREAM": "db:5432", "DB_PROXY_IDLE_S": "0"}, "must be positive"),
    ({"DB_PROXY_UPSTREAM": "db:5432", "DB_PROXY_TLS": "verify-full"}, "off, require"),
    ({"DB_PROXY_UPSTREAM": "db:5432", "DB_PROXY_COLD_START_MODE": "hang"}, "refuse, delay"),
])
def test_bad_settings_are_refused_with_the_variable_named(env, complaint):
    with pytest.raises(SettingsError, match=complaint):
        Settings.from_env(env)


def test_the_cli_exits_2_with_the_reason_on_bad_settings():
    done = subprocess.run([sys.executable, "-m", "mocks.db_proxy", "--listen", "127.0.0.1:0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "DB_PROXY_TLS": "maybe"})
    assert done.returncode == 2
    assert "db-proxy: no upstream" in done.stderr
