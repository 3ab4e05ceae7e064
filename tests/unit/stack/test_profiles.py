import pytest

from replica.stack import profiles

from replica.core.errors import ConfigError
from replica.stack.profiles import (catalogue, check_replica_databases, database_route,
                                    direct_route, resolve)

URL = "postgresql://u:p@db:5432/mina_staging"


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ConfigError) as error:
        resolve(["redis-of"])
    assert "redis-of" in str(error.value) and "redis-off" in error.value.hint


def test_two_openai_faults_conflict():
    with pytest.raises(ConfigError, match="openai-slow and openai-down conflict"):
        resolve(["openai-slow", "openai-down"])


def test_database_faults_combine_and_repeat_harmlessly():
    names = [p.name for p in resolve(["db-slow", "tls", "db-slow", "pooled"])]
    assert names == ["db-slow", "tls", "pooled"]


@pytest.mark.parametrize("names, url, upstream", [
    ([], URL, "db:5432"),
    (["db-slow"], "postgresql://u:p@db-proxy:5432/mina_staging", "db:5432"),
    (["pooled"], "postgresql://u:p@pgbouncer:6432/mina_staging", "pgbouncer:6432"),
    (["tls", "pooled"], "postgresql://u:p@db-proxy:5432/mina_staging?sslmode=require",
     "pgbouncer:6432"),
])
def test_the_app_reaches_the_database_through_the_profiles(names, url, upstream):
    assert database_route(URL, resolve(names)) == (url, upstream)


@pytest.mark.parametrize("names, direct", [
    ([], None),
    (["redis-off", "tls"], None),
    (["pooled"], URL),
    (["redis-off", "tls", "db-slow", "pooled"], URL),  # LISTEN skips the proxy and the pooler
])
def test_pooled_gives_the_fanout_a_direct_url_to_the_db_service(names, direct):
    assert direct_route(URL, resolve(names)) == direct


def test_the_direct_url_keeps_credentials_database_and_options():
    url = "postgresql://u:p@elsewhere:5433/mina_staging?application_name=mina"
    assert direct_route(url, resolve(["pooled"])) == (
        "postgresql://u:p@db:5432/mina_staging?application_name=mina")


def test_figures_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("STAGING_DB_LATENCY_MS", "250")
    assert catalogue()["db-slow"].compose_env["DB_PROXY_LATENCY_MS"] == "250"


def test_every_profile_has_an_example_that_uses_it():
    for name, profile in catalogue().items():
        assert f"--profile {name}" in profile.example


@pytest.mark.parametrize("env", [
    {"DATABASE_URL": URL, "DATABASE_DIRECT_URL": ""},
    {"DATABASE_URL": "postgresql://u:p@db-proxy:5432/x?sslmode=require",
     "DATABASE_DIRECT_URL": "postgresql://u:p@db:5432/mina_staging"},
    {"DATABASE_URL": "postgresql://u:p@pgbouncer:6432/x"}])
def test_database_urls_on_the_replica_are_accepted(env):
    check_replica_databases(env)


@pytest.mark.parametrize("variable, url, shown", [
    ("DATABASE_DIRECT_URL", "postgresql://u:secret-pw@ep-x.neon.tech/mina_staging", "neon.tech"),
    ("DATABASE_DIRECT_URL", "postgresql://u:secret-pw@db:5432/x?host=staging.example.com",
     "staging.example.com"),
    ("DATABASE_DIRECT_URL", "postgresql://u:secret-pw@db:5432/x?hostaddr=10.1.2.3", "10.1.2.3"),
    ("DATABASE_DIRECT_URL", "postgresql://u:secret-pw@db,staging.example.com/x",
     "staging.example.com"),
    ("DATABASE_DIRECT_URL", "postgresql://u:secret-pw@/x", "a local socket"),
    ("DATABASE_URL", "postgresql://u:secret-pw@db:5432/x?host=staging.example.com",
     "staging.example.com"),
    ("DATABASE_URL", "postgresql://u:secret-pw@db:5432/x?service=prod", "service prod"),
])
def test_a_database_url_reaching_elsewhere_is_refused_naming_the_variable(variable, url, shown):
    env = {"DATABASE_URL": URL, variable: url}
    with pytest.raises(ConfigError) as error:
        check_replica_databases(env)
    message = str(error.value)
    assert message.startswith(variable) and shown in message and "\n" not in message
    assert "secret-pw" not in message + error.value.hint


def test_the_routed_database_url_keeps_a_query_host_so_up_must_refuse_it():
    routed, _ = database_route("postgresql://u:p@staging.example.com/x?host=staging.example.com",
                               resolve([]))
    with pytest.raises(ConfigError, match="DATABASE_URL points at staging.example.com"):
        check_replica_databases({"DATABASE_URL": routed})


def test_openai_ratelimit_limits_only_the_summary_calls_not_transcription():
    compose_env = catalogue()["openai-ratelimit"].compose_env
    paths = compose_env["MOCK_OPENAI_FAULT_PATHS"].split(",")
    assert compose_env["MOCK_OPENAI_PROFILE"] == "ratelimit"
    assert "/v1/chat/completions" in paths and "/v1/responses" in paths
    assert not any("/v1/audio/transcriptions".startswith(path) for path in paths)


def test_each_fault_profile_says_what_the_app_must_do_under_it():
    assert profiles.expectations([]) == profiles.HAPPY_PATH
    assert profiles.expectations(["redis-off", "tls"]) == profiles.HAPPY_PATH
    limited = profiles.expectations(["openai-ratelimit", "redis-off"])
    assert (limited.summary_status, limited.transcription) == (429, "stored")
    down = profiles.expectations(["pooled", "openai-down"])
    assert (down.summary_status, down.transcription) == (503, "refused")
    assert down.k6_env() == {"EXPECT_SUMMARY_STATUS": "503", "EXPECT_TRANSCRIPTION": "refused",
                             "EXPECT_AI_LATENCY": "faulted"}
    assert not profiles.expectations(["openai-slow"]).ai_latency_judged


def test_only_the_ai_service_s_failures_are_expected_in_error_tracking():
    ai_failure = {"exception_type": "RateLimitError"}
    our_bug = {"exception_type": "KeyError"}
    assert profiles.expectations(["openai-ratelimit"]).reported_on_purpose(ai_failure)
    assert not profiles.expectations(["openai-ratelimit"]).reported_on_purpose(our_bug)
    assert not profiles.expectations(["redis-off"]).reported_on_purpose(ai_failure)
