"""Debian packages the test suites need on the host, installed only when missing (and root).

One install at a time in a process: the gate's smoke runs go side by side, and a second apt-get
while the first holds dpkg's lock fails (the browser checks then fail for the machine's sake).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading

from . import console
from .errors import ConfigError

# binary on PATH → the Debian package that provides it
UNIT_TEST_BINARIES = {"redis-server": "redis-server"}
BROWSER_BINARIES = {"chromium": "chromium"}  # Playwright drives it directly: no chromedriver
# the stack tiers: a browser, and OpenSSH for the remote-engine tests' sshd and tunnels
STACK_TEST_BINARIES = {**BROWSER_BINARIES, "/usr/sbin/sshd": "openssh-server",
                       "ssh": "openssh-client"}
_INSTALLING = threading.Lock()


def ensure(binaries: dict[str, str]) -> None:
    """Install the packages of missing binaries with apt, or say how when that is not possible."""
    if not _missing(binaries):
        return
    with _INSTALLING:  # a caller that waited here finds them installed
        _install(_missing(binaries))


def _missing(binaries: dict[str, str]) -> list[str]:
    return sorted({package for binary, package in binaries.items() if not shutil.which(binary)})


def _install(missing: list[str]) -> None:
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ConfigError(f"missing on this machine: {', '.join(missing)}",
                          hint=f"install them (Debian/Ubuntu: sudo apt-get install {' '.join(missing)})")
    console.info(f"installing {', '.join(missing)} with apt (once)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]):
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise ConfigError(f"`{' '.join(command)}` failed: {done.stderr.strip()[-600:]}")
