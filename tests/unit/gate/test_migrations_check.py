"""Migration checks: alembic's steps read from its log, a failure blamed on the migration by name."""
import subprocess
from types import SimpleNamespace
from pathlib import Path

import pytest

from replica.data.db import fixtures
from replica.commands import migrations_check
from replica.gate.checklist import ItemFailed

ROOT = Path(__file__).resolve().parents[3]
UPGRADE_LOG = ("INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\n"
               "INFO  [alembic.runtime.migration] Running upgrade  -> 0001, Initial schema\n"
               "INFO  [alembic.runtime.migration] Running upgrade 0001 -> 0002, add column\n")


class FakeCompose:
    def __init__(self, returncode, stderr):
        self.returncode, self.stderr, self.commands = returncode, stderr, []

    def run(self, *args, **kwargs):
        self.commands.append(args)
        return subprocess.CompletedProcess(args, self.returncode, "", self.stderr)


class FakeStack:
    def __init__(self, returncode=0, stderr=""):
        self.compose = FakeCompose(returncode, stderr)
        self.settings = SimpleNamespace(compose=self.compose)  # Compose(settings) is this fake
        self.app_env = {"DATABASE_URL": "postgresql://u:p@db-proxy:5432/mina_staging?sslmode=require"}
        self.compose_env = {"APP_IMAGE": "mina-staging/app:abc"}


@pytest.fixture(autouse=True)
def fake_compose(monkeypatch):
    monkeypatch.setattr(migrations_check, "Compose", lambda settings: settings.compose)


def test_steps_are_read_from_alembics_log():
    assert migrations_check.steps_run(UPGRADE_LOG) == ["base -> 0001", "0001 -> 0002"]


def test_a_migration_that_fails_is_named_with_its_error():
    log = UPGRADE_LOG + ('sqlalchemy.exc.IntegrityError: (psycopg.errors.NotNullViolation) column '
                         '"language" of relation "meetings" contains null values\n')
    stack = FakeStack(returncode=1, stderr=log)
    with pytest.raises(ItemFailed) as caught:
        migrations_check.flask_db(stack, "upgrade")
    message = str(caught.value)
    assert message.startswith("migration 0001 -> 0002 failed on the populated fixtures")
    assert "NotNullViolation" in message


def test_a_scratch_database_is_passed_to_the_app_container_not_the_live_one():
    stack = FakeStack(stderr=UPGRADE_LOG)
    url = migrations_check.container_url(stack, "mina_staging_migration_check")
    assert url == "postgresql://u:p@db:5432/mina_staging_migration_check"
    assert migrations_check.flask_db(stack, "downgrade", "-1", database_url=url) == \
        ["base -> 0001", "0001 -> 0002"]
    assert stack.compose.commands[0][:5] == ("exec", "-T", "-e", f"DATABASE_URL={url}", "app")
    migrations_check.in_one_process(stack, "downgrade", "upgrade", database_url=url)
    assert stack.compose.commands[1][5:7] == ("python", "-c") and stack.compose.commands[1][-2:] == ("downgrade", "upgrade")


def test_the_fixtures_revision_is_a_migration_of_this_repository():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(ROOT / "db" / "migrations"))
    assert script.get_revision(fixtures.SCHEMA_REVISION) is not None
    assert migrations_check.revisions(ROOT).head in {r.revision for r in script.walk_revisions()}


def test_a_pass_is_remembered_under_its_key_only(tmp_path):
    stack = FakeStack()
    key = migrations_check.cache_key(ROOT, stack, '{"fixtures": "default-abc"}')
    assert key != migrations_check.cache_key(ROOT, stack, '{"fixtures": "prod-abc"}')
    migrations_check.remember(tmp_path, key, "0001 -> base; base -> 0001 ran cleanly")
    assert migrations_check.cached(tmp_path, key).endswith("ran cleanly")
    assert migrations_check.cached(tmp_path, "other") is None
    (tmp_path / migrations_check.CACHE_FILE).write_text("{corrupt")
    assert migrations_check.cached(tmp_path, key) is None
