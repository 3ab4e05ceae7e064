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
"""
import os
import select

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


class InotifyReloader(reloader.ReloaderBase):
    """gunicorn's reloader interface: call back with the path of a changed module or extra file,
    or of any file in the app's folders."""

    trees = APP_TREES

    def __init__(self, extra_files=None, callback=None):
        super().__init__(extra_files=extra_files, callback=callback)
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
                self._callback(path)
                return


reloader.reloader_engines["inotify"] = InotifyReloader  # the dict gunicorn's workers read
reload_engine = "inotify"
