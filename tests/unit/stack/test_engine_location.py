"""Where the engine is: DOCKER_HOST, a docker context, the CLI's current context (no engine needed)."""
import json
import subprocess

import pytest

from replica.core.errors import ConfigError, EngineError
from replica.engine import location
from replica.stack import plan


def test_an_ssh_docker_host_is_remote_and_names_its_destination():
    where = location.locate({"DOCKER_HOST": "ssh://deploy@build-box:2222"})
    assert where.remote and where.setting == "DOCKER_HOST"
    assert where.ssh_destination() == ["-p", "2222", "deploy@build-box"]
    assert "over SSH at build-box" in where.describe()


@pytest.mark.parametrize("host", ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375",
                                  "tcp://localhost:2376"])
def test_an_engine_on_this_machine_is_local(host):
    assert not location.locate({"DOCKER_HOST": host}).remote


def test_nothing_set_is_the_default_socket(tmp_path):
    where = location.locate({"DOCKER_CONFIG": str(tmp_path)})
    assert where.host is None and not where.remote


def test_a_tcp_engine_on_another_host_needs_an_ssh_destination_for_its_ports():
    with pytest.raises(ConfigError, match=r"DOCKER_HOST=tcp://build-box:2375.*needs "
                                          "STAGING_ENGINE_SSH") as error:
        location.locate({"DOCKER_HOST": "tcp://build-box:2375"})
    assert "STAGING_ENGINE_SSH=USER@build-box" in error.value.hint


def test_a_tcp_engine_with_an_ssh_destination_is_remote_its_ports_over_ssh():
    where = location.locate({"DOCKER_HOST": "tcp://build-box:2375",
                             "STAGING_ENGINE_SSH": "qa@build-box:2222"})
    assert where.remote and not where.over_ssh
    assert where.ssh_destination() == ["-p", "2222", "qa@build-box"]
    assert "ports over SSH (STAGING_ENGINE_SSH=qa@build-box:2222)" in where.describe()


@pytest.mark.parametrize("value", ["qa@", "a b", "qa@box:port", "-oProxyCommand=x"])
def test_a_malformed_engine_ssh_destination_is_named(value):
    with pytest.raises(ConfigError, match="STAGING_ENGINE_SSH=.* is not user@host"):
        location.locate({"DOCKER_HOST": "tcp://build-box:2375", "STAGING_ENGINE_SSH": value})


def test_a_context_that_does_not_exist_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match="docker context 'nowhere' \\(DOCKER_CONTEXT\\) does not exist"):
        location.locate({"DOCKER_CONTEXT": "nowhere", "DOCKER_CONFIG": str(tmp_path)})


def test_the_current_context_of_the_cli_config_is_followed(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    subprocess.run(["docker", "context", "create", "build-box", "--docker", "host=ssh://qa@build-box"],
                   check=True, capture_output=True)
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "build-box"}))
    where = location.locate({"DOCKER_CONFIG": str(tmp_path)})
    assert where.remote and where.host == "ssh://qa@build-box"
    assert where.setting == "docker context build-box" and "context use default" in where.switch_off


def test_a_changed_host_key_is_bad_input_naming_the_setting():
    where = location.EngineLocation("ssh://root@box", "DOCKER_HOST")
    error = location.ssh_failure(where, "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\n"
                                        "Host key verification failed.\n")
    assert isinstance(error, ConfigError) and "DOCKER_HOST=ssh://root@box" in str(error)
    assert "host key of box does not match" in str(error)


def test_an_unreachable_ssh_engine_is_named_before_any_work():
    where = location.locate({"DOCKER_HOST": "ssh://root@127.0.0.1:1"})
    with pytest.raises(EngineError, match=r"DOCKER_HOST=ssh://root@127.0.0.1:1 is unreachable: .*refused"):
        where.check_reachable()


def test_a_remote_engine_publishes_on_a_port_its_host_picks():
    assert plan.published_port(5000, remote_engine=True) == "0"
    assert plan.published_port(5000, remote_engine=False) == "5000"
