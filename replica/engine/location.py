"""Where the container engine is: this machine, or another one reached over SSH.

Docker's own order decides it: `DOCKER_HOST`, else the context named by `DOCKER_CONTEXT`, else the
`currentContext` of the docker CLI's config.json (`$DOCKER_CONFIG`, default ~/.docker), else the
default socket. An `ssh://` engine is remote: its published ports stay on its own loopback and are
reached through SSH tunnels (replica/engine/tunnels.py). So is a `tcp://` engine on another host,
its API spoken over TCP and its ports reached over SSH to STAGING_ENGINE_SSH (user@host[:port]);
without that setting it is refused: nothing could reach its loopback ports (a `tcp://` engine on
this machine is local).

    >>> locate({"DOCKER_HOST": "ssh://deploy@build-box:2222"}).ssh_destination()
    ['-p', '2222', 'deploy@build-box']
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from ..core.errors import ConfigError, EngineError
from ..stack.settings import ENGINE_SSH_VARIABLE, engine_ssh

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
DEFAULT_CONTEXT = "default"
SSH_CONNECT_TIMEOUT_S = 10
# Every ssh the tooling runs: never a prompt (a password or an unknown host key fails, named).
SSH_OPTIONS = ("-o", "BatchMode=yes", "-o", f"ConnectTimeout={SSH_CONNECT_TIMEOUT_S}")
HOST_KEY_MISMATCH = ("REMOTE HOST IDENTIFICATION HAS CHANGED", "Host key verification failed")


@dataclass(frozen=True)
class EngineLocation:
    """The engine's address and the setting it came from (`DOCKER_HOST`, `docker context X`)."""

    host: str | None      # the engine's URL; None: the CLI's default socket
    setting: str          # what named it, for messages: DOCKER_HOST, docker context X
    switch_off: str = "unset DOCKER_HOST"  # how to use this machine's engine instead
    ssh: str | None = None  # a tcp:// engine's SSH destination (STAGING_ENGINE_SSH)

    @property
    def remote(self) -> bool:
        return self.over_ssh or self.ssh is not None

    @property
    def over_ssh(self) -> bool:
        """Whether the engine's API itself is spoken over SSH (ssh://)."""
        return urlsplit(self.host or "").scheme == "ssh"

    def describe(self) -> str:
        named = f"({self.setting}{'=' + self.host if self.host else ''})"
        if self.over_ssh:
            return f"over SSH at {urlsplit(self.host).hostname} {named}"
        if self.ssh:
            return (f"at {urlsplit(self.host).hostname}, ports over SSH "
                    f"({ENGINE_SSH_VARIABLE}={self.ssh}) {named}")
        return f"on this machine {named}"

    def ssh_destination(self) -> list[str]:
        """Return ssh's arguments naming the engine's host: [-p PORT] [user@]host."""
        parts = urlsplit(self.host if self.over_ssh else f"ssh://{self.ssh}")
        target = f"{parts.username}@{parts.hostname}" if parts.username else parts.hostname
        return (["-p", str(parts.port)] if parts.port else []) + [target]

    def check_reachable(self) -> None:
        """Log in over SSH once, so a refused key or an unreachable host is named before any work."""
        if not self.remote:
            return
        try:
            done = subprocess.run(["ssh", *SSH_OPTIONS, *self.ssh_destination(), "true"],
                                  capture_output=True, text=True,
                                  timeout=SSH_CONNECT_TIMEOUT_S + 20)
        except subprocess.TimeoutExpired:
            raise EngineError(f"the engine at {self.setting}={self.host} does not answer over SSH "
                              f"within {SSH_CONNECT_TIMEOUT_S + 20} s",
                              hint=f"check the host is up, or {self.switch_off}") from None
        if done.returncode != 0:
            raise ssh_failure(self, done.stderr)


