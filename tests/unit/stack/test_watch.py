"""`staging.watch`'s decisions on a batch of changes, against fake engine containers (no engine):
copy into the app's image only (the reloader restarts the workers), rebuild for
requirements, migrations on request."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from watchfiles import Change

from replica.commands import up as up_module, watch as watch_module
from replica.core.errors import StackNotUpError
from replica.stack.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
APP_IMAGE = "mina-staging/app:abc"


class Container:
    def __init__(self, name, image, running=True):
        self.name, self.attrs = name, {"Config": {"Image": image}}
        self.archives = []

    def put_archive(self, path, data):
        self.archives.append(data)
        return True


class Client:
    def __init__(self, containers):
        self.containers = self
        self.listed = containers

    def list(self, filters):
        return self.listed


class Stack:
    compose_env = {"APP_IMAGE": APP_IMAGE}

    def url(self, service):
        return "postgresql://u:p@127.0.0.1:9/mina_staging"


@pytest.fixture
def replica(tmp_path, monkeypatch):
    """A checkout with the app image's Dockerfile, and its running containers (app, a variant, a mock)."""
    (tmp_path / "docker/python").mkdir(parents=True)
    shutil.copy(ROOT / "docker/python/Dockerfile", tmp_path / "docker/python/Dockerfile")
    for name in ("app/mina/views.py", "app/mina/templates/base.html", "app/requirements.txt",
                 "db/migrations/versions/0003_more.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    containers = [Container("app-1", APP_IMAGE), Container("app-pooled-1", APP_IMAGE),
                  Container("mock-openai-1", "mina-staging/mocks:def")]
    monkeypatch.setattr(watch_module.health, "engine_client", lambda: Client(containers))
    monkeypatch.setattr(watch_module, "running_stack", lambda settings: Stack())
    return Settings(name="watchunit", root=tmp_path), containers


@pytest.mark.parametrize("changed", ["app/mina/views.py", "app/mina/templates/base.html"])
def test_a_change_is_copied_into_every_app_container_and_left_to_the_reloader(replica, changed):
    settings, (app, variant, mock) = replica
    done = watch_module.Watch(settings).handle([(Change.modified, str(settings.root / changed))])
    assert len(app.archives) == len(variant.archives) == 1 and mock.archives == []
    assert "copied 1 file(s) into app-1, app-pooled-1" in done


def test_a_requirements_change_rebuilds_and_recreates_without_seeding(replica, monkeypatch):
    settings, (app, _variant, _mock) = replica
    asked = []
    monkeypatch.setattr(up_module, "up", lambda s, **options: asked.append(options))
    done = watch_module.Watch(settings).handle([(Change.modified, str(settings.root / "app/requirements.txt"))])
    assert asked == [{"seed": False}] and app.archives == [] and "rebuilt and recreated" in done


def test_a_new_migration_waits_for_the_key_unless_migrating_automatically(replica, monkeypatch):
    settings, _containers = replica
    applied = []
    monkeypatch.setattr(watch_module.Watch, "apply_migrations", lambda self: applied.append(1) or "applied")
    added = [(Change.added, str(settings.root / "db/migrations/versions/0003_more.py"))]

    waiting = watch_module.Watch(settings)
    assert "0003_more.py: press m then Enter" in waiting.handle(added) and applied == []
    assert watch_module.Watch(settings, migrate=True).handle(added).endswith("applied")
    assert applied == [1]


def test_applying_migrations_upgrades_the_database_then_the_fixtures_template(replica, monkeypatch):
    from replica.commands import migrations_check
    from replica.data.db import reset

    settings, _containers = replica
    ran = []
    monkeypatch.setattr(migrations_check, "flask_db",
                        lambda stack, *args, database_url=None, on="": ran.append((args, database_url))
                        or ["0002 -> 0003"])
    monkeypatch.setattr(migrations_check, "container_url", lambda stack, database: f"db:5432/{database}")
    monkeypatch.setattr(reset, "fixtures_loaded", lambda url: True)
    monkeypatch.setattr(reset, "upgrade_template", lambda url, upgrade: upgrade("mina_staging_fixtures_build"))
    done = watch_module.Watch(settings).apply_migrations()
    assert ran == [(("upgrade",), None), (("upgrade",), "db:5432/mina_staging_fixtures_build")]
    assert "0002 -> 0003" in done and "template upgraded" in done


def test_watching_a_replica_whose_app_is_not_running_is_refused(replica, monkeypatch):
    settings, _containers = replica
    monkeypatch.setattr(watch_module.health, "engine_client", lambda: Client([]))
    with pytest.raises(StackNotUpError, match="not running"):
        watch_module.Watch(settings)
