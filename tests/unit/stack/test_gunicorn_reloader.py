"""The app image's `--reload` engine (docker/python/gunicorn_replica.conf.py): a changed module
restarts the worker, other files do not, and it works under eventlet's monkey-patching with
DEBUG=True in the environment (where gunicorn's own inotify engine cannot)."""
from __future__ import annotations

import os
import runpy
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "docker" / "python" / "gunicorn_replica.conf.py"


@pytest.fixture
def settings():
    """The config file's names, as gunicorn executes it (gunicorn's engines put back after)."""
    from gunicorn import reloader

    engines = dict(reloader.reloader_engines)
    yield runpy.run_path(str(CONFIG))
    reloader.reloader_engines.clear()
    reloader.reloader_engines.update(engines)


def test_the_config_selects_its_inotify_engine(settings):
    from gunicorn import reloader

    assert settings["reload_engine"] == "inotify"
    assert reloader.reloader_engines["inotify"] is settings["InotifyReloader"]


def test_a_changed_module_calls_back_and_other_files_do_not(tmp_path, settings):
    engine = settings["InotifyReloader"]
    (tmp_path / "watched_probe_module.py").write_text("X = 1\n")
    extra = tmp_path / "settings.cfg"
    extra.write_text("a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import watched_probe_module  # noqa: F401  (a loaded module: its folder is watched)
        seen, called = [], threading.Event()
        reloading = engine(extra_files=[str(extra)],
                           callback=lambda path: (seen.append(path), called.set()))
        reloading.start()
        wait_until(lambda: str(tmp_path) in reloading._directories.values(), "the module's folder watched")
        (tmp_path / "notes.txt").write_text("not a module\n")
        (tmp_path / "watched_probe_module.py").write_text("X = 2\n")
        wait_until(called.is_set, "a call back for the changed module", timeout=60)
        assert seen == [str(tmp_path / "watched_probe_module.py")]
        assert reloading.changed([]) == []
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("watched_probe_module", None)


def test_it_waits_cooperatively_under_eventlet_with_debug_set(tmp_path):
    script = textwrap.dedent(f"""
        import runpy, sys
        engine = runpy.run_path({str(CONFIG)!r})["InotifyReloader"]  # as gunicorn: before the patching
        import eventlet
        eventlet.monkey_patch()
        import threading, time
        sys.path.insert(0, {str(tmp_path)!r})
        import green_probe_module
        called = threading.Event()
        reloading = engine(callback=lambda path: called.set())
        reloading.start()
        ticks = []
        def tick():  # another green thread must keep running while the reloader waits
            for _ in range(20):
                ticks.append(1)
                eventlet.sleep(0.05)
        eventlet.spawn(tick).wait()
        open({str(tmp_path / "green_probe_module.py")!r}, "w").write("X = 2\\n")
        print("called" if called.wait(60) else "not called", len(ticks))
    """)
    (tmp_path / "green_probe_module.py").write_text("X = 1\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240,
                          env={**os.environ, "DEBUG": "True", "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["called", "20"]
