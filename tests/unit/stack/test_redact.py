import pytest

from replica.core.redact import MASK, Redactor, secrets_of


def test_secret_named_values_and_url_passwords_are_collected():
    env = {"SECRET_KEY": "s3cret-value", "DATABASE_URL": "postgresql://u:pw-123@db/x",
           "SENTRY_DSN": "http://publickey1@sink:9000/1", "FLASK_ENV": "staging"}
    assert secrets_of(env) == {"s3cret-value", "pw-123", "http://publickey1@sink:9000/1",
                               "publickey1"}


@pytest.mark.parametrize("text", [
    "Authorization: Bearer abcdefgh12345678",
    '{"authorization": "Bearer abcdefgh12345678"}',
    '{"Authorization":"Basic dXNlcjpwYXNz"}',
    "key=sk-proj-abcdefgh12345678",
    "redis://user:hunter22@redis:6379/0",
])
def test_secret_shaped_text_is_masked_without_knowing_the_value(text):
    redacted = Redactor().text(text)
    assert MASK in redacted
    for secret in ("abcdefgh12345678", "dXNlcjpwYXNz", "hunter22"):
        assert secret not in redacted


def test_known_values_are_masked_everywhere_longest_first():
    redactor = Redactor({"planted-secret", "planted-secret-longer", "ab"})
    out = redactor.text("a planted-secret-longer and planted-secret, ab stays")
    assert "planted" not in out and out.count(MASK) == 2 and "ab stays" in out


@pytest.mark.parametrize("query", ["token", "api_key", "access_token", "key", "secret", "password",
                                   "sig", "X-Amz-Signature", "apiKey", "client_secret"])
def test_a_secret_named_query_value_is_masked_and_the_rest_kept(query):
    url = f"http://sink:9000/hook?room=7&{query}=planted-value-123&page=2"
    redacted = Redactor().text(f"GET {url} 200")
    assert "planted-value-123" not in redacted
    assert f"{query}={MASK}" in redacted and "room=7" in redacted and "page=2" in redacted


def test_a_libpq_conninfo_password_is_masked():
    redacted = Redactor().text("connecting to host=db dbname=x password=hunter22 sslmode=require")
    assert "hunter22" not in redacted and "sslmode=require" in redacted
