import pytest

from mina.settings import ConfigError, Settings

BASE = {"FLASK_ENV": "staging", "SECRET_KEY": "x" * 40,
        "DATABASE_URL": "postgresql://u:p@db:5432/mina"}


def settings(**changes):
    env = {**BASE, **changes}
    return Settings.from_env({k: v for k, v in env.items() if v is not None})


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_missing_required_variable_is_named(missing):
    with pytest.raises(ConfigError, match=missing):
        settings(**{missing: None})


@pytest.mark.parametrize("value", ["production", "prod", "Staging"])
def test_unknown_flask_env_is_refused_by_name(value):
    with pytest.raises(ConfigError, match=f"FLASK_ENV='{value}'"):
        settings(FLASK_ENV=value)


@pytest.mark.parametrize("secret", ["staging-secret-key-different-from-prod", "changeme", "short"])
def test_placeholder_or_short_secret_refused_in_staging(secret):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        settings(SECRET_KEY=secret)


def test_placeholder_secret_allowed_in_development():
    assert settings(FLASK_ENV="development", SECRET_KEY="dev").secret_key == "dev"


@pytest.mark.parametrize("url", ["postgresql://u@h/d", "postgres://u@h/d"])
def test_database_url_uses_psycopg3(url):
    assert settings(DATABASE_URL=url).database_url == "postgresql+psycopg://u@h/d"


def test_non_postgres_database_url_refused():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        settings(DATABASE_URL="mysql://u@h/d")


@pytest.mark.parametrize("value,enabled", [(None, False), ("", False), ("redis://r:6379", True)])
def test_redis_optional(value, enabled):
    assert settings(REDIS_URL=value).redis_enabled is enabled


def test_bad_boolean_is_named():
    with pytest.raises(ConfigError, match="DEBUG"):
        settings(DEBUG="maybe")


def test_public_view_hides_secrets():
    public = settings(OPENAI_API_KEY="sk-real").public()
    assert public["secret_key"] == "***" and public["openai_api_key"] == "***"


NEON_POOLED = "postgresql://u:p@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/mina"
NEON_DIRECT = "postgresql://u:p@ep-cool-darkness-123456.us-east-2.aws.neon.tech/mina"


def test_fanout_listens_on_database_url_without_a_direct_url():
    assert settings().listen_url == "postgresql+psycopg://u:p@db:5432/mina"
    assert settings(DATABASE_DIRECT_URL="").database_direct_url is None


def test_fanout_listens_on_the_direct_url_when_set():
    chosen = settings(DATABASE_URL="postgresql://u:p@pgbouncer:6432/mina",
                      DATABASE_DIRECT_URL="postgres://u:p@db:5432/mina")
    assert chosen.listen_url == "postgresql+psycopg://u:p@db:5432/mina"
    assert chosen.database_url == "postgresql+psycopg://u:p@pgbouncer:6432/mina"


def test_non_postgres_direct_url_is_refused_by_name():
    with pytest.raises(ConfigError, match="DATABASE_DIRECT_URL must start with postgresql://"):
        settings(DATABASE_DIRECT_URL="mysql://u@db/d")


def test_neon_pooled_database_url_without_redis_or_direct_url_is_refused():
    with pytest.raises(ConfigError, match="DATABASE_DIRECT_URL") as error:
        settings(DATABASE_URL=NEON_POOLED, REDIS_URL="")
    assert "-pooler" in str(error.value) and "Redis is off" in str(error.value)


@pytest.mark.parametrize("changes", [{"REDIS_URL": "redis://r:6379"},
                                     {"DATABASE_DIRECT_URL": NEON_DIRECT}])
def test_neon_pooled_database_url_is_fine_with_redis_or_a_direct_url(changes):
    assert settings(DATABASE_URL=NEON_POOLED, **changes).database_url.endswith("neon.tech/mina")


@pytest.mark.parametrize("redis", ["", "redis://r:6379"])
def test_a_pooled_direct_url_is_refused(redis):
    with pytest.raises(ConfigError, match="DATABASE_DIRECT_URL points at a pooled endpoint"):
        settings(DATABASE_URL=NEON_POOLED, DATABASE_DIRECT_URL=NEON_POOLED, REDIS_URL=redis)


def test_public_view_hides_the_direct_url():
    assert settings(DATABASE_DIRECT_URL="postgresql://u:p@db/m").public()["database_direct_url"] == "***"
