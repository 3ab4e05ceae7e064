"""Missing packages are installed once, one apt-get at a time, whoever asks at once."""
import subprocess
import threading
import time

from replica.core import system_packages


def test_two_callers_at_once_install_once_and_never_side_by_side(monkeypatch):
    installed, running, seen = set(), [], {"most": 0, "installs": 0}

    def which(binary):
        return f"/usr/bin/{binary}" if binary == "apt-get" or binary in installed else None

    def apt(command, **kwargs):
        running.append(command)
        seen["most"] = max(seen["most"], len(running))
        time.sleep(0.2)  # dpkg's lock is held this long: a second apt-get now would fail
        if command[1] == "install":
            seen["installs"] += 1
            installed.add("chromium")
        running.remove(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(system_packages.shutil, "which", which)
    monkeypatch.setattr(system_packages.subprocess, "run", apt)
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 0)
    errors = []

    def ask():
        try:
            system_packages.ensure(system_packages.BROWSER_BINARIES)
        except Exception as error:  # noqa: BLE001 - the assertion below names it
            errors.append(error)
    callers = [threading.Thread(target=ask) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(10)
    assert errors == [] and seen == {"most": 1, "installs": 1}
