"""What `up` prepares for compose, without an engine: the app's environment and its refusals.

`settings` (conftest.py) is a replica in a temporary checkout, with images and ports stubbed.
"""
from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from replica.stack import profiles, plan as stack_module
from replica.stack.envprofile import read_env_file
from replica.core.errors import ConfigError
from replica.engine import images

ROOT = Path(__file__).resolve().parents[3]


def prepare(settings, names=(), **env):
    return stack_module.prepare(settings, set(), profiles.resolve(list(names)), env, images.image_environment)


def test_a_direct_url_elsewhere_in_env_staging_stops_up_naming_the_variable(settings):
    (settings.root / ".env.staging").write_text(
        "DATABASE_DIRECT_URL=postgresql://staging_user:real-pw@ep-real.neon.tech/mina_staging\n")
    with pytest.raises(ConfigError, match="^DATABASE_DIRECT_URL points at ep-real.neon.tech") as error:
        prepare(settings)
    assert error.value.exit_code == 2 and "real-pw" not in str(error.value)
    assert not (settings.state_dir / "app.env").exists()  # refused before anything was written


def test_a_direct_url_elsewhere_is_refused_under_pooled_too(settings):
    with pytest.raises(ConfigError, match="DATABASE_DIRECT_URL"):
        prepare(settings, ["pooled"],
                DATABASE_DIRECT_URL="postgresql://u:p@db:5432/x?host=staging.example.com")


def test_a_query_host_in_database_url_is_refused(settings):
    with pytest.raises(ConfigError, match="^DATABASE_URL points at staging.example.com"):
        prepare(settings, DATABASE_URL="postgresql://u:p@db:5432/x?host=staging.example.com")


def test_every_database_url_of_a_default_up_is_the_replicas(settings):
    stack = prepare(settings, ["pooled"])
    assert "@pgbouncer:6432/" in stack.app_env["DATABASE_URL"]
    assert "@db:5432/" in stack.app_env["DATABASE_DIRECT_URL"]


def test_each_replica_gets_its_own_secret_key_kept_private_across_ups(settings, tmp_path):
    first = prepare(settings)
    example_key = read_env_file(settings.root / ".env.staging.example")["SECRET_KEY"][0]
    key = first.app_env["SECRET_KEY"]
    assert key and key != example_key and len(key) >= 32
    assert prepare(settings).app_env["SECRET_KEY"] == key          # kept across runs
    other = prepare(replace(settings, name="other"))
    assert other.app_env["SECRET_KEY"] != key                      # each replica its own
    for name in ("secrets.json", "app.env", "compose.env", "stack.json"):
        assert stat.S_IMODE((settings.state_dir / name).stat().st_mode) == 0o600, name


def test_the_users_secret_key_wins(settings):
    (settings.root / ".env.staging").write_text("SECRET_KEY=my-own-staging-like-secret-0123456789\n")
    assert prepare(settings).app_env["SECRET_KEY"] == "my-own-staging-like-secret-0123456789"
    assert prepare(settings, SECRET_KEY="from-the-flag-0123456789abcdef").app_env["SECRET_KEY"] == (
        "from-the-flag-0123456789abcdef")


def test_redis_has_a_per_replica_password_the_app_and_the_host_url_carry(settings):
    stack = prepare(settings)
    password = stack.compose_env["REDIS_PASSWORD"]
    assert len(password) >= 32
    assert stack.app_env["REDIS_URL"] == f"redis://:{password}@redis:6379/0"
    assert stack.url("redis") == f"redis://:{password}@127.0.0.1:{stack.ports['redis']}/0"
    assert prepare(replace(settings, name="other")).compose_env["REDIS_PASSWORD"] != password


@pytest.mark.parametrize("written, expected_path", [
    ("redis://redis:6379/2", "/2"), ("redis://:guessable@elsewhere.example.com:6380/1", "/1"),
    ("rediss://user:pw@redis", "/0")])
def test_redis_url_always_reaches_the_replicas_redis_with_its_password(settings, written,
                                                                       expected_path):
    stack = prepare(settings, REDIS_URL=written)
    password = stack.compose_env["REDIS_PASSWORD"]
    assert stack.app_env["REDIS_URL"] == f"redis://:{password}@redis:6379{expected_path}"


def test_redis_off_stays_off(settings):
    stack = prepare(settings, ["redis-off"])
    assert stack.app_env["REDIS_URL"] == "" and "redis" not in stack.services


def test_the_compose_file_gives_redis_and_its_clients_the_password():
    redis = yaml.safe_load((ROOT / "docker-compose.staging.yml").read_text())["services"]["redis"]
    assert redis["environment"] == {"REDIS_PASSWORD": "${REDIS_PASSWORD:-}",
                                    "REDISCLI_AUTH": "${REDIS_PASSWORD:-}"}
    assert "PONG" in " ".join(redis["healthcheck"]["test"])  # a NOAUTH answer is not healthy


def test_the_redis_image_refuses_to_start_without_a_password(tmp_path):
    script = ROOT / "docker" / "redis" / "start-redis.sh"
    done = subprocess.run(["sh", str(script)], env={"PATH": os.environ["PATH"]},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "REDIS_PASSWORD is empty" in done.stderr


@pytest.mark.parametrize("environ", [{"PGHOSTADDR": "10.1.2.3"}, {"PGSERVICE": "prod"},
                                     {"PGHOST": "staging.example.com"}])
def test_the_replicas_own_url_reaches_it_whatever_the_pg_environment(settings, environ):
    from replica.core.conninfo import connection_hosts
    from replica.data.db.guards import check_target

    url = prepare(settings).url("db")
    assert {host for host, _ in connection_hosts(url, environ)} == {"127.0.0.1"}
    check_target(url, "reset", environ=environ)
