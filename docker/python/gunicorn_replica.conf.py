"""gunicorn settings of the replica's app image only, given as GUNICORN_CMD_ARGS="--config …" so
staging's command (staging.declared.yml's gunicorn_command, with `--reload`) stays verbatim.

The replica's choice: `--reload` waits on inotify instead of polling. gunicorn's default engine
stats every loaded module's file once a second in each worker (~1,900 files: 2.3 % of a core on an
idle replica, all day). gunicorn's own inotify engine cannot be used here: it needs the `inotify`
package, whose adapter waits with `select.epoll`, which eventlet's monkey-patching (staging's
worker class) removes, and which fails at import when DEBUG=True is in the environment (it reads
DEBUG as a number). This engine waits with `select.select`, which eventlet makes cooperative, on an
`inotify_simple` descriptor. It restarts a worker for a changed module anywhere, and for any file
changed in the app's own folders (templates, and a new migration: the app reads the head revision
once per worker), which is what `staging.watch` copies into the container.

And the master imports the app's third-party libraries once (`when_ready`: after eventlet's
monkey-patching, before the first worker is forked), so a worker that `--reload` restarts imports
only the app's own modules: ~8 s of imports on this loaded machine, per restart, were most of the
time from an edit to both workers serving it. The app itself is not preloaded (`--preload` would
make a reload restart the master), and a library changes only with an image rebuild. A worker
that ends cleanly then ends at once (`worker_exit`), its error events and logs flushed first,
instead of spending seconds in the interpreter's teardown of all those modules, and a worker
whose reloader saw a change leaves its main loop at once (`post_worker_init`), not at that loop's
next 1 s tick.

gunicorn 25's control socket is off (`control_socket_disable`). Under eventlet it cannot work:
the worker class module monkey-patches the master at import, so the control server's "thread" is a
green thread that never runs while the master blocks on its signal queue (an OS lock). Its fork
handler then waits 2 s (a join's timeout) for a loop that never started, before the first fork
after the master starts, and the thread started again after each fork finds the first one's
asyncio loop still marked running in this OS thread: "Control server error: asyncio.run() cannot
be called from a running event loop", logged by the master at every fork. Nothing here uses the
socket (`gunicornc`); staging's gunicorn has the same defect.
"""
import importlib
import logging
import os
import select
import sys

# Imported before eventlet patches `select` (the arbiter reads this file before it loads the
# worker class): inotify_simple binds `select.poll` at import, which the patching removes.
import inotify_simple
from gunicorn import reloader

FLAGS = inotify_simple.flags
CHANGED = FLAGS.CLOSE_WRITE | FLAGS.MOVED_TO | FLAGS.DELETE | FLAGS.CREATE
REFRESH_S = 5  # how often directories of modules imported since are added
# The app's own folders, as docker/python/Dockerfile copies them: every file there counts.
APP_TREES = ("/srv/app", "/srv/db/migrations")
SKIPPED = {"__pycache__"}
# What the app imports from app/requirements.txt (at import or lazily): imported by the master.
# And what those import lazily when the app is built: eventlet's server and Socket.IO's driver for
# it, the extensions' CLI, and (in when_ready) sentry-sdk's default integrations, which its init
# imports: its openai one pulls in most of openai's resources (~0.3 s per worker here).
LIBRARIES = ("flask", "flask_login", "flask_wtf", "flask_socketio", "flask_sqlalchemy",
             "flask_migrate", "sqlalchemy", "psycopg", "openai", "socketio", "engineio", "wtforms",
             "werkzeug", "sentry_sdk", "redis", "alembic", "eventlet.wsgi", "eventlet.websocket",
             "engineio.async_drivers.eventlet", "flask_migrate.cli", "flask_sqlalchemy.cli")


