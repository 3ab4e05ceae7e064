"""What `staging.watch` copies where: read from the app image's Dockerfile stage, planned from
watchfiles' changes, sent as one tar to the engine (a fake container here: no engine)."""
from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path

import pytest
from watchfiles import Change

from replica.core.errors import EngineError
from replica.engine import sync

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "docker" / "python" / "Dockerfile"


@pytest.fixture
def copies():
    return sync.image_copies(DOCKERFILE, "app")


def test_the_app_stage_copies_app_and_migrations_and_builds_from_its_requirements(copies):
    assert copies.trees == {"db/migrations": "/srv/db/migrations", "app": "/srv/app"}
    assert copies.build_inputs == {"app/requirements.txt", "docker/python/replica-requirements.txt",
                                   "docker/python/gunicorn_replica.conf.py"}
    assert sync.image_copies(DOCKERFILE, "mocks").trees == {"mocks": "/srv/mocks"}


def test_a_stage_without_a_folder_copy_is_an_error(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM x AS app\nCOPY --from=build /a /b\nCOPY a.txt /tmp/a.txt\n")
    with pytest.raises(EngineError, match="no COPY of a checkout folder"):
        sync.image_copies(dockerfile, "app")


def checkout(tmp_path, *files):
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {name}\n")
    return tmp_path


def test_changes_become_copies_deletions_and_rebuilds(tmp_path, copies):
    root = checkout(tmp_path, "app/mina/views.py", "app/mina/templates/index.html",
                    "app/requirements.txt", "db/migrations/versions/0003_more.py", "README.md")
    planned = sync.plan([
        (Change.modified, str(root / "app/mina/views.py")),
        (Change.added, str(root / "app/mina/templates/index.html")),
        (Change.added, str(root / "db/migrations/versions/0003_more.py")),
        (Change.deleted, str(root / "app/mina/gone.py")),
        (Change.modified, str(root / "app/requirements.txt")),
        (Change.modified, str(root / "README.md")),                       # not in the image
        (Change.added, str(root / "app/mina/__pycache__/views.cpython-311.pyc")),
    ], root, copies)
    assert planned.copy == {
        "/srv/app/mina/views.py": root / "app/mina/views.py",
        "/srv/app/mina/templates/index.html": root / "app/mina/templates/index.html",
        "/srv/db/migrations/versions/0003_more.py": root / "db/migrations/versions/0003_more.py"}
    assert planned.delete == ["/srv/app/mina/gone.py"]
    assert planned.rebuild == ["app/requirements.txt"]


def test_a_file_saved_then_removed_in_one_batch_is_deleted(tmp_path, copies):
    root = checkout(tmp_path)
    planned = sync.plan([(Change.added, str(root / "app/tmp.py")),
                         (Change.deleted, str(root / "app/tmp.py"))], root, copies)
    assert planned.copy == {} and planned.delete == ["/srv/app/tmp.py"]


def test_changes_outside_the_image_plan_nothing(tmp_path, copies):
    root = checkout(tmp_path, "docs/x.md")
    assert sync.plan([(Change.modified, str(root / "docs/x.md")),
                      (Change.modified, "/elsewhere/app/x.py")], root, copies).empty


class FakeContainer:
    name = "mina-staging-watch-app-1"

    def __init__(self, accepts=True, rm_code=0):
        self.archives, self.commands, self.accepts, self.rm_code = [], [], accepts, rm_code

    def put_archive(self, path, data):
        self.archives.append((path, data))
        return self.accepts

    def exec_run(self, command, user):
        self.commands.append((command, user))
        return self.rm_code, b"rm: cannot remove"


def test_the_copy_is_one_tar_at_container_paths_owned_by_root_and_stamped_now(tmp_path, copies):
    root = checkout(tmp_path, "app/mina/views.py")
    old = time.time() - 3600
    (root / "app/mina/views.py").touch()
    import os
    os.utime(root / "app/mina/views.py", (old, old))
    container = FakeContainer()
    before = time.time()
    sync.copy_into(container, sync.plan([(Change.modified, str(root / "app/mina/views.py")),
                                         (Change.deleted, str(root / "app/old.py"))], root, copies))
    ((path, data),) = container.archives
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        (member,) = tar.getmembers()
        assert path == "/" and member.name == "srv/app/mina/views.py"
        assert (member.uid, member.gid, member.mode & 0o777) == (0, 0, 0o644)
        assert member.mtime >= int(before)  # newer than the image's copy: a reloader sees it
        assert tar.extractfile(member).read() == b"# app/mina/views.py\n"
    assert container.commands == [(["rm", "-f", "--", "/srv/app/old.py"], "root")]


def test_a_refused_copy_or_delete_is_an_engine_error(tmp_path, copies):
    root = checkout(tmp_path, "app/a.py")
    with pytest.raises(EngineError, match="refused the copy"):
        sync.copy_into(FakeContainer(accepts=False),
                       sync.plan([(Change.modified, str(root / "app/a.py"))], root, copies))
    with pytest.raises(EngineError, match="cannot delete"):
        sync.copy_into(FakeContainer(rm_code=1),
                       sync.plan([(Change.deleted, str(root / "app/b.py"))], root, copies))
