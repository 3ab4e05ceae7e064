"""The compose model (replica/stack/compose_model.py) is what `docker compose config` resolves.

Each case prepares a replica's compose.env and app.env as `up` does (engine stubbed: conftest),
then compares the model with compose's own resolution of the same files, service by service.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from replica.core.errors import ConfigError
from replica.stack import compose_model, plan, profiles as profiles_module

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.staging.yml"
# where the CLI finds its compose plugin, and nothing that compose would read over the env file
PLUGIN_ENVIRONMENT = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "DOCKER_CONFIG")}


def docker_compose() -> list[str] | None:
    docker = shutil.which("docker")
    if not docker:
        return None
    done = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    return [docker, "compose"] if done.returncode == 0 else None


def compared(service: dict) -> dict:
    """The fields the Kubernetes rendering reads, as both sides spell them."""
    return {"image": service.get("image"), "command": service.get("command"),
            "environment": {k: v or "" for k, v in (service.get("environment") or {}).items()},
            "healthcheck.test": (service.get("healthcheck") or {}).get("test"),
            "ports.target": sorted(int(p["target"]) if isinstance(p, dict) else int(p.split(":")[-1])
                                   for p in service.get("ports") or [])}


@pytest.mark.parametrize("names", [(), ("tls",), ("pooled",), ("redis-off", "db-slow")])
def test_the_model_is_what_docker_compose_config_resolves(settings, names, tmp_path):
    cli = docker_compose()
    if cli is None:
        pytest.skip("no `docker compose` here: the integration tier's machines have it")
    catalogue = profiles_module.catalogue()
    stack = plan.prepare(settings, set(), [catalogue[n] for n in names], None,
                         lambda settings, compose_profiles: {
                             "BASE_IMAGE": "base:test", "DB_IMAGE": "mina-staging/db:1",
                             "REDIS_IMAGE": "mina-staging/redis:1", "MOCKS_IMAGE": "mina-staging/mocks:1",
                             "APP_IMAGE": "mina-staging/app:1", "CA_BUNDLE": str(tmp_path / "ca.pem")})
    (tmp_path / "ca.pem").write_text("")
    env_file = settings.state_dir / "compose.env"
    done = subprocess.run([*cli, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config",
                           "--format", "json"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=PLUGIN_ENVIRONMENT)
    assert done.returncode == 0, done.stderr
    # compose writes its output for compose to read again: a literal `$` as `$$`
    theirs = json.loads(done.stdout.replace("$$", "$"))["services"]
    ours = compose_model.resolve(COMPOSE_FILE, stack.compose_env)["services"]
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        assert compared(ours[name]) == compared(theirs[name]), name


def test_env_files_given_are_not_read_from_disk(settings):
    compose_env = {"STAGING_PROJECT": "p", "APP_ENV_FILE": "/nowhere/app.env", "APP_COMMAND": "gunicorn 'a b'"}
    model = compose_model.resolve(COMPOSE_FILE, compose_env,
                                  env_files={"/nowhere/app.env": {"SECRET_KEY": "k"}})
    assert model["services"]["app"]["environment"] == {"SECRET_KEY": "k"}
    assert model["services"]["app"]["command"] == ["gunicorn", "a b"]
    assert "redis" not in model["services"]   # its compose profile is not active


@pytest.mark.parametrize("text, environment, expected", [
    ("${A}", {"A": "1"}, "1"), ("${A}", {}, ""), ("$A-x", {"A": "1"}, "1-x"),
    ("${A:-d}", {"A": ""}, "d"), ("${A-d}", {"A": ""}, ""), ("${A-d}", {}, "d"),
    ("${A:+y}", {"A": "1"}, "y"), ("${A:+y}", {"A": ""}, ""), ("$$A", {"A": "1"}, "$A")])
def test_interpolation_follows_compose(text, environment, expected):
    assert compose_model.interpolate(text, environment) == expected


def test_a_required_variable_unset_names_it():
    with pytest.raises(ConfigError, match="STAGING_PROJECT is not set"):
        compose_model.resolve(COMPOSE_FILE, {})
