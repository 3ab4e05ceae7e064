"""`staging.watch` (and `staging.up --watch`): changes under app/ and db/migrations reach the
running app without an image rebuild.

Each batch of changes (watchfiles) is copied into every running container of the app's image
through the engine's API (engine/sync.py: no bind mounts, so a remote engine works too); gunicorn's
`--reload`, which staging's command has, restarts the workers (in the replica's image it waits on
inotify and counts every file of the app's folders: docker/python/gunicorn_replica.conf.py). A
change to a file the image's build only reads (app/requirements.txt) rebuilds the image and
recreates the app instead.

Compose's own `develop.watch` is not used: on Engine 20.10 its sync resolves the container's user
(mina) on the host and fails for a non-root user.

A migration added while watching is copied like any file; it is applied, and the fixtures template
upgraded with it (so a reset lands at the new head), when asked: `m` then Enter in the watching
terminal, or by itself with --migrate.
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from ..core import console
from ..core.errors import StackNotUpError, StagingError
from ..gate.checklist import ItemFailed
from ..engine import health, sync
from ..stack.settings import Settings
from .service import running_stack

DOCKERFILE = Path("docker") / "python" / "Dockerfile"
APP_STAGE = "app"
MIGRATIONS = "db/migrations"   # its versions/ folder holds the migrations
APPLY_KEY = "m"


class Watch:
    """One watching session on a running replica."""

    def __init__(self, settings: Settings, migrate: bool = False):
        self.settings, self.migrate_automatically = settings, migrate
        self.stack = running_stack(settings)
        self.copies = sync.image_copies(settings.root / DOCKERFILE, APP_STAGE)
        self.pending_migrations: list[str] = []
        self.lock = threading.Lock()  # the key reader and the file loop never act at once
        if not self.containers():
            raise StackNotUpError(f"the app of replica {settings.name!r} is not running",
                                  hint="run `invoke staging.up` (it repairs what is missing)")

    @property
    def paths(self) -> list[Path]:
        """What to watch: the folders the image copies, and the files its build reads."""
        return [self.settings.root / path for path in [*self.copies.trees, *self.copies.build_inputs]]

    def containers(self) -> list:
        """Return the running containers of the app's image (the app and any variant beside it)."""
        client = health.engine_client()
        listed = client.containers.list(filters={**health.service_filter(self.settings.project),
                                                 "status": "running"})
        image = self.stack.compose_env["APP_IMAGE"]
        return [c for c in listed if c.attrs["Config"]["Image"] == image]

    def handle(self, changes) -> str | None:
        """Act on one batch of watchfiles changes; return what was done (None: nothing to do)."""
        planned = sync.plan(changes, self.settings.root, self.copies)
        if planned.empty:
            return None
        with self.lock:
            if planned.rebuild:
                return self._rebuild(planned.rebuild)
            started = time.monotonic()
            targets = self.containers()
            for container in targets:
                sync.copy_into(container, planned)
            done = (f"{_count(planned)} into {', '.join(c.name for c in targets) or 'no running app'}"
                    f" in {time.monotonic() - started:.2f} s")
            self.pending_migrations += [p for p in planned.copy if self._is_migration(p)]
        if self.pending_migrations:
            done += "\n" + self._new_migrations()
        return done

    def _is_migration(self, container_path: str) -> bool:
        folder = self.copies.trees.get(MIGRATIONS)
        return bool(folder) and container_path.startswith(f"{folder}/versions/") \
            and container_path.endswith(".py")

    def _new_migrations(self) -> str:
        if self.migrate_automatically:
            return self.apply_migrations()
        names = ", ".join(Path(p).name for p in self.pending_migrations)
        return (f"new migration(s) {names}: press {APPLY_KEY} then Enter to apply them and upgrade "
                "the fixtures template (or watch with --migrate)")

    def apply_migrations(self) -> str:
        """Apply the migrations the app container holds; upgrade the fixtures template with them."""
        from ..data.db import reset
        from .migrations_check import container_url, flask_db

        with self.lock:
            applied = flask_db(self.stack, "upgrade", on="the replica's database")
            template = "no fixtures template to upgrade"
            if reset.fixtures_loaded(self.stack.url("db")):
                reset.upgrade_template(self.stack.url("db"), lambda database: flask_db(
                    self.stack, "upgrade", database_url=container_url(self.stack, database),
                    on="the fixtures template"))
                template = "fixtures template upgraded too"
            self.pending_migrations.clear()
        return f"migrations applied: {'; '.join(applied) or 'already at head'}; {template}"

    def _rebuild(self, inputs: list[str]) -> str:
        from .up import up

        console.info(f"{', '.join(inputs)} changed: rebuilding the app image and recreating it")
        started = time.monotonic()
        up(self.settings, seed=False)
        self.stack = running_stack(self.settings)
        return f"rebuilt and recreated in {time.monotonic() - started:.0f} s"


def watch(settings: Settings, migrate: bool = False, stop_event: threading.Event | None = None,
          ready: threading.Event | None = None) -> None:
    """Copy every change under the app image's folders into the running app until Ctrl-C (or
    stop_event); ready is set once the replica is found and watching begins."""
    import watchfiles

    session = Watch(settings, migrate)
    shown = ", ".join(f"{tree}/" for tree in session.copies.trees)
    console.info(f"watching {shown} of replica {settings.name!r}: changes are copied into the "
                 f"running app ({', '.join(sorted(session.copies.build_inputs))}: a rebuild); Ctrl-C stops")
    if sys.stdin.isatty() and not migrate:
        threading.Thread(target=_read_keys, args=(session,), daemon=True).start()
    if ready:
        ready.set()
    try:
        for changes in watchfiles.watch(*session.paths, stop_event=stop_event, debounce=50,
                                        step=20, raise_interrupt=True):
            done = session.handle(changes)
            if done:
                console.success(done)
    except KeyboardInterrupt:
        pass
    console.info("watch stopped")


def _read_keys(session: Watch) -> None:
    for line in sys.stdin:
        if line.strip().lower() == APPLY_KEY:
            try:
                console.success(session.apply_migrations())
            except (StagingError, ItemFailed) as error:  # keep watching: fix it and ask again
                console.failure(f"{error}")


def _count(planned: sync.Plan) -> str:
    parts = [f"copied {len(planned.copy)} file(s)" if planned.copy else "",
             f"deleted {len(planned.delete)}" if planned.delete else ""]
    return ", ".join(p for p in parts if p)
