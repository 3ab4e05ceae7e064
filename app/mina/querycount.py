"""SQL statements per HTTP request, counted on the server and sent back as `X-Query-Count`.

Latency is noisy on a busy machine; the number of statements a request issues is not. The gate
asks the same endpoint as a fixture user with little data and as one with the most: a count that
grows with the user's rows is an N+1, whatever the machine's load (replica/gate/querycounts.py).

Every statement counts: those through SQLAlchemy (the ORM session, Core) by its
`before_cursor_execute` event, and the hot read path's driver-level reads (api.read_rows) by
`note_statement()`. A pool's pre-ping and the transaction's BEGIN/ROLLBACK are not statements the
view asked for and are not counted. Never in production: only the environments below send it.

    init_app(app, engines)     # in create_app, once the engines exist
"""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import event

HEADER = "X-Query-Count"
# The environments that send the header. Production is not one of them (Settings refuses it
# today; should it ever be allowed, the counts stay off there).
ENVIRONMENTS = frozenset({"development", "test", "staging"})
_COUNT = "mina_query_count"


def enabled(flask_env: str) -> bool:
    """Whether an app in this FLASK_ENV counts statements and sends the header."""
    return flask_env in ENVIRONMENTS


def init_app(app: Flask, engines) -> bool:
    """Count every statement the engines run inside a request; send the count on each response."""
    if not enabled(app.config["MINA"].flask_env):
        return False
    for engine in engines:
        event.listen(engine, "before_cursor_execute", _on_execute)
    app.after_request(_send_count)
    return True


def note_statement() -> None:
    """Count one statement run outside SQLAlchemy's execution (a driver cursor of api.read_rows)."""
    if has_request_context() and current_app.extensions.get("mina.query_count"):
        setattr(g, _COUNT, g.get(_COUNT, 0) + 1)


def _on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
    if has_request_context():
        setattr(g, _COUNT, g.get(_COUNT, 0) + 1)


def _send_count(response):
    response.headers[HEADER] = str(g.get(_COUNT, 0))
    return response
