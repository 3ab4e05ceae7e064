"""Compose lets the shell's variables win over `--env-file`; the replica's own must not lose:
a developer's real OPENAI_API_KEY would become the mock's accepted key, and a stray
STAGING_PROJECT would point `down --volumes` at another project."""
import shutil
from dataclasses import replace

from replica.core.checkout import ROOT
from replica.engine.compose import Compose, interpolated
from replica.stack.settings import from_environment


def a_replica(tmp_path):
    shutil.copy(ROOT / "docker-compose.staging.yml", tmp_path / "docker-compose.staging.yml")
    settings = replace(from_environment({}), name="unit", root=tmp_path)
    settings.state_dir.mkdir(parents=True)
    (settings.state_dir / "compose.env").write_text(
        "STAGING_PROJECT=mina-staging-unit\nOPENAI_API_KEY=sk-mock-unit\nAPP_PORT=20000\n")
    return settings


def test_the_shell_cannot_override_the_replicas_variables(tmp_path, monkeypatch):
    for key, value in {"STAGING_PROJECT": "mina-staging-other", "OPENAI_API_KEY": "sk-real",
                       "APP_PORT": "8000", "DB_PASSWORD": "from-the-shell",
                       "COMPOSE_PROFILES": "redis-off"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/user/docker.sock")  # the engine: the user's
    env = Compose(a_replica(tmp_path))._process_env()
    assert not {"STAGING_PROJECT", "OPENAI_API_KEY", "APP_PORT", "DB_PASSWORD",
                "COMPOSE_PROFILES"} & set(env)
    assert env["DOCKER_HOST"] == "unix:///run/user/docker.sock"


def test_a_variant_env_files_variables_are_the_replicas_too(tmp_path, monkeypatch):
    settings = a_replica(tmp_path)
    variant = settings.state_dir / "variant.env"
    variant.write_text("SOME_VARIANT_SETTING=1\n")
    monkeypatch.setenv("SOME_VARIANT_SETTING", "from-the-shell")
    assert "SOME_VARIANT_SETTING" not in Compose(settings, (variant,))._process_env()


def test_an_escaped_dollar_is_no_variable(tmp_path):
    compose_file = tmp_path / "compose.yml"
    compose_file.write_text("a: ${APP_PORT:-5000}\nb: $${HOME}\nc: ${DB_NAME}\n")
    assert interpolated(compose_file) == {"APP_PORT", "DB_NAME"}
