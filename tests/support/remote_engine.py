"""A second Docker engine on "another host": a network namespace with its own loopback, reached from
the test's namespace over a veth pair, running its own dockerd and an sshd.

The namespace's dockerd has its own data-root, exec-root, pidfile and socket (and so its own
containerd); its sshd gives SSH sessions DOCKER_HOST=that socket, so `ssh … docker system
dial-stdio` (how the docker CLI, compose and the SDK speak to an ssh:// engine) reaches it. Both
run under `nsenter --net=`, not `ip netns exec`, which remounts /sys and breaks dockerd.

With `route_out`, the namespace reaches the package registries through NAT (its default route via
the veth, MASQUERADE on this machine's uplink, and forwarding of DNS, HTTP and HTTPS only), so
images are built on that engine as on another host; without it, it has no route out and images come
from this machine's engine (`load_images`). Everything added to this machine's firewall is removed
on exit, and ip_forward is set back if it was off.

    >>> with RemoteEngine(tmp_path / "remote", "remote-t1", route_out=True) as engine:
    ...     engine.load_images(["debian:bookworm-slim"])
    ...     env = engine.client_env()   # DOCKER_HOST=ssh://root@10.x.y.2:PORT, PATH with its ssh
    ...     # or DOCKER_HOST=engine.tcp_url, STAGING_ENGINE_SSH=engine.ssh_destination
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .sshd import Sshd, available as sshd_unavailable
from .waiting import wait_until

START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 60
LOAD_TIMEOUT_S = 1800
TCP_PORT = 2375  # the engine's API without TLS too, on the veth address only (a tcp:// engine)
# what the namespace may reach through NAT: DNS, and HTTP(S) for Debian's mirror and PyPI
OUTBOUND = (("udp", "53"), ("tcp", "53"), ("tcp", "80,443"))
IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")


def unavailable() -> str | None:
    """Return why no second engine can run here, or None when one can."""
    missing = [tool for tool in ("ip", "nsenter", "dockerd", "docker", "iptables")
               if not shutil.which(tool)]
    if missing:
        return f"missing on this machine: {', '.join(missing)}"
    return sshd_unavailable()


class RemoteEngine:
    """dockerd and sshd in a network namespace NAME; the client reaches it at `address`."""

    def __init__(self, folder: Path, name: str, route_out: bool = False):
        self.folder = folder
        self.route_out = route_out
        self._undo: list[list[str]] = []  # the firewall rules added, as the commands removing them
        self._forwarding_was: str | None = None
        self.name = name  # the namespace, its veth ends (NAME-h/-n, at most 15 chars) and folders
        self.subnet = random.randint(1, 250)
        self.address = f"10.231.{self.subnet}.2"
        self.run_dir = Path("/run") / name
        self.socket = self.run_dir / "docker.sock"
        self.dockerd: subprocess.Popen | None = None
        self.sshd: Sshd | None = None

    def __enter__(self) -> "RemoteEngine":
        try:
            self._make_namespace()
            if self.route_out:
                self._open_route_out()
            self._start_dockerd()
            self.sshd = Sshd(self.folder / "sshd", self.address, prefix=self._enter(),
                             session_env={"DOCKER_HOST": f"unix://{self.socket}"}).__enter__()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.sshd:
            self.sshd.__exit__()
        self._stop_dockerd()
        self._close_route_out()
        subprocess.run(["ip", "netns", "delete", self.name], capture_output=True)  # and its veth
        subprocess.run(["ip", "link", "delete", f"{self.name}-h"], capture_output=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        shutil.rmtree(self.folder / "data", ignore_errors=True)

    @property
    def url(self) -> str:
        return self.sshd.url

    @property
    def tcp_url(self) -> str:
        """The same engine as a tcp:// DOCKER_HOST (its ports still only on its loopback)."""
        return f"tcp://{self.address}:{TCP_PORT}"

    @property
    def ssh_destination(self) -> str:
        """This engine's host for STAGING_ENGINE_SSH (user@host:port)."""
        return f"root@{self.address}:{self.sshd.port}"

    def client_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a client of this engine: DOCKER_HOST over SSH, the test's ssh first."""
        env = {k: v for k, v in (base or os.environ).items() if k != "DOCKER_CONTEXT"}
        env["DOCKER_HOST"] = self.url
        env["PATH"] = f"{self.sshd.bin_dir}:{env.get('PATH', '')}"
        return env

    def local_docker(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """Run the docker CLI against this engine's socket directly (not over SSH)."""
        env = {**os.environ, "DOCKER_HOST": f"unix://{self.socket}"}
        return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, **kwargs)

    def in_namespace(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        """Run a command inside the namespace (its loopback is the engine's 127.0.0.1)."""
        return subprocess.run([*self._enter(), *command], capture_output=True, text=True, **kwargs)

    def load_images(self, references: list[str]) -> None:
        """Copy images from this machine's engine: `docker save | docker load` (no registry there)."""
        save = subprocess.Popen(["docker", "save", *references], stdout=subprocess.PIPE,
                                env={k: v for k, v in os.environ.items() if k != "DOCKER_HOST"})
        load = subprocess.run(["docker", "load", "--quiet"], stdin=save.stdout, capture_output=True,
                              text=True, timeout=LOAD_TIMEOUT_S,
                              env={**os.environ, "DOCKER_HOST": f"unix://{self.socket}"})
        save.stdout.close()
        if save.wait(timeout=60) != 0 or load.returncode != 0:
            raise RuntimeError(f"docker save | docker load failed: {load.stderr[-800:]}")

    def _enter(self) -> tuple[str, ...]:
        return ("nsenter", f"--net=/run/netns/{self.name}")

    def _make_namespace(self) -> None:
        host_end, ns_end = f"{self.name}-h", f"{self.name}-n"
        for command in (["ip", "netns", "add", self.name],
                        ["ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end],
                        ["ip", "link", "set", ns_end, "netns", self.name],
                        ["ip", "addr", "add", f"10.231.{self.subnet}.1/30", "dev", host_end],
                        ["ip", "link", "set", host_end, "up"],
                        [*self._enter(), "ip", "addr", "add", f"{self.address}/30", "dev", ns_end],
                        [*self._enter(), "ip", "link", "set", ns_end, "up"],
                        [*self._enter(), "ip", "link", "set", "lo", "up"]):
            subprocess.run(command, check=True, capture_output=True)

    def _open_route_out(self) -> None:
        """NAT the namespace's DNS, HTTP and HTTPS out through this machine's default route."""
        uplink = _default_interface()
        subnet, host_end = f"10.231.{self.subnet}.0/30", f"{self.name}-h"
        tag = ["-m", "comment", "--comment", f"mina-staging test {self.name}"]
        rules = [("nat", "POSTROUTING", ["-s", subnet, "-o", uplink, "-j", "MASQUERADE"]),
                 ("filter", "FORWARD", ["-i", uplink, "-o", host_end, "-m", "conntrack",
                                        "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]),
                 *[("filter", "FORWARD", ["-i", host_end, "-o", uplink, "-p", protocol, "-m",
                                          "multiport", "--dports", ports, "-j", "ACCEPT"])
                   for protocol, ports in OUTBOUND]]
        for table, chain, spec in rules:
            subprocess.run(["iptables", "-t", table, "-I", chain, "1", *spec, *tag], check=True,
                           capture_output=True)
            self._undo.append(["iptables", "-t", table, "-D", chain, *spec, *tag])
        self._forwarding_was = IP_FORWARD.read_text().strip()
        if self._forwarding_was != "1":
            IP_FORWARD.write_text("1\n")
        subprocess.run([*self._enter(), "ip", "route", "add", "default", "via",
                        f"10.231.{self.subnet}.1"], check=True, capture_output=True)

    def _close_route_out(self) -> None:
        for command in reversed(self._undo):
            subprocess.run(command, capture_output=True)
        self._undo.clear()
        if self._forwarding_was not in (None, "1"):
            IP_FORWARD.write_text(self._forwarding_was + "\n")
        self._forwarding_was = None

    def _start_dockerd(self) -> None:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "dockerd.log", "w")
        self.dockerd = subprocess.Popen(
            [*self._enter(), "dockerd", "--data-root", str(data),
             "--exec-root", str(self.run_dir / "exec"), "--pidfile", str(self.run_dir / "docker.pid"),
             "-H", f"unix://{self.socket}", "-H", f"tcp://{self.address}:{TCP_PORT}",
             "--cgroup-parent", self.name],
            stdout=log, stderr=log, start_new_session=True)
        wait_until(lambda: self.dockerd.poll() is not None or
                   self.local_docker("version", "--format", "{{.Server.Version}}").returncode == 0,
                   "the namespace's dockerd answered", timeout=START_TIMEOUT_S, pause=0.5)
        if self.dockerd.poll() is not None:
            raise RuntimeError(f"dockerd exited: {(self.folder / 'dockerd.log').read_text()[-800:]}")

    def _stop_dockerd(self) -> None:
        if self.dockerd is None or self.dockerd.poll() is not None:
            return
        for container in self.local_docker("ps", "-aq").stdout.split():
            self.local_docker("rm", "--force", "--volumes", container, timeout=STOP_TIMEOUT_S)
        self.dockerd.send_signal(signal.SIGTERM)  # nsenter passes it on to dockerd
        try:
            self.dockerd.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.dockerd.pid, signal.SIGKILL)
            self.dockerd.wait()
        time.sleep(0.5)  # its containerd follows it


def _default_interface() -> str:
    """The interface of this machine's default route (its way out)."""
    words = subprocess.run(["ip", "route", "show", "default"], capture_output=True, text=True,
                           check=True).stdout.split()
    if "dev" not in words:
        raise RuntimeError("this machine has no default route: the namespace cannot route out")
    return words[words.index("dev") + 1]
