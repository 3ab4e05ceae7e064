"""Run the app's Alembic migrations (flask db upgrade/downgrade) against a database URL."""
from __future__ import annotations


def app_for(url: str):
    from mina import create_app

    return create_app({"FLASK_ENV": "test", "SECRET_KEY": "data-tests", "DATABASE_URL": url,
                       "TESTING": True, "MINA_FANOUT": "local", "SOCKETIO_ASYNC_MODE": "threading"})


def migrate(url: str, revision: str = "head", down: bool = False) -> None:
    """Run the app's migrations (flask db upgrade/downgrade) against url."""
    from flask_migrate import downgrade, upgrade
    from mina.extensions import db

    app = app_for(url)
    with app.app_context():
        (downgrade if down else upgrade)(revision=revision)
        db.engine.dispose()
