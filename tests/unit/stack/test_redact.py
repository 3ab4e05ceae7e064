import pytest

from replica.redact import MASK, Redactor, secrets_of


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
