import shutil
from dataclasses import replace

import pytest
import yaml

from replica.stack import envprofile
from replica.commands import parity
from replica.core.errors import ConfigError
from replica.stack.settings import ROOT, from_environment
from replica.stack.plan import Stack


@pytest.fixture
def settings(tmp_path):
    for name in ("staging.declared.yml", ".env.staging.example", "docker-compose.staging.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "app").mkdir()
    shutil.copy(ROOT / "app" / "requirements.txt", tmp_path / "app" / "requirements.txt")
    return replace(from_environment({}), root=tmp_path)


def items_by_name(settings):
    return {i.item: i for i in parity.staging_items(settings, parity.declared(settings.root))}


def test_a_fresh_replica_matches_staging_except_for_tls(settings):
    differing = [i.item for i in items_by_name(settings).values() if not i.same]
    assert differing == ["database TLS"]
    assert items_by_name(settings)["database TLS"].todo == "invoke staging.up --profile tls"


def test_a_changed_declaration_shows_as_a_difference_with_what_to_do(settings):
    path = settings.root / "staging.declared.yml"
    declared = yaml.safe_load(path.read_text())
    declared.update(redis="disabled", workers=4)
    path.write_text(yaml.safe_dump(declared))
    items = items_by_name(settings)
    assert not items["Redis"].same and "redis-off" in items["Redis"].todo
    assert not items["workers"].same


def test_a_bad_pin_is_caught(settings):
    requirements = settings.root / "app" / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("gunicorn==25.3.0", "gunicorn==26.0.0"))
    assert not items_by_name(settings)["pin gunicorn"].same


def test_env_profile_overrides_count(settings):
    (settings.root / ".env.staging").write_text("DEBUG=False\n")
    assert not items_by_name(settings)["env DEBUG"].same


def test_an_unreadable_declaration_is_a_clear_error(settings):
    (settings.root / "staging.declared.yml").write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        parity.declared(settings.root)


def declare(settings, **values):
    path = settings.root / "staging.declared.yml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **values}))


def running(monkeypatch, settings, profiles, **env):
    """Make parity see a replica up with these profiles and this app environment."""
    app_env = {**envprofile.load_profile(settings.root, {}, {"APP_URL": ""}), **env}
    stack = Stack(settings, [], {"app": 1}, {}, app_env, tuple(profiles))
    monkeypatch.setattr(parity.stack_module, "load", lambda _: stack)


def test_staging_pooled_without_redis_or_direct_url_is_flagged_even_when_replicated(
        settings, monkeypatch):
    declare(settings, database_endpoint="pooled", redis="disabled", database_direct_url="unset")
    running(monkeypatch, settings, ["redis-off", "pooled"], REDIS_URL="", DATABASE_DIRECT_URL="")
    fanout = items_by_name(settings)["Socket.IO fan-out"]
    assert fanout.staging == fanout.replica == parity.FANOUT_LOST
    assert not fanout.same and "DATABASE_DIRECT_URL" in fanout.todo


def test_staging_pooled_with_a_direct_url_matches_the_pooled_profile(settings, monkeypatch):
    declare(settings, database_endpoint="pooled", redis="disabled", database_direct_url="set")
    running(monkeypatch, settings, ["redis-off", "pooled"], REDIS_URL="",
            DATABASE_DIRECT_URL="postgresql://staging_user:staging_pass@db:5432/mina_staging")
    items = items_by_name(settings)
    assert items["Socket.IO fan-out"].same
    assert items["Socket.IO fan-out"].replica == parity.FANOUT_DIRECT
    assert items["database endpoint"].same and items["Redis"].same


@pytest.mark.parametrize("redis, endpoint", [("enabled", "pooled"), ("disabled", "direct")])
def test_no_direct_url_is_fine_with_redis_or_a_direct_endpoint(settings, redis, endpoint):
    declare(settings, database_endpoint=endpoint, redis=redis, database_direct_url="unset")
    assert items_by_name(settings)["Socket.IO fan-out"].staging != parity.FANOUT_LOST


def test_a_replica_without_its_direct_url_says_how_to_get_it_back(settings, monkeypatch):
    declare(settings, database_endpoint="pooled", redis="disabled", database_direct_url="set")
    running(monkeypatch, settings, ["redis-off", "pooled"], REDIS_URL="", DATABASE_DIRECT_URL="")
    fanout = items_by_name(settings)["Socket.IO fan-out"]
    assert fanout.replica == parity.FANOUT_LOST and not fanout.same
    assert fanout.todo == "invoke staging.up --profile redis-off --profile pooled"
