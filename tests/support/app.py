"""Helpers for tests of the Mina app: a test config and the test user's password."""

PASSWORD = "correct horse battery"


def app_config(database_url: str, **overrides) -> dict:
    """Return a create_app config for tests (single process, threading Socket.IO)."""
    return {"FLASK_ENV": "test", "SECRET_KEY": "integration-secret", "DATABASE_URL": database_url,
            "TESTING": True, "MINA_FANOUT": "local", "SOCKETIO_ASYNC_MODE": "threading",
            "OPENAI_MAX_RETRIES": 0, **overrides}
