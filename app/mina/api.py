"""Helpers shared by the JSON API views: body parsing, ints, pagination."""
from __future__ import annotations

from functools import lru_cache, wraps

from flask import current_app, request, session
import psycopg
from psycopg.rows import namedtuple_row
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from .errors import ApiError
from .extensions import db
from .querycount import note_statement

MAX_PER_PAGE = 100
MAX_ID = 2**63 - 1  # PostgreSQL's BIGINT, the type of every id column


def json_body() -> dict:
    """Return the request's JSON object or raise a 4xx that says what is wrong."""
    if not request.is_json:
        raise ApiError(415, "send a JSON body with Content-Type: application/json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # json.loads gives up on nesting deeper than the interpreter's stack
        raise ApiError(400, "request body is nested too deeply") from None
    if data is None:
        raise ApiError(400, "request body is not valid JSON")
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    return data


def text_field(data: dict, name: str, *, required: bool = True, max_len: int = 200,
               min_len: int = 1) -> str | None:
    """Read a string field, stripped, within length bounds."""
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise ApiError(400, f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"'{name}' must be a string")
    check_storable(value, f"'{name}'")
    value = value.strip()
    if not min_len <= len(value) <= max_len:
        raise ApiError(400, f"'{name}' must be {min_len} to {max_len} characters")
    return value


def check_storable(value: str, what: str) -> None:
    """Refuse text PostgreSQL cannot store: NUL characters and lone UTF-16 surrogates."""
    if "\x00" in value:
        raise ApiError(400, f"{what} must not contain NUL (\\u0000) characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"{what} is not valid Unicode (a lone surrogate such as \\ud800)") from None


def refuse_unstorable_params() -> None:
    """Refuse query and form values PostgreSQL could not store, before any view reads them."""
    for kind, values in (("query parameter", request.args), ("form field", request.form)):
        for name, value in values.items(multi=True):
            check_storable(value, f"{kind} '{name}'")


class IdConverter(BaseConverter):
    """A BIGINT row id in a URL (`<id:meeting_id>`): any other number names no row, so it is a 404.

    It raises NotFound rather than ValidationError: werkzeug would then try the path's other
    rules and answer 405 for a method one of them allows.
    """

    regex = r"\d+"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound(f"{value} is not an id here (ids are 1 to {MAX_ID})")
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def int_arg(name: str, default: int, *, low: int, high: int) -> int:
    """Read an integer query argument within bounds."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be an integer") from None
    if not low <= value <= high:
        raise ApiError(400, f"'{name}' must be between {low} and {high}")
    return value


def pagination() -> tuple[int, int]:
    """Return (page, per_page) from ?page=&per_page=."""
    page = int_arg("page", 1, low=1, high=1_000_000)
    per_page = int_arg("per_page", 20, low=1, high=MAX_PER_PAGE)
    return page, per_page


def read_only(view):
    """Run a pure read in autocommit: no BEGIN/ROLLBACK round trips, prepared plans kept.

    Put it above @login_required so the session user's query is covered too; requests with
    no logged-in session skip it and get their 401 without touching the database.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        if "_user_id" in session:
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)
    return wrapper


def read_rows(statement, params: dict) -> list:
    """Run a prebuilt read statement on a pooled autocommit connection; rows are named tuples.

    The hot read endpoints use this: one round trip, no ORM session or Core execution
    bookkeeping (measured: they cost more CPU than the query itself). psycopg prepares the
    statement server-side after a few runs on each connection.
    """
    engine = current_app.extensions["mina.read_engine"]
    sql = _compiled_sql(statement, engine.dialect)
    try:
        return _fetch(engine, sql, params)
    except psycopg.OperationalError:
        # The server closed our connections (restart, data reset, a compute that slept): the
        # others in the pool are dead too. Drop them all and read once more on a new one.
        engine.dispose()
        return _fetch(engine, sql, params)


def _fetch(engine, sql: str, params: dict) -> list:
    pooled = engine.raw_connection()
    try:
        with pooled.driver_connection.cursor(row_factory=namedtuple_row) as cursor:
            note_statement()
            cursor.execute(sql, params)
            return cursor.fetchall()
    except psycopg.OperationalError:
        pooled.invalidate()
        raise
    finally:
        pooled.close()  # back to the pool (a no-op after invalidate)


@lru_cache(maxsize=64)
def _compiled_sql(statement, dialect) -> str:
    return str(statement.compile(dialect=dialect))