class InotifyReloader(reloader.ReloaderBase):
    """gunicorn's reloader interface: call back with the path of a changed module or extra file,
    or of any file in the app's folders."""

    trees = APP_TREES

    def __init__(self, extra_files=None, callback=None):
        super().__init__(extra_files=extra_files, callback=callback)
        self.on_change = None  # called before gunicorn's callback (post_worker_init sets it)
        self._inotify = inotify_simple.INotify(nonblocking=True)
        self._directories = {}  # watch descriptor -> directory

    def add_extra_file(self, filename):
        super().add_extra_file(filename)
        self._watch(os.path.dirname(os.path.abspath(filename)))

    def _watch(self, directory):
        if directory not in self._directories.values() and os.path.isdir(directory):
            self._directories[self._inotify.add_watch(directory, CHANGED)] = directory

    def _watch_tree(self, top):
        for directory, subdirectories, _files in os.walk(top):
            subdirectories[:] = [name for name in subdirectories if name not in SKIPPED]
            self._watch(directory)

    def _refresh(self):
        for filename in self.get_files():
            self._watch(os.path.dirname(os.path.abspath(filename)))

    def changed(self, events):
        """Return the files among inotify events that need a restart (a folder made in an app
        folder is watched from now on)."""
        found = []
        for event in events:
            path = os.path.join(self._directories.get(event.wd, ""), event.name)
            in_app = any(path.startswith(tree + os.sep) for tree in self.trees)
            if event.mask & FLAGS.ISDIR:
                if in_app and event.mask & (FLAGS.CREATE | FLAGS.MOVED_TO):
                    self._watch_tree(path)
            elif event.mask & FLAGS.CREATE:
                continue  # its content follows: the CLOSE_WRITE counts
            elif path.endswith(".py") or path in self._extra_files or (
                    in_app and not SKIPPED.intersection(path.split(os.sep))):
                found.append(path)
        return found

    def run(self):
        for tree in self.trees:
            self._watch_tree(tree)
        self._refresh()
        while True:
            readable, _, _ = select.select([self._inotify], [], [], REFRESH_S)
            if not readable:
                self._refresh()
                continue
            for path in self.changed(self._inotify.read(timeout=0)):
                if self.on_change:
                    self.on_change()
                self._callback(path)
                return


def when_ready(server):
    """Import the app's libraries in the master, so every worker forked from now on has them."""
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError as error:  # a library the app no longer uses: its workers import the rest
            server.log.warning("not preloaded: %s (%s)", name, error)
    try:
        from sentry_sdk.integrations import iter_default_integrations
        for _integration in iter_default_integrations(True):  # imports each one's module
            pass
    except ImportError as error:
        server.log.warning("not preloaded: sentry-sdk's integrations (%s)", error)


def post_worker_init(worker):
    """Have a change the reloader sees end the eventlet worker's main loop at once.

    gunicorn's reload callback only sets `alive = False`; the worker's loop (`while alive:
    notify(); eventlet.sleep(1.0)`) would notice at its next tick. Called in the main greenlet just
    before that loop, so the wake-up is its sleep returning early (a sleep cancels its own timer).
    """
    if not isinstance(getattr(worker, "reloader", None), InotifyReloader) \
            or "gunicorn.workers.geventlet" not in sys.modules:
        return
    from eventlet import greenthread, hubs

    main, hub = greenthread.getcurrent(), hubs.get_hub()
    worker.reloader.on_change = lambda: hub.schedule_call_global(0, main.switch)


def worker_exit(server, worker):
    """End a worker that exits cleanly (a reload, a stop) now; any other exit keeps its status."""
    leaving = sys.exc_info()[1]  # the SystemExit in flight: this runs in gunicorn's `finally`
    if not isinstance(leaving, SystemExit) or leaving.code not in (0, None):
        return
    if "sentry_sdk" in sys.modules:
        sys.modules["sentry_sdk"].flush(timeout=2)  # what the worker still has for error tracking
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


reloader.reloader_engines["inotify"] = InotifyReloader  # the dict gunicorn's workers read
reload_engine = "inotify"
control_socket_disable = True
