import shutil

import pytest

from replica.stack.envprofile import (database_credentials, load_profile, read_env_file,
                                      redis_enabled, write_env_file)
from replica.core.errors import ConfigError, EnvFileError
from replica.stack.settings import ROOT

APP_URL = {"APP_URL": "http://127.0.0.1:5000"}


@pytest.fixture
def root(tmp_path):
    shutil.copy(ROOT / ".env.staging.example", tmp_path / ".env.staging.example")
    return tmp_path


def test_the_example_holds_every_variable_of_the_runbook_profile(root):
    runbook = {"FLASK_ENV", "DEBUG", "SECRET_KEY", "DATABASE_URL", "OPENAI_API_KEY", "REDIS_URL",
               "ENABLE_DEBUG_TOOLBAR", "ENABLE_VERBOSE_LOGGING", "ALLOW_TEST_USERS",
               "FRONTEND_URL", "API_BASE_URL", "SENTRY_DSN", "SENTRY_ENVIRONMENT"}
    profile = load_profile(root, substitutions=APP_URL)
    assert runbook <= set(profile)
    assert profile["FLASK_ENV"] == "staging"
    assert profile["API_BASE_URL"] == "http://127.0.0.1:5000/api"


def test_precedence_example_then_env_staging_then_task_overrides(root):
    (root / ".env.staging").write_text("DEBUG=False\nREDIS_URL=redis://redis:6379/1\n")
    profile = load_profile(root, overrides={"REDIS_URL": ""}, substitutions=APP_URL)
    assert profile["DEBUG"] == "False"          # .env.staging beats the example
    assert profile["REDIS_URL"] == ""           # the task's choice beats .env.staging
    assert profile["FLASK_ENV"] == "staging"    # untouched values come from the example


def test_an_unknown_variable_names_file_and_line(root):
    (root / ".env.staging").write_text("DEBUG=False\n\nDATABSE_URL=postgresql://x\n")
    with pytest.raises(EnvFileError) as error:
        load_profile(root, substitutions=APP_URL)
    assert error.value.line == 3 and "DATABSE_URL" in str(error.value)
    assert str(error.value).startswith(str(root / ".env.staging"))


@pytest.mark.parametrize("line", ["this is not an assignment", "KEY='unterminated"])
def test_a_malformed_line_names_file_and_line(root, line):
    (root / ".env.staging").write_text(f"DEBUG=False\n{line}\n")
    with pytest.raises(EnvFileError) as error:
        load_profile(root, substitutions=APP_URL)
    assert error.value.line == 2


def test_a_reference_the_replica_does_not_provide_is_an_error(root):
    (root / ".env.staging").write_text("FRONTEND_URL=${NOT_PROVIDED}\n")
    with pytest.raises(ConfigError, match="NOT_PROVIDED"):
        load_profile(root, substitutions=APP_URL)


def test_database_credentials_come_from_database_url():
    creds = database_credentials({"DATABASE_URL": "postgresql://u:p%40ss@db:5432/name"})
    assert creds == {"DB_USER": "u", "DB_PASSWORD": "p%40ss", "DB_NAME": "name"}
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        database_credentials({"DATABASE_URL": "mysql://u@db/name"})


def test_empty_redis_url_disables_redis():
    assert redis_enabled({"REDIS_URL": "redis://redis:6379/0"})
    assert not redis_enabled({"REDIS_URL": " "})


def test_written_env_files_read_back_the_same(tmp_path):
    values = {"A": "plain", "B": "has space and $dollar", "C": ""}
    write_env_file(tmp_path / "app.env", values)
    assert {k: v for k, (v, _) in read_env_file(tmp_path / "app.env").items()} == values


def test_a_quote_error_names_the_line_and_never_the_secret(root):
    (root / ".env.staging").write_text("DEBUG=False\n\nSECRET_KEY='hunter2-is-secret\n")
    with pytest.raises(EnvFileError) as error:
        load_profile(root, substitutions=APP_URL)
    assert error.value.line == 3 and "SECRET_KEY" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_bytes_that_are_not_utf8_name_file_and_line(root):
    (root / ".env.staging").write_bytes(b"DEBUG=False\nSECRET_KEY=abc\xff\xfe\n")
    with pytest.raises(EnvFileError) as error:
        load_profile(root, substitutions=APP_URL)
    assert error.value.line == 2 and "UTF-8" in str(error.value)
    assert "abc" not in str(error.value)


@pytest.mark.parametrize("value", ["it's", "two\nlines", "nul\0", "bad\udcff"])
def test_a_value_compose_cannot_take_leaves_the_written_file_as_it_was(tmp_path, value):
    path = tmp_path / "app.env"
    write_env_file(path, {"A": "before"})
    with pytest.raises(ConfigError) as error:
        write_env_file(path, {"A": "after", "SECRET_KEY": value})
    assert "SECRET_KEY" in str(error.value) and value not in str(error.value)
    assert path.read_text() == "A=before\n" and sorted(p.name for p in tmp_path.iterdir()) == ["app.env"]
