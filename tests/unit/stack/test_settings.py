import pytest

from replica.core.errors import ConfigError
from replica.stack.settings import DEFAULT_NAME, PROJECT_PREFIX, from_environment, port_variable


def test_defaults_name_the_main_replica():
    settings = from_environment({})
    assert settings.name == DEFAULT_NAME
    assert settings.project == PROJECT_PREFIX
    assert settings.pg_major == "18"


def test_a_named_replica_gets_its_own_project_and_state():
    main, other = from_environment({}), from_environment({"STAGING_NAME": "feature-x"})
    assert other.project == f"{PROJECT_PREFIX}-feature-x"
    assert other.state_dir != main.state_dir


@pytest.mark.parametrize("name", ["Upper", "has space", "../up", "", "x" * 40, "main\n", "main\r\n",
                                  "\nmain"])
def test_unusable_names_are_refused(name):
    with pytest.raises(ConfigError, match="replica name"):
        from_environment({}).with_name(name) if name else from_environment({"STAGING_NAME": name})


def test_a_port_is_pinned_by_its_variable():
    settings = from_environment({port_variable("mock-openai"): "18181"})
    assert port_variable("mock-openai") == "STAGING_MOCK_OPENAI_PORT"
    assert settings.pinned_ports == {"mock-openai": 18181}


@pytest.mark.parametrize("value", ["abc", "0", "70000", "-1"])
def test_a_bad_port_names_the_variable(value):
    with pytest.raises(ConfigError, match="STAGING_APP_PORT"):
        from_environment({"STAGING_APP_PORT": value})


def test_unsupported_postgres_major_is_refused_with_the_choices():
    with pytest.raises(ConfigError) as error:
        from_environment({"STAGING_PG_MAJOR": "12"})
    assert "18" in error.value.hint and "15" in error.value.hint


def test_missing_ca_bundle_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="STAGING_CA_BUNDLE"):
        from_environment({"STAGING_CA_BUNDLE": str(tmp_path / "nope.pem")})


def test_a_name_with_a_trailing_newline_is_refused_from_the_environment_too():
    with pytest.raises(ConfigError, match="replica name"):
        from_environment({"STAGING_NAME": "guards\n"})


@pytest.mark.parametrize("pins", [{"STAGING_APP_PORT": "18555", "STAGING_DB_PORT": "18555"},
                                  {"STAGING_REDIS_PORT": "18556",
                                   "STAGING_ERROR_SINK_PORT": "18556", "STAGING_APP_PORT": "18557"}])
def test_two_services_pinned_to_one_port_are_refused_naming_both(pins):
    with pytest.raises(ConfigError) as error:
        from_environment(pins)
    named = [variable for variable in pins if variable in str(error.value)]
    assert len(named) == 2 and "\n" not in str(error.value)
