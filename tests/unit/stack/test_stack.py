"""What `up` prepares for compose, without an engine: the app's environment and its refusals."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from replica import images, ports, profiles, stack as stack_module
from replica.errors import ConfigError
from replica.settings import from_environment

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def settings(tmp_path, monkeypatch):
    shutil.copy(ROOT / ".env.staging.example", tmp_path / ".env.staging.example")
    monkeypatch.setattr(images, "ensure_base_image", lambda settings, suite=None: "base:test")
    monkeypatch.setattr(images, "service_image_tags", lambda *args, **kwargs: {})
    monkeypatch.setattr(images, "ca_bundle_path", lambda settings: tmp_path / "ca.pem")
    monkeypatch.setattr(ports, "resolve_ports",
                        lambda settings, services, own: {s: 20000 + i for i, s in enumerate(services)})
    return replace(from_environment({}), name="unit", root=tmp_path)


def prepare(settings, names=(), **env):
    return stack_module.prepare(settings, set(), profiles.resolve(list(names)), env)


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
