"""The N+1 check (do a request's SQL statements grow with the user's data?), and the hub-blocking
check on the same requests.

The app counts the statements of each request and sends the count as `X-Query-Count`
(app/mina/querycount.py). The gate asks every read endpoint as the fixture user with the most
data and as the one with the least, the same requests on the same app: a count that is higher
for the heavier user grows with rows, an N+1 whatever the machine's load, so it is red, named by
endpoint with both counts. Each count is the fewest of a few requests (the app's per-worker
session-user cache saves a statement on all but the first).

The same requests carry the app's `X-Hub-Blocked-Ms`, so the hub-blocking check (hubblock.py)
costs no request of its own and is judged here too.

    evidence = check("http://127.0.0.1:5000", rule.kinds, database_url)
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests

from . import fixture_users, hubblock
from .checklist import ItemFailed

HEADER = "X-Query-Count"  # app/mina/querycount.py HEADER
REPEATS = 4
GET_RETRIES = 2
TIMEOUT_S = 30
# Read endpoints beyond the latency kinds of k6/slo.json (`local.kinds`): the pages render the
# same rows through templates, where a lazy load per row hides easily.
PAGES = {"page-list": "/meetings", "page-show": "/meetings/{meeting}"}
FALLBACK_MEETINGS = (1, 21)  # fresh accounts when the fixtures cannot be read: over a page of 20


@dataclass(frozen=True)
class Asked:
    """One endpoint as one user: the fewest statements it took, how many rows it returned, and
    the ms each request blocked the eventlet hub (none when the app does not measure it)."""

    statements: int
    rows: int | None
    blocked_ms: tuple[float, ...] = ()


@dataclass(frozen=True)
class Growth:
    """One endpoint as the light and the heavy user."""

    kind: str
    path: str
    light: Asked
    heavy: Asked

    @property
    def grows(self) -> bool:
        return self.heavy.statements > self.light.statements

    def describe(self, light: str, heavy: str) -> str:
        return (f"{self.path} ({self.kind}): {self.heavy.statements} statements as {heavy}"
                f"{_rows(self.heavy)} vs {self.light.statements} as {light}{_rows(self.light)}")


@dataclass
class User:
    """A logged-in user of the check, and what its data looks like."""

    name: str
    meeting: int
    about: str
    session: requests.Session


def check(base_url: str, kinds: dict[str, str], database_url: str | None) -> str:
    """Ask every endpoint as the light and the heavy user; red when a count grows with the data."""
    light, heavy = users(base_url, database_url)
    paths = {**kinds, **PAGES}
    grown = [measure(base_url, kind, path, light, heavy) for kind, path in paths.items()]
    bad = [g for g in grown if g.grows]
    blocking, blocking_note = hubblock.judge(grown)
    context = f"heavy {heavy.name}: {heavy.about}; light {light.name}: {light.about}"
    failures = blocking + ([] if not bad else ["queries per request grow with the user's data (N+1): "
                           + "; ".join(g.describe(light.name, heavy.name) for g in bad)])
    if failures:
        raise ItemFailed("; ".join(failures) + f" ({context})")
    flat = ", ".join(f"{g.kind} {g.heavy.statements}" for g in grown)
    return (f"queries per request do not grow with the user's data: {flat} statements; "
            f"{blocking_note} ({context})")


def measure(base_url: str, kind: str, path: str, light: User, heavy: User) -> Growth:
    """Ask one endpoint as both users."""
    return Growth(kind, path, ask(base_url, path, light), ask(base_url, path, heavy))


def ask(base_url: str, template: str, user: User) -> Asked:
    """GET the path REPEATS times as the user; the fewest statements counted, the rows returned."""
    path = template.format(meeting=user.meeting)
    fewest, rows, blocked = None, None, []
    for _ in range(REPEATS):
        response = _get(user.session, f"{base_url}{path}")
        if response.status_code != 200:
            raise ItemFailed(f"query count: GET {path} as {user.name} answered {response.status_code}: "
                             f"{response.text[:200]}")
        counted = response.headers.get(HEADER)
        if counted is None or not counted.isdigit():
            raise ItemFailed(f"query count: GET {path} sent no {HEADER} header (app/mina/querycount.py): "
                             "the N+1 check cannot run")
        fewest = int(counted) if fewest is None else min(fewest, int(counted))
        rows = _items(response)
        blocked += _blocked_ms(response)
    return Asked(fewest, rows, tuple(blocked))


def _blocked_ms(response: requests.Response) -> list[float]:
    try:
        return [float(response.headers[hubblock.HEADER])]
    except (KeyError, ValueError):
        return []


def users(base_url: str, database_url: str | None) -> tuple[User, User]:
    """Log in as the lightest and the heaviest fixture user (fresh accounts without fixtures)."""
    heavy = fixture_users.heaviest(database_url, 1) if database_url else []
    light = fixture_users.lightest(database_url) if heavy else None
    if heavy and light and heavy[0].meetings > light.meetings:
        return _fixture(base_url, light), _fixture(base_url, heavy[0])
    return tuple(_fresh(base_url, n) for n in FALLBACK_MEETINGS)


def new_session() -> requests.Session:
    """A session whose GETs are sent again when the server drops an idle keep-alive connection:
    gunicorn closes one after 2 s (--keep-alive), so on a busy machine the next request on it can
    race the close ("Remote end closed connection without response")."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    retry = Retry(total=GET_RETRIES, connect=GET_RETRIES, read=GET_RETRIES, status=0,
                  allowed_methods=frozenset({"GET"}), raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def _fixture(base_url: str, user: fixture_users.FixtureUser) -> User:
    session = new_session()
    _post(session, base_url, "/api/auth/login", {"login": user.login, "password": fixture_users.PASSWORD}, 200)
    about = f"{user.meetings} meetings, meeting {user.meeting} with {user.segments} segments"
    return User(user.login, user.meeting, about, session)


def _fresh(base_url: str, meetings: int) -> User:
    """A fresh test account with `meetings` meetings (no fixtures to read: nothing else has data)."""
    session, tag = new_session(), uuid.uuid4().hex[:12]
    body = {"email": f"queries-{tag}@example.com", "username": f"queries_{tag}", "password": f"Q-{tag}-1"}
    _post(session, base_url, "/api/auth/register", body, 201)
    ids = [_post(session, base_url, "/api/meetings", {"title": f"queries {n}"}, 201)["id"]
           for n in range(meetings)]
    return User(body["username"], ids[0], f"{meetings} fresh meetings, no segments", session)


def _items(response: requests.Response) -> int | None:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    items = response.json().get("items") if isinstance(response.json(), dict) else None
    return len(items) if isinstance(items, list) else None


def _rows(asked: Asked) -> str:
    return "" if asked.rows is None else f" ({asked.rows} rows)"


def _get(session: requests.Session, url: str) -> requests.Response:
    try:
        return session.get(url, timeout=TIMEOUT_S)
    except requests.RequestException as error:
        raise ItemFailed(f"query count: GET {url} failed: {error}") from None


def _post(session, base_url: str, path: str, body: dict, expected: int) -> dict:
    from .probe import _post as post

    return post(session, base_url, path, body, expected, what="query count")
