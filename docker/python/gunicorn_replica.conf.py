"""gunicorn settings of the replica's app image only, given as GUNICORN_CMD_ARGS="--config …" so
staging's command (staging.declared.yml's gunicorn_command, with `--reload`) stays verbatim.

The replica's choice: `--reload` waits on inotify instead of polling. gunicorn's default engine
stats every loaded module's file once a second in each worker (~1,900 files: 2.3 % of a core on an
idle replica, all day). gunicorn's own inotify engine cannot be used here: it needs the `inotify`
package, whose adapter waits with `select.epoll`, which eventlet's monkey-patching (staging's
worker class) removes, and which fails at import when DEBUG=True is in the environment (it reads
DEBUG as a number). This engine waits with `select.select`, which eventlet makes cooperative, on an
`inotify_simple` descriptor, and restarts a worker only for a changed module or extra file.
"""
import os
import select

# Imported before eventlet patches `select` (the arbiter reads this file before it loads the
# worker class): inotify_simple binds `select.poll` at import, which the patching removes.
import inotify_simple
from gunicorn import reloader

CHANGED = inotify_simple.flags.CLOSE_WRITE | inotify_simple.flags.MOVED_TO | inotify_simple.flags.DELETE
REFRESH_S = 5  # how often directories of modules imported since are added


class InotifyReloader(reloader.ReloaderBase):
    """gunicorn's reloader interface: call back with the path of a changed module or extra file."""

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

    def _refresh(self):
        for filename in self.get_files():
            self._watch(os.path.dirname(os.path.abspath(filename)))

    def changed(self, events):
        """Return the watched files among inotify events (modules and extra files)."""
        paths = (os.path.join(self._directories.get(event.wd, ""), event.name) for event in events)
        return [path for path in paths if path.endswith(".py") or path in self._extra_files]

    def run(self):
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
