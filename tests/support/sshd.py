"""A throwaway OpenSSH server and a client set up to trust it, for tests of remote engines.

The server has its own host key and config and accepts one key the test made; the client side is a
folder with that key, a known_hosts holding the server's key, an ssh config, and `bin/ssh`: a
wrapper running /usr/bin/ssh with that config. Put `bin` first on PATH and every ssh the tooling
runs (the docker CLI's, the SDK's, the tunnels') uses it; the user's own ~/.ssh is never read.

    >>> with Sshd(tmp_path, "127.0.0.1") as server:
    ...     env = {**os.environ, "PATH": f"{server.bin_dir}:{os.environ['PATH']}"}
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"
START_TIMEOUT_S = 30


def available() -> str | None:
    """Return why no test sshd can run here, or None when one can."""
    if os.geteuid() != 0:
        return "a test sshd needs root"
    if not Path(SSHD).is_file() or shutil.which("ssh") is None:
        return "OpenSSH's sshd and ssh are not installed (Debian: openssh-server)"
    return None


class Sshd:
    """sshd on ADDRESS:port (inside a network namespace when `prefix` enters one)."""

    def __init__(self, folder: Path, address: str, port: int | None = None,
                 prefix: tuple[str, ...] = (), session_env: dict[str, str] | None = None):
        self.folder = folder
        self.address = address
        self.port = port or _free_port()
        self.prefix = prefix
        self.session_env = session_env or {}
        self.bin_dir = folder / "bin"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Sshd":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.bin_dir.mkdir(exist_ok=True)
        host_key, client_key = self.folder / "host_key", self.folder / "client_key"
        for key in (host_key, client_key):
            make_key(key)
        (self.folder / "authorized_keys").write_text(client_key.with_suffix(".pub").read_text())
        self.trust((host_key.with_suffix(".pub")).read_text())
        self._write_server_config(host_key)
        self._write_client(client_key)
        self.process = subprocess.Popen([*self.prefix, SSHD, "-D", "-e", "-f",
                                         str(self.folder / "sshd_config")],
                                        stdout=subprocess.DEVNULL,
                                        stderr=open(self.folder / "sshd.log", "w"))
        self._wait_listening()
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def url(self) -> str:
        """The DOCKER_HOST that reaches this server as root."""
        return f"ssh://root@{self.address}:{self.port}"

    def trust(self, public_host_key: str) -> None:
        """Make the client's known_hosts hold this key (and only it) for the server."""
        kind, key = public_host_key.split()[:2]
        (self.folder / "known_hosts").write_text(f"[{self.address}]:{self.port} {kind} {key}\n")

    def _write_server_config(self, host_key: Path) -> None:
        lines = [f"ListenAddress {self.address}:{self.port}", f"HostKey {host_key}",
                 f"AuthorizedKeysFile {self.folder / 'authorized_keys'}",
                 f"PidFile {self.folder / 'sshd.pid'}", "PasswordAuthentication no",
                 "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
                 "UsePAM no", "StrictModes no", "AllowTcpForwarding yes",
                 *[f"SetEnv {key}={value}" for key, value in self.session_env.items()]]
        (self.folder / "sshd_config").write_text("\n".join(lines) + "\n")
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory

    def _write_client(self, client_key: Path) -> None:
        config = self.folder / "ssh_config"
        config.write_text(f"Host *\n  IdentityFile {client_key}\n  IdentitiesOnly yes\n"
                          f"  UserKnownHostsFile {self.folder / 'known_hosts'}\n"
                          "  StrictHostKeyChecking yes\n  GlobalKnownHostsFile /dev/null\n")
        wrapper = self.bin_dir / "ssh"
        wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {config} "$@"\n')
        wrapper.chmod(0o755)

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        log = self.folder / "sshd.log"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited: {log.read_text()[-800:]}")
            if "Server listening" in log.read_text():
                return
            time.sleep(0.2)
        raise RuntimeError(f"sshd did not listen within {START_TIMEOUT_S} s: {log.read_text()[-800:]}")


def make_key(path: Path) -> Path:
    """Write a new ed25519 key pair at path (and path.pub), replacing one there."""
    for old in (path, path.with_suffix(".pub")):
        old.unlink(missing_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True,
                   stdin=subprocess.DEVNULL)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