def ssh_failure(location: EngineLocation, stderr: str) -> Exception:
    """Turn ssh's stderr into one error naming the setting: a changed host key, a refused login,
    or an unreachable host."""
    last = next((line.strip() for line in reversed(stderr.strip().splitlines()) if line.strip()),
                "ssh failed")
    named = f"{location.setting}={location.host}" + (
        f", {ENGINE_SSH_VARIABLE}={location.ssh}" if location.ssh else "")
    if any(marker in stderr for marker in HOST_KEY_MISMATCH):
        host = location.ssh_destination()[-1].split("@")[-1]
        return ConfigError(f"the SSH host key of {host} does not match "
                           f"known_hosts ({named}): {last}",
                           hint="if the host was reinstalled, `ssh-keygen -R HOST` and connect once "
                                "by hand to check its new key; otherwise do not connect")
    if "Permission denied" in stderr:
        return ConfigError(f"SSH refused the login at {named}: {last}",
                           hint="add your key to the remote user's authorized_keys (ssh-copy-id)")
    return EngineError(f"the engine at {named} is unreachable: {last}",
                       hint=f"check the host and port, or {location.switch_off} to use this "
                            "machine's engine")


def locate(environ: dict[str, str] | None = None) -> EngineLocation:
    """Return where the docker CLI's engine is, by docker's own order (see the module's doc)."""
    env = os.environ if environ is None else environ
    if env.get("DOCKER_HOST"):
        return _checked(EngineLocation(env["DOCKER_HOST"], "DOCKER_HOST"), env)
    if env.get("DOCKER_CONTEXT"):
        return _context(env["DOCKER_CONTEXT"], "DOCKER_CONTEXT", "unset DOCKER_CONTEXT", env)
    current = _current_context(env)
    if current and current != DEFAULT_CONTEXT:
        return _context(current, f"currentContext in {config_dir(env) / 'config.json'}",
                        "run `docker context use default`", env)
    return EngineLocation(None, "the default socket")


def _context(name: str, named_by: str, switch_off: str, env) -> EngineLocation:
    if shutil.which("docker") is None:
        raise EngineError(f"docker context {name!r} ({named_by}) needs the docker CLI, not found",
                          hint="install the docker CLI")
    done = subprocess.run(["docker", "context", "inspect", name], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items()
                               if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")})
    if done.returncode != 0:
        raise ConfigError(f"docker context {name!r} ({named_by}) does not exist",
                          hint=f"`docker context ls` lists them; or {switch_off} for this "
                               "machine's engine")
    try:
        host = json.loads(done.stdout)[0]["Endpoints"]["docker"]["Host"]
    except (ValueError, LookupError, TypeError):
        raise EngineError(f"`docker context inspect {name}` gave no engine address") from None
    return _checked(EngineLocation(host or None, f"docker context {name}", switch_off), env)


def _checked(location: EngineLocation, env) -> EngineLocation:
    parts = urlsplit(location.host or "")
    if parts.scheme == "tcp" and parts.hostname not in LOOPBACK_HOSTS:
        ssh = engine_ssh(env)
        if ssh is None:
            raise ConfigError(f"{location.setting}={location.host}: a tcp:// engine on another "
                              f"host needs {ENGINE_SSH_VARIABLE} (its ports stay on that host's "
                              "loopback, which only an SSH tunnel reaches)",
                              hint=f"set {ENGINE_SSH_VARIABLE}=USER@{parts.hostname}, or use "
                                   f"DOCKER_HOST=ssh://USER@{parts.hostname}")
        return replace(location, ssh=ssh)
    if parts.scheme == "ssh" and not parts.hostname:
        raise ConfigError(f"{location.setting}={location.host} names no host",
                          hint="e.g. ssh://user@build-box or ssh://user@build-box:2222")
    if parts.scheme not in ("", "unix", "npipe", "tcp", "ssh", "fd"):
        raise ConfigError(f"{location.setting}={location.host}: unknown scheme {parts.scheme!r}",
                          hint="unix:///path, ssh://user@host, or tcp://127.0.0.1:PORT")
    return location


def _current_context(env) -> str | None:
    try:
        config = json.loads((config_dir(env) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    return config.get("currentContext") if isinstance(config, dict) else None


def config_dir(env=None) -> Path:
    """The docker CLI's configuration folder: $DOCKER_CONFIG, else ~/.docker (its contexts, plugins)."""
    env = os.environ if env is None else env
    return Path(env.get("DOCKER_CONFIG") or Path.home() / ".docker")
