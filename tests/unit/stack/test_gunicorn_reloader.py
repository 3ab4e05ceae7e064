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


def test_a_changed_module_or_app_file_calls_back_and_other_files_do_not(tmp_path, settings):
    modules, app = tmp_path / "modules", tmp_path / "app"
    (app / "templates").mkdir(parents=True)
    modules.mkdir()
    (modules / "watched_probe_module.py").write_text("X = 1\n")

    class Engine(settings["InotifyReloader"]):
        trees = (str(app),)

    sys.path.insert(0, str(modules))
    try:
        import watched_probe_module  # noqa: F401  (a loaded module: its folder is watched)
        seen = []
        reloading = Engine(callback=seen.append)
        reloading.start()
        wait_until(lambda: {str(modules), str(app / "templates")} <= set(reloading._directories.values()),
                   "the module's folder and the app's folders watched")
        (modules / "notes.txt").write_text("not a module, not in the app's folders\n")
        (app / "templates" / "login.html").write_text("<h1>changed</h1>\n")
        wait_until(lambda: seen, "a call back for the changed template", timeout=60)
        assert seen == [str(app / "templates" / "login.html")]
    finally:
        sys.path.remove(str(modules))
        sys.modules.pop("watched_probe_module", None)


def test_only_what_needs_a_restart_is_named_among_events(tmp_path, settings):
    from inotify_simple import Event, flags

    class Engine(settings["InotifyReloader"]):
        trees = (str(tmp_path / "app"),)

    engine = Engine(callback=None)
    engine._directories = {1: str(tmp_path / "app"), 2: str(tmp_path / "lib")}
    (tmp_path / "app" / "new").mkdir(parents=True)
    events = [Event(1, flags.CREATE, 0, "page.html"), Event(1, flags.CLOSE_WRITE, 0, "page.html"),
              Event(2, flags.CLOSE_WRITE, 0, "notes.txt"), Event(2, flags.CLOSE_WRITE, 0, "mod.py"),
              Event(1, flags.CREATE | flags.ISDIR, 0, "new")]
    assert engine.changed(events) == [str(tmp_path / "app" / "page.html"), str(tmp_path / "lib" / "mod.py")]
    assert str(tmp_path / "app" / "new") in engine._directories.values()  # watched from now on


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
        class Engine(engine):
            trees = ()
        reloading = Engine(callback=lambda path: called.set())
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


def test_the_master_imports_the_app_s_libraries_and_names_one_it_cannot(settings, monkeypatch):
    when_ready = settings["when_ready"]
    warned = []
    server = type("Server", (), {"log": type("Log", (), {"warning": lambda self, *a: warned.append(a)})()})()
    monkeypatch.setitem(when_ready.__globals__, "LIBRARIES", ("colorsys", "no_such_library_here"))
    sys.modules.pop("colorsys", None)
    when_ready(server)
    assert "colorsys" in sys.modules
    assert [args[1] for args in warned] == ["no_such_library_here"]


def test_every_preloaded_library_is_one_the_app_can_import(settings):
    import importlib.util

    missing = [name for name in settings["LIBRARIES"] if importlib.util.find_spec(name) is None]
    assert missing == []  # the host venv holds app/requirements.txt, as the image does


@pytest.mark.parametrize("code, ends_now", [(0, True), (None, True), (3, False)])
def test_a_worker_ending_cleanly_ends_at_once_and_a_failing_one_keeps_its_status(code, ends_now):
    script = textwrap.dedent(f"""
        import atexit, runpy, sys
        worker_exit = runpy.run_path({str(CONFIG)!r})["worker_exit"]
        atexit.register(lambda: print("teardown ran"))
        try:
            sys.exit({code!r})
        finally:
            worker_exit(None, None)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == (code or 0)
    assert ("teardown ran" in done.stdout) is not ends_now


def test_a_change_ends_the_eventlet_worker_s_main_loop_at_once(tmp_path):
    """gunicorn's eventlet worker loops `while alive: notify(); eventlet.sleep(1.0)`; here the
    sleep is 600 s, so only the reloader's wake-up (post_worker_init) can end it in time."""
    script = textwrap.dedent(f"""
        import runpy, sys
        conf = runpy.run_path({str(CONFIG)!r})  # as gunicorn: before the patching
        import eventlet
        import gunicorn.workers.geventlet  # noqa: F401  (patches, as in the master)
        sys.path.insert(0, {str(tmp_path)!r})
        import green_probe_module

        class Engine(conf["InotifyReloader"]):
            trees = ()

        class Worker:
            alive = True
            def changed(self, path):  # what gunicorn's callback does first
                self.alive = False
        worker = Worker()
        worker.reloader = Engine(callback=worker.changed)
        worker.reloader.start()
        conf["post_worker_init"](worker)
        def edit():
            eventlet.sleep(0.5)  # the reloader's watches are set
            open({str(tmp_path / "green_probe_module.py")!r}, "w").write("X = 2\\n")
        eventlet.spawn(edit)
        while worker.alive:
            eventlet.sleep(600)
        print("loop ended")
    """)
    (tmp_path / "green_probe_module.py").write_text("X = 1\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["loop", "ended"]


def test_gunicorn_s_control_socket_is_off(settings):
    assert settings["control_socket_disable"] is True  # it cannot work under eventlet (the docstring)
